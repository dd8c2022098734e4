//! The detector shell: one ONNX Runtime session, manifest-driven pre/post-processing.
//! Blocking CPU work: run it on a dedicated worker thread (one `Detector` per worker).

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::ball_search::BallSearchConfig;
use super::ball_verify::BallVerifier;
use super::decode::{decode, BoxPx, DecodeError};
use super::foot_refine::FootRefiner;
use super::kit::{classify, torso_colour, Kit};
use super::manifest::{DetectorManifest, ManifestError, ObjectClass, Thresholds};
use super::nms::{drop_parts, nms, Suppressible};
use super::preprocess::{prepare, tiles, BgrFrame, CropPx, PreprocessError};
use crate::inference::{InferenceError, OnnxModel, SessionConfig};

/// One detection in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Box in frame pixels.
    pub box_px: BoxPx,
    /// Confidence 0..1.
    pub score: f32,
    /// Touchline class (persons resolved to player/goalkeeper/referee by kit when kits are set).
    pub class: ObjectClass,
    /// Team from the kit match, when known.
    pub team: Option<u8>,
    /// The model's own class id.
    pub model_class_id: usize,
}

impl Suppressible for Detection {
    fn nms_box(&self) -> BoxPx {
        self.box_px
    }
    fn nms_score(&self) -> f32 {
        self.score
    }
    fn nms_key(&self) -> u32 {
        // Persons of every role suppress each other; the ball only suppresses balls.
        u32::from(self.class == ObjectClass::Ball)
    }
}

/// Why the detector could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    /// The manifest is unreadable or invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The model file named by the manifest is missing.
    #[error("model file {path} (from manifest {manifest}) does not exist")]
    MissingModel { path: PathBuf, manifest: String },
    /// The model file's SHA-256 differs from the manifest's.
    #[error("model file {path} has sha256 {actual}, manifest {manifest} says {expected}")]
    Checksum {
        path: PathBuf,
        manifest: String,
        expected: String,
        actual: String,
    },
    /// The ONNX session disagrees with the manifest.
    #[error("model {path} does not match manifest {manifest}: {message}")]
    Mismatch {
        path: PathBuf,
        manifest: String,
        message: String,
    },
    /// Loading or running the model failed.
    #[error(transparent)]
    Inference(#[from] InferenceError),
    /// The frame could not be prepared.
    #[error(transparent)]
    Preprocess(#[from] PreprocessError),
    /// The output did not fit the manifest's layout.
    #[error("model {name}: {source}")]
    Decode { name: String, source: DecodeError },
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Refuses a model file that is missing or whose SHA-256 differs from `expected` (when given);
/// `origin` names the manifest in the error.
pub(crate) fn check_model_file(
    path: &Path,
    expected: Option<&str>,
    origin: &str,
) -> Result<(), DetectorError> {
    let missing = || DetectorError::MissingModel {
        path: path.to_path_buf(),
        manifest: origin.to_string(),
    };
    if !path.is_file() {
        return Err(missing());
    }
    if let Some(expected) = expected {
        let actual = sha256_file(path).map_err(|_| missing())?;
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(DetectorError::Checksum {
                path: path.to_path_buf(),
                manifest: origin.to_string(),
                expected: expected.to_string(),
                actual,
            });
        }
    }
    Ok(())
}

/// A manifest-driven detector.
pub struct Detector {
    manifest: DetectorManifest,
    model: OnnxModel,
    verifier: Option<BallVerifier>,
    refiner: Option<FootRefiner>,
    kits: Vec<Kit>,
    tensor: Vec<f32>,
    times: StageTimes,
}

/// Where a frame's detect time went (wall µs on the calling thread), for benchmarks and logs:
/// [`Detector::stage_times`] after a [`Detector::detect_with`]; the camera pipeline adds its ball
/// search and tracking ([`crate::vision::pipeline::VisionFrame::stages`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Crop, resize/letterbox and normalise into the model's tensor (all crops).
    pub preprocess_us: u64,
    /// Detector inference and output decoding (all crops).
    pub inference_us: u64,
    /// Foot-point refiner (patch cuts + its model).
    pub foot_us: u64,
    /// Ball verifier on the detector's candidates, plus (in the pipeline) the local search and
    /// the dead-ball scan.
    pub ball_us: u64,
    /// People and ball trackers, torso colours and roles (pipeline only).
    pub track_us: u64,
}

impl StageTimes {
    /// The stages in order: preprocess, inference, foot, ball, track.
    pub fn as_array(&self) -> [u64; 5] {
        [
            self.preprocess_us,
            self.inference_us,
            self.foot_us,
            self.ball_us,
            self.track_us,
        ]
    }
}

/// Stage by stage, saturating (for totals over many frames).
impl std::ops::AddAssign for StageTimes {
    fn add_assign(&mut self, other: Self) {
        self.preprocess_us = self.preprocess_us.saturating_add(other.preprocess_us);
        self.inference_us = self.inference_us.saturating_add(other.inference_us);
        self.foot_us = self.foot_us.saturating_add(other.foot_us);
        self.ball_us = self.ball_us.saturating_add(other.ball_us);
        self.track_us = self.track_us.saturating_add(other.track_us);
    }
}

