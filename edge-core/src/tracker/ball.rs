//! Single-hypothesis ball tracker in pitch metres.
//!
//! One constant-velocity Kalman filter on the ground plane (`x, y`; height is ignored). Each frame:
//! ball candidates are the valid `Ball` detections with a foot point and `score >= min_score`.
//! Candidates within the gate `min(gate_m + gate_growth_mps · t_unseen, max_gate_m)` of the
//! prediction compete; the one with the smallest Mahalanobis distance to the prediction wins (ties:
//! higher score). Without a candidate in the gate the ball is bridged on its prediction and reported
//! [`BallState::Predicted`] for up to `max_bridge_s`; after that it is dropped, and the
//! highest-scoring candidate with `score >= init_score` starts a new ball hypothesis with a new id.

use nalgebra::{Point2, Vector2};
use serde::{Deserialize, Serialize};

use super::{check, positive, seconds, TrackerError};
use crate::kalman::CvKalman;
use crate::types::{Detection, ImageBox, ObjectClass};

/// Configuration of [`BallTracker`]. All fields have defaults; unknown fields are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BallConfig {
    /// Ball detections below this score are ignored.
    pub min_score: f32,
    /// Minimum score to start a ball hypothesis.
    pub init_score: f32,
    /// Base gate (m) around the prediction.
    pub gate_m: f64,
    /// Gate growth (m per second unseen): a kicked ball changes velocity abruptly.
    pub gate_growth_mps: f64,
    /// Upper bound of the gate (m).
    pub max_gate_m: f64,
    /// How long (s) the ball is bridged on its prediction without a detection.
    pub max_bridge_s: f64,
    /// Measurement noise std (m).
    pub measurement_std_m: f64,
    /// Process noise: acceleration std (m/s²).
    pub accel_std_mps2: f64,
    /// Velocity std (m/s) of a new ball hypothesis.
    pub initial_speed_std_mps: f64,
}

impl Default for BallConfig {
    fn default() -> Self {
        BallConfig {
            min_score: 0.1,
            init_score: 0.3,
            gate_m: 2.0,
            gate_growth_mps: 20.0,
            max_gate_m: 15.0,
            max_bridge_s: 1.0,
            measurement_std_m: 0.3,
            accel_std_mps2: 20.0,
            initial_speed_std_mps: 10.0,
        }
    }
}

impl BallConfig {
    /// Checks ranges; [`BallTracker::new`] calls it.
    pub fn validate(&self) -> Result<(), TrackerError> {
        let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        check(unit(self.min_score), "min_score", "must be in [0, 1]")?;
        check(
            unit(self.init_score) && self.init_score >= self.min_score,
            "init_score",
            "must be in [min_score, 1]",
        )?;
        check(positive(self.gate_m), "gate_m", "must be positive")?;
        check(
            self.gate_growth_mps.is_finite() && self.gate_growth_mps >= 0.0,
            "gate_growth_mps",
            "must be non-negative",
        )?;
        check(
            positive(self.max_gate_m) && self.max_gate_m >= self.gate_m,
            "max_gate_m",
            "must be at least gate_m",
        )?;
        check(
            self.max_bridge_s.is_finite() && self.max_bridge_s >= 0.0,
            "max_bridge_s",
            "must be non-negative",
        )?;
        check(
            positive(self.measurement_std_m),
            "measurement_std_m",
            "must be positive",
        )?;
        check(
            positive(self.accel_std_mps2),
            "accel_std_mps2",
            "must be positive",
        )?;
        check(
            positive(self.initial_speed_std_mps),
            "initial_speed_std_mps",
            "must be positive",
        )?;
        Ok(())
    }
}

/// Whether the ball position comes from a detection in this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BallState {
    /// Updated with a detection in this frame.
    Observed,
    /// Bridged: no consistent detection, the position is the Kalman prediction.
    Predicted,
}

/// The ball in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BallOutput {
    /// Id of the current ball hypothesis; a new one starts after a bridge runs out.
    pub track_id: u32,
    /// Observed or predicted.
    pub state: BallState,
    /// Ground position (m).
    pub pitch_m: Point2<f64>,
    /// Ground velocity (m/s).
    pub velocity_mps: Vector2<f64>,
    /// Box of the last matched detection (not predicted).
    pub image_box_px: ImageBox,
    /// Score of the last matched detection.
    pub score: f32,
    /// Match-clock time of the last matched detection.
    pub last_seen_ns: i64,
}

