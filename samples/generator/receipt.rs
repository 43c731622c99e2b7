//! Thermal-printer till receipts (`--kind receipt`, stems `rcp-{seed}-{i:04}`).
//!
//! A 58 mm (685 px) or 80 mm (945 px) wide strip at 300 dpi, as long as its content:
//! centred merchant header (a "logo" line — bold, sometimes letter-spaced or white on a
//! black band — then street, postcode + city, phone and a VAT/org-number line), a date +
//! time line and a receipt/till number, 5–25 item lines, the totals block, payment lines
//! and a footer, sometimes with a fake barcode. English (GBP/VAT, USD/TAX, AUD/GST), Danish
//! (DKK, MOMS, `1.234,56`) and German (EUR, MwSt, `1.234,56`).
//!
//! **Totals.** Tax is either added (`SUBTOTAL`, `VAT 20%`, `TOTAL`) or included
//! (`TOTAL`, then `incl. VAT 20%` / `Heraf moms 25%` / `enthaltene MwSt 19%`); truth
//! `tax_amount` is the printed tax amount either way. Cash payments in DKK (to 0.50) and
//! AUD (to 0.05) may be rounded: `ROUNDING -0.02` then `TOTAL TO PAY` / `AT BETALE`; then
//! the truth `total` is that rounded amount to pay, otherwise the `TOTAL` amount. Payment
//! lines after it (`CASH 200.00`, `CHANGE 76.55`, `VISA **** 1234 123.45`) repeat or
//! exceed the total and are never the truth. `merchant_address` is the street line and
//! the postcode/city line joined with ", "; line-item `unit_price` is null when the
//! receipt prints no unit price for that line (quantity-1 lines, "2 x Item 7.00").
//!
//! **Receipt degradations**, on top of the usual level (recorded under `degradations`
//! as `faded`, `photo`, `shadow`, each null when not applied):
//! `faded` — grey ink (120–190) on off-white thermal paper, fading unevenly along the
//! length; `photo` — the receipt photographed on a darker textured table: turned ±2–10°,
//! keystoned, scaled so the x-height is 10–16 px, lighting gradient, PNG/JPEG written at
//! 72 dpi (the level's skew/200 dpi/upside-down are not applied then, its noise, blur
//! and JPEG are); `shadow` — a soft dark hand/edge shadow over part of the receipt.
//! `--degradation clean` adds none; otherwise each receipt draws 25 % each of none,
//! faded, photo, shadow, and at `heavy` a photo gets a shadow half the time. The
//! `degradation` string names the level and the effects: `light+faded`,
//! `heavy+photo+shadow`.

