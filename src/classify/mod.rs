//! Stage "classify": pages of words → a ranked list of document types with confidence
//! and reasons.
//!
//! Pure. Each type's cue phrases (from its type file; a fixed form's anchors count as
//! cues) are looked for on the pages; a cue counts once, at its first place, with its
//! weight; a type may add weight for a layout hint (a page shaped like till paper). A
//! type's confidence is its strength, `1 - exp(-score / 3)` (three points of evidence ≈
//! 0.63, a typical invoice's eleven ≈ 0.97), times its share of a softmax over the
//! types' scores at the same scale, so a cue that several types share (`total`, `VAT`)
//! neither helps nor hurts one of them much, while a point of evidence more than the
//! runner-up does. Below the type's minimum, or when the runner-up is close, the result
//! is `unknown` with the candidates beside it: never "first match wins".

use crate::config::DocType;
use crate::document::DocTypeGuess;
use crate::text::layout;
use crate::text::Page;

#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub name: String,
    pub confidence: f64,
    pub reasons: Vec<String>,
}

/// The type given when the classifier cannot settle one.
pub const UNKNOWN: &str = "unknown";

/// Points of evidence that make a type about 63 % sure, and that tilt a choice
/// between two types to about 73 : 27.
const SCALE: f64 = 3.0;

/// Two types closer than this are a tie, which a person must settle.
pub const TIE_MARGIN: f64 = 0.15;

/// Pages at most this wide (millimetres) look like till receipts.
const NARROW_MM: f64 = 120.0;
/// …and so do pages at least this many times as long as they are wide.
const LONG_ASPECT: f64 = 2.2;

