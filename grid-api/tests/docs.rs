//! The documentation points at files that exist: every `*.md` path named in the READMEs and
//! the web map's sources resolves, relative to the naming file or to the repository root.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The `*.md` paths named in `text` (`notes/api.md`, `../README.md#http`, …).
fn md_paths(text: &str) -> Vec<String> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let mut out = Vec::new();
    for (end, _) in text.match_indices(".md") {
        let after = text[end + 3..].chars().next();
        if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue; // `.mdx`, `.md5`, …
        }
        let start = text[..end]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_path_char(c))
            .last()
            .map_or(end, |(i, _)| i);
        if start < end {
            out.push(text[start..end + 3].to_owned());
        }
    }
    out
}

#[test]
fn md_paths_are_found_in_prose_links_and_comments() {
    assert_eq!(
        md_paths("see notes/api.md), [README](../README.md#http) and x.mdx"),
        ["notes/api.md", "../README.md"]
    );
}

#[test]
fn every_document_the_docs_and_web_sources_name_exists() {
    let root = repo();
    let mut files: Vec<PathBuf> = ["README.md", "web/README.md", "data/README.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    for entry in std::fs::read_dir(root.join("web")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "js") {
            files.push(path);
        }
    }
    let mut missing = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        for named in md_paths(&text) {
            if !dir.join(&named).exists() && !root.join(&named).exists() {
                missing.push(format!("{} names {named}", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "documents that do not exist:\n{}",
        missing.join("\n")
    );
}
