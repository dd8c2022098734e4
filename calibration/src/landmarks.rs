//! Landmark correspondences (image_px ↔ pitch_m) and solving a calibration from them.
//!
//! A landmarks file (TOML) lists pitch points seen in one camera image:
//!
//! ```toml
//! venue = "synthetic"
//! camera = "main"
//! [image]
//! width = 1280
//! height = 720
//! # Optional: known intrinsics (+ distortion) let `calibrate` solve the full pose with
//! # solvePnP and write a calibration file; without them only the ground homography is solved.
//! [intrinsics]
//! fx = 1400.0
//! fy = 1400.0
//! cx = 640.0
//! cy = 360.0
//! [distortion]
//! k1 = -0.05
//! k2 = 0.0
//!
//! [[landmark]]
//! name = "left penalty spot"     # optional
//! image_px = [412.5, 390.1]
//! pitch_m = [-41.5, 0.0]          # pitch frame, metres, origin at the centre spot
//! ```

use std::path::{Path, PathBuf};

use nalgebra::{Point2, Point3, Vector3};
use opencv::core::{Mat, Point2d, Point3d, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::camera::{Camera, Distortion, Intrinsics, Pose};
use crate::file::ImageSize;
use crate::homography::{FitReport, Homography, HomographyError};

/// One correspondence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landmark {
    /// Optional human name ("centre spot").
    #[serde(default)]
    pub name: Option<String>,
    /// Pixel position in the image.
    pub image_px: [f64; 2],
    /// Position on the pitch plane (metres, pitch frame).
    pub pitch_m: [f64; 2],
}

/// A landmarks file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandmarksFile {
    /// Venue name.
    pub venue: String,
    /// Camera name.
    pub camera: String,
    /// Image size the pixels refer to.
    pub image: ImageSize,
    /// Known intrinsics, if any.
    #[serde(default)]
    pub intrinsics: Option<Intrinsics>,
    /// Known distortion (used only with intrinsics).
    #[serde(default)]
    pub distortion: Option<Distortion>,
    /// The correspondences.
    #[serde(rename = "landmark")]
    pub landmarks: Vec<Landmark>,
}

