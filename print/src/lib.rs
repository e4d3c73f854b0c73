//! Printouts of the grids as PDF, made without a browser: what every village puts on paper.
//!
//! - [`village_map`]: the village's grid-management map (网格化管理示意图): grid outlines
//!   and codes, each grid's staff member, a legend listing every grid, a scale bar.
//! - [`notice_boards`]: one notice board per grid (网格员公示牌): the grid, its staff
//!   member's name, phone and duties, and the supervision phones.
//! - [`contact_cards`]: a contact card for every household (便民服务联系卡), 8 to an A4
//!   page with cut marks: its address, grid, staff member and phone, supervision phones.
//!
//! Text is set in one CJK font ([`PrintFont`]), embedded as a subset of the glyphs used.
//! The models hold only what is printed: the service decides who may print what.
//!
//! ```no_run
//! use gridmap_print::{contact_cards, ContactCard, Paper, PrintFont};
//! let font = PrintFont::find(None).unwrap();
//! let card = ContactCard {
//!     address: "城关社区1号楼1单元101".into(),
//!     village: "城关社区".into(),
//!     grid: "411622100001-007".into(),
//!     grid_name: None,
//!     staff_name: Some("王芳".into()),
//!     staff_phone: Some("13800001111".into()),
//!     supervision: vec![],
//! };
//! let pdf = contact_cards(&font, &[card], Paper::A4).unwrap();
//! assert!(pdf.starts_with(b"%PDF"));
//! ```

mod canvas;
mod cards;
mod font;
mod map;
mod notice;

pub use cards::{contact_cards, ContactCard, CARDS_PER_PAGE};
pub use font::{PrintFont, FONT_CANDIDATES};
pub use map::{village_map, MapGrid, VillageMap};
pub use notice::{notice_boards, NoticeBoard, DEFAULT_DUTIES};

/// Why a printout could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("no Chinese font to print with: install fonts-wqy-microhei (or fonts-noto-cjk), or name a TrueType/OpenType font with --font or GRIDMAP_PRINT_FONT (looked at {looked})")]
    NoFont { looked: String },
    #[error("reading the font {path}: {reason}")]
    BadFont { path: String, reason: String },
    #[error("nothing to print: {0}")]
    Empty(String),
    #[error("writing the PDF: {0}")]
    Pdf(String),
}

/// Paper sizes counties print on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    A3,
}

impl Paper {
    /// Width and height in points, portrait.
    pub fn portrait(self) -> (f32, f32) {
        match self {
            Paper::A4 => (mm(210.0), mm(297.0)),
            Paper::A3 => (mm(297.0), mm(420.0)),
        }
    }

    /// Width and height in points, landscape.
    pub fn landscape(self) -> (f32, f32) {
        let (w, h) = self.portrait();
        (h, w)
    }
}

impl std::str::FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "a3" => Ok(Paper::A3),
            other => Err(format!("paper {other:?}: a4 or a3")),
        }
    }
}

/// One supervision line of a board or card: who (县综治中心, 城关镇…) and their phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervision {
    pub office: String,
    pub phone: String,
}

impl std::str::FromStr for Supervision {
    type Err = String;
    /// `office=phone`, e.g. `县综治中心=0394-1234567`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (office, phone) = s.split_once('=').ok_or_else(|| {
            format!("supervision {s:?}: write it as office=phone, e.g. 县综治中心=0394-1234567")
        })?;
        let (office, phone) = (office.trim(), phone.trim());
        if office.is_empty() || phone.is_empty() {
            return Err(format!(
                "supervision {s:?}: both the office and the phone are needed"
            ));
        }
        Ok(Supervision {
            office: office.to_owned(),
            phone: phone.to_owned(),
        })
    }
}

/// Millimetres in points.
pub(crate) fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// Reading PDFs back with poppler's tools (poppler-utils, which scripts/setup.sh installs
/// for the tests): pages, text and a rendered page.
#[cfg(test)]
pub(crate) mod tests {
    use std::process::Command;

    fn with_pdf<T>(pdf: &[u8], run: impl FnOnce(&std::path::Path) -> T) -> T {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        std::fs::write(&path, pdf).unwrap();
        run(&path)
    }

    fn output(cmd: &mut Command) -> String {
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("{cmd:?}: {e} (install poppler-utils: scripts/setup.sh --pdf)")
        });
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub(crate) fn pages_of(pdf: &[u8]) -> usize {
        with_pdf(pdf, |path| {
            let info = output(Command::new("pdfinfo").arg(path));
            info.lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .and_then(|n| n.trim().parse().ok())
                .expect("pdfinfo names the pages")
        })
    }

    /// The images placed on each page, as `pdfimages -list` names them: `(page, width, height)`.
    pub(crate) fn images_of(pdf: &[u8]) -> Vec<(usize, usize, usize)> {
        with_pdf(pdf, |path| {
            let list = output(Command::new("pdfimages").arg("-list").arg(path));
            // page num type width height …, after two header lines
            list.lines()
                .skip(2)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    if f.len() <= 4 || f[2] != "image" {
                        return None;
                    }
                    Some((f[0].parse().ok()?, f[3].parse().ok()?, f[4].parse().ok()?))
                })
                .collect()
        })
    }

    pub(crate) fn text_of(pdf: &[u8]) -> String {
        with_pdf(pdf, |path| {
            output(Command::new("pdftotext").args(["-raw"]).arg(path).arg("-"))
        })
    }

    /// The first page rendered at 30 dpi as a greyscale PGM: its size in pixels and the
    /// share of pixels that are not white.
    pub(crate) fn render_first_page(pdf: &[u8]) -> (usize, usize, f64) {
        with_pdf(pdf, |path| {
            let out = Command::new("pdftoppm")
                .args(["-gray", "-r", "30", "-f", "1", "-l", "1"])
                .arg(path)
                .output()
                .expect("pdftoppm (poppler-utils)");
            assert!(out.status.success());
            let pgm = out.stdout;
            // P5\n<w> <h>\n255\n<pixels>
            let text = String::from_utf8_lossy(&pgm[..pgm.len().min(40)]).into_owned();
            let mut fields = text.split_ascii_whitespace();
            assert_eq!(fields.next(), Some("P5"));
            let w: usize = fields.next().unwrap().parse().unwrap();
            let h: usize = fields.next().unwrap().parse().unwrap();
            let pixels = &pgm[pgm.len() - w * h..];
            let inked = pixels.iter().filter(|&&p| p < 240).count();
            (w, h, inked as f64 / (w * h) as f64)
        })
    }
}
