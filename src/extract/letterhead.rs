//! The issuer's name and address when no label leads to them: the letterhead (a
//! prominent line near the top of the first page), the address lines under it, and
//! the same name read again elsewhere on the page (a footer) as corroboration.
//!
//! Letterheads and till headers share a shape: the name first and largest, perhaps
//! over two lines ending in a legal form; a company or tax registration under it;
//! the street, postcode and town; then telephone, tax id or the date. A registration
//! is never the name and never part of the address.

use super::candidates::{candidate, joined, ocr_quality, Candidate, UNLABELLED};
use super::labels::{value_regions, LabelMatch};
use crate::config::doctype::normalize_token;
use crate::config::DocType;
use crate::text::layout::{self, union, LWord, Line};
use crate::text::{accents, unaccented};

/// The issuer's address: the lines printed under its name (street, postcode and town),
/// up to and including the first one holding a postcode. A registration line between
/// the name and the street is passed over; a contact or tax line, a date or the
/// document's heading ends the address.
pub(super) fn address_below(
    lines: &[Line],
    name: &Candidate,
    doctype: &DocType,
) -> Option<Candidate> {
    let heading_words: Vec<&str> = doctype
        .cues
        .iter()
        .filter(|c| c.weight >= 2.5)
        .flat_map(|c| c.phrases.iter().flatten().map(String::as_str))
        .collect();
    // The name's last line: a name may take two.
    let li = lines.iter().rposition(|l| {
        l.page == name.page
            && l.words
                .iter()
                .any(|w| w.bbox == name.bbox || crate::text::intersection(w.bbox, name.bbox) > 0.0)
    })?;
    let (x0, x1) = (name.bbox[0] as f32, name.bbox[2] as f32);
    let mut parts: Vec<Vec<LWord>> = Vec::new();
    let mut bottom = lines[li].bottom() as f32;
    // The gap under a big name is as big as the name is tall.
    let name_h = (name.bbox[3] - name.bbox[1]) as f32;
    for line in lines.iter().skip(li + 1).take(6) {
        let gap = 2.0 * line.height.max(name_h);
        if line.page != name.page || line.top() as f32 > bottom + gap {
            break;
        }
        // The words under the name's column (a centred header, or a left-aligned one).
        let words = under(line, x0, x1, 4.0);
        if words.is_empty() {
            break;
        }
        let text = joined(&words).0;
        let lower = text.to_lowercase();
        // Contact and tax lines end the address.
        // A contact or tax word, whole ("Ph +44…", "Tlf.", "CVR 123…"), or an e-mail.
        let tokens = crate::config::doctype::label_tokens(&lower);
        let contact = lower.contains('@')
            || tokens.iter().any(|w| {
                [
                    "tel",
                    "tlf",
                    "ph",
                    "phone",
                    "telephone",
                    "telefon",
                    "hp",
                    "mobile",
                    "mob",
                    "fax",
                    "email",
                    "e-mail",
                    "cvr",
                    "vat",
                    "ust",
                    "abn",
                    "www",
                    "org",
                ]
                .contains(&w.as_str())
                    || w.starts_with("www")
                    || w.starts_with("ust-id")
            });
        let heading = !tokens.is_empty()
            && tokens
                .iter()
                .filter(|t| heading_words.contains(&t.as_str()))
                .count()
                * 2
                >= tokens.len();
        let dated = !crate::values::find_dates(&text, crate::values::DateOrder::Dmy).is_empty();
        if registration(&text) && parts.is_empty() {
            bottom = line.bottom() as f32;
            continue;
        }
        if contact || heading || dated || registration(&text) {
            break;
        }
        bottom = line.bottom() as f32;
        let postcode = words.iter().any(|w| {
            let t = w.text.trim_matches(|c: char| !c.is_alphanumeric());
            (t.len() == 4 || t.len() == 5) && t.chars().all(|c| c.is_ascii_digit())
        });
        parts.push(words);
        if postcode || parts.len() == 4 {
            break;
        }
    }
    if parts.is_empty() {
        return None;
    }
    let all: Vec<LWord> = parts.iter().flatten().cloned().collect();
    let mut c = candidate(
        parts
            .iter()
            .map(|p| clean_name(&joined(p).0))
            .collect::<Vec<_>>()
            .join(", "),
        all,
    );
    c.page = name.page;
    c.score *= UNLABELLED;
    Some(c)
}

