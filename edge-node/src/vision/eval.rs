//! Self-evaluation: replay a sample feed's video through the vision pipeline and score the tracks
//! against the feed's ground truth (HOTA/DetA/AssA, MOTA, IDF1, position RMSE, per-class
//! precision/recall) with `edge_core::eval`. Also measures throughput and per-frame latency.
//!
//! Matching is by ground-plane distance in pitch metres. A ground-truth object counts when the
//! feed marks it visible in this camera (box in the image, < 90 % occluded); predictions matched to
//! invisible ground truth are ignored (don't-care), as in the metric's definition.
//!
//! The ball's ground truth is where this camera's ray through the ball's lowest point meets the
//! ground: one camera measures a direction, not a height, so a ball 2 m up at 40 m from a 15 m
//! high camera lands ~6 m behind its true ground position, and the single-camera pipeline reports
//! exactly that ray point (recovering height needs a second camera or a flight model). For a ball
//! on the ground the two coincide.

use std::path::{Path, PathBuf};
use std::time::Instant;

use calibration::pitch::BALL_RADIUS;
use calibration::Camera;
use edge_core::eval::{evaluate, EvalConfig, EvalFrame, GtObject, Metrics, PredObject};
use edge_core::{BallConfig, ClassGroup, ObjectClass as CoreClass, TrackState, TrackerConfig};
use nalgebra::{Point2, Point3};
use sample_feeds::sim::ObjectClass as SimClass;
use sample_feeds::truth::Feed;

use super::pipeline::{CameraPipeline, VisionError};
use crate::detect::kit::Kit;
use crate::detect::{Detector, DetectorError};
use crate::inference::{ExecutionProvider, SessionConfig};
use crate::video::{DecodeConfig, PixelFormat, VideoError, VideoReader};

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalRunError {
    /// The feed could not be read.
    #[error("feed {dir}: {message}")]
    Feed { dir: PathBuf, message: String },
    /// The feed has no such camera, or it has no video.
    #[error("feed {dir}: {message}")]
    Camera { dir: PathBuf, message: String },
    /// The detector could not start.
    #[error(transparent)]
    Detector(#[from] Box<DetectorError>),
    /// Decoding failed.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// Processing failed.
    #[error(transparent)]
    Vision(#[from] Box<VisionError>),
    /// The metrics could not be computed.
    #[error("metrics: {0}")]
    Metrics(String),
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Feed directory (with `feed.toml`).
    pub feed_dir: PathBuf,
    /// Camera name; `None` = the feed's first camera with a video.
    pub camera: Option<String>,
    /// Detector manifest.
    pub manifest: PathBuf,
    /// ONNX Runtime threads.
    pub intra_threads: usize,
    /// ONNX Runtime execution provider.
    pub provider: ExecutionProvider,
    /// Kits for person → role (COCO models).
    pub kits: Vec<Kit>,
    /// Decode size; `None` = full resolution.
    pub decode_size: Option<(u32, u32)>,
    /// Stop after this many frames.
    pub max_frames: Option<u64>,
    /// Matching threshold (m).
    pub threshold_m: f64,
    /// People tracker settings.
    pub tracker: TrackerConfig,
    /// Ball tracker settings.
    pub ball: BallConfig,
}

/// Result of an evaluation run.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// Tracking metrics over every class (players, goalkeepers, referees, ball).
    pub metrics: Metrics,
    /// The same metrics over players and goalkeepers only (what "player HOTA" means).
    pub players: Metrics,
    /// Frames processed.
    pub frames: u64,
    /// Wall time of decode + detect + track (s).
    pub wall_s: f64,
    /// Per-frame detect+track latency (µs), sorted.
    pub latency_us: Vec<u64>,
}

impl EvalReport {
    /// Frames per second end to end (decode included).
    pub fn fps(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.frames as f64 / self.wall_s
        } else {
            0.0
        }
    }

    /// Latency percentile (0..=100) in µs.
    pub fn latency_percentile_us(&self, p: f64) -> u64 {
        if self.latency_us.is_empty() {
            return 0;
        }
        let idx = ((p / 100.0) * (self.latency_us.len() - 1) as f64).round() as usize;
        self.latency_us[idx.min(self.latency_us.len() - 1)]
    }
}

