//! `--variety wide` invoices: eleven languages, eleven header layouts, several
//! letterheads, table and totals shapes, footers, fonts, and multi-page invoices.
//!
//! Everything is drawn from the document's own generator, so a seed gives the same
//! document whatever `--count` is. The header `layout` (one of [`LAYOUTS`]) is written to
//! the truth file with `variety: "wide"`, so an evaluator can hold layouts out
//! (`--layouts` / `--exclude-layouts`). The words come from [`crate::labels`].
//!
//! Every string drawn is logged ([`Pen`]); the tests check that each truth value is on
//! the page in the form the generator printed it.

use image::{GrayImage, Luma};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use crate::labels::{Vocab, WLang, ALL_LANGS};
use crate::{
    cvr, de_vat, gb_vat, group4, iban, payment_reference, pick, random_digits, tax_cents,
    truth_money, Date, Face, Fonts, NumFmt, Painter, LEFT, PAGE_H, PAGE_W, RIGHT,
};

/// The header-field arrangements of wide invoices, by the name the truth file gives them.
pub const LAYOUTS: [&str; 11] = [
    "kv-right",
    "inline",
    "grid",
    "leaders",
    "right-labels",
    "two-column",
    "smallcaps",
    "boxed",
    "bar",
    "under-title",
    "footer-fields",
];

// ---------------------------------------------------------------------------------------
// Countries
// ---------------------------------------------------------------------------------------

type W = &'static [&'static str];

/// A vendor country: currency, VAT rates (standard first, in thousandths of a percent),
/// names and addresses, banks (BIC, bank code inside the IBAN) and the account digits
/// that follow the bank code in the BBAN.
struct Nation {
    cc: &'static str,
    currency: &'static str,
    rates: &'static [i64],
    first: W,
    trade: W,
    suffix: W,
    streets: W,
    cities: W,
    number_first: bool,
    phone: &'static str,
    banks: &'static [(&'static str, &'static str)],
    account_digits: usize,
}

#[rustfmt::skip]
const NATIONS: [Nation; 12] = [
    Nation { cc: "DK", currency: "DKK", rates: &[25_000], first: &["Nordlys", "Fjordside", "Havblik", "Skovbryn", "Østerlund", "Bøgely"], trade: &["Kontorartikler", "VVS", "Rengøring", "IT-Service", "Elektro"], suffix: &["ApS", "A/S", "I/S"], streets: &["Vestergade", "Nørregade", "Havnegade", "Industrivej", "Strandvejen"], cities: &["8000 Aarhus C", "1050 København K", "5000 Odense C", "9000 Aalborg", "7100 Vejle"], number_first: false, phone: "+45", banks: &[("NDEADKKK", "2000"), ("DABADKKK", "3000"), ("JYBADKKK", "5010")], account_digits: 10 },
    Nation { cc: "DE", currency: "EUR", rates: &[19_000, 7_000], first: &["Müller & Schmidt", "Becker", "Hoffmann", "Wagner & Söhne", "Krüger"], trade: &["Bürobedarf", "Haustechnik", "Logistik", "Druckerei", "IT-Systeme"], suffix: &["GmbH", "AG", "KG", "GmbH & Co. KG"], streets: &["Hauptstraße", "Bahnhofstraße", "Lindenweg", "Gartenstraße"], cities: &["10115 Berlin", "20095 Hamburg", "80331 München", "50667 Köln"], number_first: false, phone: "+49 30", banks: &[("DEUTDEFF", "50070010"), ("COBADEFFXXX", "37040044"), ("BYLADEM1001", "70020270")], account_digits: 10 },
    Nation { cc: "GB", currency: "GBP", rates: &[20_000, 5_000], first: &["Brightline", "Northgate", "Kestrel", "Harbourview", "Oakmere"], trade: &["Supplies", "Office Solutions", "Facilities", "Print Works"], suffix: &["Ltd", "Limited", "plc", "LLP"], streets: &["High Street", "Station Road", "Church Lane", "Mill Road"], cities: &["London EC1A 1BB", "Manchester M1 2AB", "Leeds LS1 4DY", "Bristol BS1 5TR"], number_first: true, phone: "+44 20", banks: &[("BARCGB22", "BARC20"), ("NWBKGB2L", "NWBK60"), ("LOYDGB2L", "LOYD30")], account_digits: 12 },
    Nation { cc: "US", currency: "USD", rates: &[0, 6_000, 7_250, 8_875], first: &["Redwood", "Silverbrook", "Ashford", "Bluewater"], trade: &["Supplies", "Logistics", "IT Services", "Consulting"], suffix: &["Inc.", "LLC", "Corp."], streets: &["Main Street", "Oak Avenue", "Market Street", "Lake Drive"], cities: &["Springfield, IL 62701", "Austin, TX 78701", "Portland, OR 97204", "Denver, CO 80202"], number_first: true, phone: "+1 (512) 555-", banks: &[("CHASUS33", "021000021"), ("BOFAUS3N", "026009593")], account_digits: 9 },
    Nation { cc: "SE", currency: "SEK", rates: &[25_000, 12_000, 6_000], first: &["Norrsken", "Fjällvik", "Björkdal", "Sjöberg", "Lindholm"], trade: &["Kontorsmaterial", "Städservice", "IT-Konsult", "Elteknik", "Tryckeri"], suffix: &["AB", "HB", "Aktiebolag"], streets: &["Storgatan", "Drottninggatan", "Kungsgatan", "Industrivägen"], cities: &["111 51 Stockholm", "411 03 Göteborg", "211 22 Malmö", "753 20 Uppsala"], number_first: false, phone: "+46 8", banks: &[("ESSESESS", "500"), ("HANDSESS", "600"), ("SWEDSESS", "800")], account_digits: 17 },
    Nation { cc: "NO", currency: "NOK", rates: &[25_000, 15_000], first: &["Fjordlys", "Nordkapp", "Bergtun", "Solvang", "Havørn"], trade: &["Kontorrekvisita", "Rørlegger", "Renhold", "IT-Tjenester", "Elektro"], suffix: &["AS", "ASA", "ANS"], streets: &["Storgata", "Kirkegata", "Strandveien", "Industriveien"], cities: &["0150 Oslo", "5003 Bergen", "7011 Trondheim", "4006 Stavanger"], number_first: false, phone: "+47", banks: &[("DNBANOKK", "1503"), ("NDEANOKK", "6003"), ("SPRONO22", "3000")], account_digits: 7 },
    Nation { cc: "FI", currency: "EUR", rates: &[25_500, 14_000], first: &["Revontuli", "Järvelä", "Koivula", "Mäkinen", "Kallio"], trade: &["Toimistotarvike", "Siivouspalvelu", "IT-Palvelut", "Sähkö", "Kuljetus"], suffix: &["Oy", "Oyj", "Ky"], streets: &["Mannerheimintie", "Hämeenkatu", "Kauppakatu", "Teollisuustie"], cities: &["00100 Helsinki", "33100 Tampere", "20100 Turku", "90100 Oulu"], number_first: false, phone: "+358 9", banks: &[("NDEAFIHH", "166000"), ("OKOYFIHH", "500001"), ("DABAFIHH", "800012")], account_digits: 8 },
    Nation { cc: "NL", currency: "EUR", rates: &[21_000, 9_000], first: &["Van Dijk", "De Vries", "Bakker", "Zeeland", "Molenaar"], trade: &["Kantoorartikelen", "Schoonmaak", "ICT", "Installatietechniek", "Drukkerij"], suffix: &["B.V.", "N.V.", "V.O.F."], streets: &["Hoofdstraat", "Kerkstraat", "Stationsweg", "Industrieweg"], cities: &["1012 AB Amsterdam", "3011 AD Rotterdam", "3511 LK Utrecht", "2511 CV Den Haag"], number_first: false, phone: "+31 20", banks: &[("INGBNL2A", "INGB"), ("RABONL2U", "RABO"), ("ABNANL2A", "ABNA")], account_digits: 10 },
    Nation { cc: "FR", currency: "EUR", rates: &[20_000, 5_500, 10_000], first: &["Dupont", "Lefèvre", "Moreau", "Martin & Fils", "Girard"], trade: &["Fournitures", "Nettoyage", "Informatique", "Imprimerie", "Électricité"], suffix: &["SARL", "SAS", "SA", "EURL"], streets: &["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue du Commerce"], cities: &["75002 Paris", "69002 Lyon", "13001 Marseille", "31000 Toulouse"], number_first: true, phone: "+33 1", banks: &[("BNPAFRPP", "30004"), ("SOGEFRPP", "30003"), ("CRLYFRPP", "30002")], account_digits: 18 },
    Nation { cc: "IT", currency: "EUR", rates: &[22_000, 10_000, 4_000], first: &["Rossi", "Bianchi & Figli", "Ferrari", "Esposito", "Colombo"], trade: &["Forniture Ufficio", "Pulizie", "Informatica", "Tipografia", "Impianti Elettrici"], suffix: &["S.r.l.", "S.p.A.", "S.n.c."], streets: &["Via Roma", "Corso Italia", "Via Garibaldi", "Viale Europa"], cities: &["20121 Milano", "00184 Roma", "10121 Torino", "40121 Bologna"], number_first: false, phone: "+39 02", banks: &[("UNCRITMM", "X02008"), ("BCITITMM", "X03069")], account_digits: 17 },
    Nation { cc: "ES", currency: "EUR", rates: &[21_000, 10_000], first: &["García", "Martínez e Hijos", "López", "Sánchez", "Iberia"], trade: &["Suministros", "Limpiezas", "Informática", "Artes Gráficas", "Electricidad"], suffix: &["S.L.", "S.A.", "S.L.U."], streets: &["Calle Mayor", "Gran Vía", "Avenida de la Constitución", "Calle Real"], cities: &["28013 Madrid", "08002 Barcelona", "46002 Valencia", "41001 Sevilla"], number_first: false, phone: "+34 91", banks: &[("CAIXESBB", "2100"), ("BBVAESMM", "0182"), ("BSCHESMM", "0049")], account_digits: 16 },
    Nation { cc: "PL", currency: "PLN", rates: &[23_000, 8_000], first: &["Kowalski", "Nowak i Syn", "Wiśniewski", "Mazur", "Zieliński"], trade: &["Artykuły Biurowe", "Usługi Sprzątające", "Informatyka", "Drukarnia", "Elektro"], suffix: &["Sp. z o.o.", "S.A.", "Sp.j."], streets: &["ul. Marszałkowska", "ul. Długa", "ul. Piotrkowska", "ul. Polna"], cities: &["00-001 Warszawa", "30-001 Kraków", "90-001 Łódź", "80-001 Gdańsk"], number_first: false, phone: "+48 22", banks: &[("PKOPPLPW", "10201026"), ("BPKOPLPW", "10205561"), ("INGBPLPW", "10501445")], account_digits: 16 },
];

