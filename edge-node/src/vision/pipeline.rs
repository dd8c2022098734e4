//! Per-camera vision: detect (+ the ball verifier's local search around the last ball, when its
//! manifest has a `[search]` table) → image→pitch → track. The detector is the only CPU-heavy
//! part; the search state, the tracker and geometry are pure (`detect::ball_search`, `edge-core`,
//! `calibration`).

use std::time::Instant;

use calibration::{Camera, Pitch};
use edge_core::{
    BallConfig, BallOutput, BallState, BallTracker, Detection as CoreDetection, ImageBox,
    ObjectClass as CoreClass, TrackOutput, Tracker, TrackerConfig, TrackerError,
};
use nalgebra::{Matrix2, Point2, Point3};

use crate::detect::ball_search::BallSearch;
use crate::detect::ball_verify::best_find;
use crate::detect::detector::micros;
use crate::detect::kit::torso_colour;
use crate::detect::manifest::ObjectClass;
use crate::detect::preprocess::BgrFrame;
use crate::detect::roles::{RoleLearner, RoleLearnerConfig};
use crate::detect::{BoxPx, Detection, Detector, DetectorError, StageTimes, Thresholds};
use crate::video::{Frame, PixelFormat};

use super::dead_ball::{refine_centres, DeadBallConfig, DeadBallScan, DeadBallStats};

/// Why a frame could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// Detection failed.
    #[error(transparent)]
    Detector(#[from] DetectorError),
    /// The tracker refused the input (e.g. time went backwards).
    #[error("tracker: {0}")]
    Tracker(#[from] TrackerError),
    /// The frame is not BGR.
    #[error("camera {camera}: frames must be decoded as BGR for detection")]
    Format { camera: usize },
}

/// The tracked state of one camera at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct VisionFrame {
    /// Camera index.
    pub camera: usize,
    /// Match clock (ns) of the frame.
    pub venue_time_ns: i64,
    /// Source stream time of the frame (ns).
    pub pts_ns: u64,
    /// Raw detections after NMS.
    pub n_detections: usize,
    /// People tracks (players, goalkeepers, referees).
    pub tracks: Vec<TrackOutput>,
    /// The ball, if tracked.
    pub ball: Option<BallOutput>,
    /// This frame's ball detections (detector after the verifier, plus the local search), as the
    /// ball tracker saw them.
    pub ball_detections: Vec<CoreDetection>,
    /// Wall time spent in detect + track (µs).
    pub processing_us: u64,
    /// Where `processing_us` went, stage by stage.
    pub stages: StageTimes,
}

/// One camera's detect-and-track state. Not `Send`-restricted; run it on a worker thread.
#[derive(Debug)]
pub struct CameraPipeline {
    camera: usize,
    detector: Detector,
    tracker: Tracker,
    ball: BallTracker,
    calibration: Camera,
    /// Match clock = stream pts + offset.
    clock_offset_ns: i64,
    scaled: Option<(u32, u32, Camera)>,
    /// Local ball search around the last ball (when the ball verifier's manifest has one).
    search: Option<BallSearch>,
    /// Scan of the restart places after the ball is lost near a goal line (with the search).
    dead_ball: Option<DeadBallScan>,
    /// Pitch dimensions (the dead-ball scan's corners and goal areas).
    pitch: Pitch,
    /// Referee recovery by shirt colour (models that name roles; `None` with configured kits).
    roles: Option<RoleLearner>,
    /// Detector thresholds for tracking: for people the manifest's lowered to the tracker's
    /// `low_score` (ByteTrack's second stage needs the weak detections).
    thresholds: Thresholds,
}

fn core_class(class: ObjectClass) -> CoreClass {
    match class {
        ObjectClass::Player | ObjectClass::Person => CoreClass::Player,
        ObjectClass::Goalkeeper => CoreClass::Goalkeeper,
        ObjectClass::Referee => CoreClass::Referee,
        ObjectClass::Ball => CoreClass::Ball,
    }
}

