//! Calibration: camera model, distortion, pixel<->pitch homography, pitch model and the
//! calibration file format (`calibration/venues/<venue>/<camera>.toml`).
//!
//! Frames: `pitch_m` is metres with the origin at the pitch centre, x along the length, y across,
//! z up; `image_px` is pixels with the origin at the top-left corner of the image.

pub mod camera;
pub mod file;
pub mod homography;
pub mod landmarks;
pub mod pitch;

pub use camera::{Camera, Distortion, Intrinsics, Pose};
pub use file::{CalibrationFile, CalibrationFileError};
pub use pitch::{Boundary, End, Pitch};