pub(crate) fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("manifest", &self.manifest.name)
            .finish()
    }
}

/// The ball verifier's output for a list of patch centres ([`Detector::ball_rows`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BallRows {
    /// `[probability, dx, dy]` per centre, in order.
    pub rows: Vec<[f32; 3]>,
    /// The detector's ball class id (for a find's detection).
    pub class_id: usize,
}

impl Detector {
    /// Loads the manifest, verifies the model file (existence, sha256) and the session (input
    /// name and shape), and refuses any mismatch; the same for the ball verifier the manifest
    /// names, whose threshold then becomes `thresholds.ball_score`.
    pub fn open(
        manifest_path: &Path,
        session: impl Into<SessionConfig>,
        kits: Vec<Kit>,
    ) -> Result<Self, DetectorError> {
        let manifest = DetectorManifest::load(manifest_path)?;
        Self::with_manifest(
            manifest,
            &manifest_path.display().to_string(),
            session,
            kits,
        )
    }

    /// As [`Detector::open`] with an already parsed manifest (`origin` names it in errors).
    pub fn with_manifest(
        manifest: DetectorManifest,
        origin: &str,
        session: impl Into<SessionConfig>,
        kits: Vec<Kit>,
    ) -> Result<Self, DetectorError> {
        let mut manifest = manifest;
        let session: SessionConfig = session.into();
        let path = manifest.model_path();
        check_model_file(&path, manifest.sha256.as_deref(), origin)?;
        let model = OnnxModel::open(&path, session)?;
        let mismatch = |message: String| DetectorError::Mismatch {
            path: path.clone(),
            manifest: origin.to_string(),
            message,
        };
        let Some(shape) = model.input_shape(&manifest.input.name) else {
            return Err(mismatch(format!(
                "the model has no tensor input named {:?} (inputs: {:?})",
                manifest.input.name,
                model.input_names().into_iter().take(4).collect::<Vec<_>>()
            )));
        };
        let fits = shape.len() == 4
            && shape
                .iter()
                .zip(manifest.input.shape)
                .all(|(m, want)| *m < 0 || *m == want);
        if !fits {
            return Err(mismatch(format!(
                "input {:?} has shape {shape:?}, manifest says {:?}",
                manifest.input.name, manifest.input.shape
            )));
        }
        let verifier = match manifest.ball_verifier_path() {
            Some(p) => {
                // A few 32x32 patches: one thread (the caller's). A second intra-op pool would
                // spin against the detector's on a small box (measured: +12 ms per frame on 2
                // cores with 2 + 2 threads, +1 ms with 2 + 1).
                let v = BallVerifier::open(
                    &p,
                    SessionConfig {
                        intra_threads: 1,
                        ..session
                    },
                )?;
                manifest.thresholds.ball_score = v.manifest().score;
                Some(v)
            }
            None => None,
        };
        let refiner = manifest
            .foot_refiner_path()
            .map(|p| {
                FootRefiner::open(
                    &p,
                    SessionConfig {
                        intra_threads: 1,
                        ..session
                    },
                )
            })
            .transpose()?;
        Ok(Self {
            manifest,
            model,
            verifier,
            refiner,
            kits,
            tensor: Vec::new(),
            times: StageTimes::default(),
        })
    }

    /// The ball verifier's local-search settings, when it has them.
    pub fn ball_search_config(&self) -> Option<BallSearchConfig> {
        self.verifier.as_ref().and_then(|v| v.manifest().search)
    }

    /// The model's class id that maps to the ball (a find's detection carries it).
    fn ball_class_id(&self) -> Option<usize> {
        (0..self.manifest.classes.len())
            .find(|&i| self.manifest.map_class(i) == Some(ObjectClass::Ball))
    }

    /// Runs the ball verifier's local search on `centres` (see [`BallVerifier::search`]); `None`
    /// without a verifier or a `[search]` table.
    pub fn search_ball(
        &mut self,
        frame: &BgrFrame<'_>,
        centres: &[(f32, f32)],
        size_px: (f32, f32),
    ) -> Result<Option<Detection>, DetectorError> {
        let ball_id = self.ball_class_id();
        match (&mut self.verifier, ball_id) {
            (Some(v), Some(id)) => v.search(frame, centres, size_px, id),
            _ => Ok(None),
        }
    }

    /// The ball verifier's rows for patches centred at `centres`; `None` without a verifier, a
    /// ball class or centres.
    pub fn ball_rows(
        &mut self,
        frame: &BgrFrame<'_>,
        centres: &[(f32, f32)],
    ) -> Result<Option<BallRows>, DetectorError> {
        let ball_id = self.ball_class_id();
        match (&mut self.verifier, ball_id) {
            (Some(v), Some(class_id)) if !centres.is_empty() => Ok(Some(BallRows {
                rows: v.run(frame, centres)?,
                class_id,
            })),
            _ => Ok(None),
        }
    }