fn core_class(c: SimClass) -> CoreClass {
    match c {
        SimClass::Player => CoreClass::Player,
        SimClass::Goalkeeper => CoreClass::Goalkeeper,
        SimClass::Referee => CoreClass::Referee,
        SimClass::Ball => CoreClass::Ball,
    }
}

/// Runs the evaluation.
pub fn run(options: &EvalOptions) -> Result<EvalReport, EvalRunError> {
    let dir = options.feed_dir.clone();
    let feed = Feed::load(&dir).map_err(|e| EvalRunError::Feed {
        dir: dir.clone(),
        message: e.to_string(),
    })?;
    let entry = feed
        .manifest
        .cameras
        .iter()
        .find(|c| match &options.camera {
            Some(name) => &c.name == name,
            None => c.video.is_some(),
        })
        .ok_or_else(|| EvalRunError::Camera {
            dir: dir.clone(),
            message: format!(
                "no camera {} with a video (cameras: {:?})",
                options.camera.as_deref().unwrap_or("<any>"),
                feed.manifest
                    .cameras
                    .iter()
                    .map(|c| &c.name)
                    .collect::<Vec<_>>()
            ),
        })?;
    let video = entry.video.clone().ok_or_else(|| EvalRunError::Camera {
        dir: dir.clone(),
        message: format!("camera {} has no video file", entry.name),
    })?;
    let calibration = feed
        .camera_at(&entry.name, 0)
        .ok_or_else(|| EvalRunError::Camera {
            dir: dir.clone(),
            message: format!("camera {} has no calibration", entry.name),
        })?;
    let boxes = feed.boxes.get(&entry.name).cloned().unwrap_or_default();
    let detector = Detector::open(
        &options.manifest,
        SessionConfig {
            intra_threads: options.intra_threads,
            provider: options.provider,
        },
        options.kits.clone(),
    )
    .map_err(Box::new)?;
    let mut pipeline = CameraPipeline::new(
        0,
        detector,
        calibration,
        0,
        options.tracker.clone(),
        options.ball.clone(),
    )
    .map_err(Box::new)?;
    let mut reader = VideoReader::open_file(
        &resolve(&dir, &video),
        &DecodeConfig {
            format: PixelFormat::Bgr,
            scale_to_px: options.decode_size,
        },
    )?;

    // Visibility per (frame, object) for this camera.
    let n_objects = feed.objects.len();
    let mut visible = vec![false; (feed.manifest.frames as usize).saturating_mul(n_objects)];
    for b in &boxes {
        if let Some(slot) = visible.get_mut(b.frame as usize * n_objects + b.object) {
            *slot = b.visible;
        }
    }

    let fps = u64::from(feed.manifest.fps.max(1));
    let mut frames = Vec::new();
    let mut latency_us = Vec::new();
    let started = Instant::now();
    let mut processed = 0u64;
    while let Some(frame) = reader.next_frame()? {
        if options.max_frames.is_some_and(|m| processed >= m) {
            break;
        }
        let index = (frame.pts_ns * fps + 500_000_000) / 1_000_000_000;
        // Moving cameras have a calibration per frame; fixed ones keep the frame-0 one.
        let camera_now = feed
            .per_frame_calibration
            .get(&entry.name)
            .and_then(|c| c.get(index as usize))
            .copied()
            .unwrap_or(calibration);
        pipeline.set_calibration(camera_now);
        let v = pipeline.process(&frame).map_err(Box::new)?;
        latency_us.push(v.processing_us);
        processed += 1;
        let gt: Vec<GtObject> = feed
            .positions_at(index)
            .iter()
            .map(|p| {
                let class = feed
                    .objects
                    .get(p.object)
                    .map(|o| core_class(o.class))
                    .unwrap_or(CoreClass::Player);
                let pitch_m = if class == CoreClass::Ball {
                    ball_ray_ground(&camera_now, p.x, p.y, p.z)
                } else {
                    Point2::new(p.x, p.y)
                };
                (p, class, pitch_m)
            })
            .map(|(p, class, pitch_m)| GtObject {
                id: p.object as u32,
                class,
                pitch_m,
                visible: visible
                    .get(index as usize * n_objects + p.object)
                    .copied()
                    .unwrap_or(false),
            })
            .collect();
        let mut pred: Vec<PredObject> = v
            .tracks
            .iter()
            .filter(|t| t.state != TrackState::Lost)
            .filter_map(|t| {
                t.pitch_m.map(|p| PredObject {
                    track_id: t.track_id,
                    class: t.class,
                    pitch_m: p,
                })
            })
            .collect();
        if let Some(b) = &v.ball {
            pred.push(PredObject {
                track_id: 1_000_000 + b.track_id,
                class: CoreClass::Ball,
                pitch_m: b.pitch_m,
            });
        }
        frames.push(EvalFrame { gt, pred });
    }
    let wall_s = started.elapsed().as_secs_f64();
    let config = EvalConfig {
        threshold_m: options.threshold_m,
    };
    let metrics = evaluate(&config, &frames).map_err(|e| EvalRunError::Metrics(e.to_string()))?;
    let players_only: Vec<EvalFrame> = frames
        .iter()
        .map(|f| EvalFrame {
            gt: f
                .gt
                .iter()
                .filter(|g| g.class.group() == ClassGroup::Players)
                .copied()
                .collect(),
            pred: f
                .pred
                .iter()
                .filter(|p| p.class.group() == ClassGroup::Players)
                .copied()
                .collect(),
        })
        .collect();
    let players =
        evaluate(&config, &players_only).map_err(|e| EvalRunError::Metrics(e.to_string()))?;
    latency_us.sort_unstable();
    Ok(EvalReport {
        metrics,
        players,
        frames: processed,
        wall_s,
        latency_us,
    })
}

