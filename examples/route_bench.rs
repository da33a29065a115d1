//! Router benchmark: training time, peak memory, and single-thread routing latency and throughput.
//!
//! Trains on a labelled JSONL set (calibrating on a validation set when given, otherwise on
//! cross-validation folds), then routes every line of the test set one at a time, several rounds,
//! timing each call. Prints one JSON line.
//!
//! ```sh
//! D=/work/shared/datasets/clinc150
//! cargo run --release --example route_bench -- --train $D/train.jsonl --val $D/val.jsonl --test $D/val.jsonl
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use sangdam::router::{Router, TrainOptions, read_jsonl};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Training lines.
    #[arg(long)]
    train: PathBuf,
    /// Validation lines to calibrate on.
    #[arg(long)]
    val: Option<PathBuf>,
    /// Lines to route; the validation lines (or else the training lines) when not given.
    #[arg(long)]
    test: Option<PathBuf>,
    /// Passes over the test lines; the first one warms up and is not counted.
    #[arg(long, default_value_t = 4)]
    rounds: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let train = read_jsonl(&args.train)?;
    let val = args.val.as_deref().map(read_jsonl).transpose()?;
    let test = match (&args.test, &val) {
        (Some(path), _) => read_jsonl(path)?,
        (None, Some(val)) => val.clone(),
        (None, None) => train.clone(),
    };
    let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
    anyhow::ensure!(!texts.is_empty(), "no lines to route");

    let started = Instant::now();
    let router = Router::train(&train, val.as_deref(), &TrainOptions::default())?;
    let train_seconds = started.elapsed().as_secs_f64();
    let peak_rss_mb = peak_rss_kib().map(|kib| kib as f64 / 1024.0);

    for text in &texts {
        std::hint::black_box(router.route(text));
    }
    let mut latencies = Vec::with_capacity(texts.len() * args.rounds.saturating_sub(1));
    let timed = Instant::now();
    for _ in 1..args.rounds.max(2) {
        for text in &texts {
            let started = Instant::now();
            std::hint::black_box(router.route(text));
            latencies.push(started.elapsed().as_nanos() as f64 / 1000.0);
        }
    }
    let elapsed = timed.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let report = json!({
        "train_examples": train.len(),
        "intents": router.intents().count(),
        "train_seconds": round(train_seconds, 3),
        "peak_rss_mb": peak_rss_mb.map(|mb| round(mb, 1)),
        "utterances_per_second": round(latencies.len() as f64 / elapsed, 0),
        "us_mean": round(latencies.iter().sum::<f64>() / latencies.len() as f64, 2),
        "us_p50": round(quantile(0.5), 2),
        "us_p99": round(quantile(0.99), 2),
    });
    println!("{report}");
    Ok(())
}

/// Peak resident set size so far (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}
