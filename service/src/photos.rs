//! Photos staff take for reports and visits: sent once by the id the phone made, checked
//! (JPEG or PNG, at most [`MAX_PHOTO_BYTES`]) and stripped of the metadata that can hold
//! where and when it was taken (EXIF, XMP), unless the sender asks to keep it.

use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::Staff;
use gridmap_store::{Photo, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest photo accepted: a phone's photo compressed for sending is far smaller.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The most photos one report, timeline step or visit keeps (a phone's picker of nine).
pub const MAX_PHOTOS: usize = 9;

/// Where photos stored here are read back: `api/photos/{id}`.
const PHOTO_PATH: &str = "api/photos/";

/// Checks the photos a report, a step of the loop or a visit names: at most [`MAX_PHOTOS`],
/// each stored here (`api/photos/{id}`, or the bare id) or, for a report relayed from
/// another system, an `http(s)` URL there. Answers the references as kept:
/// `api/photos/{id}` for ours.
pub(crate) async fn check_references(
    store: &dyn Store,
    references: &[String],
) -> ServiceResult<Vec<String>> {
    if references.len() > MAX_PHOTOS {
        return Err(ServiceError::BadInput(format!(
            "{} photos: at most {MAX_PHOTOS}",
            references.len()
        )));
    }
    let mut kept = Vec::with_capacity(references.len());
    for reference in references {
        let reference = reference.trim();
        if reference.starts_with("https://") || reference.starts_with("http://") {
            kept.push(reference.to_owned());
            continue;
        }
        let id = reference.strip_prefix(PHOTO_PATH).unwrap_or(reference);
        crate::visits::check_client_id(id, "photo id")?;
        if !store.has_photo(id).await? {
            return Err(ServiceError::BadInput(format!(
                "photo {id} was not sent: PUT it to {PHOTO_PATH}{id} first"
            )));
        }
        kept.push(format!("{PHOTO_PATH}{id}"));
    }
    Ok(kept)
}

/// What a stored photo answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoReceipt {
    pub id: String,
    pub content_type: String,
    pub bytes: usize,
    /// False when the photo was already stored (sent again).
    pub new: bool,
    /// Where it is read back (`api/photos/{id}`), the reference a report keeps.
    pub url: String,
}

/// Stores a photo under `id` (the device's, 16 to 64 letters, digits or dashes); a
/// second send of the same photo is answered as stored. Staff, planners, administrators.
pub async fn put_photo(
    store: &dyn Store,
    caller: &Caller,
    id: &str,
    bytes: &[u8],
    keep_location: bool,
) -> ServiceResult<PhotoReceipt> {
    caller.must_be_office("sending photos")?;
    crate::visits::check_client_id(id, "photo id")?;
    let (content_type, bytes) = checked_image(id, bytes, keep_location)?;
    let photo = Photo {
        id: id.to_owned(),
        content_type: content_type.to_owned(),
        bytes,
        actor: caller.actor().to_owned(),
        at: crate::incidents::now(),
    };
    let new = store.put_photo(&photo).await?;
    Ok(receipt(&photo, new))
}

fn receipt(photo: &Photo, new: bool) -> PhotoReceipt {
    PhotoReceipt {
        id: photo.id.clone(),
        content_type: photo.content_type.clone(),
        bytes: photo.bytes.len(),
        new,
        url: format!("{PHOTO_PATH}{}", photo.id),
    }
}

/// `bytes` checked as a photo (`name` in messages): at most [`MAX_PHOTO_BYTES`], a JPEG
/// or PNG, its location and time metadata removed unless `keep_location`.
fn checked_image(
    name: &str,
    bytes: &[u8],
    keep_location: bool,
) -> ServiceResult<(&'static str, Vec<u8>)> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(ServiceError::BadInput(format!(
            "photo {name} is {} bytes, at most {MAX_PHOTO_BYTES}: send it compressed",
            bytes.len()
        )));
    }
    Ok(match sniff(bytes) {
        Some(ImageKind::Jpeg) if !keep_location => ("image/jpeg", strip_jpeg(bytes, name)?),
        Some(ImageKind::Png) if !keep_location => ("image/png", strip_png(bytes, name)?),
        Some(kind) => (kind.content_type(), bytes.to_vec()),
        None => {
            return Err(ServiceError::BadInput(format!(
                "photo {name} is not a JPEG or PNG image"
            )))
        }
    })
}

/// Puts a photo on staff member `staff_id` for the notice boards: planners and
/// administrators whose scope covers the person's grids (or area). The photo is stripped
/// of its metadata and stored under an id made from its bytes, so the same photo sent
/// again is stored once; an earlier photo of the person is replaced. Audited.
pub async fn set_staff_photo(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    staff_id: &str,
    bytes: &[u8],
) -> ServiceResult<PhotoReceipt> {
    let staff = snap.staff_member(staff_id).ok_or_else(|| {
        ServiceError::NotFound(format!(
            "no staff member {staff_id:?}: import the roster first"
        ))
    })?;
    caller.may_manage_staff(staff.area.as_ref(), &staff.grids)?;
    let (content_type, bytes) = checked_image(&format!("of staff {staff_id}"), bytes, false)?;
    let digest = Sha256::digest(&bytes);
    let id: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let now = crate::incidents::now();
    let photo = Photo {
        id: format!("staff-{id}"),
        content_type: content_type.to_owned(),
        bytes,
        actor: caller.actor().to_owned(),
        at: now,
    };
    let new = store.put_photo(&photo).await?;
    store.set_staff_photo(staff_id, Some(&photo.id)).await?;
    crate::access::audit(
        store,
        now,
        caller.actor(),
        "set staff photo",
        staff_id,
        caller.origin(),
        &format!("photo {} ({} bytes)", photo.id, photo.bytes.len()),
    )
    .await?;
    Ok(receipt(&photo, new))
}

