//! The party a document is addressed to when no label leads to it: the address block
//! in the upper part of the first page that is not the letterhead's. Business letters
//! put it where a window envelope shows it (DIN 5008 in Germany, and the Nordic and
//! most European letters alike), often under a heading no type file lists
//! ("FAKTURAMOTTAKER", "KLIENT", "Laskutusosoite") or under none at all.
//!
//! A block is read from its postcode line upwards: the lines above it, aligned with it
//! and as close as the lines of one address, back to the first that is no address
//! (a heading, a salutation, a sender's return line). Its name is the block's first
//! line that is neither a street nor a heading.

use std::sync::LazyLock;

use regex::Regex;

use crate::config::doctype::label_tokens;
use crate::text::layout::{LWord, Line};
use crate::text::Page;

use super::candidates::{candidate, joined, Candidate, Found};
use super::letterhead::{clean_name, ends_in_legal_form};

/// Found by the shape of an address, without a label: less than a label's word.
pub(super) const ADDRESS_BLOCK: f64 = 0.85;

/// How far down the first page an addressee's block may start (a window envelope's
/// window ends at about a third of an A4 page; a letterhead can push it lower).
const UPPER_PART: f64 = 0.45;

/// A postcode and the town after it: "10115 Berlin", "D-10115 Berlin", "00-001
/// Warszawa", "114 55 Stockholm", "1012 AB Amsterdam", "SW1A 1AA London" (the shapes of
/// the countries whose paper a Nordic or German back office sees).
static POSTCODE_TOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|\s)(?:(?:[A-Z]{1,3}-)?\d{4,5}|\d{3}\s\d{2}|\d{2}-\d{3}|\d{4}\s?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})\s+\p{Lu}\p{L}",
    )
    .unwrap()
});

/// A street line: a word and a house number ("Lindenweg 78", "ul. Polna 54",
/// "Via Roma 12/B", "14 Rue de la Paix").
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^\d{1,4}[a-zA-Z]?,?\s+\p{L}|\p{L}[.,]?\s+\d{1,4}(?:\s?[a-zA-Z])?(?:[-/]\d{0,4}[a-zA-Z]?)?$)")
        .unwrap()
});

/// Headings over another party's address: the seller's (EN 16931's "Seller" in the
/// languages the type files list) and a delivery address.
const OTHER_PARTY: &[&str] = &[
    "seller",
    "supplier",
    "from",
    "verkäufer",
    "lieferant",
    "von",
    "sælger",
    "leverandør",
    "fra",
    "säljare",
    "leverantör",
    "från",
    "selger",
    "myyjä",
    "toimittaja",
    "verkoper",
    "leverancier",
    "vendeur",
    "fournisseur",
    "venditore",
    "fornitore",
    "vendedor",
    "proveedor",
    "sprzedawca",
    "dostawca",
    "ship",
    "deliver",
    "delivery",
    "lieferadresse",
    "lieferanschrift",
    "leveringsadresse",
    "leveransadress",
    "toimitusosoite",
    "afleveradres",
    "livraison",
    "consegna",
    "entrega",
    "dostawy",
];

/// A line that only says how the addressee is addressed.
const SALUTATIONS: &[&str] = &[
    "herrn", "herr", "frau", "firma", "hr", "fr", "mr", "mrs", "ms", "attn", "att", "an",
];

/// A run of print on one line: a cell of a block.
struct Cell {
    words: Vec<LWord>,
    text: String,
    x0: f32,
    top: f32,
    bottom: f32,
    height: f32,
}

/// The addressee's name: the first line of the highest address block in the upper part
/// of the first page whose name is not in `taken` (the letterhead's and every label's
/// value: another party's). A line holding one of `own` (the field's own labels) heads
/// its block.
pub(super) fn recipient(
    pages: &[Page],
    lines: &[Line],
    taken: &[[u32; 4]],
    own: &[[u32; 4]],
) -> Option<Candidate> {
    let first = lines.first()?.page;
    let page = pages.iter().find(|p| p.number == first)?;
    let limit = page.height as f32 * UPPER_PART as f32;
    let mut cells: Vec<Cell> = Vec::new();
    for line in lines.iter().filter(|l| l.page == first) {
        if line.top() as f32 > limit * 1.4 {
            continue;
        }
        for words in line.segments() {
            let Some(w0) = words.first() else { continue };
            let text = joined(&words).0;
            cells.push(Cell {
                x0: w0.bbox[0] as f32,
                top: words.iter().map(|w| w.bbox[1]).min().unwrap_or(0) as f32,
                bottom: words.iter().map(|w| w.bbox[3]).max().unwrap_or(0) as f32,
                height: line.height,
                text,
                words,
            });
        }
    }
    cells.sort_by(|a, b| a.top.total_cmp(&b.top));
    for (pi, post) in cells.iter().enumerate() {
        if !POSTCODE_TOWN.is_match(&post.text) {
            continue;
        }
        let block = block_above(&cells, pi);
        if let Some(c) = name_of(&block, post, limit, taken, own) {
            let mut c = c;
            c.page = first;
            return Some(c);
        }
    }
    None
}

