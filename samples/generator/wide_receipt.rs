//! `--variety wide` till receipts: the eleven languages of [`crate::labels`], header
//! shapes real tills print (a brand or slogan line above or below the merchant, the name
//! in a bigger bold face or white on black, the address left-aligned or centred), phone
//! and tax id in the country's wording (CVR, USt-IdNr., Org.nr, Y-tunnus, BTW, SIRET,
//! P.IVA, NIF, NIP…), date and time in several forms, receipt/till/cashier numbers,
//! items with quantity × price, tax lines, cash rounding (`Afrunding`, `Öresavrundning`,
//! `Arrondi`…), tendered cash and change or a card slip, and long receipts (30–60 items)
//! some of the time. The printed rows are [`crate::receipt::Row`]s, rendered, degraded
//! and written like the classic receipts; the truth adds `variety` and a header-shape
//! `layout` (`receipt-{shape}-{58|80}mm`).

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::labels::{WLang, ALL_LANGS};
use crate::receipt::{RItem, Receipt, Role, Row};
use crate::{cvr, de_vat, gb_vat, pick, random_digits, tax_cents, Date, NumFmt};

/// Receipt header shapes, by the name the truth's layout carries.
pub const SHAPES: [&str; 5] = ["centred", "brand-top", "slogan-below", "inverse", "left"];

/// (11 names in ALL_LANGS order, price range in euro cents)
#[rustfmt::skip]
const GOODS: &[([&str; 11], i64, i64)] = &[
    (["Kaffe", "Kaffee", "Coffee", "Kaffe", "Kaffe", "Kahvi", "Koffie", "Café", "Caffè", "Café", "Kawa"], 200, 450),
    (["Croissant", "Croissant", "Croissant", "Croissant", "Croissant", "Croissantti", "Croissant", "Croissant", "Cornetto", "Cruasán", "Rogalik"], 150, 320),
    (["Minimælk 1 l", "Vollmilch 1 l", "Milk 1L", "Mjölk 1 l", "Melk 1 l", "Maito 1 l", "Melk 1 l", "Lait 1 L", "Latte 1 l", "Leche 1 l", "Mleko 1 l"], 90, 160),
    (["Rugbrød", "Roggenbrot", "Rye bread", "Rågbröd", "Grovbrød", "Ruisleipä", "Roggebrood", "Pain de seigle", "Pane di segale", "Pan de centeno", "Chleb żytni"], 180, 420),
    (["Bananer", "Bananen", "Bananas", "Bananer", "Bananer", "Banaanit", "Bananen", "Bananes", "Banane", "Plátanos", "Banany"], 120, 250),
    (["Kildevand 0,5 l", "Mineralwasser 0,5 l", "Water 0.5L", "Vatten 0,5 l", "Vann 0,5 l", "Vesi 0,5 l", "Water 0,5 l", "Eau 50 cl", "Acqua 0,5 l", "Agua 0,5 l", "Woda 0,5 l"], 60, 180),
    (["Sandwich", "Belegtes Brötchen", "Sandwich", "Smörgås", "Påsmurt", "Voileipä", "Broodje", "Sandwich", "Panino", "Bocadillo", "Kanapka"], 350, 650),
    (["Chokolade", "Schokolade", "Chocolate", "Choklad", "Sjokolade", "Suklaa", "Chocolade", "Chocolat", "Cioccolato", "Chocolate", "Czekolada"], 80, 220),
    (["Avis", "Zeitung", "Newspaper", "Tidning", "Avis", "Sanomalehti", "Krant", "Journal", "Giornale", "Periódico", "Gazeta"], 150, 400),
    (["Tomater 500 g", "Tomaten 500 g", "Tomatoes 500g", "Tomater 500 g", "Tomater 500 g", "Tomaatit 500 g", "Tomaten 500 g", "Tomates 500 g", "Pomodori 500 g", "Tomates 500 g", "Pomidory 500 g"], 120, 300),
    (["Pasta 500 g", "Nudeln 500 g", "Pasta 500g", "Pasta 500 g", "Pasta 500 g", "Pasta 500 g", "Pasta 500 g", "Pâtes 500 g", "Pasta 500 g", "Pasta 500 g", "Makaron 500 g"], 90, 250),
    (["Olivenolie", "Olivenöl", "Olive oil", "Olivolja", "Olivenolje", "Oliiviöljy", "Olijfolie", "Huile d'olive", "Olio d'oliva", "Aceite de oliva", "Oliwa z oliwek"], 400, 900),
    (["Ost 200 g", "Gouda 200 g", "Cheddar 200g", "Ost 200 g", "Ost 200 g", "Juusto 200 g", "Kaas 200 g", "Fromage 200 g", "Formaggio 200 g", "Queso 200 g", "Ser 200 g"], 250, 500),
    (["Æg 10 stk", "Eier 10 Stück", "Eggs 12pk", "Ägg 12 st", "Egg 12 stk", "Kananmunat 10 kpl", "Eieren 10 st", "Oeufs x12", "Uova 6 pz", "Huevos 12 ud", "Jajka 10 szt"], 250, 450),
    (["Æblejuice 1 l", "Apfelsaft 1 l", "Apple juice 1L", "Äppeljuice 1 l", "Eplejuice 1 l", "Omenamehu 1 l", "Appelsap 1 l", "Jus de pomme 1 L", "Succo di mela 1 l", "Zumo de manzana 1 l", "Sok jabłkowy 1 l"], 120, 300),
    (["Øl 33 cl", "Bier 0,33 l", "Beer 33cl", "Öl 33 cl", "Øl 0,33 l", "Olut 0,33 l", "Bier 33 cl", "Bière 33 cl", "Birra 33 cl", "Cerveza 33 cl", "Piwo 0,5 l"], 120, 350),
    (["Smør 250 g", "Butter 250 g", "Butter 250g", "Smör 500 g", "Smør 250 g", "Voi 500 g", "Roomboter 250 g", "Beurre 250 g", "Burro 250 g", "Mantequilla 250 g", "Masło 200 g"], 180, 350),
    (["Bærepose", "Tragetasche", "Carrier bag", "Bärkasse", "Bærepose", "Muovikassi", "Draagtas", "Sac cabas", "Shopper", "Bolsa", "Torba"], 10, 50),
    (["Køkkenrulle", "Küchenrolle", "Paper towels", "Hushållspapper", "Tørkerull", "Talouspaperi", "Keukenrol", "Essuie-tout", "Carta cucina", "Papel de cocina", "Ręcznik papierowy"], 200, 450),
    (["Shampoo", "Shampoo", "Shampoo", "Schampo", "Sjampo", "Shampoo", "Shampoo", "Shampooing", "Shampoo", "Champú", "Szampon"], 250, 700),
];

