//! Multinomial logistic regression over sparse vectors, trained by stochastic gradient descent.
//!
//! Training visits the examples in a shuffled order drawn from a fixed seed, with a learning rate
//! that falls linearly to zero, feature dropout, L2 regularisation kept as a single scale factor
//! (so a step only touches the weights of the example's features), optional label smoothing, and
//! per-example weights that soften class imbalance.
//!
//! The weights are a dense row of class scores per feature while that fits in
//! [`ModelOptions::max_dense_weights`]: scoring then adds up one contiguous row per gram, which
//! vectorises well. With many intents (a thousand intents of a few examples each would need
//! gigabytes) only the (feature, class) pairs seen together in training get a weight: a gram that
//! never occurred in an intent's examples carries no evidence for it, and scoring costs only the
//! pairs present. Grams common to many intents get a whole row even then (see `support`).

use super::features::SparseVec;

/// How the classifier is fitted; part of [`super::TrainOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    /// Passes over the training data.
    pub epochs: usize,
    /// Step size at the start; it falls linearly to zero by the last step.
    pub learning_rate: f32,
    /// L2 penalty per example.
    pub l2: f32,
    /// Share of the target moved from the true class to all classes evenly.
    pub label_smoothing: f32,
    /// Examples of a class with `n` examples weigh `(mean n / n)^class_balance`: 0 leaves the
    /// data as it is, 1 gives every class the same total weight.
    pub class_balance: f32,
    /// Chance that a feature of an example is hidden from one step (its kept features scaled up to
    /// match), which keeps the model from leaning on a few grams.
    pub dropout: f32,
    /// Sparse weights smaller than this in magnitude are dropped after training.
    pub prune_below: f32,
    /// Largest `features × classes` kept as a dense matrix; beyond it only pairs seen in training.
    pub max_dense_weights: usize,
    /// Seed of the shuffles; the same seed and data give the same model.
    pub seed: u64,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            epochs: 24,
            learning_rate: 1.0,
            l2: 3e-6,
            label_smoothing: 0.0,
            class_balance: 0.5,
            dropout: 0.6,
            prune_below: 0.01,
            max_dense_weights: 24 << 20,
            seed: 0x5a4e_6da3,
        }
    }
}

/// A trained linear classifier.
#[derive(Debug, Clone)]
pub struct Linear {
    classes: usize,
    weights: Weights,
    bias: Vec<f32>,
}

/// The weight matrix, in one of two layouts.
#[derive(Debug, Clone)]
enum Weights {
    /// Row-major, `features × classes`.
    Dense(Vec<f32>),
    /// Per feature, `starts[id]..starts[id + 1]` indexes its classes in `targets` and their weights.
    Sparse { starts: Vec<u32>, targets: Vec<u32>, weights: Vec<f32> },
}

impl Linear {
    /// Fits the classifier; `labels[i]` is the class of `examples[i]`, below `classes`.
    pub fn train(
        examples: &[SparseVec],
        labels: &[usize],
        classes: usize,
        dimension: usize,
        options: &ModelOptions,
    ) -> Linear {
        let weights = if dimension.saturating_mul(classes) <= options.max_dense_weights {
            Weights::Dense(vec![0.0; dimension * classes])
        } else {
            let (starts, targets) = support(examples, labels, classes, dimension);
            Weights::Sparse { starts, weights: vec![0.0; targets.len()], targets }
        };
        let mut rng = SplitMix(options.seed);
        let mut model = Linear { classes, weights, bias: vec![0.0; classes] };
        let weight_of = example_weights(labels, classes, options.class_balance);
        let smooth = options.label_smoothing / classes as f32;
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let steps = (options.epochs * examples.len()).max(1) as f32;
        // The true weights are `scale × weights`; decaying `scale` is the L2 step for every weight at once.
        let mut scale = 1.0f32;
        let mut gradient = vec![0.0f32; classes];
        let mut step = 0usize;
        let mut kept = SparseVec::default();
        let keep = 1.0 - options.dropout.clamp(0.0, 0.95);
        let keep_below = (f64::from(keep) * u64::MAX as f64) as u64;
        for _ in 0..options.epochs {
            rng.shuffle(&mut order);
            for &i in &order {
                let rate = options.learning_rate * (1.0 - step as f32 / steps);
                step += 1;
                let x = if keep < 1.0 {
                    kept.ids.clear();
                    kept.values.clear();
                    for (&id, &value) in examples[i].ids.iter().zip(&examples[i].values) {
                        if rng.next_u64() < keep_below {
                            kept.ids.push(id);
                            kept.values.push(value / keep);
                        }
                    }
                    &kept
                } else {
                    &examples[i]
                };
                gradient.copy_from_slice(&model.bias);
                model.weights.accumulate(classes, x, scale, &mut gradient);
                softmax(&mut gradient);
                gradient.iter_mut().for_each(|p| *p -= smooth);
                gradient[labels[i]] -= 1.0 - options.label_smoothing;
                let step_size = rate * weight_of[labels[i]];
                scale *= 1.0 - rate * options.l2;
                model.weights.descend(x, step_size / scale, &gradient);
                model.bias.iter_mut().zip(&gradient).for_each(|(b, g)| *b -= step_size * g);
                if scale < 1e-3 {
                    model.weights.rescale(scale);
                    scale = 1.0;
                }
            }
        }
        model.weights.rescale(scale);
        model.weights.prune(classes, options.prune_below);
        model
    }