/// The cells above `cells[pi]` that continue its address upwards, top first, ending
/// with it.
fn block_above(cells: &[Cell], pi: usize) -> Vec<&Cell> {
    let mut block = vec![&cells[pi]];
    for _ in 0..5 {
        let cur = *block.last().unwrap();
        let unit = cur.height.max(10.0);
        let above = cells
            .iter()
            .filter(|c| c.top < cur.top && c.bottom <= cur.top + unit * 0.3)
            .filter(|c| cur.top - c.bottom <= unit * 1.6)
            .filter(|c| (c.x0 - cur.x0).abs() <= unit * 1.5)
            // The line right above (not one further up within reach), then the
            // best aligned.
            .max_by(|a, b| {
                a.bottom
                    .total_cmp(&b.bottom)
                    .then((b.x0 - cur.x0).abs().total_cmp(&(a.x0 - cur.x0).abs()))
            });
        match above {
            Some(c) => block.push(c),
            None => break,
        }
    }
    block.reverse();
    block
}

fn name_of(
    block: &[&Cell],
    post: &Cell,
    limit: f32,
    taken: &[[u32; 4]],
    own: &[[u32; 4]],
) -> Option<Candidate> {
    // Back from the postcode line to the first line that is no part of an address.
    let mut start = 0;
    let mut heading: Option<&str> = None;
    for (i, c) in block.iter().enumerate().take(block.len() - 1) {
        let tokens = label_tokens(&c.text);
        if POSTCODE_TOWN.is_match(&c.text) {
            // A sender's return line over the window, or another address above.
            start = i + 1;
            heading = None;
        } else if is_heading(c, block.len() - 1 - i)
            || c.words
                .last()
                .is_some_and(|w| overlaps(std::slice::from_ref(w), own))
        {
            // The field's own label ends its heading ("Datos del cliente"); inside a
            // name it is only a word ("Kunden AG Mitte").
            start = i + 1;
            heading = Some(&c.text);
        } else if tokens.len() == 1 && SALUTATIONS.contains(&tokens[0].as_str()) {
            start = i + 1;
        }
    }
    if let Some(h) = heading {
        let tokens = label_tokens(h);
        if tokens.iter().any(|t| OTHER_PARTY.contains(&t.as_str())) {
            return None;
        }
    }
    // An identifier line under the heading (a GLN, a customer number) is no name.
    while start < block.len() && has_long_number(&block[start].text) {
        start += 1;
    }
    let lines = &block[start..];
    // A name, then at least the postcode line.
    if lines.len() < 2 {
        return None;
    }
    let name = lines[0];
    if name.top > limit || STREET.is_match(name.text.trim()) || is_contact(&name.text) {
        return None;
    }
    if name.words.iter().any(|w| {
        taken
            .iter()
            .any(|t| crate::text::intersection(w.bbox, *t) > 0.0)
    }) {
        return None;
    }
    // "Herrn Max Mustermann" stays whole: that is how the invoice names a person.
    let words: Vec<LWord> = name.words.clone();
    let value = clean_name(&joined(&words).0);
    if value.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let mut c = candidate(value, words);
    c.score *= ADDRESS_BLOCK;
    c.found = Found::AddressBlock;
    c.note = Some(match heading {
        Some(h) => format!(
            "the name over the address ending {:?}, under {h:?}, a heading no type file lists",
            post.text
        ),
        None => format!(
            "the name over the address ending {:?}, where a window envelope shows the addressee",
            post.text
        ),
    });
    Some(c)
}

/// A heading over an address: one to three words, no digits, ending in a colon or in
/// capitals ("KLIENT", "Käufer:", "FAKTURAMOTTAKER"), or a lone word over a whole
/// address of three lines more (a name, a street, a postcode: "Laskutusosoite").
fn is_heading(c: &Cell, lines_below: usize) -> bool {
    let t = c.text.trim();
    let letters = || t.chars().filter(|ch| ch.is_alphabetic());
    // "MUSTER-KUNDE GMBH" is a name in capitals.
    !ends_in_legal_form(&c.words)
        && c.words.len() <= 3
        && !t.chars().any(|ch| ch.is_ascii_digit())
        && (t.ends_with(':')
            || (letters().count() >= 3 && letters().all(char::is_uppercase))
            || (c.words.len() == 1 && lines_below >= 3))
}

/// Five digits or more in a row: an identifier, never part of a name.
fn has_long_number(text: &str) -> bool {
    let mut run = 0;
    text.chars().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run >= 5
    })
}

