//! `mailroom eval DIR`: extraction accuracy against `NAME.truth.json` files.
//!
//! Reports per-field accuracy, the share of documents auto-posted, the precision of
//! auto-posting (share of auto-posted documents whose every field is right), a
//! calibration table (confidence bucket vs observed accuracy) with its expected
//! calibration error, and what each confidence threshold would automate at what error
//! rate, overall and per document type and degradation level. The scoring is pure ([`score`]); [`run`] does the reading.

pub mod stream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{Config, FieldKind};
use crate::document::{Route, Truth, TypedDocument};

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub truth: Truth,
    pub result: Result<TypedDocument, String>,
    /// The pages of words the document was read from (none for e-invoices), for
    /// training on the candidates they offer (`mailroom train-ranker`).
    pub pages: Vec<crate::text::Page>,
}

#[derive(Debug, Default, Serialize)]
pub struct FieldScore {
    pub correct: usize,
    pub total: usize,
    pub accuracy: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Bucket {
    pub range: String,
    pub fields: usize,
    pub correct: usize,
    pub accuracy: Option<f64>,
    /// The mean confidence reported for the bucket's fields.
    pub confidence: Option<f64>,
}

/// What one confidence threshold would do, applied to every field alike.
#[derive(Debug, Default, Serialize)]
pub struct AtThreshold {
    pub threshold: f64,
    /// Fields reported at or above the threshold, and how many of them are wrong.
    pub fields: usize,
    pub fields_wrong: usize,
    /// Documents that would be posted without a person (type settled, every check
    /// passed, nothing derived, every field read at or above the threshold), and how
    /// many of them have any field wrong.
    pub documents: usize,
    pub documents_wrong: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub group: String,
    pub documents: usize,
    pub failed: usize,
    pub field_accuracy: f64,
    pub fields: BTreeMap<String, FieldScore>,
    pub auto_posted: usize,
    pub auto_post_rate: f64,
    pub auto_post_all_fields_right: usize,
    pub auto_post_precision: Option<f64>,
    pub calibration: Vec<Bucket>,
    /// Expected calibration error over the buckets: the fields' share-weighted gap
    /// between the confidence reported and the accuracy observed (0 is perfect).
    pub ece: Option<f64>,
    pub thresholds: Vec<AtThreshold>,
    /// Documents classified right (their type is the truth's type, settled).
    pub classified_right: usize,
    /// Documents whose type was uncertain but whose fields were read as the right type.
    pub read_as_right: usize,
    /// Line items: rows printed (by the truth), rows read, rows read right.
    pub items_printed: usize,
    pub items_read: usize,
    pub items_right: usize,
    /// Documents with items printed whose item list was read exactly (every row, in order).
    pub item_lists_right: usize,
    pub item_lists: usize,
    /// Auto-posted documents carrying an item list that is not exactly the printed one.
    pub auto_posted_items_wrong: usize,
    /// Truth type → type the classifier gave ("unknown" for a tie or a weak winner,
    /// "error" for an unreadable file) → documents. On the "all" report only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<BTreeMap<String, BTreeMap<String, usize>>>,
}

const THRESHOLDS: &[f64] = &[0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];

const BUCKETS: &[(f64, f64)] = &[
    (0.0, 0.5),
    (0.5, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 0.95),
    (0.95, 0.98),
    (0.98, 1.0001),
];

/// Score `cases` on the fields the document type extracts.
pub fn score(group: &str, cases: &[&Case], cfg: &Config) -> Report {
    let mut r = Report {
        group: group.to_string(),
        documents: cases.len(),
        ..Default::default()
    };
    let mut buckets: Vec<(usize, usize, f64)> = vec![(0, 0, 0.0); BUCKETS.len()];
    // Per field read: (confidence, right); per document: (lowest confidence, or None
    // when nothing could post it, every field right).
    let mut read: Vec<(f64, bool)> = Vec::new();
    let mut docs: Vec<(Option<f64>, bool)> = Vec::new();
    let (mut all_right_total, mut all_total) = (0, 0);
    for case in cases {
        if cfg.doctype(&case.truth.doc_type).is_none() {
            continue;
        }
        let doc = case.result.as_ref().ok();
        if doc.is_none() {
            r.failed += 1;
        }
        let right_type = doc.is_some_and(|d| d.doc_type.value == case.truth.doc_type);
        let settled = doc.is_some_and(|d| !d.doc_type.uncertain);
        r.classified_right += (right_type && settled) as usize;
        r.read_as_right += (right_type && !settled) as usize;
        let mut every_field_right = true;
        // A document could post only with its type settled and every check passed.
        let mut lowest = doc
            .filter(|d| cfg.doctype(&d.doc_type.value).is_some() && !d.doc_type.uncertain)
            .filter(|d| d.checks.iter().all(|c| c.passed))
            .map(|_| 1.0);
        for (_, spec, expected) in judged(case, cfg) {
            let got = doc.and_then(|d| d.fields.get(&spec.name));
            let right = same(spec.kind, got.map(|f| f.value.as_str()), expected);
            let s = r.fields.entry(spec.name.clone()).or_default();
            s.total += 1;
            all_total += 1;
            if right {
                s.correct += 1;
                all_right_total += 1;
            } else {
                every_field_right = false;
            }
            if let Some(f) = got {
                let b = BUCKETS
                    .iter()
                    .position(|(lo, hi)| f.confidence >= *lo && f.confidence < *hi)
                    .unwrap_or(BUCKETS.len() - 1);
                buckets[b].0 += 1;
                buckets[b].1 += right as usize;
                buckets[b].2 += f.confidence;
                read.push((f.confidence, right));
                lowest = if f.origin == crate::document::Origin::Derived {
                    None
                } else {
                    lowest.map(|l: f64| l.min(f.confidence))
                };
            }
        }
        if doc.is_some() {
            docs.push((lowest, every_field_right));
        }
        let printed = &case.truth.line_items;
        let read = doc.map_or(&[][..], |d| d.line_items.as_slice());
        let list_right = list_right(printed, read);
        if !printed.is_empty() {
            r.items_printed += printed.len();
            r.items_read += read.len();
            r.items_right += read
                .iter()
                .filter(|x| printed.iter().any(|t| t.matches(x)))
                .count();
            r.item_lists += 1;
            r.item_lists_right += list_right as usize;
        }
        if let Some(d) = doc {
            if d.decision.route == Route::AutoPost {
                r.auto_posted += 1;
                r.auto_post_all_fields_right += every_field_right as usize;
                r.auto_posted_items_wrong += (!read.is_empty() && !list_right) as usize;
            }
        }
    }
    for s in r.fields.values_mut() {
        s.accuracy = ratio(s.correct, s.total);
    }
    r.field_accuracy = ratio(all_right_total, all_total);
    r.auto_post_rate = ratio(r.auto_posted, r.documents);
    r.auto_post_precision =
        (r.auto_posted > 0).then(|| ratio(r.auto_post_all_fields_right, r.auto_posted));
    let n_read: usize = buckets.iter().map(|b| b.0).sum();
    r.ece = (n_read > 0).then(|| {
        let gap: f64 = buckets
            .iter()
            .filter(|b| b.0 > 0)
            .map(|&(_, ok, sum)| (sum - ok as f64).abs())
            .sum();
        (gap / n_read as f64 * 10000.0).round() / 10000.0
    });
    r.calibration = BUCKETS
        .iter()
        .zip(buckets)
        .map(|((lo, hi), (n, ok, sum))| Bucket {
            range: format!("{lo:.2}–{:.2}", hi.min(1.0)),
            fields: n,
            correct: ok,
            accuracy: (n > 0).then(|| ratio(ok, n)),
            confidence: (n > 0).then(|| (sum / n as f64 * 1000.0).round() / 1000.0),
        })
        .collect();
    r.thresholds = THRESHOLDS
        .iter()
        .map(|&t| {
            let fields: Vec<bool> = read.iter().filter(|f| f.0 >= t).map(|f| f.1).collect();
            let posted: Vec<bool> = docs
                .iter()
                .filter(|d| d.0.is_some_and(|l| l >= t))
                .map(|d| d.1)
                .collect();
            AtThreshold {
                threshold: t,
                fields: fields.len(),
                fields_wrong: fields.iter().filter(|r| !**r).count(),
                documents: posted.len(),
                documents_wrong: posted.iter().filter(|r| !**r).count(),
            }
        })
        .collect();
    r
}

/// Whether a value read is the truth's. Names and addresses compare as words, case,
/// commas and spacing aside: one source joins an address's printed lines with ", ",
/// another with a space, and an OCR'd "No." is the truth's "NO.".
pub fn same(kind: crate::config::FieldKind, got: Option<&str>, want: Option<&str>) -> bool {
    use crate::config::FieldKind;
    let words = |s: &str| {
        s.replace(',', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches('.')
            .to_uppercase()
    };
    match (got, want) {
        (Some(g), Some(w))
            if matches!(
                kind,
                FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress
            ) =>
        {
            words(g) == words(w)
        }
        // A truth written with its currency ("$6.90") is the amount read as "6.90".
        (Some(g), Some(w)) if kind == FieldKind::Money && g != w => {
            let amount = |s: &str| crate::values::find_money(s).first().map(|f| f.value.amount);
            amount(w).is_some() && amount(w) == amount(g)
        }
        _ => got == want,
    }
}

/// Whether the item rows were read as printed: every row, in order.
fn list_right(printed: &[crate::document::TruthItem], read: &[crate::document::LineItem]) -> bool {
    printed.len() == read.len() && printed.iter().zip(read).all(|(t, r)| t.matches(r))
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 / b as f64 * 10000.0).round() / 10000.0
    }
}

