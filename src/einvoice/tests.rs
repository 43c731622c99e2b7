//! The committed samples in `samples/einvoices/` (written for these tests).

use super::*;
use crate::document::input::looks_like_xml;

fn sample(name: &str) -> EInvoice {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/einvoices")
        .join(name);
    parse(&std::fs::read(path).unwrap()).unwrap()
}

fn d(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[test]
fn a_peppol_ubl_invoice_is_read_exactly() {
    let inv = sample("peppol-invoice.xml");
    assert_eq!(inv.syntax, Some(Syntax::Ubl));
    assert_eq!(inv.type_code.as_deref(), Some("380"));
    assert!(!inv.is_credit_note());
    assert_eq!(inv.invoice_number.as_deref(), Some("2024-118"));
    assert_eq!(inv.issue_date, chrono::NaiveDate::from_ymd_opt(2024, 3, 14));
    assert_eq!(inv.due_date, chrono::NaiveDate::from_ymd_opt(2024, 4, 13));
    assert_eq!(
        inv.seller_name.as_deref(),
        Some("Nordlys Kontorartikler ApS")
    );
    assert_eq!(inv.seller_vat_id.as_deref(), Some("DK13585628"));
    assert_eq!(
        inv.seller_address.as_deref(),
        Some("Vestergade 12, 8000 Aarhus C, DK")
    );
    assert_eq!(inv.buyer_name.as_deref(), Some("Fjordside Tømrer A/S"));
    assert_eq!(inv.purchase_order.as_deref(), Some("PO-4711"));
    assert_eq!(inv.currency.as_deref(), Some("DKK"));
    assert_eq!(
        (inv.tax_basis_total, inv.tax_total, inv.grand_total),
        (d("1234.50"), d("308.63"), d("1543.13"))
    );
    assert_eq!(inv.iban.as_deref(), Some("DK5000400440116243"));
    assert_eq!(inv.bic.as_deref(), Some("DABADKKK"));
    assert_eq!(
        inv.payment_reference.as_deref(),
        Some("+71<000000012345678")
    );
    assert_eq!(inv.lines.len(), 2);
    assert_eq!(inv.lines[1].description, "Toner, sort");
    assert_eq!(
        (
            inv.lines[1].quantity,
            inv.lines[1].unit_price,
            inv.lines[1].amount
        ),
        (d("2"), d("369.75"), d("739.50"))
    );
    // Each line's rate (Item/ClassifiedTaxCategory/Percent), not the header's.
    assert_eq!(
        inv.lines.iter().map(|l| l.vat_rate).collect::<Vec<_>>(),
        [d("25"), d("25")]
    );
    let checks = crate::validate::einvoice_arithmetic(&inv);
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert!(checks.iter().all(|c| c.passed), "{checks:?}");
}

#[test]
fn an_oioubl_credit_note_is_recognised() {
    let inv = sample("oioubl-creditnote.xml");
    assert!(inv.is_credit_note());
    assert_eq!(inv.type_code.as_deref(), Some("381"));
    assert_eq!(
        inv.seller_vat_id.as_deref(),
        Some("DK13585628"),
        "CVR gets its country"
    );
    assert_eq!(
        inv.lines[0].description,
        "Vinduespudsning, for meget faktureret"
    );
    assert_eq!(inv.lines[0].quantity, d("2"));
    assert_eq!(inv.lines[0].vat_rate, None, "a line without a tax category");
    assert_eq!(inv.due_date, None);
}

#[test]
fn a_facturx_invoice_is_read_and_its_slip_found() {
    let inv = sample("facturx-invoice.xml");
    assert_eq!(inv.syntax, Some(Syntax::Cii));
    assert_eq!(inv.invoice_number.as_deref(), Some("RE-2024-0815"));
    assert_eq!(inv.issue_date, chrono::NaiveDate::from_ymd_opt(2024, 3, 5));
    assert_eq!(inv.due_date, chrono::NaiveDate::from_ymd_opt(2024, 4, 4));
    assert_eq!(
        inv.seller_name.as_deref(),
        Some("Krüger Druckerei GmbH & Co. KG")
    );
    assert_eq!(
        inv.seller_vat_id.as_deref(),
        Some("DE177091780"),
        "the VA registration, not the tax number"
    );
    assert_eq!(inv.buyer_name.as_deref(), Some("Neumann & Vogel OHG"));
    assert_eq!(inv.purchase_order.as_deref(), Some("4500012345"));
    // The VAT in the invoice currency, not the one in the accounting currency.
    assert_eq!(inv.tax_total, d("18.92"));
    assert_eq!(inv.iban.as_deref(), Some("DE02120300000000202051"));
    assert_eq!(inv.bic.as_deref(), Some("BYLADEM1001"));
    assert_eq!(inv.lines[0].unit_price, d("24.9000"));
    assert_eq!(inv.lines[0].vat_rate, d("19.00"));
    let checks = crate::validate::einvoice_arithmetic(&inv);
    use crate::document::CheckCode;
    assert!(checks
        .iter()
        .any(|c| c.code == CheckCode::LinesAddUp && c.passed));
    let totals = checks
        .iter()
        .find(|c| c.code == CheckCode::StructuredTotalsAddUp)
        .unwrap();
    assert!(
        !totals.passed,
        "99.60 + 18.92 is not 118.62: {}",
        totals.message
    );
}

/// ZUGFeRD 1.0 names a line's rate `ApplicablePercent`, in its own settlement block.
#[test]
fn a_zugferd_1_line_has_its_vat_rate() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12">
  <rsm:HeaderExchangedDocument><ram:ID>471102</ram:ID><ram:TypeCode>380</ram:TypeCode></rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>7.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>"#;
    let inv = parse(xml.as_bytes()).unwrap();
    assert_eq!(inv.syntax, Some(Syntax::Zugferd1));
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].description, "Trennblätter A4");
    assert_eq!(inv.lines[0].amount, d("198.00"));
    assert_eq!(inv.lines[0].vat_rate, d("7.00"));
}

