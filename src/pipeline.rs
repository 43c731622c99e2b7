//! The one place the stages meet: bytes → pages → classify → extract → validate → route.
//!
//! It reads no calendar clock and no database: the caller (`service`, `pool`, `eval`, the web's
//! corrections) hands it the input as the store recorded it ([`Input`]) and the date
//! (or moment) to judge by. Reading pages runs the OCR engine and, for PDFs, the
//! poppler tools on scratch copies ([`read_pages`]); everything after the pages
//! (classify, extract, validate, calibrate, vendor, route) is a function of its inputs
//! and the config.

use chrono::NaiveDate;

use crate::config::{Config, FieldKind};
use crate::document::input::{describe_unknown, Input, Kind, Now};
use crate::document::vendor::Vendor;
use crate::document::{
    CheckCode, IndexedFields, Origin, Route, SourceInfo, TypedDocument, SCHEMA_VERSION,
};
use crate::text::{self, MediaType, OcrEngine, Page, Pix, TextError};
use crate::{classify, extract, route, validate, values};

/// The text stage for one document of a sniffed type: decode, normalise and OCR every
/// page. Also returns the normalised images of the first pages, for second reads.
#[allow(clippy::type_complexity)]
pub fn read_pages(
    engine: &mut dyn OcrEngine,
    data: &[u8],
    media: MediaType,
    cfg: &Config,
) -> Result<(Vec<Page>, Vec<Option<Pix>>), TextError> {
    let opts = text::preprocess::Options::from(&cfg.ocr);
    text::read_image_document(engine, data, media, &opts, &cfg.limits)
}

/// Words read with less confidence than this get a second look when they hold a
/// field's value. A fixed level of the OCR's own confidence, not the field's
/// calibrated one: calibration is fitted on documents read this same way.
const REREAD_BELOW: f32 = 0.93;

/// The second reads of a document's values after its first analysis, sharing one
/// page's time limit: the doubtful values' ([`reread_doubtful`]), then the accents of
/// names and addresses ([`reread_accents`]). Returns how many words were looked at
/// again or changed: none, and the first analysis stands.
pub fn read_values_again(
    engine: &mut dyn OcrEngine,
    images: &[Option<Pix>],
    pages: &mut [Page],
    doc: &TypedDocument,
    cfg: &Config,
) -> Result<usize, TextError> {
    let Some(dt) = cfg.doctype(&doc.doc_type.value) else {
        return Ok(0);
    };
    engine.start_page();
    let looked = reread_doubtful(engine, images, pages, doc, dt)?;
    Ok(looked + reread_accents(engine, images, pages, doc, dt, &cfg.ocr)?)
}

/// Second reads of doubtful values: each OCR'd field with a word read below
/// [`REREAD_BELOW`] has its box read again on its own, and the words' confidences
/// are updated (see [`text::reread`]). Returns how many words were looked at again.
fn reread_doubtful(
    engine: &mut dyn OcrEngine,
    images: &[Option<Pix>],
    pages: &mut [Page],
    doc: &TypedDocument,
    dt: &crate::config::DocType,
) -> Result<usize, TextError> {
    let mut looked = 0;
    // An IBAN that passes mod-97 was read right; one that fails is no IBAN.
    let kinds = |k: FieldKind| k != FieldKind::Iban;
    for (i, image, bbox) in read_regions(doc, dt, images, pages.len(), kinds) {
        let doubtful = pages[i]
            .words
            .iter()
            .any(|w| text::inside(w.bbox, bbox) && w.conf < REREAD_BELOW);
        if doubtful {
            looked += text::reread(engine, image, &mut pages[i], bbox)?;
        }
    }
    Ok(looked)
}

/// Names and addresses read again for the accents the page's languages lack
/// (`ocr.accents`, see [`text::restore_accents`]), and when that changed any, the item
/// rows too: the document is in a language whose accents the page pass lacks ("Lämpara
/// de escritorio", "Trabajos de instalaciön"). Returns how many words changed.
fn reread_accents(
    engine: &mut dyn OcrEngine,
    images: &[Option<Pix>],
    pages: &mut [Page],
    doc: &TypedDocument,
    dt: &crate::config::DocType,
    ocr: &crate::config::OcrConfig,
) -> Result<usize, TextError> {
    if ocr.accents.is_empty() {
        return Ok(0);
    }
    let words = |k: FieldKind| {
        matches!(
            k,
            FieldKind::Text | FieldKind::PartyName | FieldKind::PartyAddress
        )
    };
    let written = text::letters_written(&ocr.languages);
    let mut changed = 0;
    for (i, image, bbox) in read_regions(doc, dt, images, pages.len(), words) {
        changed += text::restore_accents(engine, image, &mut pages[i], bbox, &written)?;
    }
    if changed > 0 {
        let n = pages.len();
        let rows = doc.line_items.iter().filter_map(|item| {
            let (i, image) = kept_image(images, n, item.page?)?;
            Some((i, image, item.bbox?))
        });
        for (i, image, bbox) in rows {
            changed += text::restore_accents(engine, image, &mut pages[i], bbox, &written)?;
        }
    }
    Ok(changed)
}

