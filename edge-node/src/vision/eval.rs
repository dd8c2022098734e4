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
use calibration::{Camera, Pitch};
use edge_core::eval::{evaluate, EvalConfig, EvalFrame, GtObject, Metrics, PredObject};
use edge_core::{
    BallConfig, BallOutput, BallState, ClassGroup, ObjectClass as CoreClass, TrackState,
    TrackerConfig,
};
use nalgebra::{Point2, Point3};
use sample_feeds::sim::ObjectClass as SimClass;
use sample_feeds::truth::Feed;

use super::dead_ball::{DeadBallConfig, DeadBallStats};
use super::pipeline::{CameraPipeline, VisionError};
use crate::detect::kit::Kit;
use crate::detect::{Detector, DetectorError, StageTimes};
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
    /// Dead-ball scan settings.
    pub dead_ball: DeadBallConfig,
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
    /// Detect+track time summed over the frames, stage by stage (µs; divide by `frames`).
    pub stages_total_us: StageTimes,
    /// The ball in every processed frame: truth against the reported ball (`eval --ball-log`).
    pub ball_log: Vec<BallLogRow>,
    /// What was scored, frame by frame: the truth and the reported tracks (`eval --objects-log`).
    pub scored: Vec<EvalFrame>,
    /// What the dead-ball scan cost and found (`None` when it is off or has no verifier).
    pub dead_ball: Option<DeadBallStats>,
}

/// How a frame's reported ball compares with the truth (per frame, by distance alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallOutcome {
    /// Visible ball, reported within the threshold.
    Hit,
    /// Visible ball, nothing reported.
    Missed,
    /// Visible ball, something else reported (a false positive and a miss).
    Wrong,
    /// No visible ball, something reported away from the hidden one (a false positive).
    Phantom,
    /// No visible ball; nothing reported, or a report on the hidden ball (not scored).
    Quiet,
}

impl BallOutcome {
    /// Lower-case name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            BallOutcome::Hit => "hit",
            BallOutcome::Missed => "missed",
            BallOutcome::Wrong => "wrong",
            BallOutcome::Phantom => "phantom",
            BallOutcome::Quiet => "quiet",
        }
    }
}

/// One frame of the ball log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BallLogRow {
    /// Feed frame index.
    pub frame: u64,
    /// Whether the feed marks the ball visible in this camera.
    pub truth_visible: bool,
    /// Where the camera ray through the true ball meets the ground (what is scored), pitch m.
    pub truth_pitch_m: Option<Point2<f64>>,
    /// Height of the true ball's centre (m).
    pub truth_height_m: Option<f64>,
    /// The true ball's centre in the image (px).
    pub truth_image_px: Option<Point2<f64>>,
    /// The reported ball.
    pub reported: Option<BallOutput>,
    /// Distance between the two (m).
    pub error_m: Option<f64>,
    /// Ball detections the tracker was given in this frame.
    pub detections: usize,
    /// The detection nearest the true ball in the image: (distance px, score).
    pub nearest_detection: Option<(f64, f32)>,
    /// How the frame scores.
    pub outcome: BallOutcome,
}

impl BallLogRow {
    /// CSV header matching [`BallLogRow::csv`].
    pub const CSV_HEADER: &'static str = "frame,outcome,truth_visible,truth_x_m,truth_y_m,truth_height_m,truth_u_px,truth_v_px,reported_id,reported_state,reported_x_m,reported_y_m,reported_score,reported_u_px,reported_v_px,error_m,detections,nearest_detection_px,nearest_detection_score";

    /// One CSV line (no newline); absent values are empty fields.
    pub fn csv(&self) -> String {
        fn opt(v: Option<f64>, digits: usize) -> String {
            v.map_or(String::new(), |v| format!("{v:.digits$}"))
        }
        let r = self.reported.as_ref();
        let centre = r.map(|b| {
            let (u, v) = b.image_box_px.center();
            (f64::from(u), f64::from(v))
        });
        [
            self.frame.to_string(),
            self.outcome.as_str().to_string(),
            u8::from(self.truth_visible).to_string(),
            opt(self.truth_pitch_m.map(|p| p.x), 3),
            opt(self.truth_pitch_m.map(|p| p.y), 3),
            opt(self.truth_height_m, 3),
            opt(self.truth_image_px.map(|p| p.x), 1),
            opt(self.truth_image_px.map(|p| p.y), 1),
            r.map_or(String::new(), |b| b.track_id.to_string()),
            r.map_or(String::new(), |b| {
                match b.state {
                    BallState::Observed => "observed",
                    BallState::Predicted => "predicted",
                }
                .to_string()
            }),
            opt(r.map(|b| b.pitch_m.x), 3),
            opt(r.map(|b| b.pitch_m.y), 3),
            opt(r.map(|b| f64::from(b.score)), 3),
            opt(centre.map(|c| c.0), 1),
            opt(centre.map(|c| c.1), 1),
            opt(self.error_m, 3),
            self.detections.to_string(),
            opt(self.nearest_detection.map(|n| n.0), 1),
            opt(self.nearest_detection.map(|n| f64::from(n.1)), 3),
        ]
        .join(",")
    }
}