fn nation(lang: WLang, rng: &mut SmallRng) -> &'static Nation {
    let cc = match lang {
        WLang::Da => "DK",
        WLang::De => "DE",
        WLang::En => {
            if rng.gen_bool(0.7) {
                "GB"
            } else {
                "US"
            }
        }
        WLang::Sv => "SE",
        WLang::No => "NO",
        WLang::Fi => "FI",
        WLang::Nl => "NL",
        WLang::Fr => "FR",
        WLang::It => "IT",
        WLang::Es => "ES",
        WLang::Pl => "PL",
    };
    NATIONS.iter().find(|n| n.cc == cc).unwrap()
}

/// (en, da, de, sv, no, fi, nl, fr, it, es, pl descriptions; price range in euro cents; max quantity)
#[rustfmt::skip]
const GOODS: &[([&str; 11], i64, i64, u32)] = &[
    (["Toner cartridge, black", "Toner, sort", "Toner schwarz", "Toner, svart", "Toner, sort", "Värikasetti, musta", "Tonercartridge zwart", "Cartouche de toner noir", "Cartuccia toner nero", "Cartucho de tóner negro", "Toner czarny"], 4500, 12000, 6),
    (["A4 copy paper, 5 reams", "Kopipapir A4, 5 pakker", "Kopierpapier A4, 5 Pakete", "Kopieringspapper A4, 5 paket", "Kopipapir A4, 5 pakker", "Kopiopaperi A4, 5 riisiä", "Kopieerpapier A4, 5 pakken", "Papier A4, 5 ramettes", "Carta A4, 5 risme", "Papel A4, 5 paquetes", "Papier A4, 5 ryz"], 1800, 3200, 20),
    (["Consulting services (hours)", "Konsulentbistand (timer)", "Beratungsleistung (Stunden)", "Konsulttjänster (timmar)", "Konsulenttjenester (timer)", "Konsultointi (tuntia)", "Advieswerkzaamheden (uren)", "Prestation de conseil (heures)", "Consulenza (ore)", "Servicios de consultoría (horas)", "Usługi doradcze (godziny)"], 8500, 15000, 40),
    (["Printer maintenance", "Printerservice", "Druckerwartung", "Skrivarservice", "Skriverservice", "Tulostimen huolto", "Onderhoud printer", "Maintenance imprimante", "Manutenzione stampante", "Mantenimiento impresora", "Serwis drukarki"], 6000, 18000, 2),
    (["Delivery charge", "Fragt", "Versandkosten", "Frakt", "Frakt", "Toimitusmaksu", "Verzendkosten", "Frais de livraison", "Spese di spedizione", "Gastos de envío", "Koszt dostawy"], 500, 2500, 1),
    (["USB-C docking station", "Dockingstation USB-C", "Dockingstation USB-C", "Dockningsstation USB-C", "Dokkingstasjon USB-C", "USB-C-telakka", "USB-C-dockingstation", "Station d'accueil USB-C", "Docking station USB-C", "Base de conexión USB-C", "Stacja dokująca USB-C"], 9000, 22000, 8),
    (["Office cleaning, monthly", "Rengøring af kontor, måned", "Büroreinigung, monatlich", "Kontorsstädning, månad", "Kontorvask, måned", "Toimiston siivous, kk", "Kantoorschoonmaak, maand", "Nettoyage des bureaux, mois", "Pulizia uffici, mensile", "Limpieza de oficina, mes", "Sprzątanie biura, miesiąc"], 25000, 60000, 3),
    (["Software licence, annual", "Softwarelicens, årlig", "Softwarelizenz, jährlich", "Programlicens, årlig", "Programvarelisens, årlig", "Ohjelmistolisenssi, vuosi", "Softwarelicentie, jaarlijks", "Licence logicielle annuelle", "Licenza software annuale", "Licencia de software anual", "Licencja roczna"], 12000, 48000, 10),
    (["LED desk lamp", "Skrivebordslampe LED", "Schreibtischlampe LED", "Skrivbordslampa LED", "Skrivebordslampe LED", "LED-pöytävalaisin", "Bureaulamp LED", "Lampe de bureau LED", "Lampada da scrivania LED", "Lámpara de escritorio LED", "Lampka biurkowa LED"], 2500, 7000, 6),
    (["Coffee beans 1 kg", "Kaffebønner 1 kg", "Kaffeebohnen 1 kg", "Kaffebönor 1 kg", "Kaffebønner 1 kg", "Kahvipavut 1 kg", "Koffiebonen 1 kg", "Café en grains 1 kg", "Caffè in grani 1 kg", "Café en grano 1 kg", "Kawa ziarnista 1 kg"], 1500, 3000, 15),
    (["Network cable Cat6, 5 m", "Netværkskabel Cat6, 5 m", "Netzwerkkabel Cat6, 5 m", "Nätverkskabel Cat6, 5 m", "Nettverkskabel Cat6, 5 m", "Verkkokaapeli Cat6, 5 m", "Netwerkkabel Cat6, 5 m", "Câble réseau Cat6, 5 m", "Cavo di rete Cat6, 5 m", "Cable de red Cat6, 5 m", "Kabel sieciowy Cat6, 5 m"], 400, 1200, 30),
    (["Ballpoint pens, box of 50", "Kuglepenne, æske à 50", "Kugelschreiber, 50 Stück", "Kulspetspennor, 50 st", "Kulepenner, 50 stk", "Kuulakärkikynät, 50 kpl", "Balpennen, doos van 50", "Stylos à bille, boîte de 50", "Penne a sfera, 50 pz", "Bolígrafos, caja de 50", "Długopisy, 50 szt."], 900, 1900, 12),
    (["Installation work", "Installationsarbejde", "Montagearbeiten", "Installationsarbete", "Installasjonsarbeid", "Asennustyö", "Installatiewerk", "Travaux d'installation", "Lavori di installazione", "Trabajos de instalación", "Prace instalacyjne"], 4000, 9000, 16),
    (["Monitor 27 inch", "Skærm 27 tommer", "Monitor 27 Zoll", "Bildskärm 27 tum", "Skjerm 27 tommer", "Näyttö 27 tuumaa", "Monitor 27 inch", "Écran 27 pouces", "Monitor 27 pollici", "Monitor 27 pulgadas", "Monitor 27 cali"], 18000, 42000, 4),
];

fn lang_index(lang: WLang) -> usize {
    ALL_LANGS.iter().position(|&l| l == lang).unwrap()
}

// ---------------------------------------------------------------------------------------
// The invoice's content
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
pub struct WParty {
    pub name: String,
    pub street: String,
    pub city: String,
}

pub struct WItem {
    pub description: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub rate: i64,
}

impl WItem {
    fn amount(&self) -> i64 {
        self.quantity * self.unit_cents
    }
}

pub struct WInvoice {
    pub lang: WLang,
    nation: &'static Nation,
    pub vendor: WParty,
    pub customer: WParty,
    pub phone: String,
    /// Normalised VAT id and the way the footer prints it.
    pub vat: Option<(String, String)>,
    pub number: String,
    pub customer_no: Option<String>,
    pub date: Date,
    pub due: Date,
    pub po: Option<String>,
    pub currency: &'static str,
    pub items: Vec<WItem>,
    /// Per VAT rate: (rate, net base, tax), in the order printed.
    pub by_rate: Vec<(i64, i64, i64)>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub iban: Option<String>,
    pub us_bank: Option<(String, String)>,
    pub bic: Option<String>,
    pub reference: Option<String>,
}

fn party(n: &Nation, rng: &mut SmallRng) -> WParty {
    let name = format!(
        "{} {} {}",
        pick(rng, n.first),
        pick(rng, n.trade),
        pick(rng, n.suffix)
    );
    let (street, no) = (pick(rng, n.streets), rng.gen_range(1..160));
    let street = if n.number_first {
        format!("{no} {street}")
    } else if n.cc == "IT" || n.cc == "ES" {
        format!("{street}, {no}")
    } else {
        format!("{street} {no}")
    };
    WParty {
        name,
        street,
        city: pick(rng, n.cities).to_string(),
    }
}

/// A VAT id (normalised, printed) in the country's shape.
fn vat_id(n: &Nation, v: &Vocab, rng: &mut SmallRng) -> Option<(String, String)> {
    let label = pick(rng, v.vat_id);
    let (norm, shown) = match n.cc {
        "DK" => {
            let c = cvr(rng);
            let shown = if rng.gen_bool(0.5) {
                format!("{label} {c}")
            } else {
                format!("{label}: DK{c}")
            };
            (format!("DK{c}"), shown)
        }
        "DE" => {
            let d = de_vat(rng);
            (format!("DE{d}"), format!("{label}: DE{d}"))
        }
        "GB" => {
            let g = gb_vat(rng);
            (format!("GB{g}"), format!("{label} GB{g}"))
        }
        "US" => return None,
        "SE" => {
            let d = format!("{}{}", rng.gen_range(1..10), random_digits(rng, 9));
            (format!("SE{d}01"), format!("{label} SE{d}01"))
        }
        "NO" => {
            let d = format!("9{}", random_digits(rng, 8));
            (
                format!("NO{d}MVA"),
                format!("{label} NO {} {} {} MVA", &d[..3], &d[3..6], &d[6..]),
            )
        }
        "FI" => {
            let d = random_digits(rng, 8);
            (format!("FI{d}"), format!("{label} FI{d}"))
        }
        "NL" => {
            let d = random_digits(rng, 9);
            (format!("NL{d}B01"), format!("{label} NL{d}B01"))
        }
        "FR" => {
            let d = random_digits(rng, 11);
            (
                format!("FR{d}"),
                format!("{label} FR {} {}", &d[..2], &d[2..]),
            )
        }
        "IT" => {
            let d = random_digits(rng, 11);
            (format!("IT{d}"), format!("{label} IT{d}"))
        }
        "ES" => {
            let d = format!("{}{}", pick(rng, &["A", "B"]), random_digits(rng, 8));
            (format!("ES{d}"), format!("{label}: ES{d}"))
        }
        _ => {
            let d = format!("{}{}", rng.gen_range(1..10), random_digits(rng, 9));
            (
                format!("PL{d}"),
                format!(
                    "{label} PL{}-{}-{}-{}",
                    &d[..3],
                    &d[3..6],
                    &d[6..8],
                    &d[8..]
                ),
            )
        }
    };
    Some((norm, shown))
}