/// Where the fields of the kinds `kinds` were read from a page image that was kept:
/// (page index, its image, box).
fn read_regions<'a>(
    doc: &'a TypedDocument,
    dt: &'a crate::config::DocType,
    images: &'a [Option<Pix>],
    pages: usize,
    kinds: impl Fn(FieldKind) -> bool + 'a,
) -> impl Iterator<Item = (usize, &'a Pix, crate::document::BBox)> + 'a {
    dt.fields
        .iter()
        .filter(move |s| kinds(s.kind))
        .filter_map(move |spec| {
            let f = doc.fields.get(&spec.name)?;
            let (Some(bbox), Origin::Ocr) = (f.bbox, f.origin) else {
                return None;
            };
            let (i, image) = kept_image(images, pages, f.page)?;
            Some((i, image, bbox))
        })
}

/// Page `number`'s index and its image, when the image was kept and the page read.
fn kept_image(images: &[Option<Pix>], pages: usize, number: u32) -> Option<(usize, &Pix)> {
    let i = number.saturating_sub(1) as usize;
    images
        .get(i)?
        .as_ref()
        .filter(|_| i < pages)
        .map(|image| (i, image))
}

/// Whether a document's reading needs the checkboxes and frames on its pages: its
/// type, or one the classifier ranked beside it (a person may read it as that), has a
/// field read from a mark, or its type is unknown (a sample a form type is drafted
/// from, `mailroom form draft`).
fn reads_marks(doc: &TypedDocument, cfg: &Config) -> bool {
    let guess = &doc.doc_type;
    guess.value == classify::UNKNOWN
        || std::iter::once(&guess.value)
            .chain(guess.candidates.iter().map(|c| &c.name))
            .filter_map(|name| cfg.doctype(name))
            .any(|dt| dt.reads_marks())
}

/// Whether the row gaps' second reads (`text::read_kept_gaps`) can change a first
/// analysis: the words they find are ones the page pass dropped (a Qty column's "2", a
/// till receipt's amounts), so they matter where the document waits for a person (a
/// required field not read, a value doubtful, a label without its value, sums that do
/// not add up) or a line item lacks a part. A document that would be posted as read,
/// every item whole, does not pay for them.
fn gaps_can_change(doc: &TypedDocument) -> bool {
    doc.decision.route != Route::AutoPost
        || doc
            .line_items
            .iter()
            .any(|i| i.quantity.is_none() || i.unit_price.is_none() || i.amount.is_none())
}

/// Classify, extract, validate and route already-read pages.
pub fn analyse(
    id: String,
    source: SourceInfo,
    pages: &[Page],
    cfg: &Config,
    today: NaiveDate,
    book: &[Vendor],
) -> TypedDocument {
    // A file dropped in a typed inbox subfolder is of that folder's type.
    let folder = source
        .name
        .split_once('/')
        .and_then(|(folder, _)| cfg.watch.folder_types.iter().find(|(f, _)| f == folder));
    let ranked = classify::rank(pages, &cfg.doctypes);
    let mut doc_type = classify::decide(&ranked, &cfg.doctypes);
    if let Some((f, t)) = folder {
        // The folder settles it; the ranking stays beside it for anyone who wonders.
        doc_type.value = t.clone();
        doc_type.confidence = 1.0;
        doc_type.reasons = vec![format!(
            "dropped in the inbox folder {f}/, which watch.folder_types gives the type {t}"
        )];
    }
    analyse_as(id, source, pages, cfg, today, doc_type, book)
}

/// Candidate types are read as, at most: the classifier's best few.
const READ_AS_CANDIDATES: usize = 2;

/// A document whose type the classifier could not settle is not thrown away: its
/// pages are read as each of its best candidate types (every type, when none had any
/// evidence), and it takes the type under which the most of that type's required
/// fields were read, weighted by their confidence; the classifier's order settles a
/// tie. It stays `uncertain`, so a person confirms the type in review and sees the
/// fields, not an empty form. Pages on which no type finds a required field stay
/// `unknown`. Returns the guess and, when a type was taken, its extraction.
fn read_as_best_candidate(
    pages: &[Page],
    cfg: &Config,
    mut guess: crate::document::DocTypeGuess,
) -> (crate::document::DocTypeGuess, Option<extract::Extraction>) {
    let names: Vec<&str> = if guess.candidates.is_empty() {
        cfg.doctypes.iter().map(|d| d.name.as_str()).collect()
    } else {
        guess
            .candidates
            .iter()
            .take(READ_AS_CANDIDATES)
            .map(|c| c.name.as_str())
            .collect()
    };
    let mut best: Option<(&str, f64, extract::Extraction)> = None;
    let mut tried = Vec::new();
    for name in names {
        let Some(dt) = cfg.doctype(name) else {
            continue;
        };
        let required: Vec<_> = dt.fields.iter().filter(|f| f.required).collect();
        if required.is_empty() {
            continue;
        }
        let ex = extract::extract_ranked(pages, dt, &cfg.ranker);
        let read: Vec<f64> = required
            .iter()
            .filter(|f| !ex.by_shape.contains(&f.name))
            .filter_map(|f| ex.fields.get(&f.name).map(|v| v.confidence))
            .collect();
        // What the page's fields support, weighed by what its cues said of the type (by
        // their square root: the fields found count for more than the cues, which gave
        // no certain type): a receipt's four fields read whole do not outweigh an
        // invoice's cues three times as strong with five of its six read.
        let cues = guess
            .candidates
            .iter()
            .find(|c| c.name == name)
            .map_or(1.0, |c| c.confidence);
        let support = cues.sqrt() * read.iter().sum::<f64>() / required.len() as f64;
        tried.push(format!(
            "{name}: {} of {} required fields read",
            read.len(),
            required.len()
        ));
        if support > best.as_ref().map_or(0.0, |b| b.1) {
            best = Some((name, support, ex));
        }
    }
    let Some((name, _, ex)) = best else {
        guess
            .reasons
            .push("no candidate type finds any of its required fields on the pages".into());
        return (guess, None);
    };
    guess.reasons.insert(
        0,
        format!(
            "type uncertain: read as {name}, the best supported candidate ({}); a person confirms the type",
            tried.join(", ")
        ),
    );
    guess.confidence = guess
        .candidates
        .iter()
        .find(|c| c.name == name)
        .map_or(0.0, |c| c.confidence);
    guess.value = name.to_string();
    guess.uncertain = true;
    (guess, Some(ex))
}

/// A person approved a document whose type was uncertain: the type is theirs now.
pub fn confirm_type(doc: &mut TypedDocument, actor: &str) {
    if doc.doc_type.uncertain {
        doc.doc_type.uncertain = false;
        doc.doc_type.reasons.insert(
            0,
            format!(
                "type {} confirmed by {actor} on approval",
                doc.doc_type.value
            ),
        );
    }
}

/// Extract, validate and route already-read pages as the type `doc_type` names (the
/// classifier's choice, an inbox folder's, or a reviewer's).
pub fn analyse_as(
    id: String,
    source: SourceInfo,
    pages: &[Page],
    cfg: &Config,
    today: NaiveDate,
    doc_type: crate::document::DocTypeGuess,
    book: &[Vendor],
) -> TypedDocument {
    // An unsettled type is settled by the supplier's approvals, or read as its
    // candidates (the one taken is not read again).
    let vendor_types: Vec<&str> = cfg
        .doctypes
        .iter()
        .filter(|d| d.fields.iter().any(|f| f.name == "vendor_name"))
        .map(|d| d.name.as_str())
        .collect();
    let usual = (doc_type.value == classify::UNKNOWN)
        .then(|| crate::vendor::usual_type(pages, book, &doc_type.candidates, &vendor_types))
        .flatten();
    let (mut doc_type, read) = match usual {
        Some((name, confidence, reason)) => {
            let mut settled = doc_type;
            settled.value = name;
            settled.confidence = confidence;
            settled.reasons.insert(0, reason);
            (settled, None)
        }
        None if doc_type.value == classify::UNKNOWN => read_as_best_candidate(pages, cfg, doc_type),
        None => (doc_type, None),
    };
    let doctype = cfg.doctype(&doc_type.value);
    let mut vendor = None;
    let (mut fields, checks, line_items) = match doctype {
        Some(dt) => {
            let ex = read.unwrap_or_else(|| extract::extract_ranked(pages, dt, &cfg.ranker));
            if let Some(lang) = &ex.language {
                doc_type
                    .reasons
                    .push(format!("labels matched mostly in language {lang:?}"));
            }
            let mut fields = ex.fields;
            let from_code = extract::payment_qr::apply(&mut fields, pages, dt)
                .map(|qr| validate::payment_qr_agrees::check(&qr));
            let (line_items, items_check) = match ex.items {
                Some(read) => {
                    let (items, check) = validate::line_items_sum::judge(read);
                    (items, Some(check))
                }
                None => (Vec::new(), None),
            };
            let lines: Vec<text::layout::Line> =
                pages.iter().flat_map(text::layout::lines).collect();
            let checks_of = |fields: &IndexedFields| {
                let mut checks = validate::validate(fields, dt, today);
                checks.extend(from_code.iter().cloned());
                checks.extend(items_check.clone());
                checks.extend(validate::value_unreadable::check(&ex.unread, fields));
                checks.extend(validate::null_contradicted::check(
                    &lines, fields, dt, &ex.unread,
                ));
                checks.extend(validate::read_twice::check(pages, fields));
                checks
            };
            let checks = checks_of(&fields);
            validate::apply_to_confidence(&mut fields, &checks, dt);
            cfg.calibration.apply(&mut fields);
            // Master data and approvals speak after calibration, with reasons of their
            // own: what they say is measured on supplier streams, not on single pages.
            let (matched, from_vendor) =
                crate::vendor::apply(&mut fields, pages, dt, book, cfg.vendor_auto_post);
            vendor = matched;
            // The checks again on what master data and approvals filled in or changed.
            let mut checks = checks_of(&fields);
            checks.extend(from_vendor);
            (fields, checks, line_items)
        }
        None => (IndexedFields::default(), Vec::new(), Vec::new()),
    };
    for (_, f) in fields.0.iter_mut() {
        if let Some(f) = f {
            f.round_confidence();
        }
    }
    let decision = route::route(&doc_type, doctype, &fields, &checks);
    TypedDocument {
        id,
        schema_version: SCHEMA_VERSION,
        source,
        text_origin: pages.first().map_or(Origin::Ocr, |p| p.origin),
        doc_type,
        fields,
        line_items,
        vendor,
        checks,
        decision,
    }
}

/// An e-invoice's own data as a typed invoice: every field `origin: "structured"` with
/// confidence 1, line items included, then the same checks and routing as a scan
/// plus the invoice's own arithmetic (its lines against its line total, its totals
/// against each other): a structured invoice that does not add up goes to review.
pub fn analyse_structured(
    id: String,
    source: SourceInfo,
    inv: &crate::einvoice::EInvoice,
    cfg: &Config,
    today: NaiveDate,
    book: &[Vendor],
) -> TypedDocument {
    use crate::document::{DocTypeGuess, Field, LineItem};
    let money = |d: Option<rust_decimal::Decimal>| {
        d.map(|d| values::format_money(d, inv.currency.as_deref()))
    };
    let syntax = inv.syntax.map_or("e-invoice", |s| s.describe());
    let mut reasons = vec![format!("structured e-invoice: {syntax}")];
    if let Some(code) = &inv.type_code {
        reasons.push(if inv.is_credit_note() {
            format!("credit note (type code {code})")
        } else {
            format!("type code {code}")
        });
    }
    let doc_type = DocTypeGuess {
        value: "invoice".into(),
        confidence: 1.0,
        reasons,
        candidates: Vec::new(),
        uncertain: false,
    };
    let dt = cfg.doctype("invoice");
    let mut fields = IndexedFields::default();
    let mut checks = Vec::new();
    let mut vendor = None;
    if let Some(dt) = dt {
        for spec in &dt.fields {
            // The invoice type's fields are filled from EN 16931 business terms.
            let f = inv.field_value(&spec.name).map(|v| Field {
                raw: v.clone(),
                value: v,
                confidence: 1.0,
                page: 0,
                bbox: None,
                origin: Origin::Structured,
                reasons: Vec::new(),
            });
            fields.set(&spec.name, f);
        }
        checks = validate::validate(&fields, dt, today);
        let (matched, from_vendor) =
            crate::vendor::apply(&mut fields, &[], dt, book, cfg.vendor_auto_post);
        vendor = matched;
        checks.extend(from_vendor);
    }
    checks.extend(validate::einvoice_arithmetic(inv));
    let decision = route::route(&doc_type, dt, &fields, &checks);
    let dec = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string());
    TypedDocument {
        id,
        schema_version: SCHEMA_VERSION,
        source,
        text_origin: Origin::Structured,
        doc_type,
        fields,
        line_items: inv
            .lines
            .iter()
            .map(|l| LineItem {
                description: l.description.clone(),
                quantity: dec(l.quantity),
                unit_price: dec(l.unit_price),
                amount: money(l.amount),
                vat_rate: dec(l.vat_rate),
                confidence: 1.0,
                page: None,
                bbox: None,
            })
            .collect(),
        vendor,
        checks,
        decision,
    }
}

