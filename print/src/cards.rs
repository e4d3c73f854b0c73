//! Contact cards for households (便民服务联系卡 / 网格明白卡): who their grid staff member
//! is and how to reach her and the supervision offices. Eight cards to an A4 page (two
//! columns of four, each 105 × 74 mm, the page cut in eight), with cut marks.

use crate::canvas::{Align, Canvas, Line, Pages, BLACK, GREY, LIGHT};
use crate::{mm, Paper, PrintError, PrintFont, Supervision};

/// Cards on one sheet of the paper (A4: 8; A3 holds twice as many).
pub const CARDS_PER_PAGE: usize = 8;

/// One household's card. Nothing personal: the address is what the card is delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    /// Where the household lives (address, entrance, floor, flat).
    pub address: String,
    pub village: String,
    pub grid: String,
    pub grid_name: Option<String>,
    pub staff_name: Option<String>,
    pub staff_phone: Option<String>,
    pub supervision: Vec<Supervision>,
}

/// The cards as a PDF: [`CARDS_PER_PAGE`] to an A4 page in card order (A3: 16).
pub fn contact_cards(
    font: &PrintFont,
    cards: &[ContactCard],
    paper: Paper,
) -> Result<Vec<u8>, PrintError> {
    if cards.is_empty() {
        return Err(PrintError::Empty("no household to make a card for".into()));
    }
    let size = paper.portrait();
    let (cols, rows) = match paper {
        Paper::A4 => (2, 4),
        Paper::A3 => (4, 4),
    };
    let (w, h) = (size.0 / cols as f32, size.1 / rows as f32);
    let mut pages = Pages::new(font);
    for sheet in cards.chunks(cols * rows) {
        pages.page(size, |c| {
            for (i, card) in sheet.iter().enumerate() {
                let (x, y) = ((i % cols) as f32 * w, (i / cols) as f32 * h);
                draw_card(c, card, x, y, w, h);
            }
            cut_marks(c, size, cols, rows);
        });
    }
    pages.finish()
}

fn draw_card(c: &mut Canvas<'_, '_>, card: &ContactCard, x: f32, y: f32, w: f32, h: f32) {
    let pad = mm(7.0);
    let (left, right) = (x + pad, x + w - pad);
    c.rect(
        x + mm(4.0),
        y + mm(4.0),
        w - mm(8.0),
        h - mm(8.0),
        None,
        Some(Line::solid(LIGHT, 0.6)),
    );
    let mut base = y + pad + 14.0;
    c.text(
        x + w / 2.0,
        base,
        14.0,
        "便民服务联系卡",
        Align::Centre,
        BLACK,
    );
    base += 16.0;
    let grid = match &card.grid_name {
        Some(name) => format!("{} · 网格 {} {name}", card.village, card.grid),
        None => format!("{} · 网格 {}", card.village, card.grid),
    };
    c.text(x + w / 2.0, base, 8.0, &grid, Align::Centre, GREY);
    base += 18.0;
    base = c.paragraph(
        left,
        base,
        right - left,
        9.5,
        &format!("住址：{}", card.address),
        BLACK,
    );
    base += 3.0;
    let staff = card.staff_name.as_deref().unwrap_or("（待配备）");
    c.text(
        left,
        base,
        11.0,
        &format!("网格员：{staff}"),
        Align::Left,
        BLACK,
    );
    base += 16.0;
    if let Some(phone) = &card.staff_phone {
        c.text(
            left,
            base,
            13.0,
            &format!("电话：{phone}"),
            Align::Left,
            BLACK,
        );
        base += 17.0;
    }
    for s in &card.supervision {
        if base > y + h - pad {
            break;
        }
        c.text(
            left,
            base,
            8.5,
            &format!("{}监督电话：{}", s.office, s.phone),
            Align::Left,
            GREY,
        );
        base += 12.0;
    }
}

/// Short marks in the margins and at the crossings where the sheet is cut.
fn cut_marks(c: &mut Canvas<'_, '_>, size: (f32, f32), cols: usize, rows: usize) {
    let mark = mm(3.0);
    let line = Line::solid(BLACK, 0.4);
    for i in 0..=cols {
        let x = size.0 * i as f32 / cols as f32;
        for j in 0..=rows {
            let y = size.1 * j as f32 / rows as f32;
            c.line((x - mark, y), (x + mark, y), line);
            c.line((x, y - mark), (x, y + mark), line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::tests::font;
    use crate::tests::{pages_of, text_of};

    fn card(i: usize) -> ContactCard {
        ContactCard {
            address: format!("城关社区{i}号楼1单元10{i}"),
            village: "城关社区".into(),
            grid: "411622100001-007".into(),
            grid_name: Some("幸福里".into()),
            staff_name: Some("王芳".into()),
            staff_phone: Some("13800001111".into()),
            supervision: vec!["城关镇=0394-7654321".parse().unwrap()],
        }
    }

    #[test]
    fn eight_cards_fill_an_a4_page_and_each_names_its_staff_and_phone() {
        let cards: Vec<ContactCard> = (1..=9).map(card).collect();
        let pdf = contact_cards(&font(), &cards, Paper::A4).unwrap();
        assert_eq!(pages_of(&pdf), 2, "9 cards: a full page and one card");
        let text = text_of(&pdf);
        assert_eq!(text.matches("便民服务联系卡").count(), 9, "{text}");
        assert_eq!(text.matches("13800001111").count(), 9, "{text}");
        assert!(text.contains("城关社区9号楼1单元109"), "{text}");
        assert!(text.contains("城关镇监督电话：0394-7654321"), "{text}");
        let a3 = contact_cards(&font(), &cards, Paper::A3).unwrap();
        assert_eq!(pages_of(&a3), 1, "16 to an A3 page");
    }

    #[test]
    fn no_household_no_cards() {
        assert!(matches!(
            contact_cards(&font(), &[], Paper::A4),
            Err(PrintError::Empty(_))
        ));
    }
}