/// The abbreviations of legal forms a name ends with, from the ISO 20275 entity legal
/// forms of the countries whose paper a Nordic or German back office sees, and of the
/// suppliers' usual others (UK, US, Malaysia, Singapore, India, Australia).
const LEGAL_SUFFIXES: &[&str] = &[
    // Denmark, Norway, Sweden, Finland, Iceland
    "aps", "a/s", "as", "i/s", "k/s", "p/s", "ivs", "asa", "ab", "publ", "hb", "kb", "oy", "oyj",
    "ky", "tmi", "ehf", "hf", // Germany, Austria, Switzerland
    "gmbh", "ag", "kg", "kgaa", "ohg", "ug", "gbr", "mbh", "ek", "e.k", "e.v", "eg", "sàrl",
    // Netherlands, Belgium, France, Italy, Spain, Poland and neighbours
    "bv", "b.v", "nv", "n.v", "vof", "v.o.f", "bvba", "sprl", "srl", "s.r.l", "sarl", "sas", "sasu",
    "eurl", "snc", "sa", "s.a", "spa", "s.p.a", "sl", "s.l", "slu", "s.l.u", "z.o.o", "o.o",
    "sp.k", "sp.j", "s.n.c", "s.r.o", "sro", "a.s", "kft", "zrt",
    "se", // English-speaking and Asian
    "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "corp", "co", "pty", "bhd", "berhad",
    "s/b", "pte", "pvt",
];

/// A company or tax registration, not a name and not an address line: a registration
/// word ("CO.REG :933109-X", "GST Reg No", "Org.nr.", "CVR", "USt-IdNr.") or a
/// bracketed number alone ("(126926-H)").
pub(crate) fn registration(text: &str) -> bool {
    static BARE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^\(?\s*[0-9]{4,}[0-9 .-]*[A-Za-z]?\s*\)?$").unwrap()
    });
    const WORDS: &[&str] = &[
        "reg",
        "regn",
        "registration",
        "registered",
        "co.reg",
        "coreg",
        "roc",
        "ssm",
        "gst",
        "gstin",
        "vat",
        "moms",
        "mva",
        "mwst",
        "ust",
        "ust-id",
        "ust-idnr",
        "ustid",
        "steuernr",
        "st.nr",
        "stnr",
        "cvr",
        "cvr-nr",
        "se-nr",
        "org.nr",
        "orgnr",
        "org-nr",
        "y-tunnus",
        "alv",
        "kvk",
        "btw",
        "siret",
        "siren",
        "rcs",
        "tva",
        "p.iva",
        "piva",
        "cif",
        "nif",
        "nip",
        "regon",
        "krs",
        "abn",
        "acn",
        "tin",
        "ein",
        "uid",
    ];
    let tokens = crate::config::doctype::label_tokens(text);
    // "Org.nr. 912 345 678": the number may be printed in groups.
    let number = text.chars().filter(char::is_ascii_digit).count() >= 5;
    let word = tokens.iter().any(|t| WORDS.contains(&t.as_str()))
        || tokens.windows(2).any(|w| {
            matches!(
                (w[0].as_str(), w[1].as_str()),
                ("co" | "company" | "business" | "tax", "no" | "nr" | "id")
            )
        });
    (word && number) || BARE.is_match(text.trim())
}

/// A name without the registration printed after it: "AEON CO. (M) BHD. (126926-H)",
/// "GARDENIA BAKERIES (KL) SDN BHD (139386 X)", "KING'S CONFECTIONERY S/B 273500-U
/// (KSB)": the name ends before its first registration number.
fn without_registration(mut words: Vec<LWord>) -> Vec<LWord> {
    let number = |t: &str| {
        t.chars().filter(char::is_ascii_digit).count() >= 4
            && (t.starts_with('(') || t.ends_with(')') || t.contains('-'))
    };
    if let Some(i) = words.iter().skip(1).position(|w| number(&w.text)) {
        words.truncate(i + 1);
    }
    words
}

pub(super) fn ends_in_legal_form(words: &[LWord]) -> bool {
    words.last().is_some_and(is_legal_form)
}

