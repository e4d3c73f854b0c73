//! Notice boards (网格员公示牌): one page per grid, posted in the grid, naming its staff
//! member, her phone and duties, and the offices that supervise her.

use crate::canvas::{Align, Line, Pages, BLACK, GREY, LIGHT};
use crate::{mm, Paper, PrintError, PrintFont, Supervision};

/// The duties a board lists when none are given: the "five roles" counties give grid staff
/// (信息员、联络员、宣传员、调解员、服务员).
pub const DEFAULT_DUTIES: &[&str] = &[
    "信息员：走访入户，采集、更新网格内人、地、事、物、组织信息",
    "联络员：联系服务群众，及时上报网格内各类事件和隐患",
    "宣传员：宣传党的方针政策和法律法规",
    "调解员：排查化解矛盾纠纷，协助维护社会稳定",
    "服务员：为群众代办、帮办事项，关心关爱重点人群",
];

/// One grid's board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeBoard {
    /// `城关镇 城关社区`.
    pub place: String,
    pub grid: String,
    pub grid_name: Option<String>,
    pub households: u32,
    pub buildings: u32,
    pub staff_name: Option<String>,
    pub staff_phone: Option<String>,
    /// The staff member's photo (JPEG or PNG); without one the board has an empty box to
    /// paste a print into.
    pub staff_photo: Option<Vec<u8>>,
    /// The duties listed; [`DEFAULT_DUTIES`] when empty.
    pub duties: Vec<String>,
    pub supervision: Vec<Supervision>,
}