/// Scores one frame's reported ball against the truth, as the metrics do (distance below the
/// threshold is a match; a report on an invisible ball is not scored).
pub fn ball_outcome(truth_visible: bool, error_m: Option<f64>, threshold_m: f64) -> BallOutcome {
    let near = error_m.is_some_and(|e| e < threshold_m);
    match (truth_visible, error_m.is_some()) {
        (true, true) if near => BallOutcome::Hit,
        (true, true) => BallOutcome::Wrong,
        (true, false) => BallOutcome::Missed,
        (false, true) if !near => BallOutcome::Phantom,
        (false, _) => BallOutcome::Quiet,
    }
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

    /// Mean detect+track time per frame, stage by stage (ms): preprocess, detector inference,
    /// foot refiner, ball verifier + search, tracking.
    pub fn stage_means_ms(&self) -> [f64; 5] {
        let n = self.frames.max(1) as f64;
        self.stages_total_us
            .as_array()
            .map(|us| us as f64 / n / 1000.0)
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
    .map_err(Box::new)?
    .with_dead_ball(
        options.dead_ball,
        Pitch {
            length: feed.manifest.pitch_length,
            width: feed.manifest.pitch_width,
        },
    );
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
    let mut stages_total_us = StageTimes::default();
    let mut ball_log = Vec::new();
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
        stages_total_us += v.stages;
        processed += 1;
        let positions = feed.positions_at(index);
        let gt: Vec<GtObject> = positions
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
        // The ball's truth as scored above (`gt` follows `positions` one to one).
        let truth_ball = positions
            .iter()
            .zip(&gt)
            .find(|(_, g)| g.class == CoreClass::Ball);
        let truth_visible = truth_ball.is_some_and(|(_, g)| g.visible);
        let truth_pitch_m = truth_ball.map(|(_, g)| g.pitch_m);
        let truth_ball = truth_ball.map(|(p, _)| p);
        let error_m = match (truth_pitch_m, &v.ball) {
            (Some(t), Some(b)) => Some((t - b.pitch_m).norm()),
            _ => None,
        };
        let truth_image_px =
            truth_ball.and_then(|p| camera_now.project(&Point3::new(p.x, p.y, p.z)));
        let nearest_detection = truth_image_px.and_then(|t| {
            v.ball_detections
                .iter()
                .map(|d| {
                    let (u, v) = d.image_box_px.center();
                    let c = Point2::new(f64::from(u), f64::from(v));
                    ((c - t).norm(), d.score)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
        });
        ball_log.push(BallLogRow {
            frame: index,
            truth_visible,
            truth_pitch_m,
            truth_height_m: truth_ball.map(|p| p.z),
            truth_image_px,
            reported: v.ball,
            error_m,
            detections: v.ball_detections.len(),
            nearest_detection,
            outcome: ball_outcome(
                truth_visible,
                error_m.or(v.ball.map(|_| f64::INFINITY)),
                options.threshold_m,
            ),
        });
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
        stages_total_us,
        ball_log,
        scored: frames,
        dead_ball: pipeline.dead_ball_stats(),
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
    fn ball_outcomes_follow_the_metric() {
        assert_eq!(ball_outcome(true, Some(0.4), 1.0), BallOutcome::Hit);
        assert_eq!(ball_outcome(true, Some(1.0), 1.0), BallOutcome::Wrong);
        assert_eq!(ball_outcome(true, Some(3.0), 1.0), BallOutcome::Wrong);
        assert_eq!(ball_outcome(true, None, 1.0), BallOutcome::Missed);
        assert_eq!(ball_outcome(false, Some(3.0), 1.0), BallOutcome::Phantom);
        assert_eq!(ball_outcome(false, Some(0.4), 1.0), BallOutcome::Quiet);
        assert_eq!(ball_outcome(false, None, 1.0), BallOutcome::Quiet);
    }

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
