//! Out-of-fold predictions from a stratified cross-validation of the training set, which the
//! router is calibrated on.
//!
//! The fold models and the final model are independent jobs, run on up to two threads. Each job's
//! result depends only on its own inputs and results are put back in job order, so the router is
//! the same whichever thread finishes first.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::calibrate::HeldOut;
use super::features::Featurizer;
use super::model::{Linear, SplitMix};
use super::{Example, TrainOptions, class_of, fit, held_out};

/// Most trainings run at once: each holds its own weights, and the machine may be shared.
const MAX_THREADS: usize = 2;

/// What one job produced.
enum Outcome {
    Final(Featurizer, Linear),
    Fold(Vec<(usize, HeldOut)>),
}

/// Fits the router's model on all of `train`, and scores every training line with a model that
/// did not see it, in training order.
pub(super) fn fit_and_cross_validate(
    train: &[Example],
    intents: &[String],
    opts: &TrainOptions,
) -> (Featurizer, Linear, Vec<HeldOut>) {
    let folds = opts.folds.max(2);
    let fold_of = assign_folds(train, intents, folds, opts.model.seed);
    // Job 0 is the final model, the longest, so it starts first.
    let run = |job: usize| match job {
        0 => {
            let (featurizer, model) = fit(train, intents, opts);
            Outcome::Final(featurizer, model)
        }
        _ => {
            let fold = job - 1;
            let part: Vec<Example> =
                train.iter().zip(&fold_of).filter(|&(_, &f)| f != fold).map(|(e, _)| e.clone()).collect();
            let (featurizer, model) = fit(&part, intents, opts);
            let scored = train.iter().enumerate().filter(|&(i, _)| fold_of[i] == fold);
            Outcome::Fold(scored.map(|(i, e)| (i, held_out(&featurizer, &model, intents, e))).collect())
        }
    };
    let mut outcomes = run_jobs(folds + 1, run);

    let mut held: Vec<Option<HeldOut>> = (0..train.len()).map(|_| None).collect();
    let mut final_model = None;
    for outcome in outcomes.drain(..) {
        match outcome {
            Outcome::Final(featurizer, model) => final_model = Some((featurizer, model)),
            Outcome::Fold(lines) => lines.into_iter().for_each(|(i, line)| held[i] = Some(line)),
        }
    }
    // Job 0 always yields the final model; fitting again is only a guard against a broken invariant.
    let (featurizer, model) = final_model.unwrap_or_else(|| fit(train, intents, opts));
    (featurizer, model, held.into_iter().flatten().collect())
}

/// Stratified folds: each class's examples, shuffled from a fixed seed, dealt out in turn.
pub(super) fn assign_folds(train: &[Example], intents: &[String], folds: usize, seed: u64) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); intents.len() + 1];
    for (i, e) in train.iter().enumerate() {
        by_class[class_of(intents, e.intent.as_deref())].push(i);
    }
    let mut rng = SplitMix(seed ^ 0xf01d);
    let mut fold_of = vec![0usize; train.len()];
    let mut next = 0usize;
    for members in &mut by_class {
        rng.shuffle(members);
        for &i in members.iter() {
            fold_of[i] = next % folds;
            next += 1;
        }
    }
    fold_of
}

/// Runs jobs `0..jobs` on up to [`MAX_THREADS`] threads; the outcomes come back in job order.
fn run_jobs<T: Send>(jobs: usize, run: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_THREADS).min(jobs);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let job = next.fetch_add(1, Ordering::Relaxed);
            if job >= jobs {
                return done;
            }
            done.push((job, run(job)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    all.sort_by_key(|&(job, _)| job);
    all.into_iter().map(|(_, outcome)| outcome).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_come_back_in_order() {
        let out = run_jobs(7, |job| {
            std::thread::sleep(std::time::Duration::from_millis((7 - job as u64) * 2));
            job * 10
        });
        assert_eq!(out, [0, 10, 20, 30, 40, 50, 60]);
    }

    #[test]
    fn folds_are_stratified() {
        let train: Vec<Example> = (0..12)
            .map(|i| Example { text: format!("t{i}"), intent: Some(if i < 8 { "a".into() } else { "b".into() }) })
            .collect();
        let intents = vec!["a".to_owned(), "b".to_owned()];
        let folds = assign_folds(&train, &intents, 4, 1);
        for fold in 0..4 {
            let a = (0..8).filter(|&i| folds[i] == fold).count();
            let b = (8..12).filter(|&i| folds[i] == fold).count();
            assert_eq!((a, b), (2, 1), "fold {fold}: {folds:?}");
        }
    }
}
