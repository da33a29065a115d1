//! Turning raw class scores into a confidence that means what it says, and choosing the
//! out-of-scope threshold.
//!
//! Both are fitted on held-out predictions, never on lines the model was trained on: the
//! out-of-fold predictions of a cross-validation over the training set, plus the validation lines
//! when there are some. The temperature divides the scores before the softmax and is chosen to
//! minimise the held-out negative log-likelihood, so a confidence of 0.8 is right about 80% of the
//! time. The threshold is then the confidence below which answering "out of scope" does best on the
//! held-out lines, with out-of-scope lines weighed as a fixed share of all messages (see
//! [`fit_threshold`]) rather than as however many of them the files happen to hold.

use super::model::softmax;

/// The truth about one held-out line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gold {
    /// One of the model's classes.
    Class(usize),
    /// An intent the model was never trained on: whatever it says is wrong.
    Unknown,
    /// Out of scope.
    OutOfScope,
}

/// One held-out line: the model's raw scores and the truth.
#[derive(Debug, Clone)]
pub struct HeldOut {
    /// Raw class scores, one per class, the out-of-scope class (when trained) last.
    pub scores: Vec<f32>,
    /// Whether the line has any gram the model knows; a line without is always out of scope.
    pub evidence: bool,
    /// What the line really is.
    pub gold: Gold,
}

/// What calibration learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Scores are divided by this before the softmax.
    pub temperature: f32,
    /// Confidence below which a text is out of scope.
    pub threshold: f32,
}

/// The routing decision from calibrated probabilities over `in_scope` intent classes, optionally
/// followed by the out-of-scope class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The likeliest intent class.
    pub best: usize,
    /// Its probability.
    pub confidence: f32,
    /// Whether the out-of-scope class outscored every intent.
    pub out_of_scope_wins: bool,
}

/// Reads the decision off probabilities.
pub fn decide(probabilities: &[f32], in_scope: usize) -> Decision {
    let (best, confidence) = probabilities[..in_scope]
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |acc, (i, p)| if p > acc.1 { (i, p) } else { acc });
    let out_of_scope_wins = probabilities.get(in_scope).is_some_and(|&p| p > confidence);
    Decision { best, confidence, out_of_scope_wins }
}

impl Calibration {
    /// Turns raw scores into calibrated probabilities in place and reads the decision off them.
    pub fn decide(&self, scores: &mut [f32], in_scope: usize) -> Decision {
        probabilities(scores, self.temperature);
        decide(scores, in_scope)
    }

    /// Whether a decision names an intent rather than "out of scope".
    pub fn accepts(&self, decision: &Decision) -> bool {
        !decision.out_of_scope_wins && decision.confidence >= self.threshold
    }

    /// The intent class a held-out line is routed to, `None` when it is called out of scope.
    pub fn route(&self, line: &HeldOut, in_scope: usize) -> Option<usize> {
        let decision = self.decide(&mut line.scores.clone(), in_scope);
        (line.evidence && self.accepts(&decision)).then_some(decision.best)
    }
}

/// Softmax of `scores / temperature`, in place.
pub fn probabilities(scores: &mut [f32], temperature: f32) {
    scores.iter_mut().for_each(|s| *s /= temperature);
    softmax(scores);
}

/// Fits the temperature, then the threshold, on held-out lines; `out_of_scope_share` is the share of
/// messages assumed to be out of scope, in `(0, 1)`.
pub fn fit(held_out: &[HeldOut], in_scope: usize, out_of_scope_share: f32) -> Calibration {
    let temperature = fit_temperature(held_out, in_scope);
    let threshold = fit_threshold(held_out, in_scope, temperature, out_of_scope_share);
    Calibration { temperature, threshold }
}

/// The class a held-out line should be scored against for the likelihood, if any.
fn target(gold: Gold, in_scope: usize, classes: usize) -> Option<usize> {
    match gold {
        Gold::Class(c) => Some(c),
        Gold::OutOfScope if classes > in_scope => Some(in_scope),
        _ => None,
    }
}

