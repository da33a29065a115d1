//! The embedded router trained from the shipped skills, and `sangdam eval` run as a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

use sangdam::router::{OUT_OF_SCOPE_FILE, Router, read_out_of_scope};
use sangdam::skills::Catalog;

fn skills_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("skills")
}

fn shipped_router() -> Router {
    let dir = skills_dir();
    let catalog = Catalog::load(&dir).expect("the shipped skills load");
    let out_of_scope = read_out_of_scope(&dir.join(OUT_OF_SCOPE_FILE)).expect("out_of_scope.txt reads");
    assert!(out_of_scope.len() >= 50, "only {} out-of-scope lines", out_of_scope.len());
    Router::from_catalog(&catalog, &out_of_scope).expect("the router trains")
}

#[test]
fn the_shipped_skills_route_obvious_messages() {
    let router = shipped_router();
    assert_eq!(router.intents().count(), 8);
    for (text, skill) in [
        ("배송 조회 좀 해 주세요", "order_tracking"),
        ("주문한 거 언제 와요?", "order_tracking"),
        ("주문 취소 하고 싶어요", "order_cancellation"),
        ("환불 받으려면 어떻게 해야 돼요?", "returns_exchanges"),
        ("상담원 연결해주세요", "human_handoff"),
        ("안녕하세요~", "greeting"),
        ("where is my order", "order_tracking"),
        ("I want to cancel my order", "order_cancellation"),
        ("I'd like to talk to a human", "human_handoff"),
        ("what are your opening hours", "business_hours"),
    ] {
        let routing = router.route(text);
        assert_eq!(routing.intent.as_deref(), Some(skill), "{text}: {routing:?}");
        assert!((0.0..=1.0).contains(&routing.confidence));
    }
}

#[test]
fn a_message_no_skill_covers_is_out_of_scope() {
    let router = shipped_router();
    for text in ["what's the weather in Busan today?", "부산 날씨 알려줘"] {
        let routing = router.route(text);
        assert_eq!(routing.intent, None, "{text}: {routing:?} (threshold {})", router.threshold());
    }
}

fn eval(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sangdam")).arg("eval").args(args).output().expect("sangdam runs")
}

#[test]
fn eval_prints_its_figures_as_the_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("test.jsonl");
    std::fs::write(
        &data,
        "{\"text\": \"택배 어디쯤 왔나요?\", \"intent\": \"order_tracking\"}\n\
         {\"text\": \"cancel my order please\", \"intent\": \"order_cancellation\"}\n\
         {\"text\": \"부산 날씨 알려줘\", \"intent\": null}\n",
    )
    .unwrap();
    let out = eval(&["--data", data.to_str().unwrap(), "--skills", skills_dir().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["in_scope_accuracy"], 100.0, "{report}");
    assert_eq!(report["oos_recall"], 100.0, "{report}");
    assert_eq!(report["test_lines"], 3);
    assert_eq!(report["intents"], 8);
    assert!(report["examples"].as_u64().unwrap() > 50, "{report}");
    assert!(report["train_seconds"].as_f64().unwrap() >= 0.0);
    assert!(report["single_utterance_us"].as_f64().unwrap() > 0.0);

    // Training from files goes through the same path: without out-of-scope test lines the recall is null.
    let train = dir.path().join("train.jsonl");
    let lines: String = [("배송 조회", "track"), ("택배 어디", "track"), ("where is my parcel", "track")]
        .iter()
        .chain(&[("주문 취소", "cancel"), ("결제 취소", "cancel"), ("cancel my order", "cancel")])
        .map(|(text, intent)| format!("{{\"text\": \"{text}\", \"intent\": \"{intent}\"}}\n"))
        .collect();
    std::fs::write(&train, lines).unwrap();
    let only_in_scope = dir.path().join("in.jsonl");
    std::fs::write(&only_in_scope, "{\"text\": \"배송 조회 해주세요\", \"intent\": \"track\"}\n").unwrap();
    let out = eval(&["--data", only_in_scope.to_str().unwrap(), "--train", train.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(report["oos_recall"], serde_json::Value::Null, "{report}");
    assert_eq!(report["in_scope_accuracy"], 100.0, "{report}");
}

#[test]
fn eval_names_the_bad_line_and_exits_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("test.jsonl");
    std::fs::write(&data, "{\"text\": \"hi\", \"intent\": \"greeting\"}\n{\"text\": \"oops\"\n").unwrap();
    let out = eval(&["--data", data.to_str().unwrap(), "--skills", skills_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:2:", data.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    std::fs::write(&data, "{\"text\": \"hi\", \"intent\": \"greeting\"}\n").unwrap();
    let out = eval(&["--data", data.to_str().unwrap(), "--train", "/nonexistent/train.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/train.jsonl"));
}