/// The staff member a photo file is named after (its name without the extension): a staff
/// id (`S001.jpg`), else a name the roster holds once (`王芳.jpg`). `Err` says why none.
pub fn staff_for_file<'a>(snap: &'a CountySnapshot, stem: &str) -> Result<&'a Staff, String> {
    if let Some(s) = snap.staff_member(stem) {
        return Ok(s);
    }
    let named: Vec<&Staff> = snap.staff.iter().filter(|s| s.name == stem).collect();
    match named[..] {
        [one] => Ok(one),
        [] => Err(format!("no staff member has the id or name {stem:?}")),
        _ => Err(format!(
            "{} staff members are named {stem}: name the file by staff id ({})",
            named.len(),
            named
                .iter()
                .map(|s| format!("{}.jpg", s.id))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The photo on staff member `staff_id`, for office roles (the roster is theirs).
pub async fn staff_photo(
    store: &dyn Store,
    caller: &Caller,
    staff_id: &str,
) -> ServiceResult<Photo> {
    caller.must_be_office("reading staff photos")?;
    store
        .staff_photo(staff_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("staff member {staff_id:?} has no photo")))
}

/// The photo stored under `id`, for office roles; each read is audited (photos can show
/// people and their homes).
pub async fn photo(store: &dyn Store, caller: &Caller, id: &str) -> ServiceResult<Photo> {
    caller.must_be_office("reading photos")?;
    let photo = store
        .photo(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no photo {id:?}")))?;
    crate::access::audit(
        store,
        crate::incidents::now(),
        caller.actor(),
        "read photo",
        id,
        caller.origin(),
        &format!("{} bytes by {}", photo.bytes.len(), photo.actor),
    )
    .await?;
    Ok(photo)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageKind {
    Jpeg,
    Png,
}

impl ImageKind {
    fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
        }
    }
}

/// The image kind by its first bytes (a client's Content-Type is not trusted).
fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else {
        None
    }
}

fn damaged(id: &str, what: &str) -> ServiceError {
    ServiceError::BadInput(format!("photo {id} is a damaged image: {what}"))
}

/// A JPEG without its APP1 segments (EXIF, with the GPS position and the time, and XMP)
/// and comments; everything else byte for byte.
///
/// ```
/// # use gridmap_service::photos::strip_jpeg;
/// // SOI, APP1 "Exif" (4 bytes of payload), a COM, then SOS with 2 bytes of scan data and EOI.
/// let jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, b'E', b'x', b'i', b'f',
///             0xFF, 0xFE, 0x00, 0x03, b'x', 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9];
/// assert_eq!(strip_jpeg(&jpeg, "p").unwrap(), [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
/// ```
pub fn strip_jpeg(bytes: &[u8], id: &str) -> ServiceResult<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut at = 2;
    loop {
        if at + 4 > bytes.len() || bytes[at] != 0xFF {
            return Err(damaged(id, "a JPEG segment is cut short"));
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let end = at + 2 + length;
        if length < 2 || end > bytes.len() {
            return Err(damaged(id, "a JPEG segment is longer than the file"));
        }
        if marker == 0xDA {
            // Start of scan: the compressed image and the rest of the file, kept whole.
            out.extend_from_slice(&bytes[at..]);
            return Ok(out);
        }
        // APP1 (EXIF, XMP) and COM go; APP0 (JFIF), tables and frame headers stay.
        if marker != 0xE1 && marker != 0xFE {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
}

/// A PNG without its eXIf chunk and text chunks (where XMP and camera notes live).
fn strip_png(bytes: &[u8], id: &str) -> ServiceResult<Vec<u8>> {
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    while at < bytes.len() {
        if at + 12 > bytes.len() {
            return Err(damaged(id, "a PNG chunk is cut short"));
        }
        let length =
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let end = at + 12 + length;
        if end > bytes.len() {
            return Err(damaged(id, "a PNG chunk is longer than the file"));
        }
        let kind = &bytes[at + 4..at + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt") {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_loses_its_exif_and_text_chunks_only() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]); // CRC, not checked here
            c
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"eXIf", b"GPS"));
        png.extend(chunk(b"tEXt", b"Comment\0here"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let stripped = strip_png(&png, "p").unwrap();
        let mut want = b"\x89PNG\r\n\x1a\n".to_vec();
        want.extend(chunk(b"IHDR", &[0; 13]));
        want.extend(chunk(b"IDAT", &[1, 2, 3]));
        want.extend(chunk(b"IEND", &[]));
        assert_eq!(stripped, want);
        assert!(strip_png(&png[..png.len() - 3], "p").is_err(), "cut short");
    }

    #[test]
    fn a_jpeg_cut_inside_a_segment_is_refused() {
        let cut = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x40, b'E'];
        assert!(matches!(
            strip_jpeg(&cut, "p"),
            Err(ServiceError::BadInput(_))
        ));
    }
}