/// Why landmarks could not be read or solved.
#[derive(Debug, thiserror::Error)]
pub enum LandmarksError {
    /// The file could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Syntax, unknown key or wrong type (the message names the key).
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A landmark lies outside the image or is not finite.
    #[error("{}: landmark[{index}]: {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Index in the `[[landmark]]` list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The homography could not be solved.
    #[error("{}: {source}", file.display())]
    Homography {
        /// The file.
        file: PathBuf,
        /// Why.
        source: HomographyError,
    },
    /// solvePnP failed.
    #[error("{}: pose solve failed: {reason}", file.display())]
    Pose {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A solved calibration with its fit quality.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Ground-plane homography (always solved).
    pub homography: Homography,
    /// Its reprojection error on the landmarks.
    pub homography_fit: FitReport,
    /// Full camera (when intrinsics were given) and its RMS reprojection error in pixels.
    pub camera: Option<(Camera, f64)>,
}

impl LandmarksFile {
    /// Reads and validates a landmarks file.
    pub fn load(path: &Path) -> Result<Self, LandmarksError> {
        let text = std::fs::read_to_string(path).map_err(|source| LandmarksError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates landmarks text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, LandmarksError> {
        let file: Self = toml::from_str(text).map_err(|e| LandmarksError::Parse {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for (index, l) in file.landmarks.iter().enumerate() {
            let invalid = |reason: String| LandmarksError::Invalid {
                file: path.to_path_buf(),
                index,
                reason,
            };
            if !l.image_px.iter().chain(&l.pitch_m).all(|v| v.is_finite()) {
                return Err(invalid("coordinates must be finite".into()));
            }
            let [x, y] = l.image_px;
            if x < 0.0
                || y < 0.0
                || x > f64::from(file.image.width)
                || y > f64::from(file.image.height)
            {
                return Err(invalid(format!(
                    "image_px {:?} is outside the {}x{} image",
                    l.image_px, file.image.width, file.image.height
                )));
            }
        }
        Ok(file)
    }

    /// Solves the ground homography, and the full camera pose when intrinsics are known.
    pub fn solve(&self, path: &Path) -> Result<Solution, LandmarksError> {
        let image_px: Vec<_> = self
            .landmarks
            .iter()
            .map(|l| Point2::new(l.image_px[0], l.image_px[1]))
            .collect();
        let pitch_m: Vec<_> = self
            .landmarks
            .iter()
            .map(|l| Point2::new(l.pitch_m[0], l.pitch_m[1]))
            .collect();
        let (homography, homography_fit) =
            Homography::solve(&image_px, &pitch_m).map_err(|source| {
                LandmarksError::Homography {
                    file: path.to_path_buf(),
                    source,
                }
            })?;
        let camera = match self.intrinsics {
            Some(intrinsics) => Some(self.solve_pose(path, intrinsics, &image_px, &pitch_m)?),
            None => None,
        };
        Ok(Solution {
            homography,
            homography_fit,
            camera,
        })
    }

    fn solve_pose(
        &self,
        path: &Path,
        intrinsics: Intrinsics,
        image_px: &[Point2<f64>],
        pitch_m: &[Point2<f64>],
    ) -> Result<(Camera, f64), LandmarksError> {
        let pose_err = |reason: String| LandmarksError::Pose {
            file: path.to_path_buf(),
            reason,
        };
        let cv = |e: opencv::Error| pose_err(e.to_string());
        let distortion = self.distortion.unwrap_or_default();
        let object: Vector<Point3d> = pitch_m
            .iter()
            .map(|p| Point3d::new(p.x, p.y, 0.0))
            .collect();
        let image: Vector<Point2d> = image_px.iter().map(|p| Point2d::new(p.x, p.y)).collect();
        let k = Mat::from_slice_2d(&[
            [intrinsics.fx, 0.0, intrinsics.cx],
            [0.0, intrinsics.fy, intrinsics.cy],
            [0.0, 0.0, 1.0],
        ])
        .map_err(cv)?;
        let coeffs = [distortion.k1, distortion.k2, distortion.p1, distortion.p2];
        let d = Mat::from_slice(&coeffs).map_err(cv)?;
        let mut rvec = Mat::default();
        let mut tvec = Mat::default();
        let ok = opencv::calib3d::solve_pnp(
            &object,
            &image,
            &k,
            &d,
            &mut rvec,
            &mut tvec,
            false,
            opencv::calib3d::SOLVEPNP_ITERATIVE,
        )
        .map_err(cv)?;
        if !ok {
            return Err(pose_err("no pose fits the landmarks".into()));
        }
        let read3 = |m: &Mat| -> Result<Vector3<f64>, LandmarksError> {
            let mut v = [0.0; 3];
            for (i, slot) in v.iter_mut().enumerate() {
                *slot = *m.at::<f64>(i as i32).map_err(cv)?;
            }
            Ok(Vector3::new(v[0], v[1], v[2]))
        };
        let r = read3(&rvec)?;
        let t = read3(&tvec)?;
        let rotation_only = Pose::from_rvec(r, Point3::origin());
        // t = -R·C  →  C = -Rᵀ·t
        let position = Point3::from(-(rotation_only.rotation.inverse() * t));
        let camera = Camera {
            width: self.image.width,
            height: self.image.height,
            intrinsics,
            distortion,
            pose: Pose::from_rvec(r, position),
        };
        let mut sum_sq = 0.0;
        for (img, p) in image_px.iter().zip(pitch_m) {
            let projected = camera
                .project(&Point3::new(p.x, p.y, 0.0))
                .ok_or_else(|| pose_err("a landmark projects behind the solved camera".into()))?;
            sum_sq += (projected - img).norm_squared();
        }
        Ok((camera, (sum_sq / image_px.len() as f64).sqrt()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_landmark_names_its_index() {
        let text = r#"
venue = "v"
camera = "c"
[image]
width = 100
height = 100
[[landmark]]
image_px = [10.0, 10.0]
pitch_m = [0.0, 0.0]
[[landmark]]
image_px = [110.0, 10.0]
pitch_m = [1.0, 0.0]
"#;
        let err = LandmarksFile::parse(text, Path::new("l.toml")).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("landmark[1]") && msg.contains("l.toml"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let text = "venue = \"v\"\ncamera = \"c\"\nlandmark = []\nfocal = 3\n[image]\nwidth = 1\nheight = 1\n";
        let msg = LandmarksFile::parse(text, Path::new("l.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("focal"), "{msg}");
    }
}
