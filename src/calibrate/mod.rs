//! Confidence calibration: raw field scores → the probability that the value is right.
//!
//! Extraction scores (OCR confidence × label match × position, raised or lowered by
//! checks) rank values well but do not mean "right 95 % of the time at 0.95": Tesseract
//! reports 0.9 for clean words it reads perfectly and for "Kruger" where the page says
//! "Krüger". A calibration table per field, fitted by isotonic regression on generated
//! documents with ground truth (`mailroom eval DIR --fit-calibration FILE`), maps raw
//! scores to observed accuracy; `models/calibration.json` ships the fitted table with its
//! origin. Pure: the table is data in the configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::document::{IndexedFields, Origin};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// How the table was made (command, seeds, date).
    #[serde(default)]
    pub origin: String,
    /// Field name → knots `(raw score, probability right)`, raw ascending.
    pub fields: BTreeMap<String, Vec<(f64, f64)>>,
}

impl Calibration {
    /// The calibrated probability for `raw`, by linear interpolation between knots;
    /// `None` when the field has no table.
    pub fn map(&self, field: &str, raw: f64) -> Option<f64> {
        let knots = self.fields.get(field).filter(|k| !k.is_empty())?;
        // A NaN score (0/0 somewhere upstream) is no evidence: it maps to nothing
        // rather than past every knot and into a panic.
        if raw.is_nan() {
            return Some(0.0);
        }
        let first = knots[0];
        let last = knots[knots.len() - 1];
        if raw <= first.0 {
            // The first knot sits at its block's mean score. Few samples lie below it, and
            // a block that pooled everything (errors were rare at any score) says little
            // about scores far below its mean: fall towards 0 with the raw score rather
            // than extrapolate the block's accuracy.
            return Some(first.1 * (raw / first.0).clamp(0.0, 1.0));
        }
        if raw >= last.0 {
            return Some(last.1);
        }
        let i = knots.iter().position(|k| k.0 >= raw).unwrap();
        let (a, b) = (knots[i - 1], knots[i]);
        let t = if b.0 > a.0 {
            (raw - a.0) / (b.0 - a.0)
        } else {
            1.0
        };
        Some(a.1 + t * (b.1 - a.1))
    }

    /// Replace each read field's confidence by its calibrated value. Derived values are
    /// left alone: their low confidence is a rule, not a measurement.
    pub fn apply(&self, fields: &mut IndexedFields) {
        for (name, field) in fields.0.iter_mut() {
            let Some(f) = field else { continue };
            // The table was fitted on values read from pages; structured and corrected
            // values are exact, derived ones are sent to review anyway.
            if !matches!(f.origin, Origin::Ocr | Origin::TextLayer) {
                continue;
            }
            if let Some(p) = self.map(name, f.confidence) {
                f.raise_or_lower(
                    crate::document::round3(p),
                    format_args!("calibrated by the {name} table"),
                );
            }
        }
    }
}

/// Fit knots for one field from `(raw score, was right)` samples by pool-adjacent-
/// violators (isotonic regression), with each block's accuracy smoothed as
/// `(right + 1) / (n + 2)` so that a few lucky samples never claim certainty.
pub fn fit(samples: &mut [(f64, bool)]) -> Vec<(f64, f64)> {
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Blocks: (sum of raw, right, n).
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    for &(raw, right) in samples.iter() {
        blocks.push((raw, right as u8 as f64, 1.0));
        while blocks.len() >= 2 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            // Merge on ties too: a run of equally good samples is one block.
            if a.1 / a.2 >= b.1 / b.2 {
                blocks.pop();
                *blocks.last_mut().unwrap() = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
            } else {
                break;
            }
        }
    }
    // Tiny blocks say more about luck than about accuracy: fold them into a neighbour.
    const MIN_BLOCK: f64 = 10.0;
    let mut merged: Vec<(f64, f64, f64)> = Vec::new();
    for b in blocks {
        match merged.last_mut() {
            Some(last) if last.2 < MIN_BLOCK || b.2 < MIN_BLOCK => {
                *last = (last.0 + b.0, last.1 + b.1, last.2 + b.2);
            }
            _ => merged.push(b),
        }
    }
    let blocks = merged;
    let mut knots: Vec<(f64, f64)> = blocks
        .iter()
        .map(|&(sum, right, n)| (round4(sum / n), round4((right + 1.0) / (n + 2.0))))
        .collect();
    // Smoothing can break monotonicity between a small and a large block: restore it.
    for i in 1..knots.len() {
        if knots[i].1 < knots[i - 1].1 {
            knots[i].1 = knots[i - 1].1;
        }
    }
    knots.dedup_by(|b, a| a.0 == b.0);
    knots
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_fit_is_monotone_and_smoothed() {
        let mut s: Vec<(f64, bool)> = Vec::new();
        for i in 0..100 {
            // Low scores are right half the time, high scores always.
            s.push((0.5 + i as f64 * 0.001, i % 2 == 0));
            s.push((0.9 + i as f64 * 0.0005, true));
        }
        let knots = fit(&mut s);
        assert!(
            knots
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{knots:?}"
        );
        let cal = Calibration {
            origin: String::new(),
            fields: [("total".to_string(), knots)].into(),
        };
        let low = cal.map("total", 0.55).unwrap();
        let high = cal.map("total", 0.95).unwrap();
        assert!((0.4..0.7).contains(&low), "{low}");
        // 100 right out of 100: (100 + 1) / 102, never 1.0.
        assert!(high > 0.98 && high < 1.0, "{high}");
        assert_eq!(cal.map("other", 0.5), None);
    }

    #[test]
    fn a_calibrated_field_carries_the_reason_and_an_exact_one_none() {
        use crate::document::Field;
        let cal = Calibration {
            origin: String::new(),
            fields: [("total".to_string(), vec![(0.5, 0.4), (0.9, 0.95)])].into(),
        };
        let field = |confidence: f64, origin: Origin| Field {
            value: "125.00".into(),
            confidence,
            raw: "125,00".into(),
            page: 1,
            bbox: None,
            origin,
            reasons: vec!["chose 125.00: the best score".into()],
        };
        let mut fields = IndexedFields::default();
        fields.set("total", Some(field(0.7, Origin::Ocr)));
        fields.set("subtotal", Some(field(0.7, Origin::Ocr)));
        cal.apply(&mut fields);
        let total = fields.get("total").unwrap();
        assert_eq!(total.confidence, 0.675);
        assert_eq!(
            total.reasons,
            [
                "chose 125.00: the best score",
                "calibrated by the total table: confidence 0.700 → 0.675"
            ]
        );
        // No table for the subtotal, and a structured value is exact: nothing changes,
        // and nothing is said.
        assert_eq!(fields.get("subtotal").unwrap().reasons.len(), 1);
        let mut exact = IndexedFields::default();
        exact.set("total", Some(field(1.0, Origin::Structured)));
        cal.apply(&mut exact);
        assert_eq!(exact.get("total").unwrap().reasons.len(), 1);
    }

    #[test]
    fn a_nan_score_maps_to_zero_instead_of_panicking() {
        let cal = Calibration {
            origin: String::new(),
            fields: [("total".to_string(), vec![(0.5, 0.4), (0.9, 0.95)])].into(),
        };
        assert_eq!(cal.map("total", f64::NAN), Some(0.0));
    }
}
