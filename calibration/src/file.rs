//! The calibration file format: one TOML file per camera at
//! `calibration/venues/<venue>/<camera>.toml`.
//!
//! ```toml
//! format = 1
//! venue = "synthetic"
//! camera = "main"
//!
//! [image]
//! width = 1280
//! height = 720
//!
//! [intrinsics]      # pixels
//! fx = 700.0
//! fy = 700.0
//! cx = 640.0
//! cy = 360.0
//!
//! [distortion]      # OpenCV k1 k2 p1 p2 (p1, p2 optional, default 0)
//! k1 = -0.05
//! k2 = 0.01
//!
//! [pose]
//! position = [0.0, -58.0, 24.0]   # camera centre, pitch metres
//! rvec = [1.9, 0.0, 0.0]          # OpenCV Rodrigues vector, pitch frame -> camera frame
//!
//! [pitch]           # optional, default 105 x 68
//! length = 105.0
//! width = 68.0
//! ```
//!
//! Unknown keys are rejected; every error names the file and the key.

use std::path::{Path, PathBuf};

use nalgebra::{Point3, Vector3};
use serde::{Deserialize, Serialize};

use crate::camera::{Camera, Distortion, Intrinsics, Pose};
use crate::pitch::Pitch;

/// The file format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a calibration file could not be read, parsed or accepted.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationFileError {
    /// The file could not be read or written.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key, misses a key or has a wrong type (the message
    /// names the key and its line).
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message, naming the key.
        message: String,
    },
    /// A key parsed but holds an impossible value.
    #[error("{}: key `{key}`: {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Dotted key path, e.g. `intrinsics.fx`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The calibration could not be serialised.
    #[error("cannot serialise calibration: {0}")]
    Serialize(String),
}

/// `[image]`: the image size the intrinsics refer to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSize {
    /// Width (px).
    pub width: u32,
    /// Height (px).
    pub height: u32,
}

/// `[pose]`: camera centre and orientation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoseEntry {
    /// Camera centre in pitch metres `[x, y, z]`.
    pub position: [f64; 3],
    /// OpenCV Rodrigues rotation vector (pitch frame → camera frame), radians.
    pub rvec: [f64; 3],
}

/// One camera's calibration file, as written on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationFile {
    /// Must be [`FORMAT_VERSION`].
    pub format: u32,
    /// Venue name (directory under `calibration/venues/`).
    pub venue: String,
    /// Camera name (file stem).
    pub camera: String,
    /// Image size.
    pub image: ImageSize,
    /// Intrinsics (px).
    pub intrinsics: Intrinsics,
    /// Lens distortion.
    pub distortion: Distortion,
    /// Pose.
    pub pose: PoseEntry,
    /// Pitch dimensions; default 105 × 68.
    #[serde(default)]
    pub pitch: Pitch,
}

impl CalibrationFile {
    /// Builds the file contents for a camera.
    pub fn new(venue: &str, camera_name: &str, camera: &Camera, pitch: Pitch) -> Self {
        let r = camera.pose.rvec();
        let c = camera.pose.position;
        Self {
            format: FORMAT_VERSION,
            venue: venue.to_string(),
            camera: camera_name.to_string(),
            image: ImageSize {
                width: camera.width,
                height: camera.height,
            },
            intrinsics: camera.intrinsics,
            distortion: camera.distortion,
            pose: PoseEntry {
                position: [c.x, c.y, c.z],
                rvec: [r.x, r.y, r.z],
            },
            pitch,
        }
    }