/// (first words, kinds) of shop names per language, ALL_LANGS order.
#[rustfmt::skip]
const SHOPS: [(&[&str], &[&str]); 11] = [
    (&["Nordlys", "Havblik", "Søhøj", "Kystlys", "Torve"], &["Kaffebar", "Bageri", "Købmand", "Kiosk", "Marked"]),
    (&["Becker", "Krüger", "Sonnen", "Linden", "Stadt"], &["Bäckerei", "Café", "Markt", "Kiosk", "Drogerie"]),
    (&["Kestrel", "Harbourview", "Oakmere", "Corner", "Northgate"], &["Coffee", "Market", "Foods", "Deli", "Pharmacy"]),
    (&["Norrsken", "Björk", "Sjöbod", "Torg", "Lind"], &["Kafé", "Bageri", "Livs", "Kiosk", "Matbutik"]),
    (&["Fjordlys", "Solvang", "Bryggen", "Torget", "Havørn"], &["Kafé", "Bakeri", "Kolonial", "Kiosk", "Dagligvare"]),
    (&["Revontuli", "Koivu", "Kallio", "Tori", "Järvi"], &["Kahvila", "Leipomo", "Market", "Kioski", "Apteekki"]),
    (&["De Molen", "Zeezicht", "Het Plein", "Oranje", "Kastanje"], &["Koffiebar", "Bakkerij", "Supermarkt", "Kiosk", "Drogist"]),
    (&["Le Soleil", "Saint-Michel", "La Place", "Bellevue", "Le Marché"], &["Café", "Boulangerie", "Épicerie", "Tabac", "Pharmacie"]),
    (&["Il Sole", "San Marco", "La Piazza", "Bella Vista", "Centrale"], &["Bar", "Panetteria", "Alimentari", "Tabacchi", "Farmacia"]),
    (&["El Sol", "San Juan", "La Plaza", "Buenavista", "Central"], &["Cafetería", "Panadería", "Supermercado", "Estanco", "Farmacia"]),
    (&["Pod Lipą", "Słoneczny", "Rynek", "Zielony", "Centrum"], &["Kawiarnia", "Piekarnia", "Sklep", "Kiosk", "Apteka"]),
];