/// Files in `dir` with a `NAME.truth.json` beside them: (file, truth path).
pub fn cases_in(dir: &Path) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".truth.json") || !p.is_file() {
            continue;
        }
        let stem = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let truth = dir.join(format!("{stem}.truth.json"));
        if truth.exists() {
            out.push((p, truth));
        }
    }
    out.sort();
    Ok(out)
}

/// The fields of `case`'s true type that are extracted and that its truth names: each
/// with its index in the type, its spec and the true value (`None`: the truth says the
/// page has none).
fn judged<'a>(
    case: &'a Case,
    cfg: &'a Config,
) -> impl Iterator<
    Item = (
        usize,
        &'a crate::config::doctype::FieldSpec,
        Option<&'a str>,
    ),
> + 'a {
    cfg.doctype(&case.truth.doc_type)
        .into_iter()
        .flat_map(|dt| dt.fields.iter().enumerate())
        .filter(|(_, spec)| spec.extract)
        .filter_map(|(i, spec)| {
            let expected = case.truth.fields.get(&spec.name)?;
            Some((i, spec, expected.as_deref()))
        })
}

/// Fit a calibration table from cases analysed *without* calibration.
pub fn fit_calibration(
    cases: &[Case],
    cfg: &Config,
    origin: String,
) -> crate::calibrate::Calibration {
    let mut samples: BTreeMap<String, Vec<(f64, bool)>> = BTreeMap::new();
    for case in cases {
        let Ok(doc) = &case.result else {
            continue;
        };
        for (_, spec, expected) in judged(case, cfg) {
            let Some(got) = doc.fields.get(&spec.name) else {
                continue;
            };
            if got.origin == crate::document::Origin::Derived {
                continue;
            }
            let right = same(spec.kind, Some(got.value.as_str()), expected);
            samples
                .entry(spec.name.clone())
                .or_default()
                .push((got.confidence, right));
        }
    }
    crate::calibrate::Calibration {
        origin,
        fields: samples
            .into_iter()
            .map(|(name, mut s)| (name, crate::calibrate::fit(&mut s)))
            .collect(),
    }
}

