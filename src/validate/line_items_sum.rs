//! Check `line_items_sum`: the line items read add up to a subtotal or total printed.
//!
//! # What it checks
//! The amounts of the item rows extraction read above the totals
//! ([`crate::extract::ItemsRead`]) against every amount printed with a label of the
//! totals the type's `line_items` names (subtotal, tax, total), within a cent. Passed
//! when the sum is one of them, naming it; failed otherwise, naming the amounts seen.
//! The check is on `line_items`, not on the totals.
//!
//! # Why
//! Item rows are read from a table whose columns OCR often runs together; when the
//! rows add up to a printed amount they were read right, or wrong in ways that cancel
//! out. When they do not, each row keeps half its confidence and a person sees the
//! items before they are posted. The totals were read on their own: a row misread says
//! nothing about them, so their confidence stays.
//!
//! # Example
//! Four rows read as 1557.18 on an invoice printing 2492.78 and 2966.41 fail with `the 4
//! line items read add up to 1557.18, which is no subtotal or total printed (2492.78,
//! 2966.41)`.
//!
//! # Known failure modes
//! - The check does not block approval (approving vouches for the fields): a person
//!   corrects the rows in the review page's grid, where the check is judged again on
//!   the rows typed against the totals as corrected (`pipeline::apply_item_corrections`),
//!   or leaves them, and the failed check travels with the document.
//! - A table with a discount or shipping row that the totals include but the rows do
//!   not show fails.

use rust_decimal::Decimal;

use crate::document::{round3, CheckCode, CheckResult, LineItem};
use crate::extract::ItemsRead;
use crate::values;

pub const CODE: CheckCode = CheckCode::LineItemsSum;

/// The rows as the document gives them (confidence halved when they do not add up,
/// rounded) and the check.
pub fn judge(read: ItemsRead) -> (Vec<LineItem>, CheckResult) {
    let cent = Decimal::new(1, 2);
    let sum = read.sum;
    let adds_up = read.printed.iter().find(|(a, _)| (a - sum).abs() <= cent);
    let money = |d: Decimal| values::format_money(d, read.currency.as_deref());
    let items: Vec<LineItem> = read
        .items
        .into_iter()
        .map(|mut it| {
            if adds_up.is_none() {
                it.confidence *= 0.5;
            }
            it.confidence = round3(it.confidence);
            it
        })
        .collect();
    let n = items.len();
    let check = CheckResult {
        code: CODE,
        passed: adds_up.is_some(),
        // Not the totals: they were read on their own, and a row misread says nothing
        // about them.
        fields: vec!["line_items".into()],
        message: match adds_up {
            Some((_, raw)) => format!(
                "the {n} line items add up to {}, as printed beside {raw:?}",
                money(sum),
            ),
            None => {
                let mut seen: Vec<String> = read.printed.iter().map(|(a, _)| money(*a)).collect();
                seen.dedup();
                format!(
                    "the {n} line items read add up to {}, which is no subtotal or total printed ({})",
                    money(sum),
                    seen.join(", ")
                )
            }
        },
    };
    (items, check)
}
