//! `mailroom-samples`: a generator of synthetic scanned documents with ground truth.
//!
//! `--kind` picks what is drawn: `invoice` (the default), `receipt`, `payroll`, `form`,
//! or `mixed`, where document `i` is `[invoice, receipt, payroll, form][i % 4]`. Stems are
//! `inv-{seed}-{i:04}`, `rcp-…`, `pay-…` and `bcf-…`; beside each image
//! (`.png`/`.jpg`/`.tif`/`.pdf`) is `{stem}.truth.json` with `doc_type`, `layout`,
//! `language`, `degradation`, `degradations`, `fields` and `line_items` (payroll and form
//! add `marks`, the form `placement`, `boxes` and `anchors`). Truth values are normalised:
//! dates `YYYY-MM-DD`, money two-decimal strings ("1234.50") without currency, currency
//! ISO codes, booleans the strings "true"/"false", plain numbers without trailing zeros
//! ("37.5", "160"), IBAN/VAT ids upper case without spaces, text as printed; absent
//! fields `null`. `--degradation`, `--language` (where the kind has it) and `--format`
//! apply to every kind; `--layout` to invoices only. `--suppliers K` makes the invoices a
//! supplier stream (K suppliers, each with one identity, bank account and layout; truth
//! adds `supplier` and `supplier_doc`), addressed to one group's two companies, and
//! writes the suppliers to `vendors.csv`.
//!
//! **Invoices** (this file): an A4 page at 300 dpi (2480x3508, greyscale) holding a random
//! but realistic invoice in English, Danish or German: vendor and customer blocks, header
//! fields (invoice number, dates, purchase order) in one of four layouts, a line-item
//! table, a totals block and a footer with bank and VAT details. `--kind invoice` output
//! is byte-identical to the generator before the other kinds existed.
//!
//! **Receipts** (`receipt.rs`): narrow 58/80 mm thermal till receipts with their own
//! degradations `faded`, `photo` (72 dpi phone photo on a table) and `shadow`.
//! **Payroll change requests** (`payroll.rs`): an A4 form with labelled fields, a row of
//! change-type check boxes (one ticked, crossed or filled) and a signature box.
//! **Bank account confirmation** (`form.rs`): the fixed form NSB-112 filled in, placed
//! with a small random shift/scale/turn before scanning; `--reference` writes it unplaced
//! and clean plus the blank form. Shared drawing helpers are in `common.rs`.
//!
//! **`--variety wide`** (`wide.rs`, `wide_receipt.rs`, words in `labels.rs`; the default
//! `classic` is everything above and below, byte-identical per seed) draws invoices and
//! receipts far more varied, per document from its own generator: eleven languages (`da
//! de en sv no fi nl fr it es pl`; `--language` takes each code, `any`/`mixed` draw),
//! several label wordings per field (EN 16931 term names, e-invoice visualisation
//! labels, abbreviations, phrasings of real invoices), dates (day-first with `.`/`-`/`/`,
//! ISO, written months in the language, "March 5, 2026" for US vendors) and amounts
//! (`1.234,56`, `1 234,56`, `1,234.56`, `1'234.56`, currency code or symbol before or
//! after) in the language's conventions. Invoices: eleven header layouts (`kv-right`,
//! `inline`, `grid`, `leaders` with dotted leaders, `right-labels`, `two-column`,
//! `smallcaps` labels above, `boxed`, `bar` across the page, `under-title`,
//! `footer-fields`), letterheads left/centred/right with a logo mark (a shape, initials
//! in a ring, a bold wordmark; sometimes the legal name only in the footer), the buyer
//! in a window-envelope block at the left or at the right, item tables with full
//! rules, a header rule only, zebra shading or none and three column orders (position
//! and VAT-rate columns sometimes), totals as a right-aligned list, boxed, inside the
//! table, a big "Total due" line or broken down per VAT rate (items at two rates), 1–4
//! column footers, six font families (DejaVu Sans/Serif/Mono, Liberation
//! Sans/Serif/Mono). About 10 % are 26–40 item invoices over two or more pages
//! ("continued"/"Übertrag" with the carried amount, totals on the last page) when
//! `--format pdf` or `tiff` can hold pages (a multi-page image-only PDF or a
//! multi-page TIFF, every page scanned alike; PNG and JPEG get one-page invoices).
//! Receipts: five header shapes (`centred`, `brand-top`, `slogan-below`,
//! `inverse`, `left`), tax ids of the country, date and time in several forms, receipt,
//! till and cashier numbers, cash rounding, cash/change or card lines, 30–60 items a
//! fifth of the time. Truth keeps its schema and adds `variety: "wide"`, `pages`
//! (invoices) and the header `layout` (receipts `receipt-{shape}-{58|80}mm`);
//! `--layouts a,b` / `--exclude-layouts a,b` restrict the invoice layouts drawn so a
//! training and a test set can hold layouts apart. Payroll and form documents are the
//! classic ones under either variety.
//!
//! Header-field layouts: `beside` (key/value block at the top right), `above` (small
//! label over its value), `table` (ruled grid of label and value cells) and `compact`
//! ("Label: value · Label: value", at most two per line). Degradations: `clean`,
//! `light` (skew, noise, blur, JPEG 70-85), `heavy` (more of each plus grey paper,
//! speckles and either 200 dpi or upside down); `mixed` draws 40/35/25 %.
//!
//! ```text
//! mailroom-samples --out /tmp/samples --count 50 --seed 7 --degradation mixed --format png
//! mailroom-samples --out /tmp/train --variety wide --count 500 --seed 1 --exclude-layouts bar,boxed
//! mailroom-samples --out /tmp/test --variety wide --count 100 --seed 2 --layouts bar,boxed
//! mailroom-samples --out /tmp/mixed --kind mixed --count 400 --seed 7
//! mailroom-samples --out /tmp/nsb --kind form --reference --count 1
//! ```
//!
//! Output is deterministic for a given `--seed`: document `i` (counting from 0) gets its
//! own generator seeded from `(seed, i)`, so it does not depend on `--count` or on the
//! other documents' kinds. Positive
//! `skew_deg` means the content is turned clockwise as seen on the page. Fonts come from
//! the Debian packages fonts-dejavu-core and fonts-liberation2; nothing is downloaded.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ab_glyph::{point, Font, FontVec, PxScale, ScaleFont};
use clap::{Parser, ValueEnum};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, ImageFormat, Luma};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

mod common;
mod form;
mod labels;
mod payroll;
mod receipt;
mod wide;
mod wide_receipt;

// ---------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------

#[derive(Parser, Debug)]
#[command(
    name = "mailroom-samples",
    version,
    about = "Generate synthetic scanned invoices with ground-truth JSON"
)]
struct Cli {
    /// Directory to write images and `.truth.json` files into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Number of documents to generate.
    #[arg(long, default_value_t = 10)]
    count: u32,
    /// Seed; the same seed always gives the same documents.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How badly the pages are "scanned".
    #[arg(long, value_enum, default_value_t = DegradationArg::Mixed)]
    degradation: DegradationArg,
    /// Document language.
    #[arg(long, value_enum, default_value_t = LanguageArg::Mixed)]
    language: LanguageArg,
    /// Header-field layout (`--variety classic` invoices).
    #[arg(long, value_enum, default_value_t = LayoutArg::Mixed)]
    layout: LayoutArg,
    /// `classic` is the generator as it always was (same bytes per seed); `wide` draws
    /// invoices and receipts from eleven languages and many more layouts.
    #[arg(long, value_enum, default_value_t = VarietyArg::Classic)]
    variety: VarietyArg,
    /// `--variety wide` invoices: draw the header layout only from these (comma-separated
    /// names, as the truth's `layout` gives them).
    #[arg(long, value_delimiter = ',')]
    layouts: Vec<String>,
    /// `--variety wide` invoices: never draw these header layouts.
    #[arg(long, value_delimiter = ',')]
    exclude_layouts: Vec<String>,
    /// Image file format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Png)]
    format: OutputFormat,
    /// Document kind; `mixed` cycles invoice, receipt, payroll, form by index (i % 4).
    #[arg(long, value_enum, default_value_t = KindArg::Invoice)]
    kind: KindArg,
    /// Forms only: write the reference sample(s) — no placement shift/scale/turn, clean
    /// scan — plus the unfilled form `bcf-{seed}-blank`, for deriving a type file.
    #[arg(long)]
    reference: bool,
    /// Invoices only (classic or wide): a supplier stream of this many suppliers, each with its own fixed
    /// identity, bank account, language, layout and printing style; document `i` is
    /// supplier `i % suppliers`'s `(i / suppliers + 1)`th invoice, so file names sort in
    /// arrival order. Writes `vendors.csv` (the suppliers as master data) beside them.
    #[arg(long)]
    suppliers: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Invoice,
    Receipt,
    Payroll,
    Form,
    Mixed,
}