fn invoice_number(n: &Nation, year: i32, rng: &mut SmallRng) -> String {
    let k = rng.gen_range(1..99_999u32);
    match rng.gen_range(0..7) {
        0 => format!("{year}-{:05}", k),
        1 => format!("{}{:06}", pick(rng, &["F", "R", "INV", "FA"]), k),
        2 => format!("{}/{year}", k % 10_000),
        3 => format!("{}-{year}-{:04}", n.cc, k % 10_000),
        4 => format!("{:07}", k + 1_000_000),
        5 => format!("{}/{:02}/{year}", k % 1000, rng.gen_range(1..13)),
        _ => format!("{}{}", year % 100, random_digits(rng, 5)),
    }
}

fn purchase_order(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..4) {
        0 => format!("PO-{}", rng.gen_range(10_000..99_999)),
        1 => format!("45000{}", random_digits(rng, 5)),
        2 => format!("ORD-{}", rng.gen_range(1000..9999)),
        _ => format!("BST{}", random_digits(rng, 6)),
    }
}

pub fn make_invoice(lang: WLang, multipage: bool, rng: &mut SmallRng) -> WInvoice {
    let n = nation(lang, rng);
    make_invoice_in(n, lang, multipage, rng)
}

/// [`make_invoice`] from a vendor in country `n`.
fn make_invoice_in(
    n: &'static Nation,
    lang: WLang,
    multipage: bool,
    rng: &mut SmallRng,
) -> WInvoice {
    let v = lang.vocab();
    let currency = if n.cc == "GB" && rng.gen_bool(0.2) {
        "EUR"
    } else {
        n.currency
    };
    let vendor = party(n, rng);
    let mut customer = party(n, rng);
    while customer.name == vendor.name {
        customer = party(n, rng);
    }
    let first = Date::ymd(2023, 1, 1).days();
    let last = Date::ymd(2026, 10, 31).days() - 60;
    let date = Date::from_days(rng.gen_range(first..=last));
    let due = Date::from_days(date.days() + pick(rng, &[8, 10, 14, 14, 20, 30, 30, 45, 60]));
    let factor = match currency {
        "DKK" => 7460,
        "SEK" => 11_200,
        "NOK" => 11_500,
        "PLN" => 4_300,
        "GBP" => 860,
        "USD" => 1080,
        _ => 1000,
    };
    let count = if multipage {
        rng.gen_range(26..=40)
    } else {
        rng.gen_range(1..=12)
    };
    let li = lang_index(lang);
    let us = n.cc == "US";
    let std_rate = if us { pick(rng, n.rates) } else { n.rates[0] };
    let mixed = !us && n.rates.len() > 1 && rng.gen_bool(0.25);
    let items: Vec<WItem> = (0..count)
        .map(|_| {
            let (names, lo, hi, max_qty) = *GOODS.choose(rng).unwrap();
            let raw = rng.gen_range(lo..=hi) * factor / 1000;
            let unit = match rng.gen_range(0..10) {
                0..=4 => (raw / 100).max(1) * 100,
                5..=6 => (raw / 50).max(2) * 50,
                _ => raw.max(100),
            };
            let rate = if mixed && rng.gen_bool(0.4) {
                pick(rng, &n.rates[1..])
            } else {
                std_rate
            };
            WItem {
                description: names[li].to_string(),
                quantity: rng.gen_range(1..=max_qty) as i64,
                unit_cents: unit,
                rate,
            }
        })
        .collect();
    let mut rates: Vec<i64> = items.iter().map(|i| i.rate).collect();
    rates.sort_unstable_by(|a, b| b.cmp(a));
    rates.dedup();
    let by_rate: Vec<(i64, i64, i64)> = rates
        .iter()
        .map(|&r| {
            let base: i64 = items
                .iter()
                .filter(|i| i.rate == r)
                .map(WItem::amount)
                .sum();
            (r, base, tax_cents(base, r))
        })
        .collect();
    let subtotal: i64 = items.iter().map(WItem::amount).sum();
    let tax: i64 = by_rate.iter().map(|b| b.2).sum();
    let (bic, code) = pick(rng, n.banks);
    let account = random_digits(rng, n.account_digits);
    let (iban_v, us_bank) = if us {
        (None, Some((code.to_string(), account)))
    } else {
        (Some(iban(n.cc, &format!("{code}{account}"))), None)
    };
    let phone = if us {
        format!("{}{}", n.phone, random_digits(rng, 4))
    } else {
        format!(
            "{} {} {}",
            n.phone,
            random_digits(rng, 3),
            random_digits(rng, 4)
        )
    };
    WInvoice {
        lang,
        nation: n,
        vat: vat_id(n, v, rng),
        number: invoice_number(n, date.y, rng),
        customer_no: rng
            .gen_bool(0.3)
            .then(|| rng.gen_range(10_000..999_999).to_string()),
        po: rng.gen_bool(0.6).then(|| purchase_order(rng)),
        reference: rng.gen_bool(0.4).then(|| payment_reference(rng)),
        bic: (!us && rng.gen_bool(0.7)).then(|| bic.to_string()),
        vendor,
        customer,
        phone,
        date,
        due,
        currency,
        items,
        by_rate,
        subtotal,
        tax,
        total: subtotal + tax,
        iban: iban_v,
        us_bank,
    }
}

// ---------------------------------------------------------------------------------------
// Dates and amounts in the language's conventions
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub enum WDate {
    Dot,
    Dash,
    Slash,
    Iso,
    Written,
    /// "March 5, 2026" and "03/05/2026": US vendors only.
    UsWritten,
    UsSlash,
}

pub fn fmt_wdate(d: Date, f: WDate, lang: WLang) -> String {
    let month = lang.vocab().months[d.m as usize - 1];
    match f {
        WDate::Dot => format!("{:02}.{:02}.{}", d.d, d.m, d.y),
        WDate::Dash => format!("{:02}-{:02}-{}", d.d, d.m, d.y),
        WDate::Slash => format!("{:02}/{:02}/{}", d.d, d.m, d.y),
        WDate::Iso => d.iso(),
        WDate::UsWritten => format!("{month} {}, {}", d.d, d.y),
        WDate::UsSlash => format!("{:02}/{:02}/{}", d.m, d.d, d.y),
        WDate::Written => match lang {
            WLang::Da | WLang::De | WLang::No | WLang::Fi => {
                format!("{}. {month} {}", d.d, d.y)
            }
            WLang::Es => format!("{} de {month} de {}", d.d, d.y),
            _ => format!("{} {month} {}", d.d, d.y),
        },
    }
}

fn date_formats(lang: WLang, us: bool) -> &'static [WDate] {
    use WDate::*;
    if us {
        return &[UsWritten, UsSlash, Iso];
    }
    match lang {
        WLang::Da | WLang::No => &[Dot, Dash, Written, Iso],
        WLang::De | WLang::Fi | WLang::Pl => &[Dot, Written, Iso],
        WLang::Sv => &[Iso, Written, Dot],
        WLang::Nl => &[Dash, Written, Iso, Slash],
        WLang::En => &[Slash, Written, Iso],
        WLang::Fr | WLang::It | WLang::Es => &[Slash, Written, Dot],
    }
}

fn num_formats(lang: WLang) -> &'static [(&'static str, char)] {
    match lang {
        WLang::En => &[(",", '.'), ("", '.')],
        WLang::De => &[(".", ','), (".", ','), ("'", '.')],
        WLang::Da | WLang::No => &[(".", ','), (" ", ',')],
        WLang::Sv | WLang::Fi | WLang::Fr | WLang::Pl => &[(" ", ','), ("", ',')],
        WLang::Nl | WLang::It | WLang::Es => &[(".", ','), ("", ',')],
    }
}

fn currency_forms(currency: &str) -> &'static [(&'static str, &'static str)] {
    match currency {
        "DKK" => &[("", " kr."), ("DKK ", ""), ("", " DKK")],
        "SEK" => &[("", " kr"), ("", " SEK"), ("SEK ", "")],
        "NOK" => &[("kr ", ""), ("", " NOK"), ("NOK ", "")],
        "PLN" => &[("", " zł"), ("", " PLN")],
        "GBP" => &[("£", ""), ("GBP ", "")],
        "USD" => &[("$", ""), ("USD ", "")],
        _ => &[("€ ", ""), ("", " €"), ("EUR ", ""), ("", " EUR")],
    }
}

// ---------------------------------------------------------------------------------------
// Printing choices
// ---------------------------------------------------------------------------------------

/// The labels one document prints, each drawn from its language's list.
pub struct WLabels {
    heading: String,
    invoice_no: String,
    date: String,
    due: String,
    po: String,
    customer_no: String,
    buyer: String,
    description: String,
    qty: String,
    unit_price: String,
    amount: String,
    vat_col: String,
    pos: String,
    subtotal: String,
    tax: String,
    total: String,
    reference: String,
    bank: String,
    phone: String,
    page: String,
    continued: String,
    carried: String,
    terms: String,
    thanks: String,
}

fn draw_labels(inv: &WInvoice, rng: &mut SmallRng) -> WLabels {
    let v = inv.lang.vocab();
    let days = inv.due.days() - inv.date.days();
    let mut p = |xs: &[&str]| pick(rng, xs).to_string();
    WLabels {
        heading: p(v.heading),
        invoice_no: p(v.invoice_no),
        date: p(v.date),
        due: p(v.due),
        po: p(v.po),
        customer_no: p(v.customer_no),
        buyer: p(v.buyer),
        description: p(v.description),
        qty: p(v.qty),
        unit_price: p(v.unit_price),
        amount: p(v.amount),
        vat_col: p(v.vat_col),
        pos: p(v.pos),
        subtotal: p(v.subtotal),
        tax: p(v.tax),
        total: p(v.total),
        reference: p(v.reference),
        bank: p(v.bank),
        phone: p(v.phone),
        page: p(v.page),
        continued: p(v.continued),
        carried: p(v.carried),
        terms: p(v.terms).replace("{days}", &days.to_string()),
        thanks: p(v.thanks),
    }
}

pub struct WStyle {
    pub layout: &'static str,
    labels: WLabels,
    num: NumFmt,
    cur: (&'static str, &'static str),
    pub date_fmt: WDate,
    /// Index into text families then mono families (6 in all).
    family: usize,
    mono_numbers: Option<usize>,
    body_px: f32,
    ink: u8,
    top: f32,
    colon: bool,
    /// 0 left, 1 centred, 2 right.
    head_align: u8,
    /// 0 none, 1 shape, 2 initials in a circle, 3 wordmark.
    logo: u8,
    /// The letterhead shows only the logo; the name is in the footer.
    name_in_footer_only: bool,
    buyer_left: bool,
    /// 0 full rules, 1 header rule only, 2 zebra, 3 no rules.
    table_rules: u8,
    /// 0 desc qty unit amount, 1 qty desc unit amount, 2 desc unit qty amount.
    col_order: u8,
    pos_col: bool,
    vat_col: bool,
    /// 0 right list, 1 boxed, 2 inside the table, 3 big total line, 4 per-rate breakdown.
    totals: u8,
    footer_cols: u8,
    currency_in_header: bool,
}

