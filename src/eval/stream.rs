//! `mailroom eval DIR --stream`: a supplier stream through the real pipeline, with a
//! simulated reviewer, to measure whether trust grows with use.
//!
//! The documents are read one by one in file-name order (the arrival order
//! `mailroom-samples --suppliers` gives them), with real OCR and the vendor book as it
//! stands at that moment. One the pipeline would post is counted (right, or not);
//! one it holds is corrected to its truth by the reviewer and approved, and the approval
//! teaches exactly as an approval in the review UI or the API does
//! ([`crate::pipeline::apply_corrections`], then [`crate::vendor::taught`]). The book
//! lives in memory here; `mailroom run` keeps it in the ledger.
//!
//! The report gives the automation rate by the supplier's document number (1st, 2nd,
//! 3rd …), the share of auto-posted documents with every field right, and, for first
//! documents, whether the supplier was in the master data imported with `--vendors`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Config;
use crate::document::vendor::Vendor;
use crate::document::{Route, Truth, TypedDocument};

/// One document of the stream, as it went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub name: String,
    pub supplier: String,
    /// 1 for the supplier's first document.
    pub nth: u32,
    /// The supplier was in master data before its first document arrived.
    pub known: bool,
    pub auto_posted: bool,
    pub all_right: bool,
    /// Fields the reviewer had to correct (0 when posted).
    pub corrected: usize,
    /// The first review reasons, when held.
    pub reasons: Vec<String>,
    /// Fields read wrong but posted (when auto-posted and not all right).
    pub wrong: Vec<String>,
    /// How the supplier was found in the vendor book (`vat_id`, `iban`, `name`).
    pub matched_by: Option<String>,
    /// Fields read wrong, as read: value, confidence and the reasons behind it.
    pub misread: Vec<serde_json::Value>,
    /// Fields below their threshold, as read, with their reasons.
    pub doubtful: Vec<serde_json::Value>,
    /// Every field read: (name, confidence, right, whether master data or approvals
    /// changed its confidence or value).
    pub fields: Vec<(String, f64, bool, bool)>,
}

/// Whether every field the truth names was read right, and which were not.
fn wrong_fields(doc: &TypedDocument, truth: &Truth, cfg: &Config) -> Vec<String> {
    let Some(dt) = cfg.doctype(&truth.doc_type) else {
        return vec!["doc_type".into()];
    };
    if doc.doc_type.value != truth.doc_type {
        return vec!["doc_type".into()];
    }
    dt.fields
        .iter()
        .filter(|f| f.extract)
        .filter(|spec| {
            truth.fields.get(&spec.name).is_some_and(|want| {
                !super::same(spec.kind, doc.fields.value(&spec.name), want.as_deref())
            })
        })
        .map(|spec| spec.name.clone())
        .collect()
}

