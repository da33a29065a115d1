//! Router-level tests on a small hand-made Korean and English set.

use super::*;

fn examples(intent: Option<&str>, texts: &[&str]) -> Vec<Example> {
    texts.iter().map(|t| Example { text: (*t).to_owned(), intent: intent.map(str::to_owned) }).collect()
}

/// Four shop intents and some out-of-scope lines, in the way customers type them.
fn shop() -> Vec<Example> {
    let mut all = examples(
        Some("order_tracking"),
        &[
            "배송 조회 해주세요",
            "주문한 상품 언제 와요?",
            "택배 어디쯤 왔어요?",
            "배송 상태 확인하고 싶어요",
            "제 주문 어디까지 왔나요",
            "운송장 번호 알려주세요",
            "where is my order?",
            "track my package please",
            "when will my parcel arrive?",
        ],
    );
    all.extend(examples(
        Some("order_cancellation"),
        &[
            "주문 취소 해주세요",
            "방금 주문한 거 취소하고 싶어요",
            "결제 취소 가능한가요?",
            "주문 취소 어떻게 해요",
            "구매 취소할게요",
            "주문을 철회하고 싶습니다",
            "cancel my order",
            "I want to cancel my purchase",
            "please cancel order 1003",
        ],
    ));
    all.extend(examples(
        Some("returns_exchanges"),
        &[
            "환불 받고 싶어요",
            "반품 신청 할게요",
            "사이즈 교환 되나요?",
            "환불 어떻게 받아요",
            "물건이 마음에 안 들어서 반품하려고요",
            "교환 요청 드려요",
            "I want a refund",
            "how do I return this item?",
            "can I exchange it for a bigger size?",
        ],
    ));
    all.extend(examples(
        Some("human_handoff"),
        &[
            "상담원 연결 해주세요",
            "사람이랑 얘기하고 싶어요",
            "직원 바꿔주세요",
            "상담사 연결 부탁드려요",
            "실제 사람과 통화하고 싶어요",
            "상담원이랑 이야기할래요",
            "talk to a human",
            "can I speak to an agent?",
            "I need a real person",
        ],
    ));
    all.extend(examples(
        None,
        &[
            "오늘 날씨 어때요?",
            "재밌는 농담 해줘",
            "파이썬 코드 짜줘",
            "어제 야구 누가 이겼어?",
            "심심해 놀아줘",
            "주식 시세 알려줘",
            "what's the weather tomorrow?",
            "tell me a joke",
            "who won the election?",
        ],
    ));
    all
}

fn route(router: &Router, text: &str) -> Option<String> {
    router.route(text).intent
}

#[test]
fn the_same_examples_give_the_same_router() {
    let data = shop();
    let a = Router::train(&data, None, &TrainOptions::default()).unwrap();
    let b = Router::train(&data, None, &TrainOptions::default()).unwrap();
    assert_eq!(a.threshold(), b.threshold());
    for text in ["배송 언제 와요", "refund please", "오늘 날씨", "상담원", "완전히 새로운 문장"] {
        assert_eq!(a.route(text), b.route(text), "{text}");
    }
    let other_seed =
        TrainOptions { model: ModelOptions { seed: 7, ..ModelOptions::default() }, ..TrainOptions::default() };
    let c = Router::train(&data, None, &other_seed).unwrap();
    assert_ne!(a.route("배송 언제 와요").confidence, c.route("배송 언제 와요").confidence, "the seed is used");
}

#[test]
fn typos_and_missing_spaces_still_route() {
    let router = Router::train(&shop(), None, &TrainOptions::default()).unwrap();
    for (text, intent) in [
        ("배송조회해주세요", "order_tracking"),
        ("배송 상태 확인 하고싶어요", "order_tracking"),
        ("택배 어디쯤와써요", "order_tracking"),
        ("주문 취소 해주세여", "order_cancellation"),
        ("주뮨취소", "order_cancellation"),
        ("환뷸 받고싶어요", "returns_exchanges"),
        ("반품신청할께요", "returns_exchanges"),
        ("상담원연결", "human_handoff"),
        ("ＣＡＮＣＥＬ my order", "order_cancellation"),
        ("Where is my ORDER", "order_tracking"),
    ] {
        assert_eq!(route(&router, text).as_deref(), Some(intent), "{text}: {:?}", router.route(text));
    }
}