fn make_style(inv: &WInvoice, layout: &'static str, rng: &mut SmallRng) -> WStyle {
    let us = inv.nation.cc == "US";
    let (group, decimal) = pick(rng, num_formats(inv.lang));
    let mixed_rates = inv.by_rate.len() > 1;
    let logo = rng.gen_range(0..4u8);
    let mut totals = rng.gen_range(0..5u8);
    if mixed_rates {
        totals = 4;
    }
    WStyle {
        layout,
        labels: draw_labels(inv, rng),
        num: NumFmt { group, decimal },
        cur: pick(rng, currency_forms(inv.currency)),
        date_fmt: pick(rng, date_formats(inv.lang, us)),
        family: rng.gen_range(0..6),
        mono_numbers: rng.gen_bool(0.2).then(|| rng.gen_range(0..2)),
        body_px: rng.gen_range(32..=42) as f32,
        ink: rng.gen_range(0..=40),
        top: rng.gen_range(160.0..260.0),
        colon: rng.gen_bool(0.6),
        head_align: rng.gen_range(0..3),
        logo,
        name_in_footer_only: logo >= 2 && rng.gen_bool(0.3),
        buyer_left: rng.gen_bool(0.7),
        table_rules: rng.gen_range(0..4),
        col_order: rng.gen_range(0..3),
        pos_col: rng.gen_bool(0.3),
        vat_col: mixed_rates || rng.gen_bool(0.15),
        totals,
        footer_cols: rng.gen_range(1..=4),
        currency_in_header: rng.gen_bool(0.3),
    }
}

// ---------------------------------------------------------------------------------------
// Drawing with a log of what was printed
// ---------------------------------------------------------------------------------------

/// A painter that remembers every string it draws, page by page.
pub struct Pen<'a> {
    p: Painter<'a>,
    pub log: Vec<String>,
}

impl<'a> Pen<'a> {
    fn s(&self) -> f32 {
        self.p.size
    }
    fn w(&self, face: Face, px: f32, t: &str) -> f32 {
        self.p.width(face, px, t)
    }
    fn fit(&self, face: Face, px: f32, max_w: f32, t: &str) -> f32 {
        self.p.fit(face, px, max_w, t)
    }
    fn text(&mut self, face: Face, px: f32, x: f32, y: f32, t: &str) -> f32 {
        self.log.push(t.to_string());
        self.p.text(face, px, x, y, t)
    }
    fn right(&mut self, face: Face, px: f32, r: f32, y: f32, t: &str) -> f32 {
        self.log.push(t.to_string());
        self.p.text_right(face, px, r, y, t)
    }
    fn centre(&mut self, face: Face, px: f32, c: f32, y: f32, t: &str) -> f32 {
        self.log.push(t.to_string());
        self.p.text_centered(face, px, c, y, t)
    }
    fn fill(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, shade: u8) {
        self.p.fill_rect(x0, y0, x1, y1, shade)
    }
    fn hline(&mut self, x0: f32, x1: f32, y: f32, t: f32) {
        self.p.hline(x0, x1, y, t)
    }
    fn vline(&mut self, x: f32, y0: f32, y1: f32, t: f32) {
        self.p.vline(x, y0, y1, t)
    }
    fn outline(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, t: f32) {
        self.p.rect_outline(x0, y0, x1, y1, t)
    }
    /// A ring (or a disc when `thick` ≥ `r`) centred at (cx, cy).
    fn ring(&mut self, cx: f32, cy: f32, r: f32, thick: f32) {
        let ink = self.p.ink;
        let img = &mut self.p.img;
        let (w, h) = img.dimensions();
        for y in (cy - r - 2.0).max(0.0) as u32..((cy + r + 2.0) as u32).min(h) {
            for x in (cx - r - 2.0).max(0.0) as u32..((cx + r + 2.0) as u32).min(w) {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let c = (thick / 2.0 - (d - (r - thick / 2.0)).abs() + 0.5).clamp(0.0, 1.0);
                if c > 0.0 {
                    let p = img.get_pixel_mut(x, y);
                    let v = p.0[0] as f32 + (ink as f32 - p.0[0] as f32) * c;
                    p.0[0] = p.0[0].min(v.round() as u8);
                }
            }
        }
    }
    /// A filled triangle with apex up, inside the box.
    fn triangle(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, shade: u8) {
        let h = y1 - y0;
        let mid = (x0 + x1) / 2.0;
        let half = (x1 - x0) / 2.0;
        let mut y = y0;
        while y < y1 {
            let t = (y - y0) / h;
            self.fill(mid - half * t, y, mid + half * t, y + 1.0, shade);
            y += 1.0;
        }
    }
}

fn label(st: &WStyle, l: &str) -> String {
    if st.colon {
        format!("{l}:")
    } else {
        l.to_string()
    }
}

fn money(st: &WStyle, cents: i64) -> String {
    format!(
        "{}{}{}",
        st.cur.0,
        crate::fmt_number(cents, &st.num),
        st.cur.1
    )
}

fn number(st: &WStyle, cents: i64) -> String {
    crate::fmt_number(cents, &st.num)
}

fn header_fields(inv: &WInvoice, st: &WStyle) -> Vec<(String, String)> {
    let l = &st.labels;
    let mut f = vec![
        (l.invoice_no.clone(), inv.number.clone()),
        (l.date.clone(), fmt_wdate(inv.date, st.date_fmt, inv.lang)),
        (l.due.clone(), fmt_wdate(inv.due, st.date_fmt, inv.lang)),
    ];
    if let Some(c) = &inv.customer_no {
        f.push((l.customer_no.clone(), c.clone()));
    }
    if let Some(po) = &inv.po {
        f.push((l.po.clone(), po.clone()));
    }
    f
}

const MID: f32 = (LEFT + RIGHT) / 2.0;
const COL2: f32 = 1300.0;

/// Letterhead: logo, name and address; returns the baseline below it.
fn draw_letterhead(pen: &mut Pen, inv: &WInvoice, st: &WStyle, rng: &mut SmallRng) -> f32 {
    let s = pen.s();
    let mut y = st.top;
    let initials: String = inv
        .vendor
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphabetic())
        .take(2)
        .collect();
    let brand = inv
        .vendor
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    let anchor = |w: f32| match st.head_align {
        0 => LEFT,
        1 => MID - w / 2.0,
        _ => RIGHT - w,
    };
    // The logo.
    match st.logo {
        1 => {
            let size = s * rng.gen_range(2.0..3.0);
            let x = anchor(size);
            let shade = rng.gen_range(40..140);
            if rng.gen_bool(0.5) {
                pen.triangle(x, y, x + size, y + size, shade);
            } else {
                pen.fill(x, y, x + size, y + size, shade);
                pen.fill(
                    x + size * 0.3,
                    y + size * 0.3,
                    x + size * 0.7,
                    y + size * 0.7,
                    255,
                );
            }
            y += size + s * 0.6;
        }
        2 => {
            let r = s * rng.gen_range(1.3..1.8);
            let x = anchor(2.0 * r);
            pen.ring(x + r, y + r, r, 5.0);
            let px = r * 0.9;
            pen.centre(Face::Bold, px, x + r, y + r + px * 0.36, &initials);
            y += 2.0 * r + s * 0.6;
        }
        3 => {
            let px = pen.fit(Face::Bold, s * rng.gen_range(2.2..3.2), 1100.0, &brand);
            let w = pen.w(Face::Bold, px, &brand);
            y += px;
            pen.text(Face::Bold, px, anchor(w), y, &brand);
            y += s * 0.8;
        }
        _ => {}
    }
    let mut lines: Vec<(Face, f32, String)> = vec![];
    if !st.name_in_footer_only {
        let px = pen.fit(Face::Bold, s * 1.4, 1050.0, &inv.vendor.name);
        lines.push((Face::Bold, px, inv.vendor.name.clone()));
    }
    lines.push((Face::Regular, s, inv.vendor.street.clone()));
    lines.push((Face::Regular, s, inv.vendor.city.clone()));
    if rng.gen_bool(0.5) {
        lines.push((
            Face::Regular,
            s,
            format!("{} {}", st.labels.phone, inv.phone),
        ));
    }
    for (k, (face, px, text)) in lines.iter().enumerate() {
        y += if k == 0 { *px } else { s * 1.4 };
        let w = pen.w(*face, *px, text);
        pen.text(*face, *px, anchor(w), y, text);
    }
    y
}

/// The buyer block at (x, y); returns its last baseline.
fn draw_buyer(
    pen: &mut Pen,
    inv: &WInvoice,
    st: &WStyle,
    x: f32,
    y: f32,
    small_label: bool,
) -> f32 {
    let s = pen.s();
    let mut y = y;
    if small_label {
        pen.text(
            Face::Regular,
            s * 0.75,
            x,
            y,
            &st.labels.buyer.to_uppercase(),
        );
    } else {
        pen.text(Face::Bold, s * 0.9, x, y, &label(st, &st.labels.buyer));
    }
    y += s * 1.5;
    let px = pen.fit(
        Face::Regular,
        s,
        (RIGHT - x).min(1000.0),
        &inv.customer.name,
    );
    pen.text(Face::Regular, px, x, y, &inv.customer.name);
    for line in [&inv.customer.street, &inv.customer.city] {
        y += s * 1.4;
        pen.text(Face::Regular, s, x, y, line);
    }
    y
}