/// Golden-section search for the inverse temperature minimising the negative log-likelihood, which
/// is convex in it.
fn fit_temperature(held_out: &[HeldOut], in_scope: usize) -> f32 {
    let nll = |inverse: f64| -> f64 {
        let mut total = 0.0;
        for line in held_out {
            let Some(t) = target(line.gold, in_scope, line.scores.len()) else { continue };
            let max = line.scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let sum: f64 = line.scores.iter().map(|&s| ((s as f64 - max) * inverse).exp()).sum();
            total += sum.ln() - (line.scores[t] as f64 - max) * inverse;
        }
        total
    };
    if !held_out.iter().any(|l| target(l.gold, in_scope, l.scores.len()).is_some()) {
        return 1.0;
    }
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut low, mut high) = (0.02f64, 50.0f64);
    let mut a = high - ratio * (high - low);
    let mut b = low + ratio * (high - low);
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..60 {
        if fa <= fb {
            high = b;
            b = a;
            fb = fa;
            a = high - ratio * (high - low);
            fa = nll(a);
        } else {
            low = a;
            a = b;
            fa = fb;
            b = low + ratio * (high - low);
            fb = nll(b);
        }
    }
    (2.0 / (low + high)) as f32
}

/// The threshold that maximises `(1 - s) × in-scope accuracy + s × out-of-scope recall` on the
/// held-out lines, `s` being the assumed out-of-scope share.
///
/// Held-out sets hold out-of-scope lines in whatever proportion they were collected (CLINC150's
/// training set one in 150, its validation set one in 30), and counting lines as they come would
/// tie the threshold to that accident. Weighing each kind by its rate instead makes the choice the
/// same whichever file the lines came from. Rejecting a line (calling it out of scope) gains when it
/// is out of scope and loses when it was routed correctly; sweeping the lines by rising confidence
/// finds the best cut. Of several equally good cuts in a row the middle one is taken, to sit away
/// from either edge.
fn fit_threshold(held_out: &[HeldOut], in_scope: usize, temperature: f32, out_of_scope_share: f32) -> f32 {
    let out_of_scope = held_out.iter().filter(|l| l.gold == Gold::OutOfScope).count() as i64;
    let routable = held_out.len() as i64 - out_of_scope;
    // Integer weights (per mille of the share, scaled by the other kind's count) keep ties exact.
    let share = i64::from(((out_of_scope_share * 1000.0).round() as i32).clamp(1, 999));
    let (gain, loss) = (share * routable, (1000 - share) * out_of_scope);
    // (confidence, gain from rejecting) for the lines the threshold decides.
    let mut lines: Vec<(f32, i64)> = Vec::with_capacity(held_out.len());
    for line in held_out {
        let mut p = line.scores.clone();
        probabilities(&mut p, temperature);
        let decision = decide(&p, in_scope);
        if decision.out_of_scope_wins || !line.evidence {
            continue;
        }
        let gain = match line.gold {
            Gold::OutOfScope => gain,
            Gold::Class(c) if c == decision.best => -loss,
            _ => 0,
        };
        lines.push((decision.confidence, gain));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Cut k rejects lines[..k]; only cuts between different confidences are possible.
    let mut best = (0i64, 0usize, 0usize);
    let mut sum = 0i64;
    let mut run_start = None;
    for k in 1..=lines.len() {
        sum += lines[k - 1].1;
        if k < lines.len() && lines[k].0 == lines[k - 1].0 {
            continue;
        }
        if sum > best.0 {
            best = (sum, k, k);
            run_start = Some(k);
        } else if sum == best.0 && run_start.is_some() {
            best.2 = k;
        } else {
            run_start = None;
        }
    }
    let cut = match best.0 {
        0 => 0,
        _ => candidate_middle(&lines, best.1, best.2),
    };
    threshold_at(&lines, cut)
}

/// The cut in the middle of the run of equally good cuts `first..=last`, snapped to a possible cut.
fn candidate_middle(lines: &[(f32, i64)], first: usize, last: usize) -> usize {
    let mut cut = first + (last - first) / 2;
    while cut < last && cut < lines.len() && lines[cut].0 == lines[cut - 1].0 {
        cut += 1;
    }
    cut
}

/// The threshold that rejects exactly `lines[..cut]`.
fn threshold_at(lines: &[(f32, i64)], cut: usize) -> f32 {
    match (cut.checked_sub(1).map(|i| lines[i].0), lines.get(cut).map(|l| l.0)) {
        (None, _) => 0.0,
        (Some(below), Some(above)) => (below + above) / 2.0,
        (Some(below), None) => (below + 1.0) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(scores: &[f32], gold: Gold) -> HeldOut {
        HeldOut { scores: scores.to_vec(), evidence: true, gold }
    }

    #[test]
    fn the_temperature_cools_overconfident_scores() {
        // Very confident, but wrong a third of the time: the fitted temperature must soften it.
        let held = [
            line(&[10.0, 0.0], Gold::Class(0)),
            line(&[10.0, 0.0], Gold::Class(0)),
            line(&[10.0, 0.0], Gold::Class(1)),
        ];
        let t = fit_temperature(&held, 2);
        let mut p = vec![10.0, 0.0];
        probabilities(&mut p, t);
        assert!((p[0] - 2.0 / 3.0).abs() < 0.01, "temperature {t} gives {p:?}");
    }

    #[test]
    fn the_threshold_separates_unsure_out_of_scope_lines() {
        let mut held = Vec::new();
        for _ in 0..5 {
            held.push(line(&[4.0, 0.0, 0.0], Gold::Class(0)));
            held.push(line(&[0.3, 0.0, 0.0], Gold::OutOfScope));
        }
        let c = fit(&held, 3, 0.2);
        let mut confident = vec![4.0, 0.0, 0.0];
        probabilities(&mut confident, c.temperature);
        let mut unsure = vec![0.3, 0.0, 0.0];
        probabilities(&mut unsure, c.temperature);
        assert!(unsure[0] < c.threshold && c.threshold < confident[0], "{c:?} {unsure:?} {confident:?}");
    }

    #[test]
    fn the_threshold_does_not_depend_on_how_many_out_of_scope_lines_were_collected() {
        let mut held = Vec::new();
        for i in 0..40 {
            let s = i as f32 / 10.0;
            held.push(line(&[s, 0.0, 0.0], if i % 3 == 0 { Gold::Class(1) } else { Gold::Class(0) }));
        }
        let out_of_scope = [0.05, 0.15, 0.25, 0.35, 1.05];
        let mut few = held.clone();
        few.extend(out_of_scope.iter().map(|&s| line(&[s, 0.0, 0.0], Gold::OutOfScope)));
        let mut many = held.clone();
        for _ in 0..6 {
            many.extend(out_of_scope.iter().map(|&s| line(&[s, 0.0, 0.0], Gold::OutOfScope)));
        }
        // Same temperature for both, so only the weighing of the lines could move the threshold.
        let t = 1.0;
        let (a, b) = (fit_threshold(&few, 3, t, 0.2), fit_threshold(&many, 3, t, 0.2));
        assert!(a > 0.0 && a == b, "{a} vs {b}");
        // A larger assumed share of out-of-scope messages rejects more.
        assert!(fit_threshold(&few, 3, t, 0.6) > a);
    }

    #[test]
    fn a_line_without_known_grams_is_never_routed() {
        let c = Calibration { temperature: 1.0, threshold: 0.0 };
        let known = line(&[3.0, 0.0], Gold::Class(0));
        assert_eq!(c.route(&known, 2), Some(0));
        assert_eq!(c.route(&HeldOut { evidence: false, ..known }, 2), None);
    }

    #[test]
    fn without_out_of_scope_lines_nothing_is_rejected() {
        let held = [line(&[1.0, 0.0], Gold::Class(0)), line(&[0.1, 0.0], Gold::Class(1))];
        assert_eq!(fit(&held, 2, 0.2).threshold, 0.0);
    }

    #[test]
    fn an_out_of_scope_class_can_win() {
        let d = decide(&[0.2, 0.1, 0.7], 2);
        assert_eq!((d.best, d.out_of_scope_wins), (0, true));
        let d = decide(&[0.2, 0.7, 0.1], 2);
        assert_eq!((d.best, d.out_of_scope_wins), (1, false));
        assert!(!decide(&[0.4, 0.6], 2).out_of_scope_wins);
    }
}
