//! What makes the phone page (`/m`) installable on a phone's home screen: its web app
//! manifest and its icons (drawn here: a grid of white lines on the page's blue, so no
//! image file has to be kept).

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::io::Write;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/m.webmanifest", get(manifest))
        .route(
            "/m-icon-192.png",
            get(|| async { png_response(icon_png(192)) }),
        )
        .route(
            "/m-icon-512.png",
            get(|| async { png_response(icon_png(512)) }),
        )
}

async fn manifest() -> impl IntoResponse {
    let body = serde_json::json!({
        "name": "gridmap 网格员",
        "short_name": "网格员",
        "description": "网格员上报事件、走访住户、处理工单（离线可用）",
        "start_url": "m",
        "scope": "m",
        "display": "standalone",
        "background_color": "#f3f4f6",
        "theme_color": "#1f6feb",
        "lang": "zh-CN",
        "icons": [
            { "src": "m-icon-192.png", "sizes": "192x192", "type": "image/png" },
            { "src": "m-icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable" }
        ]
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        body.to_string(),
    )
}

fn png_response(bytes: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
}

/// The icon, `size` pixels square: blue with a 3×3 grid of white lines.
fn icon_png(size: u32) -> Vec<u8> {
    const BLUE: [u8; 3] = [0x1f, 0x6f, 0xeb];
    let line = (size / 24).max(2);
    let margin = size / 5;
    let on_line = |v: u32| {
        (margin..=size - margin).contains(&v)
            && (0..4).any(|k| {
                let at = margin + k * (size - 2 * margin) / 3;
                v + line / 2 >= at && v < at + line / 2 + line % 2
            })
    };
    let inside = |v: u32| (margin..=size - margin).contains(&v);
    let mut raw = Vec::with_capacity((size * (size * 3 + 1)) as usize);
    for y in 0..size {
        raw.push(0); // no filter
        for x in 0..size {
            let white = (on_line(x) && inside(y)) || (on_line(y) && inside(x));
            raw.extend_from_slice(if white { &[0xff, 0xff, 0xff] } else { &BLUE });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("writing to memory");
    let data = z.finish().expect("writing to memory");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, body) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", &data), (b"IEND", &[])] {
        png.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(body);
        png.extend_from_slice(kind);
        png.extend_from_slice(body);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_a_png_of_its_size() {
        let png = icon_png(192);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 192);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 192);
        assert!(
            png.ends_with(&[b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]),
            "IEND with its CRC"
        );
    }
}