/// (country address data, phone prefix, currency, VAT rates, cash rounding step in cents)
struct Place {
    streets: &'static [&'static str],
    cities: &'static [&'static str],
    number_first: bool,
    phone: &'static str,
    currency: &'static str,
    rates: &'static [i64],
    rounding: i64,
}

#[rustfmt::skip]
const PLACES: [Place; 11] = [
    Place { streets: &["Vestergade", "Nørregade", "Algade"], cities: &["8000 Aarhus C", "1050 København K", "5000 Odense C"], number_first: false, phone: "+45", currency: "DKK", rates: &[25_000], rounding: 50 },
    Place { streets: &["Hauptstraße", "Bahnhofstraße", "Am Markt"], cities: &["10115 Berlin", "80331 München", "50667 Köln"], number_first: false, phone: "030", currency: "EUR", rates: &[19_000, 7_000], rounding: 0 },
    Place { streets: &["High Street", "Station Road", "Market Street"], cities: &["London EC1A 1BB", "Leeds LS1 4DY", "Bristol BS1 5TR"], number_first: true, phone: "020", currency: "GBP", rates: &[20_000], rounding: 0 },
    Place { streets: &["Storgatan", "Drottninggatan", "Kungsgatan"], cities: &["111 51 Stockholm", "411 03 Göteborg", "211 22 Malmö"], number_first: false, phone: "08-", currency: "SEK", rates: &[12_000, 25_000], rounding: 100 },
    Place { streets: &["Storgata", "Kirkegata", "Torggata"], cities: &["0150 Oslo", "5003 Bergen", "7011 Trondheim"], number_first: false, phone: "+47", currency: "NOK", rates: &[15_000, 25_000], rounding: 100 },
    Place { streets: &["Hämeenkatu", "Kauppakatu", "Aleksanterinkatu"], cities: &["00100 Helsinki", "33100 Tampere", "20100 Turku"], number_first: false, phone: "09", currency: "EUR", rates: &[14_000, 25_500], rounding: 5 },
    Place { streets: &["Hoofdstraat", "Kerkstraat", "Marktplein"], cities: &["1012 AB Amsterdam", "3511 LK Utrecht", "2511 CV Den Haag"], number_first: false, phone: "020-", currency: "EUR", rates: &[9_000, 21_000], rounding: 5 },
    Place { streets: &["rue de la République", "place du Marché", "avenue Jean Jaurès"], cities: &["75002 Paris", "69002 Lyon", "33000 Bordeaux"], number_first: true, phone: "01", currency: "EUR", rates: &[5_500, 20_000, 10_000], rounding: 0 },
    Place { streets: &["Via Roma", "Corso Italia", "Piazza Garibaldi"], cities: &["20121 Milano", "00184 Roma", "50122 Firenze"], number_first: false, phone: "02", currency: "EUR", rates: &[10_000, 22_000, 4_000], rounding: 0 },
    Place { streets: &["Calle Mayor", "Gran Vía", "Plaza España"], cities: &["28013 Madrid", "08002 Barcelona", "46002 Valencia"], number_first: false, phone: "91", currency: "EUR", rates: &[10_000, 21_000], rounding: 0 },
    Place { streets: &["ul. Długa", "ul. Piotrkowska", "ul. Floriańska"], cities: &["00-001 Warszawa", "30-001 Kraków", "90-001 Łódź"], number_first: false, phone: "22", currency: "PLN", rates: &[5_000, 8_000, 23_000], rounding: 0 },
];

fn tax_id(lang: WLang, rng: &mut SmallRng) -> String {
    match lang {
        WLang::Da => format!("{} {}", pick(rng, &["CVR", "CVR-nr.", "CVR nr:"]), cvr(rng)),
        WLang::De => format!(
            "{} DE{}",
            pick(rng, &["USt-IdNr.", "USt-ID:", "St.-Nr./USt-IdNr."]),
            de_vat(rng)
        ),
        WLang::En => format!(
            "{} GB{}",
            pick(rng, &["VAT", "VAT No", "VAT Reg No"]),
            gb_vat(rng)
        ),
        WLang::Sv => format!(
            "Org.nr {}{}-{}",
            rng.gen_range(5..6),
            random_digits(rng, 5),
            random_digits(rng, 4)
        ),
        WLang::No => format!(
            "Org.nr. 9{} {} {} MVA",
            random_digits(rng, 2),
            random_digits(rng, 3),
            random_digits(rng, 3)
        ),
        WLang::Fi => format!(
            "Y-tunnus {}-{}",
            random_digits(rng, 7),
            random_digits(rng, 1)
        ),
        WLang::Nl => format!("BTW NL{}B01", random_digits(rng, 9)),
        WLang::Fr => format!(
            "SIRET {} {} {} {}",
            random_digits(rng, 3),
            random_digits(rng, 3),
            random_digits(rng, 3),
            random_digits(rng, 5)
        ),
        WLang::It => format!("P.IVA {}", random_digits(rng, 11)),
        WLang::Es => format!("NIF B{}", random_digits(rng, 8)),
        WLang::Pl => format!(
            "NIP {}-{}-{}-{}",
            random_digits(rng, 3),
            random_digits(rng, 3),
            random_digits(rng, 2),
            random_digits(rng, 2)
        ),
    }
}