/// The result of one [`BallTracker::update`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BallFrame {
    /// The frame's match-clock time.
    pub now_ns: i64,
    /// The ball, if a hypothesis is alive.
    pub ball: Option<BallOutput>,
    /// Detections ignored for non-finite values or empty boxes.
    pub rejected_detections: u32,
}

#[derive(Clone, Debug)]
struct Ball {
    id: u32,
    kf: CvKalman,
    last_update_ns: i64,
    score: f32,
    image_box_px: ImageBox,
}

/// Single-hypothesis ball tracker; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct BallTracker {
    config: BallConfig,
    ball: Option<Ball>,
    next_id: u32,
    last_now_ns: Option<i64>,
}

impl BallTracker {
    /// A ball tracker with a validated config.
    pub fn new(config: BallConfig) -> Result<Self, TrackerError> {
        config.validate()?;
        Ok(BallTracker {
            config,
            ball: None,
            next_id: 1,
            last_now_ns: None,
        })
    }

    /// The config in use.
    pub fn config(&self) -> &BallConfig {
        &self.config
    }

    /// Forgets the ball and the clock; ids keep counting up.
    pub fn reset(&mut self) {
        self.ball = None;
        self.last_now_ns = None;
    }

    /// Advances to `now_ns` and uses this frame's ball detections (other classes and ball
    /// detections without a foot point are ignored). Errors only if time goes backwards.
    pub fn update(
        &mut self,
        now_ns: i64,
        detections: &[Detection],
    ) -> Result<BallFrame, TrackerError> {
        if let Some(last_ns) = self.last_now_ns {
            if now_ns < last_ns {
                return Err(TrackerError::TimeWentBackwards { last_ns, now_ns });
            }
        }
        let dt_s = self
            .last_now_ns
            .map_or(0.0, |last| seconds(now_ns.saturating_sub(last)));
        self.last_now_ns = Some(now_ns);
        let c = &self.config;

        let mut rejected = 0u32;
        let mut candidates: Vec<(&Detection, Point2<f64>)> = Vec::new();
        for det in detections {
            if !det.is_valid() {
                rejected = rejected.saturating_add(1);
                continue;
            }
            if det.class != ObjectClass::Ball || det.score < c.min_score {
                continue;
            }
            if let Some(foot) = det.foot_pitch_m {
                candidates.push((det, foot));
            }
        }

        let mut observed = false;
        if let Some(ball) = &mut self.ball {
            ball.kf.predict(dt_s, c.accel_std_mps2);
            let unseen_s = seconds(now_ns.saturating_sub(ball.last_update_ns)).max(0.0);
            let gate = (c.gate_m + c.gate_growth_mps * unseen_s).min(c.max_gate_m);
            let predicted = ball.kf.position();
            let best = candidates
                .iter()
                .filter(|(_, p)| (p - predicted).norm() < gate)
                .filter_map(|&(det, p)| {
                    ball.kf
                        .mahalanobis_sq(&p, c.measurement_std_m)
                        .map(|d2| (det, p, d2))
                })
                .min_by(|a, b| a.2.total_cmp(&b.2).then(b.0.score.total_cmp(&a.0.score)));
            if let Some((det, p, _)) = best {
                ball.kf.update(&p, c.measurement_std_m);
                ball.last_update_ns = now_ns;
                ball.score = det.score;
                ball.image_box_px = det.image_box_px;
                observed = true;
            } else if unseen_s > c.max_bridge_s {
                self.ball = None;
            }
        }
        if self.ball.is_none() {
            let best = candidates
                .iter()
                .filter(|(det, _)| det.score >= c.init_score)
                .max_by(|a, b| a.0.score.total_cmp(&b.0.score));
            if let Some(&(det, p)) = best {
                self.ball = Some(Ball {
                    id: self.next_id,
                    kf: CvKalman::new(p, c.measurement_std_m, c.initial_speed_std_mps),
                    last_update_ns: now_ns,
                    score: det.score,
                    image_box_px: det.image_box_px,
                });
                self.next_id = self.next_id.checked_add(1).unwrap_or(1);
                observed = true;
            }
        }
        let ball = self.ball.as_ref().map(|b| BallOutput {
            track_id: b.id,
            state: if observed {
                BallState::Observed
            } else {
                BallState::Predicted
            },
            pitch_m: b.kf.position(),
            velocity_mps: b.kf.velocity(),
            image_box_px: b.image_box_px,
            score: b.score,
            last_seen_ns: b.last_update_ns,
        });
        Ok(BallFrame {
            now_ns,
            ball,
            rejected_detections: rejected,
        })
    }
}