/// Header fields in the given layout, starting at `y` (in `x0..x1` where it matters);
/// returns the baseline below them.
fn draw_fields(pen: &mut Pen, st: &WStyle, fields: &[(String, String)], x0: f32, y: f32) -> f32 {
    let s = pen.s();
    let labels: Vec<String> = fields.iter().map(|(l, _)| label(st, l)).collect();
    let lw = labels
        .iter()
        .map(|l| pen.w(Face::Bold, s, l))
        .fold(0.0, f32::max);
    let vw = fields
        .iter()
        .map(|(_, v)| pen.w(Face::Regular, s, v))
        .fold(0.0, f32::max);
    let step = s * 1.55;
    let mut y = y;
    match st.layout {
        "kv-right" | "under-title" | "footer-fields" => {
            let x = if st.layout == "kv-right" {
                x0.min(RIGHT - lw - vw - 50.0)
            } else {
                x0
            };
            for (l, (_, v)) in labels.iter().zip(fields) {
                pen.text(Face::Bold, s, x, y, l);
                pen.text(Face::Regular, s, x + lw + 50.0, y, v);
                y += step;
            }
            y - step
        }
        "inline" => {
            let runs: Vec<String> = fields.iter().map(|(l, v)| format!("{l}: {v}")).collect();
            for chunk in runs.chunks(2) {
                let line = chunk.join("   ·   ");
                let px = pen.fit(Face::Regular, s, RIGHT - LEFT, &line);
                pen.text(Face::Regular, px, LEFT, y, &line);
                y += s * 1.5;
            }
            y - s * 1.5
        }
        "leaders" => {
            // Label, dotted leader, value flush right in the right column.
            let x = x0.min(RIGHT - lw - vw - 120.0);
            let dot_w = pen.w(Face::Regular, s, ".");
            for (l, (_, v)) in labels.iter().zip(fields) {
                let l = l.trim_end_matches(':');
                let end = pen.text(Face::Regular, s, x, y, l) + x;
                let vx = RIGHT - pen.w(Face::Bold, s, v);
                let n = ((vx - end - 30.0) / dot_w).max(0.0) as usize;
                let dots: String = ".".repeat(n);
                pen.p.text(Face::Regular, s, end + 15.0, y, &dots);
                pen.right(Face::Bold, s, RIGHT, y, v);
                y += step;
            }
            y - step
        }
        "right-labels" => {
            // Labels right-aligned against a column, values left-aligned after it.
            let col = (RIGHT - vw - 40.0).min(x0 + lw + 20.0);
            for (l, (_, v)) in labels.iter().zip(fields) {
                pen.right(Face::Regular, s * 0.9, col, y, l);
                pen.text(Face::Bold, s, col + 30.0, y, v);
                y += step;
            }
            y - step
        }
        "two-column" => {
            let half = fields.len().div_ceil(2);
            let col_lw = |pen: &Pen, part: &[String]| {
                part.iter()
                    .map(|l| pen.w(Face::Bold, s, l))
                    .fold(0.0, f32::max)
            };
            let (a, b) = labels.split_at(half);
            let (lwa, lwb) = (col_lw(pen, a), col_lw(pen, b));
            for (k, (l, (_, v))) in labels.iter().zip(fields).enumerate() {
                let (x, w, row) = if k < half {
                    (LEFT, lwa, k)
                } else {
                    (COL2, lwb, k - half)
                };
                let yy = y + row as f32 * step;
                pen.text(Face::Bold, s, x, yy, l);
                let room = if k < half {
                    COL2 - 40.0 - (x + w + 40.0)
                } else {
                    RIGHT - (x + w + 40.0)
                };
                let px = pen.fit(Face::Regular, s, room, v);
                pen.text(Face::Regular, px, x + w + 40.0, yy, v);
            }
            y + (half as f32 - 1.0) * step
        }
        "smallcaps" | "bar" => {
            let lpx = (s * 0.72).round();
            let caps: Vec<String> = fields.iter().map(|(l, _)| l.to_uppercase()).collect();
            let widths: Vec<f32> = caps
                .iter()
                .zip(fields)
                .map(|(l, (_, v))| pen.w(Face::Regular, lpx, l).max(pen.w(Face::Bold, s, v)) + 60.0)
                .collect();
            let total: f32 = widths.iter().sum();
            let scale = if total > RIGHT - LEFT - 40.0 {
                (RIGHT - LEFT - 40.0) / total
            } else {
                1.0
            };
            let (lpx, vpx) = (lpx * scale.max(0.6), s * scale.max(0.6));
            if st.layout == "bar" {
                pen.fill(LEFT - 10.0, y - lpx * 1.4, RIGHT + 10.0, y + vpx * 1.9, 225);
            }
            let mut x = LEFT + if st.layout == "bar" { 20.0 } else { 0.0 };
            for ((l, (_, v)), w) in caps.iter().zip(fields).zip(&widths) {
                pen.text(Face::Regular, lpx, x, y, l);
                pen.text(Face::Bold, vpx, x, y + vpx * 1.35, v);
                x += w * scale;
            }
            y + vpx * 1.35
        }
        "boxed" => {
            let pad = 30.0;
            let x = x0.min(RIGHT - lw - vw - 50.0 - 2.0 * pad);
            let bottom = y + step * (fields.len() as f32 - 1.0) + s * 0.6 + pad;
            pen.outline(x - pad, y - s - pad, RIGHT + 10.0, bottom, 3.0);
            for (l, (_, v)) in labels.iter().zip(fields) {
                pen.text(Face::Regular, s, x, y, l);
                pen.text(Face::Bold, s, x + lw + 50.0, y, v);
                y += step;
            }
            bottom
        }
        _ => {
            // "grid": a ruled table, labels in the upper cells and values below.
            let lpx = (s * 0.85).round();
            let pad = 20.0;
            let widths: Vec<f32> = fields
                .iter()
                .map(|(l, v)| pen.w(Face::Bold, lpx, l).max(pen.w(Face::Regular, s, v)) + 2.0 * pad)
                .collect();
            let total: f32 = widths.iter().sum();
            let scale = ((RIGHT - LEFT) / total).min(1.6);
            let (lpx, vpx) = if total > RIGHT - LEFT {
                (lpx * scale, s * scale)
            } else {
                (lpx, s)
            };
            let row_h = s * 1.7;
            let top = y - s;
            pen.fill(LEFT, top, RIGHT, top + row_h, 232);
            pen.outline(LEFT, top, RIGHT, top + 2.0 * row_h, 3.0);
            pen.hline(LEFT, RIGHT, top + row_h, 2.0);
            let mut x = LEFT;
            for (k, ((l, v), w)) in fields.iter().zip(&widths).enumerate() {
                if k > 0 {
                    pen.vline(x, top, top + 2.0 * row_h, 2.0);
                }
                pen.text(
                    Face::Bold,
                    lpx,
                    x + pad,
                    top + (row_h + 0.72 * lpx) / 2.0,
                    l,
                );
                pen.text(
                    Face::Regular,
                    vpx,
                    x + pad,
                    top + row_h + (row_h + 0.72 * vpx) / 2.0,
                    v,
                );
                x += w * scale;
            }
            top + 2.0 * row_h
        }
    }
}

/// The column layout of the item table: (kind, right or left edge, right-aligned).
#[derive(Clone, Copy, PartialEq)]
enum Col {
    Pos,
    Desc,
    Qty,
    Unit,
    Vat,
    Amount,
}

fn columns(st: &WStyle) -> Vec<(Col, f32, bool)> {
    let mut cols = vec![];
    let mut x = LEFT;
    if st.pos_col {
        cols.push((Col::Pos, x, false));
        x += 110.0;
    }
    let vat = st.vat_col;
    match st.col_order {
        1 => {
            cols.push((Col::Qty, x + 190.0, true));
            cols.push((Col::Desc, x + 250.0, false));
            if vat {
                cols.push((Col::Vat, 1560.0, true));
            }
            cols.push((Col::Unit, 1900.0, true));
        }
        2 => {
            cols.push((Col::Desc, x, false));
            cols.push((Col::Unit, 1500.0, true));
            cols.push((Col::Qty, 1700.0, true));
            if vat {
                cols.push((Col::Vat, 1890.0, true));
            }
        }
        _ => {
            cols.push((Col::Desc, x, false));
            cols.push((Col::Qty, 1380.0, true));
            if vat {
                cols.push((Col::Vat, 1580.0, true));
            }
            cols.push((Col::Unit, 1900.0, true));
        }
    }
    cols.push((Col::Amount, RIGHT, true));
    cols
}

/// The right edge of the description's room (the next column's left).
fn desc_room(cols: &[(Col, f32, bool)]) -> (f32, f32) {
    let i = cols.iter().position(|c| c.0 == Col::Desc).unwrap();
    let x = cols[i].1;
    let next = cols.get(i + 1).map_or(RIGHT, |c| c.1 - 230.0);
    (x, next - 30.0)
}

/// Draws the item table header at `y`; returns the first row's baseline.
fn table_header(
    pen: &mut Pen,
    st: &WStyle,
    inv: &WInvoice,
    y: f32,
    cols: &[(Col, f32, bool)],
) -> f32 {
    let s = pen.s();
    let l = &st.labels;
    match st.table_rules {
        0 | 2 => pen.fill(LEFT - 12.0, y - s * 1.25, RIGHT + 12.0, y + s * 0.55, 220),
        _ => pen.hline(LEFT, RIGHT, y - s * 1.3, 2.0),
    }
    let amount_h = if st.currency_in_header {
        format!("{} ({})", l.amount, inv.currency)
    } else {
        l.amount.clone()
    };
    for (k, &(c, x, right)) in cols.iter().enumerate() {
        let text = match c {
            Col::Pos => l.pos.clone(),
            Col::Desc => l.description.clone(),
            Col::Qty => l.qty.clone(),
            Col::Unit => l.unit_price.clone(),
            Col::Vat => l.vat_col.clone(),
            Col::Amount => amount_h.clone(),
        };
        let room = if right {
            let prev = if k > 0 { cols[k - 1].1 } else { LEFT - 30.0 };
            (x - prev - 40.0).max(120.0)
        } else {
            600.0
        };
        let px = pen.fit(Face::Bold, s, room, &text);
        if right {
            pen.right(Face::Bold, px, x, y, &text);
        } else {
            pen.text(Face::Bold, px, x, y, &text);
        }
    }
    pen.hline(LEFT, RIGHT, y + s * 0.6, 3.0);
    y + s * 0.6 + s * 1.75
}

/// Item rows `range` from `y`; returns the baseline after the last row.
fn table_rows(
    pen: &mut Pen,
    st: &WStyle,
    inv: &WInvoice,
    range: std::ops::Range<usize>,
    y: f32,
    cols: &[(Col, f32, bool)],
) -> f32 {
    let s = pen.s();
    let step = s * 1.75;
    let mut y = y;
    let (dx, dend) = desc_room(cols);
    for k in range {
        let it = &inv.items[k];
        if st.table_rules == 2 && k % 2 == 1 {
            pen.fill(LEFT - 12.0, y - s * 1.15, RIGHT + 12.0, y + s * 0.6, 238);
        }
        for &(c, x, _) in cols {
            match c {
                Col::Pos => {
                    pen.text(Face::Number, s, x, y, &(k + 1).to_string());
                }
                Col::Desc => {
                    let px = pen.fit(Face::Regular, s, dend - dx, &it.description);
                    pen.text(Face::Regular, px, dx, y, &it.description);
                }
                Col::Qty => {
                    pen.right(Face::Number, s, x, y, &it.quantity.to_string());
                }
                Col::Unit => {
                    pen.right(Face::Number, s, x, y, &number(st, it.unit_cents));
                }
                Col::Vat => {
                    pen.right(
                        Face::Number,
                        s,
                        x,
                        y,
                        &format!("{}%", crate::fmt_rate(it.rate)),
                    );
                }
                Col::Amount => {
                    pen.right(Face::Number, s, x, y, &number(st, it.amount()));
                }
            }
        }
        if st.table_rules == 0 {
            pen.hline(LEFT, RIGHT, y + s * 0.6, 1.0);
        }
        y += step;
    }
    y
}