fn overlaps(words: &[LWord], boxes: &[[u32; 4]]) -> bool {
    words.iter().any(|w| {
        boxes
            .iter()
            .any(|b| crate::text::intersection(w.bbox, *b) > 0.0)
    })
}

/// A telephone, fax or e-mail line: never a name. ("@sterlund" is Østerlund misread.)
fn is_contact(text: &str) -> bool {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\S@\S+\.\S").unwrap());
    let tokens = label_tokens(text);
    EMAIL.is_match(text)
        || tokens.first().is_some_and(|t| {
            [
                "tel", "tlf", "telefon", "phone", "ph", "fax", "email", "e-mail", "puhelin",
                "mobil",
            ]
            .contains(&t.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::page;
    use crate::text::layout;

    fn read(p: &Page) -> Option<String> {
        let lines = layout::lines(p);
        recipient(std::slice::from_ref(p), &lines, &[], &[]).map(|c| c.value)
    }

    #[test]
    fn the_addressee_is_the_name_over_a_postcode_in_the_upper_page() {
        // Under a heading nobody listed.
        let p = page(&[
            (300, &[(1300, "FAKTURAMOTTAKER")]),
            (350, &[(1300, "Havørn Elektro ANS")]),
            (400, &[(1300, "Industriveien 90")]),
            (450, &[(1300, "7011 Trondheim")]),
        ]);
        assert_eq!(read(&p).as_deref(), Some("Havørn Elektro ANS"));
        // A window address under a sender's return line, with a salutation.
        let p = page(&[
            (500, &[(200, "Müller GmbH · Bahnhofstr. 43 · 10115 Berlin")]),
            (560, &[(200, "Firma")]),
            (610, &[(200, "Wagner & Söhne Logistik GmbH")]),
            (660, &[(200, "Lindenweg 78")]),
            (710, &[(200, "D-20095 Hamburg")]),
        ]);
        assert_eq!(read(&p).as_deref(), Some("Wagner & Söhne Logistik GmbH"));
        // Polish and Swedish postcodes.
        let p = page(&[
            (540, &[(200, "KLIENT")]),
            (585, &[(200, "Kowalski Informatyka Sp. z o.o.")]),
            (633, &[(200, "ul. Polna 54")]),
            (682, &[(200, "00-001 Warszawa")]),
        ]);
        assert_eq!(read(&p).as_deref(), Some("Kowalski Informatyka Sp. z o.o."));
    }

    #[test]
    fn no_addressee_from_a_seller_or_delivery_block_a_street_or_the_lower_page() {
        let seller = page(&[
            (300, &[(200, "Verkäufer:")]),
            (350, &[(200, "Müller GmbH")]),
            (400, &[(200, "Bahnhofstraße 43")]),
            (450, &[(200, "10115 Berlin")]),
        ]);
        assert_eq!(read(&seller), None);
        let delivery = page(&[
            (300, &[(200, "Ship to:")]),
            (350, &[(200, "Acme Ltd")]),
            (400, &[(200, "1 High Street")]),
            (450, &[(200, "SW1A 1AA London")]),
        ]);
        assert_eq!(read(&delivery), None);
        // The letterhead's own block: a logo over the street.
        let street = page(&[
            (367, &[(1100, "ul. Długa 57")]),
            (417, &[(1100, "00-001 Warszawa")]),
        ]);
        assert_eq!(read(&street), None);
        let street = page(&[
            (677, &[(200, "Gran Via, 113")]),
            (733, &[(200, "46002 Valencia")]),
        ]);
        assert_eq!(read(&street), None);
        let contact = page(&[
            (600, &[(200, "Tel. +49 30 1614368")]),
            (650, &[(200, "Lindenweg 78")]),
            (700, &[(200, "10115 Berlin")]),
        ]);
        assert_eq!(read(&contact), None);
        // A footer.
        let footer = page(&[
            (3100, &[(200, "Nordlys ApS")]),
            (3150, &[(200, "Vestergade 1")]),
            (3200, &[(200, "8000 Aarhus C")]),
        ]);
        assert_eq!(read(&footer), None);
    }

    #[test]
    fn a_name_already_taken_is_not_the_addressee() {
        let p = page(&[
            (150, &[(200, "Nordlys Kontorartikler ApS")]),
            (200, &[(200, "Vestergade 1")]),
            (250, &[(200, "8000 Aarhus C")]),
        ]);
        let lines = layout::lines(&p);
        let taken = [[200, 150, 800, 190]];
        assert!(recipient(std::slice::from_ref(&p), &lines, &taken, &[]).is_none());
        assert!(recipient(std::slice::from_ref(&p), &lines, &[], &[]).is_some());
    }
}