/// "GmbH", "A/S", "S.p.A.", "o.o." of "Sp. z o.o.": a legal form's abbreviation, also
/// with its "o" read as a zero ("Sp. z 0.0."): no legal form has a digit.
pub(super) fn is_legal_form(w: &LWord) -> bool {
    let t = w.text.to_lowercase().replace('0', "o");
    LEGAL_SUFFIXES.contains(&w.norm.as_str())
        || LEGAL_SUFFIXES.contains(
            &t.trim_matches(|c: char| !c.is_alphanumeric() && c != '.')
                .trim_end_matches('.'),
        )
}

/// The second line of a two-line name: directly under the first, no wider than a
/// name, and ending in a legal form ("POPULAR BOOK" / "CO. (M) SDN BHD").
fn continuation(lines: &[Line], li: usize, name: &[LWord]) -> Option<Vec<LWord>> {
    let (line, next) = (&lines[li], lines.get(li + 1)?);
    let bottom = name.iter().map(|w| w.bbox[3]).max()? as f32;
    let (x0, x1) = (
        name.iter().map(|w| w.bbox[0]).min()? as f32,
        name.iter().map(|w| w.bbox[2]).max()? as f32,
    );
    if next.page != line.page || next.top() as f32 > bottom + line.height.max(next.height) {
        return None;
    }
    let words = without_registration(under(next, x0, x1, 2.0));
    let text = joined(&words).0;
    // A continuation cannot stand alone: it starts with "&", a bracket or a legal
    // form ("& BAGERI ApS", "(SETIA ALAM) SDN BHD", "CO. (M) SDN BHD"); a line that
    // is a name of its own ("Lieferant GmbH" under "Rechnungsersteller") is not one.
    let first = words
        .first()
        .map(|w| w.text.to_lowercase())
        .unwrap_or_default();
    let dependent = first.starts_with(['&', '(', '+'])
        || LEGAL_SUFFIXES.contains(&first.trim_end_matches(['.', ',']));
    (dependent && words.len() <= 4 && ends_in_legal_form(&words) && !registration(&text))
        .then_some(words)
}

/// The words of `line` within `reach` line heights of the column `x0..x1`.
fn under(line: &Line, x0: f32, x1: f32, reach: f32) -> Vec<LWord> {
    let reach = reach * line.height;
    line.words
        .iter()
        .filter(|w| (w.bbox[2] as f32) > x0 - reach && (w.bbox[0] as f32) < x1 + reach)
        .cloned()
        .collect()
}

/// Words read this badly on average are a logo or a stamp, not the name in text.
const MIN_NAME_CONF: f64 = 0.6;
/// Height over the page's median word height from which a line is no more prominent.
const MAX_PROMINENCE: f64 = 2.5;
/// What a legal form at the end of a line adds to its prominence as a name: about
/// the weight of a line half again as tall as the text.
const SUFFIX_WEIGHT: f64 = 0.5;

/// Words that are some label's value, or a label themselves: never the issuer's name.
/// Each box with the field whose label claims it (the addressee's own label does not
/// rule out the block it heads).
pub(super) fn claimed_boxes(lines: &[Line], matches: &[LabelMatch]) -> Vec<(usize, [u32; 4])> {
    let mut claimed = Vec::new();
    for m in matches {
        let label = lines[m.line].words[m.start..m.end].iter();
        let values = value_regions(lines, matches, m)
            .into_iter()
            .flat_map(|(w, _)| w);
        claimed.extend(label.map(|w| (m.field, w.bbox)));
        claimed.extend(values.map(|w| (m.field, w.bbox)));
    }
    claimed
}

