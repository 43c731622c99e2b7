//! UBL 2.1: `Invoice` and `CreditNote` (Peppol BIS Billing 3, OIOUBL).

use super::*;

fn party_name(party: Node<'_, '_>) -> Option<String> {
    text(path(party, &["PartyLegalEntity", "RegistrationName"]))
        .or_else(|| text(path(party, &["PartyName", "Name"])))
}

fn party_vat(party: Node<'_, '_>) -> Option<String> {
    let schemes: Vec<Node> = children(party, "PartyTaxScheme").collect();
    let vat = schemes
        .iter()
        .find(|s| {
            text(path(**s, &["TaxScheme", "ID"])).is_some_and(|id| id.eq_ignore_ascii_case("VAT"))
        })
        .or(schemes.first())?;
    let id = compact_upper(text(child(*vat, "CompanyID")))?;
    // OIOUBL writes the CVR number with a "DK:SE"/"DK:CVR" scheme and sometimes
    // without the country prefix.
    let scheme = child(*vat, "CompanyID")
        .and_then(|c| c.attribute("schemeID"))
        .unwrap_or("");
    if scheme.starts_with("DK:") && id.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("DK{id}"));
    }
    Some(id)
}

fn address(party: Node<'_, '_>) -> Option<String> {
    let a = child(party, "PostalAddress")?;
    let street = [
        text(child(a, "StreetName")),
        text(child(a, "BuildingNumber")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let city = [text(child(a, "PostalZone")), text(child(a, "CityName"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let parts: Vec<String> = [
        Some(street),
        Some(city),
        text(path(a, &["Country", "IdentificationCode"])),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

pub(super) fn read(root: Node<'_, '_>) -> EInvoice {
    let credit = root.tag_name().name() == "CreditNote";
    let supplier = path(root, &["AccountingSupplierParty", "Party"]);
    let customer = path(root, &["AccountingCustomerParty", "Party"]);
    let totals = child(root, "LegalMonetaryTotal");
    let means = child(root, "PaymentMeans");
    let account = means.and_then(|m| child(m, "PayeeFinancialAccount"));
    let (line_name, qty_name) = if credit {
        ("CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceLine", "InvoicedQuantity")
    };
    let lines = children(root, line_name)
        .map(|l| Line {
            description: text(path(l, &["Item", "Name"]))
                .or_else(|| text(path(l, &["Item", "Description"])))
                .unwrap_or_default(),
            quantity: decimal(child(l, qty_name)),
            unit_price: decimal(path(l, &["Price", "PriceAmount"])),
            amount: decimal(child(l, "LineExtensionAmount")),
            vat_rate: decimal(path(l, &["Item", "ClassifiedTaxCategory", "Percent"])),
        })
        .collect();
    let type_code = text(child(root, "InvoiceTypeCode"))
        .or_else(|| text(child(root, "CreditNoteTypeCode")))
        .or_else(|| credit.then(|| "381".to_string()));
    EInvoice {
        syntax: Some(Syntax::Ubl),
        type_code,
        invoice_number: text(child(root, "ID")),
        issue_date: date(text(child(root, "IssueDate"))),
        due_date: date(
            text(child(root, "DueDate"))
                .or_else(|| text(means.and_then(|m| child(m, "PaymentDueDate")))),
        ),
        seller_name: supplier.and_then(party_name),
        seller_vat_id: supplier.and_then(party_vat),
        seller_address: supplier.and_then(address),
        buyer_name: customer.and_then(party_name),
        purchase_order: text(path(root, &["OrderReference", "ID"])),
        currency: text(child(root, "DocumentCurrencyCode")),
        line_total: decimal(totals.and_then(|t| child(t, "LineExtensionAmount"))),
        tax_basis_total: decimal(totals.and_then(|t| child(t, "TaxExclusiveAmount"))),
        tax_total: decimal(path(root, &["TaxTotal", "TaxAmount"])),
        grand_total: decimal(totals.and_then(|t| child(t, "TaxInclusiveAmount"))),
        due_payable: decimal(totals.and_then(|t| child(t, "PayableAmount"))),
        iban: compact_upper(text(account.and_then(|a| child(a, "ID")))),
        bic: compact_upper(text(
            account
                .and_then(|a| child(a, "FinancialInstitutionBranch"))
                .and_then(|b| child(b, "ID").or_else(|| path(b, &["FinancialInstitution", "ID"]))),
        )),
        payment_reference: text(means.and_then(|m| child(m, "PaymentID"))),
        lines,
    }
}
