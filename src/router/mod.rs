//! The embedded intent router: which skill, if any, a customer's message is asking for.
//!
//! It is trained at start-up from labelled utterances (the skills' examples plus out-of-scope
//! lines), offline and deterministic: the same examples always give the same model and the same
//! answers. An utterance becomes a TF-IDF vector over word, character and jamo n-grams
//! ([`features`]); a multinomial logistic regression scores it ([`model`]); a temperature turns
//! the scores into a calibrated confidence, and below the out-of-scope threshold the message is out
//! of scope ([`calibrate`]). Out-of-scope training lines are learned as a class of their own, which
//! teaches the model what "none of these" looks like.
//!
//! Temperature and threshold are cross-fitted: they are chosen on predictions for lines the
//! predicting model never saw, the out-of-fold predictions of a cross-validation over the training
//! set ([`folds`]) plus the validation lines when there are some. Choosing a threshold on the lines
//! it is then judged on flatters it, so [`eval`], which measures a router on labelled lines for
//! `sangdam eval`, judges every line with a calibration fitted without it.

mod calibrate;
mod catalog;
pub mod eval;
mod features;
mod folds;
mod model;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use calibrate::{Calibration, Gold, HeldOut};
pub use catalog::{OUT_OF_SCOPE_FILE, read_out_of_scope};
pub use features::FeatureOptions;
use features::{Featurizer, SparseVec};
use model::Linear;
pub use model::ModelOptions;
pub use text::normalize;

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// What the customer wrote.
    pub text: String,
    /// The intent (skill id) it asks for; `None` when no skill covers it.
    pub intent: Option<String>,
}

/// How a router is trained; the defaults were chosen on validation data.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// How text becomes features.
    pub features: FeatureOptions,
    /// How the classifier is fitted.
    pub model: ModelOptions,
    /// Cross-validation folds over the training set, whose out-of-fold predictions calibrate.
    pub folds: usize,
    /// Share of messages assumed to be out of scope when choosing the threshold, in `(0, 1)`. A
    /// small share keeps in-scope accuracy first: on CLINC150's validation lines, judged
    /// cross-fitted, 0.02 gives 93.7 % / 51 % out-of-scope recall, 0.025 93.2 % / 63 %, 0.04
    /// 93.1 % / 72 % and 0.2 90.1 % / 84 %.
    pub out_of_scope_share: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            features: FeatureOptions::default(),
            model: ModelOptions::default(),
            folds: 4,
            out_of_scope_share: 0.025,
        }
    }
}

/// Why a router could not be trained or its data read.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// A classifier needs at least two intents to choose between.
    #[error("training needs at least 2 intents, found {found}")]
    TooFewIntents {
        /// Distinct intents in the training examples.
        found: usize,
    },
    /// A training example is blank.
    #[error("training example {index} has no text")]
    EmptyText {
        /// 0-based position in the training examples.
        index: usize,
    },
    /// A data file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A line of a data file is not a valid example.
    #[error("{}:{line}: {message}", path.display())]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The skill manifests could not be loaded.
    #[error(transparent)]
    Skills(#[from] crate::skills::CatalogError),
}

/// Where a message was routed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Routing {
    /// The intent, or `None` when the message is out of scope.
    pub intent: Option<String>,
    /// Calibrated probability of the likeliest intent, in `[0, 1]`.
    pub confidence: f32,
    /// Up to three likeliest intents with their probabilities, best first.
    pub ranked: Vec<(String, f32)>,
}

/// A trained intent classifier; immutable, so it can be shared behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Router {
    featurizer: Featurizer,
    model: Linear,
    /// Intent names by class index; an out-of-scope class, when trained, follows them.
    intents: Vec<String>,
    calibration: Calibration,
}

impl Router {
    /// Trains on `train` and calibrates on its out-of-fold predictions, plus `val` when given.
    pub fn train(train: &[Example], val: Option<&[Example]>, opts: &TrainOptions) -> Result<Router, RouterError> {
        let fitted = Fitted::train(train, opts)?;
        let mut held = fitted.out_of_fold.clone();
        held.extend(val.unwrap_or_default().iter().map(|e| fitted.score(e)));
        let calibration = calibrate::fit(&held, fitted.intents.len(), opts.out_of_scope_share);
        Ok(fitted.calibrated(calibration))
    }