    /// Stage times of the last [`Detector::detect_with`] (`track_us` is 0: the detector does
    /// not track).
    pub fn stage_times(&self) -> StageTimes {
        self.times
    }

    /// The manifest in use.
    pub fn manifest(&self) -> &DetectorManifest {
        &self.manifest
    }

    /// Whether people's roles come from configured kits (a model with a generic person class)
    /// rather than from the model.
    pub fn has_kits(&self) -> bool {
        !self.kits.is_empty()
    }

    /// Crops the detector runs for a frame of this size: the full frame, or tiles (+ full frame).
    pub fn crops(&self, width: u32, height: u32) -> Vec<CropPx> {
        let full = CropPx {
            x: 0,
            y: 0,
            width,
            height,
        };
        match &self.manifest.tiling {
            None => vec![full],
            Some(t) => {
                let mut crops = tiles(width, height, t.cols, t.rows, t.overlap);
                // Only the top `top_rows` rows: the far side, where people are smallest.
                let top_rows = t.top_rows.unwrap_or(t.rows).min(t.rows);
                crops.truncate((t.cols * top_rows) as usize);
                if t.include_full_frame {
                    crops.push(full);
                }
                crops
            }
        }
    }

    /// Detects objects in a BGR frame with the manifest's thresholds.
    pub fn detect(&mut self, frame: &BgrFrame<'_>) -> Result<Vec<Detection>, DetectorError> {
        let thresholds = self.manifest.thresholds;
        self.detect_with(frame, thresholds)
    }

    /// Detects objects with other score thresholds: a tracker wants the low-score detections
    /// too (ByteTrack's second stage), below the manifest's single-frame operating point. With a
    /// ball verifier, `thresholds.ball_score` applies to the verified score.
    pub fn detect_with(
        &mut self,
        frame: &BgrFrame<'_>,
        thresholds: Thresholds,
    ) -> Result<Vec<Detection>, DetectorError> {
        // With a verifier the detector's ball rows go down to the verifier's candidate floor.
        let ball_floor = self
            .verifier
            .as_ref()
            .map_or(thresholds.ball_score, |v| v.manifest().candidate_score);
        let min_score = thresholds.score.min(ball_floor);
        let (in_w, in_h) = self.manifest.input_size_px();
        let mut found = Vec::new();
        let drop_cut = self
            .manifest
            .tiling
            .is_some_and(|t| t.include_full_frame && t.drop_cut);
        let mut times = StageTimes::default();
        for crop in self.crops(frame.width, frame.height) {
            let started = Instant::now();
            let transform = prepare(frame, crop, &self.manifest.input, &mut self.tensor)?;
            times.preprocess_us += micros(started.elapsed());
            let started = Instant::now();
            let outputs = self.model.run_f32(
                &self.manifest.input.name,
                &self.manifest.input.shape,
                &self.tensor,
            )?;
            let raw = decode(
                &self.manifest.output,
                &outputs,
                in_w,
                in_h,
                self.manifest.classes.len(),
                min_score,
            )
            .map_err(|source| DetectorError::Decode {
                name: self.manifest.name.clone(),
                source,
            })?;
            times.inference_us += micros(started.elapsed());
            for r in raw {
                let Some(class) = self.manifest.map_class(r.class_id) else {
                    continue;
                };
                let threshold = if class == ObjectClass::Ball {
                    ball_floor
                } else {
                    thresholds.score
                };
                if r.score < threshold {
                    continue;
                }
                let b = transform.to_frame(&r.box_px);
                // A person or ball cut by a tile border is only its part in the tile; with the
                // whole frame also run, the neighbouring tile or the whole frame sees it whole.
                if drop_cut && crop.cuts(&b, frame.width, frame.height) {
                    continue;
                }
                let clipped = BoxPx {
                    x1: b.x1.max(0.0),
                    y1: b.y1.max(0.0),
                    x2: b.x2.min(frame.width as f32),
                    y2: b.y2.min(frame.height as f32),
                };
                if clipped.area() <= 0.0 {
                    continue;
                }
                found.push(Detection {
                    box_px: clipped,
                    score: r.score,
                    class,
                    team: None,
                    model_class_id: r.class_id,
                });
            }
        }
        let mut kept = drop_parts(nms(found, thresholds.nms_iou));
        let started = Instant::now();
        if let Some(r) = &mut self.refiner {
            r.refine(frame, &mut kept)?;
        }
        times.foot_us = micros(started.elapsed());
        let started = Instant::now();
        if let Some(v) = &mut self.verifier {
            kept = v.verify(frame, kept, thresholds.ball_score)?;
        }
        times.ball_us = micros(started.elapsed());
        self.times = times;
        for d in &mut kept {
            if d.class == ObjectClass::Person {
                let m = classify(torso_colour(frame, &d.box_px), &self.kits);
                d.class = m.class;
                d.team = m.team;
            }
        }
        Ok(kept)
    }
}