/// The totals rows as (label, amount, is the grand total).
fn totals_rows(inv: &WInvoice, st: &WStyle) -> Vec<(String, String, bool)> {
    let l = &st.labels;
    let mut rows = vec![(label(st, &l.subtotal), money(st, inv.subtotal), false)];
    if st.totals == 4 || inv.by_rate.len() > 1 {
        let v = inv.lang.vocab();
        let first = v.tax[0];
        for &(rate, base, tax) in &inv.by_rate {
            let r = crate::fmt_rate(rate);
            rows.push((
                format!(
                    "{} ({} {})",
                    first.replace("{rate}", &r),
                    number(st, base),
                    ""
                ),
                money(st, tax),
                false,
            ));
        }
        // The VAT total must be on the page when there are several rates.
        if inv.by_rate.len() > 1 {
            // A label without a rate: "TVA ({rate} %)" printed its placeholder.
            let all = v.tax.iter().rev().find(|t| !t.contains("{rate}"));
            rows.push((
                label(st, all.unwrap_or(&v.tax[0])),
                money(st, inv.tax),
                false,
            ));
        }
        for row in rows.iter_mut().skip(1) {
            row.0 = row.0.replace(" )", ")");
        }
    } else {
        let r = crate::fmt_rate(inv.by_rate[0].0);
        rows.push((
            label(st, &l.tax.replace("{rate}", &r)),
            money(st, inv.tax),
            false,
        ));
    }
    rows.push((label(st, &l.total), money(st, inv.total), true));
    rows
}

/// The totals block in the style's shape; returns the baseline below it.
fn draw_totals(pen: &mut Pen, inv: &WInvoice, st: &WStyle, y: f32) -> f32 {
    let s = pen.s();
    let rows = totals_rows(inv, st);
    let aw = rows
        .iter()
        .map(|r| pen.w(Face::NumberBold, s * 1.3, &r.1))
        .fold(0.0, f32::max);
    let lw = rows
        .iter()
        .map(|r| pen.w(Face::Bold, s, &r.0))
        .fold(0.0, f32::max);
    let label_r = RIGHT - aw - 80.0;
    let mut y = y;
    match st.totals {
        1 => {
            let x0 = (label_r - lw - 40.0).max(LEFT);
            let top = y - s * 1.3;
            for (l, a, total) in &rows {
                let face = if *total { Face::Bold } else { Face::Regular };
                pen.right(face, s, label_r, y, l);
                pen.right(
                    if *total {
                        Face::NumberBold
                    } else {
                        Face::Number
                    },
                    s,
                    RIGHT - 20.0,
                    y,
                    a,
                );
                y += s * 1.6;
            }
            pen.outline(x0, top, RIGHT + 10.0, y - s * 0.9, 3.0);
            y
        }
        2 => {
            // Inside the table's last rows: labels in the description column.
            for (l, a, total) in &rows {
                let face = if *total { Face::Bold } else { Face::Regular };
                pen.text(face, s, LEFT + 300.0, y, l);
                pen.right(
                    if *total {
                        Face::NumberBold
                    } else {
                        Face::Number
                    },
                    s,
                    RIGHT,
                    y,
                    a,
                );
                pen.hline(LEFT, RIGHT, y + s * 0.6, if *total { 3.0 } else { 1.0 });
                y += s * 1.7;
            }
            y
        }
        3 => {
            for (l, a, total) in &rows {
                if *total {
                    y += s * 0.8;
                    let px = s * 1.45;
                    pen.right(
                        Face::Bold,
                        px,
                        RIGHT - pen.w(Face::NumberBold, px, a) - 60.0,
                        y,
                        l,
                    );
                    pen.right(Face::NumberBold, px, RIGHT, y, a);
                    pen.hline(LEFT + 900.0, RIGHT, y + px * 0.5, 4.0);
                    y += px * 1.6;
                } else {
                    pen.right(Face::Regular, s, label_r, y, l);
                    pen.right(Face::Number, s, RIGHT, y, a);
                    y += s * 1.6;
                }
            }
            y
        }
        _ => {
            for (l, a, total) in &rows {
                let (lf, nf) = if *total {
                    (Face::Bold, Face::NumberBold)
                } else {
                    (Face::Regular, Face::Number)
                };
                if *total {
                    pen.hline(label_r - lw, RIGHT, y - s * 1.2, 3.0);
                    y += s * 0.3;
                }
                pen.right(lf, s, label_r, y, l);
                pen.right(nf, s, RIGHT, y, a);
                y += s * 1.6;
            }
            y
        }
    }
}

fn draw_notes(pen: &mut Pen, inv: &WInvoice, st: &WStyle, y: f32) -> f32 {
    let s = pen.s();
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
        let px = pen.fit(Face::Regular, s, RIGHT - LEFT, &line);
        pen.text(Face::Regular, px, LEFT, y, &line);
        y += s * 1.5;
    }
    y
}

/// The footer: 1 column of lines, or 2–4 columns of identity, contact, tax, bank.
fn draw_footer(pen: &mut Pen, inv: &WInvoice, st: &WStyle, page: usize, pages: usize) {
    let fs = (pen.s() * 0.78).max(26.0).round();
    let mut identity = vec![
        inv.vendor.name.clone(),
        inv.vendor.street.clone(),
        inv.vendor.city.clone(),
    ];
    let contact = vec![format!("{} {}", st.labels.phone, inv.phone)];
    let mut tax = vec![];
    if let Some((_, shown)) = &inv.vat {
        tax.push(shown.clone());
    }
    let mut bank = vec![st.labels.bank.clone()];
    if let Some(i) = &inv.iban {
        bank.push(format!("IBAN {}", group4(i)));
    }
    if let Some(b) = &inv.bic {
        bank.push(format!("BIC {b}"));
    }
    if let Some((routing, account)) = &inv.us_bank {
        bank.push(format!("Routing {routing}"));
        bank.push(format!("Account {account}"));
    }
    let rule = PAGE_H as f32 - 380.0;
    pen.hline(LEFT, RIGHT, rule, 2.0);
    let mut y0 = rule + fs * 1.7;
    if pages > 1 {
        let t = format!("{} {} / {}", st.labels.page, page + 1, pages);
        pen.right(Face::Regular, fs, RIGHT, rule - fs * 0.8, &t);
    }
    let groups: Vec<Vec<String>> = match st.footer_cols {
        1 => {
            identity = vec![format!(
                "{} · {}, {}",
                inv.vendor.name, inv.vendor.street, inv.vendor.city
            )];
            let mut l = identity;
            l.extend(tax);
            l.push(bank[1..].join("   "));
            for line in l {
                let px = pen.fit(Face::Regular, fs, RIGHT - LEFT, &line);
                pen.centre(Face::Regular, px, MID, y0, &line);
                y0 += fs * 1.45;
            }
            return;
        }
        2 => {
            let mut a = identity;
            a.extend(tax);
            vec![a, bank]
        }
        3 => {
            let mut b = contact;
            b.extend(tax);
            vec![identity, b, bank]
        }
        _ => vec![identity, contact, tax, bank],
    };
    let groups: Vec<Vec<String>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    let colw = (RIGHT - LEFT) / groups.len() as f32;
    for (k, g) in groups.iter().enumerate() {
        let x = LEFT + k as f32 * colw;
        let mut y = y0;
        for line in g {
            let px = pen.fit(Face::Regular, fs, colw - 30.0, line);
            pen.text(Face::Regular, px, x, y, line);
            y += fs * 1.45;
        }
    }
}

