//! Stage "route": fields + checks + thresholds → auto-post or review, with reasons.
//!
//! Pure. A document is posted without a person only when its type is known and certain, every
//! check passed, and every field the type defines is either absent-and-optional or
//! read (not derived) at or above its threshold.

use crate::config::DocType;
use crate::document::{CheckResult, Decision, DocTypeGuess, IndexedFields, Origin, Route};

pub fn route(
    doc_type: &DocTypeGuess,
    doctype: Option<&DocType>,
    fields: &IndexedFields,
    checks: &[CheckResult],
) -> Decision {
    let mut reasons = Vec::new();
    let Some(dt) = doctype else {
        reasons.push(format!(
            "document type is {} ({:.2})",
            doc_type.value, doc_type.confidence
        ));
        reasons.extend(doc_type.reasons.iter().take(1).cloned());
        return Decision {
            route: Route::Review,
            reasons,
        };
    };
    if doc_type.uncertain {
        reasons.push(format!(
            "document type {} is uncertain ({:.2}): a person confirms it",
            doc_type.value, doc_type.confidence
        ));
    }
    for c in checks.iter().filter(|c| !c.passed) {
        reasons.push(format!("check {} failed: {}", c.code, c.message));
    }
    for spec in dt.fields.iter().filter(|f| f.extract) {
        let Some(f) = fields.get(&spec.name) else {
            continue;
        };
        if f.origin == Origin::Derived {
            reasons.push(format!("{} was derived, not read", spec.name));
        } else if f.confidence < spec.threshold {
            reasons.push(format!(
                "{} confidence {:.3} below {}",
                spec.name, f.confidence, spec.threshold
            ));
        }
    }
    let all_right: f64 = dt
        .fields
        .iter()
        .filter(|f| f.extract)
        .filter_map(|f| fields.get(&f.name))
        .map(|f| f.confidence)
        .product();
    if all_right < dt.document_threshold {
        reasons.push(format!(
            "estimated chance that every field is right {all_right:.3} is below {:.3}",
            dt.document_threshold
        ));
    }
    Decision {
        route: if reasons.is_empty() {
            Route::AutoPost
        } else {
            Route::Review
        },
        reasons,
    }
}
