//! Importers for third-party tracking formats: pure functions on `&str` returning frames in pitch
//! centimetres (origin at the pitch centre, x along the length, y across with +y to the left of the
//! attacking direction of the source's "up", z up) together with the dataset's pitch size.
//!
//! Positions are kept as `f64` centimetres ([`SourceFrame`]) so the codec's error can be measured against
//! the source's own precision; [`SourceFrame::to_position_frame`] rounds them to integer centimetres.

mod epts;
mod lastrow;
mod pff;
mod tracab;

pub use epts::import_epts;
pub use lastrow::import_lastrow;
pub use pff::import_pff;
pub use tracab::import_tracab;

use crate::ids::{LatencyStamps, TrackId, VenueTime};
use crate::record::{ObjectClass, ObjectPosition, PositionFrame, SourceFlags};

/// Errors of the importers.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The XML metadata is not well-formed.
    #[error("xml: {0}")]
    Xml(#[from] roxmltree::Error),
    /// A JSON document or line is not valid JSON.
    #[error("json (line {line}): {source}")]
    Json {
        /// 1-based line (0 for a whole document).
        line: usize,
        /// Cause.
        source: serde_json::Error,
    },
    /// A field could not be parsed.
    #[error("line {line}: {what}")]
    Parse {
        /// 1-based line of the data file.
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// Required metadata is missing.
    #[error("missing metadata: {0}")]
    Missing(&'static str),
}

/// One object as the source gave it, in pitch centimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceObject {
    /// Object id (0 is the ball in every importer).
    pub id: TrackId,
    /// Player, referee, ball or other.
    pub class: ObjectClass,
    /// Along the length, cm.
    pub x_cm: f64,
    /// Across, cm.
    pub y_cm: f64,
    /// Height, cm (0 when the source has none).
    pub z_cm: f64,
}

/// One frame as the source gave it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceFrame {
    /// Time on the source's clock.
    pub time: VenueTime,
    /// Objects sorted by id.
    pub objects: Vec<SourceObject>,
}

fn round_cm(v: f64) -> i32 {
    v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

impl SourceFrame {
    /// The frame as a record, positions rounded to whole centimetres, flagged as vision measurements.
    pub fn to_position_frame(&self) -> PositionFrame {
        PositionFrame {
            time: self.time,
            stamps: LatencyStamps::NONE,
            objects: self
                .objects
                .iter()
                .map(|o| ObjectPosition {
                    id: o.id,
                    class: o.class,
                    player: None,
                    x_cm: round_cm(o.x_cm),
                    y_cm: round_cm(o.y_cm),
                    z_cm: round_cm(o.z_cm),
                    confidence: 255,
                    flags: SourceFlags::VISION,
                })
                .collect(),
        }
    }
}

/// A whole imported excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Frames per second of the source.
    pub fps: f64,
    /// Pitch length (x extent), cm.
    pub pitch_length_cm: u32,
    /// Pitch width (y extent), cm.
    pub pitch_width_cm: u32,
    /// Frames in source order.
    pub frames: Vec<SourceFrame>,
}

fn finish_frame(mut objects: Vec<SourceObject>, time: VenueTime) -> SourceFrame {
    objects.sort_by_key(|o| o.id);
    objects.dedup_by_key(|o| o.id);
    SourceFrame { time, objects }
}

fn parse_f64(s: &str, line: usize, what: &str) -> Result<f64, ImportError> {
    s.trim().parse::<f64>().map_err(|_| ImportError::Parse {
        line,
        what: format!("{what}: {s:?} is not a number"),
    })
}

fn parse_i64(s: &str, line: usize, what: &str) -> Result<i64, ImportError> {
    s.trim().parse::<i64>().map_err(|_| ImportError::Parse {
        line,
        what: format!("{what}: {s:?} is not an integer"),
    })
}

fn metres_to_cm(m: f64) -> u32 {
    (m * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32
}