/// Draws the invoice on as many A4 pages as it needs.
pub fn render(
    inv: &WInvoice,
    st: &WStyle,
    fonts: &Fonts,
    rng: &mut SmallRng,
) -> (Vec<GrayImage>, Vec<String>) {
    let all: Vec<_> = fonts.text.iter().chain(fonts.mono.iter()).collect();
    let family = all[st.family];
    let numbers = st.mono_numbers.map_or(family, |i| &fonts.mono[i]);
    let new_pen = |log: Vec<String>| Pen {
        p: Painter {
            img: GrayImage::from_pixel(PAGE_W, PAGE_H, Luma([255])),
            regular: &family.regular,
            bold: &family.bold,
            number: &numbers.regular,
            number_bold: &numbers.bold,
            size: st.body_px,
            ink: st.ink,
        },
        log,
    };
    let mut pen = new_pen(vec![]);
    let s = pen.s();
    let fields = header_fields(inv, st);
    let head_end = draw_letterhead(&mut pen, inv, st, rng);
    // The title: beside the letterhead, under it, or centred.
    let title_px = s * 1.9;
    let under_title = st.layout == "under-title";
    let title_right = !under_title && st.head_align == 0 && rng.gen_bool(0.6);
    let mut y = head_end + s * 2.5;
    if title_right {
        pen.right(
            Face::Bold,
            title_px,
            RIGHT,
            st.top + title_px,
            &st.labels.heading,
        );
    }
    // Buyer: window envelope at the left, or in the right column.
    let buyer_y = y + s;
    let right_fields = matches!(st.layout, "kv-right" | "leaders" | "right-labels" | "boxed");
    let (bx, fx) = if st.buyer_left || right_fields {
        (LEFT, COL2)
    } else {
        (COL2, LEFT)
    };
    let buyer_end = draw_buyer(&mut pen, inv, st, bx, buyer_y, rng.gen_bool(0.4));
    if right_fields {
        let fy = buyer_y;
        let end = draw_fields(&mut pen, st, &fields, fx, fy);
        y = end.max(buyer_end) + s * 2.0;
        if !title_right {
            y += title_px;
            pen.text(Face::Bold, title_px, LEFT, y, &st.labels.heading);
            y += s * 1.5;
        }
    } else {
        y = buyer_end + s * 2.5;
        if !title_right {
            y += title_px;
            if under_title {
                pen.centre(Face::Bold, title_px, MID, y, &st.labels.heading);
            } else {
                pen.text(Face::Bold, title_px, LEFT, y, &st.labels.heading);
            }
            y += s * 1.8;
        }
        if st.layout != "footer-fields" {
            let x = if under_title {
                let lw = fields
                    .iter()
                    .map(|(l, _)| pen.w(Face::Bold, s, &label(st, l)))
                    .fold(0.0, f32::max);
                let vw = fields
                    .iter()
                    .map(|(_, v)| pen.w(Face::Regular, s, v))
                    .fold(0.0, f32::max);
                MID - (lw + 50.0 + vw) / 2.0
            } else {
                LEFT
            };
            y = draw_fields(&mut pen, st, &fields, x, y + s);
        }
    }
    let foot_fields_h = if st.layout == "footer-fields" {
        s * 1.55 * fields.len() as f32 + s * 2.0
    } else {
        0.0
    };
    let limit = PAGE_H as f32 - 520.0 - foot_fields_h;
    // Items, page by page.
    let cols = columns(st);
    let step = s * 1.75;
    let totals_h = s * 1.7 * (totals_rows(inv, st).len() as f32 + 1.0) + s * 6.0;
    let mut pages: Vec<GrayImage> = vec![];
    let mut next = 0;
    let mut row_y = table_header(&mut pen, st, inv, y + s * 3.0, &cols);
    let n = inv.items.len();
    let total_pages_guess;
    {
        // How many pages: rows fit from row_y to limit on page 1, from ~500 on later pages.
        let first = ((limit - row_y) / step).floor().max(1.0) as usize;
        let later = ((limit - 700.0) / step).floor().max(1.0) as usize;
        let mut left = n.saturating_sub(first);
        let mut p = 1;
        while left > 0 {
            left = left.saturating_sub(later);
            p += 1;
        }
        // Totals that do not fit under the last rows go on their own page.
        total_pages_guess = p;
    }
    let mut page = 0;
    loop {
        let room = ((limit - row_y) / step).floor().max(1.0) as usize;
        let end = (next + room).min(n);
        let last_page = end == n;
        let mut yy = table_rows(&mut pen, st, inv, next..end, row_y, &cols);
        if st.table_rules != 3 {
            pen.hline(LEFT, RIGHT, yy - step + s * 0.7, 3.0);
        }
        if !last_page {
            let carried: i64 = inv.items[..end].iter().map(WItem::amount).sum();
            yy += s * 0.6;
            pen.text(Face::Regular, s, LEFT, yy, &st.labels.continued);
            pen.right(Face::Number, s, RIGHT, yy, &number(st, carried));
            draw_footer(&mut pen, inv, st, page, total_pages_guess);
            pages.push(pen.p.img);
            pen = new_pen(std::mem::take(&mut pen.log));
            page += 1;
            // Page head: name, number, page.
            let mut y2 = 260.0;
            pen.text(Face::Bold, s * 1.2, LEFT, y2, &inv.vendor.name);
            pen.right(
                Face::Regular,
                s,
                RIGHT,
                y2,
                &format!("{} {} / {}", st.labels.page, page + 1, total_pages_guess),
            );
            y2 += s * 1.6;
            pen.text(
                Face::Regular,
                s,
                LEFT,
                y2,
                &format!("{} {}", st.labels.invoice_no, inv.number),
            );
            y2 += s * 3.0;
            pen.text(Face::Regular, s, LEFT, y2, &st.labels.carried);
            pen.right(Face::Number, s, RIGHT, y2, &number(st, carried));
            row_y = table_header(&mut pen, st, inv, y2 + s * 3.0, &cols);
            next = end;
            continue;
        }
        let mut ty = yy + s * 1.6;
        if ty + totals_h > limit + 300.0 {
            // Totals on a page of their own.
            draw_footer(&mut pen, inv, st, page, total_pages_guess.max(page + 2));
            pages.push(pen.p.img);
            pen = new_pen(std::mem::take(&mut pen.log));
            page += 1;
            ty = 400.0;
        }
        let after = draw_totals(&mut pen, inv, st, ty);
        let notes_end = draw_notes(&mut pen, inv, st, after + s * 2.5);
        if st.layout == "footer-fields" {
            let fy = (notes_end + s * 2.0).max(PAGE_H as f32 - 420.0 - foot_fields_h + s);
            draw_fields(&mut pen, st, &fields, LEFT, fy);
        }
        draw_footer(&mut pen, inv, st, page, total_pages_guess.max(page + 1));
        pages.push(pen.p.img);
        break;
    }
    (pages, pen.log)
}

// ---------------------------------------------------------------------------------------
// Truth
// ---------------------------------------------------------------------------------------

pub fn truth(inv: &WInvoice, st: &WStyle, pages: usize) -> Value {
    json!({
        "doc_type": "invoice",
        "variety": "wide",
        "layout": st.layout,
        "language": inv.lang.code(),
        "pages": pages,
        "fields": {
            "vendor_name": inv.vendor.name,
            "vendor_vat_id": inv.vat.as_ref().map(|v| v.0.clone()),
            "vendor_address": format!("{}, {}", inv.vendor.street, inv.vendor.city),
            "customer_name": inv.customer.name,
            "invoice_number": inv.number,
            "invoice_date": inv.date.iso(),
            "due_date": inv.due.iso(),
            "purchase_order": inv.po,
            "currency": inv.currency,
            "subtotal": truth_money(inv.subtotal),
            "tax_amount": truth_money(inv.tax),
            "total": truth_money(inv.total),
            "iban": inv.iban,
            "bic": inv.bic,
            "payment_reference": inv.reference,
        },
        "line_items": inv.items.iter().map(|it| json!({
            "description": it.description,
            "quantity": it.quantity.to_string(),
            "unit_price": truth_money(it.unit_cents),
            "amount": truth_money(it.amount()),
        })).collect::<Vec<_>>(),
    })
}

/// The printed form of each truth value, for the tests: what the page must show.
#[cfg(test)]
pub fn printed(inv: &WInvoice, st: &WStyle) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("vendor_name", inv.vendor.name.clone()),
        ("customer_name", inv.customer.name.clone()),
        ("invoice_number", inv.number.clone()),
        ("invoice_date", fmt_wdate(inv.date, st.date_fmt, inv.lang)),
        ("due_date", fmt_wdate(inv.due, st.date_fmt, inv.lang)),
        ("subtotal", money(st, inv.subtotal)),
        ("tax_amount", money(st, inv.tax)),
        ("total", money(st, inv.total)),
        ("vendor_street", inv.vendor.street.clone()),
        ("vendor_city", inv.vendor.city.clone()),
    ];
    if let Some((_, shown)) = &inv.vat {
        v.push(("vendor_vat_id", shown.clone()));
    }
    if let Some(po) = &inv.po {
        v.push(("purchase_order", po.clone()));
    }
    if let Some(i) = &inv.iban {
        v.push(("iban", group4(i)));
    }
    if let Some(b) = &inv.bic {
        v.push(("bic", b.clone()));
    }
    if let Some(r) = &inv.reference {
        v.push((
            "payment_reference",
            if r.starts_with("RF") {
                group4(r)
            } else {
                r.clone()
            },
        ));
    }
    for it in &inv.items {
        v.push(("line_item", it.description.clone()));
        v.push(("line_amount", number(st, it.amount())));
    }
    v
}

