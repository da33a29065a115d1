//! Measuring routing quality and speed on labelled lines: what `sangdam eval` runs.
//!
//! Training data comes either from a skills folder (the same examples the server trains on) or from
//! JSONL files; both become [`Example`]s and go through the same training and scoring.
//!
//! A line is never judged by a threshold (or temperature) chosen on it. The router calibrates on the
//! out-of-fold predictions of its training lines plus the validation lines; when test lines are
//! among those (`--data` the validation file itself, say), the test lines are dealt into
//! [`CROSS_FIT_FOLDS`] stratified folds, and each fold is judged with a calibration fitted on every
//! calibration line whose text is not in that fold. The model itself is the same for every fold and
//! never sees the validation lines. The threshold reported is the one fitted on all of them, which
//! is what a router trained this way would use.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::calibrate::{self, Calibration, Gold, HeldOut};
use super::catalog::catalog_examples;
use super::{Example, Fitted, OUT_OF_SCOPE_FILE, RouterError, TrainOptions, folds, read_jsonl, read_out_of_scope};
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
        /// Validation lines, calibrated on beside the training lines' out-of-fold predictions.
        val: Option<PathBuf>,
    },
}

/// Folds the test lines are judged in when some of them were calibrated on.
pub const CROSS_FIT_FOLDS: usize = 5;

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
    /// The out-of-scope threshold it chose, on all its calibration lines.
    pub threshold: f32,
    /// Test lines scored.
    pub test_lines: usize,
    /// Folds the test lines were judged in, each with a calibration fitted without it, when some
    /// test lines were among the calibration lines; `None` when none were, and one calibration
    /// judged them all.
    pub cross_fitted_folds: Option<usize>,
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
    let fitted = Fitted::train(&train, opts)?;
    let texts = train.iter().map(|e| e.text.as_str());
    let mut calibration_lines: Vec<(&str, HeldOut)> = texts.zip(fitted.out_of_fold.iter().cloned()).collect();
    calibration_lines.extend(val.iter().flatten().map(|e| (e.text.as_str(), fitted.score(e))));
    let held: Vec<HeldOut> = calibration_lines.iter().map(|(_, line)| line.clone()).collect();
    let calibration = calibrate::fit(&held, fitted.intents.len(), opts.out_of_scope_share);
    let train_seconds = started.elapsed().as_secs_f64();

    status.show("judging");
    let judged = judge(&fitted, &calibration, &calibration_lines, &test, opts);
    let examples = train.len();
    let intents = fitted.intents.len();
    let router = fitted.calibrated(calibration);

    // Warm the caches and the branch predictors before timing.
    for example in test.iter().take(200) {
        std::hint::black_box(router.route(&example.text));
    }
    let mut routing_time = Duration::ZERO;
    for (i, example) in test.iter().enumerate() {
        if i % 256 == 0 {
            status.show(&format!("routing {i}/{}", test.len()));
        }
        let started = Instant::now();
        std::hint::black_box(router.route(&example.text));
        routing_time += started.elapsed();
    }
    status.clear();
    let percent =
        |right: usize, total: usize| (total > 0).then(|| (10_000.0 * right as f64 / total as f64).round() / 100.0);
    Ok(Report {
        in_scope_accuracy: percent(judged.in_scope_right, judged.in_scope),
        oos_recall: percent(judged.oos_right, judged.oos),
        train_seconds: (train_seconds * 1000.0).round() / 1000.0,
        single_utterance_us: (routing_time.as_secs_f64() * 1e7 / test.len().max(1) as f64).round() / 10.0,
        examples,
        intents,
        threshold: router.threshold(),
        test_lines: test.len(),
        cross_fitted_folds: judged.folds,
    })
}

/// Counts of test lines and of those handled right.
#[derive(Debug, Default, PartialEq)]
struct Judged {
    in_scope: usize,
    in_scope_right: usize,
    oos: usize,
    oos_right: usize,
    /// Folds judged apart, when the test lines overlap the calibration lines.
    folds: Option<usize>,
}

/// Judges every test line with a calibration fitted on the calibration lines whose text is not the
/// line's (nor that of any line of its fold); `full`, fitted on them all, when no test line is among
/// them.
fn judge(
    fitted: &Fitted,
    full: &Calibration,
    calibration_lines: &[(&str, HeldOut)],
    test: &[Example],
    opts: &TrainOptions,
) -> Judged {
    let test_texts: HashSet<&str> = test.iter().map(|e| e.text.as_str()).collect();
    let overlap = calibration_lines.iter().any(|(text, _)| test_texts.contains(text));
    let (folds, fold_of) = match overlap {
        true => (CROSS_FIT_FOLDS, folds::assign_folds(test, &fitted.intents, CROSS_FIT_FOLDS, opts.model.seed)),
        false => (1, vec![0; test.len()]),
    };
    let mut judged = Judged { folds: overlap.then_some(folds), ..Judged::default() };
    for fold in 0..folds {
        let members: Vec<&Example> = test.iter().zip(&fold_of).filter(|&(_, &f)| f == fold).map(|(e, _)| e).collect();
        let calibration = match overlap {
            true => {
                let judged_texts: HashSet<&str> = members.iter().map(|e| e.text.as_str()).collect();
                let held: Vec<HeldOut> = calibration_lines
                    .iter()
                    .filter(|(text, _)| !judged_texts.contains(text))
                    .map(|(_, line)| line.clone())
                    .collect();
                calibrate::fit(&held, fitted.intents.len(), opts.out_of_scope_share)
            }
            false => *full,
        };
        for example in members {
            let line = fitted.score(example);
            let routed = calibration.route(&line, fitted.intents.len());
            match line.gold {
                Gold::OutOfScope => {
                    judged.oos += 1;
                    judged.oos_right += usize::from(routed.is_none());
                }
                Gold::Class(c) => {
                    judged.in_scope += 1;
                    judged.in_scope_right += usize::from(routed == Some(c));
                }
                Gold::Unknown => judged.in_scope += 1,
            }
        }
    }
    judged
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
