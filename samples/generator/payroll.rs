//! Payroll change requests (`--kind payroll`, stems `pay-{seed}-{i:04}`, doc_type
//! `payroll_change`): an A4 company form in English, Danish or German with labelled fields
//! (label and value on one line, in one or two columns), a row of four "change type"
//! check boxes of which exactly one is marked (hand tick, cross or filled square), and a
//! signature box holding a scribble (about 85 %) or nothing, with a date line beside it.
//!
//! Truth `fields`: `employee_id` (`E` + 5 digits), `employee_name`, `period_start`,
//! `period_end`, `hours` (`37.5`, `160`, `7.25`), `hourly_rate`, `gross_amount`
//! (= hours × rate rounded half-up to cents, as printed), `cost_center` (`CC-4410`),
//! `change_type` (`new_hire`, `rate_change`, `hours_adjustment`, `termination`),
//! `signed` (`"true"`/`"false"`). `marks` lists every check box and the signature box
//! with its style and `bbox` in the written image's pixels: the box corners mapped
//! through the scan's skew/turn and dpi scaling, as the axis-aligned bounds when turned.

use image::{GrayImage, Luma};
use rand::rngs::SmallRng;
use rand::Rng;
use serde_json::{json, Value};

use crate::common::{
    map_box, mark_box, plain_number, round_box, scan_map, scribble, write_doc, Mark, MARK_STYLES,
};
use crate::{
    choose_lang, choose_level, company_name, degrade, fmt_date, fmt_number, pick,
    plan_degradations, random_digits, truth_money, Cli, Country, Date, DateFmt, Face, Fonts, Lang,
    NumFmt, Painter, LEFT, PAGE_H, PAGE_W, RIGHT,
};

pub const CHANGE_TYPES: [&str; 4] = ["new_hire", "rate_change", "hours_adjustment", "termination"];

#[rustfmt::skip]
const FIRST: [&[&str]; 3] = [
    &["Emma", "Oliver", "Sophie", "James", "Amelia", "Harry", "Grace", "Thomas", "Chloe", "Daniel"],
    &["Mette", "Lars", "Sofie", "Mads", "Ida", "Rasmus", "Freja", "Jens", "Anne", "Søren"],
    &["Anna", "Lukas", "Lea", "Jonas", "Marie", "Felix", "Julia", "Paul", "Lena", "Jürgen"],
];
#[rustfmt::skip]
const LAST: [&[&str]; 3] = [
    &["Smith", "Taylor", "Brown", "Wilson", "Clarke", "Walker", "Hughes", "Wright", "Turner", "Hall"],
    &["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Kristensen"],
    &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer"],
];

pub struct Payroll {
    pub lang: Lang,
    pub company: String,
    pub employee_id: String,
    pub name: String,
    pub start: Date,
    pub end: Date,
    /// Hours in hundredths (3750 = 37.5 h).
    pub hours: i64,
    pub rate: i64,
    pub gross: i64,
    pub cost_center: String,
    pub change: usize,
    pub signed: bool,
}

/// Gross pay in cents: hours (hundredths) × rate (cents), rounded half-up to cents.
pub fn gross_cents(hours: i64, rate: i64) -> i64 {
    (hours * rate + 50) / 100
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        Date::ymd(y + 1, 1, 1)
    } else {
        Date::ymd(y, m + 1, 1)
    };
    (next.days() - Date::ymd(y, m, 1).days()) as u32
}

pub fn make_payroll(lang: Lang, rng: &mut SmallRng) -> Payroll {
    let li = match lang {
        Lang::En => 0,
        Lang::Da => 1,
        Lang::De => 2,
    };
    let country = [Country::Gb, Country::Dk, Country::De][li];
    let first = Date::ymd(2023, 1, 1).days();
    let last = Date::ymd(2026, 9, 30).days();
    let (start, end) = if rng.gen_bool(0.4) {
        let d = Date::from_days(rng.gen_range(first..=last));
        (
            Date::ymd(d.y, d.m, 1),
            Date::ymd(d.y, d.m, days_in_month(d.y, d.m)),
        )
    } else {
        let s = rng.gen_range(first..=last);
        (
            Date::from_days(s),
            Date::from_days(s + rng.gen_range(1..=31)),
        )
    };
    let span = end.days() - start.days() + 1;
    let hours = match rng.gen_range(0..3) {
        0 => pick(rng, &[3750, 3700, 4000, 16000, 16033, 14800]),
        1 => rng.gen_range(1..=(span * 8).min(200)) * 100 + pick(rng, &[0, 0, 25, 50, 75]),
        _ => rng.gen_range(4..=40) * 25,
    };
    let rate = match lang {
        Lang::Da => rng.gen_range(150..=450) * 100 + pick(rng, &[0, 0, 50, 25]),
        _ => rng.gen_range(220..=960) * 5,
    };
    Payroll {
        lang,
        company: company_name(country, rng),
        employee_id: format!("E{}", random_digits(rng, 5)),
        name: format!("{} {}", pick(rng, FIRST[li]), pick(rng, LAST[li])),
        start,
        end,
        hours,
        rate,
        gross: gross_cents(hours, rate),
        cost_center: format!("CC-{}", rng.gen_range(1000..9999)),
        change: rng.gen_range(0..4),
        signed: rng.gen_bool(0.85),
    }
}

