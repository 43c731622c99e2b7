//! The worked fixed form (`--kind form`, stems `bcf-{seed}-{i:04}`, doc_type
//! `bank_confirmation`): Nordhavn Savings Bank's "Bank Account Confirmation", form
//! NSB-112. The printed form never changes (DejaVu Sans, fixed geometry on A4 at
//! 300 dpi); only the typed values (a monospace "filled-in" font) and the marks do.
//!
//! Anchors: "Nordhavn Savings Bank" and "Form NSB-112" on the top line, the title "BANK
//! ACCOUNT CONFIRMATION" under them, and the footer "NSB-112 rev. 2024 · Nordhavn Savings
//! Bank · Page 1 of 1". Numbered ruled boxes, caption top-left inside, value below it:
//! 1 Account holder, 2 IBAN (groups of 4), 3 BIC, 4 Date account opened (DD.MM.YYYY),
//! 5 Balance at confirmation date (EUR) (`12,345.67`), 6 Confirmation date; 7 is a check
//! box "The account is held in the holder's sole name" (ticked/crossed/filled = true,
//! empty = false, ~50/50); 8 "Authorised signature and stamp" (scribble ~85 %).
//!
//! Each filled sample's page is placed with a random similarity transform BEFORE the scan
//! degradations — shift ±80 px, scale 0.95–1.05, turn ±1.5° about the page centre —
//! recorded under `placement`. `boxes` and `anchors` give the form's geometry in the
//! reference (unplaced) page; `marks` bboxes are in the written image's pixels (mapped
//! through placement and scan). `--reference` writes every form sample unplaced and
//! clean (same values as without the flag) plus the unfilled `bcf-{seed}-blank`.

use image::{GrayImage, Luma};
use rand::rngs::SmallRng;
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::common::{
    map_box, mark_box, mul, project, round_box, scan_map, scribble, similarity, write_doc, Mark,
    MARK_STYLES,
};
use crate::{
    choose_level, company_name, degrade, fmt_number, group4, iban, pick, plan_degradations,
    random_digits, truth_money, Cli, Country, Date, Face, Fonts, Level, NumFmt, Painter, DE_BANKS,
    DK_BANKS, GB_BANKS, LEFT, PAGE_H, PAGE_W, RIGHT,
};

pub const TITLE: &str = "BANK ACCOUNT CONFIRMATION";
pub const BANK: &str = "Nordhavn Savings Bank";
pub const FORM_NO: &str = "Form NSB-112";
pub const FOOTER: &str = "NSB-112 rev. 2024 · Nordhavn Savings Bank · Page 1 of 1";

const NL_BANKS: &[(&str, &str)] = &[
    ("ABNANL2A", "ABNA"),
    ("INGBNL2A", "INGB"),
    ("RABONL2U", "RABO"),
];
#[rustfmt::skip]
const PEOPLE: &[&str] = &["Mette Kristensen", "Jonas Becker", "Emma Clarke", "Pieter de Vries", "Søren Rasmussen", "Anna Hoffmann", "Oliver Hughes", "Sanne Jansen"];

/// (field, caption, box x0, y0, x1, y1) — the fixed ruled boxes of NSB-112.
#[rustfmt::skip]
pub const BOXES: [(&str, &str, f32, f32, f32, f32); 7] = [
    ("account_holder", "1  Account holder", LEFT, 700.0, RIGHT, 890.0),
    ("iban", "2  IBAN", LEFT, 920.0, RIGHT, 1110.0),
    ("bic", "3  BIC", LEFT, 1140.0, 1220.0, 1330.0),
    ("opened_date", "4  Date account opened", 1260.0, 1140.0, RIGHT, 1330.0),
    ("balance", "5  Balance at confirmation date (EUR)", LEFT, 1360.0, 1220.0, 1550.0),
    ("confirmation_date", "6  Confirmation date", 1260.0, 1360.0, RIGHT, 1550.0),
    ("signed", "8  Authorised signature and stamp", LEFT, 1840.0, 1500.0, 2240.0),
];
/// The check box of item 7: number at LEFT, box, then the statement.
const CHECK: (f32, f32, f32) = (LEFT + 70.0, 1660.0, 56.0);
const CHECK_TEXT: &str = "The account is held in the holder's sole name";