/// `∂pitch_m / ∂image_px` at `image_px` by central differences of ±1 px (the mapping is smooth:
/// a homography through the lens model). `None` near the horizon or outside the ground.
pub fn foot_jacobian(cam: &Camera, image_px: &Point2<f64>) -> Option<Matrix2<f64>> {
    let at = |du: f64, dv: f64| cam.pixel_to_ground(&Point2::new(image_px.x + du, image_px.y + dv));
    let (xp, xm, yp, ym) = (at(1.0, 0.0)?, at(-1.0, 0.0)?, at(0.0, 1.0)?, at(0.0, -1.0)?);
    let du = (xp - xm) / 2.0;
    let dv = (yp - ym) / 2.0;
    let j = Matrix2::new(du.x, dv.x, du.y, dv.y);
    j.iter().all(|v| v.is_finite()).then_some(j)
}

/// Image length (px) of one metre of an upright person standing at `pitch_m`: the mean over a
/// 1.8 m stick, so lens distortion and perspective along a body are included. `None` when the
/// stick is not in front of the camera.
pub fn upright_px_per_m(cam: &Camera, pitch_m: &Point2<f64>) -> Option<f64> {
    const STICK_M: f64 = 1.8;
    let foot = cam.project(&Point3::new(pitch_m.x, pitch_m.y, 0.0))?;
    let head = cam.project(&Point3::new(pitch_m.x, pitch_m.y, STICK_M))?;
    let px_per_m = (foot - head).norm() / STICK_M;
    (px_per_m.is_finite() && px_per_m > 0.0).then_some(px_per_m)
}

impl CameraPipeline {
    /// A pipeline for camera `camera`, calibrated by `calibration` (any resolution: it is scaled
    /// to the decoded frame size), with match clock = pts + `clock_offset_ns`.
    pub fn new(
        camera: usize,
        detector: Detector,
        calibration: Camera,
        clock_offset_ns: i64,
        tracker: TrackerConfig,
        ball: BallConfig,
    ) -> Result<Self, VisionError> {
        let manifest = detector.manifest().thresholds;
        let thresholds = Thresholds {
            score: manifest.score.min(tracker.low_score),
            // Not lowered for the ball: one spurious low-score ball steals the single-hypothesis
            // ball track (measured: ball recall 0.89 → 0.61 on a fresh seed at a 0.1 floor).
            ball_score: manifest.ball_score.max(ball.min_score),
            nms_iou: manifest.nms_iou,
        };
        let roles = (!detector.has_kits()).then(|| RoleLearner::new(RoleLearnerConfig::default()));
        let search = detector.ball_search_config().map(BallSearch::new);
        Ok(Self {
            camera,
            search,
            dead_ball: None,
            pitch: Pitch::STANDARD,
            roles,
            detector,
            tracker: Tracker::new(tracker)?,
            ball: BallTracker::new(ball)?,
            thresholds,
            calibration,
            clock_offset_ns,
            scaled: None,
        })
    }

    /// Scans the restart places (corner arcs, goal area) with the ball verifier after the ball is
    /// lost near a goal line (`vision::dead_ball`); needs the verifier's `[search]` table, and
    /// a disabled config turns the scan off.
    pub fn with_dead_ball(mut self, config: DeadBallConfig, pitch: Pitch) -> Self {
        self.dead_ball =
            (config.enabled && self.search.is_some()).then(|| DeadBallScan::new(config));
        self.pitch = pitch;
        self
    }

    /// What the dead-ball scan has cost and found (`None` when it is off).
    pub fn dead_ball_stats(&self) -> Option<DeadBallStats> {
        self.dead_ball.as_ref().map(DeadBallScan::stats)
    }

    /// Replaces the calibration (moving cameras with per-frame calibration).
    pub fn set_calibration(&mut self, calibration: Camera) {
        if calibration != self.calibration {
            self.calibration = calibration;
            self.scaled = None;
        }
    }

