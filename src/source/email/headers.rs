//! The top message's headers (From, To, Date) and its plain-text body.

use std::collections::HashSet;
use std::ops::Range;

use mail_parser::{Address, HeaderName, Message, MessagePart, MimeHeaders, PartType};

use super::decode::find_uu_blocks;

pub(super) fn addresses(a: &Address<'_>) -> Vec<String> {
    let list: Vec<_> = match a {
        Address::List(list) => list.iter().collect(),
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    list.into_iter()
        .filter_map(|addr| {
            let name = addr
                .name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let mail = addr
                .address
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (name, mail) {
                (Some(n), Some(m)) if n != m => Some(format!("{n} <{m}>")),
                (_, Some(m)) => Some(m.to_string()),
                (Some(n), None) => Some(n.to_string()),
                (None, None) => None,
            }
        })
        .collect()
}

pub(super) fn date_of(msg: &Message<'_>) -> Option<String> {
    if let Some(d) = msg.date().filter(|d| d.is_valid()) {
        if let Some(utc) = chrono::DateTime::from_timestamp(d.to_timestamp(), 0) {
            return Some(utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
    }
    msg.header_raw(HeaderName::Date)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub(super) fn body_text(msg: &Message<'_>) -> Option<String> {
    let body_ids = body_ids(msg);
    let mut ids: Vec<u32> = msg.text_body.clone();
    if ids.is_empty() {
        ids = msg.html_body.clone();
    }
    let mut texts = Vec::new();
    for id in ids {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        if !is_body(part, id, &body_ids) {
            continue;
        }
        let text = match &part.body {
            PartType::Text(t) => {
                let blocks = find_uu_blocks(t.as_bytes());
                if blocks.is_empty() {
                    t.to_string()
                } else {
                    remove_ranges(t, blocks.iter().map(|b| b.range.clone()))
                }
            }
            PartType::Html(h) => mail_parser::decoders::html::html_to_text(h),
            _ => continue,
        };
        let text = text.trim();
        if !text.is_empty() {
            texts.push(text.to_string());
        }
    }
    if texts.is_empty() {
        None
    } else {
        Some(texts.join("\n\n"))
    }
}

fn remove_ranges(text: &str, ranges: impl Iterator<Item = Range<usize>>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for r in ranges {
        // Ranges start and end at line boundaries (ASCII '\n'), so they are char boundaries.
        if let Some(keep) = text.get(at..r.start) {
            out.push_str(keep);
        }
        at = r.end.max(at);
    }
    if let Some(rest) = text.get(at..) {
        out.push_str(rest);
    }
    out
}

/// Ids of the parts mail-parser counts as the message's text (plain or HTML).
pub(super) fn body_ids(msg: &Message<'_>) -> HashSet<u32> {
    msg.text_body
        .iter()
        .chain(msg.html_body.iter())
        .copied()
        .collect()
}

/// A text part that is body text: text/plain or text/html, in the body list, without a
/// file name and not marked as an attachment.
pub(super) fn is_body(part: &MessagePart<'_>, id: u32, body_ids: &HashSet<u32>) -> bool {
    matches!(part.body, PartType::Text(_) | PartType::Html(_))
        && body_ids.contains(&id)
        && part.attachment_name().is_none_or(|n| n.trim().is_empty())
        && !part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn body_only_emails() {
        let raw = crlf(&format!(
            "{HEAD}Subject: =?UTF-8?B?SGFsbMO4IHZlbm5lcg==?=\nContent-Type: text/plain; charset=utf-8\n\nJust a note.\nNo documents here.\n"
        ));
        let e = parse_ok(&raw);
        assert_eq!(e.subject.as_deref(), Some("Hallø venner"));
        assert!(e.documents.is_empty());
        assert!(e.skipped.is_empty());
        assert_eq!(
            e.body_text.as_deref(),
            Some("Just a note.\r\nNo documents here.")
        );

        let raw = crlf(&format!(
            "{HEAD}Subject: html\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{{}}</style></head><body><p>Hello <b>world</b></p></body></html>\n"
        ));
        let e = parse_ok(&raw);
        assert!(e.documents.is_empty());
        assert_eq!(e.body_text.as_deref(), Some("Hello world"));

        // plain text wins over its HTML alternative
        let raw = top(
            "alt",
            &multipart(
                "alternative",
                "alt",
                &[
                    text_part("plain version"),
                    "Content-Type: text/html\n\n<p>html version</p>".to_string(),
                ],
            ),
        );
        assert_eq!(parse_ok(&raw).body_text.as_deref(), Some("plain version"));
    }
}
