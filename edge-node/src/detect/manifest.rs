//! Detector manifests: `models/<name>.toml` describes how to feed a model and read its output.
//!
//! ```toml
//! name = "fastestdet-coco"
//! file = "FastestDet.onnx"            # relative to the manifest's directory
//! sha256 = "…"                        # optional; checked at start when present
//!
//! [input]
//! name = "input.1"
//! shape = [1, 3, 352, 352]           # NCHW, f32
//! dtype = "f32"
//! colour = "bgr"                      # or "rgb"
//! resize = "stretch"                  # or "letterbox"
//! mean = [0.0, 0.0, 0.0]              # per channel, in the colour order above, on 0..255 values
//! std = [255.0, 255.0, 255.0]
//!
//! [output]
//! layout = "fastestdet"               # see [`OutputLayout`]
//!
//! classes = ["person", "bicycle", …]  # model class names, index = class id
//! [class_map]                          # model class name → touchline class; others are ignored
//! person = "person"                    # person = player or referee, decided by kit colour
//! "sports ball" = "ball"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a detection is, in Touchline's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// An outfield player.
    Player,
    /// A goalkeeper.
    Goalkeeper,
    /// A referee or assistant referee.
    Referee,
    /// The ball.
    Ball,
    /// A person whose role is decided later by kit colour (COCO-style detectors).
    Person,
}

/// Model output tensor layouts the edge node can decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layout", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OutputLayout {
    /// FastestDet: one tensor `[1, 5 + C, H, W]`; per cell `[obj, tx, ty, tw, th, classes…]`,
    /// already sigmoid; score = obj^0.6 · cls^0.4; cx = (col + tanh(tx)) / W; w = sigmoid(tw).
    Fastestdet,
    /// NanoDet GFL head: per stride one class map `[1, N, C]` (sigmoid) and one box map
    /// `[1, N, 4 · (reg_max + 1)]` (distribution over side distances, softmax, × stride).
    /// Outputs are bound by shape, not by name.
    NanodetGfl {
        /// Strides of the feature levels, e.g. `[8, 16, 32]`.
        strides: Vec<u32>,
        /// Distribution bins per side minus one (7 for NanoDet-m).
        reg_max: u32,
    },
    /// YOLOv8/YOLO11 detect head: `[1, 4 + C, N]` (or `[1, N, 4 + C]`), boxes cx, cy, w, h in
    /// input pixels, class scores already sigmoid, no objectness.
    Yolov8,
    /// YOLOX: `[1, N, 5 + C]` with raw grid outputs (x, y offsets and log w, h per stride) unless
    /// `decoded` is true; score = obj · cls.
    Yolox {
        /// Strides of the feature levels, e.g. `[8, 16, 32]`.
        strides: Vec<u32>,
        /// True when the export already decoded boxes to input pixels.
        #[serde(default)]
        decoded: bool,
    },
    /// Post-processed output `[1, K, 6]`: x1, y1, x2, y2 (input pixels), score, class id; rows with
    /// score ≤ 0 are padding. The project's own detector uses this layout.
    BoxesXyxyScoreClass,
}

/// How the frame is fitted into the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resize {
    /// Scale to the input size ignoring aspect ratio.
    Stretch,
    /// Keep aspect ratio, pad the rest (top-left aligned... see `preprocess`).
    Letterbox,
}

/// Channel order fed to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColourOrder {
    /// Blue, green, red.
    Bgr,
    /// Red, green, blue.
    Rgb,
}

/// Input tensor description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Graph input name.
    pub name: String,
    /// `[1, 3, height, width]`.
    pub shape: [i64; 4],
    /// Element type; only `f32` is supported.
    pub dtype: String,
    /// Channel order.
    pub colour: ColourOrder,
    /// Resize mode.
    pub resize: Resize,
    /// Subtracted per channel (0..255 scale).
    pub mean: [f32; 3],
    /// Divided per channel after the mean.
    pub std: [f32; 3],
    /// Pad value (0..255) for letterboxing.
    #[serde(default = "default_pad")]
    pub pad_value: u8,
}

