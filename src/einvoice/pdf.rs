//! The e-invoice inside a PDF/A-3 (Factur-X, ZUGFeRD, XRechnung): which of a PDF's
//! embedded files is the invoice. The files are taken out by `text::pdf::embedded_files`
//! (poppler's pdfdetach, in an isolated child process); this module only chooses.

/// Embedded invoice XML names, in order of preference.
const KNOWN: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
];

/// The embedded file that carries the invoice: a known name first (case aside), else
/// the first `.xml`.
pub fn pick_invoice(names: &[String]) -> Option<usize> {
    KNOWN
        .iter()
        .find_map(|k| names.iter().position(|n| n.eq_ignore_ascii_case(k)))
        .or_else(|| {
            names
                .iter()
                .position(|n| n.to_lowercase().ends_with(".xml"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invoice_is_picked_by_name() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pick_invoice(&names(&["logo.png", "ZUGFeRD-invoice.xml"])),
            Some(1)
        );
        assert_eq!(
            pick_invoice(&names(&["other.xml", "factur-x.xml"])),
            Some(1),
            "a known name before any XML"
        );
        assert_eq!(pick_invoice(&names(&["data.XML"])), Some(0));
        assert_eq!(pick_invoice(&names(&["terms.pdf"])), None);
    }
}