/// The kind of document `index` under `--kind arg`.
fn kind_of(arg: KindArg, index: u32) -> KindArg {
    match arg {
        KindArg::Mixed => [
            KindArg::Invoice,
            KindArg::Receipt,
            KindArg::Payroll,
            KindArg::Form,
        ][index as usize % 4],
        k => k,
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DegradationArg {
    Clean,
    Light,
    Heavy,
    Mixed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum VarietyArg {
    Classic,
    Wide,
}

/// `en`/`da`/`de`/`mixed` for either variety (`mixed` draws among all the variety has);
/// the other languages and `any` (all eleven) need `--variety wide`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LanguageArg {
    En,
    Da,
    De,
    Sv,
    No,
    Fi,
    Nl,
    Fr,
    It,
    Es,
    Pl,
    Any,
    Mixed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayoutArg {
    Beside,
    Above,
    Table,
    Compact,
    Mixed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Png,
    Jpeg,
    Tiff,
    /// An image-only PDF, as a scanner writes it (the page JPEG-encoded by Leptonica).
    Pdf,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    Da,
    De,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Country {
    Dk,
    De,
    Gb,
    Us,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    Beside,
    Above,
    Table,
    Compact,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Level {
    Clean,
    Light,
    Heavy,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Da => "da",
            Lang::De => "de",
        }
    }
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Beside => "beside",
            Layout::Above => "above",
            Layout::Table => "table",
            Layout::Compact => "compact",
        }
    }
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Clean => "clean",
            Level::Light => "light",
            Level::Heavy => "heavy",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fonts and text drawing
// ---------------------------------------------------------------------------------------

const DEJAVU_DIR: &str = "/usr/share/fonts/truetype/dejavu";
const LIBERATION_DIR: &str = "/usr/share/fonts/truetype/liberation2";

/// (directory, regular file, bold file, Debian package that ships it)
#[rustfmt::skip]
const TEXT_FAMILIES: &[(&str, &str, &str, &str)] = &[
    (DEJAVU_DIR, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    (DEJAVU_DIR, "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "fonts-dejavu-core"),
    (LIBERATION_DIR, "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "fonts-liberation2"),
    (LIBERATION_DIR, "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "fonts-liberation2"),
];
#[rustfmt::skip]
const MONO_FAMILIES: &[(&str, &str, &str, &str)] = &[
    (DEJAVU_DIR, "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "fonts-dejavu-core"),
    (LIBERATION_DIR, "LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf", "fonts-liberation2"),
];

struct Family {
    regular: FontVec,
    bold: FontVec,
}

struct Fonts {
    text: Vec<Family>,
    mono: Vec<Family>,
}

fn load_font(dir: &str, file: &str, package: &str) -> Result<FontVec, String> {
    let path = Path::new(dir).join(file);
    let bytes = fs::read(&path).map_err(|e| {
        format!("cannot read font {}: {e}; install the Debian package {package} (apt-get install {package})", path.display())
    })?;
    FontVec::try_from_vec(bytes).map_err(|_| {
        format!(
            "{} is not a usable TrueType font (package {package})",
            path.display()
        )
    })
}

fn load_families(list: &[(&str, &str, &str, &str)]) -> Result<Vec<Family>, String> {
    list.iter()
        .map(|(dir, regular, bold, pkg)| {
            Ok(Family {
                regular: load_font(dir, regular, pkg)?,
                bold: load_font(dir, bold, pkg)?,
            })
        })
        .collect()
}

fn load_fonts() -> Result<Fonts, String> {
    Ok(Fonts {
        text: load_families(TEXT_FAMILIES)?,
        mono: load_families(MONO_FAMILIES)?,
    })
}

/// ab_glyph's `PxScale` is the height of ascent-descent; printers mean the em size, so
/// convert to keep "40 px" comparable across fonts.
fn px_scale(font: &FontVec, em_px: f32) -> PxScale {
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(em_px * font.height_unscaled() / units_per_em)
}

/// Advance width of `text` in pixels, kerning included.
fn text_width(font: &FontVec, em_px: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(px_scale(font, em_px));
    let mut width = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Rasterises `text` with its baseline at `baseline`, blending glyph coverage towards
/// `ink` so anti-aliased edges look like print. Returns the drawn width in pixels.
fn draw_text(
    img: &mut GrayImage,
    font: &FontVec,
    em_px: f32,
    x: f32,
    baseline: f32,
    text: &str,
    ink: u8,
) -> f32 {
    let scale = px_scale(font, em_px);
    let scaled = font.as_scaled(scale);
    let (w, h) = (img.width() as i32, img.height() as i32);
    let mut caret = x;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        caret += scaled.h_advance(id);
        prev = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i32 + gx as i32;
            let py = bounds.min.y as i32 + gy as i32;
            if px < 0 || py < 0 || px >= w || py >= h {
                return;
            }
            let c = coverage.clamp(0.0, 1.0);
            let pixel = img.get_pixel_mut(px as u32, py as u32);
            let old = pixel.0[0] as f32;
            pixel.0[0] = (old + (ink as f32 - old) * c).round() as u8;
        });
    }
    caret - x
}

#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
    Number,
    NumberBold,
}

/// The page being drawn plus the fonts and sizes chosen for this document.
struct Painter<'a> {
    img: GrayImage,
    regular: &'a FontVec,
    bold: &'a FontVec,
    number: &'a FontVec,
    number_bold: &'a FontVec,
    /// Body text em size in pixels.
    size: f32,
    ink: u8,
}

impl<'a> Painter<'a> {
    fn font(&self, face: Face) -> &'a FontVec {
        match face {
            Face::Regular => self.regular,
            Face::Bold => self.bold,
            Face::Number => self.number,
            Face::NumberBold => self.number_bold,
        }
    }

    fn width(&self, face: Face, px: f32, text: &str) -> f32 {
        text_width(self.font(face), px, text)
    }

    fn text(&mut self, face: Face, px: f32, x: f32, y: f32, text: &str) -> f32 {
        let font = self.font(face);
        draw_text(&mut self.img, font, px, x, y, text, self.ink)
    }

    fn text_right(&mut self, face: Face, px: f32, right: f32, y: f32, text: &str) -> f32 {
        let w = self.width(face, px, text);
        self.text(face, px, right - w, y, text)
    }

    fn text_centered(&mut self, face: Face, px: f32, centre: f32, y: f32, text: &str) -> f32 {
        let w = self.width(face, px, text);
        self.text(face, px, centre - w / 2.0, y, text)
    }

    /// Largest size ≤ `px` at which `text` fits in `max_w`, so long names never collide.
    fn fit(&self, face: Face, px: f32, max_w: f32, text: &str) -> f32 {
        let w = self.width(face, px, text);
        if w <= max_w {
            px
        } else {
            (px * max_w / w).floor()
        }
    }

    fn fill_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, shade: u8) {
        let (w, h) = self.img.dimensions();
        let clamp = |v: f32, max: u32| (v.round().max(0.0) as u32).min(max);
        for y in clamp(y0, h)..clamp(y1, h) {
            for x in clamp(x0, w)..clamp(x1, w) {
                let p = self.img.get_pixel_mut(x, y);
                p.0[0] = p.0[0].min(shade);
            }
        }
    }

    fn hline(&mut self, x0: f32, x1: f32, y: f32, thickness: f32) {
        let ink = self.ink;
        self.fill_rect(x0, y, x1, y + thickness, ink);
    }

    fn vline(&mut self, x: f32, y0: f32, y1: f32, thickness: f32) {
        let ink = self.ink;
        self.fill_rect(x, y0, x + thickness, y1, ink);
    }

    fn rect_outline(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, thickness: f32) {
        self.hline(x0, x1, y0, thickness);
        self.hline(x0, x1, y1 - thickness, thickness);
        self.vline(x0, y0, y1, thickness);
        self.vline(x1 - thickness, y0, y1, thickness);
    }
}

// ---------------------------------------------------------------------------------------
// Dates, money and identifiers
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Date {
    y: i32,
    m: u32,
    d: u32,
}

impl Date {
    const fn ymd(y: i32, m: u32, d: u32) -> Date {
        Date { y, m, d }
    }

    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
    fn days(self) -> i64 {
        let y = self.y as i64 - if self.m <= 2 { 1 } else { 0 };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.m as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = (yoe + era * 400) as i32 + if m <= 2 { 1 } else { 0 };
        Date { y, m, d }
    }

    fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

#[derive(Clone, Copy)]
enum DateFmt {
    /// March 5, 2024
    MonthDayYear,
    /// 5 March 2024 / 14. marts 2024 / 5. März 2024
    DayMonthYear,
    Iso,
    /// 03/05/2024, only for US vendors so the ambiguity never hits a European date
    UsSlash,
    /// 14.03.2024
    DotNumeric,
    /// 14-03-2024
    DashNumeric,
}

fn fmt_date(d: Date, fmt: DateFmt, lang: Lang) -> String {
    let i = d.m as usize - 1;
    match (fmt, lang) {
        (DateFmt::MonthDayYear, _) => format!("{} {}, {}", MONTHS_EN[i], d.d, d.y),
        (DateFmt::DayMonthYear, Lang::En) => format!("{} {} {}", d.d, MONTHS_EN[i], d.y),
        (DateFmt::DayMonthYear, Lang::Da) => format!("{}. {} {}", d.d, MONTHS_DA[i], d.y),
        (DateFmt::DayMonthYear, Lang::De) => format!("{}. {} {}", d.d, MONTHS_DE[i], d.y),
        (DateFmt::Iso, _) => d.iso(),
        (DateFmt::UsSlash, _) => format!("{:02}/{:02}/{}", d.m, d.d, d.y),
        (DateFmt::DotNumeric, _) => format!("{:02}.{:02}.{}", d.d, d.m, d.y),
        (DateFmt::DashNumeric, _) => format!("{:02}-{:02}-{}", d.d, d.m, d.y),
    }
}

/// Digit grouping and decimal mark of a locale.
struct NumFmt {
    group: &'static str,
    decimal: char,
}

impl NumFmt {
    /// "1,234.50" in English, "1.234,50" in Danish and German.
    fn of(lang: Lang) -> NumFmt {
        match lang {
            Lang::En => NumFmt {
                group: ",",
                decimal: '.',
            },
            _ => NumFmt {
                group: ".",
                decimal: ',',
            },
        }
    }
}

/// Where the currency goes: `prefix` text before the number, `suffix` after it.
struct MoneyFmt {
    prefix: String,
    suffix: String,
}

fn fmt_number(cents: i64, nf: &NumFmt) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (k, c) in units.chars().enumerate() {
        if k > 0 && (units.len() - k).is_multiple_of(3) {
            grouped.push_str(nf.group);
        }
        grouped.push(c);
    }
    format!("{grouped}{}{:02}", nf.decimal, cents % 100)
}

fn fmt_money(cents: i64, nf: &NumFmt, mf: &MoneyFmt) -> String {
    format!("{}{}{}", mf.prefix, fmt_number(cents, nf), mf.suffix)
}

/// Normalised money for the truth file: "1234.50".
fn truth_money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Tax in cents for a rate in thousandths of a percent, rounded half-up (amounts are never negative).
fn tax_cents(subtotal: i64, rate_milli_pct: i64) -> i64 {
    (subtotal * rate_milli_pct + 50_000) / 100_000
}

/// "25", "6.25", "8.875" for rates in thousandths of a percent.
fn fmt_rate(rate_milli_pct: i64) -> String {
    let whole = rate_milli_pct / 1000;
    let frac = rate_milli_pct % 1000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

/// ISO 7064 mod 97 over digits and letters (A=10 … Z=35), as IBAN and RF references use.
fn mod97(s: &str) -> u32 {
    s.chars().fold(0u32, |r, c| {
        let v = c.to_digit(36).expect("alphanumeric");
        if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        }
    })
}

fn random_digits(rng: &mut SmallRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

fn iban(country: &str, bban: &str) -> String {
    let check = 98 - mod97(&format!("{bban}{country}00"));
    format!("{country}{check:02}{bban}")
}

/// Splits into blocks of four the way IBANs and RF references are printed.
fn group4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Danish CVR: 8 digits whose weighted sum (2,7,6,5,4,3,2,1) is divisible by 11.
fn cvr(rng: &mut SmallRng) -> String {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    loop {
        let first = rng.gen_range(1..10u32);
        let digits: Vec<u32> = std::iter::once(first)
            .chain((0..6).map(|_| rng.gen_range(0..10)))
            .collect();
        let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
        let check = (11 - sum % 11) % 11;
        if check < 10 {
            return digits
                .iter()
                .chain(std::iter::once(&check))
                .map(|d| char::from_digit(*d, 10).unwrap())
                .collect();
        }
    }
}

/// German USt-IdNr: 8 digits plus an ISO 7064 MOD 11,10 check digit.
fn de_vat(rng: &mut SmallRng) -> String {
    let body = format!("{}{}", rng.gen_range(1..10), random_digits(rng, 7));
    let mut product = 10;
    for c in body.chars() {
        let mut sum = (c.to_digit(10).unwrap() + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = (11 - product) % 10;
    format!("{body}{check}")
}

/// UK VAT number: 7 digits weighted 8..2 plus two check digits making the sum ≡ 0 mod 97.
fn gb_vat(rng: &mut SmallRng) -> String {
    let body = format!("{}{}", rng.gen_range(1..10), random_digits(rng, 6));
    let sum: u32 = body
        .chars()
        .zip((2..=8).rev())
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{body}{:02}", (97 - sum % 97) % 97)
}

// ---------------------------------------------------------------------------------------
// Built-in word lists
// ---------------------------------------------------------------------------------------

/// Names, addresses, items and banks the invoices are made of. Kept as dense tables
/// (hence no rustfmt) so the data reads like data.
#[rustfmt::skip]
mod words {
    pub const MONTHS_EN: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    pub const MONTHS_DA: [&str; 12] = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"];
    pub const MONTHS_DE: [&str; 12] = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];

    pub const DK_PREFIX: &[&str] = &["Nordlys", "Fjordside", "Havblik", "Skovbryn", "Lyngholm", "Østerlund", "Bøgely", "Kystlys", "Vestervang", "Søhøj"];
    pub const DK_TRADE: &[&str] = &["Kontorartikler", "Tømrer", "VVS", "Rengøring", "IT-Service", "Grafisk", "Elektro", "Transport", "Catering"];
    pub const DK_SUFFIX: &[&str] = &["ApS", "A/S", "I/S"];
    pub const DK_STREETS: &[&str] = &["Vestergade", "Nørregade", "Søndergade", "Havnegade", "Industrivej", "Skolevej", "Strandvejen", "Algade", "Bredgade"];
    pub const DK_CITIES: &[&str] = &["8000 Aarhus C", "1050 København K", "5000 Odense C", "9000 Aalborg", "7100 Vejle", "6700 Esbjerg", "4000 Roskilde", "2800 Kongens Lyngby"];

    pub const DE_NAMES: &[&str] = &["Müller & Schmidt", "Becker", "Hoffmann", "Schäfer & Koch", "Weber", "Wagner & Söhne", "Krüger", "Neumann & Vogel"];
    pub const DE_TRADE: &[&str] = &["Bürobedarf", "Haustechnik", "Logistik", "Druckerei", "Gebäudereinigung", "IT-Systeme", "Elektrotechnik"];
    pub const DE_SUFFIX: &[&str] = &["GmbH", "AG", "KG", "GmbH & Co. KG"];
    pub const DE_STREETS: &[&str] = &["Hauptstraße", "Bahnhofstraße", "Industriestraße", "Lindenweg", "Schillerstraße", "Gartenstraße", "Am Markt"];
    pub const DE_CITIES: &[&str] = &["10115 Berlin", "20095 Hamburg", "80331 München", "50667 Köln", "60311 Frankfurt am Main", "70173 Stuttgart", "04109 Leipzig"];

    pub const EN_PREFIX: &[&str] = &["Brightline", "Northgate", "Kestrel", "Harbourview", "Redwood", "Oakmere", "Silverbrook", "Ashford", "Bluewater"];
    pub const EN_TRADE: &[&str] = &["Supplies", "Office Solutions", "Facilities", "Logistics", "Print Works", "IT Services", "Consulting"];
    pub const GB_SUFFIX: &[&str] = &["Ltd", "Limited", "plc", "LLP"];
    pub const US_SUFFIX: &[&str] = &["Inc.", "LLC", "Corp."];
    pub const GB_STREETS: &[&str] = &["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street", "King's Road"];
    pub const GB_CITIES: &[&str] = &["London EC1A 1BB", "Manchester M1 2AB", "Leeds LS1 4DY", "Bristol BS1 5TR", "Edinburgh EH1 1YZ", "Birmingham B2 4QA"];
    pub const US_STREETS: &[&str] = &["Main Street", "Oak Avenue", "Market Street", "Elm Street", "Industrial Parkway", "Lake Drive"];
    pub const US_CITIES: &[&str] = &["Springfield, IL 62701", "Austin, TX 78701", "Portland, OR 97204", "Columbus, OH 43215", "Denver, CO 80202"];

    /// (English, Danish, German description, min and max unit price in euro cents, max quantity)
    pub const ITEMS: &[(&str, &str, &str, i64, i64, u32)] = &[
        ("Toner cartridge, black",      "Toner, sort",                "Toner schwarz",               4500, 12000,  6),
        ("A4 copy paper, 5 reams",      "Kopipapir A4, 5 pakker",     "Kopierpapier A4, 5 Pakete",   1800,  3200, 20),
        ("Consulting services (hours)", "Konsulentbistand (timer)",   "Beratungsleistung (Stunden)", 8500, 15000, 40),
        ("Printer maintenance",         "Printerservice",             "Druckerwartung",              6000, 18000,  2),
        ("Delivery charge",             "Fragt",                      "Versandkosten",                500,  2500,  1),
        ("USB-C docking station",       "Dockingstation USB-C",       "Dockingstation USB-C",        9000, 22000,  8),
        ("Ballpoint pens, box of 50",   "Kuglepenne, æske à 50",      "Kugelschreiber, 50 Stück",     900,  1900, 12),
        ("Office cleaning, monthly",    "Rengøring af kontor, måned", "Büroreinigung, monatlich",   25000, 60000,  3),
        ("Software licence, annual",    "Softwarelicens, årlig",      "Softwarelizenz, jährlich",   12000, 48000, 10),
        ("LED desk lamp",               "Skrivebordslampe LED",       "Schreibtischlampe LED",       2500,  7000,  6),
        ("Coffee beans 1 kg",           "Kaffebønner 1 kg",           "Kaffeebohnen 1 kg",           1500,  3000, 15),
        ("Network cable Cat6, 5 m",     "Netværkskabel Cat6, 5 m",    "Netzwerkkabel Cat6, 5 m",      400,  1200, 30),
    ];

    /// (BIC, bank code used inside the IBAN or the US routing number) so they agree like real ones do.
    pub const DK_BANKS: &[(&str, &str)] = &[("NDEADKKK", "2000"), ("DABADKKK", "3000"), ("JYBADKKK", "5010"), ("SYBKDK22", "6611")];
    pub const DE_BANKS: &[(&str, &str)] = &[("DEUTDEFF", "50070010"), ("COBADEFFXXX", "37040044"), ("MARKDEF1100", "10000000"), ("BYLADEM1001", "70020270")];
    pub const GB_BANKS: &[(&str, &str)] = &[("BARCGB22", "BARC20"), ("NWBKGB2L", "NWBK60"), ("HBUKGB4B", "HBUK40"), ("LOYDGB2L", "LOYD30")];
    pub const US_BANKS: &[(&str, &str)] = &[("CHASUS33", "021000021"), ("BOFAUS3N", "026009593"), ("WFBIUS6S", "121000248")];
}
use words::*;

fn pick<T: Copy>(rng: &mut SmallRng, xs: &[T]) -> T {
    *xs.choose(rng).expect("non-empty list")
}

// ---------------------------------------------------------------------------------------
// The invoice (content only; how it is printed is chosen in `Style`)
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct Party {
    name: String,
    street: String,
    city: String,
}

struct Item {
    description: String,
    quantity: i64,
    unit_cents: i64,
}

impl Item {
    fn amount(&self) -> i64 {
        self.quantity * self.unit_cents
    }
}

struct Invoice {
    lang: Lang,
    country: Country,
    vendor: Party,
    customer: Party,
    vendor_phone: String,
    /// Normalised VAT id ("DK12345678") and how the footer prints it.
    vat: Option<(String, String)>,
    number: String,
    customer_no: Option<String>,
    date: Date,
    due: Date,
    po: Option<String>,
    currency: &'static str,
    items: Vec<Item>,
    tax_rate: i64,
    subtotal: i64,
    tax: i64,
    total: i64,
    iban: Option<String>,
    /// US vendors get paid by ABA routing + account instead of IBAN.
    us_bank: Option<(String, String)>,
    bic: Option<String>,
    reference: Option<String>,
}

fn company_name(country: Country, rng: &mut SmallRng) -> String {
    let (first, trade, suffix) = match country {
        Country::Dk => (DK_PREFIX, DK_TRADE, DK_SUFFIX),
        Country::De => (DE_NAMES, DE_TRADE, DE_SUFFIX),
        Country::Gb => (EN_PREFIX, EN_TRADE, GB_SUFFIX),
        Country::Us => (EN_PREFIX, EN_TRADE, US_SUFFIX),
    };
    // German firms are often just the owners' names: "Müller & Schmidt GmbH".
    if country == Country::De && rng.gen_bool(0.4) {
        return format!("{} {}", pick(rng, first), pick(rng, &["GmbH", "KG", "OHG"]));
    }
    let (first, trade, suffix) = (pick(rng, first), pick(rng, trade), pick(rng, suffix));
    format!("{first} {trade} {suffix}")
}

fn party(country: Country, rng: &mut SmallRng) -> Party {
    let (streets, cities) = match country {
        Country::Dk => (DK_STREETS, DK_CITIES),
        Country::De => (DE_STREETS, DE_CITIES),
        Country::Gb => (GB_STREETS, GB_CITIES),
        Country::Us => (US_STREETS, US_CITIES),
    };
    let (street, n) = (pick(rng, streets), rng.gen_range(1..160));
    // Continental addresses put the house number after the street, British and US before.
    let street = match country {
        Country::Dk | Country::De => format!("{street} {n}"),
        Country::Gb => format!("{n} {street}"),
        Country::Us => format!("{}{} {street}", n, rng.gen_range(0..10)),
    };
    Party {
        name: company_name(country, rng),
        street,
        city: pick(rng, cities).to_string(),
    }
}

fn phone(country: Country, rng: &mut SmallRng) -> String {
    let (a, b) = (random_digits(rng, 4), random_digits(rng, 4));
    match country {
        Country::Dk => format!("+45 {a} {b}"),
        Country::De => format!("+49 30 {a}{}", &b[..3]),
        Country::Gb => format!("+44 20 7946 {b}"),
        Country::Us => format!("+1 (512) 555-{b}"),
    }
}

/// A VAT id normalised for the truth file plus the way it is printed.
fn vat_id(country: Country, rng: &mut SmallRng) -> Option<(String, String)> {
    match country {
        Country::Dk => {
            let n = cvr(rng);
            let shown = match rng.gen_range(0..4) {
                0 => format!("CVR-nr. {n}"),
                1 => format!("CVR: {n}"),
                2 => format!("DK{n}"),
                _ => format!("Moms-nr. DK {n}"),
            };
            Some((format!("DK{n}"), shown))
        }
        Country::De => {
            let n = de_vat(rng);
            let shown = match rng.gen_range(0..3) {
                0 => format!("USt-IdNr.: DE{n}"),
                1 => format!("USt-ID: DE {} {} {}", &n[..3], &n[3..6], &n[6..]),
                _ => format!("DE{n}"),
            };
            Some((format!("DE{n}"), shown))
        }
        Country::Gb => {
            let n = gb_vat(rng);
            let shown = match rng.gen_range(0..3) {
                0 => format!("VAT No: GB{n}"),
                1 => format!("VAT Reg. No. GB {} {} {}", &n[..3], &n[3..7], &n[7..]),
                _ => format!("VAT: GB{n}"),
            };
            Some((format!("GB{n}"), shown))
        }
        Country::Us => None,
    }
}

fn invoice_number(lang: Lang, year: i32, rng: &mut SmallRng) -> String {
    let n = rng.gen_range(1..99_999u32);
    let formats: &[u8] = match lang {
        Lang::En => &[0, 2, 4, 5],
        Lang::Da => &[1, 2, 4],
        Lang::De => &[3, 1, 4],
    };
    number_in(pick(rng, formats), year, n)
}

/// The number formats [`invoice_number`] draws from; a supplier keeps one.
fn number_in(format: u8, year: i32, n: u32) -> String {
    match format {
        0 => format!("INV-{year}-{:04}", n % 10_000),
        1 => format!("{year}-{:03}", n % 1000),
        2 => format!("F-{:05}", n),
        3 => format!("RE-{year}-{:05}", n),
        4 => format!("{:06}", n + 100_000),
        _ => format!("INV{:06}", n),
    }
}

fn purchase_order(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..3) {
        0 => format!("PO-{}", rng.gen_range(10_000..99_999)),
        1 => format!("45000{}", random_digits(rng, 5)),
        _ => format!("ORD-{}", rng.gen_range(1000..9999)),
    }
}

/// Either a plain number or an ISO 11649 creditor reference ("RF" + mod-97 check digits).
fn payment_reference(rng: &mut SmallRng) -> String {
    let len = rng.gen_range(8..13);
    let body = format!("{}{}", rng.gen_range(1..10), random_digits(rng, len - 1));
    if rng.gen_bool(0.5) {
        body
    } else {
        let check = 98 - mod97(&format!("{body}RF00"));
        format!("RF{check:02}{body}")
    }
}

fn line_items(lang: Lang, currency: &str, rng: &mut SmallRng) -> Vec<Item> {
    // Rough exchange rates in per-mille of a euro keep prices plausible per currency.
    let factor = match currency {
        "DKK" => 7460,
        "GBP" => 860,
        "USD" => 1080,
        _ => 1000,
    };
    let mut catalogue: Vec<_> = ITEMS.to_vec();
    catalogue.shuffle(rng);
    let n = rng.gen_range(1..=6);
    catalogue
        .into_iter()
        .take(n)
        .map(|(en, da, de, lo, hi, max_qty)| {
            let raw = rng.gen_range(lo..=hi) * factor / 1000;
            let unit = match rng.gen_range(0..10) {
                0..=4 => (raw / 100).max(1) * 100,
                5..=6 => (raw / 50).max(2) * 50,
                _ => raw.max(100),
            };
            let description = match lang {
                Lang::En => en,
                Lang::Da => da,
                Lang::De => de,
            }
            .to_string();
            Item {
                description,
                quantity: rng.gen_range(1..=max_qty) as i64,
                unit_cents: unit,
            }
        })
        .collect()
}

fn make_invoice(lang: Lang, rng: &mut SmallRng) -> Invoice {
    let country = match lang {
        Lang::Da => Country::Dk,
        Lang::De => Country::De,
        Lang::En => {
            if rng.gen_bool(0.7) {
                Country::Gb
            } else {
                Country::Us
            }
        }
    };
    let currency = match country {
        Country::Dk => "DKK",
        Country::De => "EUR",
        Country::Gb if rng.gen_bool(0.7) => "GBP",
        Country::Gb => pick(rng, &["EUR", "EUR", "USD"]),
        Country::Us => "USD",
    };
    let vendor = party(country, rng);
    let mut customer = party(country, rng);
    while customer.name == vendor.name {
        customer = party(country, rng);
    }
    // Latest invoice date leaves room for the longest payment term before 2026-10-31.
    let first = Date::ymd(2023, 1, 1).days();
    let last = Date::ymd(2026, 10, 31).days() - 45;
    let date = Date::from_days(rng.gen_range(first..=last));
    let due = Date::from_days(date.days() + pick(rng, &[8, 10, 14, 14, 20, 30, 30, 30, 45]));
    let items = line_items(lang, currency, rng);
    let tax_rate = match country {
        Country::Dk => 25_000,
        Country::De => 19_000,
        Country::Gb => 20_000,
        Country::Us => pick(rng, &[0, 4_000, 6_000, 6_250, 7_250, 8_000, 8_875, 10_000]),
    };
    let subtotal: i64 = items.iter().map(Item::amount).sum();
    let tax = tax_cents(subtotal, tax_rate);
    let (bic, bank_code) = pick(
        rng,
        match country {
            Country::Dk => DK_BANKS,
            Country::De => DE_BANKS,
            Country::Gb => GB_BANKS,
            Country::Us => US_BANKS,
        },
    );
    // BBAN = bank code + account digits: DK 4+10, DE 8+10, GB 4 letters + 6 sort code + 8.
    let account = random_digits(rng, if country == Country::Gb { 12 } else { 10 });
    let (iban, us_bank) = match country {
        Country::Dk => (Some(iban("DK", &format!("{bank_code}{account}"))), None),
        Country::De => (Some(iban("DE", &format!("{bank_code}{account}"))), None),
        Country::Gb => (Some(iban("GB", &format!("{bank_code}{account}"))), None),
        Country::Us => (
            None,
            Some((bank_code.to_string(), account[..9].to_string())),
        ),
    };
    Invoice {
        lang,
        country,
        vendor_phone: phone(country, rng),
        vat: vat_id(country, rng),
        number: invoice_number(lang, date.y, rng),
        customer_no: rng
            .gen_bool(0.3)
            .then(|| rng.gen_range(10_000..999_999).to_string()),
        po: rng.gen_bool(0.6).then(|| purchase_order(rng)),
        reference: rng.gen_bool(0.4).then(|| payment_reference(rng)),
        bic: rng.gen_bool(0.6).then(|| bic.to_string()),
        vendor,
        customer,
        date,
        due,
        currency,
        items,
        tax_rate,
        subtotal,
        tax,
        total: subtotal + tax,
        iban,
        us_bank,
    }
}

// ---------------------------------------------------------------------------------------
// How the invoice is printed: labels, number/date formats, fonts, layout
// ---------------------------------------------------------------------------------------

struct Labels {
    heading: String,
    invoice_no: String,
    date: String,
    due: String,
    po: String,
    customer_no: String,
    bill_to: String,
    col_desc: String,
    col_qty: String,
    col_unit: String,
    col_amount: String,
    subtotal: String,
    tax: String,
    total: String,
    bic: String,
    reference: String,
    terms: String,
    thanks: String,
}

fn labels(inv: &Invoice, rng: &mut SmallRng) -> Labels {
    let rate = fmt_rate(inv.tax_rate);
    let days = inv.due.days() - inv.date.days();
    let mut p = |xs: &[&str]| pick(rng, xs).to_string();
    match inv.lang {
        Lang::En => Labels {
            heading: if inv.country == Country::Gb {
                p(&["INVOICE", "Invoice", "TAX INVOICE"])
            } else {
                p(&["INVOICE", "Invoice"])
            },
            invoice_no: p(&["Invoice No.", "Invoice Number", "Invoice #"]),
            date: p(&["Invoice Date", "Date"]),
            due: p(&["Due Date", "Payment due"]),
            po: p(&["PO Number", "Purchase Order", "Your ref. PO"]),
            customer_no: p(&["Customer No.", "Account No."]),
            bill_to: p(&["Bill to", "Invoice to", "Customer"]),
            col_desc: p(&["Description", "Item"]),
            col_qty: p(&["Qty", "Quantity"]),
            col_unit: p(&["Unit price", "Price", "Rate"]),
            col_amount: p(&["Amount", "Line total"]),
            subtotal: p(&["Subtotal", "Net amount"]),
            tax: if inv.country == Country::Us {
                p(&[&format!("Sales tax {rate}%"), "Sales tax", "Tax"])
            } else {
                p(&[&format!("VAT {rate}%"), &format!("VAT ({rate}%)"), "Tax"])
            },
            total: p(&["Total", "Amount due", "Total due"]),
            bic: p(&["BIC", "SWIFT", "BIC/SWIFT"]),
            reference: p(&["Payment reference", "Reference"]),
            terms: p(&[
                &format!("Payment terms: {days} days net."),
                &format!("Please pay within {days} days."),
            ]),
            thanks: p(&["Thank you for your business.", "Thank you for your order."]),
        },
        Lang::Da => Labels {
            heading: p(&["FAKTURA", "Faktura"]),
            invoice_no: p(&["Fakturanr.", "Faktura nr.", "Fakturanummer"]),
            date: p(&["Fakturadato", "Dato"]),
            due: p(&["Forfaldsdato", "Betalingsfrist"]),
            po: p(&["Rekvisitionsnr.", "Ordrenr.", "Indkøbsordre"]),
            customer_no: p(&["Kundenr.", "Kundenummer"]),
            bill_to: p(&["Faktureres til", "Kunde", "Modtager"]),
            col_desc: p(&["Beskrivelse", "Varetekst", "Tekst"]),
            col_qty: p(&["Antal", "Stk."]),
            col_unit: p(&["Stk. pris", "Enhedspris", "Pris"]),
            col_amount: p(&["Beløb", "I alt"]),
            subtotal: p(&["Subtotal", "Beløb ekskl. moms", "Nettobeløb"]),
            tax: p(&[&format!("Moms {rate}%"), "Moms"]),
            total: p(&["Total", "I alt", "Total DKK", "At betale"]),
            bic: p(&["BIC", "SWIFT/BIC"]),
            reference: p(&["Betalingsreference", "Betalings-ID"]),
            terms: p(&[
                &format!("Betalingsbetingelser: netto {days} dage."),
                &format!("Betales senest {days} dage efter fakturadato."),
            ]),
            thanks: p(&["Tak for handlen.", "Tak for ordren."]),
        },
        Lang::De => Labels {
            heading: p(&["RECHNUNG", "Rechnung"]),
            invoice_no: p(&["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."]),
            date: p(&["Rechnungsdatum", "Datum"]),
            due: p(&["Fällig am", "Zahlbar bis", "Fälligkeitsdatum"]),
            po: p(&["Bestellnummer", "Bestell-Nr."]),
            customer_no: p(&["Kundennummer", "Kunden-Nr."]),
            bill_to: p(&["Rechnungsempfänger", "Kunde", "An"]),
            col_desc: p(&["Beschreibung", "Bezeichnung", "Artikel"]),
            col_qty: p(&["Menge", "Anz."]),
            col_unit: p(&["Einzelpreis", "E-Preis", "Preis"]),
            col_amount: p(&["Betrag", "Gesamtpreis"]),
            subtotal: p(&["Zwischensumme", "Nettobetrag", "Summe netto"]),
            tax: p(&[
                &format!("MwSt. {rate}%"),
                &format!("USt. {rate}%"),
                "Mehrwertsteuer",
            ]),
            total: p(&["Gesamtbetrag", "Rechnungsbetrag", "Summe brutto", "Gesamt"]),
            bic: p(&["BIC"]),
            reference: p(&["Verwendungszweck", "Zahlungsreferenz"]),
            terms: p(&[
                &format!("Zahlbar innerhalb von {days} Tagen ohne Abzug."),
                &format!("Zahlungsziel: {days} Tage netto."),
            ]),
            thanks: p(&[
                "Vielen Dank für Ihren Auftrag.",
                "Wir danken für Ihren Auftrag.",
            ]),
        },
    }
}

/// Every printing decision for one document, drawn once so the page is self-consistent.
struct Style {
    layout: Layout,
    labels: Labels,
    num: NumFmt,
    money: MoneyFmt,
    date_fmt: DateFmt,
    family: usize,
    /// Some(i) prints numbers in monospace family i.
    mono_numbers: Option<usize>,
    body_px: f32,
    ink: u8,
    top: f32,
    colon: bool,
    heading_right: bool,
    customer_right: bool,
    show_phone: bool,
    item_pos_column: bool,
    header_band: bool,
    row_rules: bool,
    total_rule: bool,
    currency_in_header: bool,
    footer_centered: bool,
    compact_two_per_line: bool,
    compact_sep: &'static str,
}

fn money_fmt(inv: &Invoice, rng: &mut SmallRng) -> MoneyFmt {
    let (prefix, suffix) = match (inv.currency, inv.lang) {
        ("DKK", _) => pick(rng, &[("", " kr."), ("DKK ", ""), ("", " DKK")]),
        ("EUR", Lang::De) => pick(rng, &[("", " €"), ("", " EUR"), ("EUR ", "")]),
        ("EUR", _) => pick(rng, &[("€", ""), ("EUR ", "")]),
        ("GBP", _) => pick(rng, &[("£", ""), ("GBP ", "")]),
        _ => pick(rng, &[("$", ""), ("USD ", "")]),
    };
    MoneyFmt {
        prefix: prefix.to_string(),
        suffix: suffix.to_string(),
    }
}

fn style(inv: &Invoice, layout: Layout, fonts: &Fonts, rng: &mut SmallRng) -> Style {
    let num = match inv.lang {
        Lang::En => NumFmt {
            group: ",",
            decimal: '.',
        },
        Lang::De => NumFmt {
            group: ".",
            decimal: ',',
        },
        Lang::Da => NumFmt {
            group: pick(rng, &[".", " "]),
            decimal: ',',
        },
    };
    let date_fmt = match (inv.lang, inv.country) {
        (Lang::En, Country::Us) => pick(
            rng,
            &[DateFmt::MonthDayYear, DateFmt::UsSlash, DateFmt::Iso],
        ),
        (Lang::En, _) => pick(
            rng,
            &[DateFmt::MonthDayYear, DateFmt::DayMonthYear, DateFmt::Iso],
        ),
        (Lang::Da, _) => pick(
            rng,
            &[
                DateFmt::DayMonthYear,
                DateFmt::DotNumeric,
                DateFmt::DashNumeric,
                DateFmt::Iso,
            ],
        ),
        (Lang::De, _) => pick(
            rng,
            &[DateFmt::DayMonthYear, DateFmt::DotNumeric, DateFmt::Iso],
        ),
    };
    Style {
        layout,
        labels: labels(inv, rng),
        money: money_fmt(inv, rng),
        num,
        date_fmt,
        family: rng.gen_range(0..fonts.text.len()),
        mono_numbers: rng
            .gen_bool(0.25)
            .then(|| rng.gen_range(0..fonts.mono.len())),
        body_px: rng.gen_range(34..=44) as f32,
        ink: rng.gen_range(0..=40),
        top: rng.gen_range(200.0..280.0),
        colon: rng.gen_bool(0.7),
        heading_right: rng.gen_bool(0.6),
        customer_right: rng.gen_bool(0.3),
        show_phone: rng.gen_bool(0.5),
        item_pos_column: rng.gen_bool(0.35),
        header_band: rng.gen_bool(0.35),
        row_rules: rng.gen_bool(0.3),
        total_rule: rng.gen_bool(0.6),
        currency_in_header: rng.gen_bool(0.3),
        footer_centered: rng.gen_bool(0.5),
        compact_two_per_line: rng.gen_bool(0.7),
        compact_sep: pick(rng, &["  ·  ", "   |   ", "      "]),
    }
}

// ---------------------------------------------------------------------------------------
// Page layout
// ---------------------------------------------------------------------------------------

/// A4 (210 x 297 mm) in whole pixels: 2480x3508 at 300 dpi, 1654x2339 at 200 dpi.
fn a4_pixels(dpi: u32) -> (u32, u32) {
    let px = |mm: f64| (mm / 25.4 * dpi as f64).round() as u32;
    (px(210.0), px(297.0))
}

const PAGE_W: u32 = 2480;
const PAGE_H: u32 = 3508;
const LEFT: f32 = 200.0;
const RIGHT: f32 = 2280.0;
/// Left edge of the right-hand column used by the header block and a right-side customer.
const RIGHT_COL: f32 = 1300.0;

fn label_text(st: &Style, label: &str) -> String {
    if st.colon {
        format!("{label}:")
    } else {
        label.to_string()
    }
}

/// The header fields in print order as (label, value).
fn header_fields(inv: &Invoice, st: &Style) -> Vec<(String, String)> {
    let l = &st.labels;
    let mut fields = vec![
        (l.invoice_no.clone(), inv.number.clone()),
        (l.date.clone(), fmt_date(inv.date, st.date_fmt, inv.lang)),
        (l.due.clone(), fmt_date(inv.due, st.date_fmt, inv.lang)),
    ];
    if let Some(c) = &inv.customer_no {
        fields.push((l.customer_no.clone(), c.clone()));
    }
    if let Some(po) = &inv.po {
        fields.push((l.po.clone(), po.clone()));
    }
    fields
}

/// Vendor name, address and contact at the top left; returns the baseline below it.
fn draw_vendor(p: &mut Painter, inv: &Invoice, st: &Style) -> f32 {
    let s = p.size;
    let name_px = p.fit(
        Face::Bold,
        s * 1.45,
        RIGHT_COL - LEFT - 80.0,
        &inv.vendor.name,
    );
    let mut y = st.top + name_px;
    p.text(Face::Bold, name_px, LEFT, y, &inv.vendor.name);
    y += s * 0.3;
    let mut lines = vec![inv.vendor.street.clone(), inv.vendor.city.clone()];
    if st.show_phone {
        let tel = if inv.lang == Lang::Da { "Tlf." } else { "Tel." };
        lines.push(format!("{tel} {}", inv.vendor_phone));
    }
    for line in lines {
        y += s * 1.45;
        p.text(Face::Regular, s, LEFT, y, &line);
    }
    y
}

fn draw_heading_right(p: &mut Painter, st: &Style) -> f32 {
    let px = p.size * 2.0;
    let y = st.top + px;
    p.text_right(Face::Bold, px, RIGHT, y, &st.labels.heading);
    y
}

/// "Bill to" block; returns the last baseline.
fn draw_customer(p: &mut Painter, inv: &Invoice, st: &Style, x: f32, y: f32) -> f32 {
    let s = p.size;
    let mut y = y;
    p.text(
        Face::Bold,
        s * 0.9,
        x,
        y,
        &label_text(st, &st.labels.bill_to),
    );
    y += s * 1.5;
    let max_w = (RIGHT_COL - LEFT - 60.0).min(RIGHT - x);
    let name_px = p.fit(Face::Regular, s, max_w, &inv.customer.name);
    p.text(Face::Regular, name_px, x, y, &inv.customer.name);
    for line in [&inv.customer.street, &inv.customer.city] {
        y += s * 1.45;
        p.text(Face::Regular, s, x, y, line);
    }
    y
}

/// Layout `beside`: "Label:   value" rows in the right column below the heading.
fn draw_fields_beside(p: &mut Painter, st: &Style, fields: &[(String, String)], y: f32) -> f32 {
    let s = p.size;
    let labels: Vec<String> = fields.iter().map(|(l, _)| label_text(st, l)).collect();
    let label_w = labels
        .iter()
        .map(|l| p.width(Face::Bold, s, l))
        .fold(0.0, f32::max);
    let value_w = fields
        .iter()
        .map(|(_, v)| p.width(Face::Regular, s, v))
        .fold(0.0, f32::max);
    let x = RIGHT_COL.min(RIGHT - label_w - value_w - 50.0);
    let mut y = y;
    for (label, (_, value)) in labels.iter().zip(fields) {
        p.text(Face::Bold, s, x, y, label);
        p.text(Face::Regular, s, x + label_w + 50.0, y, value);
        y += s * 1.55;
    }
    y - s * 1.55
}

/// Splits fields into rows of columns that fit the text width; returns per row the
/// field indices and the column width each gets after spreading the spare room.
fn pack_columns(widths: &[f32], gap: f32) -> Vec<Vec<(usize, f32)>> {
    let avail = RIGHT - LEFT;
    let mut rows: Vec<Vec<usize>> = vec![vec![]];
    let mut used = 0.0;
    for (i, w) in widths.iter().enumerate() {
        let need = w + gap;
        if used + need > avail && !rows.last().unwrap().is_empty() {
            rows.push(vec![]);
            used = 0.0;
        }
        rows.last_mut().unwrap().push(i);
        used += need;
    }
    rows.into_iter()
        .map(|row| {
            let total: f32 = row.iter().map(|&i| widths[i] + gap).sum();
            let extra = (avail - total) / row.len() as f32;
            row.into_iter()
                .map(|i| (i, widths[i] + gap + extra))
                .collect()
        })
        .collect()
}

/// Layout `above`: small upper-case labels with the value printed underneath.
fn draw_fields_above(p: &mut Painter, fields: &[(String, String)], y: f32) -> f32 {
    let s = p.size;
    let label_px = (s * 0.8).round();
    let labels: Vec<String> = fields.iter().map(|(l, _)| l.to_uppercase()).collect();
    let widths: Vec<f32> = labels
        .iter()
        .zip(fields)
        .map(|(l, (_, v))| {
            p.width(Face::Bold, label_px, l)
                .max(p.width(Face::Regular, s, v))
        })
        .collect();
    let mut y = y;
    for row in pack_columns(&widths, 70.0) {
        let mut x = LEFT;
        for (i, col_w) in row {
            p.text(Face::Bold, label_px, x, y, &labels[i]);
            p.text(Face::Regular, s, x, y + s * 1.4, &fields[i].1);
            x += col_w;
        }
        y += s * 3.4;
    }
    y - s * 2.0
}

/// Layout `table`: a ruled grid, labels in the upper cells and values below.
fn draw_fields_table(p: &mut Painter, fields: &[(String, String)], y: f32) -> f32 {
    let s = p.size;
    let label_px = (s * 0.85).round();
    let pad = 24.0;
    let widths: Vec<f32> = fields
        .iter()
        .map(|(l, v)| {
            p.width(Face::Bold, label_px, l)
                .max(p.width(Face::Regular, s, v))
                + 2.0 * pad
        })
        .collect();
    let row_h = s * 1.7;
    let mut top = y;
    for row in pack_columns(&widths, 0.0) {
        p.fill_rect(LEFT, top, RIGHT, top + row_h, 232);
        p.rect_outline(LEFT, top, RIGHT, top + 2.0 * row_h, 3.0);
        p.hline(LEFT, RIGHT, top + row_h, 2.0);
        let mut x = LEFT;
        for (k, (i, col_w)) in row.iter().enumerate() {
            if k > 0 {
                p.vline(x, top, top + 2.0 * row_h, 2.0);
            }
            let (label, value) = &fields[*i];
            p.text(
                Face::Bold,
                label_px,
                x + pad,
                top + (row_h + 0.72 * label_px) / 2.0,
                label,
            );
            p.text(
                Face::Regular,
                s,
                x + pad,
                top + row_h + (row_h + 0.72 * s) / 2.0,
                value,
            );
            x += col_w;
        }
        top += 2.0 * row_h + s * 0.6;
    }
    top
}

/// Layout `compact`: "Label: value" runs, at most two fields on a line.
fn draw_fields_compact(p: &mut Painter, st: &Style, fields: &[(String, String)], y: f32) -> f32 {
    let s = p.size;
    let per_line = if st.compact_two_per_line { 2 } else { 1 };
    let mut y = y;
    for chunk in fields.chunks(per_line) {
        let runs: Vec<String> = chunk.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        let line = runs.join(st.compact_sep);
        let px = p.fit(Face::Regular, s, RIGHT - LEFT, &line);
        p.text(Face::Regular, px, LEFT, y, &line);
        y += s * 1.5;
    }
    y - s * 1.5
}

/// Line-item table; returns the baseline of its closing rule.
fn draw_items(p: &mut Painter, inv: &Invoice, st: &Style, y: f32) -> f32 {
    let s = p.size;
    let l = &st.labels;
    let pos_w = if st.item_pos_column { s * 2.6 } else { 0.0 };
    let (qty_r, unit_r, amount_r) = (1380.0, 1850.0, RIGHT);
    let suffix = if st.currency_in_header {
        format!(" ({})", inv.currency)
    } else {
        String::new()
    };
    if st.header_band {
        p.fill_rect(LEFT - 12.0, y - s * 1.25, RIGHT + 12.0, y + s * 0.55, 225);
    } else {
        p.hline(LEFT, RIGHT, y - s * 1.3, 2.0);
    }
    if st.item_pos_column {
        let pos = match inv.lang {
            Lang::En => "#",
            Lang::Da => "Nr.",
            Lang::De => "Pos.",
        };
        p.text(Face::Bold, s, LEFT, y, pos);
    }
    p.text(Face::Bold, s, LEFT + pos_w, y, &l.col_desc);
    // Right-aligned headers shrink rather than run into the column to their left.
    let amount_header = format!("{}{suffix}", l.col_amount);
    let headers = [
        (l.col_qty.as_str(), qty_r, 240.0),
        (l.col_unit.as_str(), unit_r, unit_r - qty_r - 50.0),
        (amount_header.as_str(), amount_r, amount_r - unit_r - 50.0),
    ];
    for (text, right, room) in headers {
        let px = p.fit(Face::Bold, s, room, text);
        p.text_right(Face::Bold, px, right, y, text);
    }
    p.hline(LEFT, RIGHT, y + s * 0.6, 3.0);
    let step = s * 1.75;
    let mut by = y + s * 0.6 + step;
    for (k, item) in inv.items.iter().enumerate() {
        if st.item_pos_column {
            p.text(Face::Number, s, LEFT, by, &(k + 1).to_string());
        }
        let desc_px = p.fit(
            Face::Regular,
            s,
            qty_r - 260.0 - LEFT - pos_w,
            &item.description,
        );
        p.text(Face::Regular, desc_px, LEFT + pos_w, by, &item.description);
        let cells = [
            (qty_r, item.quantity.to_string()),
            (unit_r, fmt_number(item.unit_cents, &st.num)),
            (amount_r, fmt_number(item.amount(), &st.num)),
        ];
        for (right, text) in cells {
            p.text_right(Face::Number, s, right, by, &text);
        }
        if st.row_rules && k + 1 < inv.items.len() {
            p.hline(LEFT, RIGHT, by + s * 0.6, 1.0);
        }
        by += step;
    }
    let end = by - step + s * 0.7;
    p.hline(LEFT, RIGHT, end, 3.0);
    end
}

/// Totals at the bottom right: right-aligned labels in one column, amounts in another.
fn draw_totals(p: &mut Painter, inv: &Invoice, st: &Style, y: f32) -> f32 {
    let s = p.size;
    let l = &st.labels;
    let rows = [
        (l.subtotal.clone(), inv.subtotal, false),
        (l.tax.clone(), inv.tax, false),
        (l.total.clone(), inv.total, true),
    ];
    let amounts: Vec<String> = rows
        .iter()
        .map(|(_, c, _)| fmt_money(*c, &st.num, &st.money))
        .collect();
    let amount_w = amounts
        .iter()
        .map(|a| p.width(Face::NumberBold, s, a))
        .fold(0.0, f32::max);
    let label_r = RIGHT - amount_w - 90.0;
    let mut y = y;
    for ((label, _, is_total), amount) in rows.iter().zip(&amounts) {
        let (lf, nf) = if *is_total {
            (Face::Bold, Face::NumberBold)
        } else {
            (Face::Regular, Face::Number)
        };
        if *is_total && st.total_rule {
            p.hline(label_r - p.width(lf, s, label), RIGHT, y - s * 1.2, 3.0);
            y += s * 0.3;
        }
        p.text_right(lf, s, label_r, y, &label_text(st, label));
        p.text_right(nf, s, RIGHT, y, amount);
        y += s * 1.6;
    }
    y - s * 1.6
}

/// Payment terms, reference and a thank-you line under the totals.
fn draw_notes(p: &mut Painter, inv: &Invoice, st: &Style, y: f32) {
    let s = p.size;
    let mut lines = vec![st.labels.terms.clone()];
    if let Some(r) = &inv.reference {
        let shown = if r.starts_with("RF") {
            group4(r)
        } else {
            r.clone()
        };
        lines.push(format!("{}: {shown}", st.labels.reference));
    }
    lines.push(st.labels.thanks.clone());
    let mut y = y;
    for line in lines {
        p.text(Face::Regular, s, LEFT, y, &line);
        y += s * 1.5;
    }
}

/// Footer with vendor identity, VAT id and bank details above the bottom margin.
fn draw_footer(p: &mut Painter, inv: &Invoice, st: &Style) {
    let fs = (p.size * 0.85).max(30.0).round();
    let mut lines = vec![format!(
        "{} · {}, {}",
        inv.vendor.name, inv.vendor.street, inv.vendor.city
    )];
    if let Some((_, shown)) = &inv.vat {
        lines.push(shown.clone());
    }
    let bic = inv
        .bic
        .as_ref()
        .map(|b| format!("   {}: {b}", st.labels.bic))
        .unwrap_or_default();
    if let Some(iban) = &inv.iban {
        lines.push(format!("IBAN: {}{bic}", group4(iban)));
    } else if let Some((routing, account)) = &inv.us_bank {
        lines.push(format!("Routing No. {routing} · Account {account}{bic}"));
    }
    let rule = PAGE_H as f32 - 340.0;
    p.hline(LEFT, RIGHT, rule, 2.0);
    let mut y = rule + fs * 1.8;
    for line in lines {
        let px = p.fit(Face::Regular, fs, RIGHT - LEFT, &line);
        if st.footer_centered {
            p.text_centered(Face::Regular, px, (LEFT + RIGHT) / 2.0, y, &line);
        } else {
            p.text(Face::Regular, px, LEFT, y, &line);
        }
        y += fs * 1.5;
    }
}

/// Draws the whole clean page.
fn render(inv: &Invoice, st: &Style, fonts: &Fonts) -> GrayImage {
    let family = &fonts.text[st.family];
    let numbers = st.mono_numbers.map_or(family, |i| &fonts.mono[i]);
    let mut p = Painter {
        img: GrayImage::from_pixel(PAGE_W, PAGE_H, Luma([255])),
        regular: &family.regular,
        bold: &family.bold,
        number: &numbers.regular,
        number_bold: &numbers.bold,
        size: st.body_px,
        ink: st.ink,
    };
    let s = p.size;
    let fields = header_fields(inv, st);
    let vendor_end = draw_vendor(&mut p, inv, st);
    let below_header = if st.layout == Layout::Beside {
        let heading_end = draw_heading_right(&mut p, st);
        let fields_end = draw_fields_beside(&mut p, st, &fields, heading_end + s * 3.0);
        let customer_end = draw_customer(&mut p, inv, st, LEFT, vendor_end + s * 3.0);
        fields_end.max(customer_end)
    } else {
        let heading_end = if st.heading_right {
            draw_heading_right(&mut p, st)
        } else {
            0.0
        };
        let (cx, cy) = if st.customer_right {
            (RIGHT_COL, heading_end.max(st.top) + s * 2.5)
        } else {
            (LEFT, vendor_end + s * 3.0)
        };
        let mut y = draw_customer(&mut p, inv, st, cx, cy).max(vendor_end);
        if !st.heading_right {
            y += s * 4.0;
            p.text(Face::Bold, s * 1.9, LEFT, y, &st.labels.heading);
        }
        y += s * 3.0;
        match st.layout {
            Layout::Above => draw_fields_above(&mut p, &fields, y),
            Layout::Table => draw_fields_table(&mut p, &fields, y - s),
            _ => draw_fields_compact(&mut p, st, &fields, y),
        }
    };
    let items_end = draw_items(&mut p, inv, st, below_header + s * 4.0);
    let totals_end = draw_totals(&mut p, inv, st, items_end + s * 2.4);
    draw_notes(&mut p, inv, st, totals_end + s * 3.5);
    draw_footer(&mut p, inv, st);
    p.img
}

// ---------------------------------------------------------------------------------------
// Scan degradations
// ---------------------------------------------------------------------------------------

/// What is done to the page; also written to the truth file.
#[derive(Serialize, Debug)]
struct Degradations {
    /// Turn of the page in degrees, positive = clockwise as seen on the page.
    skew_deg: f64,
    /// Standard deviation of the additive gaussian noise in grey levels (0 = none).
    noise_sigma: f64,
    /// Gaussian blur sigma in pixels at 300 dpi (0 = none).
    blur: f64,
    /// Quality of the in-memory JPEG re-encode; null when the page was not re-encoded.
    jpeg_quality: Option<u8>,
    /// Resolution of the written image: 300, or 200 for a low-resolution scan.
    dpi: u32,
    /// 180 when the page was scanned upside down, else 0.
    rotation: u32,
    /// Paper grey level and salt-and-pepper speckle count; not part of the truth file.
    #[serde(skip)]
    background: u8,
    #[serde(skip)]
    speckles: u32,
}

/// Rounds to one decimal so the truth file holds exactly the value that was applied.
fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn plan_degradations(level: Level, rng: &mut SmallRng) -> Degradations {
    let sign = |rng: &mut SmallRng| if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    match level {
        Level::Clean => Degradations {
            skew_deg: 0.0,
            noise_sigma: 0.0,
            blur: 0.0,
            jpeg_quality: None,
            dpi: 300,
            rotation: 0,
            background: 255,
            speckles: 0,
        },
        Level::Light => Degradations {
            skew_deg: round1(sign(rng) * rng.gen_range(0.3..1.5)),
            noise_sigma: round1(rng.gen_range(6.0..12.0)),
            blur: round1(rng.gen_range(0.6..1.0)),
            jpeg_quality: Some(rng.gen_range(70..=85)),
            dpi: 300,
            rotation: 0,
            background: 255,
            speckles: 0,
        },
        Level::Heavy => {
            let upside_down = rng.gen_bool(0.25);
            Degradations {
                skew_deg: round1(sign(rng) * rng.gen_range(0.5..3.0)),
                noise_sigma: round1(rng.gen_range(12.0..20.0)),
                blur: round1(rng.gen_range(1.0..1.3)),
                jpeg_quality: Some(rng.gen_range(50..=70)),
                dpi: if upside_down { 300 } else { 200 },
                rotation: if upside_down { 180 } else { 0 },
                background: rng.gen_range(222..=240),
                speckles: rng.gen_range(300..1500),
            }
        }
    }
}

/// Paper that is not quite white: scales every pixel so white becomes `background`.
fn tint(img: &mut GrayImage, background: u8) {
    for v in img.iter_mut() {
        *v = ((*v as u32 * background as u32 + 127) / 255) as u8;
    }
}

/// Size of a `sw`x`sh` 300-dpi page scanned at `dpi`: exact A4 sizes for A4 pages,
/// otherwise the page scaled by dpi/300 (receipts).
fn scan_size(sw: u32, sh: u32, dpi: u32) -> (u32, u32) {
    if (sw, sh) == (PAGE_W, PAGE_H) {
        a4_pixels(dpi)
    } else {
        let px = |v: u32| ((v as f64 * dpi as f64 / 300.0).round() as u32).max(1);
        (px(sw), px(sh))
    }
}

/// One bilinear resampling pass does all the geometry: turns the page by `deg` about its
/// centre (clockwise on the page; 180 plus skew for an upside-down scan) and scales it by
/// `dpi / 300` (2/3 for a 200 dpi scan). Corners that come from outside the page are white,
/// like an open scanner lid. Blur beforehand keeps the downscale free of aliasing.
fn warp(src: &GrayImage, deg: f64, dpi: u32) -> GrayImage {
    let (sw, sh) = src.dimensions();
    let (w, h) = scan_size(sw, sh, dpi);
    let scale = dpi as f64 / 300.0;
    let (sin, cos) = deg.to_radians().sin_cos();
    let inv = 1.0 / scale;
    // Source position of an output pixel centre is affine in (x, y): s = origin + x*ax + y*ay.
    let (ax_x, ax_y) = ((cos * inv) as f32, (-sin * inv) as f32);
    let (ay_x, ay_y) = ((sin * inv) as f32, (cos * inv) as f32);
    let (ox, oy) = (w as f64 / 2.0 - 0.5, h as f64 / 2.0 - 0.5);
    let (cx, cy) = (sw as f64 / 2.0 - 0.5, sh as f64 / 2.0 - 0.5);
    let data = src.as_raw();
    let stride = sw as usize;
    let sample = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= sw as i64 || y >= sh as i64 {
            255.0
        } else {
            data[y as usize * stride + x as usize] as f32
        }
    };
    let mut out = vec![255u8; w as usize * h as usize];
    for (y, row) in out.chunks_mut(w as usize).enumerate() {
        let dy = y as f64 - oy;
        let row_x = (cx - ox * ax_x as f64 + dy * ay_x as f64) as f32;
        let row_y = (cy - ox * ax_y as f64 + dy * ay_y as f64) as f32;
        for (x, px) in row.iter_mut().enumerate() {
            // Computed afresh (not accumulated) so rounding cannot drift along the row.
            let (sx, sy) = (row_x + x as f32 * ax_x, row_y + x as f32 * ax_y);
            let (fx0, fy0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - fx0, sy - fy0);
            let (x0, y0) = (fx0 as i64, fy0 as i64);
            let (p00, p10, p01, p11) =
                if x0 >= 0 && y0 >= 0 && x0 + 1 < sw as i64 && y0 + 1 < sh as i64 {
                    let i = y0 as usize * stride + x0 as usize;
                    (
                        data[i] as f32,
                        data[i + 1] as f32,
                        data[i + stride] as f32,
                        data[i + stride + 1] as f32,
                    )
                } else {
                    (
                        sample(x0, y0),
                        sample(x0 + 1, y0),
                        sample(x0, y0 + 1),
                        sample(x0 + 1, y0 + 1),
                    )
                };
            let top = p00 + (p10 - p00) * fx;
            let bottom = p01 + (p11 - p01) * fx;
            *px = (top + (bottom - top) * fy).round() as u8;
        }
    }
    GrayImage::from_raw(w, h, out).expect("buffer matches dimensions")
}

/// Additive gaussian sensor noise. Box–Muller fills a table of 64Ki standard normal
/// samples and each pixel draws one at random: statistically the same for image noise,
/// and several times faster than two logarithms and a sine per pixel pair.
fn add_noise(img: &mut GrayImage, sigma: f64, rng: &mut SmallRng) {
    let sigma = sigma as f32;
    let mut table = Vec::with_capacity(1 << 16);
    while table.len() < 1 << 16 {
        let u1: f32 = rng.gen::<f32>().max(1e-7);
        let u2: f32 = rng.gen();
        let r = (-2.0 * u1.ln()).sqrt() * sigma;
        let (s, c) = (std::f32::consts::TAU * u2).sin_cos();
        table.extend([r * c, r * s]);
    }
    for quad in img.chunks_mut(4) {
        let bits: u64 = rng.gen();
        for (k, v) in quad.iter_mut().enumerate() {
            let noise = table[(bits >> (16 * k)) as usize & 0xFFFF];
            *v = (*v as f32 + noise).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Dust and toner specks: small black dots on the paper and white drop-outs.
fn add_speckles(img: &mut GrayImage, count: u32, rng: &mut SmallRng) {
    let (w, h) = img.dimensions();
    for _ in 0..count {
        let (x, y) = (rng.gen_range(0..w - 3), rng.gen_range(0..h - 3));
        let size = rng.gen_range(1..=3);
        let value = if rng.gen_bool(0.7) {
            rng.gen_range(0..60)
        } else {
            255
        };
        for dy in 0..size {
            for dx in 0..size {
                img.put_pixel(x + dx, y + dy, Luma([value]));
            }
        }
    }
}

/// Encodes and decodes in memory so the page carries real JPEG block artefacts.
fn jpeg_roundtrip(img: &GrayImage, quality: u8) -> Result<GrayImage, String> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(img)
        .map_err(|e| format!("jpeg encode: {e}"))?;
    let decoded = image::load_from_memory_with_format(&buf, ImageFormat::Jpeg)
        .map_err(|e| format!("jpeg decode: {e}"))?;
    Ok(decoded.into_luma8())
}

fn degrade(mut img: GrayImage, d: &Degradations, rng: &mut SmallRng) -> Result<GrayImage, String> {
    if d.background < 255 {
        tint(&mut img, d.background);
    }
    // Optics blur first: it commutes with the turn and anti-aliases the downscale.
    if d.blur > 0.0 {
        img = image::imageops::blur(&img, d.blur as f32);
    }
    let angle = d.skew_deg + d.rotation as f64;
    if angle != 0.0 || d.dpi != 300 {
        img = warp(&img, angle, d.dpi);
    }
    if d.speckles > 0 {
        add_speckles(&mut img, d.speckles, rng);
    }
    if d.noise_sigma > 0.0 {
        add_noise(&mut img, d.noise_sigma, rng);
    }
    if let Some(q) = d.jpeg_quality {
        img = jpeg_roundtrip(&img, q)?;
    }
    Ok(img)
}

// ---------------------------------------------------------------------------------------
// Output: image file and truth JSON
// ---------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Truth {
    doc_type: &'static str,
    layout: &'static str,
    language: &'static str,
    degradation: &'static str,
    degradations: Degradations,
    fields: TruthFields,
    line_items: Vec<TruthItem>,
    /// In a supplier stream: the supplier ("S03") and which of its invoices this is (1…).
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier_doc: Option<u32>,
}

#[derive(Serialize)]
struct TruthFields {
    vendor_name: String,
    vendor_vat_id: Option<String>,
    vendor_address: String,
    customer_name: String,
    invoice_number: String,
    invoice_date: String,
    due_date: String,
    purchase_order: Option<String>,
    currency: String,
    subtotal: String,
    tax_amount: String,
    total: String,
    iban: Option<String>,
    bic: Option<String>,
    payment_reference: Option<String>,
}

#[derive(Serialize)]
struct TruthItem {
    description: String,
    quantity: String,
    unit_price: String,
    amount: String,
}

fn truth(inv: &Invoice, layout: Layout, level: Level, degradations: Degradations) -> Truth {
    Truth {
        doc_type: "invoice",
        layout: layout.name(),
        language: inv.lang.code(),
        degradation: level.name(),
        degradations,
        fields: TruthFields {
            vendor_name: inv.vendor.name.clone(),
            vendor_vat_id: inv.vat.as_ref().map(|(id, _)| id.clone()),
            vendor_address: format!("{}, {}", inv.vendor.street, inv.vendor.city),
            customer_name: inv.customer.name.clone(),
            invoice_number: inv.number.clone(),
            invoice_date: inv.date.iso(),
            due_date: inv.due.iso(),
            purchase_order: inv.po.clone(),
            currency: inv.currency.to_string(),
            subtotal: truth_money(inv.subtotal),
            tax_amount: truth_money(inv.tax),
            total: truth_money(inv.total),
            iban: inv.iban.clone(),
            bic: inv.bic.clone(),
            payment_reference: inv.reference.clone(),
        },
        line_items: inv
            .items
            .iter()
            .map(|it| TruthItem {
                description: it.description.clone(),
                quantity: it.quantity.to_string(),
                unit_price: truth_money(it.unit_cents),
                amount: truth_money(it.amount()),
            })
            .collect(),
        supplier: None,
        supplier_doc: None,
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// image's PNG encoder writes no resolution, but OCR wants it: add a pHYs chunk after IHDR.
fn png_with_dpi(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    let ppm = ((dpi as f64) / 0.0254).round() as u32;
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1); // unit: metre
    let mut out = Vec::with_capacity(png.len() + 21);
    out.extend_from_slice(&png[..AFTER_IHDR]);
    out.extend_from_slice(&9u32.to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out.extend_from_slice(&png[AFTER_IHDR..]);
    out
}

fn save_image(img: &GrayImage, path: &Path, format: OutputFormat, dpi: u32) -> Result<(), String> {
    let err = |e: image::ImageError| format!("{}: {e}", path.display());
    let mut buf = Vec::new();
    match format {
        OutputFormat::Png => {
            PngEncoder::new(&mut buf)
                .write_image(
                    img.as_raw(),
                    img.width(),
                    img.height(),
                    ExtendedColorType::L8,
                )
                .map_err(err)?;
            buf = png_with_dpi(buf, dpi);
        }
        OutputFormat::Jpeg => {
            let mut enc = JpegEncoder::new_with_quality(&mut buf, 92);
            enc.set_pixel_density(PixelDensity::dpi(dpi as u16));
            enc.encode_image(img).map_err(err)?;
        }
        OutputFormat::Tiff => {
            img.write_to(&mut std::io::Cursor::new(&mut buf), ImageFormat::Tiff)
                .map_err(err)?;
        }
        OutputFormat::Pdf => {
            let pix = mailroom::text::Pix::from_gray(img.width(), img.height(), img.as_raw())?;
            buf = mailroom::text::Pix::image_pdf(&[pix], dpi)?;
        }
    }
    fs::write(path, buf).map_err(|e| format!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------

fn choose_lang(arg: LanguageArg, rng: &mut SmallRng) -> Lang {
    match arg {
        LanguageArg::En => Lang::En,
        LanguageArg::Da => Lang::Da,
        LanguageArg::De => Lang::De,
        // `run` refuses the wide-only languages for classic documents.
        _ => pick(rng, &[Lang::En, Lang::Da, Lang::De]),
    }
}

/// The language of a `--variety wide` document.
fn choose_wlang(arg: LanguageArg, rng: &mut SmallRng) -> labels::WLang {
    use labels::WLang;
    match arg {
        LanguageArg::En => WLang::En,
        LanguageArg::Da => WLang::Da,
        LanguageArg::De => WLang::De,
        LanguageArg::Sv => WLang::Sv,
        LanguageArg::No => WLang::No,
        LanguageArg::Fi => WLang::Fi,
        LanguageArg::Nl => WLang::Nl,
        LanguageArg::Fr => WLang::Fr,
        LanguageArg::It => WLang::It,
        LanguageArg::Es => WLang::Es,
        LanguageArg::Pl => WLang::Pl,
        LanguageArg::Any | LanguageArg::Mixed => pick(rng, &labels::ALL_LANGS),
    }
}

/// The header layouts `--layouts` / `--exclude-layouts` leave of `all`; an unknown name
/// or an empty choice is an error naming the layouts there are.
fn allowed_layouts(cli: &Cli, all: &[&'static str]) -> Result<Vec<&'static str>, String> {
    for name in cli.layouts.iter().chain(&cli.exclude_layouts) {
        if !all.contains(&name.as_str()) {
            return Err(format!(
                "unknown layout {name:?}; the wide invoice layouts are: {}",
                all.join(", ")
            ));
        }
    }
    let chosen: Vec<&'static str> = all
        .iter()
        .copied()
        .filter(|l| cli.layouts.is_empty() || cli.layouts.iter().any(|x| x == l))
        .filter(|l| !cli.exclude_layouts.iter().any(|x| x == l))
        .collect();
    if chosen.is_empty() {
        return Err("--layouts/--exclude-layouts leave no layout to draw".into());
    }
    Ok(chosen)
}

/// Refuses option combinations that would silently do something else than asked.
fn check_options(cli: &Cli) -> Result<(), String> {
    let wide = cli.variety == VarietyArg::Wide;
    let classic_lang = matches!(
        cli.language,
        LanguageArg::En | LanguageArg::Da | LanguageArg::De | LanguageArg::Mixed
    );
    if !wide && !classic_lang {
        return Err(format!(
            "--language {:?} needs --variety wide (classic documents are en, da or de)",
            cli.language
        )
        .to_lowercase());
    }
    let layouts_given = !cli.layouts.is_empty() || !cli.exclude_layouts.is_empty();
    if !wide && layouts_given {
        return Err("--layouts/--exclude-layouts choose among the --variety wide invoice layouts; classic invoices take --layout".into());
    }
    if wide {
        if !matches!(cli.layout, LayoutArg::Mixed) {
            return Err(
                "--layout picks a classic layout; with --variety wide use --layouts".into(),
            );
        }
        allowed_layouts(cli, &wide::LAYOUTS)?;
    }
    Ok(())
}

fn choose_layout(arg: LayoutArg, rng: &mut SmallRng) -> Layout {
    match arg {
        LayoutArg::Beside => Layout::Beside,
        LayoutArg::Above => Layout::Above,
        LayoutArg::Table => Layout::Table,
        LayoutArg::Compact => Layout::Compact,
        LayoutArg::Mixed => pick(
            rng,
            &[
                Layout::Beside,
                Layout::Above,
                Layout::Table,
                Layout::Compact,
            ],
        ),
    }
}

fn choose_level(arg: DegradationArg, rng: &mut SmallRng) -> Level {
    match arg {
        DegradationArg::Clean => Level::Clean,
        DegradationArg::Light => Level::Light,
        DegradationArg::Heavy => Level::Heavy,
        DegradationArg::Mixed => match rng.gen_range(0..100) {
            0..=39 => Level::Clean,
            40..=74 => Level::Light,
            _ => Level::Heavy,
        },
    }
}

/// The generator of document `index`; it depends only on (seed, index).
fn doc_rng(seed: u64, index: u32) -> SmallRng {
    SmallRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64)
}

/// Generates document `index` of the kind `--kind` gives it.
fn generate_one(cli: &Cli, fonts: &Fonts, index: u32) -> Result<(), String> {
    let rng = doc_rng(cli.seed, index);
    match kind_of(cli.kind, index) {
        KindArg::Receipt => receipt::generate(cli, fonts, index, rng),
        KindArg::Payroll => payroll::generate(cli, fonts, index, rng),
        KindArg::Form => form::generate(cli, fonts, index, rng),
        _ if cli.variety == VarietyArg::Wide => wide::generate(cli, fonts, index, rng),
        _ => generate_invoice(cli, fonts, index, rng),
    }
}

/// Supplier `s` of a stream: its own invoice (whose vendor, bank, currency and terms
/// every invoice of the supplier shares), layout and style, from a generator of its own.
fn supplier(cli: &Cli, fonts: &Fonts, s: u32) -> (Invoice, Layout, Style) {
    let mut rng = doc_rng(cli.seed ^ 0x5EED_5A1E, s);
    let lang = choose_lang(cli.language, &mut rng);
    let layout = choose_layout(cli.layout, &mut rng);
    let mut inv = make_invoice(lang, &mut rng);
    // The stream arrives at one group's mailroom: a Danish company and its German
    // subsidiary, each billed by half the suppliers.
    let mut group = doc_rng(cli.seed ^ 0xB0B_CA7, 0);
    let ours = [
        party(Country::Dk, &mut group),
        party(Country::De, &mut group),
    ];
    inv.customer = ours[s as usize % 2].clone();
    let st = style(&inv, layout, fonts, &mut rng);
    (inv, layout, st)
}

/// The next invoice of supplier `sup`: its own number, dates and lines; the supplier's
/// identity, bank account, currency, tax rate, payment terms and customer (one of the
/// two companies whose mailroom receives the stream).
fn supplier_invoice(sup: &Invoice, rng: &mut SmallRng) -> Invoice {
    let mut inv = make_invoice(sup.lang, rng);
    let n = &sup.number;
    let format = if n.starts_with("INV-") {
        0
    } else if n.starts_with("RE-") {
        3
    } else if n.starts_with("F-") {
        2
    } else if n.starts_with("INV") {
        5
    } else if n.contains('-') {
        1
    } else {
        4
    };
    inv.number = number_in(format, inv.date.y, rng.gen_range(1..99_999u32));
    let terms = sup.due.days() - sup.date.days();
    inv.due = Date::from_days(inv.date.days() + terms);
    inv.country = sup.country;
    inv.vendor = sup.vendor.clone();
    inv.vendor_phone = sup.vendor_phone.clone();
    inv.vat = sup.vat.clone();
    inv.iban = sup.iban.clone();
    inv.us_bank = sup.us_bank.clone();
    inv.bic = sup.bic.clone();
    inv.currency = sup.currency;
    inv.tax_rate = sup.tax_rate;
    // The mailroom's own company: every invoice of a supplier is addressed to it.
    inv.customer = sup.customer.clone();
    inv.items = line_items(inv.lang, inv.currency, rng);
    inv.subtotal = inv.items.iter().map(Item::amount).sum();
    inv.tax = tax_cents(inv.subtotal, inv.tax_rate);
    inv.total = inv.subtotal + inv.tax;
    inv
}

/// `vendors.csv`: a stream's suppliers as master data, in `mailroom vendors import`'s
/// columns.
fn write_vendors(cli: &Cli, fonts: &Fonts, suppliers: u32) -> Result<(), String> {
    let mut out = String::from("name,vat_id,iban,bic,currency,address\n");
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let path = cli.out.join("vendors.csv");
    let write = |out: String| fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()));
    if cli.variety == VarietyArg::Wide {
        for [name, vat, iban, bic, currency, address] in wide::vendor_rows(cli, suppliers)? {
            let (name, address) = (q(&name), q(&address));
            out.push_str(&format!("{name},{vat},{iban},{bic},{currency},{address}\n"));
        }
        return write(out);
    }
    for s in 0..suppliers {
        let (inv, _, _) = supplier(cli, fonts, s);
        // Master data knows a supplier by VAT id or IBAN; one paid by US routing number
        // and without a VAT id has neither, so it is not in the file.
        if inv.vat.is_none() && inv.iban.is_none() {
            continue;
        }
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            q(&inv.vendor.name),
            inv.vat.as_ref().map_or(String::new(), |(id, _)| id.clone()),
            inv.iban.clone().unwrap_or_default(),
            inv.bic.clone().unwrap_or_default(),
            inv.currency,
            q(&format!("{}, {}", inv.vendor.street, inv.vendor.city)),
        ));
    }
    write(out)
}

fn generate_invoice(cli: &Cli, fonts: &Fonts, index: u32, mut rng: SmallRng) -> Result<(), String> {
    let (inv, layout, st, level, stream) = match cli.suppliers {
        Some(k) if k > 0 => {
            let (sup, layout, st) = supplier(cli, fonts, index % k);
            let level = choose_level(cli.degradation, &mut rng);
            let inv = supplier_invoice(&sup, &mut rng);
            (inv, layout, st, level, Some((index % k, index / k + 1)))
        }
        _ => {
            let lang = choose_lang(cli.language, &mut rng);
            let layout = choose_layout(cli.layout, &mut rng);
            let level = choose_level(cli.degradation, &mut rng);
            let inv = make_invoice(lang, &mut rng);
            let st = style(&inv, layout, fonts, &mut rng);
            (inv, layout, st, level, None)
        }
    };
    let page = render(&inv, &st, fonts);
    let plan = plan_degradations(level, &mut rng);
    let page = degrade(page, &plan, &mut rng)?;
    let stem = format!("inv-{}-{index:04}", cli.seed);
    let ext = match cli.format {
        OutputFormat::Png => "png",
        OutputFormat::Jpeg => "jpg",
        OutputFormat::Tiff => "tif",
        OutputFormat::Pdf => "pdf",
    };
    save_image(
        &page,
        &cli.out.join(format!("{stem}.{ext}")),
        cli.format,
        plan.dpi,
    )?;
    let mut truth = truth(&inv, layout, level, plan);
    if let Some((s, n)) = stream {
        truth.supplier = Some(format!("S{s:02}"));
        truth.supplier_doc = Some(n);
    }
    let json = serde_json::to_string_pretty(&truth).map_err(|e| e.to_string())?;
    let truth_path = cli.out.join(format!("{stem}.truth.json"));
    fs::write(&truth_path, json + "\n").map_err(|e| format!("{}: {e}", truth_path.display()))
}

fn run(cli: &Cli) -> Result<(), String> {
    check_options(cli)?;
    let fonts = load_fonts()?;
    fs::create_dir_all(&cli.out)
        .map_err(|e| format!("cannot create {}: {e}", cli.out.display()))?;
    let started = Instant::now();
    if cli.reference && matches!(cli.kind, KindArg::Form | KindArg::Mixed) {
        form::write_blank(cli, &fonts)?;
    }
    if let Some(k) = cli.suppliers.filter(|&k| k > 0) {
        if cli.kind != KindArg::Invoice {
            return Err(
                "--suppliers makes a stream of invoices: use it with --kind invoice".into(),
            );
        }
        write_vendors(cli, &fonts, k)?;
    }
    // Documents are independent, so spread them over the available cores.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cli.count.max(1) as usize);
    let next = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= cli.count {
                            return Ok(());
                        }
                        generate_one(cli, &fonts, i)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "worker thread panicked".to_string())?)
    })?;
    eprintln!(
        "wrote {} documents to {} in {:.1} s",
        cli.count,
        cli.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("mailroom-samples: error: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weighted(digits: &str, weights: &[u32]) -> u32 {
        digits
            .chars()
            .zip(weights)
            .map(|(d, w)| d.to_digit(10).unwrap() * w)
            .sum()
    }

    #[test]
    fn generated_identifiers_pass_their_checksums() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..500 {
            let c = cvr(&mut rng);
            assert_eq!(weighted(&c, &[2, 7, 6, 5, 4, 3, 2, 1]) % 11, 0, "CVR {c}");
            let g = gb_vat(&mut rng);
            assert_eq!(
                (weighted(&g, &[8, 7, 6, 5, 4, 3, 2]) + g[7..].parse::<u32>().unwrap()) % 97,
                0,
                "GB {g}"
            );
            for (country, len) in [("DK", 14), ("DE", 18)] {
                let i = iban(country, &random_digits(&mut rng, len));
                assert_eq!(mod97(&format!("{}{}", &i[4..], &i[..4])), 1, "IBAN {i}");
            }
            let r = payment_reference(&mut rng);
            if r.starts_with("RF") {
                assert_eq!(mod97(&format!("{}{}", &r[4..], &r[..4])), 1, "RF {r}");
            }
        }
    }

    #[test]
    fn identifiers_match_published_examples() {
        assert_eq!(iban("DK", "00400440116243"), "DK5000400440116243");
        assert_eq!(group4("DK5000400440116243"), "DK50 0040 0440 1162 43");
        let mut rng = SmallRng::seed_from_u64(1);
        assert_eq!(de_vat(&mut rng).len(), 9);
        // DE136695976 is a commonly cited valid USt-IdNr; recompute its check digit.
        let mut product = 10;
        for c in "13669597".chars() {
            let sum = match (c.to_digit(10).unwrap() + product) % 10 {
                0 => 10,
                s => s,
            };
            product = (2 * sum) % 11;
        }
        assert_eq!((11 - product) % 10, 6);
    }

    #[test]
    fn tax_rounds_half_up_and_total_adds_up() {
        assert_eq!(tax_cents(123_450, 25_000), 30_863); // 308.625 -> 308.63
        assert_eq!(tax_cents(100, 8_875), 9); // 0.08875 -> 0.09
        let mut rng = SmallRng::seed_from_u64(3);
        for lang in [Lang::En, Lang::Da, Lang::De].iter().cycle().take(60) {
            let inv = make_invoice(*lang, &mut rng);
            assert_eq!(inv.total, inv.subtotal + inv.tax);
            assert_eq!(
                inv.subtotal,
                inv.items.iter().map(Item::amount).sum::<i64>()
            );
            let term = inv.due.days() - inv.date.days();
            assert!((8..=45).contains(&term));
            assert!(
                inv.due.iso().as_str() <= "2026-10-31" && inv.date.iso().as_str() >= "2023-01-01"
            );
        }
    }

    #[test]
    fn numbers_and_dates_follow_the_locale() {
        let en = NumFmt {
            group: ",",
            decimal: '.',
        };
        let da = NumFmt {
            group: " ",
            decimal: ',',
        };
        assert_eq!(fmt_number(123_456, &en), "1,234.56");
        assert_eq!(fmt_number(123_456_789, &da), "1 234 567,89");
        assert_eq!(fmt_number(5, &en), "0.05");
        assert_eq!(truth_money(123_450), "1234.50");
        assert_eq!(fmt_rate(8_875), "8.875");
        assert_eq!(fmt_rate(25_000), "25");
        let d = Date {
            y: 2024,
            m: 3,
            d: 5,
        };
        assert_eq!(d.days(), 19_787);
        assert_eq!(fmt_date(d, DateFmt::DayMonthYear, Lang::De), "5. März 2024");
        assert_eq!(
            fmt_date(d, DateFmt::MonthDayYear, Lang::En),
            "March 5, 2024"
        );
        assert_eq!(fmt_date(d, DateFmt::UsSlash, Lang::En), "03/05/2024");
        assert_eq!(fmt_date(d, DateFmt::DotNumeric, Lang::Da), "05.03.2024");
        for z in 19_000..20_500 {
            assert_eq!(Date::from_days(z).days(), z);
        }
    }

    #[test]
    fn mixed_kinds_cycle_by_index() {
        let mut counts = std::collections::HashMap::new();
        for i in 0..400 {
            *counts
                .entry(format!("{:?}", kind_of(KindArg::Mixed, i)))
                .or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 4);
        assert!(counts.values().all(|&n| n == 100));
        assert_eq!(kind_of(KindArg::Mixed, 5), KindArg::Receipt);
        assert_eq!(kind_of(KindArg::Receipt, 0), KindArg::Receipt);
    }

    fn cli(out: PathBuf, kind: KindArg, degradation: DegradationArg) -> Cli {
        Cli {
            out,
            count: 4,
            seed: 9,
            degradation,
            language: LanguageArg::Mixed,
            layout: LayoutArg::Mixed,
            format: OutputFormat::Png,
            kind,
            reference: false,
            suppliers: None,
            variety: VarietyArg::Classic,
            layouts: vec![],
            exclude_layouts: vec![],
        }
    }

    /// Each kind's files and stems; the same (seed, index) gives the same bytes.
    #[test]
    fn generation_is_deterministic_per_seed_and_index() {
        let fonts = load_fonts().expect("fonts");
        let base =
            std::env::temp_dir().join(format!("mailroom-samples-test-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        for dir in [&a, &b] {
            fs::create_dir_all(dir).unwrap();
        }
        let (ca, cb) = (
            cli(a.clone(), KindArg::Mixed, DegradationArg::Heavy),
            cli(b.clone(), KindArg::Mixed, DegradationArg::Heavy),
        );
        for i in 0..4 {
            generate_one(&ca, &fonts, i).unwrap();
        }
        // b: the same documents one by one under their own kind, in reverse order.
        for i in (0..4).rev() {
            let mut c = cli(b.clone(), kind_of(KindArg::Mixed, i), DegradationArg::Heavy);
            c.count = 1;
            generate_one(&c, &fonts, i).unwrap();
        }
        let _ = cb;
        for stem in ["inv-9-0000", "rcp-9-0001", "pay-9-0002", "bcf-9-0003"] {
            for ext in ["png", "truth.json"] {
                let name = format!("{stem}.{ext}");
                let (x, y) = (
                    fs::read(a.join(&name)).expect(&name),
                    fs::read(b.join(&name)).expect(&name),
                );
                assert!(x == y, "{name} differs");
            }
            let truth: serde_json::Value =
                serde_json::from_slice(&fs::read(a.join(format!("{stem}.truth.json"))).unwrap())
                    .unwrap();
            let doc_type = truth["doc_type"].as_str().unwrap().to_string();
            let expected = match &stem[..3] {
                "inv" => "invoice",
                "rcp" => "receipt",
                "pay" => "payroll_change",
                _ => "bank_confirmation",
            };
            assert_eq!(doc_type, expected);
            if expected == "payroll_change" {
                let marked: Vec<_> = truth["marks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| m["field"] == "change_type" && m["style"] != "empty")
                    .collect();
                assert_eq!(marked.len(), 1);
                assert_eq!(marked[0]["option"], truth["fields"]["change_type"]);
            }
        }
        fs::remove_dir_all(&base).ok();
    }

    /// `--variety wide`: the same (seed, index) gives the same bytes, whatever the
    /// other documents are; the truth names the variety and a wide layout.
    #[test]
    fn wide_generation_is_deterministic_per_seed_and_index() {
        let fonts = load_fonts().expect("fonts");
        let base =
            std::env::temp_dir().join(format!("mailroom-samples-wide-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        for dir in [&a, &b] {
            fs::create_dir_all(dir).unwrap();
        }
        let wide = |out: PathBuf, kind: KindArg, format: OutputFormat| {
            let mut c = cli(out, kind, DegradationArg::Light);
            c.variety = VarietyArg::Wide;
            c.format = format;
            c
        };
        for i in 0..4 {
            generate_one(
                &wide(a.clone(), KindArg::Mixed, OutputFormat::Png),
                &fonts,
                i,
            )
            .unwrap();
        }
        for i in (0..2).rev() {
            let kind = kind_of(KindArg::Mixed, i);
            generate_one(&wide(b.clone(), kind, OutputFormat::Png), &fonts, i).unwrap();
        }
        for stem in ["inv-9-0000", "rcp-9-0001"] {
            for ext in ["png", "truth.json"] {
                let name = format!("{stem}.{ext}");
                let (x, y) = (
                    fs::read(a.join(&name)).expect(&name),
                    fs::read(b.join(&name)).expect(&name),
                );
                assert!(x == y, "{name} differs");
            }
            let truth: serde_json::Value =
                serde_json::from_slice(&fs::read(a.join(format!("{stem}.truth.json"))).unwrap())
                    .unwrap();
            assert_eq!(truth["variety"], "wide");
            let layout = truth["layout"].as_str().unwrap();
            assert!(
                wide::LAYOUTS.contains(&layout) || layout.starts_with("receipt-"),
                "{layout}"
            );
        }
        // --layouts narrows the draw; an unknown name is refused.
        let mut c = wide(a.clone(), KindArg::Invoice, OutputFormat::Png);
        c.layouts = vec!["bar".into(), "boxed".into()];
        c.exclude_layouts = vec!["boxed".into()];
        assert_eq!(allowed_layouts(&c, &wide::LAYOUTS).unwrap(), vec!["bar"]);
        c.layouts = vec!["nope".into()];
        assert!(check_options(&c).unwrap_err().contains("unknown layout"));
        let mut classic = cli(a.clone(), KindArg::Invoice, DegradationArg::Clean);
        classic.language = LanguageArg::Sv;
        assert!(check_options(&classic)
            .unwrap_err()
            .contains("--variety wide"));
        fs::remove_dir_all(&base).ok();
    }

    #[test]
    fn a4_sizes() {
        assert_eq!(a4_pixels(300), (PAGE_W, PAGE_H));
        assert_eq!(a4_pixels(200), (1654, 2339));
    }
}