fn default_pad() -> u8 {
    114
}

/// Tiling of large frames into overlapping model-sized crops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiling {
    /// Tile columns.
    pub cols: u32,
    /// Tile rows.
    pub rows: u32,
    /// Overlap between neighbouring tiles as a fraction of the tile size (0..0.5).
    pub overlap: f32,
    /// Also run the whole frame once (catches objects larger than a tile).
    #[serde(default = "default_true")]
    pub include_full_frame: bool,
    /// Drop a tile's detections that touch one of its edges inside the frame (cut objects),
    /// when the whole frame is also run.
    #[serde(default = "default_true")]
    pub drop_cut: bool,
    /// Run only the top this many rows of tiles (the far side of the pitch, where people are
    /// smallest); the whole frame, which must then be run too, covers the rest. Default: all.
    #[serde(default)]
    pub top_rows: Option<u32>,
}

fn default_true() -> bool {
    true
}

/// Decision thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Minimum score for people/players.
    #[serde(default = "default_score")]
    pub score: f32,
    /// Minimum score for the ball (usually lower: it is small).
    #[serde(default = "default_ball_score")]
    pub ball_score: f32,
    /// IoU above which NMS suppresses the lower-scored box of the same class.
    #[serde(default = "default_iou")]
    pub nms_iou: f32,
}

fn default_score() -> f32 {
    0.35
}
fn default_ball_score() -> f32 {
    0.2
}
fn default_iou() -> f32 {
    0.5
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            score: default_score(),
            ball_score: default_ball_score(),
            nms_iou: default_iou(),
        }
    }
}

/// A detector manifest, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorManifest {
    /// Model name.
    pub name: String,
    /// ONNX file, relative to the manifest's directory (or absolute).
    pub file: PathBuf,
    /// Lower-case hex SHA-256 of the ONNX file; verified at start when present.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Input description.
    pub input: InputSpec,
    /// Output description.
    pub output: OutputLayout,
    /// Model class names; index = model class id.
    pub classes: Vec<String>,
    /// Model class name → Touchline class; unmapped classes are dropped.
    pub class_map: BTreeMap<String, ObjectClass>,
    /// Thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Optional tiling for frames much larger than the model input.
    #[serde(default)]
    pub tiling: Option<Tiling>,
    /// Optional second-stage ball verifier: path of its manifest
    /// ([`super::ball_verify::BallVerifierManifest`]), relative to this manifest's directory. With
    /// it, the detector's ball rows down to the verifier's `candidate_score` are re-scored on
    /// native-resolution patches, and the verifier's `score` replaces `thresholds.ball_score`.
    #[serde(default)]
    pub ball_verifier: Option<PathBuf>,
    /// Optional foot-point refiner: path of its manifest
    /// ([`super::foot_refine::FootRefinerManifest`]), relative to this manifest's directory. With
    /// it, every person box's bottom edge and centre column move to the refined foot point.
    #[serde(default)]
    pub foot_refiner: Option<PathBuf>,
    /// Free-form training provenance (script, data seeds, date); informational.
    #[serde(default)]
    pub provenance: BTreeMap<String, toml::Value>,
    /// Directory the manifest was read from (not serialised).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Why a manifest is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read detector manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax or schema error (the message names the key).
    #[error("detector manifest {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value is out of range or inconsistent; `key` names it.
    #[error("detector manifest {path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
}

