//! Pages of words built by hand (no OCR): a page from rows of text, and the pages
//! several stages' tests share.

use crate::document::Origin;
use crate::text::{Page, Word};

/// A page from rows of `(x, text)` at height `y`; each word 40 px high, 22 px a char.
pub fn page(rows: &[(u32, &[(u32, &str)])]) -> Page {
    let mut words = Vec::new();
    for (row, (y, cells)) in rows.iter().enumerate() {
        for (cell, (x, text)) in cells.iter().enumerate() {
            let mut cx = *x;
            for w in text.split(' ') {
                let wlen = 22 * w.chars().count() as u32;
                words.push(Word {
                    // Like Tesseract: a cell far from its neighbours is a line of its own.
                    line: (row * 100 + cell + 1) as u32,
                    text: w.to_string(),
                    conf: 0.95,
                    bbox: [cx, *y, cx + wlen, y + 40],
                });
                cx += wlen + 14;
            }
        }
    }
    Page {
        number: 1,
        width: 2480,
        height: 3508,
        words,
        origin: Origin::Ocr,
        transform: Default::default(),
        codes: Vec::new(),
        marks: Vec::new(),
    }
}

/// A page of words as OCR read them: text, confidence, box and line (fixtures copied
/// from real scans' pages caches).
pub fn scanned(words: &[(&str, f32, [u32; 4], u32)]) -> Page {
    let mut p = page(&[]);
    p.words = words
        .iter()
        .map(|&(text, conf, bbox, line)| Word {
            text: text.to_string(),
            conf,
            bbox,
            line,
        })
        .collect();
    p
}

/// A till slip that also calls itself a tax invoice: invoice and receipt cues alike,
/// a classification tie.
pub fn tie_page() -> Page {
    page(&[
        (100, &[(150, "TAX INVOICE")]),
        (160, &[(150, "Receipt")]),
        (220, &[(150, "Invoice no"), (600, "A-1001")]),
        (280, &[(150, "CASH"), (600, "20.00")]),
        (340, &[(150, "CHANGE"), (600, "2.50")]),
        (400, &[(150, "TOTAL"), (600, "17.50")]),
    ])
}

/// A clean Danish invoice, labels beside values; `total` as printed.
pub fn danish_invoice(total: &str) -> Page {
    page(&[
        (
            150,
            &[(150, "Nordlys Kontorartikler ApS"), (1500, "FAKTURA")],
        ),
        (210, &[(150, "Vestergade 12, 8000 Aarhus C")]),
        (
            400,
            &[
                (150, "Modtager:"),
                (1400, "Fakturanr.:"),
                (1900, "2024-118"),
            ],
        ),
        (
            460,
            &[
                (150, "Fjordside Tømrer A/S"),
                (1400, "Fakturadato:"),
                (1900, "14. marts 2024"),
            ],
        ),
        (520, &[(1400, "Forfaldsdato:"), (1900, "13.04.2024")]),
        (
            1000,
            &[
                (150, "Beskrivelse"),
                (1200, "Antal"),
                (1600, "Pris"),
                (2000, "Beløb"),
            ],
        ),
        (
            1060,
            &[
                (150, "Toner sort"),
                (1200, "2"),
                (1600, "617,25"),
                (2000, "1.234,50"),
            ],
        ),
        (2400, &[(1400, "Subtotal"), (1950, "1.234,50 kr.")]),
        (2460, &[(1400, "Moms 25%"), (1950, "308,63 kr.")]),
        (2520, &[(1400, "I alt"), (1950, total)]),
        (
            3200,
            &[
                (150, "IBAN: DK50 0040 0440 1162 43"),
                (1300, "CVR-nr. 12345674"),
            ],
        ),
        // The footer repeats the vendor, as real invoices do: two readings that agree.
        (3300, &[(150, "Nordlys Kontorartikler ApS · Vestergade 12")]),
    ])
}

/// A `width`×`height` PNG of one plain grey `level` (255: white paper): an image for a
/// [`super::ScriptedEngine`] to "read", or a blank scan.
pub fn plain_png(width: u32, height: u32, level: u8) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(width, height, image::Luma([level]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("a PNG is written to memory");
    out
}
