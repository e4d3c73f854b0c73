//! The one font printouts are set in: a CJK font found on the machine, with its character
//! map and advance widths, so text can be measured (centred, wrapped) and placed glyph by
//! glyph. Placing glyphs ourselves keeps mixed Chinese and digits exact (a phone number
//! after a name), which a single-script shaper does not promise.

use crate::PrintError;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where Debian's CJK fonts live, in the order they are tried.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// A font to print with: the PDF font and, per character, its glyph and advance (in em).
#[derive(Clone)]
pub struct PrintFont {
    font: Font,
    path: PathBuf,
    glyphs: Arc<HashMap<char, (u32, f32)>>,
}

impl std::fmt::Debug for PrintFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintFont")
            .field("path", &self.path)
            .finish()
    }
}

impl PrintFont {
    /// The font at `path` (the first face of a collection).
    pub fn load(path: &Path) -> Result<PrintFont, PrintError> {
        let bad = |reason: String| PrintError::BadFont {
            path: path.display().to_string(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let face = skrifa::FontRef::from_index(&data, 0).map_err(|e| bad(e.to_string()))?;
        let upem = f32::from(
            face.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let advances = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let glyphs: HashMap<char, (u32, f32)> = face
            .charmap()
            .mappings()
            .filter_map(|(code, glyph)| {
                let c = char::from_u32(code)?;
                Some((c, (glyph.to_u32(), advances.advance_width(glyph)? / upem)))
            })
            .collect();
        if !glyphs.contains_key(&'网') {
            return Err(bad("it has no Chinese characters (no glyph for 网)".into()));
        }
        let font = Font::new(Arc::new(data).into(), 0)
            .ok_or_else(|| bad("krilla cannot read it as TrueType or OpenType".into()))?;
        Ok(PrintFont {
            font,
            path: path.to_owned(),
            glyphs: Arc::new(glyphs),
        })
    }

    /// `path` when given, else `GRIDMAP_PRINT_FONT`, else the first of
    /// [`FONT_CANDIDATES`] on this machine.
    pub fn find(path: Option<&Path>) -> Result<PrintFont, PrintError> {
        if let Some(path) = path {
            return PrintFont::load(path);
        }
        if let Some(path) = std::env::var_os("GRIDMAP_PRINT_FONT") {
            return PrintFont::load(Path::new(&path));
        }
        FONT_CANDIDATES
            .iter()
            .map(Path::new)
            .find(|p| p.is_file())
            .map(PrintFont::load)
            .unwrap_or_else(|| {
                Err(PrintError::NoFont {
                    looked: FONT_CANDIDATES.join(", "),
                })
            })
    }

    /// The file the font was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn pdf_font(&self) -> Font {
        self.font.clone()
    }

    /// The advance of `c` in em (a missing character takes one em, the size of its box).
    fn advance(&self, c: char) -> f32 {
        self.glyphs.get(&c).map_or(1.0, |g| g.1)
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// The glyphs of `text`, one per character (glyph 0, the box, where the font has none).
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (glyph, advance) = self.glyphs.get(&c).copied().unwrap_or((0, 1.0));
                KrillaGlyph {
                    glyph_id: GlyphId::new(glyph),
                    text_range: i..i + c.len_utf8(),
                    x_advance: advance,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }

    /// `text` broken into lines no wider than `width` at `size`: between any two Chinese
    /// characters, at spaces otherwise (a word longer than a line is broken anywhere).
    pub fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for piece in pieces(paragraph) {
                let candidate = format!("{line}{piece}");
                if line.is_empty() || self.width(candidate.trim_end(), size) <= width {
                    line = candidate;
                    // A piece wider than a line on its own: cut it by characters.
                    while self.width(line.trim_end(), size) > width && line.chars().count() > 1 {
                        let cut = fitting(self, &line, width, size);
                        lines.push(line[..cut].trim_end().to_owned());
                        line = line[cut..].trim_start().to_owned();
                    }
                } else {
                    lines.push(line.trim_end().to_owned());
                    line = piece.trim_start().to_owned();
                }
            }
            lines.push(line.trim_end().to_owned());
        }
        lines
    }
}

/// Break points of a line: each CJK character alone, runs of anything else with their
/// following space.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_wide(c) {
            if start < i {
                out.push(&text[start..i]);
            }
            out.push(&text[i..end]);
            start = end;
        } else if c == ' ' {
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Whether `c` is a CJK character or full-width punctuation (a line may break around it).
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// The byte length of the longest start of `line` that fits `width` (at least one char).
fn fitting(font: &PrintFont, line: &str, width: f32, size: f32) -> usize {
    let mut used = 0.0;
    let mut cut = 0;
    for (i, c) in line.char_indices() {
        used += font.advance(c) * size;
        if used > width && cut > 0 {
            break;
        }
        cut = i + c.len_utf8();
    }
    cut
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The machine's CJK font (scripts/setup.sh installs one).
    pub(crate) fn font() -> PrintFont {
        PrintFont::find(None).expect("a CJK font: run scripts/setup.sh (fonts-wqy-microhei)")
    }

    #[test]
    fn chinese_is_one_em_wide_and_lines_wrap_inside_the_width() {
        let font = font();
        assert!((font.width("网格", 10.0) - 20.0).abs() < 0.5);
        assert!(font.width("1", 10.0) < font.width("网", 10.0));
        let text = "负责网格内信息采集、矛盾纠纷排查化解、政策宣传和便民服务 phone 13800001111";
        let lines = font.wrap(text, 100.0, 10.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(
            lines.iter().all(|l| font.width(l, 10.0) <= 100.0),
            "{lines:?}"
        );
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        // A number is kept whole when it fits a line.
        assert!(lines.iter().any(|l| l.contains("13800001111")), "{lines:?}");
    }

    #[test]
    fn a_font_file_that_is_not_a_font_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-font.ttf");
        std::fs::write(&path, b"hello").unwrap();
        let err = PrintFont::load(&path).unwrap_err().to_string();
        assert!(err.contains("not-a-font.ttf"), "{err}");
    }
}