/// Every field read wrong, one line each: the file, the field, what was read (with its
/// confidence) and what the truth says. Where to look when a figure drops.
pub fn misses(cases: &[Case], cfg: &Config) -> String {
    let mut out = String::new();
    for case in cases {
        let doc = match &case.result {
            Ok(doc) => doc,
            Err(e) => {
                out.push_str(&format!("{}: not read: {e}\n", case.name));
                continue;
            }
        };
        // What became of the document: what held it, or that it posted with a miss.
        let mut missed = false;
        for (_, spec, expected) in judged(case, cfg) {
            let got = doc.fields.get(&spec.name);
            if same(spec.kind, got.map(|f| f.value.as_str()), expected) {
                continue;
            }
            missed = true;
            let read = got.map_or("null".to_string(), |f| {
                format!("{:?} ({:.2})", f.value, f.confidence)
            });
            out.push_str(&format!(
                "{} [{}]: {} read {read}, truth {:?}\n",
                case.name, doc.doc_type.value, spec.name, expected
            ));
        }
        if doc.decision.route != Route::AutoPost {
            out.push_str(&format!(
                "{}: held: {}\n",
                case.name,
                doc.decision.reasons.join("; ")
            ));
        } else if missed {
            out.push_str(&format!(
                "{}: auto-posted with a field read wrong\n",
                case.name
            ));
        }
        // The item rows, when the list is not read right as a whole: each printed row
        // not read, and each row read that the page does not print.
        let (printed, read) = (&case.truth.line_items, &doc.line_items);
        if printed.is_empty() || list_right(printed, read) {
            continue;
        }
        let row = |d: &str, q: &Option<String>, u: &Option<String>, a: &Option<String>| {
            let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            format!("{d:?} {} × {} = {}", s(q), s(u), s(a))
        };
        let not_read = printed
            .iter()
            .filter(|t| !read.iter().any(|r| t.matches(r)))
            .map(|t| {
                format!(
                    "item not read: {}",
                    row(&t.description, &t.quantity, &t.unit_price, &t.amount)
                )
            });
        let wrong = read
            .iter()
            .filter(|r| !printed.iter().any(|t| t.matches(r)))
            .map(|r| {
                let text = row(&r.description, &r.quantity, &r.unit_price, &r.amount);
                format!("item read wrong: {text} ({:.2})", r.confidence)
            });
        for line in not_read.chain(wrong) {
            out.push_str(&format!("{}: {line}\n", case.name));
        }
    }
    out
}