fn money(cents: i64, nf: &NumFmt, cur: (&str, &str)) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{}{sign}{}{}",
        cur.0,
        crate::fmt_number(cents.abs(), nf),
        cur.1
    )
}

fn pick_w(rng: &mut SmallRng, xs: &[&str], upper: bool) -> String {
    let s = pick(rng, xs);
    if upper {
        s.to_uppercase()
    } else {
        s.to_string()
    }
}

/// A wide receipt's content and rows; returns it with its header shape.
pub fn make_receipt(lang: WLang, rng: &mut SmallRng) -> (Receipt, &'static str) {
    let li = ALL_LANGS.iter().position(|&l| l == lang).unwrap();
    let place = &PLACES[li];
    let words = lang.till();
    let currency = place.currency;
    let (group, decimal) = match lang {
        WLang::En => (",", '.'),
        WLang::Sv | WLang::Fi | WLang::Fr | WLang::Pl => pick(rng, &[("", ','), (" ", ',')]),
        _ => pick(rng, &[("", ','), (".", ',')]),
    };
    let num = NumFmt { group, decimal };
    let shops = SHOPS[li];
    let merchant = format!("{} {}", pick(rng, shops.0), pick(rng, shops.1));
    let street = {
        let (s, n) = (pick(rng, place.streets), rng.gen_range(1..200));
        if place.number_first {
            format!("{n} {s}")
        } else if matches!(lang, WLang::It | WLang::Es) {
            format!("{s}, {n}")
        } else {
            format!("{s} {n}")
        }
    };
    let city = pick(rng, place.cities).to_string();
    let tel = format!(
        "{} {} {}",
        place.phone,
        random_digits(rng, 3),
        random_digits(rng, 4)
    );
    let taxid = tax_id(lang, rng);
    let first = Date::ymd(2023, 1, 1).days();
    let last = Date::ymd(2026, 10, 31).days();
    let date = Date::from_days(rng.gen_range(first..=last));
    let (hh, mm, ss) = (
        rng.gen_range(7..22),
        rng.gen_range(0..60),
        rng.gen_range(0..60),
    );
    let factor = match currency {
        "DKK" => 7460,
        "SEK" => 11_200,
        "NOK" => 11_500,
        "PLN" => 4_300,
        "GBP" => 860,
        _ => 1000,
    };
    let wide = rng.gen_bool(0.5);
    let upper = rng.gen_bool(0.5);
    let shape = pick(rng, &SHAPES);
    let cur = pick(
        rng,
        match currency {
            "DKK" => &[("", ""), ("", " kr"), ("", " DKK")][..],
            "SEK" => &[("", ""), ("", " kr"), ("", " SEK")],
            "NOK" => &[("", ""), ("kr ", ""), ("", " NOK")],
            "PLN" => &[("", ""), ("", " zł"), ("", " PLN")],
            "GBP" => &[("", ""), ("£", "")],
            _ => &[("", ""), ("", " €"), ("", " EUR"), ("€", "")],
        },
    );
    let line_cur = if rng.gen_bool(0.3) { cur } else { ("", "") };

    // Items; long receipts some of the time.
    let n = match rng.gen_range(0..10) {
        0..=1 => rng.gen_range(30..=60),
        2..=3 => rng.gen_range(15..=29),
        _ => rng.gen_range(4..=14),
    };
    let item_style = rng.gen_range(0..4);
    let times = pick(rng, &["x", "x", "*", "×"]);
    let items: Vec<RItem> = (0..n)
        .map(|_| {
            let (names, lo, hi) = *GOODS.choose(rng).unwrap();
            let raw = rng.gen_range(lo..=hi) * factor / 1000;
            let unit = match currency {
                "DKK" | "SEK" | "NOK" => {
                    ((raw / 100).max(1) * 100 + pick(rng, &[0, 0, 50, 95])).max(100)
                }
                _ => ((raw / 5) * 5 + pick(rng, &[0, 0, 4, 9])).max(10),
            };
            let quantity = if rng.gen_bool(0.7) {
                1
            } else {
                rng.gen_range(2..=4)
            };
            let d = names[li];
            RItem {
                description: if upper {
                    d.to_uppercase()
                } else {
                    d.to_string()
                },
                quantity,
                unit_cents: unit,
                unit_printed: quantity > 1 && item_style > 0,
            }
        })
        .collect();
    let sum: i64 = items.iter().map(|i| i.quantity * i.unit_cents).sum();
    let rate = pick(rng, place.rates);
    let inclusive = lang != WLang::En || rng.gen_bool(0.6);
    let (tax, total) = if inclusive {
        let d = 100_000 + rate;
        ((2 * sum * rate + d) / (2 * d), sum)
    } else {
        let t = tax_cents(sum, rate);
        (t, sum + t)
    };
    let rate_s = crate::fmt_rate(rate);
    let cash = rng.gen_bool(0.45);
    let step = place.rounding;
    let rounded = (cash && step > 0 && total % step != 0 && rng.gen_bool(0.85))
        .then(|| (total + step / 2) / step * step);

    let mut rows = Vec::new();
    // Header.
    let name_shown = if upper || rng.gen_bool(0.5) {
        merchant.to_uppercase()
    } else {
        merchant.clone()
    };
    let big = rng.gen_range(1.3..2.1);
    match shape {
        "brand-top" => {
            rows.push(Row::Centre(
                pick_w(
                    rng,
                    &[
                        "SPAR",
                        "COOP",
                        "REWE",
                        "Carrefour",
                        "Lidl",
                        "EDEKA",
                        "Żabka",
                        "K-Market",
                        "ICA",
                        "Albert Heijn",
                        "Conad",
                        "DIA",
                    ],
                    false,
                ),
                1.0,
                false,
                0.2,
                false,
            ));
            rows.push(Row::Centre(name_shown.clone(), big, true, 0.0, false));
        }
        "slogan-below" => {
            rows.push(Row::Centre(name_shown.clone(), big, true, 0.0, false));
            rows.push(Row::Centre(
                pick(rng, words.slogans).to_string(),
                0.9,
                false,
                0.0,
                false,
            ));
        }
        "inverse" => rows.push(Row::Centre(
            name_shown.clone(),
            big.min(1.7),
            true,
            0.05,
            true,
        )),
        _ => rows.push(Row::Centre(
            name_shown.clone(),
            big,
            rng.gen_bool(0.8),
            0.0,
            false,
        )),
    }
    rows.push(Row::Gap(0.4));
    let contact = [
        street.clone(),
        city.clone(),
        format!("{} {tel}", pick(rng, lang.vocab().phone)),
        taxid,
    ];
    for line in contact {
        if shape == "left" {
            rows.push(Row::Left(line, None));
        } else {
            rows.push(Row::Centre(line, 1.0, false, 0.0, false));
        }
    }
    rows.push(Row::Gap(0.6));
    // Date and time in several forms.
    let yy = date.y % 100;
    let month = lang.vocab().months[date.m as usize - 1];
    let date_s = match rng.gen_range(0..6) {
        0 => format!("{:02}/{:02}/{}", date.d, date.m, date.y),
        1 => format!("{:02}-{:02}-{yy:02}", date.d, date.m),
        2 => format!("{:02}.{:02}.{}", date.d, date.m, date.y),
        3 => {
            let m3: String = month.chars().take(3).collect();
            format!("{} {m3} {}", date.d, date.y)
        }
        4 => date.iso(),
        _ => format!("{:02}.{:02}.{yy:02}", date.d, date.m),
    };
    let time_s = match rng.gen_range(0..3) {
        0 => format!("{hh:02}:{mm:02}"),
        1 => format!("{hh:02}:{mm:02}:{ss:02}"),
        _ => {
            let t = pick(rng, words.time);
            if t.is_empty() {
                format!("{hh:02}:{mm:02}")
            } else {
                format!("{t} {hh:02}:{mm:02}")
            }
        }
    };
    let dl = pick(rng, words.date);
    let date_line = if dl.is_empty() {
        format!("{date_s}  {time_s}")
    } else {
        format!("{dl}: {date_s}  {time_s}")
    };
    let no = rng.gen_range(1..99_999);
    let number = format!(
        "{} {no}  {} {}",
        pick(rng, words.receipt_no),
        pick(rng, words.till),
        rng.gen_range(1..9)
    );
    let cashier = format!(
        "{}: {}",
        pick(rng, words.cashier),
        pick(
            rng,
            &["Anna", "Jonas", "Maria", "Piotr", "Sofie", "Luca", "Eva", "Marc"]
        )
    );
    if wide && rng.gen_bool(0.5) {
        rows.push(Row::Split(
            number,
            date_s.clone() + " " + &time_s,
            false,
            Role::Other,
            None,
        ));
    } else {
        rows.push(Row::Left(date_line, None));
        rows.push(Row::Left(number, None));
    }
    if rng.gen_bool(0.5) {
        rows.push(Row::Left(cashier, None));
    }
    let rule = pick(rng, &['-', '=', '-', '*']);
    rows.push(Row::Rule(rule));
    for (i, it) in items.iter().enumerate() {
        let amount = money(it.quantity * it.unit_cents, &num, line_cur);
        let unit = crate::fmt_number(it.unit_cents, &num);
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
            rows.push(Row::Left(format!("  {} {times} {unit}", it.quantity), None));
        } else if it.quantity > 1 && item_style == 2 {
            rows.push(Row::Left(it.description.clone(), Some(i)));
            rows.push(Row::Split(
                format!("  {} {times} {unit}", it.quantity),
                amount,
                false,
                Role::Other,
                None,
            ));
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
    if n >= 15 && rng.gen_bool(0.5) {
        let count: i64 = items.iter().map(|i| i.quantity).sum();
        rows.push(Row::Left(
            format!("{}: {count}", pick(rng, words.items)),
            None,
        ));
    }
    let show_sub = !inclusive || rng.gen_bool(0.4);
    if show_sub {
        rows.push(Row::Split(
            pick_w(rng, words.subtotal, upper),
            money(sum, &num, line_cur),
            false,
            Role::Subtotal,
            None,
        ));
    }
    let l_tax = if inclusive {
        pick(rng, words.tax_incl).replace("{rate}", &rate_s)
    } else {
        pick(rng, words.tax).replace("{rate}", &rate_s)
    };
    let tax_row = Row::Split(l_tax, money(tax, &num, line_cur), false, Role::Tax, None);
    if !inclusive {
        rows.push(tax_row.clone());
    }
    rows.push(Row::Split(
        pick_w(rng, words.total, upper),
        money(total, &num, cur),
        true,
        Role::Total,
        None,
    ));
    let paid = rounded.unwrap_or(total);
    if let Some(r) = rounded {
        rows.push(Row::Split(
            pick_w(rng, words.rounding, upper),
            money(r - total, &num, ("", "")),
            false,
            Role::Other,
            None,
        ));
        rows.push(Row::Split(
            pick_w(rng, words.to_pay, upper),
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
        let unit = match currency {
            "DKK" | "SEK" | "NOK" => 5000,
            "PLN" => 2000,
            _ => 500,
        };
        let tendered = if rng.gen_bool(0.2) {
            paid
        } else {
            (paid / unit + rng.gen_range(1..4)) * unit
        };
        rows.push(Row::Split(
            pick_w(rng, words.cash, upper),
            money(tendered, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
        rows.push(Row::Split(
            pick_w(rng, words.change, upper),
            money(tendered - paid, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
    } else {
        let last4 = random_digits(rng, 4);
        rows.push(Row::Split(
            format!("{} **** {last4}", pick(rng, words.card)),
            money(paid, &num, line_cur),
            false,
            Role::Other,
            None,
        ));
        if rng.gen_bool(0.6) {
            rows.push(Row::Left(
                format!("{}  {}", pick(rng, words.approved), random_digits(rng, 6)),
                None,
            ));
        }
    }
    rows.push(Row::Gap(1.0));
    rows.push(Row::Centre(
        pick(rng, words.thanks).to_string(),
        1.0,
        false,
        0.0,
        false,
    ));
    if rng.gen_bool(0.4) {
        rows.push(Row::Gap(0.6));
        rows.push(Row::Barcode);
    }
    let receipt = Receipt {
        code: lang.code(),
        currency,
        merchant: name_shown,
        street,
        city,
        date,
        items,
        tax,
        total: paid,
        rows,
        num,
        wide,
    };
    (receipt, shape)
}
