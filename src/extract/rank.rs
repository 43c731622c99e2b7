//! The learned ranking of a field's candidates: a logistic model per field kind that
//! weighs each candidate's evidence together (the hand-set score, the label's match,
//! how and where it was found, its print size, how often the page repeats it, where it
//! sits among the others) into the probability that it is the field's value.
//!
//! Trained by `mailroom train-ranker DIR` on generated documents with ground truth;
//! `models/ranker.json` ships the weights with the provenance of their training data.
//! A kind without weights is ranked by the hand-set score alone. Pure: the weights are
//! data in the configuration.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::config::doctype::FieldKind;
use crate::text::layout::Line;
use crate::text::Page;

use super::candidates::{Candidate, Found};

/// The evidence weighed, in the order of a model's weights (after the intercept).
pub const FEATURES: &[&str] = &[
    "score",
    "ocr",
    "label",
    "right_of_label",
    "below_label",
    "similar_label",
    "scanned",
    "letterhead",
    "address_block",
    "zone",
    "top",
    "left",
    "size",
    "repeated",
    "first",
    "last",
    "noted",
    "length",
    "digits",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranker {
    /// How the weights were made (command, data, date).
    #[serde(default)]
    pub origin: String,
    /// The features the weights are for, in order; a model trained on other features
    /// is not used.
    #[serde(default)]
    pub features: Vec<String>,
    /// Field kind (`date`, `money`, …) → intercept followed by one weight per feature.
    #[serde(default)]
    pub kinds: BTreeMap<String, Vec<f64>>,
}

/// A field kind's name as the model file spells it.
pub fn kind_name(kind: FieldKind) -> String {
    let s = format!("{kind:?}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl Ranker {
    /// The weights for `kind`, when the model has them for these features.
    fn weights(&self, kind: FieldKind) -> Option<&[f64]> {
        if self.features.len() != FEATURES.len()
            || self.features.iter().zip(FEATURES).any(|(a, b)| a != b)
        {
            return None;
        }
        self.kinds
            .get(&kind_name(kind))
            .filter(|w| w.len() == FEATURES.len() + 1)
            .map(Vec::as_slice)
    }

    /// Whether the model has weights for `kind` (else the hand-set score ranks it).
    pub fn ranks(&self, kind: FieldKind) -> bool {
        self.weights(kind).is_some()
    }

    /// The probability that a candidate with evidence `x` is the value; `None` when
    /// the model has no weights for the kind.
    pub fn probability(&self, kind: FieldKind, x: &[f64]) -> Option<f64> {
        let w = self.weights(kind)?;
        Some(sigmoid(
            w[0] + w[1..].iter().zip(x).map(|(w, x)| w * x).sum::<f64>(),
        ))
    }

    /// The features that moved the probability most, strongest first, with their
    /// signed contribution to the log-odds: the explanation a field's reasons carry.
    pub fn explain(&self, kind: FieldKind, x: &[f64], n: usize) -> Vec<(&'static str, f64)> {
        let Some(w) = self.weights(kind) else {
            return Vec::new();
        };
        let mut parts: Vec<(&'static str, f64)> = FEATURES
            .iter()
            .zip(w[1..].iter().zip(x))
            .map(|(name, (w, x))| (*name, w * x))
            .filter(|(_, c)| c.abs() >= 0.05)
            .collect();
        parts.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        parts.truncate(n);
        parts
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Each page's size and its typical line height, for where a candidate sits and how
/// large it is printed.
pub(super) struct Geometry(HashMap<u32, (f64, f64, f64)>);

impl Geometry {
    pub(super) fn of(pages: &[Page], lines: &[Line]) -> Geometry {
        let mut heights: HashMap<u32, Vec<f32>> = HashMap::new();
        for l in lines {
            heights.entry(l.page).or_default().push(l.height);
        }
        let mut out = HashMap::new();
        for p in pages {
            let mut h = heights.remove(&p.number).unwrap_or_default();
            h.sort_by(f32::total_cmp);
            let unit = h.get(h.len() / 2).copied().unwrap_or(20.0).max(1.0) as f64;
            out.insert(
                p.number,
                (p.width.max(1) as f64, p.height.max(1) as f64, unit),
            );
        }
        Geometry(out)
    }
}

/// The evidence of candidate `c` among its field's candidates `all`, in [`FEATURES`]'
/// order. Every feature lies in about [0, 1] (size in [-1, 2]).
pub(super) fn features(c: &Candidate, all: &[Candidate], geometry: &Geometry) -> Vec<f64> {
    let (width, height, unit) = geometry.0.get(&c.page).copied().unwrap_or((1.0, 1.0, 20.0));
    let one = |b: bool| if b { 1.0 } else { 0.0 };
    let at = |c: &Candidate| (c.page, c.bbox[1]);
    let others = all.iter().filter(|o| o.value != c.value);
    let first = others.clone().all(|o| at(o) >= at(c));
    let last = others.clone().all(|o| at(o) <= at(c));
    let repeated = all.iter().filter(|o| o.value == c.value).count() - 1;
    let chars = c.value.chars().count().max(1) as f64;
    let digits = c.value.chars().filter(char::is_ascii_digit).count() as f64;
    let box_height = c.bbox[3].saturating_sub(c.bbox[1]).max(1) as f64;
    vec![
        c.score.clamp(0.0, 1.0),
        c.ocr.clamp(0.0, 1.0),
        c.label_match.clamp(0.0, 1.0),
        one(c.found == Found::RightOfLabel),
        one(c.found == Found::BelowLabel),
        one(c.found == Found::SimilarLabel),
        one(c.found == Found::Scanned),
        one(c.found == Found::Letterhead),
        one(c.found == Found::AddressBlock),
        one(c.found == Found::Zone),
        (c.bbox[1] as f64 / height).clamp(0.0, 1.0),
        (c.bbox[0] as f64 / width).clamp(0.0, 1.0),
        (box_height / unit).ln().clamp(-1.0, 2.0),
        repeated.min(3) as f64 / 3.0,
        one(first),
        one(last),
        one(c.note.is_some()),
        (chars.ln() / 50f64.ln()).clamp(0.0, 1.0),
        digits / chars,
    ]
}

/// Fit a logistic model's intercept and weights to `(features, is the value)`
/// samples by Newton's method (iteratively reweighted least squares) with a small
/// L2 penalty, so that features that never vary or separate the samples perfectly
/// keep finite weights. Deterministic: the same samples give the same weights.
pub fn fit(samples: &[(Vec<f64>, bool)]) -> Vec<f64> {
    let d = samples.first().map_or(0, |s| s.0.len()) + 1;
    let mut w = vec![0.0; d];
    if samples.is_empty() {
        return w;
    }
    const L2: f64 = 1.0;
    for _ in 0..50 {
        // Gradient of the penalised log-likelihood, and its (negated) Hessian.
        let mut g = vec![0.0; d];
        let mut h = vec![vec![0.0; d]; d];
        for (x, y) in samples {
            let xi: Vec<f64> = std::iter::once(1.0).chain(x.iter().copied()).collect();
            let p = sigmoid(xi.iter().zip(&w).map(|(a, b)| a * b).sum());
            let r = (*y as u8 as f64) - p;
            let s = (p * (1.0 - p)).max(1e-9);
            for j in 0..d {
                g[j] += r * xi[j];
                for k in 0..d {
                    h[j][k] += s * xi[j] * xi[k];
                }
            }
        }
        // The intercept is not penalised.
        for j in 1..d {
            g[j] -= L2 * w[j];
            h[j][j] += L2;
        }
        h[0][0] += 1e-9;
        let Some(step) = solve(h, g) else { break };
        let size = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        for (w, s) in w.iter_mut().zip(&step) {
            *w += s;
        }
        if size < 1e-7 {
            break;
        }
    }
    w.iter().map(|w| (w * 10000.0).round() / 10000.0).collect()
}

/// Solve `a x = b` by Gaussian elimination with partial pivoting; `None` when `a` is
/// singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (done, rest) = a.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for (i, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_learns_which_evidence_tells_the_value() {
        // Two features: the first tells the value (right when high), the second is
        // noise. The fitted model must weigh the first strongly and rank by it.
        let mut samples = Vec::new();
        for i in 0..200 {
            let noise = ((i * 37) % 100) as f64 / 100.0;
            let right = i % 4 == 0;
            let tell = if right { 0.8 } else { 0.3 } + ((i * 13) % 10) as f64 / 100.0;
            samples.push((vec![tell, noise], right));
        }
        let w = fit(&samples);
        assert_eq!(w.len(), 3);
        assert!(w[1] > 3.0, "{w:?}");
        assert!(w[2].abs() < w[1].abs() / 5.0, "{w:?}");
        // The same samples give the same weights.
        assert_eq!(fit(&samples), w);
    }

    #[test]
    fn a_model_for_other_features_or_another_kind_is_not_used() {
        let mut ranker = Ranker {
            origin: String::new(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            kinds: [("date".to_string(), vec![0.0; FEATURES.len() + 1])].into(),
        };
        let x = vec![0.5; FEATURES.len()];
        assert_eq!(ranker.probability(FieldKind::Date, &x), Some(0.5));
        assert_eq!(ranker.probability(FieldKind::Money, &x), None);
        assert_eq!(kind_name(FieldKind::VatId), "vat_id");
        ranker.features.pop();
        assert_eq!(ranker.probability(FieldKind::Date, &x), None);
    }
}