/// Train the ranking of candidates from cases whose pages were read: every candidate
/// of every field the truth names is a sample, right when its value is the truth's.
/// A kind with too few samples of either sort gets no weights (it keeps the hand-set
/// score). Returns the model and a summary of what it learned from.
pub fn train_ranker(
    cases: &[Case],
    cfg: &Config,
    origin: String,
    min_each: usize,
) -> (crate::extract::rank::Ranker, String) {
    use crate::extract::rank;
    let mut samples: BTreeMap<String, Vec<(Vec<f64>, bool)>> = BTreeMap::new();
    for case in cases {
        let Some(dt) = cfg.doctype(&case.truth.doc_type) else {
            continue;
        };
        if case.pages.is_empty() {
            continue;
        }
        let evidence = crate::extract::candidate_evidence(&case.pages, dt);
        for (i, spec, expected) in judged(case, cfg) {
            // Amounts are chosen together by the sum checks. Ranked one by one, the
            // model took an intermediate sum ("Zwischensumme") over the net amount on
            // real layouts (ZUGFeRD, measured 2026-12-06): they keep the hand-set score.
            if spec.kind.is_mark() || spec.kind == FieldKind::Money {
                continue;
            }
            for (value, x) in &evidence[i] {
                let x = x.clone();
                let right = same(spec.kind, Some(value.as_str()), expected);
                samples
                    .entry(rank::kind_name(spec.kind))
                    .or_default()
                    .push((x, right));
            }
        }
    }
    let mut summary = String::new();
    let mut kinds = BTreeMap::new();
    for (kind, s) in &samples {
        let right = s.iter().filter(|(_, r)| *r).count();
        let enough = right >= min_each && s.len() - right >= min_each;
        summary.push_str(&format!(
            "{kind:<14} {:>6} candidates, {:>5} right{}\n",
            s.len(),
            right,
            if enough {
                ""
            } else {
                " (too few to learn from: ranked by the score)"
            }
        ));
        if enough {
            kinds.insert(kind.clone(), rank::fit(s));
        }
    }
    let ranker = rank::Ranker {
        origin,
        features: rank::FEATURES.iter().map(|f| f.to_string()).collect(),
        kinds,
    };
    (ranker, summary)
}