#[test]
fn out_of_scope_text_gets_no_intent() {
    let router = Router::train(&shop(), None, &TrainOptions::default()).unwrap();
    for text in ["내일 날씨 어때?", "농담 하나 해줘", "tell me a funny joke", "who won the baseball game?"]
    {
        let routing = router.route(text);
        assert_eq!(routing.intent, None, "{text}: {routing:?} below {}", router.threshold());
    }
    let routing = router.route("환불 받고 싶어요");
    assert_eq!(routing.intent.as_deref(), Some("returns_exchanges"));
    assert!(routing.confidence >= router.threshold() && routing.confidence <= 1.0, "{routing:?}");
    assert_eq!(routing.ranked.len(), 3);
    assert_eq!(routing.ranked[0].0, "returns_exchanges");
    assert!(routing.ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{routing:?}");
}

#[test]
fn the_threshold_follows_the_validation_lines() {
    let data = shop();
    let in_scope: Vec<Example> = data.iter().filter(|e| e.intent.is_some()).cloned().collect();
    // Without out-of-scope lines anywhere, nothing is worth rejecting.
    let open = Router::train(&in_scope, Some(&in_scope), &TrainOptions::default()).unwrap();
    assert_eq!(open.threshold(), 0.0);
    assert_eq!(route(&open, "오늘 날씨 어때요?").map(|_| ()), Some(()), "always some intent");
    // Validation lines that are out of scope and look like no intent raise the threshold.
    let mut val = in_scope.clone();
    val.extend(examples(None, &["오늘 날씨 어때요?", "재밌는 농담 해줘", "tell me a joke", "주식 시세 알려줘"]));
    let strict = Router::train(&in_scope, Some(&val), &TrainOptions::default()).unwrap();
    assert!(strict.threshold() > 0.0);
    assert_eq!(route(&strict, "오늘 날씨 어때요?"), None);
    assert_eq!(route(&strict, "주문 취소 해주세요").as_deref(), Some("order_cancellation"));
}

#[test]
fn a_message_with_nothing_known_is_out_of_scope() {
    let data: Vec<Example> = shop().into_iter().filter(|e| e.intent.is_some()).collect();
    let router = Router::train(&data, Some(&data), &TrainOptions::default()).unwrap();
    assert_eq!(route(&router, "ξψω"), None);
    assert_eq!(route(&router, ""), None);
}

#[test]
fn training_rejects_bad_sets() {
    let one = examples(Some("a"), &["hello", "hi"]);
    assert!(matches!(
        Router::train(&one, None, &TrainOptions::default()),
        Err(RouterError::TooFewIntents { found: 1 })
    ));
    let mut blank = shop();
    blank[3].text = "  \t".into();
    assert!(matches!(Router::train(&blank, None, &TrainOptions::default()), Err(RouterError::EmptyText { index: 3 })));
}

#[test]
fn intents_are_listed_in_name_order() {
    let router = Router::train(&shop(), None, &TrainOptions::default()).unwrap();
    let intents: Vec<&str> = router.intents().collect();
    assert_eq!(intents, ["human_handoff", "order_cancellation", "order_tracking", "returns_exchanges"]);
}

#[test]
fn the_sparse_layout_routes_like_the_dense_one() {
    let data = shop();
    let sparse = TrainOptions {
        model: ModelOptions { max_dense_weights: 0, ..ModelOptions::default() },
        ..TrainOptions::default()
    };
    let router = Router::train(&data, None, &sparse).unwrap();
    for e in data.iter().filter(|e| e.intent.is_some()) {
        assert_eq!(router.route(&e.text).ranked[0].0, *e.intent.as_ref().unwrap(), "{}", e.text);
    }
}

#[test]
fn jsonl_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    std::fs::write(
        &path,
        "\u{feff}{\"text\": \"hi\", \"intent\": \"greeting\"}\n\n{\"text\": \"weather?\", \"intent\": null}\n",
    )
    .unwrap();
    let read = read_jsonl(&path).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[1], Example { text: "weather?".into(), intent: None });

    for (bad, needle) in [
        ("{\"text\": \"hi\"", "EOF"),
        ("{\"text\": \"hi\"}", "missing \"intent\""),
        ("{\"text\": \" \", \"intent\": \"a\"}", "text is empty"),
        ("{\"text\": \"hi\", \"intent\": 3}", "invalid type"),
    ] {
        std::fs::write(&path, format!("{{\"text\": \"ok\", \"intent\": null}}\n{bad}\n")).unwrap();
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let missing = read_jsonl(&dir.path().join("nope.jsonl")).unwrap_err();
    assert!(missing.to_string().contains("nope.jsonl"), "{missing}");
}

