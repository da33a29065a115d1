//! The counselor room queue in a real browser, worked by an agent: a customer asks for a person
//! over the webchat API and the room appears in the waiting tab live, the tab turning red; the
//! agent opens and receives it with the keyboard alone, replies (Enter sends, Shift+Enter and an
//! IME composition do not), and the customer gets the reply; hold, alarm, close and wrap-up; a
//! transfer to the manager; a room a colleague takes while the agent reads it; a content search
//! with highlights; an alarm going off; English; a phone.

use std::sync::Arc;
use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::common::rooms::{act, counselor, hand_off, queue_live};
use crate::common::{Backend, TestApp};
use crate::harness::{Browser, DESKTOP, PHONE};

const ENTER: &str = "\u{E007}";
const SHIFT_ENTER: &str = "\u{E008}\u{E007}\u{E000}";

/// Polls `check` on the room as the admin sees it until it holds.
async fn room_until(app: &TestApp, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (status, room) = app.call("GET", &format!("/v1/rooms/{id}"), Some(&app.admin_token), None).await;
        assert_eq!(status, 200, "{room}");
        if check(&room) {
            return room;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("room {id} never showed {what}");
}

/// Waits until the customer's webchat history has a counselor message saying `text`.
async fn customer_hears(app: &TestApp, id: &str, token: &str, text: &str) {
    for _ in 0..100 {
        let said = app.history(id, token).await;
        if said.iter().any(|m| m["author"] == "counselor" && m["text"] == text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the customer never received {text:?}");
}

/// The count shown on a status tab.
async fn tab_count(browser: &Browser, tab: &str) -> String {
    let script = "return document.querySelector(`.rail-tab[data-tab='${arguments[0]}'] .rail-count`)?.textContent;";
    browser.js(script, vec![json!(tab)]).await.as_str().unwrap_or_default().to_owned()
}

/// Waits until a status tab shows `count`.
async fn wait_count(browser: &Browser, tab: &str, count: u32) {
    let script = "return document.querySelector(`.rail-tab[data-tab='${arguments[0]}'] .rail-count`)?.textContent === arguments[1];";
    browser.wait_js(&format!("{tab} showing {count}"), script, vec![json!(tab), json!(count.to_string())]).await;
}

/// Rooms for the agent's list before the browser opens: one where the customer wrote again
/// (inquiry, flagged, VIP), one answered and held, and one still waiting.
async fn earlier_rooms(app: &TestApp, agent: &str) -> (String, String, String) {
    let (inquiry, inquiry_customer) =
        hand_off(app, json!({"name": "이지은", "email": "jieun@example.com", "phone": "010-2222-3333"})).await;
    let (answered, _) = hand_off(app, json!({"name": "Daniel Park", "email": "daniel@example.com"})).await;
    for id in [&inquiry, &answered] {
        assert_eq!(act(app, agent, id, "receive", None).await.0, 200);
        let (status, body) =
            act(app, agent, id, "messages", Some(json!({"text": "안녕하세요, 무엇을 도와드릴까요?"}))).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _) =
        app.post_message(&inquiry, &inquiry_customer, "주문한 운동화 사이즈를 바꾸고 싶어요", "c-2").await;
    assert_eq!(status, 202);
    room_until(app, &inquiry, "the customer's question", |r| r["status"] == "inquiry").await;
    let patch = json!({"flagged": true, "customer_grade": "VIP"});
    assert_eq!(app.call("PATCH", &format!("/v1/rooms/{inquiry}"), Some(agent), Some(patch)).await.0, 200);
    assert_eq!(act(app, agent, &answered, "hold", None).await.0, 200);
    let (waiting, _) = hand_off(app, json!({"name": "박서준", "phone": "010-9876-5432"})).await;
    (inquiry, answered, waiting)
}

#[tokio::test]
async fn console_rooms_work_a_conversation() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, Arc::new(sangdam::clock::SystemClock), |c| {
        c.sweep_every = Duration::from_millis(200)
    })
    .await
    else {
        return;
    };
    queue_live(&app).await;
    let (manager, _) = counselor(&app, "park.manager", "박매니저", "manager", None).await;
    let (_, agent) = counselor(&app, "kim.sangdam", "김상담", "agent", Some(&manager)).await;
    let (_, rival) = counselor(&app, "lee.sangdam", "이상담", "agent", Some(&manager)).await;
    let (inquiry, answered, waiting) = earlier_rooms(&app, &agent).await;

    let Some(mut browser) = Browser::start("console_rooms", DESKTOP).await else { return };
    browser.goto(&app.url("/console?lang=ko#/rooms/in_progress")).await;
    browser.type_into("input[name=login]", "kim.sangdam").await;
    browser.type_into("input[name=password]", "s3cret-pass").await;
    browser.click("form.login button[type=submit]").await;
    browser.find_text(".row .row-name", "이지은").await;
    browser.find_text(".row .row-name", "Daniel Park").await;
    browser
        .wait_js("the live stream", "return document.querySelector('.rooms-view')?.dataset.live === 'on';", vec![])
        .await;
    assert_eq!(tab_count(&browser, "waiting").await, "1");
    assert_eq!(tab_count(&browser, "hold").await, "1");
    browser.find(".row .m-flag").await;

    // A customer asks for a person: the room arrives while the page stays as it is.
    browser.js("window.stillTheSamePage = true;", vec![]).await;
    let (room, customer) = hand_off(&app, json!({"name": "김해피", "email": "happy@example.com"})).await;
    wait_count(&browser, "waiting", 2).await;
    browser.find(".rail-tab.hot[data-tab='waiting']").await;
    assert_eq!(browser.js("return window.stillTheSamePage === true;", vec![]).await, json!(true), "no reload");
    browser.shot("waiting-tab-turns-red-ko").await;

    // Opening the tab shows the room and the tab is no longer red.
    browser.click(".rail-tab[data-tab='waiting']").await;
    browser.find_text(".row .row-name", "김해피").await;
    browser
        .wait_js(
            "the tab back to normal",
            "return !document.querySelector('.rail-tab.hot[data-tab=\"waiting\"]');",
            vec![],
        )
        .await;
    // The room is opened and received with the keyboard alone.
    browser.tab_to(&format!(".row[data-room='{room}']"), 40).await;
    browser.key(Key::Enter).await;
    browser.find_text(".room-title h2", "김해피").await;
    browser.find_text(".msg.customer .bubble", "상담원 연결해주세요").await;
    browser.find_text(".msg.bot .bubble", "상담원을 연결해 드릴게요").await;
    browser.tab_to(".room-tools [data-action='receive']", 30).await;
    browser.shot("keyboard-focus-on-receive-ko").await;
    browser.key(Key::Enter).await;

    // Received; then a reply with Enter.
    browser.find_text(".room-badges .status", "접수").await;
    browser.find(".composer textarea").await;
    let url = browser.client.current_url().await.expect("url");
    assert!(url.as_str().ends_with(&format!("#/rooms/received/{room}")), "{url}");
    // Enter that ends an IME composition only commits it: nothing is sent.
    browser.type_into(".composer textarea", "안녕하세요").await;
    browser
        .js(
            "const box = document.querySelector('.composer textarea');
             box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true}));",
            vec![],
        )
        .await;
    browser.type_into(".composer textarea", &format!("첫 줄{SHIFT_ENTER}둘째 줄")).await;
    let typed = browser.js("return document.querySelector('.composer textarea').value;", vec![]).await;
    assert_eq!(typed, json!("첫 줄\n둘째 줄"), "Shift+Enter is a new line");
    let reply = "안녕하세요, 상담원 김상담입니다. 무엇을 도와드릴까요?";
    browser.type_into(".composer textarea", &format!("{reply}{ENTER}")).await;
    browser.find_text(".msg.counselor.mine .bubble", reply).await;
    customer_hears(&app, &room, &customer, reply).await;
    let sent = app.history(&room, &customer).await.iter().filter(|m| m["author"] == "counselor").count();
    assert_eq!(sent, 1, "only the Enter outside a composition sent anything");
    browser
        .wait_js("the box emptied", "return document.querySelector('.composer textarea').value === '';", vec![])
        .await;

    // The customer writes again: it appears in the open room, and the room moves to inquiry.
    assert_eq!(app.post_message(&room, &customer, "주문한 신발이 아직 안 왔어요", "c-3").await.0, 202);
    browser.find_text(".msg.customer .bubble", "주문한 신발이 아직 안 왔어요").await;
    browser.find_text(".room-badges .status", "문의").await;
    browser.find(".rail-tab.hot[data-tab='inquiry']").await;
    browser.click(".rail-tab[data-tab='inquiry']").await;
    browser.find(&format!(".row[aria-current='true'][data-room='{room}']")).await;
    browser.find_text(".room-title h2", "김해피").await;
    browser
        .wait_js("the tab opened", "return !document.querySelector('.rail-tab.hot[data-tab=\"inquiry\"]');", vec![])
        .await;

    // Hold and alarm.
    browser.click(".room-tools [data-action='hold']").await;
    browser.find(".room-badges .m-hold").await;
    wait_count(&browser, "hold", 2).await;
    browser.click(".room-tools [data-action='alarm']").await;
    browser.find(".room-dialog input[type=datetime-local]").await;
    browser.find_text(".room-dialog .chip", "1시간 후").await.click().await.expect("quick pick");
    browser.shot("alarm-dialog-ko").await;
    browser.click(".room-dialog button[type=submit]").await;
    browser.find(".room-badges .m-alarm").await;
    wait_count(&browser, "alarm", 1).await;
    let held = room_until(&app, &room, "hold and alarm", |r| r["hold"] == true && r["alarm_at"].is_string()).await;
    assert_eq!(held["assignee"]["name"], "김상담");
    browser.shot("room-received-held-ko").await;

    // Close, then wrap up.
    browser.click(".room-tools [data-action='close']").await;
    browser.find_text(".room-dialog h2", "상담을 종료할까요?").await;
    browser.click(".room-dialog button[type=submit]").await;
    browser.find_text(".room-badges .status", "종료").await;
    browser.type_into(".wrapup input[name=category]", "배송 문의").await;
    browser.type_into(".wrapup textarea[name=note]", "내일 도착 예정 안내").await;
    browser.shot("wrap-up-form-ko").await;
    browser.click(".wrapup button[type=submit]").await;
    browser.find_text(".wrapup-done", "배송 문의").await;
    let closed = room_until(&app, &room, "the wrap-up", |r| r["wrap_up"].is_object()).await;
    assert_eq!((closed["close_type"].as_str(), closed["processed"].as_bool()), (Some("counselor"), Some(true)));
    assert_eq!(closed["wrap_up"]["note"], "내일 도착 예정 안내");
    browser.find_text(".room-info .history", "배송 문의").await;
    browser.shot("room-closed-wrapped-up-ko").await;

    // Someone else takes the waiting room the agent is reading: it leaves the list and the room
    // says why at once, without waiting for the periodic refresh.
    browser.goto(&app.url(&format!("/console?lang=ko#/rooms/waiting/{waiting}"))).await;
    browser.find_text(".room-title h2", "박서준").await;
    browser.find(&format!(".row[data-room='{waiting}']")).await;
    assert_eq!(act(&app, &rival, &waiting, "receive", None).await.0, 200);
    browser.find_text(".room-pane", "다른 상담원이 접수했거나").await;
    browser
        .wait_js(
            "the taken room to leave the waiting list",
            "return !document.querySelector(`.row[data-room='${arguments[0]}']`);",
            vec![json!(waiting)],
        )
        .await;
    browser.shot("room-taken-by-colleague-ko").await;

    // Transfer to the manager: the room leaves the agent's list.
    browser.goto(&app.url(&format!("/console?lang=ko#/rooms/inquiry/{inquiry}"))).await;
    browser.find_text(".room-title h2", "이지은").await;
    browser.click(".room-tools [data-action='transfer']").await;
    browser.find_text(".room-dialog select option", "박매니저").await;
    browser.js("document.querySelector('.room-dialog select').value = arguments[0];", vec![json!(manager)]).await;
    browser.click(".room-dialog button[type=submit]").await;
    browser.find_text(".toast", "박매니저님에게 넘겼습니다.").await;
    room_until(&app, &inquiry, "the new counselor", |r| r["assignee"]["id"] == json!(manager)).await;

    // A content search marks what matched.
    browser.goto(&app.url("/console?lang=ko#/rooms/closed")).await;
    browser.type_into(".search input[name=q]", "신발").await;
    browser.click(".search button[type=submit]").await;
    browser.find_text(".row mark", "신발").await;
    browser.find_text(".searching", "신발").await;
    browser.shot("search-highlights-ko").await;
    browser.click(".searching button").await;
    browser.wait_js("the search cleared", "return !document.querySelector('.row mark');", vec![]).await;

    // Older closes are found by their dates; an empty range means today.
    let days_ago = (chrono::Utc::now() - chrono::TimeDelta::days(2)).format("%Y-%m-%d").to_string();
    let set_date = "const input = document.querySelector(`.closed-range input[name=${arguments[0]}]`);
         input.value = arguments[1]; input.dispatchEvent(new Event('change', { bubbles: true }));";
    browser.js(set_date, vec![json!("from"), json!(days_ago)]).await;
    browser.find(&format!(".row[data-room='{room}']")).await;
    browser.js(set_date, vec![json!("to"), json!(days_ago)]).await;
    browser.find_text(".list-status", "이 기간에 종료된 상담이 없습니다.").await;
    browser.shot("closed-date-range-ko").await;
    browser.find_text(".closed-range button", "오늘").await.click().await.expect("back to today");
    browser.find(&format!(".row[data-room='{room}']")).await;

    // An alarm going off is announced.
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(2)).to_rfc3339();
    assert_eq!(act(&app, &agent, &answered, "alarm", Some(json!({"at": soon}))).await.0, 200);
    browser.find_text(".alarm-toast", "Daniel Park").await;

    // English, with a room open.
    browser.goto(&app.url(&format!("/console?lang=en#/rooms/answered/{answered}"))).await;
    browser.find_text(".room-title h2", "Daniel Park").await;
    browser.find_text(".rail-tab", "Answered").await;
    browser.find_text(".room-tools", "Release hold").await;
    browser.shot("room-en").await;
    browser.goto(&app.url(&format!("/console?lang=en#/rooms/closed/{room}"))).await;
    browser.find_text(".wrapup h2", "Wrap-up").await;
    browser.shot("closed-room-en").await;

    // A phone: the list, then the room alone with a way back.
    browser.fit(PHONE).await;
    browser.goto(&app.url("/console?lang=ko#/rooms/answered")).await;
    browser.find_text(".row .row-name", "Daniel Park").await;
    browser.shot("list-phone-ko").await;
    browser.click(&format!(".row[data-room='{answered}']")).await;
    browser.find_text(".room-title h2", "Daniel Park").await;
    let list_hidden = "return getComputedStyle(document.querySelector('.rooms-list')).display === 'none';";
    assert_eq!(browser.js(list_hidden, vec![]).await, json!(true), "one pane at a time");
    let overflow = "return document.documentElement.scrollWidth > window.innerWidth;";
    assert_eq!(browser.js(overflow, vec![]).await, json!(false), "nothing wider than the phone");
    browser.shot("room-phone-ko").await;
    browser.click(".room-head .back").await;
    browser.find_text(".row .row-name", "Daniel Park").await;
    browser.finish().await;
    app.stop().await;
}