/// A progress bar on standard error for a batch of `n` (hidden when stderr is not a
/// terminal, so logs and pipes stay clean).
pub fn progress(n: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} documents, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

/// Where the pages `data` was read into are kept under `cache`: a folder named by the
/// OCR settings and mailroom's version, so that other settings never reuse them, and
/// a file named by the data's sha256.
fn cache_file(cache: &Path, cfg: &Config, data: &[u8]) -> std::io::Result<PathBuf> {
    let settings = format!("{:?} {}", cfg.ocr, env!("CARGO_PKG_VERSION"));
    let dir = cache.join(&crate::pipeline::sha256_hex(settings.as_bytes())[..12]);
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("{}.pages.json", crate::pipeline::sha256_hex(data))))
}

/// The pages kept in `key`, if they are there.
fn cached_pages(key: &Path) -> anyhow::Result<Option<Vec<crate::text::Page>>> {
    match std::fs::read(key) {
        Ok(json) => Ok(Some(
            serde_json::from_slice(&json).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", key.display())),
    }
}

/// `input` analysed from the pages it was read into before (kept in the cache).
fn analyse_kept(
    input: &crate::document::input::Input,
    pages: &[crate::text::Page],
    cfg: &Config,
    today: chrono::NaiveDate,
    book: &[crate::document::vendor::Vendor],
) -> crate::document::TypedDocument {
    let media = crate::document::input::MediaType::sniff(&input.data)
        .map_or("application/octet-stream", |m| m.mime());
    let source = input.source(media, pages.len() as u32);
    crate::pipeline::analyse(input.id.clone(), source, pages, cfg, today, book)
}

/// Keep `pages` in `key`. E-invoices have no pages: they are read from their XML in
/// no time, and nothing is kept.
fn keep_pages(key: &Path, pages: &[crate::text::Page]) -> anyhow::Result<()> {
    if !pages.is_empty() {
        std::fs::write(key, serde_json::to_vec(pages)?)?;
    }
    Ok(())
}

/// Analyse every case in `dir`.
pub fn analyse_dir(cfg: &Config, dir: &Path) -> anyhow::Result<Vec<Case>> {
    analyse_dir_cached(cfg, dir, None)
}

/// [`analyse_dir`], keeping the pages of words each file was read into under
/// `pages_cache` (see [`cache_file`]): a file whose
/// pages are there is not read again, only analysed. For working on the stages after
/// the text one (classify, extract, validate, calibrate), whose changes then take
/// seconds to measure instead of the OCR's minutes; a change to the text stage's
/// code needs a new cache.
pub fn analyse_dir_cached(
    cfg: &Config,
    dir: &Path,
    pages_cache: Option<&Path>,
) -> anyhow::Result<Vec<Case>> {
    let pairs = cases_in(dir)?;
    anyhow::ensure!(
        !pairs.is_empty(),
        "no files with a NAME.truth.json beside them in {}",
        dir.display()
    );
    let mut truths = Vec::new();
    for (_, t) in &pairs {
        let text = std::fs::read_to_string(t)?;
        let truth: Truth =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", t.display()))?;
        truths.push(truth);
    }
    let files: Vec<PathBuf> = pairs.iter().map(|(f, _)| f.clone()).collect();
    let mut results: Vec<Option<crate::pool::Outcome>> = vec![None; files.len()];
    let mut to_read = Vec::new();
    let mut keys = vec![None; files.len()];
    if let Some(cache) = pages_cache {
        let today = chrono::Utc::now().date_naive();
        for (i, f) in files.iter().enumerate() {
            let data = std::fs::read(f)?;
            let key = cache_file(cache, cfg, &data)?;
            match cached_pages(&key)? {
                Some(pages) => {
                    let name = f.file_name().unwrap_or_default().to_string_lossy();
                    let input = crate::pool::input(name.into_owned(), data);
                    let doc = analyse_kept(&input, &pages, cfg, today, &[]);
                    results[i] = Some(Ok((doc, pages)));
                }
                None => {
                    keys[i] = Some(key);
                    to_read.push(i);
                }
            }
        }
    } else {
        to_read = (0..files.len()).collect();
    }
    // First sight: no master data, nothing learned (`eval --stream` measures those).
    let bar = progress(to_read.len() as u64, "eval");
    let reading: Vec<PathBuf> = to_read.iter().map(|&i| files[i].clone()).collect();
    let mut written = Ok(());
    crate::pool::analyse_files(cfg, &[], reading, |j, r| {
        bar.inc(1);
        let i = to_read[j];
        if let (Some(key), Ok((_, pages))) = (&keys[i], &r) {
            if written.is_ok() {
                written = keep_pages(key, pages);
            }
        }
        results[i] = Some(r)
    })?;
    bar.finish_and_clear();
    written?;
    Ok(files
        .iter()
        .zip(truths)
        .zip(results)
        .map(|((f, truth), result)| {
            let (result, pages) = match result {
                Some(Ok((doc, pages))) => (Ok(doc), pages),
                Some(Err(e)) => (Err(e), Vec::new()),
                None => (Err("not processed".into()), Vec::new()),
            };
            Case {
                name: f
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                truth,
                result,
                pages,
            }
        })
        .collect())
}

/// Truth type → classified type → documents.
pub fn confusion(cases: &[Case]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut m: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for c in cases {
        let got = match &c.result {
            Ok(d) if d.doc_type.uncertain => format!("{}?", d.doc_type.value),
            Ok(d) => d.doc_type.value.clone(),
            Err(_) => "error".into(),
        };
        *m.entry(c.truth.doc_type.clone())
            .or_default()
            .entry(got)
            .or_default() += 1;
    }
    m
}

/// Reports over all cases, per document type (when there are several) and per
/// degradation level.
pub fn reports(cases: &[Case], cfg: &Config) -> Vec<Report> {
    let mut all = score("all", &cases.iter().collect::<Vec<_>>(), cfg);
    all.confusion = Some(confusion(cases));
    let mut reports = vec![all];
    let mut types: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        types.entry(c.truth.doc_type.clone()).or_default().push(c);
    }
    if types.len() > 1 {
        for (t, cs) in types {
            reports.push(score(&format!("type={t}"), &cs, cfg));
        }
    }
    let mut groups: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        groups
            .entry(
                c.truth
                    .degradation
                    .clone()
                    .unwrap_or_else(|| "unlabelled".into()),
            )
            .or_default()
            .push(c);
    }
    for (g, cs) in groups {
        reports.push(score(&format!("degradation={g}"), &cs, cfg));
    }
    reports
}

