//! Measuring routing quality and speed on labelled lines: what `sangdam eval` runs.
//!
//! Training data comes either from a skills folder (the same examples the server trains on) or from
//! JSONL files; both become [`Example`]s and go through the same training and scoring.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::catalog::catalog_examples;
use super::{Example, OUT_OF_SCOPE_FILE, Router, RouterError, TrainOptions, read_jsonl, read_out_of_scope};
use crate::skills::Catalog;

/// Where the router under test learns from.
#[derive(Debug, Clone)]
pub enum Training {
    /// A skills folder: every skill's examples plus its `out_of_scope.txt`.
    Skills(PathBuf),
    /// Labelled JSONL files: a training set and, optionally, a validation set to calibrate on.
    Files {
        /// Training lines.
        train: PathBuf,
        /// Validation lines; without them calibration uses cross-validation folds.
        val: Option<PathBuf>,
    },
}

/// What an evaluation measured; printed as one JSON line.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Percent of in-scope test lines routed to their intent; `None` when there are none.
    pub in_scope_accuracy: Option<f64>,
    /// Percent of out-of-scope test lines called out of scope; `None` when there are none.
    pub oos_recall: Option<f64>,
    /// Wall time of training and calibration.
    pub train_seconds: f64,
    /// Mean time to route one test line on a warm router, in microseconds.
    pub single_utterance_us: f64,
    /// Training examples.
    pub examples: usize,
    /// Intents the router knows.
    pub intents: usize,
    /// The out-of-scope threshold it chose.
    pub threshold: f32,
    /// Test lines scored.
    pub test_lines: usize,
}

/// Trains a router as `training` says and scores it on the lines of `data`.
pub fn evaluate(
    data: &Path,
    training: &Training,
    opts: &TrainOptions,
    status: &mut Status,
) -> Result<Report, RouterError> {
    status.show("reading data");
    let test = read_jsonl(data)?;
    let (train, val) = load(training)?;
    status.show(&format!("training on {} examples", train.len()));
    let started = Instant::now();
    let router = Router::train(&train, val.as_deref(), opts)?;
    let train_seconds = started.elapsed().as_secs_f64();

    // Warm the caches and the branch predictors before timing.
    for example in test.iter().take(200) {
        std::hint::black_box(router.route(&example.text));
    }
    let (mut in_scope, mut in_scope_right, mut oos, mut oos_right) = (0usize, 0usize, 0usize, 0usize);
    let mut routing_time = Duration::ZERO;
    for (i, example) in test.iter().enumerate() {
        if i % 256 == 0 {
            status.show(&format!("routing {i}/{}", test.len()));
        }
        let started = Instant::now();
        let routing = router.route(&example.text);
        routing_time += started.elapsed();
        match &example.intent {
            Some(intent) => {
                in_scope += 1;
                in_scope_right += usize::from(routing.intent.as_ref() == Some(intent));
            }
            None => {
                oos += 1;
                oos_right += usize::from(routing.intent.is_none());
            }
        }
    }
    status.clear();
    let percent =
        |right: usize, total: usize| (total > 0).then(|| (10_000.0 * right as f64 / total as f64).round() / 100.0);
    Ok(Report {
        in_scope_accuracy: percent(in_scope_right, in_scope),
        oos_recall: percent(oos_right, oos),
        train_seconds: (train_seconds * 1000.0).round() / 1000.0,
        single_utterance_us: (routing_time.as_secs_f64() * 1e7 / test.len().max(1) as f64).round() / 10.0,
        examples: train.len(),
        intents: router.intents().count(),
        threshold: router.threshold(),
        test_lines: test.len(),
    })
}

/// The training and, when given, validation examples.
fn load(training: &Training) -> Result<(Vec<Example>, Option<Vec<Example>>), RouterError> {
    match training {
        Training::Skills(dir) => {
            let catalog = Catalog::load(dir)?;
            let out_of_scope = read_out_of_scope(&dir.join(OUT_OF_SCOPE_FILE))?;
            Ok((catalog_examples(&catalog, &out_of_scope), None))
        }
        Training::Files { train, val } => Ok((read_jsonl(train)?, val.as_deref().map(read_jsonl).transpose()?)),
    }
}

/// A one-line status on standard error for long runs; silent unless standard error is a terminal.
pub struct Status {
    enabled: bool,
    shown: bool,
}

impl Status {
    /// A status line that shows only on a terminal.
    pub fn stderr() -> Status {
        Status { enabled: std::io::stderr().is_terminal(), shown: false }
    }

    /// A status line that never shows.
    pub fn silent() -> Status {
        Status { enabled: false, shown: false }
    }

    /// Replaces the line with `message`.
    pub fn show(&mut self, message: &str) {
        if self.enabled {
            // Carriage return, text, then clear to the end of the line.
            let _ = write!(std::io::stderr(), "\r{message}\x1b[K");
            self.shown = true;
        }
    }

    /// Removes the line.
    pub fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}