    /// The detector (for its manifest).
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    fn camera_for(&mut self, width: u32, height: u32) -> Camera {
        match &self.scaled {
            Some((w, h, cam)) if *w == width && *h == height => *cam,
            _ => {
                let cam = self.calibration.scaled_to(width, height);
                self.scaled = Some((width, height, cam));
                cam
            }
        }
    }

    /// Converts detections to tracker inputs with pitch foot points.
    pub fn to_core(&mut self, width: u32, height: u32, dets: &[Detection]) -> Vec<CoreDetection> {
        let cam = self.camera_for(width, height);
        dets.iter()
            .map(|d| {
                let (fx, fy) = d.box_px.foot_px();
                let foot_px = Point2::new(f64::from(fx), f64::from(fy));
                let foot = cam.pixel_to_ground(&foot_px);
                let det = CoreDetection::new(
                    ImageBox::new(d.box_px.x1, d.box_px.y1, d.box_px.x2, d.box_px.y2),
                    d.score,
                    core_class(d.class),
                    foot,
                );
                let det = match foot_jacobian(&cam, &foot_px) {
                    Some(j) => det.with_foot_jacobian(j),
                    None => det,
                };
                match foot.and_then(|f| upright_px_per_m(&cam, &f)) {
                    Some(s) => det.with_upright_scale(s),
                    None => det,
                }
            })
            .collect()
    }

    /// Detects and tracks one BGR frame.
    pub fn process(&mut self, frame: &Frame) -> Result<VisionFrame, VisionError> {
        if frame.format != PixelFormat::Bgr {
            return Err(VisionError::Format {
                camera: self.camera,
            });
        }
        let started = Instant::now();
        let bgr = BgrFrame::new(frame.width_px, frame.height_px, &frame.data)
            .map_err(DetectorError::from)?;
        let mut detections = self.detector.detect_with(&bgr, self.thresholds)?;
        let mut stages = self.detector.stage_times();
        let ball_started = Instant::now();
        let venue_time_ns = (frame.pts_ns as i64).saturating_add(self.clock_offset_ns);
        let detector_ball = detections.iter().any(|d| d.class == ObjectClass::Ball);
        let cam = self.camera_for(frame.width_px, frame.height_px);
        if let Some(search) = &mut self.search {
            let mut seen: Vec<(BoxPx, f32)> = detections
                .iter()
                .filter(|d| d.class == ObjectClass::Ball)
                .map(|d| (d.box_px, d.score))
                .collect();
            let boxes: Vec<BoxPx> = seen.iter().map(|(b, _)| *b).collect();
            let grid = search.grid(venue_time_ns, &boxes);
            let mut found = None;
            if let (false, Some(size_px)) = (grid.is_empty(), search.size_px()) {
                if let Some(d) = self.detector.search_ball(&bgr, &grid, size_px)? {
                    found = Some(d.box_px);
                    detections.push(d);
                }
            } else if let (true, Some(scan)) = (grid.is_empty(), &mut self.dead_ball) {
                let (step_px, score) = (search.config().step_px, search.config().score);
                let mut centres =
                    scan.centres(venue_time_ns, detector_ball, &cam, &self.pitch, step_px);
                if let Some(mut coarse) = self.detector.ball_rows(&bgr, &centres)? {
                    let candidate = scan.config().candidate_score;
                    let fine = refine_centres(&centres, &coarse.rows, candidate, step_px, 2);
                    if let Some(f) = self.detector.ball_rows(&bgr, &fine)? {
                        centres.extend(fine);
                        coarse.rows.extend(f.rows);
                    }
                    let (rows, id) = (&coarse.rows, coarse.class_id);
                    let find = best_find(&centres, rows, score, (1.0, 1.0), id);
                    scan.record(centres.len(), find.as_ref().map(|d| d.box_px.centre()));
                    if let Some(mut d) = find {
                        // Sized for the ball where it was found: its bottom is the ground point.
                        let (x, y) = d.box_px.centre();
                        let size = scan.ball_px_at(x, y).unwrap_or(2.0);
                        d.box_px = BoxPx::from_cxcywh(x, y, size, size);
                        // A new sighting for the local search to follow, as a detection would.
                        seen.push((d.box_px, d.score));
                        detections.push(d);
                    }
                }
            }
            search.observe(venue_time_ns, &seen, found);
        }
        stages.ball_us += micros(ball_started.elapsed());
        let track_started = Instant::now();
        // People's torso colours: for the role classifier and the tracker's kit-colour cost
        // (not measured when neither is on).
        let want_colours = self.roles.is_some() || self.tracker.config().kit_colour_cost > 0.0;
        let colours: Vec<Option<[f32; 3]>> = detections
            .iter()
            .map(|d| {
                (want_colours && d.class != ObjectClass::Ball)
                    .then(|| torso_colour(&bgr, &d.box_px))
                    .flatten()
            })
            .collect();
        if let Some(roles) = &mut self.roles {
            let seen: Vec<_> = detections
                .iter()
                .zip(&colours)
                .map(|(d, colour)| (d.class, d.score, *colour))
                .collect();
            for (d, class) in detections.iter_mut().zip(roles.update(&seen)) {
                d.class = class;
            }
        }
        let mut core = self.to_core(frame.width_px, frame.height_px, &detections);
        for (d, colour) in core.iter_mut().zip(&colours) {
            d.torso_bgr = *colour;
        }
        let (balls, people): (Vec<_>, Vec<_>) =
            core.into_iter().partition(|d| d.class == CoreClass::Ball);
        let in_view = |p: &Point2<f64>| {
            cam.project(&Point3::new(p.x, p.y, 0.0))
                .is_some_and(|px| cam.contains(&px))
        };
        let tracks = self
            .tracker
            .update_in_view(venue_time_ns, &people, &in_view)?;
        let ball = self.ball.update(venue_time_ns, &balls)?;
        if let (Some(scan), true, Some(b)) = (&mut self.dead_ball, detector_ball, &ball.ball) {
            if b.state == BallState::Observed {
                scan.note_ball(venue_time_ns, b.pitch_m, &self.pitch);
            }
        }
        stages.track_us = micros(track_started.elapsed());
        Ok(VisionFrame {
            camera: self.camera,
            venue_time_ns,
            pts_ns: frame.pts_ns,
            n_detections: detections.len(),
            tracks: tracks.tracks,
            ball: ball.ball,
            ball_detections: balls,
            processing_us: micros(started.elapsed()),
            stages,
        })
    }
}