struct Texts {
    title: &'static str,
    intro: &'static str,
    labels: [&'static str; 8],
    change: &'static str,
    options: [&'static str; 4],
    signature: &'static str,
    date: &'static str,
}

fn texts(lang: Lang) -> Texts {
    match lang {
        Lang::En => Texts {
            title: "Payroll Change Request",
            intro: "Please process the following change for the pay period below.",
            labels: [
                "Employee ID:",
                "Employee name:",
                "Period start:",
                "Period end:",
                "Hours:",
                "Hourly rate:",
                "Gross amount:",
                "Cost center:",
            ],
            change: "Change type:",
            options: ["New hire", "Rate change", "Hours adjustment", "Termination"],
            signature: "Signature",
            date: "Date",
        },
        Lang::Da => Texts {
            title: "Lønændringsanmodning",
            intro: "Venligst registrér nedenstående ændring for lønperioden.",
            labels: [
                "Medarbejdernr.:",
                "Navn:",
                "Periode start:",
                "Periode slut:",
                "Timer:",
                "Timeløn:",
                "Bruttoløn:",
                "Omkostningssted:",
            ],
            change: "Ændringstype:",
            options: ["Nyansættelse", "Lønændring", "Timejustering", "Fratrædelse"],
            signature: "Underskrift",
            date: "Dato",
        },
        Lang::De => Texts {
            title: "Antrag auf Lohnänderung",
            intro: "Bitte die folgende Änderung für den Abrechnungszeitraum erfassen.",
            labels: [
                "Personalnummer:",
                "Name:",
                "Zeitraum von:",
                "Zeitraum bis:",
                "Stunden:",
                "Stundenlohn:",
                "Bruttobetrag:",
                "Kostenstelle:",
            ],
            change: "Art der Änderung:",
            options: [
                "Neueinstellung",
                "Lohnänderung",
                "Stundenkorrektur",
                "Austritt",
            ],
            signature: "Unterschrift",
            date: "Datum",
        },
    }
}

/// Draws the page; returns it with the marks in page (pre-scan) coordinates and the
/// layout name.
pub fn render(
    pr: &Payroll,
    fonts: &Fonts,
    rng: &mut SmallRng,
) -> (GrayImage, Vec<Mark>, &'static str) {
    let fam = &fonts.text[rng.gen_range(0..fonts.text.len())];
    let s = rng.gen_range(36..=44) as f32;
    let mut p = Painter {
        img: GrayImage::from_pixel(PAGE_W, PAGE_H, Luma([255])),
        regular: &fam.regular,
        bold: &fam.bold,
        number: &fam.regular,
        number_bold: &fam.bold,
        size: s,
        ink: rng.gen_range(0..=40),
    };
    let t = texts(pr.lang);
    let nf = NumFmt::of(pr.lang);
    let (pre, suf) = match pr.lang {
        Lang::En => pick(rng, &[("£", ""), ("GBP ", ""), ("", "")]),
        Lang::Da => pick(rng, &[("", " kr."), ("DKK ", ""), ("", "")]),
        Lang::De => pick(rng, &[("", " €"), ("", " EUR"), ("", "")]),
    };
    let money = |c: i64| format!("{pre}{}{suf}", fmt_number(c, &nf));
    let date_fmt = match pr.lang {
        Lang::En => pick(
            rng,
            &[DateFmt::DayMonthYear, DateFmt::Iso, DateFmt::DotNumeric],
        ),
        Lang::Da => pick(
            rng,
            &[
                DateFmt::DotNumeric,
                DateFmt::DashNumeric,
                DateFmt::DayMonthYear,
            ],
        ),
        Lang::De => pick(rng, &[DateFmt::DotNumeric, DateFmt::DayMonthYear]),
    };
    // DotNumeric in English reads as a British "05.03.2024"; keep English to its own forms.
    let date_fmt = if pr.lang == Lang::En && matches!(date_fmt, DateFmt::DotNumeric) {
        DateFmt::MonthDayYear
    } else {
        date_fmt
    };
    let hours = {
        let h = if rng.gen_bool(0.5) {
            plain_number(pr.hours)
        } else {
            format!("{}.{:02}", pr.hours / 100, pr.hours % 100)
        };
        if pr.lang == Lang::En {
            h
        } else {
            h.replace('.', ",")
        }
    };
    let values = [
        pr.employee_id.clone(),
        pr.name.clone(),
        fmt_date(pr.start, date_fmt, pr.lang),
        fmt_date(pr.end, date_fmt, pr.lang),
        hours,
        money(pr.rate),
        money(pr.gross),
        pr.cost_center.clone(),
    ];

    // Header.
    let mut y = rng.gen_range(220.0..300.0);
    p.text(Face::Bold, s * 1.3, LEFT, y, &pr.company);
    y += s * 1.6;
    p.text(
        Face::Regular,
        s * 0.8,
        LEFT,
        y,
        pick(
            rng,
            &[
                "Human Resources / Payroll",
                "HR · Payroll",
                "Personnel department",
            ],
        ),
    );
    y += s * 3.0;
    let title_px = s * rng.gen_range(1.6..2.1);
    if rng.gen_bool(0.5) {
        p.text(Face::Bold, title_px, LEFT, y, t.title);
    } else {
        p.text_centered(Face::Bold, title_px, (LEFT + RIGHT) / 2.0, y, t.title);
    }
    y += s * 0.8;
    p.hline(LEFT, RIGHT, y, 3.0);
    y += s * 2.2;
    p.text(Face::Regular, s, LEFT, y, t.intro);
    y += s * 2.6;

    // Fields.
    let two_col = rng.gen_bool(0.5);
    let ruled = rng.gen_bool(0.4);
    let step = s * rng.gen_range(1.8..2.3);
    let columns: Vec<Vec<usize>> = if two_col {
        vec![vec![0, 1, 7, 4], vec![2, 3, 5, 6]]
    } else {
        vec![(0..8).collect()]
    };
    let col_x = [LEFT, 1340.0];
    let mut bottom = y;
    for (c, idxs) in columns.iter().enumerate() {
        let x = col_x[c];
        let label_w = idxs
            .iter()
            .map(|&i| p.width(Face::Bold, s, t.labels[i]))
            .fold(0.0, f32::max);
        let vx = x + label_w + 40.0;
        let mut yy = y;
        for &i in idxs {
            p.text(Face::Bold, s, x, yy, t.labels[i]);
            p.text(Face::Regular, s, vx, yy, &values[i]);
            if ruled {
                let end = if two_col && c == 0 { 1240.0 } else { RIGHT };
                p.hline(vx - 10.0, end, yy + s * 0.35, 2.0);
            }
            yy += step;
        }
        bottom = bottom.max(yy);
    }
    y = bottom + s * 1.5;

    // Change type check boxes.
    let mut marks = Vec::new();
    p.text(Face::Bold, s, LEFT, y, t.change);
    y += s * 2.2;
    let side = rng.gen_range(40.0..=60.0f32).round();
    let bw = rng.gen_range(3..=5) as f32;
    let style = pick(rng, &MARK_STYLES);
    let widths: Vec<f32> = t
        .options
        .iter()
        .map(|o| side + 25.0 + p.width(Face::Regular, s, o))
        .collect();
    let gap = ((RIGHT - LEFT - widths.iter().sum::<f32>()) / 3.0).min(120.0);
    let mut x = LEFT;
    for (k, opt) in t.options.iter().enumerate() {
        let (bx0, by0) = (x, y - side * 0.5 - s * 0.36);
        let (bx1, by1) = (bx0 + side, by0 + side);
        p.rect_outline(bx0, by0, bx1, by1, bw);
        p.text(Face::Regular, s, bx1 + 25.0, y, opt);
        let st = if k == pr.change {
            let mut img = std::mem::take(&mut p.img);
            mark_box(&mut img, rng, style, (bx0, by0, bx1, by1), bw);
            p.img = img;
            style
        } else {
            "empty"
        };
        marks.push(Mark {
            field: "change_type",
            option: Some(CHANGE_TYPES[k]),
            style: st,
            bbox: [bx0, by0, bx1, by1].map(|v| v as i32),
        });
        x += widths[k] + gap;
    }
    y += s * 4.0;

    // Signature box and date line.
    let (sw, sh) = (
        rng.gen_range(660.0..760.0f32).round(),
        rng.gen_range(160.0..200.0f32).round(),
    );
    let caption_above = rng.gen_bool(0.5);
    let top = if caption_above { y + s * 0.5 } else { y - s };
    if caption_above {
        p.text(Face::Regular, s * 0.9, LEFT, y - s * 0.3, t.signature);
    }
    p.rect_outline(LEFT, top, LEFT + sw, top + sh, 3.0);
    if !caption_above {
        p.text(
            Face::Regular,
            s * 0.9,
            LEFT,
            top + sh + s * 1.3,
            t.signature,
        );
    }
    let dx = LEFT + sw + 150.0;
    p.text(
        Face::Regular,
        s,
        dx,
        top + sh - 10.0,
        &format!("{}:", t.date),
    );
    let dw = p.width(Face::Regular, s, &format!("{}:", t.date));
    p.hline(dx + dw + 20.0, (dx + dw + 520.0).min(RIGHT), top + sh, 2.0);
    if pr.signed {
        let mut img = std::mem::take(&mut p.img);
        scribble(
            &mut img,
            rng,
            LEFT + 10.0,
            top + 10.0,
            LEFT + sw - 10.0,
            top + sh - 10.0,
        );
        p.img = img;
    }
    marks.push(Mark {
        field: "signed",
        option: None,
        style: if pr.signed { "signed" } else { "empty" },
        bbox: [LEFT, top, LEFT + sw, top + sh].map(|v| v as i32),
    });

    // Footer.
    let fy = PAGE_H as f32 - 260.0;
    p.hline(LEFT, RIGHT, fy - s * 1.2, 2.0);
    let code = format!("HR-{:02} · {}", rng.gen_range(1..40), pr.company);
    p.text(Face::Regular, s * 0.75, LEFT, fy, &code);
    (
        p.img,
        marks,
        if two_col { "two-column" } else { "one-column" },
    )
}

pub fn truth(
    pr: &Payroll,
    layout: &str,
    level: &str,
    degradations: Value,
    marks: &[Mark],
) -> Value {
    json!({
        "doc_type": "payroll_change",
        "layout": layout,
        "language": pr.lang.code(),
        "degradation": level,
        "degradations": degradations,
        "fields": {
            "employee_id": pr.employee_id,
            "employee_name": pr.name,
            "period_start": pr.start.iso(),
            "period_end": pr.end.iso(),
            "hours": plain_number(pr.hours),
            "hourly_rate": truth_money(pr.rate),
            "gross_amount": truth_money(pr.gross),
            "cost_center": pr.cost_center,
            "change_type": CHANGE_TYPES[pr.change],
            "signed": pr.signed.to_string(),
        },
        "line_items": [],
        "marks": marks,
    })
}

pub fn generate(cli: &Cli, fonts: &Fonts, index: u32, mut rng: SmallRng) -> Result<(), String> {
    let lang = choose_lang(cli.language, &mut rng);
    let level = choose_level(cli.degradation, &mut rng);
    let pr = make_payroll(lang, &mut rng);
    let (page, mut marks, layout) = render(&pr, fonts, &mut rng);
    let plan = plan_degradations(level, &mut rng);
    let to_scan = scan_map(&plan, page.width(), page.height());
    for m in &mut marks {
        m.bbox = round_box(map_box(&to_scan, m.bbox.map(|v| v as f32)));
    }
    let img = degrade(page, &plan, &mut rng)?;
    let dpi = plan.dpi;
    let degradations = serde_json::to_value(&plan).map_err(|e| e.to_string())?;
    let t = truth(&pr, layout, level.name(), degradations, &marks);
    write_doc(cli, &format!("pay-{}-{index:04}", cli.seed), &img, dpi, &t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn payroll_truth_is_consistent() {
        assert_eq!(gross_cents(3750, 1850), 69_375);
        assert_eq!(gross_cents(725, 1999), 14_493); // 144.9275 -> 144.93
        assert_eq!(plain_number(3750), "37.5");
        assert_eq!(plain_number(16000), "160");
        assert_eq!(plain_number(725), "7.25");
        let mut rng = SmallRng::seed_from_u64(5);
        let mut unsigned = 0;
        for lang in [Lang::En, Lang::Da, Lang::De].iter().cycle().take(600) {
            let pr = make_payroll(*lang, &mut rng);
            assert_eq!(pr.gross, (pr.hours * pr.rate + 50) / 100);
            let span = pr.end.days() - pr.start.days();
            assert!(
                (1..=31).contains(&span),
                "{} .. {}",
                pr.start.iso(),
                pr.end.iso()
            );
            assert!(pr.end.iso() > pr.start.iso());
            assert!(pr.employee_id.len() == 6 && pr.employee_id.starts_with('E'));
            assert!(pr.cost_center.starts_with("CC-"));
            unsigned += usize::from(!pr.signed);
        }
        assert!(
            (40..150).contains(&unsigned),
            "about 15 % unsigned: {unsigned}"
        );
    }
}