/// Why one document could not be read: the one error its way through the middle ends
/// in, whichever part refused it, so the wiring matches one type. Its message is the
/// reason the document is quarantined with (worded as before the errors were joined).
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Its pages could not be read: type, size, decoding, OCR, the PDF tools.
    #[error(transparent)]
    Text(#[from] TextError),
    /// Its structured e-invoice (an XML file, or the XML embedded in a PDF) was refused.
    #[error("{}", einvoice_reason(.0))]
    EInvoice(#[from] crate::einvoice::EInvoiceError),
    /// An email, which one document cannot stand for: its documents are documents of
    /// their own (only `mailroom run` can hold them), or it has none and no body wanted.
    #[error("unsupported file type ({0})")]
    Email(String),
}

/// A refused e-invoice as the reason has always read: broken XML as unreadable, XML
/// that is no invoice as an unsupported type.
fn einvoice_reason(e: &crate::einvoice::EInvoiceError) -> String {
    match e {
        crate::einvoice::EInvoiceError::Xml(m) => TextError::Corrupt(format!("XML: {m}")),
        other => TextError::Unsupported(other.to_string()),
    }
    .to_string()
}

/// The whole middle of the pipeline for one document's bytes: read its pages, then
/// classify, extract, validate and route them. Shared by `mailroom run` and the
/// one-shot commands so both produce the same document from the same bytes; the way
/// the bytes take follows the kind they were sniffed as when the input was made.
pub fn read_and_analyse(
    engine: &mut dyn OcrEngine,
    input: &Input,
    cfg: &Config,
    book: &[Vendor],
    today: NaiveDate,
) -> Result<(TypedDocument, Vec<Page>), DocumentError> {
    use crate::einvoice::{self, pdf};
    let (id, data) = (&input.id, &input.data[..]);
    let structured = |xml: &[u8], media: &str, from: Option<String>| {
        let inv = einvoice::parse(xml)?;
        let source = input.source(media, 0);
        let mut doc = analyse_structured(id.clone(), source, &inv, cfg, today, book);
        if let Some(file) = from {
            doc.doc_type
                .reasons
                .push(format!("read from the PDF's embedded {file}"));
        }
        Ok::<_, DocumentError>((doc, Vec::new()))
    };
    let media = match input.kind {
        Kind::EInvoiceXml => return structured(data, "application/xml", None),
        Kind::Email => {
            // One document out: the body of an email without attachments. An email's
            // documents are documents of their own, which only the ledger can hold.
            return match read_email(input, cfg, book, today) {
                FromEmail::Body(doc, pages) => Ok((*doc, pages)),
                FromEmail::Documents { summary, .. } => Err(DocumentError::Email(format!(
                    "{summary}; each becomes a document of its own under `mailroom run`"
                ))),
                FromEmail::Quarantine(reason) => Err(DocumentError::Email(reason)),
            };
        }
        Kind::Unknown => return Err(TextError::Unsupported(describe_unknown(data)).into()),
        Kind::Media(media) => media,
    };
    // A PDF carrying an e-invoice is read from its XML; without one, or when the XML
    // is refused, its pages go the visual way, and a refused XML is a failed check.
    let mut refused_xml = None;
    if cfg.pdf_embedded_einvoice && media == MediaType::Pdf {
        match text::pdf::embedded_file(data, &cfg.limits, pdf::pick_invoice) {
            Ok(Some((file, xml))) => {
                match structured(&xml, "application/pdf", Some(file.clone())) {
                    Ok(done) => return Ok(done),
                    Err(e) => {
                        refused_xml = Some(format!("the PDF's embedded {file} was refused: {e}"))
                    }
                }
            }
            Ok(None) => {}
            // Unreadable or locked: the pages' reading says so, with the reason.
            Err(e) => tracing::debug!(error = %e, "no embedded e-invoice could be looked for"),
        }
    }
    let (mut pages, images) = read_pages(engine, data, media, cfg)?;
    let source = input.source(media.mime(), pages.len() as u32);
    let visual = |pages: &[Page]| {
        let mut doc = analyse(id.clone(), source.clone(), pages, cfg, today, book);
        if let Some(message) = &refused_xml {
            doc.checks
                .push(validate::embedded_einvoice_refused::check(message));
            doc.decision = route::route(
                &doc.doc_type,
                cfg.doctype(&doc.doc_type.value),
                &doc.fields,
                &doc.checks,
            );
        }
        doc
    };
    let mut doc = visual(&pages);
    let marked = reads_marks(&doc, cfg) && text::find_kept_marks(&images, &mut pages);
    let gap_words = gaps_can_change(&doc) && text::read_kept_gaps(engine, &images, &mut pages)? > 0;
    if marked || gap_words {
        doc = visual(&pages);
    }
    if read_values_again(engine, &images, &mut pages, &doc, cfg)? == 0 {
        return Ok((doc, pages));
    }
    Ok((visual(&pages), pages))
}

/// What an email dropped in the inbox turns into.
pub enum FromEmail {
    /// Its documents, each with the email it came in, and a summary for the ledger.
    Documents {
        documents: Vec<(
            crate::source::email::Attachment,
            crate::document::EmailSource,
        )>,
        summary: String,
    },
    /// No document inside: its body text read as the document.
    Body(Box<TypedDocument>, Vec<Page>),
    /// No document inside (and the body is not wanted), or not readable.
    Quarantine(String),
}

/// Read an email: its attachments that are documents (nested messages and
/// winmail.dat included), or, without any, its body as configured.
pub fn read_email(input: &Input, cfg: &Config, book: &[Vendor], today: NaiveDate) -> FromEmail {
    use crate::source::email;
    let id = &input.id;
    let mail = match email::parse(&input.data, &cfg.email.options) {
        Ok(m) => m,
        Err(e) => return FromEmail::Quarantine(format!("an email that cannot be read: {e}")),
    };
    let origin = |part: &str| crate::document::EmailSource {
        document_id: id.to_string(),
        from: mail.from.clone(),
        subject: mail.subject.clone(),
        date: mail.date.clone(),
        message_id: mail.message_id.clone(),
        part: part.to_string(),
    };
    let skipped = if mail.skipped.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = mail
            .skipped
            .iter()
            .map(|s| format!("{} ({})", s.name, s.why))
            .collect();
        format!("; left out: {}", list.join(", "))
    };
    let from = mail.from.as_deref().unwrap_or("an unknown sender");
    if !mail.documents.is_empty() {
        let names: Vec<&str> = mail.documents.iter().map(|d| d.name.as_str()).collect();
        let summary = format!(
            "email from {from}: {} document(s): {}{skipped}",
            names.len(),
            names.join(", ")
        );
        let documents = mail
            .documents
            .iter()
            .map(|d| (d.clone(), origin(&d.path)))
            .collect();
        return FromEmail::Documents { documents, summary };
    }
    let body = mail.body_text.as_deref().map(str::trim).unwrap_or("");
    if !cfg.email.body_without_documents || body.is_empty() {
        return FromEmail::Quarantine(format!(
            "an email from {from} with no document attached{}{skipped}",
            if body.is_empty() { " and no text" } else { "" }
        ));
    }
    let page = text::text_page(body);
    let mut source = input.source("message/rfc822", 1);
    source.meta.email = Some(origin("body"));
    let pages = vec![page];
    let doc = analyse(id.to_string(), source, &pages, cfg, today, book);
    FromEmail::Body(Box::new(doc), pages)
}