pub struct Confirmation {
    pub holder: String,
    pub iban: String,
    pub bic: String,
    pub opened: Date,
    pub balance: i64,
    pub confirmed: Date,
    pub sole: bool,
    pub signed: bool,
}

pub fn make(rng: &mut SmallRng) -> Confirmation {
    let country = pick(rng, &["DK", "DE", "NL", "GB"]);
    let (bic, iban_s) = match country {
        "DK" => {
            let (b, code) = pick(rng, DK_BANKS);
            (b, iban("DK", &format!("{code}{}", random_digits(rng, 10))))
        }
        "DE" => {
            let (b, code) = pick(rng, DE_BANKS);
            (b, iban("DE", &format!("{code}{}", random_digits(rng, 10))))
        }
        "NL" => {
            let (b, code) = pick(rng, NL_BANKS);
            (b, iban("NL", &format!("{code}{}", random_digits(rng, 10))))
        }
        _ => {
            let (b, code) = pick(rng, GB_BANKS);
            (b, iban("GB", &format!("{code}{}", random_digits(rng, 12))))
        }
    };
    let holder = if rng.gen_bool(0.5) {
        pick(rng, PEOPLE).to_string()
    } else {
        company_name(pick(rng, &[Country::Dk, Country::De, Country::Gb]), rng)
    };
    let opened =
        Date::from_days(rng.gen_range(Date::ymd(2000, 1, 1).days()..Date::ymd(2024, 6, 30).days()));
    let confirmed = Date::from_days(rng.gen_range(
        opened.days().max(Date::ymd(2023, 1, 1).days()) + 1..=Date::ymd(2026, 10, 31).days(),
    ));
    let balance = match rng.gen_range(0..3) {
        0 => rng.gen_range(0..100_000),
        1 => rng.gen_range(100_000..10_000_000),
        _ => rng.gen_range(10_000_000..500_000_000),
    };
    Confirmation {
        holder,
        iban: iban_s,
        bic: bic.to_string(),
        opened,
        balance,
        confirmed,
        sole: rng.gen_bool(0.5),
        signed: rng.gen_bool(0.85),
    }
}

fn dotted(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.d, d.m, d.y)
}

fn text_box(p: &Painter, face: Face, px: f32, x: f32, baseline: f32, text: &str) -> [f32; 4] {
    [
        x,
        baseline - px * 0.75,
        x + p.width(face, px, text),
        baseline + px * 0.22,
    ]
}