/// A letterhead that is a brand ("Koivula", a logo's word) completed to the company's
/// name as printed elsewhere on the page with its legal form ("Koivula
/// Siivouspalvelu Oy - Hämeenkatu 81" in the footer, "Krüger Haustechnik KG" over
/// the bank details). Suppliers print the short name big and the legal name small;
/// the legal name is what accounts payable books.
///
/// The completion starts with the brand's words (a misread letter allowed), adds at
/// most five words in the same run of print, and ends in a legal form; words that are
/// a label's value (the customer under "Kunde", who may share the brand's word) are
/// never taken.
///
/// Known failure modes: a brand that is also the first word of another company's
/// unlabelled name (a parent company in the footer) is completed to that name.
pub(super) fn complete_name(
    lines: &[Line],
    claimed: &[[u32; 4]],
    c: Candidate,
    own: Vec<LWord>,
) -> (Candidate, Vec<LWord>) {
    if own.is_empty() || ends_in_legal_form(&own) {
        return (c, own);
    }
    let target: Vec<&str> = own.iter().map(|w| w.norm.as_str()).collect();
    let n = target.len();
    let like =
        |a: &str, b: &str| a == b || (a.chars().count() >= 5 && layout::edit_distance(a, b) <= 1);
    for line in lines {
        for start in 0..line.words.len().saturating_sub(n) {
            let window = &line.words[start..start + n];
            if window.iter().any(|w| own.iter().any(|o| o.bbox == w.bbox))
                || !window.iter().zip(&target).all(|(w, t)| like(&w.norm, t))
            {
                continue;
            }
            let run = line.segment[start];
            // "Wagner & Söhne IT-Systeme GmbH & Co. KG": the last legal form.
            let longest = (start + n + 1..=(start + n + 5).min(line.words.len()))
                .take_while(|&end| line.segment[end - 1] == run)
                .filter(|&end| ends_in_legal_form(&line.words[start..end]))
                .last();
            let Some(end) = longest else { continue };
            let words = line.words[start..end].to_vec();
            if words.iter().any(|w| claimed.contains(&w.bbox)) {
                continue;
            }
            let mut full = candidate(String::new(), words.clone());
            full.value = clean_name(&full.raw);
            full.page = line.page;
            // As sure as a letterhead with its legal form, a little less for being
            // two readings put together.
            full.score *= 0.97 * 0.97;
            full.note = Some(format!(
                "the letterhead's {:?} completed by {:?}, printed with its legal form on page {}",
                c.raw, full.raw, line.page
            ));
            return (full, words);
        }
    }
    (c, own)
}

/// The issuer's name: a prominent line near the top of the first page that is not a
/// label, a label's value (the customer under "Bill to:"), a heading or a number.
pub(super) fn letterhead(
    lines: &[Line],
    doctype: &DocType,
    claimed: &[[u32; 4]],
) -> Option<(Candidate, Vec<LWord>)> {
    let first_page = lines.first()?.page;
    let page_lines: Vec<(usize, &Line)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.page == first_page)
        .collect();
    let page_bottom = page_lines.iter().map(|(_, l)| l.bottom()).max()? as f32;
    let mut heights: Vec<u32> = page_lines
        .iter()
        .flat_map(|(_, l)| l.words.iter().map(|w| w.bbox[3] - w.bbox[1]))
        .collect();
    heights.sort_unstable();
    let median_h = heights[heights.len() / 2].max(1) as f64;
    let heading_words: Vec<&str> = doctype
        .cues
        .iter()
        .filter(|c| c.weight >= 3.0)
        .flat_map(|c| c.phrases.iter().flatten().map(String::as_str))
        .collect();
    let mut best: Option<(f64, Candidate, Vec<LWord>)> = None;
    for (rank, (li, line)) in page_lines.iter().enumerate() {
        if line.top() as f32 > 0.3 * page_bottom {
            break;
        }
        for (seg, words) in line.segments().into_iter().enumerate() {
            if registration(&joined(&words).0) {
                continue;
            }
            let words = without_registration(words);
            let letters = words
                .iter()
                .flat_map(|w| w.text.chars())
                .filter(|c| c.is_alphabetic())
                .count();
            let digits = words
                .iter()
                .flat_map(|w| w.text.chars())
                .filter(|c| c.is_ascii_digit())
                .count();
            // A title, also one made a compound of a title word ("Handelsrechnung",
            // "Salgsfaktura", "Myyntilasku"): the languages that join their words put
            // the title word last.
            let heading = words
                .iter()
                .all(|w| heading_words.contains(&w.norm.as_str()))
                || (words.len() == 1
                    && heading_words
                        .iter()
                        .any(|h| h.len() >= 5 && !h.contains(' ') && words[0].norm.ends_with(h)));
            let is_claimed = words.iter().any(|w| claimed.contains(&w.bbox));
            // A label of its own ("Bill To", "Document No", "Cash Inv No.: 7010F714").
            let label = words.iter().any(|w| w.text.contains(':'))
                || words
                    .last()
                    .is_some_and(|w| ["no", "nr", "to", "#", "ref"].contains(&w.norm.as_str()));
            // A logo read as letters: big, and badly read.
            let mean_conf =
                words.iter().map(|w| w.conf as f64).sum::<f64>() / words.len().max(1) as f64;
            // A house number or a postcode ("10115", "00-001"): the address under the
            // name, not the name.
            let address = words.iter().any(|w| {
                let t = w.text.trim_matches(|c: char| !c.is_alphanumeric());
                t.chars().filter(char::is_ascii_digit).count() >= 2
                    && t.chars().all(|c| c.is_ascii_digit() || c == '-')
            });
            if is_claimed
                || heading
                || address
                || label
                || mean_conf < MIN_NAME_CONF
                || letters < 3
                || digits > letters
            {
                continue;
            }
            let mut words = words;
            let mut suffix = ends_in_legal_form(&words);
            if !suffix && seg == 0 {
                if let Some(more) = continuation(lines, *li, &words) {
                    words.extend(more);
                    suffix = true;
                }
            }
            let mut hs: Vec<u32> = words.iter().map(|w| w.bbox[3] - w.bbox[1]).collect();
            hs.sort_unstable();
            // A logo's letters may be many times the text's height: past this, size says
            // nothing more.
            let prominence = (hs[hs.len() / 2] as f64 / median_h).min(MAX_PROMINENCE);
            // Letterheads are big and on top; a company suffix makes a name likelier.
            let score = prominence + if suffix { SUFFIX_WEIGHT } else { 0.0 }
                - 0.1 * rank as f64
                - 0.2 * seg as f64;
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                let mut c = candidate(String::new(), words.clone());
                c.value = clean_name(&c.raw);
                c.page = line.page;
                // Without a company suffix the letterhead guess is only a guess.
                c.score *= if suffix { 0.97 } else { 0.8 };
                best = Some((score, c, words));
            }
        }
    }
    best.map(|(_, c, words)| (c, words))
}

