//! CII: `rsm:CrossIndustryInvoice` (ZUGFeRD 2.x, Factur-X, XRechnung CII) and
//! `rsm:CrossIndustryDocument` (ZUGFeRD 1.0, with `HeaderExchangedDocument`,
//! `ApplicableSupplyChainTradeAgreement` and friends instead).

use super::*;

const LINE_ITEM: &str = "IncludedSupplyChainTradeLineItem";

/// The first element named `name` that is not inside a line item (ZUGFeRD 1.0 reuses
/// header element names inside its lines).
fn header<'a, 'i>(root: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    root.descendants().find(|n| {
        n.is_element()
            && n.tag_name().name() == name
            && !n.ancestors().any(|a| a.tag_name().name() == LINE_ITEM)
    })
}

/// An amount in the invoice currency: CII may repeat `TaxTotalAmount` in the
/// accounting currency with another `currencyID`.
fn amount_in(root: Node<'_, '_>, name: &str, currency: Option<&str>) -> Option<Decimal> {
    let candidates: Vec<Node> = root
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.tag_name().name() == name
                && !n.ancestors().any(|a| a.tag_name().name() == LINE_ITEM)
        })
        .collect();
    let pick = candidates
        .iter()
        .find(|n| currency.is_some() && n.attribute("currencyID") == currency)
        .or_else(|| {
            candidates
                .iter()
                .find(|n| n.attribute("currencyID").is_none())
        })
        .or(candidates.first());
    decimal(pick.copied())
}

fn party_vat(party: Node<'_, '_>) -> Option<String> {
    let ids: Vec<Node> = children(party, "SpecifiedTaxRegistration")
        .filter_map(|r| child(r, "ID"))
        .collect();
    let vat = ids
        .iter()
        .find(|id| id.attribute("schemeID") == Some("VA"))?;
    compact_upper(text(Some(*vat)))
}

fn address(party: Node<'_, '_>) -> Option<String> {
    let a = child(party, "PostalTradeAddress")?;
    let street = ["LineOne", "LineTwo", "LineThree"]
        .iter()
        .filter_map(|n| text(child(a, n)))
        .collect::<Vec<_>>()
        .join(", ");
    let city = [text(child(a, "PostcodeCode")), text(child(a, "CityName"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let parts: Vec<String> = [Some(street), Some(city), text(child(a, "CountryID"))]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `<IssueDateTime><DateTimeString format="102">20180305</…>` or, in the pre-release,
/// the date as the element's own text.
fn date_time(n: Option<Node<'_, '_>>) -> Option<chrono::NaiveDate> {
    let n = n?;
    date(text(child(n, "DateTimeString")).or_else(|| text(Some(n))))
}

pub(super) fn read(root: Node<'_, '_>, syntax: Syntax) -> EInvoice {
    let exchanged =
        child(root, "ExchangedDocument").or_else(|| child(root, "HeaderExchangedDocument"));
    let seller = header(root, "SellerTradeParty");
    let buyer = header(root, "BuyerTradeParty");
    let currency = text(header(root, "InvoiceCurrencyCode"));
    let cur = currency.as_deref();
    // v2: SpecifiedTradeSettlementHeaderMonetarySummation; v1: the same names in
    // SpecifiedTradeSettlementMonetarySummation outside the lines.
    let lines = root
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == LINE_ITEM)
        .map(|item| {
            let amount = item
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "LineTotalAmount");
            Line {
                description: text(
                    descendant(item, "SpecifiedTradeProduct").and_then(|p| child(p, "Name")),
                )
                .unwrap_or_default(),
                quantity: decimal(descendant(item, "BilledQuantity")),
                unit_price: decimal(
                    descendant(item, "NetPriceProductTradePrice")
                        .and_then(|p| child(p, "ChargeAmount")),
                ),
                amount: decimal(amount),
                vat_rate: descendant(item, "ApplicableTradeTax").and_then(|t| {
                    decimal(child(t, "RateApplicablePercent"))
                        .or_else(|| decimal(child(t, "ApplicablePercent")))
                }),
            }
        })
        .collect();
    EInvoice {
        syntax: Some(syntax),
        type_code: text(exchanged.and_then(|e| child(e, "TypeCode"))),
        invoice_number: text(exchanged.and_then(|e| child(e, "ID"))),
        issue_date: date_time(exchanged.and_then(|e| child(e, "IssueDateTime"))),
        due_date: date_time(header(root, "DueDateDateTime")),
        seller_name: text(seller.and_then(|s| child(s, "Name"))),
        seller_vat_id: seller.and_then(party_vat),
        seller_address: seller.and_then(address),
        buyer_name: text(buyer.and_then(|b| child(b, "Name"))),
        purchase_order: text(
            header(root, "BuyerOrderReferencedDocument")
                .and_then(|d| child(d, "IssuerAssignedID").or_else(|| child(d, "ID"))),
        ),
        currency: currency.clone(),
        line_total: amount_in(root, "LineTotalAmount", cur),
        tax_basis_total: amount_in(root, "TaxBasisTotalAmount", cur),
        tax_total: amount_in(root, "TaxTotalAmount", cur),
        grand_total: amount_in(root, "GrandTotalAmount", cur),
        due_payable: amount_in(root, "DuePayableAmount", cur),
        // The payee's account: a direct debit's payer account is not where to pay.
        iban: compact_upper(text(
            header(root, "PayeePartyCreditorFinancialAccount").and_then(|a| child(a, "IBANID")),
        )),
        bic: compact_upper(text(
            header(root, "PayeeSpecifiedCreditorFinancialInstitution")
                .and_then(|a| child(a, "BICID")),
        )),
        payment_reference: text(header(root, "PaymentReference")),
        lines,
    }
}