/// Run the stream in `dir`; `vendors` is master data imported before the first document.
/// With `pages_cache`, the pages each file was read into are kept there and reused
/// (as [`super::analyse_dir_cached`] does).
pub fn run(
    cfg: &Config,
    dir: &Path,
    vendors: Option<&Path>,
    pages_cache: Option<&Path>,
) -> anyhow::Result<Vec<Step>> {
    let mut book: Vec<Vendor> = Vec::new();
    if let Some(file) = vendors {
        let text = std::fs::read_to_string(file)?;
        book = crate::vendor::import::parse(&text)
            .map_err(|errs| anyhow::anyhow!("{}: {}", file.display(), errs.join("; ")))?;
    }
    for (i, v) in book.iter_mut().enumerate() {
        v.id = i as i64 + 1;
    }
    let imported: Vec<Vendor> = book.clone();
    let mut engine = crate::pipeline::engine(cfg)?;
    let now = crate::document::input::Now::current();
    let today = now.today();
    let mut steps = Vec::new();
    let pairs = super::cases_in(dir)?;
    anyhow::ensure!(
        !pairs.is_empty(),
        "no documents with truth in {}",
        dir.display()
    );
    let bar = super::progress(pairs.len() as u64, "stream");
    for (file, truth_file) in pairs {
        bar.inc(1);
        let truth: Truth = serde_json::from_str(&std::fs::read_to_string(&truth_file)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", truth_file.display()))?;
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let input = crate::pool::input(name.clone(), std::fs::read(&file)?);
        let key = match pages_cache {
            Some(cache) => Some(super::cache_file(cache, cfg, &input.data)?),
            None => None,
        };
        let (doc, pages) = match key
            .as_deref()
            .map(super::cached_pages)
            .transpose()?
            .flatten()
        {
            Some(pages) => (
                super::analyse_kept(&input, &pages, cfg, today, &book),
                pages,
            ),
            None => {
                let read =
                    crate::pipeline::read_and_analyse(&mut engine, &input, cfg, &book, today)?;
                if let Some(key) = &key {
                    super::keep_pages(key, &read.1)?;
                }
                read
            }
        };
        let supplier = truth.supplier.clone().unwrap_or_else(|| name.clone());
        let known = imported.iter().any(|v| {
            truth.fields.get("vendor_vat_id").and_then(|x| x.as_deref()) == v.vat_id.as_deref()
                && v.vat_id.is_some()
                || truth
                    .fields
                    .get("iban")
                    .and_then(|x| x.clone())
                    .is_some_and(|i| v.ibans.contains(&i))
        });
        let wrong = wrong_fields(&doc, &truth, cfg);
        let misread = wrong
            .iter()
            .map(|f| {
                serde_json::json!({
                    "field": f,
                    "read": doc.fields.get(f),
                    "truth": truth.fields.get(f),
                })
            })
            .collect();
        let doubtful = cfg
            .doctype(&doc.doc_type.value)
            .map(|dt| {
                dt.fields
                    .iter()
                    .filter_map(|spec| {
                        let f = doc.fields.get(&spec.name)?;
                        (f.confidence < spec.threshold)
                            .then(|| serde_json::json!({"field": spec.name, "read": f}))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fields = cfg
            .doctype(&truth.doc_type)
            .map(|dt| {
                dt.fields
                    .iter()
                    .filter(|spec| spec.extract && truth.fields.contains_key(&spec.name))
                    .filter_map(|spec| {
                        let f = doc.fields.get(&spec.name)?;
                        let taught = f.origin == crate::document::Origin::MasterData
                            || f.reasons
                                .iter()
                                .any(|r| r.contains("approved") || r.contains("master data"));
                        Some((
                            spec.name.clone(),
                            f.confidence,
                            !wrong.contains(&spec.name),
                            taught,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut step = Step {
            name,
            supplier,
            nth: truth.supplier_doc.unwrap_or(1),
            known,
            auto_posted: doc.decision.route == Route::AutoPost,
            all_right: wrong.is_empty(),
            corrected: 0,
            reasons: doc.decision.reasons.iter().take(3).cloned().collect(),
            wrong: Vec::new(),
            matched_by: doc.vendor.as_ref().map(|v| v.matched_by.clone()),
            misread,
            doubtful,
            fields,
        };
        if step.auto_posted {
            step.wrong = wrong;
            steps.push(step);
            continue;
        }
        // The reviewer corrects every field to its truth and approves.
        let Some(dt) = cfg.doctype(&truth.doc_type) else {
            steps.push(step);
            continue;
        };
        let mut doc = doc;
        if doc.doc_type.value != truth.doc_type {
            doc = crate::pipeline::analyse_as(
                doc.id.clone(),
                doc.source.clone(),
                &pages,
                cfg,
                today,
                crate::document::DocTypeGuess {
                    value: truth.doc_type.clone(),
                    confidence: 1.0,
                    reasons: vec!["set by the reviewer".into()],
                    candidates: Vec::new(),
                    uncertain: false,
                },
                &book,
            );
        }
        let edits: Vec<(String, String)> = wrong_fields(&doc, &truth, cfg)
            .into_iter()
            .filter(|f| f != "doc_type")
            .map(|f| {
                let want = truth.fields.get(&f).cloned().flatten().unwrap_or_default();
                (f, want)
            })
            .collect();
        step.corrected = edits.len();
        let fixed = match crate::pipeline::apply_corrections(&doc, dt, &edits, "eval", now) {
            Ok((fixed, _)) => fixed,
            Err(errs) => {
                tracing::warn!(document = %step.name, ?errs, "the reviewer's truth was refused");
                steps.push(step);
                continue;
            }
        };
        if let Some(v) = crate::vendor::taught(&fixed, &pages, dt, &book).map(|l| l.vendor) {
            match book.iter_mut().find(|b| b.id == v.id && v.id != 0) {
                Some(slot) => *slot = v,
                None => {
                    let id = book.iter().map(|b| b.id).max().unwrap_or(0) + 1;
                    book.push(Vendor { id, ..v });
                }
            }
        }
        steps.push(step);
    }
    bar.finish_and_clear();
    Ok(steps)
}

/// The stream's report: automation by the supplier's document number, and what was
/// posted right.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let line = |label: &str, s: &[&Step]| {
        let posted = s.iter().filter(|x| x.auto_posted).count();
        let right = s.iter().filter(|x| x.auto_posted && x.all_right).count();
        format!(
            "{label:<22} {:>4} documents  {:>5.1} % auto-posted ({posted})  {:>5.1} % of those entirely right\n",
            s.len(),
            pct(posted, s.len()),
            pct(right, posted),
        )
    };
    let all: Vec<&Step> = steps.iter().collect();
    out.push_str(&line("all", &all));
    let mut by_n: BTreeMap<u32, Vec<&Step>> = BTreeMap::new();
    for s in steps {
        by_n.entry(s.nth).or_default().push(s);
    }
    for (n, s) in &by_n {
        out.push_str(&line(&format!("document {n} of supplier"), s));
    }
    let later: Vec<&Step> = steps.iter().filter(|s| s.nth >= 3).collect();
    out.push_str(&line("3rd document on", &later));
    let first_known: Vec<&Step> = steps.iter().filter(|s| s.nth == 1 && s.known).collect();
    let first_new: Vec<&Step> = steps.iter().filter(|s| s.nth == 1 && !s.known).collect();
    out.push_str(&line("1st, in master data", &first_known));
    out.push_str(&line("1st, not in master data", &first_new));
    // Does a confidence that master data or approvals set mean what it says?
    let taught: Vec<(f64, bool)> = steps
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| f.3)
        .map(|f| (f.1, f.2))
        .collect();
    for (lo, hi) in [(0.0, 0.9), (0.9, 0.98), (0.98, 1.01)] {
        let bin: Vec<&(f64, bool)> = taught.iter().filter(|(c, _)| *c >= lo && *c < hi).collect();
        if bin.is_empty() {
            continue;
        }
        let mean = bin.iter().map(|(c, _)| c).sum::<f64>() / bin.len() as f64;
        let right = bin.iter().filter(|(_, r)| *r).count();
        out.push_str(&format!(
            "fields master data or approvals spoke for, confidence {lo:.2}–{:.2}: {:>4}, mean {:.3}, right {:.1} %\n",
            hi.min(1.0),
            bin.len(),
            mean,
            pct(right, bin.len())
        ));
    }
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    for s in steps.iter().filter(|s| !s.auto_posted && s.nth >= 3) {
        if let Some(r) = s.reasons.first() {
            let key: String = r
                .split(|c: char| c.is_ascii_digit())
                .next()
                .unwrap_or(r)
                .to_string();
            *held.entry(key).or_default() += 1;
        }
    }
    if !held.is_empty() {
        out.push_str("first reason held, 3rd document on:\n");
        let mut held: Vec<_> = held.into_iter().collect();
        held.sort_by_key(|h| std::cmp::Reverse(h.1));
        for (r, n) in held.iter().take(8) {
            out.push_str(&format!("  {n:>3}  {r}\n"));
        }
    }
    let bad: Vec<&Step> = steps
        .iter()
        .filter(|s| s.auto_posted && !s.all_right)
        .collect();
    for s in bad {
        out.push_str(&format!(
            "auto-posted wrong: {} ({} #{}): {}\n",
            s.name,
            s.supplier,
            s.nth,
            s.wrong.join(", ")
        ));
    }
    out
}