/// Reads a manifest file (the detector's or a second-stage model's).
pub(crate) fn read_manifest(path: &Path) -> Result<String, ManifestError> {
    std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses manifest TOML read from `path` (which names it in errors).
pub(crate) fn parse_manifest<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ManifestError> {
    toml::from_str(text).map_err(|e| ManifestError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The directory a manifest at `path` resolves its relative file names against.
pub(crate) fn manifest_dir(path: &Path) -> PathBuf {
    path.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Checks a manifest's optional `sha256` value: 64 hex digits.
pub(crate) fn check_sha256_value(sha256: Option<&str>, path: &Path) -> Result<(), ManifestError> {
    match sha256 {
        Some(sha) if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Err(ManifestError::Invalid {
                path: path.to_path_buf(),
                key: "sha256",
                message: "must be 64 hex digits".into(),
            })
        }
        _ => Ok(()),
    }
}

impl DetectorManifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let mut manifest: Self = parse_manifest(&read_manifest(path)?, path)?;
        manifest.base_dir = manifest_dir(path);
        manifest.validate(path)?;
        Ok(manifest)
    }

    /// Parses a manifest from text (tests; `base_dir` is where `file` is resolved).
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Self, ManifestError> {
        let path = base_dir.join("<inline>");
        let mut manifest: Self = parse_manifest(text, &path)?;
        manifest.base_dir = base_dir.to_path_buf();
        manifest.validate(&path)?;
        Ok(manifest)
    }

    /// Absolute path of the ball verifier's manifest, when one is named.
    pub fn ball_verifier_path(&self) -> Option<PathBuf> {
        self.ball_verifier.as_ref().map(|p| self.base_dir.join(p))
    }

    /// Absolute path of the foot refiner's manifest, when one is named.
    pub fn foot_refiner_path(&self) -> Option<PathBuf> {
        self.foot_refiner.as_ref().map(|p| self.base_dir.join(p))
    }

    /// Absolute path of the ONNX file (`file` as is when absolute: `join` replaces).
    pub fn model_path(&self) -> PathBuf {
        self.base_dir.join(&self.file)
    }

    /// Input width and height in pixels.
    pub fn input_size_px(&self) -> (u32, u32) {
        (self.input.shape[3] as u32, self.input.shape[2] as u32)
    }

    /// Touchline class of model class `id`, if mapped.
    pub fn map_class(&self, id: usize) -> Option<ObjectClass> {
        self.classes
            .get(id)
            .and_then(|name| self.class_map.get(name))
            .copied()
    }

    fn validate(&self, path: &Path) -> Result<(), ManifestError> {
        let invalid = |key: &'static str, message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        let [n, c, h, w] = self.input.shape;
        if n != 1 || c != 3 || !(16..=8192).contains(&h) || !(16..=8192).contains(&w) {
            return Err(invalid(
                "input.shape",
                format!(
                    "expected [1, 3, H, W] with 16 ≤ H, W ≤ 8192, got {:?}",
                    self.input.shape
                ),
            ));
        }
        if self.input.dtype != "f32" {
            return Err(invalid(
                "input.dtype",
                format!("only \"f32\" is supported, got {:?}", self.input.dtype),
            ));
        }
        if self.input.std.iter().any(|s| !s.is_finite() || *s == 0.0) {
            return Err(invalid("input.std", "must be finite and non-zero".into()));
        }
        if self.classes.is_empty() {
            return Err(invalid("classes", "must list at least one class".into()));
        }
        for name in self.class_map.keys() {
            if !self.classes.contains(name) {
                return Err(invalid(
                    "class_map",
                    format!("maps {name:?}, which is not in `classes`"),
                ));
            }
        }
        if self.class_map.is_empty() {
            return Err(invalid(
                "class_map",
                "maps no class: nothing would be detected".into(),
            ));
        }
        let t = &self.thresholds;
        for (key, v) in [
            ("thresholds.score", t.score),
            ("thresholds.ball_score", t.ball_score),
            ("thresholds.nms_iou", t.nms_iou),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(key, format!("must be in 0..=1, got {v}")));
            }
        }
        check_sha256_value(self.sha256.as_deref(), path)?;
        match &self.output {
            OutputLayout::NanodetGfl { strides, reg_max }
                if strides.is_empty() || strides.contains(&0) || *reg_max == 0 || *reg_max > 64 =>
            {
                return Err(invalid(
                    "output.strides",
                    "need non-zero strides and 1 ≤ reg_max ≤ 64".into(),
                ));
            }
            OutputLayout::Yolox { strides, .. } if strides.is_empty() || strides.contains(&0) => {
                return Err(invalid("output.strides", "need non-zero strides".into()));
            }
            _ => {}
        }
        if let Some(tiling) = &self.tiling {
            if tiling.cols == 0 || tiling.rows == 0 || tiling.cols * tiling.rows > 64 {
                return Err(invalid("tiling", "need 1 ≤ cols·rows ≤ 64".into()));
            }
            if !(0.0..0.5).contains(&tiling.overlap) {
                return Err(invalid("tiling.overlap", "must be in 0..0.5".into()));
            }
            if let Some(top) = tiling.top_rows {
                if top == 0 || top > tiling.rows {
                    return Err(invalid(
                        "tiling.top_rows",
                        format!("must be in 1..={}", tiling.rows),
                    ));
                }
                if !tiling.include_full_frame {
                    return Err(invalid(
                        "tiling.top_rows",
                        "needs include_full_frame (the whole frame covers the untiled rows)".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
file = "t.onnx"
classes = ["person", "sports ball"]
[input]
name = "x"
shape = [1, 3, 64, 96]
dtype = "f32"
colour = "rgb"
resize = "letterbox"
mean = [0.0, 0.0, 0.0]
std = [255.0, 255.0, 255.0]
[output]
layout = "yolov8"
[class_map]
person = "person"
"sports ball" = "ball"
"#;

    #[test]
    fn parses_and_maps_classes() -> Result<(), ManifestError> {
        let m = DetectorManifest::from_toml(GOOD, Path::new("/models"))?;
        assert_eq!(m.input_size_px(), (96, 64));
        assert_eq!(m.map_class(1), Some(ObjectClass::Ball));
        assert_eq!(m.map_class(7), None);
        assert_eq!(m.model_path(), PathBuf::from("/models/t.onnx"));
        assert_eq!(m.output, OutputLayout::Yolov8);
        Ok(())
    }

    #[test]
    fn tiling_drops_cut_boxes_unless_told_not_to() -> Result<(), ManifestError> {
        let tiled = |extra: &str| {
            let text = format!("{GOOD}\n[tiling]\ncols = 2\nrows = 2\noverlap = 0.2\n{extra}");
            DetectorManifest::from_toml(&text, Path::new("."))
        };
        let t = tiled("")?.tiling;
        assert!(t.is_some_and(|t| t.include_full_frame && t.drop_cut));
        let t = tiled("drop_cut = false\n")?.tiling;
        assert!(t.is_some_and(|t| !t.drop_cut));
        assert_eq!(
            tiled("top_rows = 1\n")?.tiling.and_then(|t| t.top_rows),
            Some(1)
        );
        for bad in [
            "top_rows = 0\n",
            "top_rows = 3\n",
            "top_rows = 1\ninclude_full_frame = false\n",
        ] {
            let err = tiled(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("tiling.top_rows"), "{bad}: {err}");
        }
        Ok(())
    }

    #[test]
    fn unknown_key_is_named() {
        let text = GOOD.replace("dtype = \"f32\"", "dtype = \"f32\"\ncolor = \"bgr\"");
        let err = DetectorManifest::from_toml(&text, Path::new(".")).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("color"), "{msg}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (from, to, key) in [
            (
                "shape = [1, 3, 64, 96]",
                "shape = [1, 1, 64, 96]",
                "input.shape",
            ),
            (
                "std = [255.0, 255.0, 255.0]",
                "std = [0.0, 1.0, 1.0]",
                "input.std",
            ),
            ("person = \"person\"", "people = \"person\"", "class_map"),
        ] {
            let err = DetectorManifest::from_toml(&GOOD.replace(from, to), Path::new("."));
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(key), "{key}: {msg}");
        }
    }
}
