//! Builds the web map into the binary: the files the page loads (our HTML, modules and
//! CSS, the style, the generated glyphs and MapLibre's browser build), and nothing else
//! of web/ (no package.json, lock file, READMEs, build scripts or node_modules). A copied
//! binary serves the whole map.
//!
//! When web/ has not been built (`npm ci && npm run build` in web/), the binary still
//! builds; it embeds what there is, says what is missing here, and `gridmap serve`
//! answers the page with what to run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// MapLibre's files the page loads (the module, its worker, its CSS).
const MAPLIBRE: [&str; 3] = [
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
];

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();

    // Our pages, modules and styles: web/*.html, *.js, *.css and style.json.
    for entry in read_dir(&web) {
        let name = entry
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let ext = entry.extension().and_then(|e| e.to_str()).unwrap_or("");
        if entry.is_file() && (matches!(ext, "html" | "js" | "css") || name == "style.json") {
            files.push((name, entry));
        }
    }
    for page in ["index.html", "wall.html", "style.json"] {
        if !files.iter().any(|(n, _)| n == page) {
            missing.push(format!("web/{page}"));
        }
    }
    // Glyphs: web/glyphs/<font>/<range>.pbf, made by `npm run build`.
    let glyphs = web.join("glyphs");
    let before = files.len();
    for font in read_dir(&glyphs).into_iter().filter(|p| p.is_dir()) {
        for range in read_dir(&font) {
            if range.extension().is_some_and(|e| e == "pbf") {
                let rel = range.strip_prefix(&web).unwrap_or(&range);
                files.push((rel.to_string_lossy().replace('\\', "/"), range.clone()));
            }
        }
    }
    if files.len() == before {
        missing.push("web/glyphs (npm run build)".into());
    }
    // MapLibre, installed by `npm ci`.
    let dist = web.join("node_modules/maplibre-gl/dist");
    for name in MAPLIBRE {
        let path = dist.join(name);
        if path.is_file() {
            files.push((format!("node_modules/maplibre-gl/dist/{name}"), path));
        } else {
            missing.push(format!("web/node_modules/maplibre-gl/dist/{name} (npm ci)"));
        }
    }
    files.sort();

    let mut out = String::from(
        "/// The web map's files as built into the binary: path under web/, bytes.\n\
         pub(crate) static WEB_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        let path = path.canonicalize().unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n\n/// What web/ lacked when the binary was built.\n");
    out.push_str("pub(crate) static WEB_MISSING: &[&str] = &[\n");
    for m in &missing {
        let _ = writeln!(out, "    {m:?},");
    }
    out.push_str("];\n");
    let generated = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("web_files.rs");
    std::fs::write(&generated, out).expect("writing the embedded web file list");

    if !missing.is_empty() {
        println!(
            "cargo:warning=the web map is not built, so this binary serves no map: missing {}; run `npm ci && npm run build` in web/, then build again",
            missing.join(", ")
        );
    }
}

/// The entries of `dir`, sorted; none when it does not exist.
fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}