use image::{GrayImage, Luma};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use crate::common::{homography, project, write_doc};
use crate::{
    choose_lang, choose_level, cvr, de_vat, degrade, draw_text, fmt_number, gb_vat, party, phone,
    pick, plan_degradations, random_digits, tax_cents, text_width, truth_money, Cli, Country, Date,
    DegradationArg, Face, Fonts, Lang, Level, NumFmt, Painter, VarietyArg,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Region {
    Gb,
    Us,
    Au,
    Dk,
    De,
}

/// (English, Danish, German, price range in euro cents)
#[rustfmt::skip]
const GOODS: &[(&str, &str, &str, i64, i64)] = &[
    ("Coffee latte", "Caffe latte", "Milchkaffee", 280, 450),
    ("Cappuccino", "Cappuccino", "Cappuccino", 260, 420),
    ("Croissant", "Croissant", "Croissant", 150, 320),
    ("Blueberry muffin", "Blåbærmuffin", "Blaubeermuffin", 220, 380),
    ("Milk 1L", "Minimælk 1 l", "Vollmilch 1 l", 90, 160),
    ("Rye bread", "Rugbrød", "Roggenbrot", 180, 420),
    ("Bananas 1kg", "Bananer 1 kg", "Bananen 1 kg", 120, 250),
    ("Water 0.5L", "Kildevand 0,5 l", "Mineralwasser 0,5 l", 60, 180),
    ("Ham sandwich", "Sandwich m. skinke", "Schinkenbrot", 350, 650),
    ("Chocolate bar", "Chokoladebar", "Schokoriegel", 80, 220),
    ("Newspaper", "Avis", "Tageszeitung", 150, 400),
    ("Batteries AA 4pk", "Batterier AA 4 stk", "Batterien AA 4er", 350, 800),
    ("Tomatoes 500g", "Tomater 500 g", "Tomaten 500 g", 120, 300),
    ("Pasta 500g", "Pasta 500 g", "Nudeln 500 g", 90, 250),
    ("Olive oil 0.5L", "Olivenolie 0,5 l", "Olivenöl 0,5 l", 400, 900),
    ("Cheddar 200g", "Ost 200 g", "Gouda 200 g", 250, 500),
    ("Eggs 12pk", "Æg 12 stk", "Eier 10 Stück", 250, 450),
    ("Apple juice 1L", "Æblejuice 1 l", "Apfelsaft 1 l", 120, 300),
    ("Green tea", "Grøn te", "Grüner Tee", 200, 380),
    ("Beer 33cl", "Øl 33 cl", "Bier 0,33 l", 120, 350),
    ("Shampoo 250ml", "Shampoo 250 ml", "Shampoo 250 ml", 250, 700),
    ("Paper towels", "Køkkenrulle", "Küchenrolle", 200, 450),
    ("Orange juice", "Appelsinjuice", "Orangensaft", 150, 350),
    ("Carrier bag", "Bærepose", "Tragetasche", 10, 50),
    ("Butter 250g", "Smør 250 g", "Butter 250 g", 180, 350),
];

#[rustfmt::skip]
const SHOPS: &[(&str, &[&str], &[&str])] = &[
    ("en", &["Kestrel", "Harbourview", "Oakmere", "Redwood", "Bluewater", "Ashford", "Corner", "Northgate"], &["Coffee", "Cafe", "Market", "Foods", "Deli", "Grocers", "Express", "Pharmacy"]),
    ("da", &["Nordlys", "Havblik", "Søhøj", "Bøgely", "Kystlys", "Hjørne", "Torve"], &["Kaffebar", "Bageri", "Købmand", "Kiosk", "Café", "Marked", "Apotek"]),
    ("de", &["Becker", "Krüger", "Sonnen", "Linden", "Markt", "Stadt", "Wagner"], &["Bäckerei", "Café", "Markt", "Kiosk", "Feinkost", "Drogerie", "Getränke"]),
];

const AU_STREETS: &[&str] = &[
    "George Street",
    "Collins Street",
    "Queen Street",
    "King William Street",
    "Hay Street",
];
const AU_CITIES: &[&str] = &[
    "Sydney NSW 2000",
    "Melbourne VIC 3000",
    "Brisbane QLD 4000",
    "Adelaide SA 5000",
    "Perth WA 6000",
];

#[derive(Clone, Debug)]
pub struct RItem {
    pub description: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub unit_printed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Other,
    Subtotal,
    Tax,
    Total,
    ToPay,
}

/// One printed row of the receipt.
#[derive(Clone, Debug)]
pub enum Row {
    /// Centred text: (text, size factor, bold, letter spacing in em, white on black)
    Centre(String, f32, bool, f32, bool),
    /// Left text and right-aligned text (amount), bold, role, and the index of the
    /// line item whose description the left text holds.
    Split(String, String, bool, Role, Option<usize>),
    Left(String, Option<usize>),
    Rule(char),
    Barcode,
    Gap(f32),
}

impl Row {
    /// An item row: its text left, its amount right, not bold; `item` names the line
    /// item whose description the text holds.
    pub fn item(text: String, amount: String, item: Option<usize>) -> Row {
        Row::Split(text, amount, false, Role::Other, item)
    }
}

pub struct Receipt {
    /// The language code the truth names (the classic receipts' `lang`, or a wide one's).
    pub code: &'static str,
    pub currency: &'static str,
    pub merchant: String,
    pub street: String,
    pub city: String,
    pub date: Date,
    pub items: Vec<RItem>,
    pub tax: i64,
    /// The truth total: the amount to pay (rounded when a rounding line is printed).
    pub total: i64,
    pub rows: Vec<Row>,
    /// How amounts are printed (read back by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub num: NumFmt,
    pub wide: bool,
}

/// Printed amount: locale number with an optional currency prefix/suffix.
fn money(cents: i64, nf: &NumFmt, cur: (&str, &str)) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{}{sign}{}{}", cur.0, fmt_number(cents.abs(), nf), cur.1)
}

fn pick_s<const N: usize>(rng: &mut SmallRng, xs: [String; N]) -> String {
    let i = rng.gen_range(0..N);
    xs.into_iter().nth(i).unwrap()
}

/// Cash rounding step in cents for the currency (0 = none).
fn rounding_step(currency: &str) -> i64 {
    match currency {
        "DKK" => 50,
        "AUD" => 5,
        _ => 0,
    }
}