/// Draws the printed form, filled with `c` when given. Returns the page, the marks in
/// page coordinates and the anchors' boxes.
pub fn render(
    c: Option<&Confirmation>,
    fonts: &Fonts,
    rng: &mut SmallRng,
) -> (GrayImage, Vec<Mark>, Map<String, Value>) {
    let fam = &fonts.text[0];
    let mono = &fonts.mono[rng.gen_range(0..fonts.mono.len())];
    let mut p = Painter {
        img: GrayImage::from_pixel(PAGE_W, PAGE_H, Luma([255])),
        regular: &fam.regular,
        bold: &fam.bold,
        number: &mono.regular,
        number_bold: &mono.bold,
        size: 40.0,
        ink: 20,
    };
    let mut anchors = Map::new();
    let mut anchor = |name: &str, b: [f32; 4]| {
        anchors.insert(name.to_string(), json!(b.map(|v| v.round() as i32)));
    };
    anchor("bank", text_box(&p, Face::Bold, 56.0, LEFT, 300.0, BANK));
    p.text(Face::Bold, 56.0, LEFT, 300.0, BANK);
    let fw = p.width(Face::Regular, 40.0, FORM_NO);
    anchor(
        "form_no",
        text_box(&p, Face::Regular, 40.0, RIGHT - fw, 300.0, FORM_NO),
    );
    p.text_right(Face::Regular, 40.0, RIGHT, 300.0, FORM_NO);
    anchor("title", text_box(&p, Face::Bold, 84.0, LEFT, 470.0, TITLE));
    p.text(Face::Bold, 84.0, LEFT, 470.0, TITLE);
    p.hline(LEFT, RIGHT, 510.0, 4.0);
    p.text(
        Face::Regular,
        36.0,
        LEFT,
        600.0,
        "We confirm the following details of the account held with us at the confirmation date.",
    );
    for (_, caption, x0, y0, x1, y1) in BOXES {
        p.rect_outline(x0, y0, x1, y1, 3.0);
        p.text(Face::Bold, 30.0, x0 + 20.0, y0 + 44.0, caption);
    }
    let (cx, cy, side) = CHECK;
    p.text(Face::Bold, 40.0, LEFT, cy + side - 12.0, "7");
    p.rect_outline(cx, cy, cx + side, cy + side, 4.0);
    p.text(
        Face::Regular,
        40.0,
        cx + side + 30.0,
        cy + side - 12.0,
        CHECK_TEXT,
    );
    let fy = PAGE_H as f32 - 220.0;
    p.hline(LEFT, RIGHT, fy - 60.0, 2.0);
    let fw = p.width(Face::Regular, 30.0, FOOTER);
    let fx = (PAGE_W as f32 - fw) / 2.0;
    anchor("footer", text_box(&p, Face::Regular, 30.0, fx, fy, FOOTER));
    p.text(Face::Regular, 30.0, fx, fy, FOOTER);

    let mut marks = Vec::new();
    let Some(c) = c else {
        return (p.img, marks, anchors);
    };
    let en = NumFmt {
        group: ",",
        decimal: '.',
    };
    let values = [
        c.holder.clone(),
        group4(&c.iban),
        c.bic.clone(),
        dotted(c.opened),
        fmt_number(c.balance, &en),
        dotted(c.confirmed),
    ];
    p.ink = rng.gen_range(0..=50);
    let vpx = rng.gen_range(46.0..56.0f32).round();
    for (k, v) in values.iter().enumerate() {
        let (_, _, x0, y0, x1, _) = BOXES[k];
        let dx = rng.gen_range(20.0..60.0);
        let px = p.fit(Face::Number, vpx, x1 - x0 - dx - 30.0, v);
        p.text(
            Face::Number,
            px,
            x0 + dx,
            y0 + 130.0 + rng.gen_range(-8.0..8.0),
            v,
        );
    }
    let style = if c.sole {
        pick(rng, &MARK_STYLES)
    } else {
        "empty"
    };
    if c.sole {
        let mut img = std::mem::take(&mut p.img);
        mark_box(&mut img, rng, style, (cx, cy, cx + side, cy + side), 4.0);
        p.img = img;
    }
    marks.push(Mark {
        field: "sole_holder",
        option: None,
        style,
        bbox: [cx, cy, cx + side, cy + side].map(|v| v as i32),
    });
    let (_, _, x0, y0, x1, y1) = BOXES[6];
    if c.signed {
        let mut img = std::mem::take(&mut p.img);
        scribble(
            &mut img,
            rng,
            x0 + 60.0,
            y0 + 80.0,
            x0 + 60.0 + (x1 - x0) * 0.55,
            y1 - 30.0,
        );
        p.img = img;
    }
    marks.push(Mark {
        field: "signed",
        option: None,
        style: if c.signed { "signed" } else { "empty" },
        bbox: [x0, y0, x1, y1].map(|v| v as i32),
    });
    (p.img, marks, anchors)
}

fn boxes_json() -> Value {
    let mut m = Map::new();
    for (field, _, x0, y0, x1, y1) in BOXES {
        m.insert(
            field.to_string(),
            json!([x0 as i32, y0 as i32, x1 as i32, y1 as i32]),
        );
    }
    let (cx, cy, side) = CHECK;
    m.insert(
        "sole_holder".into(),
        json!([cx as i32, cy as i32, (cx + side) as i32, (cy + side) as i32]),
    );
    Value::Object(m)
}