/// Draws one wide invoice: language, layout (from `allowed`), content, style.
pub fn draw(
    lang: WLang,
    allowed: &[&'static str],
    multipage_ok: bool,
    rng: &mut SmallRng,
) -> (WInvoice, WStyle) {
    let layout = pick(rng, allowed);
    let multipage = multipage_ok && rng.gen_bool(0.1);
    let inv = make_invoice(lang, multipage, rng);
    let st = make_style(&inv, layout, rng);
    (inv, st)
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Grey pages as one multi-page TIFF (uncompressed, with their resolution), as a
/// scanner's document feeder writes them.
fn multipage_tiff(pages: &[GrayImage], dpi: u32) -> Result<Vec<u8>, String> {
    use tiff::encoder::{colortype::Gray8, Rational, TiffEncoder};
    use tiff::tags::ResolutionUnit;
    let mut out = std::io::Cursor::new(Vec::new());
    let err = |e: tiff::TiffError| format!("tiff: {e}");
    {
        let mut enc = TiffEncoder::new(&mut out).map_err(err)?;
        for p in pages {
            let mut img = enc.new_image::<Gray8>(p.width(), p.height()).map_err(err)?;
            img.resolution(ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
            img.write_data(p.as_raw()).map_err(err)?;
        }
    }
    Ok(out.into_inner())
}

/// Supplier `s` of a wide stream: its first invoice, whose country, identity, bank
/// account, currency, payment terms and customer every invoice of the supplier shares,
/// and its style (layout, labels, formats, fonts), from a generator of its own.
fn supplier(cli: &crate::Cli, allowed: &[&'static str], s: u32) -> (WInvoice, WStyle) {
    let mut rng = crate::doc_rng(cli.seed ^ 0x5EED_5A1E, s);
    let lang = crate::choose_wlang(cli.language, &mut rng);
    let layout = pick(&mut rng, allowed);
    let mut inv = make_invoice(lang, false, &mut rng);
    // The stream arrives at one group's mailroom: a Danish company and its German
    // subsidiary, each billed by half the suppliers.
    let mut group = crate::doc_rng(cli.seed ^ 0xB0B_CA7, 0);
    let ours = [
        party(nation(WLang::Da, &mut group), &mut group),
        party(nation(WLang::De, &mut group), &mut group),
    ];
    inv.customer = ours[s as usize % 2].clone();
    let st = make_style(&inv, layout, &mut rng);
    (inv, st)
}

/// The next invoice of supplier `sup`: its own number, dates, order and lines; the
/// supplier's identity, bank account, currency, terms and customer.
fn supplier_invoice(sup: &WInvoice, rng: &mut SmallRng) -> WInvoice {
    let mut inv = make_invoice_in(sup.nation, sup.lang, false, rng);
    inv.number = number_like(&sup.number, sup.date.y, inv.date.y, rng);
    inv.due = Date::from_days(inv.date.days() + (sup.due.days() - sup.date.days()));
    inv.vendor = sup.vendor.clone();
    inv.customer = sup.customer.clone();
    inv.phone = sup.phone.clone();
    inv.vat = sup.vat.clone();
    inv.iban = sup.iban.clone();
    inv.us_bank = sup.us_bank.clone();
    inv.bic = sup.bic.clone();
    inv.currency = sup.currency;
    inv.customer_no = sup.customer_no.clone();
    inv
}

/// A number in the shape of `shape` (a supplier numbers its invoices one way): its
/// letters and separators, its year (`then`) as `year`, other digits drawn anew.
fn number_like(shape: &str, then: i32, year: i32, rng: &mut SmallRng) -> String {
    let marked = shape.replacen(&then.to_string(), "\u{0}", 1);
    marked
        .chars()
        .map(|c| match c {
            '\u{0}' => year.to_string(),
            c if c.is_ascii_digit() => rng.gen_range(0..10).to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `vendors.csv` rows of a wide stream's suppliers (those with a VAT id or an IBAN,
/// by which master data knows a supplier).
pub fn vendor_rows(cli: &crate::Cli, suppliers: u32) -> Result<Vec<[String; 6]>, String> {
    let allowed = crate::allowed_layouts(cli, &LAYOUTS)?;
    Ok((0..suppliers)
        .map(|s| supplier(cli, &allowed, s).0)
        .filter(|inv| inv.vat.is_some() || inv.iban.is_some())
        .map(|inv| {
            [
                inv.vendor.name.clone(),
                inv.vat.as_ref().map_or(String::new(), |(id, _)| id.clone()),
                inv.iban.clone().unwrap_or_default(),
                inv.bic.clone().unwrap_or_default(),
                inv.currency.to_string(),
                format!("{}, {}", inv.vendor.street, inv.vendor.city),
            ]
        })
        .collect())
}

/// Generates wide invoice `index`: draws, renders, degrades every page alike (one
/// scanner pass) and writes the image (a multi-page PDF when there are several pages)
/// and the truth. In a supplier stream (`--suppliers K`) it is supplier `index % K`'s
/// `(index / K + 1)`th invoice, in that supplier's style.
pub fn generate(
    cli: &crate::Cli,
    fonts: &Fonts,
    index: u32,
    mut rng: SmallRng,
) -> Result<(), String> {
    let allowed = crate::allowed_layouts(cli, &LAYOUTS)?;
    let (inv, st, level, stream) = match cli.suppliers.filter(|&k| k > 0) {
        Some(k) => {
            let (sup, st) = supplier(cli, &allowed, index % k);
            let level = crate::choose_level(cli.degradation, &mut rng);
            let inv = supplier_invoice(&sup, &mut rng);
            (inv, st, level, Some((index % k, index / k + 1)))
        }
        None => {
            let lang = crate::choose_wlang(cli.language, &mut rng);
            let level = crate::choose_level(cli.degradation, &mut rng);
            let multipage_ok = matches!(
                cli.format,
                crate::OutputFormat::Pdf | crate::OutputFormat::Tiff
            );
            let (inv, st) = draw(lang, &allowed, multipage_ok, &mut rng);
            (inv, st, level, None)
        }
    };
    let (pages, _) = render(&inv, &st, fonts, &mut rng);
    let plan = crate::plan_degradations(level, &mut rng);
    let mut scanned = Vec::with_capacity(pages.len());
    for page in pages {
        scanned.push(crate::degrade(page, &plan, &mut rng)?);
    }
    let stem = format!("inv-{}-{index:04}", cli.seed);
    let path = cli
        .out
        .join(format!("{stem}.{}", crate::common::ext(cli.format)));
    if scanned.len() == 1 {
        crate::save_image(&scanned[0], &path, cli.format, plan.dpi)?;
    } else if matches!(cli.format, crate::OutputFormat::Tiff) {
        std::fs::write(&path, multipage_tiff(&scanned, plan.dpi)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        let pix = scanned
            .iter()
            .map(|p| mailroom::text::Pix::from_gray(p.width(), p.height(), p.as_raw()))
            .collect::<Result<Vec<_>, _>>()?;
        let pdf = mailroom::text::Pix::image_pdf(&pix, plan.dpi)?;
        std::fs::write(&path, pdf).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut t = truth(&inv, &st, scanned.len());
    if let Some((s, n)) = stream {
        t["supplier"] = json!(format!("S{s:02}"));
        t["supplier_doc"] = json!(n);
    }
    t["degradation"] = json!(level.name());
    t["degradations"] = serde_json::to_value(&plan).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&t).map_err(|e| e.to_string())?;
    let truth_path = cli.out.join(format!("{stem}.truth.json"));
    std::fs::write(&truth_path, json + "\n").map_err(|e| format!("{}: {e}", truth_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::Row;
    use crate::{doc_rng, load_fonts};
    use std::collections::BTreeSet;

    /// Draws wide invoice `i` the way `generate` does, without writing it.
    fn drawn(seed: u64, i: u32, multipage_ok: bool) -> (WInvoice, WStyle, SmallRng) {
        let mut rng = doc_rng(seed, i);
        let lang = crate::choose_wlang(crate::LanguageArg::Any, &mut rng);
        let _level = crate::choose_level(crate::DegradationArg::Clean, &mut rng);
        let (inv, st) = draw(lang, &LAYOUTS, multipage_ok, &mut rng);
        (inv, st, rng)
    }

    #[test]
    fn a_modest_count_covers_every_language_layout_and_shape() {
        let (mut langs, mut layouts, mut totals, mut logos) = (
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
        );
        let mut multipage = 0;
        for i in 0..200 {
            let (inv, st, _) = drawn(1301, i, true);
            langs.insert(inv.lang.code());
            layouts.insert(st.layout);
            totals.insert(st.totals);
            logos.insert(st.logo);
            multipage += usize::from(inv.items.len() > 12);
        }
        assert_eq!(langs.len(), 11, "{langs:?}");
        assert_eq!(layouts.len(), LAYOUTS.len(), "{layouts:?}");
        assert_eq!(totals.len(), 5);
        assert_eq!(logos.len(), 4);
        assert!(
            (8..=40).contains(&multipage),
            "{multipage} long invoices of 200"
        );
        let (mut rlangs, mut shapes, mut long) = (BTreeSet::new(), BTreeSet::new(), 0);
        for i in 0..200 {
            let mut rng = doc_rng(1302, i);
            let lang = crate::choose_wlang(crate::LanguageArg::Any, &mut rng);
            let (r, shape) = crate::wide_receipt::make_receipt(lang, &mut rng);
            rlangs.insert(r.code);
            shapes.insert(shape);
            long += usize::from(r.items.len() >= 30);
        }
        assert_eq!(rlangs.len(), 11);
        assert_eq!(shapes.len(), crate::wide_receipt::SHAPES.len());
        assert!(long >= 10, "{long} long receipts of 200");
    }

    /// Every truth value is on the page in the form the generator printed it, and that
    /// form says the truth's value (same digits for amounts, same day and year for dates).
    #[test]
    fn every_truth_value_is_printed_on_the_page() {
        let fonts = load_fonts().expect("fonts");
        let mut layouts = BTreeSet::new();
        let mut pages_seen = BTreeSet::new();
        for i in 0..66 {
            let (inv, st, mut rng) = drawn(77, i, i % 3 == 0);
            layouts.insert(st.layout);
            let (pages, log) = render(&inv, &st, &fonts, &mut rng);
            pages_seen.insert(pages.len());
            let page = log.join("\n");
            let truth = truth(&inv, &st, pages.len());
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            for (field, shown) in printed(&inv, &st) {
                assert!(
                    page.contains(&shown),
                    "doc {i} ({} {}): {field} {shown:?} is not on the page",
                    st.layout,
                    inv.lang.code()
                );
                match field {
                    "subtotal" | "tax_amount" | "total" => {
                        let t = truth["fields"][field].as_str().unwrap();
                        assert_eq!(digits(&shown), digits(t), "{field}");
                    }
                    "invoice_date" | "due_date" => {
                        let t = truth["fields"][field].as_str().unwrap();
                        let (y, d) = (&t[..4], t[8..].trim_start_matches('0'));
                        assert!(shown.contains(y) && shown.contains(d), "{shown} vs {t}");
                    }
                    "iban" | "vendor_vat_id" => {
                        let t = truth["fields"][field].as_str().unwrap();
                        let compact: String = shown
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric())
                            .collect();
                        // A Danish CVR is often printed without its "DK".
                        assert!(
                            compact.contains(t)
                                || (t.starts_with("DK") && compact.ends_with(&t[2..])),
                            "{shown} vs {t}"
                        );
                    }
                    _ => {}
                }
            }
            let sum: i64 = inv.items.iter().map(WItem::amount).sum();
            assert_eq!(inv.subtotal, sum);
            assert_eq!(inv.total, inv.subtotal + inv.tax);
            assert_eq!(truth["pages"], json!(pages.len()));
        }
        assert_eq!(layouts.len(), LAYOUTS.len(), "{layouts:?}");
        assert!(
            pages_seen.iter().any(|&n| n > 1),
            "no multi-page invoice drawn"
        );
    }

    /// A multi-page invoice as TIFF holds each page, at its resolution, readable by
    /// Leptonica as mailroom reads scans.
    #[test]
    fn multipage_tiff_holds_every_page() {
        let pages = [
            GrayImage::from_pixel(40, 30, Luma([255])),
            GrayImage::from_pixel(50, 20, Luma([0])),
        ];
        let data = multipage_tiff(&pages, 200).unwrap();
        for (n, p) in pages.iter().enumerate() {
            let pix = mailroom::text::Pix::read_tiff_page(&data, n as u32).expect("page");
            assert_eq!((pix.width(), pix.height()), p.dimensions());
            assert_eq!(pix.x_resolution(), 200);
        }
        assert!(mailroom::text::Pix::read_tiff_page(&data, 2).is_none());
    }

    /// Wide receipts: the truth total is the last total line printed, the tax line
    /// prints the truth tax, and merchant and address are printed rows.
    #[test]
    fn wide_receipt_truth_is_printed() {
        let mut rounded = 0;
        for i in 0..330 {
            let mut rng = doc_rng(5, i);
            let lang = crate::labels::ALL_LANGS[i as usize % 11];
            let (r, _) = crate::wide_receipt::make_receipt(lang, &mut rng);
            let texts: Vec<String> = r
                .rows
                .iter()
                .flat_map(|row| match row {
                    Row::Centre(t, ..) | Row::Left(t, _) => vec![t.clone()],
                    Row::Split(a, b, ..) => vec![a.clone(), b.clone()],
                    _ => vec![],
                })
                .collect();
            for want in [&r.merchant, &r.street, &r.city] {
                assert!(texts.contains(want), "{want} not printed");
            }
            let amount = |role: crate::receipt::Role| {
                r.rows.iter().find_map(|row| match row {
                    Row::Split(_, a, _, ro, _) if *ro == role => {
                        let d: String = a.chars().filter(char::is_ascii_digit).collect();
                        Some(d.parse::<i64>().unwrap())
                    }
                    _ => None,
                })
            };
            use crate::receipt::Role;
            let to_pay = amount(Role::ToPay);
            rounded += usize::from(to_pay.is_some());
            assert_eq!(to_pay.or(amount(Role::Total)), Some(r.total));
            assert_eq!(amount(Role::Tax), Some(r.tax));
        }
        assert!(rounded > 0, "some receipts print a cash rounding");
    }
}