/// Customer names for a busy waiting list.
const NAMES: [&str; 8] = ["최민준", "Emily Chen", "정하은", "윤도윤", "Sarah Kim", "강서연", "조예준", "한지우"];

/// The admin's view of a busy queue: the AI agent's tab, keyset paging, sorting, an exact name
/// search, giving a waiting room to a counselor, and a customer's grade and tags.
#[tokio::test]
async fn console_rooms_page_sort_and_assign() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    queue_live(&app).await;
    let (agent_id, _) = counselor(&app, "kim.sangdam", "김상담", "agent", None).await;
    let customers: Vec<Value> = (0..31)
        .map(|n| json!({"name": format!("{} {:02}", NAMES[n % NAMES.len()], n + 1), "email": format!("c{n}@example.com")}))
        .collect();
    let rooms = futures_util::future::join_all(customers.into_iter().map(|c| hand_off(&app, c))).await;
    assert_eq!(rooms.len(), 31);
    let (with_bot, bot_customer) = app.open_conversation(json!({"name": "오하늘"})).await;
    assert_eq!(app.post_message(&with_bot, &bot_customer, "안녕하세요", "c-1").await.0, 202);

    let Some(mut browser) = Browser::start("console_rooms_admin", DESKTOP).await else { return };
    browser.goto(&app.url("/console?lang=en#/rooms/waiting")).await;
    browser.type_into("input[name=login]", &app.admin_login).await;
    browser.type_into("input[name=password]", &app.admin_password).await;
    browser.click("form.login button[type=submit]").await;
    let rows = |n: u32| format!("return document.querySelectorAll('.rows .row').length === {n};");
    browser.wait_js("a first page", &rows(30), vec![]).await;
    wait_count(&browser, "waiting", 31).await;
    wait_count(&browser, "bot", 1).await;
    browser.click(".more").await;
    browser.wait_js("the rest", &rows(31), vec![]).await;
    let more_hidden = "return document.querySelector('.more').hidden;";
    assert_eq!(browser.js(more_hidden, vec![]).await, json!(true), "nothing more to load");

    // Oldest conversation first, as the API orders them.
    let (_, oldest) =
        app.call("GET", "/v1/rooms?status=waiting&sort=created_asc&limit=1", Some(&app.admin_token), None).await;
    let oldest = oldest["rooms"][0]["id"].as_str().unwrap().to_owned();
    browser.js("const s = document.querySelector('select[name=sort]'); s.value = 'created_asc'; s.dispatchEvent(new Event('change'));", vec![]).await;
    let first = "return document.querySelector('.rows .row')?.dataset.room === arguments[0];";
    browser.wait_js("the oldest room first", first, vec![json!(oldest)]).await;

    // Names match exactly.
    browser.js("document.querySelector('select[name=field]').value = 'name';", vec![]).await;
    browser.type_into(".search input[name=q]", "Emily Chen 02").await;
    browser.click(".search button[type=submit]").await;
    browser.wait_js("one match", &rows(1), vec![]).await;
    browser.find_text(".row .row-name", "Emily Chen 02").await;
    browser.type_into(".search input[name=q]", "Emily").await;
    browser.click(".search button[type=submit]").await;
    browser.find_text(".list-status", "Nothing matches your search.").await;
    browser.click(".searching button").await;
    browser.wait_js("the first page again", &rows(30), vec![]).await;

    // The admin gives a waiting room to a counselor.
    let room = rooms[0].0.clone();
    browser.click(&format!(".row[data-room='{room}']")).await;
    browser.find(".room-tools [data-action='transfer']").await.click().await.expect("transfer");
    browser.find_text(".room-dialog select option", "김상담").await;
    browser.js("document.querySelector('.room-dialog select').value = arguments[0];", vec![json!(agent_id)]).await;
    browser.click(".room-dialog button[type=submit]").await;
    browser.find_text(".room-badges .status", "Received").await;
    browser.find_text(".room-badges .assignee", "김상담").await;
    wait_count(&browser, "waiting", 30).await;
    let assigned = room_until(&app, &room, "the assignment", |r| r["assignee"]["id"] == json!(agent_id)).await;
    assert_eq!(assigned["status"], "received");
    browser.goto(&app.url(&format!("/console?lang=en#/rooms/waiting/{}", rooms[1].0))).await;
    browser.find(".room-tools [data-action='receive']").await;
    browser.shot("admin-waiting-en").await;

    // Grade and tags from the details, then the list filtered by grade.
    let labelled = rooms[1].0.clone();
    browser.type_into(".labels input[name=customer_grade]", "VIP").await;
    browser.type_into(".labels input[name=customer_tags]", "단골, newsletter").await;
    browser.type_into(".labels input[name=tags]", "배송").await;
    browser.click(".labels button[type=submit]").await;
    browser.find_text(".toast", "Grade and tags saved.").await;
    let room = room_until(&app, &labelled, "the labels", |r| r["customer"]["grade"] == "VIP").await;
    assert_eq!((&room["customer"]["tags"], &room["tags"]), (&json!(["단골", "newsletter"]), &json!(["배송"])));
    browser.find_text(".room-info .tag", "newsletter").await;
    browser.type_into(".list-filters input[name=grade]", "VIP").await;
    browser
        .js("document.querySelector('.list-filters input[name=grade]').dispatchEvent(new Event('change'));", vec![])
        .await;
    browser.wait_js("only the VIP", &rows(1), vec![]).await;
    browser.find(&format!(".row[data-room='{labelled}']")).await;
    browser.shot("labels-and-grade-filter-en").await;
    browser.type_into(".list-filters input[name=grade]", "").await;
    browser
        .js("document.querySelector('.list-filters input[name=grade]').dispatchEvent(new Event('change'));", vec![])
        .await;
    browser.wait_js("everyone again", &rows(30), vec![]).await;

    // The AI agent's rooms: visible to the admin, worked by the agent.
    browser.click(".rail-tab[data-tab='bot']").await;
    browser.click(&format!(".row[data-room='{with_bot}']")).await;
    browser.find_text(".room-foot", "The AI agent is handling this conversation").await;
    browser.fit(PHONE).await;
    browser.goto(&app.url(&format!("/console?lang=en#/rooms/bot/{with_bot}"))).await;
    browser.find_text(".room-title h2", "오하늘").await;
    browser.click(".room-head .info-toggle").await;
    browser.find_text(".room-info", "오하늘").await;
    browser.shot("bot-room-details-phone-en").await;
    browser.finish().await;
    app.stop().await;
}