/// Where `camera`'s ray through the lowest point of a ball centred at `(x, y, z)` meets the
/// ground; the ball's own ground point when the ray misses (behind the camera, above the horizon).
pub fn ball_ray_ground(camera: &Camera, x: f64, y: f64, z: f64) -> Point2<f64> {
    let lowest = Point3::new(x, y, (z - BALL_RADIUS).max(0.0));
    camera
        .project(&lowest)
        .and_then(|px| camera.pixel_to_ground(&px))
        .unwrap_or(Point2::new(x, y))
}

fn resolve(dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ball_on_the_ground_is_its_own_ray_point_and_a_lofted_one_lands_behind_it() {
        let pose = calibration::Pose::look_at(
            Point3::new(0.0, -40.0, 15.0),
            Point3::new(0.0, 0.0, 0.0),
            0.0,
        );
        let Some(pose) = pose else {
            panic!("look_at failed");
        };
        let camera = Camera {
            width: 1280,
            height: 720,
            intrinsics: calibration::Intrinsics {
                fx: 1000.0,
                fy: 1000.0,
                cx: 640.0,
                cy: 360.0,
            },
            distortion: calibration::Distortion::default(),
            pose,
        };
        let on_ground = ball_ray_ground(&camera, 3.0, 5.0, BALL_RADIUS);
        assert!(
            (on_ground - Point2::new(3.0, 5.0)).norm() < 1e-6,
            "{on_ground}"
        );
        // 2 m up at ~45 m from a 15 m high camera: about 45 · 2 / 15 = 6 m further away.
        let lofted = ball_ray_ground(&camera, 0.0, 5.0, 2.0 + BALL_RADIUS);
        assert!(lofted.y > 10.0 && lofted.y < 13.0, "{lofted}");
    }
}