    /// Reads and validates a calibration file.
    pub fn load(path: &Path) -> Result<Self, CalibrationFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalibrationFileError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates calibration TOML; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, CalibrationFileError> {
        let file: Self = toml::from_str(text).map_err(|e| CalibrationFileError::Parse {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        file.validate(path)?;
        Ok(file)
    }

    /// Serialises to TOML text.
    pub fn to_toml(&self) -> Result<String, CalibrationFileError> {
        toml::to_string(self).map_err(|e| CalibrationFileError::Serialize(e.to_string()))
    }

    /// Writes the file (creating parent directories).
    pub fn save(&self, path: &Path) -> Result<(), CalibrationFileError> {
        let io = |source| CalibrationFileError::Io {
            file: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, self.to_toml()?).map_err(io)
    }

    /// The camera model described by this file.
    pub fn camera(&self) -> Camera {
        let [x, y, z] = self.pose.position;
        let [rx, ry, rz] = self.pose.rvec;
        Camera {
            width: self.image.width,
            height: self.image.height,
            intrinsics: self.intrinsics,
            distortion: self.distortion,
            pose: Pose::from_rvec(Vector3::new(rx, ry, rz), Point3::new(x, y, z)),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), CalibrationFileError> {
        let bad = |key: &'static str, reason: String| CalibrationFileError::Invalid {
            file: path.to_path_buf(),
            key,
            reason,
        };
        if self.format != FORMAT_VERSION {
            return Err(bad(
                "format",
                format!(
                    "version {} is not supported (expected {FORMAT_VERSION})",
                    self.format
                ),
            ));
        }
        if self.image.width == 0 || self.image.height == 0 || self.image.width > 16384 {
            return Err(bad(
                "image",
                format!(
                    "size {}x{} is not usable",
                    self.image.width, self.image.height
                ),
            ));
        }
        let k = &self.intrinsics;
        for (key, v) in [("intrinsics.fx", k.fx), ("intrinsics.fy", k.fy)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(
                    key,
                    format!("{v} must be a positive focal length in pixels"),
                ));
            }
        }
        for (key, v) in [("intrinsics.cx", k.cx), ("intrinsics.cy", k.cy)] {
            if !v.is_finite() {
                return Err(bad(key, format!("{v} is not finite")));
            }
        }
        let d = &self.distortion;
        for (key, v) in [
            ("distortion.k1", d.k1),
            ("distortion.k2", d.k2),
            ("distortion.p1", d.p1),
            ("distortion.p2", d.p2),
        ] {
            if !v.is_finite() {
                return Err(bad(key, format!("{v} is not finite")));
            }
        }
        let camera = self.camera();
        if !d.is_monotonic_up_to(camera.max_normalized_radius()) {
            return Err(bad(
                "distortion",
                "radial distortion folds over inside the image (k1/k2 too strong)".to_string(),
            ));
        }
        if self.pose.position.iter().any(|v| !v.is_finite()) {
            return Err(bad("pose.position", "not finite".to_string()));
        }
        if self.pose.rvec.iter().any(|v| !v.is_finite()) {
            return Err(bad("pose.rvec", "not finite".to_string()));
        }
        if !self.pitch.is_valid() {
            return Err(bad(
                "pitch",
                format!(
                    "{} x {} m is outside the Laws of the Game (90–120 x 45–90)",
                    self.pitch.length, self.pitch.width
                ),
            ));
        }
        Ok(())
    }
}

/// Path of a venue camera's calibration file under a `venues` root directory.
pub fn venue_file(venues_root: &Path, venue: &str, camera: &str) -> PathBuf {
    venues_root.join(venue).join(format!("{camera}.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
format = 1
venue = "synthetic"
camera = "main"
[image]
width = 1280
height = 720
[intrinsics]
fx = 700.0
fy = 700.0
cx = 640.0
cy = 360.0
[distortion]
k1 = -0.05
k2 = 0.01
[pose]
position = [0.0, -58.0, 24.0]
rvec = [1.9, 0.0, 0.0]
"#;

    #[test]
    fn parses_and_round_trips() -> Result<(), CalibrationFileError> {
        let f = CalibrationFile::parse(GOOD, Path::new("main.toml"))?;
        assert_eq!(f.pitch, Pitch::STANDARD);
        assert_eq!(f.distortion.p1, 0.0);
        let again = CalibrationFile::parse(&f.to_toml()?, Path::new("x.toml"))?;
        assert_eq!(again, f);
        assert_eq!(again.camera(), f.camera());
        Ok(())
    }

    #[test]
    fn unknown_key_is_named() {
        let text = GOOD.replace("k2 = 0.01", "k2 = 0.01\nk3 = 0.2");
        let err = CalibrationFile::parse(&text, Path::new("venues/x/main.toml"));
        let msg = err
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("k3"), "{msg}");
        assert!(msg.contains("venues/x/main.toml"), "{msg}");
    }

    #[test]
    fn invalid_value_is_named() {
        let text = GOOD.replace("fx = 700.0", "fx = -3.0");
        let err = CalibrationFile::parse(&text, Path::new("main.toml"));
        let msg = err
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("intrinsics.fx"), "{msg}");
        let text = GOOD.replace("fy = 700.0\n", "");
        let err = CalibrationFile::parse(&text, Path::new("main.toml"));
        let msg = err
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("fy"), "{msg}");
    }
}
