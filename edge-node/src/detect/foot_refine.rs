//! Foot-point refiner: a small CNN looks at the native-resolution pixels around each person box's
//! bottom-centre and moves the box's bottom edge (and centre column) to the image point of the
//! person's ground position (the shipped model is trained on that point: models/foot/extract.py
//! `--target ground`), which the pipeline then projects onto the pitch.
//!
//! Why: along a camera's line of sight one pixel of box bottom is 0.1-0.3 m on the ground, the
//! detector regresses boxes on a frame letterboxed to 960x544 (a 1080p frame is halved), and even
//! a perfect box's bottom-centre is about a decimetre from the person's position (edge-node
//! README, "Foot refiner on the ground position").
//!
//! The manifest (`models/touchline-foot.toml`, named by the detector manifest's `foot_refiner`
//! key) gives the file, its sha256, the input name and the patch geometry. Model contract: for a
//! box (x1, y1, x2, y2) let `s = max(scale · (y2 − y1), min_side_px)`; the input is the square of
//! side `s` centred on (`cx`, `y2`) (`cx` the box's centre column) mapped onto `patch_px²` pixels
//! by an affine warp (OpenCV `warpAffine`, linear, outside the frame = `pad_value`), BGR / 255,
//! f32 `[N, 3, P, P]`; the output f32 `[N, 2]` = (`dx`, `dy`) puts the foot point at
//! (`cx + dx · s`, `y2 + dy · s`).
//!
//! [`apply`] is pure; [`FootRefiner`] owns the session and the OpenCV warp. The training side cuts
//! patches with `models/foot/patch.py`, which must stay identical to [`FootRefiner::refine`]'s
//! warp; the model is trained by `models/train_foot.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use opencv::core::{Mat, Scalar, Size, BORDER_CONSTANT};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::detector::{Detection, DetectorError};
use super::manifest::{
    check_sha256_value, manifest_dir, parse_manifest, read_manifest, ManifestError, ObjectClass,
};
use super::patch_model::{check_patch_px, PatchSession};
use super::preprocess::{BgrFrame, PreprocessError};
use crate::inference::SessionConfig;

/// A foot-refiner manifest, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootRefinerManifest {
    /// Model name.
    pub name: String,
    /// ONNX file, relative to the manifest's directory (or absolute).
    pub file: PathBuf,
    /// Lower-case hex SHA-256 of the ONNX file; verified at start when present.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Input tensor name.
    pub input: String,
    /// Patch side (px) at the model input.
    pub patch_px: u32,
    /// Side of the frame square, as a fraction of the box height.
    pub scale: f32,
    /// Smallest side of the frame square (frame px).
    pub min_side_px: f32,
    /// Value of patch pixels outside the frame (all three channels).
    pub pad_value: u8,
    /// Largest correction applied, in units of the square's side; larger outputs are ignored.
    pub max_shift: f32,
    /// Free-form training provenance; informational.
    #[serde(default)]
    pub provenance: BTreeMap<String, toml::Value>,
    /// Directory the manifest was read from (not serialised).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

impl FootRefinerManifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        Self::parse(&read_manifest(path)?, path)
    }

    /// Parses manifest text read from `path` (which names it in errors and gives `base_dir`).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let mut m: Self = parse_manifest(text, path)?;
        m.base_dir = manifest_dir(path);
        let invalid = |key: &'static str, message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        check_patch_px(m.patch_px, path)?;
        for (key, v, lo, hi) in [
            ("scale", m.scale, 0.05, 4.0),
            ("min_side_px", m.min_side_px, 1.0, 1024.0),
            ("max_shift", m.max_shift, 0.0, 1.0),
        ] {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return Err(invalid(key, format!("must be in {lo}..={hi}, got {v}")));
            }
        }
        check_sha256_value(m.sha256.as_deref(), path)?;
        Ok(m)
    }

    /// Absolute path of the ONNX file (`file` as is when absolute: `join` replaces).
    pub fn model_path(&self) -> PathBuf {
        self.base_dir.join(&self.file)
    }

    /// Side (frame px) of the square cut for a box of height `box_h_px`.
    pub fn side_px(&self, box_h_px: f32) -> f32 {
        (self.scale * box_h_px).max(self.min_side_px)
    }
}

/// Moves each person's box so its bottom-centre lands on the refined foot point (`rows`:
/// (`dx`, `dy`) in units of `sides_px`): the bottom edge moves by `dy · s`, the box shifts
/// sideways by `dx · s`. A row that is not finite or exceeds `max_shift` leaves its box alone, as
/// does a move that would put the bottom above the top.
pub fn apply<'a>(
    people: impl IntoIterator<Item = &'a mut Detection>,
    rows: &[[f32; 2]],
    sides_px: &[f32],
    max_shift: f32,
) {
    for ((d, &[dx, dy]), &s) in people.into_iter().zip(rows).zip(sides_px) {
        if !(dx.is_finite() && dy.is_finite()) || dx.abs() > max_shift || dy.abs() > max_shift {
            continue;
        }
        let (mx, my) = (dx * s, dy * s);
        if d.box_px.y2 + my <= d.box_px.y1 {
            continue;
        }
        d.box_px.x1 += mx;
        d.box_px.x2 += mx;
        d.box_px.y2 += my;
    }
}

/// The refiner shell: one ONNX Runtime session (run it on the detector's worker thread).
pub struct FootRefiner {
    manifest: FootRefinerManifest,
    session: PatchSession,
}

impl std::fmt::Debug for FootRefiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FootRefiner")
            .field("manifest", &self.manifest.name)
            .finish()
    }
}

