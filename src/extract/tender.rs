//! What a till says was paid, as evidence for the total: cash tendered minus the
//! change handed back, or the amount charged to a card.
//!
//! A receipt prints several totals (before rounding, after it, a tax summary's
//! "Total" row, "Total savings") and the last one printed is not always the one paid.
//! The payment lines are printed by the till from the same sum, so a total that agrees
//! with them is very likely the total, and one that does not is doubtful.

use rust_decimal::Decimal;

use super::candidates::{candidate, joined, words_in, Candidate};
use crate::config::doctype::label_tokens;
use crate::text::layout::Line;
use crate::values;

/// Cash handed over, in the languages of the classification cues.
const TENDERED: &[&str] = &[
    "cash",
    "tendered",
    "tender",
    "kontant",
    "kontanter",
    "kontantbetaling",
    "bar",
    "gegeben",
    "kontantbetalning",
    "käteinen",
    "kateinen",
    "contant",
    "contanten",
    "espèces",
    "especes",
    "contanti",
    "efectivo",
    "gotówka",
    "gotowka",
];
/// Change handed back.
const CHANGE: &[&str] = &[
    "change",
    "byttepenge",
    "retur",
    "rückgeld",
    "ruckgeld",
    "wechselgeld",
    "zurück",
    "växel",
    "vaxel",
    "vekslepenger",
    "vaihtoraha",
    "wisselgeld",
    "rendu",
    "monnaie",
    "resto",
    "cambio",
    "reszta",
];
/// Card schemes and the word "card": the amount charged is the amount paid.
const CARD: &[&str] = &[
    "visa",
    "mastercard",
    "maestro",
    "dankort",
    "amex",
    "card",
    "kort",
    "karte",
    "girocard",
    "ec-karte",
    "kortti",
    "carte",
    "carta",
    "tarjeta",
    "karta",
    "debit",
    "credit",
];

/// The amount paid and how the till shows it ("cash 20.00 − change 10.10").
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Paid {
    pub amount: Decimal,
    pub how: String,
}

/// The last amount on a line whose first words hold one of `words`, and not one of
/// `unless`.
fn amount_after(line: &Line, words: &[&str], unless: &[&str]) -> Option<Decimal> {
    let text = joined(&line.words).0;
    let tokens = label_tokens(&text);
    let head = &tokens[..tokens.len().min(3)];
    if !head.iter().any(|t| words.contains(&t.as_str()))
        || head.iter().any(|t| unless.contains(&t.as_str()))
    {
        return None;
    }
    let f = values::find_money(&text.replace(';', ","))
        .into_iter()
        .last()?;
    // Payment lines print their cents; a bare number is a count or a card's digits.
    text[f.start..f.end]
        .contains(['.', ','])
        .then_some(f.value.amount.abs())
}

/// What was paid, when the till prints it: the last cash line minus the last change
/// line after it, or else the last card line.
pub(super) fn paid(lines: &[Line]) -> Option<Paid> {
    let mut cash: Option<(usize, Decimal)> = None;
    let mut change: Option<(usize, Decimal)> = None;
    let mut card: Option<Decimal> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(a) = amount_after(line, CHANGE, &[]) {
            change = Some((i, a));
        } else if let Some(a) = amount_after(line, TENDERED, CHANGE) {
            cash = Some((i, a));
        } else if let Some(a) = amount_after(line, CARD, &[]) {
            card = Some(a);
        }
    }
    match (cash, change) {
        (Some((ci, c)), Some((hi, h))) if hi > ci && c >= h && c > Decimal::ZERO => Some(Paid {
            amount: c - h,
            how: format!("cash {c} − change {h}"),
        }),
        _ => card.filter(|a| *a > Decimal::ZERO).map(|a| Paid {
            amount: a,
            how: format!("charged to a card {a}"),
        }),
    }
}

/// A total the payment agrees with, from a line that says "total" in any of the
/// field's label words (its excluded words too: "Total incl. GST 9.90" is the total
/// when 9.90 was paid, though "Total includes GST 1.23" is not).
pub(super) fn total_line(lines: &[Line], label_words: &[&str], paid: &Paid) -> Option<Candidate> {
    lines.iter().rev().find_map(|line| {
        let (text, spans) = joined(&line.words);
        let tokens = label_tokens(&text);
        if !tokens.iter().any(|t| label_words.contains(&t.as_str())) {
            return None;
        }
        let f = values::find_money(&text.replace(';', ","))
            .into_iter()
            .rev()
            .find(|f| f.value.amount == paid.amount)?;
        let mut c = candidate(
            values::format_money(f.value.amount, f.value.currency),
            words_in(&line.words, &spans, f.start, f.end),
        );
        c.amount = Some(f.value.amount);
        c.currency = f.value.currency;
        c.page = line.page;
        c.label = text[..f.start].trim().to_string();
        Some(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::page;

    fn lines(rows: &[(u32, &[(u32, &str)])]) -> Vec<Line> {
        crate::text::layout::lines(&page(rows))
    }

    #[test]
    fn cash_minus_change_then_a_card_then_nothing() {
        let l = lines(&[
            (100, &[(150, "TOTAL"), (700, "9.90")]),
            (160, &[(150, "CASH"), (700, "20.00")]),
            (220, &[(150, "CHANGE"), (700, "10.10")]),
        ]);
        let p = paid(&l).unwrap();
        assert_eq!(p.amount, Decimal::new(990, 2));
        assert_eq!(p.how, "cash 20.00 − change 10.10");
        let l = lines(&[
            (100, &[(150, "I ALT"), (700, "144,00")]),
            (160, &[(150, "Dankort"), (700, "144,00")]),
            (220, &[(150, "Kortnr"), (700, "XXXX XXXX XXXX 1234")]),
        ]);
        assert_eq!(paid(&l).unwrap().amount, Decimal::new(14400, 2));
        // Change without the cash it came from says nothing.
        let l = lines(&[(100, &[(150, "Rückgeld"), (700, "5,00")])]);
        assert_eq!(paid(&l), None);
    }
}