    /// Routes one message.
    pub fn route(&self, text: &str) -> Routing {
        let x = self.featurizer.vectorize(text);
        let mut p = self.model.scores(&x);
        let decision = self.calibration.decide(&mut p, self.intents.len());
        let mut ranked: Vec<(usize, f32)> = p[..self.intents.len()].iter().copied().enumerate().collect();
        let top = ranked.len().min(3);
        ranked.select_nth_unstable_by(top - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(top);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // A message with no gram the router has ever seen carries no evidence for any intent.
        let in_scope = !x.ids.is_empty() && self.calibration.accepts(&decision);
        Routing {
            intent: in_scope.then(|| self.intents[decision.best].clone()),
            confidence: decision.confidence.clamp(0.0, 1.0),
            ranked: ranked.into_iter().map(|(i, p)| (self.intents[i].clone(), p)).collect(),
        }
    }

    /// The intents it can route to, in name order.
    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(String::as_str)
    }

    /// The confidence below which a message is out of scope.
    pub fn threshold(&self) -> f32 {
        self.calibration.threshold
    }
}

/// A trained model that is not calibrated yet, with the out-of-fold predictions to calibrate it on.
#[derive(Debug)]
struct Fitted {
    featurizer: Featurizer,
    model: Linear,
    /// Intent names by class index.
    intents: Vec<String>,
    /// Every training line scored by a fold model that did not see it, in training order.
    out_of_fold: Vec<HeldOut>,
}

impl Fitted {
    /// Checks the training set, fits the model on all of it and cross-validates it.
    fn train(train: &[Example], opts: &TrainOptions) -> Result<Fitted, RouterError> {
        if let Some(index) = train.iter().position(|e| normalize(&e.text).is_empty()) {
            return Err(RouterError::EmptyText { index });
        }
        let intents: Vec<String> =
            train.iter().filter_map(|e| e.intent.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        if intents.len() < 2 {
            return Err(RouterError::TooFewIntents { found: intents.len() });
        }
        let (featurizer, model, out_of_fold) = folds::fit_and_cross_validate(train, &intents, opts);
        Ok(Fitted { featurizer, model, intents, out_of_fold })
    }

    /// The final model's raw scores for a line it was not trained on, with the line's truth.
    fn score(&self, example: &Example) -> HeldOut {
        held_out(&self.featurizer, &self.model, &self.intents, example)
    }

    /// The router this model makes with `calibration`.
    fn calibrated(self, calibration: Calibration) -> Router {
        Router { featurizer: self.featurizer, model: self.model, intents: self.intents, calibration }
    }
}

/// Fits the features and the classifier on `train`.
fn fit(train: &[Example], intents: &[String], opts: &TrainOptions) -> (Featurizer, Linear) {
    let featurizer = Featurizer::fit(train.iter().map(|e| e.text.as_str()), &opts.features);
    let vectors: Vec<SparseVec> = train.iter().map(|e| featurizer.vectorize(&e.text)).collect();
    let labels: Vec<usize> = train.iter().map(|e| class_of(intents, e.intent.as_deref())).collect();
    let classes = intents.len() + usize::from(labels.contains(&intents.len()));
    let model = Linear::train(&vectors, &labels, classes, featurizer.dimension(), &opts.model);
    (featurizer, model)
}

/// The class index of an intent of the training set; out of scope is the class after the intents.
fn class_of(intents: &[String], intent: Option<&str>) -> usize {
    intent.and_then(|name| intents.binary_search_by(|i| i.as_str().cmp(name)).ok()).unwrap_or(intents.len())
}

/// The raw scores of one held-out line and its truth.
fn held_out(featurizer: &Featurizer, model: &Linear, intents: &[String], example: &Example) -> HeldOut {
    let gold = match example.intent.as_deref() {
        None => Gold::OutOfScope,
        Some(name) => match class_of(intents, Some(name)) {
            c if c < intents.len() => Gold::Class(c),
            _ => Gold::Unknown,
        },
    };
    let x = featurizer.vectorize(&example.text);
    HeldOut { scores: model.scores(&x), evidence: !x.ids.is_empty(), gold }
}

/// Reads labelled lines `{"text": …, "intent": … | null}`; blank lines are skipped.
pub fn read_jsonl(path: &Path) -> Result<Vec<Example>, RouterError> {
    let content = std::fs::read_to_string(path).map_err(|source| RouterError::Io { path: path.to_owned(), source })?;
    let mut examples = Vec::new();
    // Editors on Windows may start the file with a byte-order mark.
    for (index, line) in content.trim_start_matches('\u{feff}').lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| RouterError::BadLine { path: path.to_owned(), line: index + 1, message };
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        if value.get("intent").is_none() {
            return Err(bad("missing \"intent\" (null marks an out-of-scope line)".into()));
        }
        let example = Example::deserialize(value).map_err(|e| bad(e.to_string()))?;
        if normalize(&example.text).is_empty() {
            return Err(bad("text is empty".into()));
        }
        if example.intent.as_deref().is_some_and(|i| i.trim().is_empty()) {
            return Err(bad("intent must be a name or null".into()));
        }
        examples.push(example);
    }
    Ok(examples)
}