/// A corrected document and the changes made to it.
pub type Corrected = (TypedDocument, Vec<crate::store::review::Correction>);

/// The longest value a reviewer may type into a field (an address or a long name fits).
pub const MAX_CORRECTION_CHARS: usize = 1000;

/// A person's (or a system's) corrections applied to a document: each value is
/// normalised with the extraction parsers, stored with `origin: "corrected"` and
/// confidence 1, and the checks and the decision are worked out again. Returns the
/// new document and what changed, or, per field, why a value was refused.
pub fn apply_corrections(
    doc: &TypedDocument,
    dt: &crate::config::DocType,
    edits: &[(String, String)],
    actor: &str,
    now: Now,
) -> Result<Corrected, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut doc = doc.clone();
    let mut changes = Vec::new();
    let at = now.rfc3339();
    for (name, input) in edits {
        let Some(spec) = dt.fields.iter().find(|f| &f.name == name) else {
            errors.push((name.clone(), format!("{} has no field {name:?}", dt.name)));
            continue;
        };
        // A 1.9 MB "name" was once taken in: no field a person types is that long.
        let chars = input.chars().count();
        if chars > MAX_CORRECTION_CHARS {
            errors.push((
                name.clone(),
                format!(
                    "a corrected value is at most {MAX_CORRECTION_CHARS} characters, not {chars}"
                ),
            ));
            continue;
        }
        let value = match extract::input::normalize(spec, input) {
            Ok(v) => v,
            Err(e) => {
                errors.push((name.clone(), e));
                continue;
            }
        };
        let old = doc.fields.get(name).cloned();
        let unchanged = match (&old, &value) {
            (Some(o), Some(v)) => &o.value == v && o.origin != Origin::Derived,
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            continue;
        }
        let new = value.clone().map(|v| crate::document::Field {
            value: v,
            confidence: 1.0,
            raw: input.trim().to_string(),
            page: old.as_ref().map_or(0, |o| o.page),
            bbox: old.as_ref().and_then(|o| o.bbox),
            origin: Origin::Corrected,
            reasons: Vec::new(),
        });
        doc.fields.set(name, new);
        changes.push(crate::store::review::Correction {
            field: name.clone(),
            old_value: old.as_ref().map(|o| o.value.clone()),
            new_value: value,
            old_raw: old.as_ref().map(|o| o.raw.clone()),
            old_confidence: old.as_ref().map(|o| o.confidence),
            old_page: old.as_ref().map(|o| o.page),
            old_bbox: old.as_ref().and_then(|o| o.bbox),
            old_origin: old.as_ref().map(|o| {
                serde_json::to_value(o.origin)
                    .map_or(String::new(), |v| v.as_str().unwrap_or("").to_string())
            }),
            actor: actor.to_string(),
            at: at.clone(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The checks again, on the corrected values; a label without a value stays a
    // failed check until that field has one.
    let mut checks = validate::validate(&doc.fields, dt, now.today());
    checks.extend(
        doc.checks
            .iter()
            .filter(|c| {
                matches!(
                    c.code,
                    CheckCode::ValueUnreadable | CheckCode::NullContradicted
                ) && c.fields.iter().all(|f| doc.fields.get(f).is_none())
                    // Corrections do not touch the items: their check stands.
                    || c.code == CheckCode::LineItemsSum
                    // Nor the ledger: the earlier document is still there.
                    || c.code == CheckCode::DuplicateInvoice
            })
            .cloned(),
    );
    doc.checks = checks;
    doc.decision = route::route(&doc.doc_type, Some(dt), &doc.fields, &doc.checks);
    Ok((doc, changes))
}

/// A line item as a person left it in review: the description and the numbers as read
/// from the cells (strictly, by the caller: `web::typed`), `None` for an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemCorrection {
    pub description: String,
    pub quantity: Option<rust_decimal::Decimal>,
    pub unit_price: Option<rust_decimal::Decimal>,
    pub amount: Option<rust_decimal::Decimal>,
    /// The row's VAT rate in percent.
    pub vat_rate: Option<rust_decimal::Decimal>,
}

/// The most item rows a person may post on one document.
pub const MAX_ITEM_ROWS: usize = 500;

/// A person's line items applied to a document (after [`apply_corrections`], so the
/// totals they are held against are the corrected ones): the rows replace those read,
/// at confidence 1 (halved, as for rows read, when they do not add up), the amounts in
/// the currency's minor digits; `line_items_sum` is judged again on them against the
/// fields the type's `[line_items] until` names, and the decision is worked out again.
/// The change is kept as one correction of the field `line_items`, its old and new
/// values the rows as JSON. Rows left as they were change nothing. Errors are per cell
/// (`line_items.2.amount`): every row needs a description or an amount, and an amount;
/// a VAT rate is a percentage from 0 to 100.
pub fn apply_item_corrections(
    doc: &TypedDocument,
    dt: &crate::config::DocType,
    rows: &[ItemCorrection],
    actor: &str,
    now: Now,
) -> Result<Corrected, Vec<(String, String)>> {
    use crate::document::LineItem;
    let Some(until) = &dt.line_items else {
        return Err(vec![(
            "line_items".into(),
            format!("{} has no line items", dt.name),
        )]);
    };
    if rows.len() > MAX_ITEM_ROWS {
        return Err(vec![(
            "line_items".into(),
            format!("at most {MAX_ITEM_ROWS} rows, not {}", rows.len()),
        )]);
    }
    let currency = doc.fields.get("currency").map(|f| f.value.clone());
    let money = |d: rust_decimal::Decimal| values::format_money(d, currency.as_deref());
    let mut errors = Vec::new();
    let mut items = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let description = r.description.trim().to_string();
        if description.chars().count() > MAX_CORRECTION_CHARS {
            errors.push((
                format!("line_items.{i}.description"),
                format!("a description is at most {MAX_CORRECTION_CHARS} characters"),
            ));
        }
        let Some(amount) = r.amount else {
            errors.push((
                format!("line_items.{i}.amount"),
                "every row needs an amount (delete a row that is not one)".into(),
            ));
            continue;
        };
        let hundred = rust_decimal::Decimal::ONE_HUNDRED;
        if let Some(rate) = r.vat_rate.filter(|r| r.is_sign_negative() || *r > hundred) {
            errors.push((
                format!("line_items.{i}.vat_rate"),
                format!("a VAT rate is a percentage from 0 to 100, not {rate}"),
            ));
        }
        let old = doc.line_items.get(i);
        items.push(LineItem {
            description,
            quantity: r.quantity.map(|q| q.normalize().to_string()),
            unit_price: r.unit_price.map(money),
            amount: Some(money(amount)),
            vat_rate: r.vat_rate.map(|v| v.normalize().to_string()),
            confidence: 1.0,
            page: old.and_then(|o| o.page),
            bbox: old.and_then(|o| o.bbox),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let cells = |list: &[LineItem]| -> Vec<[Option<String>; 5]> {
        list.iter()
            .map(|it| {
                [
                    Some(it.description.clone()),
                    it.quantity.clone(),
                    it.unit_price.clone(),
                    it.amount.clone(),
                    it.vat_rate.clone(),
                ]
            })
            .collect()
    };
    if cells(&items) == cells(&doc.line_items) {
        return Ok((doc.clone(), Vec::new()));
    }
    let as_json = |list: &[LineItem]| {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|it| {
                serde_json::json!({"description": it.description, "quantity": it.quantity,
                                   "unit_price": it.unit_price, "amount": it.amount,
                                   "vat_rate": it.vat_rate})
            })
            .collect();
        serde_json::Value::Array(rows).to_string()
    };
    let change = crate::store::review::Correction {
        field: "line_items".into(),
        old_value: Some(as_json(&doc.line_items)),
        new_value: Some(as_json(&items)),
        old_raw: None,
        old_confidence: None,
        old_page: None,
        old_bbox: None,
        old_origin: None,
        actor: actor.to_string(),
        at: now.rfc3339(),
    };
    let sum = items
        .iter()
        .filter_map(|it| it.amount.as_deref()?.parse::<rust_decimal::Decimal>().ok())
        .sum();
    // What the rows may add up to: the totals the type names, as the document now has them.
    let printed = until
        .iter()
        .filter_map(|&i| {
            let name = &dt.fields[i].name;
            let value = doc.fields.get(name)?.value.parse().ok()?;
            Some((value, name.clone()))
        })
        .collect();
    let (items, check) = validate::line_items_sum::judge(extract::ItemsRead {
        items,
        sum,
        printed,
        currency,
    });
    let mut doc = doc.clone();
    doc.line_items = items;
    doc.checks.retain(|c| c.code != CheckCode::LineItemsSum);
    doc.checks.push(check);
    doc.decision = route::route(&doc.doc_type, Some(dt), &doc.fields, &doc.checks);
    Ok((doc, vec![change]))
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Start one OCR engine as configured.
pub fn engine(cfg: &Config) -> Result<text::tesseract::Tesseract, TextError> {
    Ok(engines(cfg, 1)?.pop().expect("one engine"))
}

/// Start `n` OCR engines as configured, one per worker thread. They share one engine
/// for the accents (`ocr.accents`): it reads a few lines a page, and loading a script
/// model takes ~0.9 s and ~140 MB.
pub fn engines(cfg: &Config, n: usize) -> Result<Vec<text::tesseract::Tesseract>, TextError> {
    // Name the key that chose the models, and where it was set.
    let named = |key: &str, e: TextError| match e {
        TextError::EngineInit(m) => TextError::EngineInit(format!(
            "{m} (key `{key}` in {})",
            cfg.source_path
                .as_ref()
                .map_or("the embedded defaults".to_string(), |p| p
                    .display()
                    .to_string())
        )),
        other => other,
    };
    let mut engines = Vec::with_capacity(n);
    for _ in 0..n {
        let t = text::tesseract::Tesseract::new(
            cfg.ocr.tessdata_dir.as_deref(),
            &cfg.ocr.languages,
            cfg.ocr.page_segmentation_mode,
            cfg.ocr.target_dpi,
            cfg.ocr.detect_orientation,
        )
        .map_err(|e| named("ocr.languages", e))?
        .with_page_deadline(cfg.limits.ocr_page_timeout);
        engines.push(t);
    }
    if !cfg.ocr.accents.is_empty() && n > 0 {
        let accents =
            text::tesseract::Accents::load(cfg.ocr.tessdata_dir.as_deref(), &cfg.ocr.accents)
                .map_err(|e| named("ocr.accents", e))?;
        engines = engines
            .into_iter()
            .map(|t| t.with_accents(accents.clone()))
            .collect();
    }
    Ok(engines)
}

pub use crate::guard::guard;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Route;
    use crate::testing::{danish_invoice, plain_png, tie_page, ScriptedEngine};

    /// A blank A4 scan at 300 dpi: the scripted engine "reads" the page's words off it.
    fn png() -> Vec<u8> {
        plain_png(2480, 3508, 255)
    }

    fn source() -> SourceInfo {
        SourceInfo {
            name: "x.png".into(),
            sha256: "0".into(),
            media_type: "image/png".into(),
            pages: 1,
            received_at: "2026-01-01T00:00:00Z".into(),
            meta: Default::default(),
        }
    }

    fn cfg() -> Config {
        Config::defaults()
    }

    /// Midday of `day`, for corrections made that day.
    fn noon(day: NaiveDate) -> Now {
        Now(day.and_hms_opt(12, 0, 0).unwrap().and_utc())
    }

    /// The whole pipeline on fixed words, as of 1 June 2024.
    fn run(page: Page) -> (MediaType, Vec<Page>, TypedDocument) {
        let cfg = cfg();
        let Kind::Media(media) = Kind::sniff(&png()) else {
            panic!("a PNG is a page image");
        };
        let (pages, _) = read_pages(
            &mut ScriptedEngine::new().page_words(page.words),
            &png(),
            media,
            &cfg,
        )
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let doc = analyse("01TEST".into(), source(), &pages, &cfg, today, &[]);
        (media, pages, doc)
    }

    /// Checkboxes and frames are looked for on a page only when its type reads marks
    /// (or its type is unknown): an invoice does not pay for the search.
    #[test]
    fn checkboxes_are_looked_for_only_where_the_type_reads_them() {
        // A blank A4 scan with a ticked box on it.
        let mut img = crate::testing::marks::Img::new(2480, 3508, 255);
        img.outline(1800.0, 900.0, 50.0, 50.0, 3.0, 0);
        img.seg((1810.0, 928.0), (1822.0, 940.0), 1.5, 0);
        img.seg((1822.0, 940.0), (1835.0, 920.0), 1.5, 0);
        let mut png = Vec::new();
        image::GrayImage::from_raw(2480, 3508, img.p)
            .unwrap()
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let unknown = crate::testing::page(&[(150, &[(150, "Dear Sir or Madam")])]);
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        for (page, doc_type, marks) in [
            (danish_invoice("1.543,13 kr."), "invoice", 0),
            (unknown, classify::UNKNOWN, 1),
        ] {
            let mut engine = ScriptedEngine::new().page_words(page.words);
            let input = crate::pool::input("x.png".into(), png.clone());
            let (doc, pages) = read_and_analyse(&mut engine, &input, &cfg(), &[], today).unwrap();
            assert_eq!(doc.doc_type.value, doc_type);
            assert_eq!(
                pages[0].marks.len(),
                marks,
                "{doc_type}: {:?}",
                pages[0].marks
            );
        }
    }

    /// The row gaps' second reads run only where they can change the outcome: an
    /// invoice that would be posted as read does not pay for them; the same page whose
    /// total does not add up (held for a person) does.
    #[test]
    fn gaps_are_read_again_only_where_the_document_is_held() {
        // A blank A4 scan with a lone digit far right of the address row (y 210..250),
        // where the page pass read nothing.
        let mut img = crate::testing::marks::Img::new(2480, 3508, 255);
        img.rect(1800.0, 215.0, 1830.0, 245.0, 0);
        let mut png = Vec::new();
        image::GrayImage::from_raw(2480, 3508, img.p)
            .unwrap()
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        for (total, route, reads) in [
            ("1.543,13 kr.", Route::AutoPost, 0),
            ("1.643,13 kr.", Route::Review, 1),
        ] {
            let mut engine = ScriptedEngine::new().page_words(danish_invoice(total).words);
            let input = crate::pool::input("x.png".into(), png.clone());
            let (doc, _) = read_and_analyse(&mut engine, &input, &cfg(), &[], today).unwrap();
            assert_eq!(doc.decision.route, route, "{:?}", doc.decision);
            assert_eq!(engine.lines_read(), reads, "{total}");
        }
    }

    #[test]
    fn a_clean_invoice_is_auto_posted() {
        let (media, pages, doc) = run(danish_invoice("1.543,13 kr."));
        assert_eq!(media, MediaType::Png);
        assert_eq!(pages[0].transform.source_dpi, 300);
        assert_eq!(doc.doc_type.value, "invoice");
        assert_eq!(
            doc.decision.route,
            Route::AutoPost,
            "{:?} {:?}",
            doc.decision,
            doc.fields
        );
        assert!(doc.checks.iter().all(|c| c.passed));
        assert_eq!(doc.fields.value("total"), Some("1543.13"));
        let items: Vec<_> = doc
            .line_items
            .iter()
            .map(|i| {
                (
                    i.description.as_str(),
                    i.quantity.as_deref(),
                    i.unit_price.as_deref(),
                    i.amount.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            items,
            [("Toner sort", Some("2"), Some("617.25"), Some("1234.50"))]
        );
        assert!(doc.line_items[0].confidence > 0.9);
    }

    /// A Danish invoice with one more row: `key` beside `value` at the right.
    fn with_row(key: &str, value: &str) -> crate::text::Page {
        let mut page = danish_invoice("1.543,13 kr.");
        let extra = crate::testing::page(&[(580, &[(1400, key), (1900, value)])]);
        // Line numbers of their own, as Tesseract would give a new row.
        page.words.extend(extra.words.into_iter().map(|mut w| {
            w.line += 9000;
            w
        }));
        page
    }

    #[test]
    fn a_purchase_order_beside_an_unlisted_label_is_read_and_held_for_review() {
        // The first-sight test's wrong auto-posts: the page printed the purchase order
        // beside "Your order ref.", a wording no label list had, and null was posted.
        // The label is like "order no": the value is read, and held, since an unlisted
        // label is weaker evidence than a listed one.
        let (_, _, doc) = run(with_row("Your order ref.:", "PO-88812"));
        let po = doc.fields.get("purchase_order").expect("read");
        assert_eq!(po.value, "PO-88812");
        assert!(
            po.reasons[0].contains("beside \"Your order ref.:\", a label like \"order no\""),
            "{:?}",
            po.reasons
        );
        assert_eq!(doc.decision.route, Route::Review, "{:?}", doc.decision);
        assert!(
            doc.decision
                .reasons
                .iter()
                .any(|r| r.starts_with("purchase_order confidence")),
            "{:?}",
            doc.decision.reasons
        );
    }

    #[test]
    fn a_purchase_order_beside_a_label_too_unlike_to_read_is_not_posted_as_null() {
        // "Order confirmed as" shares only "order" with the field's labels: too little
        // to read the value as the purchase order, enough to ask a person.
        let page = with_row("Order confirmed as:", "PO-88812");
        let (_, _, doc) = run(page);
        assert_eq!(doc.fields.value("purchase_order"), None);
        assert_eq!(doc.decision.route, Route::Review, "{:?}", doc.decision);
        let check = doc
            .checks
            .iter()
            .find(|c| c.code == validate::null_contradicted::CODE)
            .unwrap_or_else(|| panic!("no check: {:?} {:?}", doc.decision, doc.checks));
        assert_eq!(check.fields, ["purchase_order"]);
        assert!(
            doc.decision.reasons.iter().any(|r| r.contains(
                "purchase_order is empty but the page says \"Order confirmed as: PO-88812\""
            )),
            "{:?}",
            doc.decision.reasons
        );
        // The reviewer decides: approving with the field empty is allowed, and a typed
        // purchase order clears the check.
        assert!(!check.blocks_approval());
        let dt = cfg().doctype("invoice").unwrap().clone();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let (fixed, _) = apply_corrections(
            &doc,
            &dt,
            &[("purchase_order".into(), "PO-88812".into())],
            "ann",
            noon(today),
        )
        .unwrap();
        assert!(fixed
            .checks
            .iter()
            .all(|c| c.code != validate::null_contradicted::CODE));
        let (kept, _) = apply_corrections(
            &doc,
            &dt,
            &[("total".into(), "1543.13".into())],
            "ann",
            noon(today),
        )
        .unwrap();
        assert!(
            kept.checks
                .iter()
                .any(|c| c.code == validate::null_contradicted::CODE),
            "the question stays with the document until the field is filled or approved"
        );
    }

    /// The clean invoice with its one item's amount misread (1.243,50 for 1.234,50):
    /// the rows miss the subtotal.
    fn invoice_with_a_misread_item() -> TypedDocument {
        let mut page = danish_invoice("1.543,13 kr.");
        let row = page
            .words
            .iter_mut()
            .find(|w| w.text == "1.234,50" && w.bbox[1] < 2000)
            .expect("the item's amount");
        row.text = "1.243,50".into();
        run(page).2
    }

    #[test]
    fn line_items_that_do_not_add_up_go_to_review_with_half_their_confidence() {
        let doc = invoice_with_a_misread_item();
        assert_eq!(doc.decision.route, Route::Review);
        let check = doc
            .checks
            .iter()
            .find(|c| c.code == CheckCode::LineItemsSum)
            .expect("the items check");
        assert!(!check.passed);
        assert!(check.message.contains("1243.50"), "{}", check.message);
        assert!(doc.line_items[0].confidence < 0.5);
        // The totals were read on their own and keep their confidence.
        assert!(doc.fields.get("subtotal").unwrap().confidence > 0.9);
        // Correcting fields leaves the items alone: the failed check stays with the document
        // through a correction, and does not stop a person approving the fields.
        let cfg = cfg();
        let dt = cfg.doctype("invoice").unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let edits = [("invoice_number".to_string(), "2024-119".to_string())];
        let (fixed, _) = apply_corrections(&doc, dt, &edits, "ann", noon(today)).unwrap();
        let kept = fixed
            .checks
            .iter()
            .find(|c| c.code == CheckCode::LineItemsSum)
            .expect("the items check stays");
        assert!(!kept.passed && !kept.blocks_approval());
        assert!(!fixed.checks.iter().any(|c| c.blocks_approval()));
        assert_eq!(fixed.line_items, doc.line_items);
    }

    /// Issue 18, point 4: the line items corrected in review. A misread amount made the
    /// rows miss the subtotal; typed right, they add up, the check passes naming the
    /// subtotal, and the change is one correction of `line_items` holding both lists.
    #[test]
    fn corrected_line_items_are_judged_again_against_the_corrected_totals() {
        let doc = invoice_with_a_misread_item();
        let cfg = cfg();
        let dt = cfg.doctype("invoice").unwrap();
        let now = noon(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        let sum_check = |d: &TypedDocument| {
            d.checks
                .iter()
                .find(|c| c.code == CheckCode::LineItemsSum)
                .cloned()
                .expect("the items check")
        };
        assert!(!sum_check(&doc).passed);
        let dec = |s: &str| Some(s.parse::<rust_decimal::Decimal>().unwrap());
        let rows_as_read: Vec<ItemCorrection> = doc
            .line_items
            .iter()
            .map(|it| ItemCorrection {
                description: it.description.clone(),
                quantity: it.quantity.as_deref().and_then(|q| q.parse().ok()),
                unit_price: it.unit_price.as_deref().and_then(|q| q.parse().ok()),
                amount: it.amount.as_deref().and_then(|q| q.parse().ok()),
                vat_rate: None,
            })
            .collect();
        assert_eq!(rows_as_read.len(), 1, "{:?}", doc.line_items);
        // Left as read: nothing changes.
        let (same, none) = apply_item_corrections(&doc, dt, &rows_as_read, "ann", now).unwrap();
        assert!(none.is_empty());
        assert_eq!(same.line_items, doc.line_items);

        let mut rows = rows_as_read.clone();
        rows[0].amount = dec("1234.5");
        let (fixed, changes) = apply_item_corrections(&doc, dt, &rows, "ann", now).unwrap();
        let check = sum_check(&fixed);
        assert!(check.passed, "{}", check.message);
        assert!(
            check.message.contains("1234.50") && check.message.contains("subtotal"),
            "{}",
            check.message
        );
        assert_eq!(fixed.line_items[0].amount.as_deref(), Some("1234.50"));
        assert_eq!(fixed.line_items[0].confidence, 1.0);
        assert_eq!(
            fixed.line_items[0].bbox, doc.line_items[0].bbox,
            "the row's place is kept"
        );
        assert_eq!(
            fixed
                .checks
                .iter()
                .filter(|c| c.code == CheckCode::LineItemsSum)
                .count(),
            1
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "line_items");
        let old: serde_json::Value =
            serde_json::from_str(changes[0].old_value.as_deref().unwrap()).unwrap();
        let new: serde_json::Value =
            serde_json::from_str(changes[0].new_value.as_deref().unwrap()).unwrap();
        assert_eq!(
            (old[0]["amount"].as_str(), new[0]["amount"].as_str()),
            (Some("1243.50"), Some("1234.50"))
        );

        // A second row that the totals do not include: the check fails again, naming
        // what the rows add up to, and the rows lose half their confidence.
        rows.push(ItemCorrection {
            description: "Fragt".into(),
            quantity: None,
            unit_price: None,
            amount: dec("50"),
            vat_rate: None,
        });
        let (more, _) = apply_item_corrections(&doc, dt, &rows, "ann", now).unwrap();
        let check = sum_check(&more);
        assert!(
            !check.passed && check.message.contains("1284.50"),
            "{}",
            check.message
        );
        assert_eq!(more.line_items[1].confidence, 0.5);
        assert!(!check.blocks_approval());

        // Held against the totals as corrected: the subtotal typed as 1284.50 agrees.
        let edits = [("subtotal".to_string(), "1284,50".to_string())];
        let (totals, _) = apply_corrections(&doc, dt, &edits, "ann", now).unwrap();
        let (both, _) = apply_item_corrections(&totals, dt, &rows, "ann", now).unwrap();
        assert!(sum_check(&both).passed, "{}", sum_check(&both).message);

        // A VAT rate typed for a row is kept as a decimal percentage and is a change;
        // one that is no percentage is refused, naming the cell.
        let mut rated = rows_as_read.clone();
        rated[0].vat_rate = dec("12.50");
        let (with_rate, changes) = apply_item_corrections(&doc, dt, &rated, "ann", now).unwrap();
        assert_eq!(with_rate.line_items[0].vat_rate.as_deref(), Some("12.5"));
        let new: serde_json::Value =
            serde_json::from_str(changes[0].new_value.as_deref().unwrap()).unwrap();
        assert_eq!(new[0]["vat_rate"], "12.5");
        rated[0].vat_rate = dec("125");
        let errs = apply_item_corrections(&doc, dt, &rated, "ann", now).unwrap_err();
        assert_eq!(errs[0].0, "line_items.0.vat_rate", "{errs:?}");

        // A row without an amount is refused, naming the cell.
        rows[1].amount = None;
        let errs = apply_item_corrections(&doc, dt, &rows, "ann", now).unwrap_err();
        assert_eq!(errs[0].0, "line_items.1.amount", "{errs:?}");
    }

    #[test]
    fn every_change_of_a_fields_confidence_after_reading_leaves_its_reason() {
        // The sum fails: the check lowers the total, then calibration maps it. Each
        // step says what it did, in order, and the numbers chain.
        let (_, _, doc) = run(crate::testing::danish_invoice("1.643,13 kr."));
        let total = doc.fields.get("total").unwrap();
        let said: Vec<&String> = total
            .reasons
            .iter()
            .filter(|r| r.contains(": confidence "))
            .collect();
        assert!(
            said.first()
                .is_some_and(|r| r.starts_with("lowered: totals_add_up failed: confidence ")),
            "{:?}",
            total.reasons
        );
        assert!(
            said.iter()
                .any(|r| r.starts_with("calibrated by the total table")),
            "{:?}",
            total.reasons
        );
        let steps: Vec<(f64, f64)> = said
            .iter()
            .map(|r| {
                let (from, to) = r
                    .rsplit_once(": confidence ")
                    .unwrap()
                    .1
                    .split_once(" → ")
                    .unwrap();
                (from.parse().unwrap(), to.parse().unwrap())
            })
            .collect();
        assert!(
            steps.windows(2).all(|w| (w[0].1 - w[1].0).abs() < 1e-9),
            "{steps:?}"
        );
        assert!((steps.last().unwrap().1 - total.confidence).abs() < 1e-9);
    }

    #[test]
    fn sums_that_do_not_add_up_go_to_review() {
        let (_, _, doc) = run(danish_invoice("1.643,13 kr."));
        assert_eq!(doc.decision.route, Route::Review);
        assert!(
            doc.decision
                .reasons
                .iter()
                .any(|r| r.starts_with("check totals_add_up failed")),
            "{:?}",
            doc.decision.reasons
        );
        assert!(doc.fields.get("total").unwrap().confidence < 0.9);
    }

    #[test]
    fn a_correction_is_normalised_recorded_and_checked_again() {
        let (_, _, doc) = run(danish_invoice("1.643,13 kr."));
        let cfg = cfg();
        let dt = cfg.doctype("invoice").unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let edits = [("total".to_string(), "1.543,13".to_string())];
        let (fixed, changes) = apply_corrections(&doc, dt, &edits, "ann", noon(today)).unwrap();
        let total = fixed.fields.get("total").unwrap();
        assert_eq!(
            (total.value.as_str(), total.origin),
            ("1543.13", Origin::Corrected)
        );
        assert_eq!(total.confidence, 1.0);
        assert_eq!(
            total.bbox,
            doc.fields.get("total").unwrap().bbox,
            "the box read is kept"
        );
        assert!(fixed.checks.iter().all(|c| c.passed), "{:?}", fixed.checks);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].old_value.as_deref(), Some("1643.13"));
        assert_eq!(changes[0].old_raw.as_deref(), Some("1.643,13 kr."));
        assert_eq!(changes[0].actor, "ann");

        // The same value again changes nothing; a bad value is refused with a reason.
        let (_, none) = apply_corrections(&fixed, dt, &edits, "ann", noon(today)).unwrap();
        assert!(none.is_empty());
        let bad = [
            ("due_date".to_string(), "31.02.2024".to_string()),
            ("colour".to_string(), "red".to_string()),
        ];
        let errs = apply_corrections(&fixed, dt, &bad, "ann", noon(today)).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].1.contains("not a date"), "{errs:?}");
    }

    #[test]
    fn an_uncertain_type_is_read_as_its_best_candidate_and_held_for_a_person() {
        let (_, _, mut doc) = run(tie_page());
        assert!(doc.doc_type.uncertain);
        assert_eq!(doc.doc_type.value, "invoice");
        assert!(
            doc.doc_type.reasons[0].starts_with("type uncertain: read as invoice"),
            "{:?}",
            doc.doc_type.reasons
        );
        assert!(
            doc.doc_type.reasons[1].contains("too close to call"),
            "the classifier's reason stays: {:?}",
            doc.doc_type.reasons
        );
        assert_eq!(doc.fields.value("invoice_number"), Some("A-1001"));
        assert_eq!(doc.fields.value("total"), Some("17.50"));
        assert_eq!(doc.decision.route, Route::Review);
        // Even with every field and check good, an uncertain type is never posted alone.
        let fields = doc.fields.clone();
        assert_eq!(
            route::route(&doc.doc_type, cfg().doctype("invoice"), &fields, &[]).route,
            Route::Review
        );
        confirm_type(&mut doc, "ann");
        assert!(!doc.doc_type.uncertain);
        assert_eq!(
            doc.doc_type.reasons[0],
            "type invoice confirmed by ann on approval"
        );
        let json = serde_json::to_value(&doc.doc_type).unwrap();
        assert!(json.get("uncertain").is_none(), "{json}");
    }

    #[test]
    fn a_letter_is_not_an_invoice() {
        let (_, _, doc) = run(crate::testing::page(&[
            (150, &[(150, "Dear customer,")]),
            (300, &[(150, "thank you for your visit last week.")]),
        ]));
        assert_eq!(doc.doc_type.value, "unknown");
        assert_eq!(doc.decision.route, Route::Review);
        assert!(doc.fields.0.is_empty());
    }
}