pub fn rank(pages: &[Page], doctypes: &[DocType]) -> Vec<Ranked> {
    let lines: Vec<layout::Line> = pages.iter().flat_map(layout::lines).collect();
    let narrow = pages.first().and_then(narrow_page);
    let mut scored: Vec<(String, f64, Vec<String>)> = Vec::new();
    for dt in doctypes {
        let mut score = 0.0;
        let mut reasons = Vec::new();
        for cue in &dt.cues {
            // Cues are looked for in reading order, so the reason names the first place.
            let hit = cue.phrases.iter().find_map(|phrase| {
                layout::find_phrase(&lines, phrase)
                    .into_iter()
                    .min_by_key(|(li, s, ..)| (*li, *s))
                    .map(|(li, s, ..)| {
                        let (line, b) = (&lines[li], lines[li].words[s].bbox);
                        format!(
                            "cue {:?} on page {} at ({}, {})",
                            phrase.join(" "),
                            line.page,
                            b[0],
                            b[1]
                        )
                    })
            });
            if let Some(r) = hit {
                score += cue.weight;
                reasons.push(r);
            }
        }
        if let (Some(why), true) = (&narrow, dt.narrow_page > 0.0) {
            score += dt.narrow_page;
            reasons.push(format!("layout: {why}"));
        }
        scored.push((dt.name.clone(), score, reasons));
    }
    let top = scored.iter().map(|s| s.1).fold(0.0, f64::max);
    // Types without any evidence take no share.
    let total: f64 = scored
        .iter()
        .filter(|s| s.1 > 0.0)
        .map(|s| ((s.1 - top) / SCALE).exp())
        .sum();
    let mut out: Vec<Ranked> = scored
        .into_iter()
        .map(|(name, score, reasons)| {
            let strength = 1.0 - (-score / SCALE).exp();
            let share = if score > 0.0 {
                ((score - top) / SCALE).exp() / total
            } else {
                0.0
            };
            Ranked {
                name,
                confidence: crate::document::round3(strength * share),
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    out
}

/// "page is 80 mm wide" when the first page is shaped like till paper.
fn narrow_page(page: &Page) -> Option<String> {
    let (w, h) = (page.width as f64, page.height as f64);
    if w == 0.0 || page.origin != crate::document::Origin::Ocr {
        return None;
    }
    let t = &page.transform;
    let dpi = t.source_dpi as f64 * t.scale as f64;
    // A width estimated from an assumed A4 page says nothing; a recorded one does.
    let recorded = t.source_dpi != 0 && t.source_dpi != 72;
    let mm = if dpi > 0.0 { w / dpi * 25.4 } else { f64::MAX };
    if h / w >= LONG_ASPECT {
        Some(format!(
            "page is {:.1} times as long as it is wide, like till paper",
            h / w
        ))
    } else if recorded && mm <= NARROW_MM {
        Some(format!("page is {mm:.0} mm wide, like till paper"))
    } else {
        None
    }
}

/// The winner, or `unknown` with the reason it is not clear.
pub fn decide(ranked: &[Ranked], doctypes: &[DocType]) -> DocTypeGuess {
    let candidates: Vec<crate::document::TypeCandidate> = ranked
        .iter()
        .filter(|r| r.confidence > 0.0)
        .map(|r| crate::document::TypeCandidate {
            name: r.name.clone(),
            confidence: r.confidence,
        })
        .collect();
    let Some(top) = ranked.first() else {
        return DocTypeGuess {
            value: UNKNOWN.into(),
            confidence: 0.0,
            reasons: vec!["no document types configured".into()],
            candidates,
            uncertain: false,
        };
    };
    let min = doctypes
        .iter()
        .find(|d| d.name == top.name)
        .map_or(0.6, |d| d.min_confidence);
    let mut reasons = top.reasons.clone();
    if let Some(second) = ranked.get(1) {
        if second.confidence > 0.0 && top.confidence - second.confidence < TIE_MARGIN {
            reasons.insert(
                0,
                format!(
                    "{} ({:.2}) and {} ({:.2}) are too close to call",
                    top.name, top.confidence, second.name, second.confidence
                ),
            );
            return DocTypeGuess {
                value: UNKNOWN.into(),
                confidence: top.confidence,
                reasons,
                candidates,
                uncertain: false,
            };
        }
    }
    if top.confidence < min {
        reasons.insert(
            0,
            format!(
                "best type {} at {:.2} is below its minimum {:.2}",
                top.name, top.confidence, min
            ),
        );
        return DocTypeGuess {
            value: UNKNOWN.into(),
            confidence: top.confidence,
            reasons,
            candidates,
            uncertain: false,
        };
    }
    DocTypeGuess {
        value: top.name.clone(),
        confidence: top.confidence,
        reasons,
        candidates,
        uncertain: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::page;

    fn types() -> Vec<DocType> {
        crate::config::doctype::builtin().unwrap()
    }

    #[test]
    fn every_type_takes_part_and_the_ranking_has_reasons() {
        let p = page(&[
            (100, &[(150, "Payroll Change Request")]),
            (200, &[(150, "Employee ID:"), (600, "E04217")]),
            (260, &[(150, "Hourly rate:"), (600, "245,00")]),
        ]);
        let ranked = rank(&[p], &types());
        assert_eq!(ranked.len(), types().len());
        assert_eq!(ranked[0].name, "payroll_change");
        assert!(
            ranked[0].reasons[0].starts_with("cue \"payroll change request\" on page 1"),
            "{:?}",
            ranked[0].reasons
        );
        let guess = decide(&ranked, &types());
        assert_eq!(guess.value, "payroll_change");
        assert_eq!(guess.candidates[0].name, "payroll_change");
    }

    #[test]
    fn a_near_tie_is_unknown_with_both_candidates() {
        let p = crate::testing::tie_page();
        let ranked = rank(&[p], &types());
        let guess = decide(&ranked, &types());
        assert_eq!(guess.value, "unknown", "{ranked:?}");
        assert!(
            guess.reasons[0].contains("too close to call"),
            "{:?}",
            guess.reasons
        );
        let mut names: Vec<&str> = guess.candidates.iter().map(|c| c.name.as_str()).collect();
        names.truncate(2);
        names.sort_unstable();
        assert_eq!(names, ["invoice", "receipt"]);
    }

    /// An invoice and a till receipt in each language a Nordic or German back office
    /// receives: titles, number, due date and total labels; till words, payment and
    /// thanks.
    #[test]
    fn invoices_and_receipts_are_told_apart_in_eleven_languages() {
        let invoices: &[(&str, [&str; 4])] = &[
            ("da", ["FAKTURA", "Fakturanr.", "Forfaldsdato", "At betale"]),
            (
                "de",
                ["RECHNUNG", "Rechnungsnummer", "Zahlbar bis", "Gesamtbetrag"],
            ),
            (
                "en",
                ["INVOICE", "Invoice number", "Due date", "Amount due"],
            ),
            (
                "sv",
                ["FAKTURA", "Fakturanummer", "Förfallodatum", "Att betala"],
            ),
            (
                "nb",
                ["FAKTURA", "Fakturanummer", "Forfallsdato", "Å betale"],
            ),
            ("fi", ["LASKU", "Laskun numero", "Eräpäivä", "Yhteensä"]),
            (
                "nl",
                ["FACTUUR", "Factuurnummer", "Vervaldatum", "Te betalen"],
            ),
            (
                "fr",
                [
                    "FACTURE",
                    "Numéro de facture",
                    "Date d'échéance",
                    "Net à payer",
                ],
            ),
            (
                "it",
                ["FATTURA", "Numero fattura", "Data scadenza", "Totale"],
            ),
            (
                "es",
                [
                    "FACTURA",
                    "Número de factura",
                    "Fecha de vencimiento",
                    "Importe total",
                ],
            ),
            (
                "pl",
                [
                    "FAKTURA VAT",
                    "Numer faktury",
                    "Termin płatności",
                    "Do zapłaty",
                ],
            ),
        ];
        for (lang, [title, number, due, total]) in invoices {
            let p = page(&[
                (100, &[(150, "Nordlys Handel")]),
                (200, &[(1500, title)]),
                (300, &[(150, number), (900, "2024-118")]),
                (360, &[(150, due), (900, "14.04.2024")]),
                (900, &[(150, total), (1500, "1.234,50")]),
            ]);
            let guess = decide(&rank(&[p], &types()), &types());
            assert_eq!(guess.value, "invoice", "{lang}: {guess:?}");
        }
        let receipts: &[(&str, [&str; 4])] = &[
            (
                "da",
                ["KVITTERING", "KONTANT", "BYTTEPENGE", "Tak for besøget"],
            ),
            ("de", ["KASSENBON", "BAR", "RÜCKGELD", "Vielen Dank"]),
            ("en", ["RECEIPT", "CASH", "CHANGE", "Thank you"]),
            ("sv", ["KVITTO", "KONTANT", "VÄXEL", "Tack för besöket"]),
            (
                "nb",
                [
                    "KVITTERING",
                    "KONTANTER",
                    "VEKSLEPENGER",
                    "Takk for besøket",
                ],
            ),
            (
                "fi",
                ["KUITTI", "KÄTEINEN", "VAIHTORAHA", "Kiitos käynnistä"],
            ),
            ("nl", ["KASSABON", "CONTANT", "WISSELGELD", "Bedankt"]),
            (
                "fr",
                [
                    "TICKET DE CAISSE",
                    "ESPÈCES",
                    "RENDU",
                    "Merci de votre visite",
                ],
            ),
            ("it", ["SCONTRINO", "CONTANTI", "RESTO", "Grazie"]),
            ("es", ["RECIBO", "EFECTIVO", "CAMBIO", "Gracias"]),
            (
                "pl",
                ["PARAGON FISKALNY", "GOTÓWKA", "RESZTA", "Dziękujemy"],
            ),
        ];
        for (lang, [title, cash, change, thanks]) in receipts {
            let p = page(&[
                (100, &[(150, "Kiosk 7")]),
                (200, &[(150, title)]),
                (400, &[(150, cash), (700, "20,00")]),
                (460, &[(150, change), (700, "2,50")]),
                (560, &[(150, thanks)]),
            ]);
            let guess = decide(&rank(&[p], &types()), &types());
            assert_eq!(guess.value, "receipt", "{lang}: {guess:?}");
        }
    }

    #[test]
    fn adding_a_type_file_changes_classification() {
        let p = page(&[
            (100, &[(150, "Proof of Address")]),
            (200, &[(150, "Utility account")]),
        ]);
        assert_eq!(
            decide(&rank(std::slice::from_ref(&p), &types()), &types()).value,
            "unknown"
        );
        let mut more = types();
        more.push(
            crate::config::doctype::parse(
                std::path::Path::new("proof.toml"),
                r#"
name = "proof_of_address"
[classify]
cues = [{ words = ["proof of address"], weight = 3.0 }, { words = ["utility"], weight = 1.0 }]
[[fields]]
name = "holder"
kind = "text"
labels = { en = ["name"] }
"#,
            )
            .unwrap(),
        );
        assert_eq!(decide(&rank(&[p], &more), &more).value, "proof_of_address");
    }
}