    /// The raw class scores (logits) of one vector.
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut out = self.bias.clone();
        self.weights.accumulate(self.classes, x, 1.0, &mut out);
        out
    }
}

impl Weights {
    /// Adds `scale × Σ value × weights(id)` to `out`.
    fn accumulate(&self, classes: usize, x: &SparseVec, scale: f32, out: &mut [f32]) {
        let features = x.ids.iter().zip(&x.values);
        match self {
            Weights::Dense(w) => {
                for (&id, &value) in features {
                    let k = value * scale;
                    let row = &w[id as usize * classes..][..classes];
                    out.iter_mut().zip(row).for_each(|(o, w)| *o += k * w);
                }
            }
            Weights::Sparse { starts, targets, weights } => {
                for (&id, &value) in features {
                    let k = value * scale;
                    let run = starts[id as usize] as usize..starts[id as usize + 1] as usize;
                    if run.len() == classes {
                        out.iter_mut().zip(&weights[run]).for_each(|(o, w)| *o += k * w);
                    } else {
                        for (&w, &c) in weights[run.clone()].iter().zip(&targets[run]) {
                            out[c as usize] += k * w;
                        }
                    }
                }
            }
        }
    }

    /// Moves the weights of `x`'s features by `-factor × value × gradient`.
    fn descend(&mut self, x: &SparseVec, factor: f32, gradient: &[f32]) {
        let classes = gradient.len();
        let features = x.ids.iter().zip(&x.values);
        match self {
            Weights::Dense(w) => {
                for (&id, &value) in features {
                    let k = factor * value;
                    let row = &mut w[id as usize * classes..][..classes];
                    row.iter_mut().zip(gradient).for_each(|(w, g)| *w -= k * g);
                }
            }
            Weights::Sparse { starts, targets, weights } => {
                for (&id, &value) in features {
                    let k = factor * value;
                    let run = starts[id as usize] as usize..starts[id as usize + 1] as usize;
                    if run.len() == classes {
                        weights[run].iter_mut().zip(gradient).for_each(|(w, g)| *w -= k * g);
                    } else {
                        for (w, &c) in weights[run.clone()].iter_mut().zip(&targets[run]) {
                            *w -= k * gradient[c as usize];
                        }
                    }
                }
            }
        }
    }

    /// Drops the sparse weights smaller than `limit` in magnitude: they barely move a score but
    /// each costs a scattered add when routing. Whole rows stay whole, to be scored as rows.
    fn prune(&mut self, classes: usize, limit: f32) {
        let Weights::Sparse { starts, targets, weights } = self else { return };
        let mut kept = 0usize;
        let mut start = 0usize;
        for id in 0..starts.len() - 1 {
            let end = starts[id + 1] as usize;
            let whole = end - start == classes;
            for k in start..end {
                if whole || weights[k].abs() >= limit {
                    weights[kept] = weights[k];
                    targets[kept] = targets[k];
                    kept += 1;
                }
            }
            start = end;
            starts[id + 1] = kept as u32;
        }
        weights.truncate(kept);
        targets.truncate(kept);
    }

    /// Multiplies every weight by `scale`.
    fn rescale(&mut self, scale: f32) {
        let (Weights::Dense(w) | Weights::Sparse { weights: w, .. }) = self;
        w.iter_mut().for_each(|w| *w *= scale);
    }
}