#[test]
fn other_xml_and_broken_xml_are_told_apart() {
    assert!(looks_like_xml(b"\xef\xbb\xbf  <?xml version=\"1.0\"?><a/>"));
    assert!(looks_like_xml(b"<Invoice/>"));
    assert!(!looks_like_xml(b"\x89PNG\r\n"));
    assert!(!looks_like_xml(b"< 3"));
    assert_eq!(
        parse(b"<?xml version=\"1.0\"?><html><body/></html>"),
        Err(EInvoiceError::NotAnInvoice("html".into()))
    );
    assert!(matches!(
        parse(b"<Invoice><cbc:ID>1</Invoice>"),
        Err(EInvoiceError::Xml(_))
    ));
    // No entity expansion bombs: DTDs are refused.
    let bomb = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><Invoice>&a;</Invoice>";
    assert!(matches!(parse(bomb), Err(EInvoiceError::Xml(_))));
}

#[test]
fn every_invoice_field_is_filled_from_its_business_term() {
    let inv = sample("peppol-invoice.xml");
    let dt = crate::config::doctype::builtin()
        .unwrap()
        .into_iter()
        .find(|d| d.name == "invoice")
        .unwrap();
    let got: Vec<(String, Option<String>)> = dt
        .fields
        .iter()
        .map(|f| (f.name.clone(), inv.field_value(&f.name)))
        .collect();
    let want = [
        ("vendor_name", Some("Nordlys Kontorartikler ApS")),
        ("vendor_vat_id", Some("DK13585628")),
        ("vendor_address", Some("Vestergade 12, 8000 Aarhus C, DK")),
        ("customer_name", Some("Fjordside Tømrer A/S")),
        ("invoice_number", Some("2024-118")),
        ("invoice_date", Some("2024-03-14")),
        ("due_date", Some("2024-04-13")),
        ("purchase_order", Some("PO-4711")),
        ("currency", Some("DKK")),
        ("subtotal", Some("1234.50")),
        ("tax_amount", Some("308.63")),
        ("total", Some("1543.13")),
        ("iban", Some("DK5000400440116243")),
        ("bic", Some("DABADKKK")),
        ("payment_reference", Some("+71<000000012345678")),
    ];
    let want: Vec<(String, Option<String>)> = want
        .iter()
        .map(|(n, v)| (n.to_string(), v.map(String::from)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(inv.field_value("colour"), None);
}
