//! Structured e-invoices: exact data, no OCR guesswork.
//!
//! Reads the two syntaxes EN 16931 allows, from their XML:
//! - **CII** (UN/CEFACT Cross Industry Invoice): Factur-X, ZUGFeRD 2.x and XRechnung
//!   CII, and the older ZUGFeRD 1.0 (`CrossIndustryDocument`, other element names);
//! - **UBL 2.1** (`Invoice`, `CreditNote`): Peppol BIS Billing 3 and the Danish OIOUBL.
//!
//! Pure: bytes in, an [`EInvoice`] out. Elements are found by local name, so the
//! namespace prefixes a generator chose do not matter. Amounts keep their exact
//! decimal value; the document's own arithmetic is checked in `validate`
//! (`lines_add_up`, `structured_totals_add_up`). Which invoice field each business
//! term fills is [`EInvoice::field_value`].

mod cii;
pub mod pdf;
mod ubl;

use rust_decimal::Decimal;

/// Which syntax an XML invoice uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// ZUGFeRD 2.x / Factur-X / XRechnung CII.
    Cii,
    /// ZUGFeRD 1.0.
    Zugferd1,
    Ubl,
}

impl Syntax {
    pub fn describe(self) -> &'static str {
        match self {
            Syntax::Cii => "CII (Factur-X / ZUGFeRD 2.x / XRechnung)",
            Syntax::Zugferd1 => "CII (ZUGFeRD 1.0)",
            Syntax::Ubl => "UBL 2.1 (Peppol BIS / OIOUBL)",
        }
    }
}

/// One line of an e-invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub description: String,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub amount: Option<Decimal>,
    /// The line's VAT rate in percent (BT-152): UBL `Item/ClassifiedTaxCategory/Percent`,
    /// CII `ApplicableTradeTax/RateApplicablePercent` (ZUGFeRD 1.0: `ApplicablePercent`).
    pub vat_rate: Option<Decimal>,
}

/// The invoice as its XML states it. Text values are trimmed; dates ISO.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EInvoice {
    pub syntax: Option<Syntax>,
    /// 380 invoice, 381 credit note, …
    pub type_code: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<chrono::NaiveDate>,
    pub due_date: Option<chrono::NaiveDate>,
    pub seller_name: Option<String>,
    pub seller_vat_id: Option<String>,
    pub seller_address: Option<String>,
    pub buyer_name: Option<String>,
    pub purchase_order: Option<String>,
    pub currency: Option<String>,
    /// Sum of the lines (BT-106).
    pub line_total: Option<Decimal>,
    /// Total without VAT (BT-109).
    pub tax_basis_total: Option<Decimal>,
    /// VAT in the invoice currency (BT-110).
    pub tax_total: Option<Decimal>,
    /// Total with VAT (BT-112).
    pub grand_total: Option<Decimal>,
    /// Amount due after prepayments (BT-115).
    pub due_payable: Option<Decimal>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub payment_reference: Option<String>,
    pub lines: Vec<Line>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EInvoiceError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("XML, but not an e-invoice (root element {0:?}; expected a CII CrossIndustryInvoice or a UBL Invoice / CreditNote)")]
    NotAnInvoice(String),
}

pub fn parse(data: &[u8]) -> Result<EInvoice, EInvoiceError> {
    let text = std::str::from_utf8(data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data))
        .map_err(|e| EInvoiceError::Xml(format!("not UTF-8: {e}")))?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| EInvoiceError::Xml(e.to_string()))?;
    let root = doc.root_element();
    let ubl = root
        .tag_name()
        .namespace()
        .is_some_and(|ns| ns.starts_with("urn:oasis:names:specification:ubl:"));
    match root.tag_name().name() {
        "CrossIndustryInvoice" => Ok(cii::read(root, Syntax::Cii)),
        "CrossIndustryDocument" => Ok(cii::read(root, Syntax::Zugferd1)),
        "Invoice" | "CreditNote" if ubl => Ok(ubl::read(root)),
        // The ZUGFeRD pre-release (`rsm:Invoice` in the CBFBUY namespace) is CII in
        // all but its root's name.
        "Invoice" if child(root, "HeaderExchangedDocument").is_some() => {
            Ok(cii::read(root, Syntax::Zugferd1))
        }
        other => Err(EInvoiceError::NotAnInvoice(other.to_string())),
    }
}

impl EInvoice {
    pub fn is_credit_note(&self) -> bool {
        matches!(self.type_code.as_deref(), Some("381" | "396" | "532"))
    }

    /// The value of the invoice type's field `field` (`config/doctypes/invoice.toml`),
    /// normalised as the typed document has it (dates `YYYY-MM-DD`, money with the
    /// currency's minor digits); `None` for a field the invoice does not give or no
    /// business term fills. The EN 16931 term each field is:
    ///
    /// | field | business term |
    /// |---|---|
    /// | `vendor_name`, `vendor_vat_id`, `vendor_address` | BT-27, BT-31, BG-5 (seller) |
    /// | `customer_name` | BT-44 (buyer) |
    /// | `invoice_number`, `invoice_date`, `due_date` | BT-1, BT-2, BT-9 |
    /// | `purchase_order` | BT-13 |
    /// | `currency` | BT-5 |
    /// | `subtotal`, `tax_amount`, `total` | BT-109, BT-110, BT-112 |
    /// | `iban`, `bic`, `payment_reference` | BT-84, BT-86, BT-83 |
    pub fn field_value(&self, field: &str) -> Option<String> {
        let money = |d: Option<Decimal>| {
            d.map(|d| crate::values::format_money(d, self.currency.as_deref()))
        };
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        match field {
            "vendor_name" => self.seller_name.clone(),
            "vendor_vat_id" => self.seller_vat_id.clone(),
            "vendor_address" => self.seller_address.clone(),
            "customer_name" => self.buyer_name.clone(),
            "invoice_number" => self.invoice_number.clone(),
            "invoice_date" => date(self.issue_date),
            "due_date" => date(self.due_date),
            "purchase_order" => self.purchase_order.clone(),
            "currency" => self.currency.clone(),
            "subtotal" => money(self.tax_basis_total),
            "tax_amount" => money(self.tax_total),
            "total" => money(self.grand_total),
            "iban" => self.iban.clone(),
            "bic" => self.bic.clone(),
            "payment_reference" => self.payment_reference.clone(),
            _ => None,
        }
    }
}

// --- helpers on roxmltree nodes, by local name ---

type Node<'a, 'input> = roxmltree::Node<'a, 'input>;

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Follow a path of child names.
fn path<'a, 'i>(n: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(n, |n, name| child(n, name))
}

fn descendant<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.descendants()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text(n: Option<Node<'_, '_>>) -> Option<String> {
    let t: String = n?.text()?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

fn decimal(n: Option<Node<'_, '_>>) -> Option<Decimal> {
    text(n)?.parse::<Decimal>().ok()
}

/// `20180305` (CII format 102) or `2018-03-05`.
fn date(s: Option<String>) -> Option<chrono::NaiveDate> {
    let s = s?;
    chrono::NaiveDate::parse_from_str(&s, "%Y%m%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d"))
        .ok()
}

fn compact_upper(s: Option<String>) -> Option<String> {
    s.map(|v| v.split_whitespace().collect::<String>().to_uppercase())
}

#[cfg(test)]
mod tests;