/// The (feature, class) pairs seen together, grouped by feature: run starts and classes.
///
/// A feature seen with at least a quarter of the classes gets a weight for every class: its run is
/// then the whole row in class order, which scores as fast as a dense row, and the extra weights let
/// a common gram count against the intents it never occurs in.
fn support(examples: &[SparseVec], labels: &[usize], classes: usize, dimension: usize) -> (Vec<u32>, Vec<u32>) {
    let mut pairs: Vec<(u32, u32)> =
        examples.iter().zip(labels).flat_map(|(x, &label)| x.ids.iter().map(move |&id| (id, label as u32))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut starts = vec![0u32; dimension + 1];
    let mut targets = Vec::with_capacity(pairs.len());
    for run in pairs.chunk_by(|a, b| a.0 == b.0) {
        if run.len() * 4 >= classes {
            targets.extend(0..classes as u32);
        } else {
            targets.extend(run.iter().map(|&(_, class)| class));
        }
        starts[run[0].0 as usize + 1] = targets.len() as u32;
    }
    // Features without any pair keep the end of the run before them.
    for i in 0..dimension {
        starts[i + 1] = starts[i + 1].max(starts[i]);
    }
    (starts, targets)
}

/// Turns scores into probabilities in place.
pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    scores.iter_mut().for_each(|s| *s /= sum);
}

/// Per-class example weights, normalised so the mean example weight is 1.
fn example_weights(labels: &[usize], classes: usize, balance: f32) -> Vec<f32> {
    let mut counts = vec![0usize; classes];
    labels.iter().for_each(|&l| counts[l] += 1);
    let mean = labels.len() as f32 / counts.iter().filter(|&&c| c > 0).count().max(1) as f32;
    let raw: Vec<f32> = counts.iter().map(|&c| if c == 0 { 0.0 } else { (mean / c as f32).powf(balance) }).collect();
    let total: f32 = labels.iter().map(|&l| raw[l]).sum();
    let norm = if total > 0.0 { labels.len() as f32 / total } else { 1.0 };
    raw.iter().map(|w| w * norm).collect()
}

/// A small, fixed pseudo-random generator: the model must not change with a dependency's version.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vec(pairs: &[(u32, f32)]) -> SparseVec {
        SparseVec { ids: pairs.iter().map(|p| p.0).collect(), values: pairs.iter().map(|p| p.1).collect() }
    }

    #[test]
    fn it_separates_separable_classes() {
        let examples = [vec(&[(0, 1.0)]), vec(&[(1, 1.0)]), vec(&[(2, 1.0)]), vec(&[(0, 0.6), (3, 0.8)])];
        let labels = [0, 1, 2, 0];
        let model = Linear::train(&examples, &labels, 3, 4, &ModelOptions { epochs: 30, ..ModelOptions::default() });
        for (x, &label) in examples.iter().zip(&labels) {
            let scores = model.scores(x);
            let best = (0..3).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
            assert_eq!(best, label, "{scores:?}");
        }
    }

    #[test]
    fn common_features_get_whole_rows_and_rare_ones_only_their_classes() {
        // Of 12 classes, feature 0 occurs in four (a third), feature 1 in one, feature 2 in none and
        // feature 3 in two.
        let examples =
            [vec(&[(0, 1.0), (1, 1.0)]), vec(&[(0, 1.0), (3, 1.0)]), vec(&[(0, 1.0), (3, 1.0)]), vec(&[(0, 1.0)])];
        let (starts, targets) = support(&examples, &[0, 1, 2, 3], 12, 4);
        assert_eq!(starts, [0, 12, 13, 13, 15]);
        assert_eq!(targets[..12], (0..12).collect::<Vec<u32>>());
        assert_eq!(targets[12..], [0, 1, 2]);

        let mut values = vec![0.0; 15];
        values[0] = 0.001;
        values[12..].copy_from_slice(&[0.5, 0.001, 2.0]);
        let mut weights = Weights::Sparse { starts, targets, weights: values };
        weights.prune(12, 0.01);
        let Weights::Sparse { starts, targets, weights } = weights else { unreachable!("still sparse") };
        assert_eq!(starts, [0, 12, 13, 13, 14], "the whole row stays, the small sparse weight goes");
        assert_eq!(targets[12..], [0, 2]);
        assert_eq!(weights[12..], [0.5, 2.0]);
    }

    #[test]
    fn balancing_evens_out_class_weights() {
        let labels = [0, 0, 0, 1];
        let flat = example_weights(&labels, 2, 0.0);
        assert_eq!(flat, [1.0, 1.0]);
        let even = example_weights(&labels, 2, 1.0);
        assert!((even[0] * 3.0 - even[1]).abs() < 1e-5, "{even:?}");
        assert!((3.0 * even[0] + even[1] - 4.0).abs() < 1e-5, "{even:?}");
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut s = [1.0, 2.0, 3.0, 1000.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(s[3] > 0.999);
    }
}