/// The confusion table: a row per true type, a column per type given.
pub fn render_confusion(m: &BTreeMap<String, BTreeMap<String, usize>>) -> String {
    use std::fmt::Write;
    let mut cols: Vec<&str> = m
        .values()
        .flat_map(|r| r.keys().map(String::as_str))
        .collect();
    cols.sort_unstable();
    cols.dedup();
    let w = cols.iter().map(|c| c.len()).max().unwrap_or(5).max(6);
    let mut s = String::from("classification (rows: truth, columns: classified as)\n");
    let _ = write!(s, "{:<18}", "");
    for c in &cols {
        let _ = write!(s, " {c:>w$}");
    }
    s.push('\n');
    for (truth, row) in m {
        let _ = write!(s, "{truth:<18}");
        for c in &cols {
            let _ = write!(s, " {:>w$}", row.get(*c).copied().unwrap_or(0));
        }
        s.push('\n');
    }
    s
}

pub fn render(reports: &[Report]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for r in reports {
        let _ = writeln!(
            s,
            "== {} ({} documents, {} unreadable)",
            r.group, r.documents, r.failed
        );
        let _ = writeln!(
            s,
            "field accuracy        {:6.1} %",
            r.field_accuracy * 100.0
        );
        let _ = writeln!(
            s,
            "classified right      {:6.1} %  ({} of {})",
            ratio(r.classified_right, r.documents) * 100.0,
            r.classified_right,
            r.documents
        );
        if r.read_as_right > 0 {
            let _ = writeln!(
                s,
                "type uncertain, read as the right one {} of {}",
                r.read_as_right, r.documents
            );
        }
        let _ = writeln!(
            s,
            "auto-posted           {:6.1} %  ({} of {})",
            r.auto_post_rate * 100.0,
            r.auto_posted,
            r.documents
        );
        match r.auto_post_precision {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "auto-posted all right {:6.1} %  ({} of {})",
                    p * 100.0,
                    r.auto_post_all_fields_right,
                    r.auto_posted
                );
            }
            None => {
                let _ = writeln!(s, "auto-posted all right    n/a");
            }
        }
        if r.item_lists > 0 {
            let _ = writeln!(
                s,
                "line items            {} printed, {} read, {} read right; {} of {} lists exact; {} auto-posted with a wrong list",
                r.items_printed,
                r.items_read,
                r.items_right,
                r.item_lists_right,
                r.item_lists,
                r.auto_posted_items_wrong
            );
        }
        let _ = writeln!(s, "{:<20} {:>8} {:>8}", "field", "right", "accuracy");
        for (name, f) in &r.fields {
            let _ = writeln!(
                s,
                "{:<20} {:>4}/{:<4} {:6.1} %",
                name,
                f.correct,
                f.total,
                f.accuracy * 100.0
            );
        }
        let _ = writeln!(
            s,
            "{:<12} {:>7} {:>9} {:>9}",
            "confidence", "fields", "mean", "accuracy"
        );
        for b in &r.calibration {
            let acc = b
                .accuracy
                .map_or("-".to_string(), |a| format!("{:.1} %", a * 100.0));
            let mean = b
                .confidence
                .map_or("-".to_string(), |c| format!("{:.1} %", c * 100.0));
            let _ = writeln!(s, "{:<12} {:>7} {:>9} {:>9}", b.range, b.fields, mean, acc);
        }
        if let Some(e) = r.ece {
            let _ = writeln!(s, "calibration error (ECE) {:.3}", e);
        }
        let _ = writeln!(
            s,
            "{:<10} {:>22} {:>28}",
            "threshold", "fields at or above", "documents it would post"
        );
        for t in &r.thresholds {
            let _ = writeln!(
                s,
                "{:<10.2} {:>6} ({:>5.1} % wrong) {:>6} = {:>5.1} % ({:>5.1} % wrong)",
                t.threshold,
                t.fields,
                ratio(t.fields_wrong, t.fields) * 100.0,
                t.documents,
                ratio(t.documents, r.documents) * 100.0,
                ratio(t.documents_wrong, t.documents) * 100.0
            );
        }
        if let Some(m) = &r.confusion {
            s.push_str(&render_confusion(m));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Decision, DocTypeGuess, Field, IndexedFields, Origin, SourceInfo};

    fn cfg() -> Config {
        Config::defaults()
    }

    /// A receipt read with `total` at `conf`; the truth's total is 10.00.
    fn case(total: &str, conf: f64, uncertain: bool) -> Case {
        let mut fields = IndexedFields::default();
        fields.set(
            "total",
            Some(Field {
                value: total.into(),
                confidence: conf,
                raw: total.into(),
                page: 1,
                bbox: None,
                origin: Origin::Ocr,
                reasons: Vec::new(),
            }),
        );
        let truth: Truth = serde_json::from_value(serde_json::json!({
            "doc_type": "receipt", "fields": {"total": "10.00"}
        }))
        .unwrap();
        Case {
            name: "x".into(),
            truth,
            result: Ok(TypedDocument {
                id: "x".into(),
                schema_version: crate::document::SCHEMA_VERSION,
                source: SourceInfo {
                    name: "x.png".into(),
                    sha256: "0".into(),
                    media_type: "image/png".into(),
                    pages: 1,
                    received_at: "2026-01-01T00:00:00Z".into(),
                    meta: Default::default(),
                },
                text_origin: Origin::Ocr,
                doc_type: DocTypeGuess {
                    value: "receipt".into(),
                    confidence: 0.9,
                    reasons: Vec::new(),
                    candidates: Vec::new(),
                    uncertain,
                },
                fields,
                line_items: Vec::new(),
                vendor: None,
                checks: Vec::new(),
                decision: Decision {
                    route: Route::Review,
                    reasons: Vec::new(),
                },
            }),
            pages: Vec::new(),
        }
    }

    /// A truth written with its currency sign is the same amount; another is not.
    #[test]
    fn an_amount_is_right_whatever_the_truth_writes_beside_it() {
        use crate::config::FieldKind::Money;
        assert!(same(Money, Some("6.90"), Some("$6.90")));
        assert!(same(Money, Some("6.90"), Some("6.90")));
        assert!(!same(Money, Some("6.90"), Some("$6.00")));
        assert!(!same(Money, None, Some("$6.90")));
        assert!(!same(Money, Some("6.90"), None));
    }

    #[test]
    fn the_calibration_error_and_the_thresholds_are_worked_out_from_the_fields() {
        // Four fields reported at 0.99: three right. Two at 0.6: one right.
        let cases = [
            case("10.00", 0.99, false),
            case("10.00", 0.99, false),
            case("10.00", 0.99, false),
            case("100.00", 0.99, false),
            case("10.00", 0.6, false),
            case("1.00", 0.6, true),
        ];
        let r = score("all", &cases.iter().collect::<Vec<_>>(), &cfg());
        // |3.96 - 3| + |1.2 - 1| over 6 fields.
        assert_eq!(
            r.ece,
            Some(((0.96 + 0.2) / 6.0 * 10000.0_f64).round() / 10000.0)
        );
        assert_eq!(r.classified_right, 5);
        assert_eq!(r.read_as_right, 1);
        let at = |t: f64| r.thresholds.iter().find(|x| x.threshold == t).unwrap();
        assert_eq!((at(0.5).fields, at(0.5).fields_wrong), (6, 2));
        // The uncertain document never counts as posted.
        assert_eq!((at(0.5).documents, at(0.5).documents_wrong), (5, 1));
        assert_eq!((at(0.95).fields, at(0.95).fields_wrong), (4, 1));
        assert_eq!((at(0.95).documents, at(0.95).documents_wrong), (4, 1));
        let bucket = r.calibration.last().unwrap();
        assert_eq!(bucket.confidence, Some(0.99));
        assert_eq!(bucket.accuracy, Some(0.75));
        assert!(render(&[r]).contains("calibration error (ECE) 0.193"));
    }
}