/// One page per board, portrait.
pub fn notice_boards(
    font: &PrintFont,
    boards: &[NoticeBoard],
    paper: Paper,
) -> Result<Vec<u8>, PrintError> {
    if boards.is_empty() {
        return Err(PrintError::Empty(
            "no grid to make a notice board for".into(),
        ));
    }
    let size = paper.portrait();
    let k = size.0 / mm(210.0); // A3 scales everything up
    let mut pages = Pages::new(font);
    for board in boards {
        pages.page(size, |c| {
            let (w, h) = size;
            let margin = mm(18.0) * k;
            c.rect(
                margin / 2.0,
                margin / 2.0,
                w - margin,
                h - margin,
                None,
                Some(Line::solid(0xc0392b, 3.0 * k)),
            );
            let mut y = margin + 36.0 * k;
            c.text(
                w / 2.0,
                y,
                34.0 * k,
                "网格员公示牌",
                Align::Centre,
                0xc0392b,
            );
            y += 30.0 * k;
            c.text(w / 2.0, y, 13.0 * k, &board.place, Align::Centre, GREY);
            y += 34.0 * k;
            let title = match &board.grid_name {
                Some(name) => format!("网格 {} {name}", board.grid),
                None => format!("网格 {}", board.grid),
            };
            c.text(w / 2.0, y, 20.0 * k, &title, Align::Centre, BLACK);
            y += 22.0 * k;
            let size_line = format!("{} 户 · {} 栋房屋", board.households, board.buildings);
            c.text(w / 2.0, y, 12.0 * k, &size_line, Align::Centre, GREY);
            y += 30.0 * k;

            // The staff member's photo, or a box to paste one into.
            let photo = (mm(35.0) * k, mm(45.0) * k);
            let printed = board
                .staff_photo
                .as_deref()
                .is_some_and(|bytes| c.image(margin, y, photo.0, photo.1, bytes).is_ok());
            if !printed {
                c.rect(
                    margin,
                    y,
                    photo.0,
                    photo.1,
                    Some(0xf4f4f4),
                    Some(Line::dashed(LIGHT, 1.0)),
                );
                c.text(
                    margin + photo.0 / 2.0,
                    y + photo.1 / 2.0,
                    11.0 * k,
                    "照片",
                    Align::Centre,
                    LIGHT,
                );
            }
            let x = margin + photo.0 + mm(10.0) * k;
            let staff = board.staff_name.as_deref().unwrap_or("（待配备）");
            c.text(x, y + 28.0 * k, 14.0 * k, "网格员", Align::Left, GREY);
            c.text(x, y + 62.0 * k, 30.0 * k, staff, Align::Left, BLACK);
            if let Some(phone) = &board.staff_phone {
                c.text(x, y + 92.0 * k, 14.0 * k, "联系电话", Align::Left, GREY);
                c.text(x, y + 120.0 * k, 24.0 * k, phone, Align::Left, BLACK);
            }
            y += photo.1 + 34.0 * k;

            c.text(margin, y, 16.0 * k, "工作职责", Align::Left, BLACK);
            y += 24.0 * k;
            let duties: Vec<&str> = if board.duties.is_empty() {
                DEFAULT_DUTIES.to_vec()
            } else {
                board.duties.iter().map(String::as_str).collect()
            };
            for (i, duty) in duties.iter().enumerate() {
                y = c.paragraph(
                    margin,
                    y,
                    w - 2.0 * margin,
                    12.0 * k,
                    &format!("{}. {duty}", i + 1),
                    BLACK,
                );
                y += 4.0 * k;
            }
            if !board.supervision.is_empty() {
                y += 16.0 * k;
                c.text(margin, y, 16.0 * k, "监督电话", Align::Left, BLACK);
                y += 24.0 * k;
                for s in &board.supervision {
                    c.text(
                        margin,
                        y,
                        13.0 * k,
                        &format!("{}：{}", s.office, s.phone),
                        Align::Left,
                        BLACK,
                    );
                    y += 20.0 * k;
                }
            }
        });
    }
    pages.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::tests::font;
    use crate::tests::{images_of, pages_of, text_of};

    /// An 8×6 red PNG, as a roster photo would be (any image will do).
    const PNG: [u8; 74] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x08, 0x02, 0x00, 0x00, 0x00, 0x71,
        0x67, 0x48, 0xac, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38,
        0x21, 0x27, 0x87, 0x15, 0x31, 0x0c, 0xa4, 0x04, 0x00, 0x69, 0x88, 0x30, 0xc1, 0x64, 0x85,
        0xa2, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn one_board_per_grid_with_its_staff_phone_duties_and_supervision() {
        let board = |code: &str, staff: Option<&str>| NoticeBoard {
            place: "城关镇 城关社区".into(),
            grid: code.into(),
            grid_name: None,
            households: 42,
            buildings: 17,
            staff_name: staff.map(Into::into),
            staff_phone: staff.map(|_| "13800001111".into()),
            staff_photo: None,
            duties: Vec::new(),
            supervision: vec!["县综治中心=0394-1234567".parse().unwrap()],
        };
        let pdf = notice_boards(
            &font(),
            &[
                board("411622100001-001", Some("王芳")),
                board("411622100001-002", None),
            ],
            Paper::A4,
        )
        .unwrap();
        assert_eq!(pages_of(&pdf), 2);
        let text = text_of(&pdf);
        assert_eq!(text.matches("网格员公示牌").count(), 2, "{text}");
        assert!(text.contains("411622100001-002"), "{text}");
        assert!(
            text.contains("王芳") && text.contains("13800001111"),
            "{text}"
        );
        assert!(
            text.contains("（待配备）"),
            "a grid without staff says so: {text}"
        );
        assert!(text.contains("调解员"), "the default duties: {text}");
        assert!(text.contains("县综治中心：0394-1234567"), "{text}");
    }

    #[test]
    fn a_staff_photo_is_printed_in_its_box_and_a_board_without_one_keeps_the_empty_box() {
        let board = |code: &str, photo: Option<Vec<u8>>| NoticeBoard {
            place: "城关镇 城关社区".into(),
            grid: code.into(),
            grid_name: None,
            households: 42,
            buildings: 17,
            staff_name: Some("王芳".into()),
            staff_phone: None,
            staff_photo: photo,
            duties: Vec::new(),
            supervision: Vec::new(),
        };
        let pdf = notice_boards(
            &font(),
            &[
                board("411622100001-001", Some(PNG.to_vec())),
                board("411622100001-002", None),
                // Not an image: the box stays for a print to be pasted in.
                board("411622100001-003", Some(b"not an image".to_vec())),
            ],
            Paper::A4,
        )
        .unwrap();
        assert_eq!(
            images_of(&pdf),
            vec![(1, 8, 6)],
            "the photo, on the first board only"
        );
        let text = text_of(&pdf);
        assert_eq!(
            text.matches("照片").count(),
            2,
            "the empty boxes are labelled: {text}"
        );
    }
}
