//! The pipeline's direction, checked: a stage may use the stages upstream of it and the
//! shared code, never one downstream of it, and no stage uses the wiring.
//!
//! Data flows source → store → text → classify → extract → validate → calibrate →
//! vendor → route → sink / review (`docs/ARCHITECTURE.md`). An import against that flow is how
//! a stage starts to know about the ones after it, and how import cycles begin. This
//! test reads `src/` (production code only: `tests.rs` files and `#[cfg(test)]` modules
//! are left out) and fails on any `crate::<module>` reference that goes downstream or
//! into the wiring, unless it is one of the known exceptions listed below, each of
//! which the structure renovation (issue 19) is removing. An exception that no longer
//! occurs fails the test too, so the list can only shrink.

use std::collections::BTreeSet;
use std::path::Path;

/// Where each top-level module sits. Shared code belongs to no stage and may be used by
/// all; the wiring may use everything and be used by nothing but itself.
fn rank(module: &str) -> Option<Place> {
    use Place::*;
    Some(match module {
        "values" | "document" | "doorbell" | "guard" => Shared,
        // Config is read by every stage, so it may depend on shared code only.
        "config" => Config,
        "source" => Stage(1),
        "store" => Stage(2),
        "text" | "einvoice" => Stage(3),
        "classify" => Stage(4),
        "extract" => Stage(5),
        "validate" => Stage(6),
        "calibrate" => Stage(7),
        "vendor" => Stage(8),
        "route" => Stage(9),
        "sink" | "web" => Stage(10),
        "pipeline" | "service" | "pool" | "eval" => Wiring,
        // Test support (fakes, page builders): like the wiring, nothing may import it.
        "testing" => Wiring,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Shared,
    Config,
    Stage(u8),
    Wiring,
}

fn allowed(from: Place, to: Place) -> bool {
    use Place::*;
    match (from, to) {
        (Wiring, _) => true,
        (_, Wiring) => false,
        (_, Shared) => true,
        (Shared, _) => false,
        (Config, _) => false,
        (Stage(_), Config) => true,
        (Stage(a), Stage(b)) => b <= a,
    }
}

/// Imports against the flow that exist today, each with what it is for. Remove a line
/// when its import goes; the test fails while a listed import no longer exists.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "config",
        "calibrate",
        "the calibration table is loaded with the config",
    ),
    (
        "config",
        "extract",
        "the ranking model is loaded with the config",
    ),
    (
        "store",
        "text",
        "the ledger stores and rebuilds text's Page and Word",
    ),
    (
        "web",
        "pipeline",
        "corrections are re-checked through pipeline::apply_corrections",
    ),
];

/// The source of `path` without its test code.
fn production_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        // An inline test module is test code. A test module in a file of its own (`mod tests;`) is skipped, and so is that
        // file (`tests.rs`, see `rust_files`).
        if line.trim() == "#[cfg(test)]" {
            match lines.peek().map(|n| n.trim()) {
                // A test module inline: skipped to its closing brace (test support such
                // as `pub(crate) mod test_ledger` may sit between production items).
                Some(n) if n.contains("mod ") && n.ends_with('{') => {
                    let mut depth = 0i32;
                    for l in lines.by_ref() {
                        depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                        if depth <= 0 {
                            break;
                        }
                    }
                    continue;
                }
                Some(n) if n.starts_with("mod ") && n.ends_with(';') => {
                    lines.next();
                    continue;
                }
                _ => {}
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every top-level module that `code` names as `crate::<name>`, including inside
/// `use crate::{a, b::c}` groups.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group: each name after `{` or a `,` at depth 0.
            let mut depth = 0;
            let mut start = true;
            let mut name = String::new();
            for c in group.chars() {
                if c.is_alphanumeric() || c == '_' {
                    if start {
                        name.push(c);
                    }
                    continue;
                }
                if !name.is_empty() {
                    out.insert(std::mem::take(&mut name));
                }
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        start = true;
                        continue;
                    }
                    c if c.is_whitespace() => continue,
                    _ => {}
                }
                start = false;
            }
            if !name.is_empty() {
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// (from, to) for every cross-module reference in production code.
fn imports() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy();
        let from = first.trim_end_matches(".rs").to_string();
        if from == "main" || from == "lib" {
            continue;
        }
        for to in referenced(&production_code(&file)) {
            if to != from {
                out.insert((from.clone(), to));
            }
        }
    }
    out
}

#[test]
fn no_stage_imports_one_downstream_of_it() {
    let imports = imports();
    let mut wrong = Vec::new();
    for (from, to) in &imports {
        let (Some(a), Some(b)) = (rank(from), rank(to)) else {
            // A new top-level module must be given its place above.
            let unknown = if rank(from).is_none() { from } else { to };
            wrong.push(format!(
                "{unknown}: a top-level module with no place in rank()"
            ));
            continue;
        };
        let known = KNOWN.iter().any(|(f, t, _)| f == from && t == to);
        if !allowed(a, b) && !known {
            wrong.push(format!(
                "{from} imports {to}, which is downstream of it or wiring"
            ));
        }
    }
    for (from, to, why) in KNOWN {
        if !imports.contains(&(from.to_string(), to.to_string())) {
            wrong.push(format!(
                "{from} no longer imports {to} ({why}): remove it from KNOWN"
            ));
        }
        let (a, b) = (rank(from).unwrap(), rank(to).unwrap());
        assert!(
            !allowed(a, b),
            "{from} → {to} is allowed; it needs no exception"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_reader_sees_grouped_and_nested_paths() {
    let code = "use crate::{classify, extract::{self, layout}, text::Page};\n\
                let x = crate::values::parse_date(t);";
    let got: Vec<String> = referenced(code).into_iter().collect();
    assert_eq!(got, ["classify", "extract", "text", "values"]);
    let with_tests = "use crate::a;\n#[cfg(test)]\nmod tests;\nuse crate::c;\n\
                      #[cfg(test)]\nmod tests {\n    use crate::b;\n}\n";
    let dir = std::env::temp_dir().join(format!("arch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.rs");
    std::fs::write(&f, with_tests).unwrap();
    let got: Vec<String> = referenced(&production_code(&f)).into_iter().collect();
    assert_eq!(got, ["a", "c"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_rule_forbids_what_it_names() {
    use Place::*;
    assert!(allowed(Stage(5), Stage(3)), "extract may use text");
    assert!(!allowed(Stage(4), Stage(5)), "classify may not use extract");
    assert!(!allowed(Stage(9), Wiring), "web may not use the wiring");
    assert!(!allowed(Config, Stage(7)), "config may not use calibrate");
    assert!(allowed(Wiring, Stage(1)));
    assert!(allowed(Stage(1), Shared));
}