/// The issuer's name from the foot of the first page, when no letterhead could be read
/// there (a logo of initials, a picture): the words a line of the lowest quarter starts
/// with, up to the last legal form before its first separator or number ("Mazur
/// Drukarnia Sp. z o.o. · ul. Długa 70, 00-001 Warszawa"). Without a legal form a
/// footer's words are as likely a slogan or a bank's name, and are not taken.
pub(super) fn footer_name(lines: &[Line], claimed: &[[u32; 4]]) -> Option<(Candidate, Vec<LWord>)> {
    let first_page = lines.first()?.page;
    let page_lines: Vec<&Line> = lines.iter().filter(|l| l.page == first_page).collect();
    let bottom = page_lines.iter().map(|l| l.bottom()).max()? as f32;
    for line in page_lines
        .into_iter()
        .filter(|l| l.top() as f32 >= 0.75 * bottom)
    {
        let run: Vec<LWord> = line
            .words
            .iter()
            .zip(&line.segment)
            .take_while(|(w, seg)| {
                **seg == line.segment[0]
                    && w.text.chars().any(char::is_alphanumeric)
                    && (!w.text.chars().any(|c| c.is_ascii_digit()) || is_legal_form(w))
            })
            .map(|(w, _)| w.clone())
            .collect();
        let Some(end) = (2..=run.len())
            .rev()
            .find(|&n| ends_in_legal_form(&run[..n]))
        else {
            continue;
        };
        let words = run[..end].to_vec();
        let conf = words.iter().map(|w| w.conf as f64).sum::<f64>() / words.len() as f64;
        if conf < MIN_NAME_CONF
            || words.iter().any(|w| claimed.contains(&w.bbox))
            || registration(&joined(&words).0)
        {
            continue;
        }
        let mut c = candidate(String::new(), words.clone());
        c.value = clean_name(&c.raw);
        c.page = line.page;
        // As sure as a letterhead without its legal form: the foot of a page also
        // prints banks, and parent companies.
        c.score *= 0.8;
        c.note = Some(format!(
            "no letterhead read; the name printed with its legal form at the foot of page {}",
            line.page
        ));
        return Some((c, words));
    }
    None
}

