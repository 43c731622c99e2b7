//! Stage "classify": pages of words → a ranked list of document types with confidence
//! and reasons.
//!
//! Pure. Each type's cue phrases (from its type file) are looked for on the pages;
//! a cue counts once, at its best phrase, with its weight. A type's strength is
//! `1 - exp(-score / 3)` (three points of evidence ≈ 0.63, a typical invoice's eleven
//! ≈ 0.97), shared out when several types have evidence. Below the type's minimum, or
//! when the runner-up is close, the result is `unknown`: never "first match wins".

use crate::config::DocType;
use crate::document::DocTypeGuess;
use crate::extract::layout;
use crate::text::Page;

#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub name: String,
    pub confidence: f64,
    pub reasons: Vec<String>,
}

/// Two types closer than this are a tie, which a person must settle.
const TIE_MARGIN: f64 = 0.15;

pub fn rank(pages: &[Page], doctypes: &[DocType]) -> Vec<Ranked> {
    let lines: Vec<layout::Line> = pages.iter().flat_map(layout::lines).collect();
    let mut scored: Vec<(String, f64, Vec<String>)> = Vec::new();
    for dt in doctypes {
        let mut score = 0.0;
        let mut reasons = Vec::new();
        for cue in &dt.cues {
            let hit = cue.phrases.iter().find_map(|phrase| {
                lines.iter().find_map(|line| {
                    (0..line.words.len()).find_map(|s| {
                        let e = s + phrase.len();
                        (e <= line.words.len()
                            && phrase
                                .iter()
                                .zip(&line.words[s..e])
                                .all(|(p, w)| layout::token_match(&w.norm, p) > 0.0))
                        .then(|| {
                            let b = line.words[s].bbox;
                            format!(
                                "cue {:?} on page {} at ({}, {})",
                                phrase.join(" "),
                                line.page,
                                b[0],
                                b[1]
                            )
                        })
                    })
                })
            });
            if let Some(r) = hit {
                score += cue.weight;
                reasons.push(r);
            }
        }
        scored.push((dt.name.clone(), score, reasons));
    }
    let total: f64 = scored.iter().map(|s| s.1).sum();
    let mut out: Vec<Ranked> = scored
        .into_iter()
        .map(|(name, score, reasons)| {
            let strength = 1.0 - (-score / 3.0).exp();
            let share = if total > 0.0 { score / total } else { 0.0 };
            Ranked {
                name,
                confidence: crate::extract::round3(strength * share),
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    out
}

/// The winner, or `unknown` with the reason it is not clear.
pub fn decide(ranked: &[Ranked], doctypes: &[DocType]) -> DocTypeGuess {
    let Some(top) = ranked.first() else {
        return DocTypeGuess {
            value: "unknown".into(),
            confidence: 0.0,
            reasons: vec!["no document types configured".into()],
        };
    };
    let min = doctypes
        .iter()
        .find(|d| d.name == top.name)
        .map_or(0.6, |d| d.min_confidence);
    let mut reasons = top.reasons.clone();
    if top.confidence < min {
        reasons.insert(
            0,
            format!(
                "best type {} at {:.2} is below its minimum {:.2}",
                top.name, top.confidence, min
            ),
        );
        return DocTypeGuess {
            value: "unknown".into(),
            confidence: top.confidence,
            reasons,
        };
    }
    if let Some(second) = ranked.get(1) {
        if top.confidence - second.confidence < TIE_MARGIN {
            reasons.insert(
                0,
                format!(
                    "{} ({:.2}) and {} ({:.2}) are too close to call",
                    top.name, top.confidence, second.name, second.confidence
                ),
            );
            return DocTypeGuess {
                value: "unknown".into(),
                confidence: top.confidence,
                reasons,
            };
        }
    }
    DocTypeGuess {
        value: top.name.clone(),
        confidence: top.confidence,
        reasons,
    }
}
