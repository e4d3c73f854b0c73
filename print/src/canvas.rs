//! Drawing on a PDF page in points, y down from the top-left corner: text set in the
//! [`PrintFont`], lines, rectangles and polygons. The one place that speaks krilla's
//! drawing API.

use crate::{PrintError, PrintFont};
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::Document;

/// An sRGB colour as `0xRRGGBB`.
pub(crate) type Rgb = u32;

pub(crate) const BLACK: Rgb = 0x000000;
pub(crate) const GREY: Rgb = 0x666666;
pub(crate) const LIGHT: Rgb = 0xbbbbbb;

/// Grid fills: the web map's palette (web/layers.js `GRID_PALETTE`).
pub(crate) const GRID_PALETTE: [Rgb; 8] = [
    0x8dd3c7, 0xfdf0a0, 0xbebada, 0xfb8072, 0x80b1d3, 0xfdb462, 0xb3de69, 0xfccde5,
];

fn colour(c: Rgb) -> rgb::Color {
    rgb::Color::new((c >> 16) as u8, (c >> 8) as u8, c as u8)
}

fn fill(c: Rgb, opacity: f32) -> Fill {
    Fill {
        paint: colour(c).into(),
        opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ONE),
        rule: FillRule::EvenOdd,
    }
}

/// How a line is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub colour: Rgb,
    pub width: f32,
    pub dashed: bool,
}

impl Line {
    pub fn solid(colour: Rgb, width: f32) -> Line {
        Line {
            colour,
            width,
            dashed: false,
        }
    }

    pub fn dashed(colour: Rgb, width: f32) -> Line {
        Line {
            colour,
            width,
            dashed: true,
        }
    }

    fn stroke(self) -> Stroke {
        Stroke {
            paint: colour(self.colour).into(),
            width: self.width,
            dash: self.dashed.then(|| StrokeDash {
                array: vec![self.width * 4.0, self.width * 3.0],
                offset: 0.0,
            }),
            ..Stroke::default()
        }
    }
}

/// Where a line of text sits relative to its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Centre,
    Right,
}

/// A document being written page by page.
pub(crate) struct Pages {
    doc: Document,
    pub font: PrintFont,
}

impl Pages {
    pub fn new(font: &PrintFont) -> Pages {
        Pages {
            doc: Document::new(),
            font: font.clone(),
        }
    }

    /// Adds a page of `size` (points) and draws on it with `draw`.
    pub fn page(&mut self, size: (f32, f32), draw: impl FnOnce(&mut Canvas<'_, '_>)) {
        let settings = PageSettings::from_wh(size.0, size.1).expect("a positive page size");
        let mut page = self.doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut canvas = Canvas {
            surface: &mut surface,
            font: &self.font,
        };
        draw(&mut canvas);
        surface.finish();
        page.finish();
    }

    pub fn finish(self) -> Result<Vec<u8>, PrintError> {
        self.doc
            .finish()
            .map_err(|e| PrintError::Pdf(format!("{e:?}")))
    }
}

/// One page's drawing surface.
pub(crate) struct Canvas<'s, 'a> {
    surface: &'s mut Surface<'a>,
    pub font: &'s PrintFont,
}

impl Canvas<'_, '_> {
    /// Writes one line of `text` at `size` with its baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str, align: Align, c: Rgb) {
        if text.is_empty() {
            return;
        }
        let width = self.font.width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Centre => x - width / 2.0,
            Align::Right => x - width,
        };
        let glyphs = self.font.glyphs(text);
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(fill(c, 1.0)));
        self.surface.draw_glyphs(
            Point::from_xy(x, y),
            &glyphs,
            self.font.pdf_font(),
            text,
            size,
            false,
        );
    }

    /// Writes `text` wrapped to `width`, first baseline at `y`; returns the baseline after
    /// the last line.
    pub fn paragraph(&mut self, x: f32, y: f32, width: f32, size: f32, text: &str, c: Rgb) -> f32 {
        let mut y = y;
        for line in self.font.wrap(text, width, size) {
            self.text(x, y, size, &line, Align::Left, c);
            y += size * 1.45;
        }
        y
    }

    pub fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill_colour: Option<Rgb>,
        line: Option<Line>,
    ) {
        let Some(rect) = Rect::from_xywh(x, y, w, h) else {
            return;
        };
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            self.draw(&path, fill_colour.map(|c| (c, 1.0)), line);
        }
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), line: Line) {
        let mut pb = PathBuilder::new();
        pb.move_to(from.0, from.1);
        pb.line_to(to.0, to.1);
        if let Some(path) = pb.finish() {
            self.draw(&path, None, Some(line));
        }
    }

    /// Closed rings (outer and holes, even-odd) in page points.
    pub fn polygon(
        &mut self,
        rings: &[Vec<(f32, f32)>],
        fill_colour: Option<(Rgb, f32)>,
        line: Option<Line>,
    ) {
        let mut pb = PathBuilder::new();
        for ring in rings.iter().filter(|r| r.len() >= 3) {
            pb.move_to(ring[0].0, ring[0].1);
            for p in &ring[1..] {
                pb.line_to(p.0, p.1);
            }
            pb.close();
        }
        if let Some(path) = pb.finish() {
            self.draw(&path, fill_colour, line);
        }
    }

    /// Draws a JPEG or PNG image inside the box at (`x`, `y`) of `w` × `h`, as large as
    /// fits with its shape kept, centred. `Err` says why the bytes are not an image.
    pub fn image(&mut self, x: f32, y: f32, w: f32, h: f32, bytes: &[u8]) -> Result<(), String> {
        let data = krilla::Data::from(bytes.to_vec());
        let image = if bytes.starts_with(b"\x89PNG") {
            Image::from_png(data, true)?
        } else {
            Image::from_jpeg(data, true)?
        };
        let (iw, ih) = image.size();
        let k = (w / iw.max(1) as f32).min(h / ih.max(1) as f32);
        let (dw, dh) = (iw as f32 * k, ih as f32 * k);
        let size = Size::from_wh(dw, dh).ok_or("an image without pixels")?;
        let at = Transform::from_translate(x + (w - dw) / 2.0, y + (h - dh) / 2.0);
        self.surface.push_transform(&at);
        self.surface.draw_image(image, size);
        self.surface.pop();
        Ok(())
    }

    fn draw(&mut self, path: &Path, fill_colour: Option<(Rgb, f32)>, line: Option<Line>) {
        self.surface.set_fill(fill_colour.map(|(c, o)| fill(c, o)));
        self.surface.set_stroke(line.map(Line::stroke));
        self.surface.draw_path(path);
    }
}