impl FootRefiner {
    /// Loads and verifies the manifest, the file's sha256 and the session's input.
    pub fn open(path: &Path, session: impl Into<SessionConfig>) -> Result<Self, DetectorError> {
        let manifest = FootRefinerManifest::load(path)?;
        let session = PatchSession::open(
            manifest.model_path(),
            manifest.sha256.as_deref(),
            &manifest.input,
            manifest.patch_px,
            &manifest.name,
            &path.display().to_string(),
            session,
        )?;
        Ok(Self { manifest, session })
    }

    /// The manifest in use.
    pub fn manifest(&self) -> &FootRefinerManifest {
        &self.manifest
    }

    /// Refines the boxes of the people among `detections` in place (balls are left alone).
    pub fn refine(
        &mut self,
        frame: &BgrFrame<'_>,
        detections: &mut [Detection],
    ) -> Result<(), DetectorError> {
        let people: Vec<&Detection> = detections
            .iter()
            .filter(|d| d.class != ObjectClass::Ball)
            .collect();
        if people.is_empty() {
            return Ok(());
        }
        let p = self.manifest.patch_px as i32;
        let plane = (p * p) as usize;
        let flat = Mat::from_slice(frame.data).map_err(PreprocessError::from)?;
        let image = flat
            .reshape(3, frame.height as i32)
            .map_err(PreprocessError::from)?;
        let pad = f64::from(self.manifest.pad_value);
        let input = self.session.input();
        let mut sides = Vec::with_capacity(people.len());
        for d in &people {
            let s = self.manifest.side_px(d.box_px.height());
            let (cx, y2) = d.box_px.foot_px();
            let k = f64::from(p) / f64::from(s);
            let (x0, y0) = (f64::from(cx - s / 2.0), f64::from(y2 - s / 2.0));
            let m = Mat::from_slice_2d(&[[k, 0.0, -x0 * k], [0.0, k, -y0 * k]])
                .map_err(PreprocessError::from)?;
            let mut patch = Mat::default();
            opencv::imgproc::warp_affine(
                &image,
                &mut patch,
                &m,
                Size::new(p, p),
                opencv::imgproc::INTER_LINEAR,
                BORDER_CONSTANT,
                Scalar::new(pad, pad, pad, 0.0),
            )
            .map_err(PreprocessError::from)?;
            let bytes = patch.data_bytes().map_err(PreprocessError::from)?;
            let start = input.len();
            input.resize(start + 3 * plane, 0.0);
            for (i, px) in bytes.chunks_exact(3).enumerate().take(plane) {
                for (c, v) in px.iter().enumerate() {
                    input[start + c * plane + i] = f32::from(*v) / 255.0;
                }
            }
            sides.push(s);
        }
        let rows: Vec<[f32; 2]> = self.session.run(sides.len())?;
        let people = detections
            .iter_mut()
            .filter(|d| d.class != ObjectClass::Ball);
        apply(people, &rows, &sides, self.manifest.max_shift);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BoxPx;

    const GOOD: &str = r#"
name = "f"
file = "f.onnx"
input = "patches"
patch_px = 32
scale = 0.6
min_side_px = 12.0
pad_value = 114
max_shift = 0.25
"#;

    #[test]
    fn parses_and_names_bad_keys() {
        let m = FootRefinerManifest::parse(GOOD, Path::new("/models/f.toml"));
        assert_eq!(
            m.as_ref()
                .map(|m| (m.model_path(), m.side_px(10.0), m.side_px(40.0)))
                .ok(),
            Some((PathBuf::from("/models/f.onnx"), 12.0, 24.0))
        );
        for (from, to, key) in [
            ("patch_px = 32", "patch_px = 0", "patch_px"),
            ("scale = 0.6", "scale = 0.0", "scale"),
            ("min_side_px = 12.0", "min_side_px = nan", "min_side_px"),
            ("max_shift = 0.25", "max_shift = 2.0", "max_shift"),
            ("pad_value = 114", "pad_value = 114\nwarp = 1", "warp"),
        ] {
            let err = FootRefinerManifest::parse(&GOOD.replace(from, to), Path::new("f.toml"));
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(key), "{key}: {msg}");
        }
    }

    fn person(x1: f32, y1: f32, x2: f32, y2: f32) -> Detection {
        Detection {
            box_px: BoxPx { x1, y1, x2, y2 },
            score: 0.9,
            class: ObjectClass::Player,
            team: None,
            model_class_id: 0,
        }
    }

    #[test]
    fn the_bottom_moves_by_dy_and_the_box_shifts_by_dx_in_side_units() {
        let mut people = [
            person(10.0, 20.0, 20.0, 60.0),
            person(0.0, 0.0, 10.0, 40.0),
            person(0.0, 0.0, 10.0, 40.0),
            person(0.0, 0.0, 10.0, 2.0),
        ];
        apply(
            &mut people,
            &[[0.05, -0.1], [0.5, 0.0], [f32::NAN, 0.0], [0.0, -0.2]],
            &[24.0, 24.0, 24.0, 12.0],
            0.25,
        );
        let b = people[0].box_px;
        assert!(
            (b.x1 - 11.2).abs() < 1e-5 && (b.x2 - 21.2).abs() < 1e-5,
            "{b:?}"
        );
        assert!((b.y2 - 57.6).abs() < 1e-5 && b.y1 == 20.0, "{b:?}");
        // Too large, not finite, or a bottom above the top: untouched.
        assert_eq!(people[1].box_px, person(0.0, 0.0, 10.0, 40.0).box_px);
        assert_eq!(people[2].box_px, person(0.0, 0.0, 10.0, 40.0).box_px);
        assert_eq!(people[3].box_px, person(0.0, 0.0, 10.0, 2.0).box_px);
    }
}
