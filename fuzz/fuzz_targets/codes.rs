//! The parsers of what requests and files name: division and grid codes, access scopes
//! and roles, tile coordinates and layer lists, time windows and times. Any text gets
//! a value or an error; what parses prints back to text that parses to the same value.
#![no_main]

use gridmap_core::{AccessScope, DivisionCode, GridCode, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = text.parse::<DivisionCode>() {
        assert_eq!(code.to_string().parse::<DivisionCode>().ok(), Some(code));
    }
    if let Ok(code) = text.parse::<GridCode>() {
        assert_eq!(code.to_string().parse::<GridCode>().ok(), Some(code.clone()));
        let _ = code.village();
    }
    if let Ok(scope) = text.parse::<AccessScope>() {
        assert_eq!(scope.to_string().parse::<AccessScope>().ok(), Some(scope.clone()));
        let _ = scope.home_unit();
        let _ = scope.covers_codes(Some(text), Some(text));
    }
    let _ = text.parse::<Role>();
    let mut parts = text.splitn(3, '/');
    let (z, x, y) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = gridmap_tiles::coord::TileCoord::parse(z, x, y);
    let _ = gridmap_tiles::layers::Layer::parse_list(text);
    let _ = gridmap_service::incidents::window_seconds(text);
    let _ = gridmap_importers::time::parse_time(text);
});