#[test]
fn out_of_scope_training_lines_set_the_threshold_even_with_validation_lines() {
    let data = shop();
    let in_scope: Vec<Example> = data.iter().filter(|e| e.intent.is_some()).cloned().collect();
    // The validation lines hold no out-of-scope line; the training set's, predicted out of fold, still
    // count (with a share of them large enough to be worth a threshold on this small set).
    let opts = TrainOptions { out_of_scope_share: 0.2, ..TrainOptions::default() };
    let router = Router::train(&data, Some(&in_scope), &opts).unwrap();
    assert!(router.threshold() > 0.0);
    assert_eq!(route(&router, "주문 취소 해주세요").as_deref(), Some("order_cancellation"));
}

/// Writes labelled lines as JSONL.
fn write_jsonl(path: &std::path::Path, lines: &[Example]) {
    let text: String = lines.iter().map(|e| serde_json::to_string(e).unwrap() + "\n").collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn eval_never_judges_a_line_with_a_threshold_fitted_on_it() {
    use eval::{Status, Training, evaluate};
    let dir = tempfile::tempdir().unwrap();
    let in_scope: Vec<Example> = shop().into_iter().filter(|e| e.intent.is_some()).collect();
    // Nothing out of scope to learn from but the one validation line.
    let mut val = examples(Some("order_tracking"), &["배송 언제 와요?", "택배 조회 부탁해요"]);
    val.extend(examples(None, &["오늘 날씨 어때요?"]));
    let (train_path, val_path, other_path) =
        (dir.path().join("train.jsonl"), dir.path().join("val.jsonl"), dir.path().join("other.jsonl"));
    write_jsonl(&train_path, &in_scope);
    write_jsonl(&val_path, &val);
    write_jsonl(&other_path, &examples(None, &["내일 날씨 어때요?"]));
    let training = Training::Files { train: train_path, val: Some(val_path.clone()) };
    let opts = TrainOptions::default();

    // The router itself learns from that line to reject weather questions...
    let other = evaluate(&other_path, &training, &opts, &mut Status::silent()).unwrap();
    assert_eq!(other.cross_fitted_folds, None, "{other:?}");
    assert!(other.threshold > 0.0, "{other:?}");
    assert_eq!(other.oos_recall, Some(100.0), "{other:?}");
    // ...but judged on the validation file, that line is judged by a calibration that never saw it,
    // which knows of nothing out of scope and so rejects nothing.
    let same = evaluate(&val_path, &training, &opts, &mut Status::silent()).unwrap();
    assert_eq!(same.cross_fitted_folds, Some(eval::CROSS_FIT_FOLDS), "{same:?}");
    assert_eq!(same.threshold, other.threshold, "the reported threshold is the one fitted on all lines");
    assert_eq!(same.oos_recall, Some(0.0), "{same:?}");
    assert_eq!(same.in_scope_accuracy, Some(100.0), "{same:?}");
}
