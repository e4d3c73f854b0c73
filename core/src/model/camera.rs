//! Video cameras (雪亮工程 points): where each one stands, where it looks and how far.

use geo_types::Point;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A camera's working state, as the video platform reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// Recording (在线 / 正常): the only state that covers anything.
    #[default]
    Online,
    /// Not reachable (离线).
    Offline,
    /// Reported broken (故障 / 损坏).
    Fault,
}

impl CameraStatus {
    /// `online`, `offline` or `fault`.
    pub fn as_str(self) -> &'static str {
        match self {
            CameraStatus::Online => "online",
            CameraStatus::Offline => "offline",
            CameraStatus::Fault => "fault",
        }
    }
}

impl FromStr for CameraStatus {
    type Err = String;

    /// English names or the Chinese words video platforms export.
    ///
    /// ```
    /// use gridmap_core::CameraStatus;
    /// assert_eq!("在线".parse(), Ok(CameraStatus::Online));
    /// assert_eq!("Offline".parse(), Ok(CameraStatus::Offline));
    /// assert_eq!("故障".parse(), Ok(CameraStatus::Fault));
    /// assert!("maybe".parse::<CameraStatus>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "online" | "ok" | "在线" | "正常" | "启用" => Ok(CameraStatus::Online),
            "offline" | "离线" | "停用" => Ok(CameraStatus::Offline),
            "fault" | "broken" | "故障" | "损坏" | "异常" => Ok(CameraStatus::Fault),
            other => Err(format!(
                "unknown camera status {other:?} (online/在线, offline/离线, fault/故障)"
            )),
        }
    }
}

/// One camera. Not personal data: it may appear in tiles, on the map and on the wall
/// display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// The video platform's id (设备编号).
    pub id: String,
    pub name: String,
    /// Where it stands (WGS84).
    pub position: Point<f64>,
    /// Compass bearing of the middle of its view, degrees clockwise from north; `None`
    /// for a camera that turns or sees all round (a dome).
    pub direction: Option<f64>,
    /// Horizontal field of view in degrees, (0, 360].
    pub fov: f64,
    /// How far it sees usefully, in metres.
    pub range: f64,
    pub status: CameraStatus,
}

impl Camera {
    /// Field of view of a camera whose file gives a direction but no angle: a common
    /// fixed bullet camera's (about 90° at a 4 mm lens).
    pub const DEFAULT_FOV: f64 = 90.0;
    /// Range of a camera whose file gives none, in metres.
    pub const DEFAULT_RANGE: f64 = 50.0;
    /// Ranges beyond this (m) are refused as input errors: no street camera identifies
    /// anything a kilometre away, and a typo in metres would cover a whole village.
    pub const MAX_RANGE: f64 = 1_000.0;

    /// Whether it covers anything now.
    pub fn is_online(&self) -> bool {
        self.status == CameraStatus::Online
    }

    /// Whether it sees all round (no direction, or a field of view of 360°).
    pub fn is_all_round(&self) -> bool {
        self.direction.is_none() || self.fov >= 360.0
    }

    /// Checks the numbers, with a message naming what is wrong.
    ///
    /// ```
    /// use gridmap_core::{Camera, CameraStatus};
    /// let mut c = Camera {
    ///     id: "C1".into(), name: "东门".into(), position: geo_types::Point::new(114.6, 33.8),
    ///     direction: Some(90.0), fov: 60.0, range: 80.0, status: CameraStatus::Online,
    /// };
    /// assert!(c.check().is_ok());
    /// c.range = 5_000.0;
    /// assert!(c.check().unwrap_err().contains("range"));
    /// ```
    pub fn check(&self) -> Result<(), String> {
        let (x, y) = (self.position.x(), self.position.y());
        if !(x.is_finite() && y.is_finite() && (-180.0..=180.0).contains(&x) && y.abs() <= 85.0) {
            return Err(format!("position ({x}, {y}) is not a WGS84 lon/lat"));
        }
        if let Some(d) = self.direction {
            if !d.is_finite() {
                return Err(format!("direction {d} is not a number of degrees"));
            }
        }
        if !(self.fov > 0.0 && self.fov <= 360.0) {
            return Err(format!(
                "field of view {} is not between 0 and 360 degrees",
                self.fov
            ));
        }
        if !(self.range > 0.0 && self.range <= Self::MAX_RANGE) {
            return Err(format!(
                "range {} m is not between 0 and {} m",
                self.range,
                Self::MAX_RANGE
            ));
        }
        if self.id.trim().is_empty() {
            return Err("empty id".into());
        }
        Ok(())
    }
}