pub fn make_receipt(lang: Lang, rng: &mut SmallRng) -> Receipt {
    let region = match lang {
        Lang::Da => Region::Dk,
        Lang::De => Region::De,
        Lang::En => pick(rng, &[Region::Gb, Region::Us, Region::Au]),
    };
    let currency = match region {
        Region::Gb => "GBP",
        Region::Us => "USD",
        Region::Au => "AUD",
        Region::Dk => "DKK",
        Region::De => "EUR",
    };
    let num = NumFmt::of(lang);
    let shops = SHOPS.iter().find(|s| s.0 == lang.code()).unwrap();
    let (a, b) = (pick(rng, shops.1), pick(rng, shops.2));
    let merchant = if lang == Lang::De && rng.gen_bool(0.5) {
        format!("{b} {a}")
    } else {
        format!("{a} {b}")
    };
    let (street, city) = match region {
        Region::Au => (
            format!("{} {}", rng.gen_range(1..400), pick(rng, AU_STREETS)),
            pick(rng, AU_CITIES).to_string(),
        ),
        r => {
            let c = match r {
                Region::Gb => Country::Gb,
                Region::Us => Country::Us,
                Region::Dk => Country::Dk,
                _ => Country::De,
            };
            let p = party(c, rng);
            (p.street, p.city)
        }
    };
    let tel = match region {
        Region::Au => format!("(02) 9{} {}", random_digits(rng, 3), random_digits(rng, 4)),
        Region::Gb => phone(Country::Gb, rng),
        Region::Us => phone(Country::Us, rng),
        Region::Dk => phone(Country::Dk, rng),
        Region::De => phone(Country::De, rng),
    };
    let tax_line = match region {
        Region::Dk => format!("{} {}", pick(rng, &["CVR", "CVR-nr.", "CVR nr:"]), cvr(rng)),
        Region::De => format!(
            "{} DE{}",
            pick(rng, &["USt-IdNr.", "USt-ID:", "St.-Nr./USt-IdNr."]),
            de_vat(rng)
        ),
        Region::Gb => format!(
            "{} GB{}",
            pick(rng, &["VAT", "VAT No", "VAT Reg No"]),
            gb_vat(rng)
        ),
        Region::Au => {
            let d = random_digits(rng, 9);
            format!(
                "ABN {}{} {} {} {}",
                rng.gen_range(1..10),
                rng.gen_range(0..10),
                &d[..3],
                &d[3..6],
                &d[6..]
            )
        }
        Region::Us => format!("Store #{}", rng.gen_range(100..9999)),
    };
    let first = Date::ymd(2023, 1, 1).days();
    let last = Date::ymd(2026, 10, 31).days();
    let date = Date::from_days(rng.gen_range(first..=last));
    let (hh, mm) = (rng.gen_range(7..22), rng.gen_range(0..60));
    let factor = match currency {
        "DKK" => 7460,
        "GBP" => 860,
        "USD" => 1080,
        "AUD" => 1650,
        _ => 1000,
    };

    // Printing choices.
    let wide = rng.gen_bool(0.5);
    let upper = rng.gen_bool(0.6);
    let case = |s: &str| {
        if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        }
    };
    let cur = match (currency, rng.gen_range(0..3)) {
        (_, 0) => ("", ""),
        ("GBP", _) => ("£", ""),
        ("USD", _) => ("$", ""),
        ("AUD", 1) => ("$", ""),
        ("AUD", _) => ("AUD ", ""),
        ("DKK", 1) => ("", " kr"),
        ("DKK", _) => ("", " DKK"),
        (_, 1) => ("", " €"),
        _ => ("", " EUR"),
    };
    let cur_everywhere = rng.gen_bool(0.3);
    let line_cur = if cur_everywhere { cur } else { ("", "") };

    // Items.
    let n = if rng.gen_bool(0.2) {
        rng.gen_range(15..=25)
    } else {
        rng.gen_range(5..=14)
    };
    let item_style = rng.gen_range(0..3);
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let (en, da, de, lo, hi) = *GOODS.choose(rng).unwrap();
        let raw = rng.gen_range(lo..=hi) * factor / 1000;
        let unit = match currency {
            "DKK" => ((raw / 100).max(1) * 100 + pick(rng, &[0, 0, 50, 95])).max(100),
            _ => ((raw / 5) * 5 + pick(rng, &[0, 0, 4, 9])).max(10),
        };
        let quantity = if rng.gen_bool(0.7) {
            1
        } else {
            rng.gen_range(2..=4)
        };
        let description = case(match lang {
            Lang::En => en,
            Lang::Da => da,
            Lang::De => de,
        });
        let unit_printed = quantity > 1 && item_style > 0;
        items.push(RItem {
            description,
            quantity,
            unit_cents: unit,
            unit_printed,
        });
    }
    let sum: i64 = items.iter().map(|i| i.quantity * i.unit_cents).sum();

    // Tax.
    let rate = match region {
        Region::Gb => 20_000,
        Region::Au => 10_000,
        Region::Dk => 25_000,
        Region::De => pick(rng, &[19_000, 19_000, 7_000]),
        Region::Us => pick(rng, &[4_000, 6_000, 6_250, 7_250, 8_000, 8_875, 10_000]),
    };
    let inclusive = match region {
        Region::Us => false,
        Region::De => rng.gen_bool(0.85),
        Region::Dk => rng.gen_bool(0.8),
        _ => rng.gen_bool(0.6),
    };
    let (tax, total) = if inclusive {
        let d = 100_000 + rate;
        ((2 * sum * rate + d) / (2 * d), sum)
    } else {
        let t = tax_cents(sum, rate);
        (t, sum + t)
    };
    let rate_s = crate::fmt_rate(rate);
    let cash = rng.gen_bool(0.45);
    let step = rounding_step(currency);
    let rounded = if cash && step > 0 && total % step != 0 && rng.gen_bool(0.8) {
        let r = (total + step / 2) / step * step;
        Some(r)
    } else {
        None
    };

    // Labels.
    let p = |rng: &mut SmallRng, xs: &[&str]| case(pick(rng, xs));
    let (l_sub, l_total, l_round, l_topay, l_cash, l_change, l_thanks) = match lang {
        Lang::En => (
            p(rng, &["Subtotal", "Sub-total", "Sub Total"]),
            p(rng, &["Total", "Total", "Total due", "Balance due"]),
            p(rng, &["Rounding", "Cash rounding"]),
            p(rng, &["Total to pay", "Amount to pay"]),
            p(rng, &["Cash", "Cash tendered"]),
            p(rng, &["Change", "Change due"]),
            pick(
                rng,
                &[
                    "Thank you",
                    "Thank you for shopping with us",
                    "Thank you - please come again",
                ],
            )
            .to_string(),
        ),
        Lang::Da => (
            p(rng, &["Subtotal", "Mellemsum"]),
            p(rng, &["Total", "I alt", "Total DKK"]),
            p(rng, &["Øreafrunding", "Afrunding"]),
            p(rng, &["At betale", "At betale"]),
            p(rng, &["Kontant", "Kontant modtaget"]),
            p(rng, &["Retur", "Byttepenge"]),
            pick(
                rng,
                &[
                    "Tak for besøget",
                    "Tak for handlen",
                    "Tak for besøget - på gensyn",
                ],
            )
            .to_string(),
        ),
        Lang::De => (
            p(rng, &["Zwischensumme", "Zwischensumme"]),
            p(rng, &["Summe", "Gesamt", "Summe EUR", "Total"]),
            p(rng, &["Rundung"]),
            p(rng, &["Zu zahlen"]),
            p(rng, &["Bar", "Gegeben bar"]),
            p(rng, &["Rückgeld", "Zurück"]),
            pick(
                rng,
                &[
                    "Vielen Dank",
                    "Vielen Dank für Ihren Einkauf",
                    "Danke und auf Wiedersehen",
                ],
            )
            .to_string(),
        ),
    };
    let tax_name = match region {
        Region::Gb => "VAT",
        Region::Au => "GST",
        Region::Us => pick(rng, &["TAX", "Sales Tax"]),
        Region::Dk => "MOMS",
        Region::De => "MwSt",
    };
    let l_tax = if inclusive {
        match region {
            Region::Dk => pick_s(
                rng,
                [
                    format!("Heraf moms {rate_s}%"),
                    "Heraf moms".into(),
                    format!("Moms udgør {rate_s}%"),
                ],
            ),
            Region::De => pick_s(
                rng,
                [
                    format!("enthaltene MwSt {rate_s}%"),
                    format!("inkl. MwSt {rate_s}%"),
                    "enthaltene MwSt".into(),
                ],
            ),
            Region::Au => pick_s(
                rng,
                [
                    "Total includes GST".to_string(),
                    format!("incl. GST {rate_s}%"),
                    "GST included".into(),
                ],
            ),
            _ => pick_s(
                rng,
                [
                    format!("incl. VAT {rate_s}%"),
                    format!("VAT {rate_s}% included"),
                    "incl. tax".into(),
                ],
            ),
        }
    } else {
        format!("{tax_name} {rate_s}%")
    };
    let l_tax = if upper && !inclusive {
        l_tax.to_uppercase()
    } else {
        l_tax
    };

    // Rows.
    let mut rows = Vec::new();
    let logo_style = rng.gen_range(0..4);
    let logo = if logo_style == 0 {
        merchant.clone()
    } else {
        merchant.to_uppercase()
    };
    let tracking = if logo_style == 2 {
        rng.gen_range(0.15..0.35)
    } else {
        0.0
    };
    rows.push(Row::Centre(
        logo.clone(),
        rng.gen_range(1.4..2.0),
        true,
        tracking,
        logo_style == 3,
    ));
    rows.push(Row::Gap(0.4));
    rows.push(Row::Centre(street.clone(), 1.0, false, 0.0, false));
    rows.push(Row::Centre(city.clone(), 1.0, false, 0.0, false));
    let tel_label = match lang {
        Lang::Da => "Tlf.",
        Lang::De => "Tel.",
        Lang::En => pick(rng, &["Tel", "Ph", "Phone:"]),
    };
    rows.push(Row::Centre(
        format!("{tel_label} {tel}"),
        1.0,
        false,
        0.0,
        false,
    ));
    rows.push(Row::Centre(tax_line, 1.0, false, 0.0, false));
    rows.push(Row::Gap(0.6));
    let time = format!("{hh:02}:{mm:02}");
    let date_s = match (region, rng.gen_range(0..3)) {
        (_, 0) => format!("{} {time}", date.iso()),
        (Region::Gb | Region::Au, _) => format!("{:02}/{:02}/{} {time}", date.d, date.m, date.y),
        (Region::Us, _) => format!("{:02}/{:02}/{} {time}", date.m, date.d, date.y),
        (Region::Dk, 1) => format!("{:02}-{:02}-{} kl. {time}", date.d, date.m, date.y),
        _ => format!("{:02}.{:02}.{} {time}", date.d, date.m, date.y),
    };
    let date_label = match (lang, rng.gen_range(0..2)) {
        (_, 0) => "",
        (Lang::En, _) => "Date: ",
        (Lang::Da, _) => "Dato: ",
        (Lang::De, _) => "Datum: ",
    };
    let till = rng.gen_range(1..9);
    let no = rng.gen_range(1..99_999);
    let number = match lang {
        Lang::En => format!("Receipt {no:05}  Till {till}"),
        Lang::Da => format!("Bon {no}  Kasse {till}"),
        Lang::De => format!("Bon-Nr. {no}  Kasse {till}"),
    };
    if rng.gen_bool(0.5) || !wide {
        rows.push(Row::Left(format!("{date_label}{date_s}"), None));
        rows.push(Row::Left(number, None));
    } else {
        rows.push(Row::Split(number, date_s, false, Role::Other, None));
    }
    let rule = pick(rng, &['-', '=', '-']);
    rows.push(Row::Rule(rule));
    for (i, it) in items.iter().enumerate() {
        let amount = money(it.quantity * it.unit_cents, &num, line_cur);
        let unit = fmt_number(it.unit_cents, &num);
        if it.quantity > 1 && item_style == 0 {
            rows.push(Row::Split(
                format!("{} x {}", it.quantity, it.description),
                amount,
                false,
                Role::Other,
                Some(i),
            ));
        } else if it.quantity > 1 && item_style == 1 {
            rows.push(Row::item(it.description.clone(), amount, Some(i)));
            rows.push(Row::Left(format!("  {} x {unit}", it.quantity), None));
        } else if it.quantity > 1 {
            rows.push(Row::Left(it.description.clone(), Some(i)));
            rows.push(Row::Split(
                format!("  {} @ {unit}", it.quantity),
                amount,
                false,
                Role::Other,
                None,
            ));
        } else {
            rows.push(Row::item(it.description.clone(), amount, Some(i)));
        }
    }
    rows.push(Row::Rule(rule));
    let show_sub = !inclusive || rng.gen_bool(0.4);
    if show_sub {
        rows.push(Row::Split(
            l_sub,
            money(sum, &num, line_cur),
            false,
            Role::Subtotal,
            None,
        ));
    }
    let tax_row = Row::Split(l_tax, money(tax, &num, line_cur), false, Role::Tax, None);
    if !inclusive {
        rows.push(tax_row.clone());
    }
    rows.push(Row::Split(
        l_total,
        money(total, &num, cur),
        true,
        Role::Total,
        None,
    ));
    let paid = rounded.unwrap_or(total);
    if let Some(r) = rounded {
        rows.push(Row::Split(
            l_round,
            money(r - total, &num, ("", "")),
            false,
            Role::Other,
            None,
        ));
        rows.push(Row::Split(
            l_topay,
            money(r, &num, cur),
            true,
            Role::ToPay,
            None,
        ));
    }
    if inclusive {
        rows.push(tax_row);
    }
    rows.push(Row::Gap(0.5));
    if cash {
        let unit = if currency == "DKK" { 5000 } else { 500 };
        let tendered = if rng.gen_bool(0.2) {
            paid
        } else {
            (paid / unit + rng.gen_range(1..4)) * unit
        };
        rows.push(Row::Split(
            l_cash,
            money(tendered, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
        rows.push(Row::Split(
            l_change,
            money(tendered - paid, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
    } else {
        let last4 = random_digits(rng, 4);
        let card = match (lang, rng.gen_range(0..3)) {
            (_, 0) => format!("VISA **** {last4}"),
            (_, 1) => format!("Mastercard ****{last4}"),
            (Lang::Da, _) => "Dankort".to_string(),
            (Lang::De, _) => "girocard".to_string(),
            (Lang::En, _) => case("Card"),
        };
        rows.push(Row::Split(
            card,
            money(paid, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
        if rng.gen_bool(0.5) {
            let auth = match lang {
                Lang::Da => "Godkendt",
                Lang::De => "Genehmigt",
                Lang::En => "Approved",
            };
            rows.push(Row::Left(
                format!("{auth}  Auth {}", random_digits(rng, 6)),
                None,
            ));
        }
    }
    rows.push(Row::Gap(1.0));
    rows.push(Row::Centre(l_thanks, 1.0, false, 0.0, false));
    if rng.gen_bool(0.4) {
        rows.push(Row::Gap(0.6));
        rows.push(Row::Barcode);
    }
    Receipt {
        code: lang.code(),
        currency,
        merchant: logo,
        street,
        city,
        date,
        items,
        tax,
        total: paid,
        rows,
        num,
        wide,
    }
}

/// Draws `text` with extra `tracking` pixels after every character.
fn tracked_width(p: &Painter, face: Face, px: f32, text: &str, tracking: f32) -> f32 {
    text.chars()
        .map(|c| p.width(face, px, &c.to_string()) + tracking)
        .sum::<f32>()
        - tracking
}

/// Cuts `text` to fit `max_w` (thermal printers truncate long descriptions).
fn truncate(p: &Painter, face: Face, px: f32, text: &str, max_w: f32) -> String {
    let mut s = text.to_string();
    while p.width(face, px, &s) > max_w && s.len() > 1 {
        s.pop();
        s = s.trim_end().to_string();
    }
    s
}

/// Renders the receipt on white paper; item descriptions that had to be cut are
/// written back into `r.items` (so the truth says what is printed).
/// `max_h` is the longest strip drawn (classic receipts 9000 px, wide ones longer).
pub fn render(r: &mut Receipt, fonts: &Fonts, rng: &mut SmallRng, max_h: u32) -> (GrayImage, f32) {
    let width: u32 = if r.wide { 945 } else { 685 };
    let mono = rng.gen_bool(0.75);
    let fam = if mono {
        &fonts.mono[rng.gen_range(0..fonts.mono.len())]
    } else {
        &fonts.text[pick(rng, &[0usize, 2])]
    };
    let em = rng.gen_range(24..=34) as f32;
    let margin = if r.wide {
        rng.gen_range(40.0..70.0)
    } else {
        rng.gen_range(25.0..45.0)
    };
    let mut p = Painter {
        img: GrayImage::from_pixel(width, max_h, Luma([255])),
        regular: &fam.regular,
        bold: &fam.bold,
        number: &fam.regular,
        number_bold: &fam.bold,
        size: em,
        ink: rng.gen_range(0..=40),
    };
    let (left, right) = (margin, width as f32 - margin);
    let centre = width as f32 / 2.0;
    let lead = em * rng.gen_range(1.3..1.5);
    let mut y = rng.gen_range(60.0..120.0);
    let rows = r.rows.clone();
    for (k, row) in rows.iter().enumerate() {
        match row {
            Row::Centre(text, f, bold, track, inverse) => {
                let face = if *bold { Face::Bold } else { Face::Regular };
                let mut px = em * f;
                let tr = track * px;
                let w = tracked_width(&p, face, px, text, tr);
                if w > right - left {
                    px = (px * (right - left) / w).floor();
                }
                let tr = track * px;
                let w = tracked_width(&p, face, px, text, tr);
                y += px * 1.25;
                let ink = if *inverse {
                    p.fill_rect(
                        left - 10.0,
                        y - px * 1.05,
                        right + 10.0,
                        y + px * 0.4,
                        p.ink,
                    );
                    255
                } else {
                    p.ink
                };
                let font = p.font(face);
                let mut x = centre - w / 2.0;
                for c in text.chars() {
                    let cs = c.to_string();
                    draw_text(&mut p.img, font, px, x, y, &cs, ink);
                    x += text_width(font, px, &cs) + tr;
                }
                if *inverse {
                    y += px * 0.4;
                }
            }
            Row::Split(l, rt, bold, role, item) => {
                y += lead;
                let face = if *bold { Face::Bold } else { Face::Regular };
                let px = if *bold && matches!(role, Role::Total | Role::ToPay) {
                    em * 1.15
                } else {
                    em
                };
                let rw = p.width(face, px, rt);
                let room = right - left - rw - em;
                let shown = truncate(&p, face, px, l, room);
                p.text(face, px, left, y, &shown);
                p.text_right(face, px, right, y, rt);
                if let Some(i) = item {
                    r.items[*i].description = strip_qty(&shown, &r.items[*i]);
                }
                if let Some(row) = r.rows.get_mut(k) {
                    *row = Row::Split(shown, rt.clone(), *bold, *role, *item);
                }
            }
            Row::Left(t, item) => {
                y += lead;
                let shown = truncate(&p, Face::Regular, em, t, right - left);
                p.text(Face::Regular, em, left, y, &shown);
                if let Some(i) = item {
                    r.items[*i].description = shown.clone();
                }
            }
            Row::Rule(c) => {
                y += lead * 0.8;
                let cw = p.width(Face::Regular, em, &c.to_string());
                let n = ((right - left) / cw).floor() as usize;
                let s: String = std::iter::repeat_n(*c, n).collect();
                p.text(Face::Regular, em, left, y - em * 0.1, &s);
            }
            Row::Barcode => {
                let top = y + em * 0.5;
                let h = rng.gen_range(70.0..110.0);
                let bw = rng.gen_range(2.0..3.5);
                let mut x = centre - (right - left) * 0.35;
                let end = centre + (right - left) * 0.35;
                while x < end {
                    let w = bw * rng.gen_range(1..4) as f32;
                    if rng.gen_bool(0.55) {
                        let ink = p.ink;
                        p.fill_rect(x, top, (x + w).min(end), top + h, ink);
                    }
                    x += w;
                }
                y = top + h;
                let digits = random_digits(rng, 13);
                y += em * 1.2;
                p.text_centered(Face::Regular, em * 0.8, centre, y, &digits);
            }
            Row::Gap(f) => y += em * f,
        }
    }
    let height = (y + rng.gen_range(100.0..200.0)).min(max_h as f32) as u32;
    let img = image::imageops::crop_imm(&p.img, 0, 0, width, height).to_image();
    (img, em)
}

fn strip_qty(shown: &str, it: &RItem) -> String {
    let prefix = format!("{} x ", it.quantity);
    shown.strip_prefix(&prefix).unwrap_or(shown).to_string()
}

/// Thermal fading: ink becomes grey (120–190, varying smoothly along the length) and the
/// paper off-white. Returns the truth record.
fn fade(img: &mut GrayImage, rng: &mut SmallRng) -> Value {
    let paper = rng.gen_range(232..=248) as f32;
    let (w, h) = img.dimensions();
    let knots: Vec<f32> = (0..=(h / 400 + 1))
        .map(|_| rng.gen_range(120.0..190.0))
        .collect();
    let side = rng.gen_range(-15.0..15.0f32);
    for y in 0..h {
        let t = y as f32 / 400.0;
        let k = t.floor() as usize;
        let f = t - k as f32;
        let f = f * f * (3.0 - 2.0 * f);
        let ink_y = knots[k] + (knots[(k + 1).min(knots.len() - 1)] - knots[k]) * f;
        for x in 0..w {
            let ink = (ink_y + side * (x as f32 / w as f32 - 0.5)).clamp(110.0, 200.0);
            let p = img.get_pixel_mut(x, y);
            let dark = (255.0 - p.0[0] as f32) / 255.0;
            p.0[0] = (paper - (paper - ink) * dark).round() as u8;
        }
    }
    let lo = knots.iter().copied().fold(255.0f32, f32::min);
    let hi = knots.iter().copied().fold(0.0f32, f32::max);
    json!({"paper": paper as u8, "ink_min": lo.round() as u8, "ink_max": hi.round() as u8})
}

/// A soft dark shadow (a hand or the phone) over part of the image: an ellipse entering
/// from one edge, darkening by `strength` with a wide soft edge.
fn shadow(img: &mut GrayImage, rng: &mut SmallRng) -> Value {
    let (w, h) = img.dimensions();
    let (wf, hf) = (w as f32, h as f32);
    let edge = rng.gen_range(0..4);
    let (cx, cy) = match edge {
        0 => (rng.gen_range(0.0..wf), -hf * 0.05),
        1 => (wf * 1.05, rng.gen_range(0.0..hf)),
        2 => (rng.gen_range(0.0..wf), hf * 1.05),
        _ => (-wf * 0.05, rng.gen_range(0.0..hf)),
    };
    let rx = wf * rng.gen_range(0.35..0.7);
    let ry = hf * rng.gen_range(0.15..0.4);
    let soft = rng.gen_range(0.25..0.6f32);
    let strength = rng.gen_range(0.3..0.55f32);
    for y in 0..h {
        for x in 0..w {
            let d = (((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2)).sqrt();
            // 1 inside (d < 1 - soft), 0 outside d > 1, smooth between
            let t = ((1.0 - d) / soft).clamp(0.0, 1.0);
            let s = t * t * (3.0 - 2.0 * t);
            if s > 0.0 {
                let p = img.get_pixel_mut(x, y);
                p.0[0] = (p.0[0] as f32 * (1.0 - strength * s)).round() as u8;
            }
        }
    }
    let edge_name = ["top", "right", "bottom", "left"][edge];
    json!({"edge": edge_name, "strength": (strength as f64 * 100.0).round() / 100.0,
           "centre": [cx.round(), cy.round()], "radii": [rx.round(), ry.round()]})
}

/// Cheap deterministic per-pixel noise in [-1, 1].
fn hash_noise(x: u32, y: u32, seed: u32) -> f32 {
    let mut v =
        x.wrapping_mul(0x27d4_eb2d) ^ y.wrapping_mul(0x1656_67b1) ^ seed.wrapping_mul(0x9e37_79b9);
    v ^= v >> 15;
    v = v.wrapping_mul(0x85eb_ca6b);
    v ^= v >> 13;
    (v & 0xFFFF) as f32 / 32768.0 - 1.0
}

/// The receipt photographed on a table: scaled so the x-height is 10–16 px, turned,
/// keystoned, over a wood-like texture, with a lighting gradient.
fn photograph(receipt: &GrayImage, em: f32, rng: &mut SmallRng) -> (GrayImage, Value) {
    let x_height = rng.gen_range(10.0..16.0f32);
    let scale = (x_height / (em * 0.55)) as f64;
    let deg = rng.gen_range(2.0..10.0) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    let deg: f64 = crate::round1(deg);
    let (rw, rh) = (receipt.width() as f64, receipt.height() as f64);
    let (sw, sh) = (rw * scale, rh * scale);
    let (s, c) = deg.to_radians().sin_cos();
    let bw = sw * c.abs() + sh * s.abs();
    let bh = sw * s.abs() + sh * c.abs();
    let (mx, my) = (
        bw * rng.gen_range(0.12..0.3) + 40.0,
        bh * rng.gen_range(0.06..0.15) + 40.0,
    );
    let (w, h) = ((bw + 2.0 * mx) as u32, (bh + 2.0 * my) as u32);
    let (ox, oy) = (w as f64 / 2.0, h as f64 / 2.0);
    let keystone = (rng.gen_range(0.02..0.08f64) * 1000.0).round() / 1000.0;
    let top_narrow = rng.gen_bool(0.5);
    let corners = [(0.0, 0.0), (rw, 0.0), (rw, rh), (0.0, rh)];
    let dst = corners.map(|(x, y)| {
        // scale about the receipt centre, keystone (one end narrower), turn, jitter
        let (mut dx, dy) = ((x - rw / 2.0) * scale, (y - rh / 2.0) * scale);
        let at_top = y == 0.0;
        if at_top == top_narrow {
            dx *= 1.0 - keystone;
        }
        let (tx, ty) = (dx * c - dy * s, dx * s + dy * c);
        (
            ox + tx + rng.gen_range(-4.0..4.0),
            oy + ty + rng.gen_range(-4.0..4.0),
        )
    });
    let fwd = homography(corners, dst);
    let base = rng.gen_range(60.0..140.0f32);
    let grain = rng.gen_range(8.0..22.0f32);
    let (f1, f2) = (rng.gen_range(0.02..0.06f32), rng.gen_range(0.002..0.01f32));
    let seed: u32 = rng.gen();
    let table = |x: u32, y: u32| -> u8 {
        let (xf, yf) = (x as f32, y as f32);
        let v =
            base + grain * (xf * f1 + 3.0 * (yf * f2).sin()).sin() + 6.0 * hash_noise(x, y, seed);
        v.clamp(0.0, 255.0) as u8
    };
    let mut img = project(receipt, &fwd, w, h, table);
    // Lighting: a linear gradient in a random direction times a mild vignette.
    let ang = rng.gen_range(0.0..std::f32::consts::TAU);
    let (lo, hi) = (rng.gen_range(0.7..0.9f32), rng.gen_range(1.0..1.08f32));
    let (ux, uy) = (ang.cos(), ang.sin());
    let diag = ((w * w + h * h) as f32).sqrt();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
            let t = ((dx * ux + dy * uy) / diag + 0.5).clamp(0.0, 1.0);
            let vig = 1.0 - 0.25 * ((dx * dx + dy * dy).sqrt() / (diag / 2.0)).powi(2);
            let p = img.get_pixel_mut(x, y);
            p.0[0] = (p.0[0] as f32 * (lo + (hi - lo) * t) * vig)
                .clamp(0.0, 255.0)
                .round() as u8;
        }
    }
    let img = image::imageops::blur(&img, 0.6);
    let record = json!({"rotation_deg": deg, "scale": (scale * 1000.0).round() / 1000.0,
        "keystone": keystone, "x_height_px": crate::round1(x_height as f64),
        "quad": dst.map(|(x, y)| [x.round(), y.round()])});
    (img, record)
}

pub struct Effects {
    pub faded: bool,
    pub photo: bool,
    pub shadow: bool,
}

/// The receipt-specific effects for a level (see the module doc).
pub fn choose_effects(arg: DegradationArg, level: Level, rng: &mut SmallRng) -> Effects {
    let none = Effects {
        faded: false,
        photo: false,
        shadow: false,
    };
    if matches!(arg, DegradationArg::Clean) {
        return none;
    }
    match rng.gen_range(0..4) {
        0 => none,
        1 => Effects {
            faded: true,
            ..none
        },
        2 => Effects {
            photo: true,
            shadow: level == Level::Heavy && rng.gen_bool(0.5),
            ..none
        },
        _ => Effects {
            shadow: true,
            ..none
        },
    }
}

pub fn generate(cli: &Cli, fonts: &Fonts, index: u32, mut rng: SmallRng) -> Result<(), String> {
    let wide = cli.variety == VarietyArg::Wide;
    let (lang, wlang) = if wide {
        (Lang::En, Some(crate::choose_wlang(cli.language, &mut rng)))
    } else {
        (choose_lang(cli.language, &mut rng), None)
    };
    let level = choose_level(cli.degradation, &mut rng);
    let effects = choose_effects(cli.degradation, level, &mut rng);
    let (mut r, shape) = match wlang {
        Some(l) => {
            let (r, shape) = crate::wide_receipt::make_receipt(l, &mut rng);
            (r, Some(shape))
        }
        None => (make_receipt(lang, &mut rng), None),
    };
    let max_h = if wide { 16_000 } else { 9000 };
    let (mut img, em) = render(&mut r, fonts, &mut rng, max_h);
    let faded = effects.faded.then(|| fade(&mut img, &mut rng));
    let mut plan = plan_degradations(level, &mut rng);
    let (img, photo, shadowed) = if effects.photo {
        let (mut photo_img, record) = photograph(&img, em, &mut rng);
        let sh = effects.shadow.then(|| shadow(&mut photo_img, &mut rng));
        // The camera replaces the scanner's geometry; noise, blur and JPEG still apply.
        plan.skew_deg = 0.0;
        plan.rotation = 0;
        plan.dpi = 300;
        plan.background = 255;
        let out = degrade(photo_img, &plan, &mut rng)?;
        plan.dpi = 72;
        (out, Some(record), sh)
    } else {
        let sh = effects.shadow.then(|| shadow(&mut img, &mut rng));
        (degrade(img, &plan, &mut rng)?, None, sh)
    };
    let mut name = level.name().to_string();
    for (on, n) in [
        (faded.is_some(), "faded"),
        (photo.is_some(), "photo"),
        (shadowed.is_some(), "shadow"),
    ] {
        if on {
            name.push('+');
            name.push_str(n);
        }
    }
    let mut degradations = serde_json::to_value(&plan).map_err(|e| e.to_string())?;
    degradations["faded"] = faded.unwrap_or(Value::Null);
    degradations["photo"] = photo.unwrap_or(Value::Null);
    degradations["shadow"] = shadowed.unwrap_or(Value::Null);
    let mut t = truth(&r, &name, degradations);
    if let Some(shape) = shape {
        let mm = if r.wide { 80 } else { 58 };
        t["variety"] = json!("wide");
        t["layout"] = json!(format!("receipt-{shape}-{mm}mm"));
    }
    let stem = format!("rcp-{}-{index:04}", cli.seed);
    write_doc(cli, &stem, &img, plan.dpi, &t)
}

pub fn truth(r: &Receipt, degradation: &str, degradations: Value) -> Value {
    json!({
        "doc_type": "receipt",
        "layout": if r.wide { "receipt-80mm" } else { "receipt-58mm" },
        "language": r.code,
        "degradation": degradation,
        "degradations": degradations,
        "fields": {
            "merchant_name": r.merchant,
            "merchant_address": format!("{}, {}", r.street, r.city),
            "date": r.date.iso(),
            "currency": r.currency,
            "tax_amount": truth_money(r.tax),
            // The items' sum, when a subtotal line prints it.
            "subtotal": r.rows.iter().find_map(|row| match row {
                Row::Split(_, _, _, Role::Subtotal, _) => Some(truth_money(
                    r.items.iter().map(|i| i.quantity * i.unit_cents).sum(),
                )),
                _ => None,
            }),
            "total": truth_money(r.total),
        },
        "line_items": r.items.iter().map(|it| json!({
            "description": it.description,
            "quantity": it.quantity.to_string(),
            "unit_price": if it.unit_printed { Value::from(truth_money(it.unit_cents)) } else { Value::Null },
            "amount": truth_money(it.quantity * it.unit_cents),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Cents of a printed amount ("£1,234.50", "1.234,50 kr", "-0,02").
    fn parse(s: &str, nf: &NumFmt) -> i64 {
        let neg = s.contains('-');
        let digits: String = s
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == nf.decimal)
            .collect();
        let (units, cents) = digits.split_once(nf.decimal).expect("decimal mark");
        let v = units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
        if neg {
            -v
        } else {
            v
        }
    }

    #[test]
    fn receipt_total_is_the_printed_amount_to_pay() {
        let mut rng = SmallRng::seed_from_u64(11);
        let mut rounded = 0;
        for lang in [Lang::En, Lang::Da, Lang::De].iter().cycle().take(300) {
            let r = make_receipt(*lang, &mut rng);
            let amount = |role: Role| {
                r.rows.iter().find_map(|row| match row {
                    Row::Split(_, a, _, ro, _) if *ro == role => Some(parse(a, &r.num)),
                    _ => None,
                })
            };
            let total = amount(Role::Total).expect("TOTAL line");
            let to_pay = amount(Role::ToPay);
            assert_eq!(
                r.total,
                to_pay.unwrap_or(total),
                "truth total is the last total line"
            );
            assert_eq!(amount(Role::Tax), Some(r.tax));
            let sum: i64 = r.items.iter().map(|i| i.quantity * i.unit_cents).sum();
            if let Some(sub) = amount(Role::Subtotal) {
                assert_eq!(sub, sum);
            }
            assert!(total == sum || total == sum + r.tax);
            if let Some(p) = to_pay {
                rounded += 1;
                assert!((p - total).abs() <= 25 && p % rounding_step(r.currency) == 0);
            }
            assert!((5..=25).contains(&r.items.len()));
        }
        assert!(rounded > 0, "some receipts print a rounding line");
    }
}