/// A name read twice the same way (letterhead and footer, in different fonts and
/// sizes) is very likely right; read twice differently ("Rengering" above, "Rengøring"
/// below), the better-read one is kept and a person should look.
///
/// Two reads that agree are scored word by word as independent reads: a word is
/// wrong only if both reads got it wrong the same way, so its doubt is the product of
/// the two doubts. A word one read was unsure of ("Bogely" read at 0.78 in the footer
/// for "Bøgely") keeps the whole name below the others.
pub(super) fn corroborate_name(lines: &[Line], mut c: Candidate, own: &[LWord]) -> Candidate {
    let target: Vec<String> = c.value.split_whitespace().map(normalize_token).collect();
    let n = target.len();
    if n == 0 || own.len() != n {
        return c;
    }
    // What the letterhead's score carries besides OCR quality (the suffix factor).
    let prior = c.score / ocr_quality(own).max(1e-6);
    let target_text = target.join(" ");
    let mut agree: Option<f64> = None;
    let mut best_other: Option<Candidate> = None;
    for line in lines {
        for start in 0..line.words.len().saturating_sub(n - 1) {
            let window = &line.words[start..start + n];
            if window.iter().any(|w| c.bbox == w.bbox) || union(window) == c.bbox {
                continue;
            }
            let text: Vec<&str> = window.iter().map(|w| w.norm.as_str()).collect();
            let text = text.join(" ");
            if text == target_text {
                let both: Vec<LWord> = own
                    .iter()
                    .zip(window)
                    .map(|(a, b)| LWord {
                        conf: 1.0 - (1.0 - a.conf) * (1.0 - b.conf),
                        ..a.clone()
                    })
                    .collect();
                let q = prior * ocr_quality(&both);
                agree = Some(agree.map_or(q, |a: f64| a.max(q)));
            } else if unaccented(&text) == unaccented(&target_text) {
                // The same letters, other accents ("López" above, "Lopez" in the
                // footer): the page's languages drop the accents they lack (see
                // `text::restore_accents`), so the name is spelled with the accents
                // either read found; neither read corroborates the other's accents, so
                // the score stays the letterhead's own.
                let spelled: Vec<LWord> = own
                    .iter()
                    .zip(window)
                    .map(|(a, b)| {
                        if accents(&b.norm) > accents(&a.norm) {
                            b
                        } else {
                            a
                        }
                    })
                    .cloned()
                    .collect();
                c.raw = joined(&spelled).0;
                c.value = clean_name(&c.raw);
            } else if text.chars().count() >= 6
                && layout::edit_distance(&text, &target_text)
                    <= (target_text.chars().count() / 10).max(1)
            {
                let mut other = candidate(clean_name(&joined(window).0), window.to_vec());
                other.page = line.page;
                if best_other.as_ref().is_none_or(|b| other.score > b.score) {
                    best_other = Some(other);
                }
            }
        }
    }
    match (agree, best_other) {
        (Some(q), None) => c.score = q,
        (_, Some(other)) => {
            let keep_score = c.score.min(other.score) * 0.8;
            if other.score > c.score && agree.is_none() {
                c.value = other.value;
                c.raw = other.raw;
                c.bbox = other.bbox;
                c.page = other.page;
            }
            c.score = keep_score;
        }
        (None, None) => {}
    }
    c
}

/// OCR debris around a name: quotes, bullets, a full stop after the company suffix; a
/// legal form read with zeros for its "o"s ("Sp. z 0.0.") written with letters.
pub(super) fn clean_name(raw: &str) -> String {
    let t = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '&' && c != ')' && c != '.');
    let t = t.trim_start_matches('.');
    let zeros = t.rsplit(' ').next().filter(|w| {
        w.contains('0')
            && w.chars().all(|c| matches!(c, '0' | 'o' | 'O' | '.'))
            && LEGAL_SUFFIXES.contains(&w.to_lowercase().replace('0', "o").trim_end_matches('.'))
    });
    let spelled;
    let t = match zeros {
        Some(w) => {
            spelled = format!("{}{}", &t[..t.len() - w.len()], w.replace('0', "o"));
            spelled.as_str()
        }
        None => t,
    };
    // "Inc." and "Corp." keep their full stop, and so does a dotted legal form
    // ("N.V.", "S.p.A.", "Sp.j."); "A/S." gained one from a speck.
    let last = t
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_lowercase();
    let dotted = last.contains('.') && t.ends_with('.');
    if dotted || matches!(last.as_str(), "inc" | "corp" | "co" | "bros" | "mfg") {
        t.to_string()
    } else {
        t.trim_end_matches('.').to_string()
    }
}