#[cfg(test)]
mod tests {
    use calibration::{Distortion, Intrinsics, Pose};

    use super::*;

    fn camera() -> Option<Camera> {
        Some(Camera {
            width: 1280,
            height: 720,
            intrinsics: Intrinsics {
                fx: 1000.0,
                fy: 1000.0,
                cx: 640.0,
                cy: 360.0,
            },
            distortion: Distortion::default(),
            pose: Pose::look_at(
                Point3::new(0.0, -50.0, 15.0),
                Point3::new(0.0, 0.0, 0.0),
                0.0,
            )?,
        })
    }

    #[test]
    fn the_upright_scale_is_the_pinhole_one_and_shrinks_with_distance() {
        let Some(cam) = camera() else {
            panic!("degenerate test camera");
        };
        // At the look-at point, ~52 m away, a metre spans f / distance ≈ 19 px (foreshortened a
        // little by the 17° tilt).
        let centre = upright_px_per_m(&cam, &Point2::new(0.0, 0.0)).unwrap_or(0.0);
        let distance = (50.0f64.powi(2) + 15.0f64.powi(2)).sqrt();
        assert!((centre - 1000.0 / distance).abs() < 1.5, "{centre} px/m");
        let far = upright_px_per_m(&cam, &Point2::new(0.0, 30.0)).unwrap_or(f64::MAX);
        assert!(far < 0.7 * centre, "far {far} px/m, centre {centre} px/m");
        // Behind the camera there is no scale.
        assert_eq!(upright_px_per_m(&cam, &Point2::new(0.0, -80.0)), None);
    }
}