pub fn generate(cli: &Cli, fonts: &Fonts, index: u32, mut rng: SmallRng) -> Result<(), String> {
    let mut level = choose_level(cli.degradation, &mut rng);
    let c = make(&mut rng);
    let (page, mut marks, anchors) = render(Some(&c), fonts, &mut rng);
    let sign = |rng: &mut SmallRng| if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    let (mut dx, mut dy) = (
        rng.gen_range(-80..=80) as f64,
        rng.gen_range(-80..=80) as f64,
    );
    let mut scale = (rng.gen_range(0.95..1.05f64) * 1000.0).round() / 1000.0;
    let mut deg = (sign(&mut rng) * rng.gen_range(0.0..1.5f64) * 100.0).round() / 100.0;
    if cli.reference {
        (dx, dy, scale, deg) = (0.0, 0.0, 1.0, 0.0);
        level = Level::Clean;
    }
    let (w, h) = (PAGE_W as f64, PAGE_H as f64);
    let place = similarity(deg, scale, w / 2.0, h / 2.0, dx, dy);
    let page = if cli.reference {
        page
    } else {
        project(&page, &place, PAGE_W, PAGE_H, |_, _| 255)
    };
    let plan = plan_degradations(level, &mut rng);
    let to_out = mul(&scan_map(&plan, PAGE_W, PAGE_H), &place);
    for m in &mut marks {
        m.bbox = round_box(map_box(&to_out, m.bbox.map(|v| v as f32)));
    }
    let img = degrade(page, &plan, &mut rng)?;
    let dpi = plan.dpi;
    let degradations = serde_json::to_value(&plan).map_err(|e| e.to_string())?;
    let t = json!({
        "doc_type": "bank_confirmation",
        "layout": "nsb-112",
        "language": "en",
        "degradation": level.name(),
        "degradations": degradations,
        "placement": {"shift_x": dx, "shift_y": dy, "scale": scale, "rotation_deg": deg},
        "fields": {
            "account_holder": c.holder,
            "iban": c.iban,
            "bic": c.bic,
            "opened_date": c.opened.iso(),
            "balance": truth_money(c.balance),
            "confirmation_date": c.confirmed.iso(),
            "sole_holder": c.sole.to_string(),
            "signed": c.signed.to_string(),
        },
        "line_items": [],
        "marks": marks,
        "boxes": boxes_json(),
        "anchors": anchors,
    });
    write_doc(cli, &format!("bcf-{}-{index:04}", cli.seed), &img, dpi, &t)
}

/// `--reference`: the unfilled form, unplaced and clean, with its geometry.
pub fn write_blank(cli: &Cli, fonts: &Fonts) -> Result<(), String> {
    let mut rng = crate::doc_rng(cli.seed, u32::MAX);
    let (page, _, anchors) = render(None, fonts, &mut rng);
    let t = json!({
        "doc_type": "bank_confirmation",
        "layout": "nsb-112",
        "language": "en",
        "degradation": "clean",
        "reference": true,
        "placement": {"shift_x": 0.0, "shift_y": 0.0, "scale": 1.0, "rotation_deg": 0.0},
        "fields": {},
        "boxes": boxes_json(),
        "anchors": anchors,
    });
    write_doc(cli, &format!("bcf-{}-blank", cli.seed), &page, 300, &t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mod97;
    use rand::SeedableRng;

    #[test]
    fn form_values_are_valid() {
        let mut rng = SmallRng::seed_from_u64(9);
        let mut countries = std::collections::BTreeSet::new();
        for _ in 0..400 {
            let c = make(&mut rng);
            assert_eq!(
                mod97(&format!("{}{}", &c.iban[4..], &c.iban[..4])),
                1,
                "IBAN {}",
                c.iban
            );
            assert_eq!(c.iban, c.iban.to_uppercase());
            let len = match &c.iban[..2] {
                "DK" => 18,
                "NL" => 18,
                "DE" => 22,
                _ => 22,
            };
            assert_eq!(c.iban.len(), len, "{}", c.iban);
            countries.insert(c.iban[..2].to_string());
            assert!(c.confirmed.days() > c.opened.days());
        }
        assert_eq!(countries.len(), 4);
    }
}
