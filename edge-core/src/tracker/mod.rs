//! ByteTrack-class multi-object tracker for people (players, goalkeepers, referees), plus a
//! single-hypothesis [`BallTracker`].
//!
//! # State space
//! Every track carries up to two constant-velocity Kalman filters ([`CvKalman`], state
//! `[x, y, vx, vy]`):
//! - **pitch** (`pitch_m`, metres on the ground plane): started and updated from detections that
//!   carry a foot point. This is the primary space: on the ground plane a player's motion is close
//!   to constant velocity and distances mean the same thing everywhere in the picture, whereas image
//!   motion and box sizes change with perspective and camera zoom.
//! - **image** (`image_px`, box centre): always present; box width/height are smoothed separately.
//!   Used for association when a detection or the track has no pitch position (uncalibrated camera,
//!   foot point off the ground plane).
//!
//! # Foot point
//! A detection's foot point is the box bottom projected to the ground, with a measurement
//! covariance from the pixel noise through its Jacobian (`foot_std_*`). When the detection also
//! carries `upright_px_per_m` (the camera's scale for an upright person at that spot), each track
//! learns its person's stature (box height in metres, a running mean that ignores samples more than
//! `stature_gate_rel` off), and from then on the box top plus the stature is a second estimate of
//! the foot row. The row used is the `stature_weight` blend of the two, unless they disagree by
//! more than `stature_gate_rel` of the box height (crouch, jump, raised arms, a clipped box). The
//! box top's error is independent of the bottom's (touchline-det: correlation 0.03 on a wide
//! camera, −0.4 on broadcast views), so the blend is the cheaper way to halve the foot row's
//! variance, which along the line of sight is most of the position error. Association still uses
//! the plain box-bottom foot point. The default weight is 0: with touchline-det's foot refiner
//! (edge-node `detect::foot_refine`) the bottom alone is the better estimate (measured on seeds
//! 7001-7003: HOTA 0.811/0.892/0.803 at 0.5, 0.831/0.906/0.846 at 0). Set it (0.5) for detectors
//! whose box bottoms are coarse.
//!
//! Predictions are time-aware: `dt` is the difference of the `now_ns` match-clock timestamps given to
//! [`Tracker::update`], never a frame count, so dropped frames and variable frame rates are handled.
//!
//! # Association (per frame)
//! 1. Detections with non-finite values or empty boxes are rejected (counted in
//!    [`TrackerFrame::rejected_detections`]); ball detections are ignored (feed them to
//!    [`BallTracker`]); detections below `low_score` are dropped; of the rest at most
//!    `max_detections` (highest scores) are kept, split into high (`score >= high_score`) and low.
//! 2. Stage 1: high detections vs confirmed tracks (tracked and lost).
//! 3. Stage 2: low detections vs confirmed tracks that were matched in the previous frame and are
//!    still unmatched, with gates shrunk by `low_score_gate_scale`.
//! 4. Stage 3: remaining high detections vs tentative tracks.
//! 5. Unmatched tentative tracks are deleted; confirmed tracks unmatched for more than `max_lost_s`
//!    are deleted; remaining high detections with `score >= new_track_score` (and, when the
//!    detection carries the camera's upright scale, a box height in metres within
//!    `[min_birth_stature_m, max_birth_stature_m]`) start tentative tracks
//!    (while fewer than `max_tracks` are held), confirmed after `confirm_hits` matched frames.
//!    Before starting a track, a detection first revives the nearest *dormant* track within its
//!    revival radius (below).
//!
//! # Leaving the picture
//! With [`Tracker::update_in_view`] the caller says which ground points the camera sees. A
//! confirmed track that is unmatched while its position is outside the view is not lost but
//! *dormant*: removed from association and output and kept for `max_dormant_s` at the position
//! where it left. A new track would otherwise start for the same person when a panning camera
//! comes back; instead a high detection that would start a track takes the id of the nearest
//! dormant track (of a compatible role) within `min(revive_gate_m + revive_growth_mps ·
//! t_dormant, revive_max_m)` of where it went: its exit position moved on at its exit velocity
//! (at most 8 m/s) for up to `revive_coast_s`. [`Tracker::update`] sees everything and never
//! makes tracks dormant.
//!
//! Each stage is one Hungarian assignment (`pathfinding`'s Kuhn–Munkres) maximising
//! `Σ (1 − cost)` over gated pairs, which equals minimising the cost with an unmatched cost of 1.
//! Cost of a (track, detection) pair:
//! - both have pitch positions: `d / max_gate_m`, with `d` the distance (m) from the track's
//!   predicted position; allowed only if `d < min(gate_m + gate_growth_mps · t_unseen, max_gate_m)`
//!   (× `low_score_gate_scale` in stage 2), `t_unseen` being the time since the track's last update;
//! - otherwise: `1 − IoU` of the predicted box and the detection box, allowed only if
//!   `IoU > min_iou` (stage 2: `1 − IoU < (1 − min_iou) · low_score_gate_scale`).
//!
//! A common normaliser (`max_gate_m`) keeps an uncertain lost track from beating a tracked one at the
//! same distance. People of different roles (player, goalkeeper, referee) may be matched at an extra
//! cost `role_switch_cost` (a detector confuses a referee with a player far more often than a person
//! teleports); a track's reported class is the majority of its matched detections. With
//! `role_switch_cost >= 1` roles are never mixed. The ball is never matched to a person.
//!
//! # Kit colour
//! When detections carry a torso colour (`Detection::torso_bgr`; the edge node measures it
//! on the box's upper body, grass pixels excluded), each track keeps a running mean of it and a
//! pair costs `kit_colour_cost · min(|Δbgr| / kit_colour_scale, 1)` more (both defaults 0.6 and
//! 80). Two players of different teams who meet and turn, or cross while one is hidden, keep
//! their own ids instead of the ones their motion predicts; a dormant track is never revived
//! by a detection a full `kit_colour_scale` away from its kit. Measured on eight generated
//! feeds at the default bitrate (seeds 7001, 7003-7009), players + goalkeepers HOTA 0.802 on
//! average without it, 0.821 with it (7006 0.770 → 0.816, 7008 0.831 → 0.876; none lower by more
//! than 0.001).

pub mod ball;

pub use ball::{BallConfig, BallFrame, BallOutput, BallState, BallTracker};

use nalgebra::{Matrix2, Point2, Vector2};
use serde::{Deserialize, Serialize};

use crate::assign::max_weight_pairs;
use crate::kalman::CvKalman;
use crate::types::{Detection, ImageBox, ObjectClass};

/// Errors of the trackers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    /// A frame's timestamp is older than the previous frame's.
    #[error("timestamp went backwards: {now_ns} ns after {last_ns} ns")]
    TimeWentBackwards {
        /// The previous frame's timestamp.
        last_ns: i64,
        /// The rejected timestamp.
        now_ns: i64,
    },
    /// A config value is out of range.
    #[error("invalid tracker config: `{field}` {reason}")]
    InvalidConfig {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Configuration of [`Tracker`]. All fields have defaults; unknown fields are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Detections at or above this score take part in stage 1 and may start tracks.
    pub high_score: f32,
    /// Detections below this score are dropped; between `low_score` and `high_score` they only
    /// take part in stage 2.
    pub low_score: f32,
    /// Minimum score for an unmatched detection to start a new (tentative) track.
    pub new_track_score: f32,
    /// Matched frames (including the first) before a tentative track is confirmed and reported.
    pub confirm_hits: u32,
    /// How long (s) a confirmed track survives without a match before it is deleted.
    pub max_lost_s: f64,
    /// Unmatched for up to this long (s), a track is reported as [`TrackState::Predicted`]; after
    /// that as [`TrackState::Lost`] until `max_lost_s`.
    pub predicted_max_s: f64,
    /// Base pitch gate (m) for a track updated in the previous frame.
    pub gate_m: f64,
    /// Growth of the pitch gate (m per second since the track's last update).
    pub gate_growth_mps: f64,
    /// Upper bound of the pitch gate (m); also the cost normaliser.
    pub max_gate_m: f64,
    /// Minimum IoU for image-space association.
    pub min_iou: f32,
    /// Gate scale for stage 2 (low-score detections), in `(0, 1]`.
    pub low_score_gate_scale: f64,
    /// Foot point measurement noise, std (m), for detections without a pixel→pitch Jacobian;
    /// with one, also the floor added in quadrature to the projected pixel noise.
    pub measurement_std_m: f64,
    /// Foot point pixel noise std as a fraction of the box height (at least
    /// `foot_std_min_px`), projected to the pitch through the detection's Jacobian:
    /// `R = J diag(σ², σ²) Jᵀ + floor² I`. 0.008 (with `foot_std_min_px` 0.18 and
    /// `measurement_floor_m` 0.015): the foot refiner, trained on the true ground position,
    /// is off by ~0.3 px across and ~0.15 px along (median) on its held-out video. Tuned on eight
    /// tuning feeds (seeds 7001, 7003-7009): players HOTA 0.863 (mean) at 0.03 / 0.5 px / 0.05 m
    /// → 0.892 at 0.012 / 0.25 / 0.05 → 0.906 here; only the ratio of this noise to
    /// `accel_std_mps2` matters much (accel 8 with 0.012 / 0.25 / 0.05 scored the same), and
    /// twice that ratio again was worse (0.900), edge-node README.
    pub foot_std_box_heights: f64,
    /// Lower bound of the foot point pixel noise std (px).
    pub foot_std_min_px: f64,
    /// Floor (m) of the measurement std when the Jacobian is known.
    pub measurement_floor_m: f64,
    /// Pitch process noise: acceleration std (m/s²).
    pub accel_std_mps2: f64,
    /// Velocity std (m/s) of a new track.
    pub initial_speed_std_mps: f64,
    /// Weight in `[0, 1)` of the box-top foot measurement. Once a track has learned its
    /// person's stature (box height over the detection's `upright_px_per_m`, a running mean), the
    /// box top plus that stature is a second estimate of the foot row, with its own independent
    /// error; the foot row used is `bottom + w · (top + stature − bottom)`. `0` uses the box
    /// bottom alone.
    pub stature_weight: f64,
    /// The box-top estimate is used only when it is within this fraction of the box height of
    /// the bottom (a crouch, a jump, raised arms or an occluded box change the box, not the
    /// person); stature samples further than this fraction from the learned stature are ignored.
    pub stature_gate_rel: f64,
    /// A detection starts a track only if its box height, in metres at its foot point (needs the
    /// detection's `upright_px_per_m`), is within `[min_birth_stature_m, max_birth_stature_m]`.
    /// A second heatmap peak on one person (upper body, torso) gives a short box whose foot
    /// point lands ~1 m behind the person; without this check it starts a duplicate track. Short
    /// boxes still continue existing tracks (a player whose feet are hidden).
    pub min_birth_stature_m: f64,
    /// Upper end of the birth stature range (two people merged into one box).
    pub max_birth_stature_m: f64,
    /// A confirmed track that goes unmatched with its position outside the camera's view (only
    /// known through [`Tracker::update_in_view`]) turns *dormant*: not reported, not associated,
    /// kept this long (s) at its last position so the person gets their id back on re-entering the
    /// picture (a panning broadcast camera). `0` disables.
    pub max_dormant_s: f64,
    /// A new high detection revives the nearest dormant track within `revive_gate_m +
    /// revive_growth_mps · t_dormant` (m), at most `revive_max_m`, of where the track went,
    /// instead of starting a track.
    pub revive_gate_m: f64,
    /// Where a dormant track went: its exit position moved on at its exit velocity (at most
    /// 8 m/s) for up to this long (s). People who run out of a panning camera's view keep running.
    pub revive_coast_s: f64,
    /// Growth of the revival radius (m/s) with the time spent dormant.
    pub revive_growth_mps: f64,
    /// Largest revival radius (m).
    pub revive_max_m: f64,
    /// Image measurement noise std, as a fraction of the box height.
    pub image_measurement_std_rel: f64,
    /// Image process noise: acceleration std in box heights per s².
    pub image_accel_std_rel: f64,
    /// Extra association cost (same scale as the normalised distance cost, `[0, 1)`) when a
    /// detection's role (player, goalkeeper, referee) differs from the track's majority role;
    /// `>= 1` forbids mixing roles.
    pub role_switch_cost: f64,
    /// Extra association cost per unit of kit-colour distance between a detection and a track
    /// (both with a torso colour; distance = Euclidean BGR distance / `kit_colour_scale`,
    /// capped at 1). Two crossing players of different teams then keep their ids. 0 turns
    /// it off.
    pub kit_colour_cost: f64,
    /// BGR distance (0-255 per channel) that counts as one unit of kit-colour distance.
    pub kit_colour_scale: f64,
    /// Votes one referee-labelled detection casts for the track's role (others cast 1). Detector
    /// role errors are lopsided: on its validation exports touchline-det calls a referee a player
    /// ~8 % of the time and a player a referee ~0.1 %, so a few referee labels outweigh many
    /// player labels.
    pub referee_vote_weight: f64,
    /// At most this many people detections (highest scores first) are used per frame; the rest
    /// are counted in [`TrackerFrame::dropped_detections`]. Bounds the assignment work.
    pub max_detections: usize,
    /// No new track starts while this many tracks (tentative, confirmed, lost) are held.
    pub max_tracks: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            high_score: 0.5,
            low_score: 0.1,
            new_track_score: 0.6,
            confirm_hits: 3,
            max_lost_s: 2.0,
            predicted_max_s: 0.5,
            gate_m: 1.5,
            gate_growth_mps: 4.0,
            max_gate_m: 6.0,
            min_iou: 0.2,
            low_score_gate_scale: 0.7,
            measurement_std_m: 0.3,
            foot_std_box_heights: 0.008,
            foot_std_min_px: 0.18,
            measurement_floor_m: 0.015,
            accel_std_mps2: 4.0,
            initial_speed_std_mps: 4.0,
            stature_weight: 0.0,
            stature_gate_rel: 0.15,
            min_birth_stature_m: 1.4,
            max_birth_stature_m: 2.6,
            max_dormant_s: 30.0,
            revive_gate_m: 2.0,
            revive_coast_s: 1.0,
            revive_growth_mps: 3.0,
            revive_max_m: 15.0,
            image_measurement_std_rel: 0.05,
            image_accel_std_rel: 2.0,
            role_switch_cost: 0.3,
            kit_colour_cost: 0.6,
            kit_colour_scale: 80.0,
            referee_vote_weight: 3.0,
            max_detections: 128,
            max_tracks: 256,
        }
    }
}

pub(crate) fn check(
    ok: bool,
    field: &'static str,
    reason: &'static str,
) -> Result<(), TrackerError> {
    if ok {
        Ok(())
    } else {
        Err(TrackerError::InvalidConfig { field, reason })
    }
}

pub(crate) fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

impl TrackerConfig {
    /// Checks ranges and orderings; [`Tracker::new`] calls it.
    pub fn validate(&self) -> Result<(), TrackerError> {
        let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        check(unit(self.low_score), "low_score", "must be in [0, 1]")?;
        check(unit(self.high_score), "high_score", "must be in [0, 1]")?;
        check(
            unit(self.new_track_score),
            "new_track_score",
            "must be in [0, 1]",
        )?;
        check(
            self.low_score <= self.high_score,
            "low_score",
            "must not exceed high_score",
        )?;
        check(
            self.new_track_score >= self.high_score,
            "new_track_score",
            "must be at least high_score",
        )?;
        check(self.confirm_hits >= 1, "confirm_hits", "must be at least 1")?;
        check(positive(self.max_lost_s), "max_lost_s", "must be positive")?;
        check(
            self.predicted_max_s.is_finite()
                && (0.0..=self.max_lost_s).contains(&self.predicted_max_s),
            "predicted_max_s",
            "must be in [0, max_lost_s]",
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
            self.min_iou.is_finite() && (0.0..1.0).contains(&self.min_iou),
            "min_iou",
            "must be in [0, 1)",
        )?;
        check(
            positive(self.low_score_gate_scale) && self.low_score_gate_scale <= 1.0,
            "low_score_gate_scale",
            "must be in (0, 1]",
        )?;
        check(
            positive(self.measurement_std_m),
            "measurement_std_m",
            "must be positive",
        )?;
        check(
            positive(self.foot_std_box_heights),
            "foot_std_box_heights",
            "must be positive",
        )?;
        check(
            positive(self.foot_std_min_px),
            "foot_std_min_px",
            "must be positive",
        )?;
        check(
            positive(self.measurement_floor_m),
            "measurement_floor_m",
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
        check(
            self.stature_weight.is_finite() && (0.0..1.0).contains(&self.stature_weight),
            "stature_weight",
            "must be in [0, 1)",
        )?;
        check(
            positive(self.stature_gate_rel),
            "stature_gate_rel",
            "must be positive",
        )?;
        check(
            self.min_birth_stature_m.is_finite() && self.min_birth_stature_m >= 0.0,
            "min_birth_stature_m",
            "must be non-negative",
        )?;
        check(
            self.max_birth_stature_m.is_finite()
                && self.max_birth_stature_m > self.min_birth_stature_m,
            "max_birth_stature_m",
            "must exceed min_birth_stature_m",
        )?;
        check(
            self.max_dormant_s.is_finite() && self.max_dormant_s >= 0.0,
            "max_dormant_s",
            "must be non-negative",
        )?;
        check(
            positive(self.revive_gate_m),
            "revive_gate_m",
            "must be positive",
        )?;
        check(
            self.revive_growth_mps.is_finite() && self.revive_growth_mps >= 0.0,
            "revive_growth_mps",
            "must be non-negative",
        )?;
        check(
            self.revive_max_m.is_finite() && self.revive_max_m >= self.revive_gate_m,
            "revive_max_m",
            "must be at least revive_gate_m",
        )?;
        check(
            positive(self.image_measurement_std_rel),
            "image_measurement_std_rel",
            "must be positive",
        )?;
        check(
            self.max_detections >= 1,
            "max_detections",
            "must be at least 1",
        )?;
        check(self.max_tracks >= 1, "max_tracks", "must be at least 1")?;
        check(
            self.kit_colour_cost.is_finite() && self.kit_colour_cost >= 0.0,
            "kit_colour_cost",
            "must be non-negative",
        )?;
        check(
            positive(self.kit_colour_scale),
            "kit_colour_scale",
            "must be positive",
        )?;
        check(
            self.role_switch_cost.is_finite() && self.role_switch_cost >= 0.0,
            "role_switch_cost",
            "must be a non-negative number",
        )?;
        check(
            positive(self.referee_vote_weight),
            "referee_vote_weight",
            "must be positive",
        )?;
        check(
            positive(self.image_accel_std_rel),
            "image_accel_std_rel",
            "must be positive",
        )?;
        Ok(())
    }
}

/// Foot point measurement covariance (m²) of a detection: pixel noise through the detection's
/// Jacobian plus a floor, or the isotropic `measurement_std_m` without a Jacobian.
fn measurement_covariance(c: &TrackerConfig, det: &Detection) -> Matrix2<f64> {
    match det.foot_jacobian_m_per_px {
        Some(j) => {
            let h = f64::from(det.image_box_px.height());
            let s = (c.foot_std_box_heights * h).max(c.foot_std_min_px);
            j * j.transpose() * (s * s) + Matrix2::identity() * (c.measurement_floor_m.powi(2))
        }
        None => Matrix2::identity() * c.measurement_std_m.powi(2),
    }
}

/// Fastest sprint (m/s) a dormant track's exit velocity is extrapolated at.
const MAX_PERSON_SPEED_MPS: f64 = 8.0;

/// Stature samples a track needs before its box top is used as a foot measurement.
const STATURE_MIN_SAMPLES: u32 = 5;
/// The stature's running mean becomes an exponential one with this weight after 1 / it samples.
const STATURE_SMOOTHING: f64 = 1.0 / 32.0;

/// A person's learned stature (box height in metres at the foot point).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Stature {
    mean_m: f64,
    samples: u32,
}

impl Stature {
    /// Folds in one detection's box height; samples far from an established mean are ignored.
    fn observe(this: &mut Option<Stature>, c: &TrackerConfig, det: &Detection) {
        let Some(sample_m) = det.box_height_m() else {
            return;
        };
        if !(sample_m.is_finite() && sample_m > 0.0) {
            return;
        }
        match this {
            None => {
                *this = Some(Stature {
                    mean_m: sample_m,
                    samples: 1,
                })
            }
            Some(s) => {
                let established = s.samples >= STATURE_MIN_SAMPLES;
                if established && (sample_m - s.mean_m).abs() > c.stature_gate_rel * s.mean_m {
                    return;
                }
                s.samples = s.samples.saturating_add(1);
                let a = (1.0 / f64::from(s.samples)).max(STATURE_SMOOTHING);
                s.mean_m += a * (sample_m - s.mean_m);
            }
        }
    }
}

/// The detection's foot point (pitch m), moved towards the box-top estimate (top + the track's
/// learned stature) by `stature_weight`; the box-bottom foot point when the stature is not yet
/// known, the camera geometry is missing, or the two estimates disagree by more than the gate.
fn stature_aided_foot(
    c: &TrackerConfig,
    stature: Option<Stature>,
    det: &Detection,
    foot: Point2<f64>,
) -> Point2<f64> {
    let (Some(s), Some(j), Some(px_per_m)) = (
        stature.filter(|s| s.samples >= STATURE_MIN_SAMPLES),
        det.foot_jacobian_m_per_px,
        det.upright_px_per_m,
    ) else {
        return foot;
    };
    let b = &det.image_box_px;
    let height_px = f64::from(b.height());
    let bottom_from_top_px = f64::from(b.y1) + s.mean_m * px_per_m;
    let disagreement_px = bottom_from_top_px - f64::from(b.y2);
    if c.stature_weight == 0.0 || disagreement_px.abs() > c.stature_gate_rel * height_px {
        return foot;
    }
    foot + j * Vector2::new(0.0, c.stature_weight * disagreement_px)
}

/// New pitch (when the detection has a foot point) and image filters started at `det`.
fn fresh_filters(c: &TrackerConfig, det: &Detection) -> (Option<CvKalman>, CvKalman) {
    let h = f64::from(det.image_box_px.height());
    let pitch = det
        .foot_pitch_m
        .map(|foot| CvKalman::new(foot, c.measurement_std_m, c.initial_speed_std_mps));
    let image = CvKalman::new(
        box_center(&det.image_box_px),
        c.image_measurement_std_rel * h,
        h,
    );
    (pitch, image)
}

/// Whether a detection's box is a whole upright person at its foot point (always true when the
/// camera's upright scale is unknown).
fn plausible_birth_stature(c: &TrackerConfig, det: &Detection) -> bool {
    det.box_height_m()
        .is_none_or(|m| (c.min_birth_stature_m..=c.max_birth_stature_m).contains(&m))
}

/// Reported state of a track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackState {
    /// Matched to a detection in this frame; position is the filtered estimate.
    Confirmed,
    /// Not matched in this frame, unseen for at most `predicted_max_s`: position is the Kalman
    /// prediction.
    Predicted,
    /// Unseen for longer than `predicted_max_s` (kept until `max_lost_s` so the id survives an
    /// occlusion); position is an increasingly uncertain prediction.
    Lost,
}

/// One reported track in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackOutput {
    /// Stable id, unique for the tracker's lifetime, starting at 1.
    pub track_id: u32,
    /// Majority class of the matched detections.
    pub class: ObjectClass,
    /// Confirmed, predicted or lost.
    pub state: TrackState,
    /// Ground position in pitch metres (`None` if the track never had a foot point).
    pub pitch_m: Option<Point2<f64>>,
    /// Ground velocity in m/s (`None` if the track never had a foot point).
    pub velocity_mps: Option<Vector2<f64>>,
    /// Box in image pixels (filtered, or predicted when unmatched).
    pub image_box_px: ImageBox,
    /// Score of the last matched detection.
    pub score: f32,
    /// Matched frames so far.
    pub hits: u32,
    /// Match-clock time of the last matched detection.
    pub last_seen_ns: i64,
}

/// The result of one [`Tracker::update`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackerFrame {
    /// The frame's match-clock time.
    pub now_ns: i64,
    /// Confirmed tracks (tentative ones are not reported), by ascending id.
    pub tracks: Vec<TrackOutput>,
    /// Detections ignored for non-finite values or empty boxes.
    pub rejected_detections: u32,
    /// Valid detections ignored because the frame had more than `max_detections`.
    pub dropped_detections: u32,
}

/// Box size smoothing: new size = (1 − a) · old + a · measured.
const SIZE_SMOOTHING: f64 = 0.5;

#[derive(Clone, Debug)]
struct Track {
    id: u32,
    class_hits: [u32; 4],
    class: ObjectClass,
    pitch: Option<CvKalman>,
    image: CvKalman,
    size_px: (f64, f64),
    stature: Option<Stature>,
    /// Running mean torso colour (BGR) of the matched detections that carried one.
    kit_bgr: Option<[f64; 3]>,
    hits: u32,
    confirmed: bool,
    last_update_ns: i64,
    score: f32,
    matched: bool,
    matched_prev: bool,
}

impl Track {
    fn predicted_box(&self) -> ImageBox {
        let c = self.image.position();
        ImageBox::from_center_size(
            c.x as f32,
            c.y as f32,
            self.size_px.0 as f32,
            self.size_px.1 as f32,
        )
    }
}

/// Weight of a new torso colour in a track's running mean.
const KIT_SMOOTHING: f64 = 0.1;

fn box_center(b: &ImageBox) -> Point2<f64> {
    let (cx, cy) = b.center();
    Point2::new(f64::from(cx), f64::from(cy))
}

fn seconds(ns: i64) -> f64 {
    ns as f64 * 1e-9
}

/// ByteTrack-class multi-object tracker; see the [module docs](self) for the algorithm.
///
/// Sans-IO: [`Tracker::update`] takes the frame's match-clock time and its detections and returns
/// the tracks; nothing else moves the state.
#[derive(Clone, Debug)]
pub struct Tracker {
    config: TrackerConfig,
    tracks: Vec<Track>,
    /// Tracks that left the camera's view, with when (ns); where is their (no longer updated)
    /// pitch filter's position.
    dormant: Vec<(Track, i64)>,
    next_id: u32,
    last_now_ns: Option<i64>,
}

impl Tracker {
    /// A tracker with a validated config.
    pub fn new(config: TrackerConfig) -> Result<Self, TrackerError> {
        config.validate()?;
        Ok(Tracker {
            config,
            tracks: Vec::new(),
            dormant: Vec::new(),
            next_id: 1,
            last_now_ns: None,
        })
    }

    /// The config in use.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Tracks held, including tentative and lost ones.
    pub fn live_tracks(&self) -> usize {
        self.tracks.len()
    }

    /// Forgets all tracks and the clock; ids keep counting up.
    pub fn reset(&mut self) {
        self.tracks.clear();
        self.dormant.clear();
        self.last_now_ns = None;
    }

    /// Extra cost of associating a detection of class `b` with a track of class `a`; `None`
    /// when never allowed.
    fn class_cost(&self, a: ObjectClass, b: ObjectClass) -> Option<f64> {
        if a == b {
            Some(0.0)
        } else if a == ObjectClass::Ball
            || b == ObjectClass::Ball
            || self.config.role_switch_cost >= 1.0
        {
            None
        } else {
            Some(self.config.role_switch_cost)
        }
    }

    /// Kit-colour distance of a detection from a track in `[0, 1]` (1: `kit_colour_scale` or
    /// more apart); `None` when either lacks a colour or the kit-colour cost is off.
    fn kit_distance(&self, track: &Track, det: &Detection) -> Option<f64> {
        let c = &self.config;
        if c.kit_colour_cost <= 0.0 {
            return None;
        }
        let (m, k) = track.kit_bgr.zip(det.torso_bgr)?;
        let d2: f64 = (0..3).map(|i| (m[i] - f64::from(k[i])).powi(2)).sum();
        Some((d2.sqrt() / c.kit_colour_scale).min(1.0))
    }

    /// Association cost in `[0, 1)`, or `None` when the pair is gated out.
    fn cost(&self, track: &Track, det: &Detection, now_ns: i64, gate_scale: f64) -> Option<f64> {
        let c = &self.config;
        let kit = self
            .kit_distance(track, det)
            .map_or(0.0, |d| c.kit_colour_cost * d);
        let extra = self.class_cost(track.class, det.class)? + kit;
        match (&track.pitch, &det.foot_pitch_m) {
            (Some(kf), Some(foot)) => {
                let unseen_s = seconds(now_ns.saturating_sub(track.last_update_ns)).max(0.0);
                let gate = (c.gate_m + c.gate_growth_mps * unseen_s).min(c.max_gate_m) * gate_scale;
                let d = (kf.position() - foot).norm();
                let cost = d / c.max_gate_m + extra;
                (d < gate && cost < 1.0).then_some(cost)
            }
            _ => {
                let iou = f64::from(track.predicted_box().iou(&det.image_box_px));
                let max_cost = (1.0 - f64::from(c.min_iou)) * gate_scale;
                let cost = 1.0 - iou;
                (cost < max_cost && cost + extra < 1.0).then_some(cost + extra)
            }
        }
    }

    /// Matches `dets` (indices into `all`) to `tracks` (indices into `self.tracks`); returns
    /// `(track index, detection index)` pairs.
    fn associate(
        &self,
        track_idx: &[usize],
        det_idx: &[usize],
        all: &[Detection],
        now_ns: i64,
        gate_scale: f64,
    ) -> Vec<(usize, usize)> {
        if track_idx.is_empty() || det_idx.is_empty() {
            return Vec::new();
        }
        let mut weights = Vec::with_capacity(track_idx.len() * det_idx.len());
        for &t in track_idx {
            for &d in det_idx {
                let w = self
                    .cost(&self.tracks[t], &all[d], now_ns, gate_scale)
                    .map_or(0.0, |cost| 1.0 - cost);
                weights.push(w);
            }
        }
        max_weight_pairs(track_idx.len(), det_idx.len(), &weights)
            .into_iter()
            .map(|(r, c)| (track_idx[r], det_idx[c]))
            .collect()
    }

    fn apply_match(&mut self, t: usize, det: &Detection, now_ns: i64) {
        let c = &self.config;
        let track = &mut self.tracks[t];
        track.class_hits[det.class.index()] += 1;
        let referee_weight = c.referee_vote_weight;
        let votes = |k: ObjectClass| {
            let w = if k == ObjectClass::Referee {
                referee_weight
            } else {
                1.0
            };
            f64::from(track.class_hits[k.index()]) * w
        };
        let best = ObjectClass::ALL.iter().copied().max_by(|a, b| {
            votes(*a)
                .total_cmp(&votes(*b))
                .then((*a == track.class).cmp(&(*b == track.class)))
        });
        if let Some(best) = best {
            track.class = best;
        }
        if let Some(foot) = det.foot_pitch_m {
            let foot = stature_aided_foot(c, track.stature, det, foot);
            match &mut track.pitch {
                Some(kf) => {
                    kf.update_with_covariance(&foot, &measurement_covariance(c, det));
                }
                None => {
                    track.pitch = Some(CvKalman::new(
                        foot,
                        c.measurement_std_m,
                        c.initial_speed_std_mps,
                    ));
                }
            }
        }
        Stature::observe(&mut track.stature, c, det);
        if let Some(k) = det.torso_bgr {
            let k = k.map(f64::from);
            track.kit_bgr = Some(match track.kit_bgr {
                Some(m) => [0, 1, 2].map(|i| m[i] + KIT_SMOOTHING * (k[i] - m[i])),
                None => k,
            });
        }
        let h = f64::from(det.image_box_px.height());
        let w = f64::from(det.image_box_px.width());
        track.image.update(
            &box_center(&det.image_box_px),
            c.image_measurement_std_rel * h,
        );
        track.size_px = (
            (1.0 - SIZE_SMOOTHING) * track.size_px.0 + SIZE_SMOOTHING * w,
            (1.0 - SIZE_SMOOTHING) * track.size_px.1 + SIZE_SMOOTHING * h,
        );
        track.hits = track.hits.saturating_add(1);
        if track.hits >= c.confirm_hits {
            track.confirmed = true;
        }
        track.last_update_ns = now_ns;
        track.score = det.score;
        track.matched = true;
    }

    /// Gives `det` the id of the nearest dormant track within its revival radius; false when
    /// there is none.
    fn revive(&mut self, det: &Detection, now_ns: i64) -> bool {
        let Some(foot) = det.foot_pitch_m else {
            return false;
        };
        let c = &self.config;
        let best = self
            .dormant
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| self.class_cost(t.class, det.class).is_some())
            // Never into another team's kit.
            .filter(|(_, (t, _))| self.kit_distance(t, det).is_none_or(|d| d < 1.0))
            .filter_map(|(i, (t, since))| {
                let kf = t.pitch.as_ref()?;
                let t_s = seconds(now_ns.saturating_sub(*since)).max(0.0);
                let radius = (c.revive_gate_m + c.revive_growth_mps * t_s).min(c.revive_max_m);
                // Where the person went: on at the exit velocity (capped at a sprint) for up to
                // `revive_coast_s`.
                let v = kf.velocity().cap_magnitude(MAX_PERSON_SPEED_MPS);
                let centre = kf.position() + v * t_s.min(c.revive_coast_s);
                Some((i, (centre - foot).norm(), radius))
            })
            .filter(|(_, d, r)| d < r)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let Some((i, _, _)) = best else {
            return false;
        };
        let (pitch, image) = fresh_filters(c, det);
        let (mut track, _) = self.dormant.swap_remove(i);
        track.pitch = pitch;
        track.image = image;
        // Back in its place: `tracks` stays in ascending id order.
        let t = self.tracks.partition_point(|other| other.id < track.id);
        self.tracks.insert(t, track);
        self.apply_match(t, det, now_ns);
        true
    }

    fn start_track(&mut self, det: &Detection, now_ns: i64) {
        let c = &self.config;
        let h = f64::from(det.image_box_px.height());
        let w = f64::from(det.image_box_px.width());
        let mut class_hits = [0; 4];
        class_hits[det.class.index()] = 1;
        let (pitch, image) = fresh_filters(c, det);
        let track = Track {
            id: self.next_id,
            class_hits,
            class: det.class,
            pitch,
            image,
            size_px: (w, h),
            stature: {
                let mut stature = None;
                Stature::observe(&mut stature, c, det);
                stature
            },
            kit_bgr: det.torso_bgr.map(|k| k.map(f64::from)),
            hits: 1,
            confirmed: c.confirm_hits <= 1,
            last_update_ns: now_ns,
            score: det.score,
            matched: true,
            matched_prev: false,
        };
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.tracks.push(track);
    }

    /// Advances to `now_ns` (match clock, ns) and associates this frame's detections.
    ///
    /// Errors only if `now_ns` is older than the previous call's (the state is then unchanged).
    /// Equal timestamps are allowed (no prediction happens).
    pub fn update(
        &mut self,
        now_ns: i64,
        detections: &[Detection],
    ) -> Result<TrackerFrame, TrackerError> {
        self.update_in_view(now_ns, detections, &|_| true)
    }

    /// [`Tracker::update`] for a camera whose view is known: `in_view(pitch_m)` says whether a
    /// ground point is inside the picture. Unmatched tracks outside it turn dormant (see
    /// `max_dormant_s`).
    pub fn update_in_view(
        &mut self,
        now_ns: i64,
        detections: &[Detection],
        in_view: &dyn Fn(&Point2<f64>) -> bool,
    ) -> Result<TrackerFrame, TrackerError> {
        if let Some(last_ns) = self.last_now_ns {
            if now_ns < last_ns {
                return Err(TrackerError::TimeWentBackwards { last_ns, now_ns });
            }
        }
        let dt_s = self
            .last_now_ns
            .map_or(0.0, |last| seconds(now_ns.saturating_sub(last)));
        self.last_now_ns = Some(now_ns);

        let c = self.config.clone();
        for track in &mut self.tracks {
            if let Some(kf) = &mut track.pitch {
                kf.predict(dt_s, c.accel_std_mps2);
            }
            track
                .image
                .predict(dt_s, c.image_accel_std_rel * track.size_px.1);
            track.matched_prev = track.matched;
            track.matched = false;
        }

        let mut rejected = 0u32;
        let mut usable: Vec<usize> = Vec::with_capacity(detections.len());
        for (i, det) in detections.iter().enumerate() {
            if !det.is_valid() {
                rejected = rejected.saturating_add(1);
            } else if det.class != ObjectClass::Ball && det.score >= c.low_score {
                usable.push(i);
            }
        }
        // Bounded work per frame: keep the `max_detections` highest scores (stable on ties).
        let mut dropped = 0u32;
        if usable.len() > c.max_detections {
            usable.sort_by(|&a, &b| detections[b].score.total_cmp(&detections[a].score));
            dropped = u32::try_from(usable.len() - c.max_detections).unwrap_or(u32::MAX);
            usable.truncate(c.max_detections);
            usable.sort_unstable();
        }
        let (high, low): (Vec<usize>, Vec<usize>) = usable
            .into_iter()
            .partition(|&i| detections[i].score >= c.high_score);

        // Stage 1: high detections vs confirmed tracks (tracked or lost).
        let confirmed: Vec<usize> = (0..self.tracks.len())
            .filter(|&t| self.tracks[t].confirmed)
            .collect();
        let pairs = self.associate(&confirmed, &high, detections, now_ns, 1.0);
        let mut det_used = vec![false; detections.len()];
        for &(t, d) in &pairs {
            self.apply_match(t, &detections[d], now_ns);
            det_used[d] = true;
        }

        // Stage 2: low detections vs confirmed tracks tracked in the previous frame.
        let remaining: Vec<usize> = confirmed
            .iter()
            .copied()
            .filter(|&t| !self.tracks[t].matched && self.tracks[t].matched_prev)
            .collect();
        let pairs = self.associate(&remaining, &low, detections, now_ns, c.low_score_gate_scale);
        for &(t, d) in &pairs {
            self.apply_match(t, &detections[d], now_ns);
        }

        // Stage 3: remaining high detections vs tentative tracks.
        let tentative: Vec<usize> = (0..self.tracks.len())
            .filter(|&t| !self.tracks[t].confirmed)
            .collect();
        let high_left: Vec<usize> = high.iter().copied().filter(|&d| !det_used[d]).collect();
        let pairs = self.associate(&tentative, &high_left, detections, now_ns, 1.0);
        for &(t, d) in &pairs {
            self.apply_match(t, &detections[d], now_ns);
            det_used[d] = true;
        }

        // Dormancy: confirmed, unmatched tracks whose position left the view. Order-preserving
        // removal keeps `tracks` in ascending id order.
        if c.max_dormant_s > 0.0 {
            let left = self.tracks.extract_if(.., |t| {
                t.confirmed
                    && !t.matched
                    && t.pitch.as_ref().is_some_and(|kf| !in_view(&kf.position()))
            });
            self.dormant.extend(left.map(|t| (t, now_ns)));
            let max_dormant_ns = (c.max_dormant_s * 1e9) as i64;
            self.dormant
                .retain(|(_, since)| now_ns.saturating_sub(*since) <= max_dormant_ns);
            // Bounded memory: the oldest dormant tracks go first.
            if self.dormant.len() > c.max_tracks {
                self.dormant
                    .sort_by_key(|(_, since)| std::cmp::Reverse(*since));
                self.dormant.truncate(c.max_tracks);
            }
        }

        // Lifecycle: drop unmatched tentative tracks and confirmed ones unseen for too long.
        let max_lost_ns = (c.max_lost_s * 1e9) as i64;
        self.tracks.retain(|t| {
            if t.matched {
                true
            } else if !t.confirmed {
                false
            } else {
                now_ns.saturating_sub(t.last_update_ns) <= max_lost_ns
            }
        });

        // Births, up to `max_tracks` live tracks.
        for &d in &high {
            if self.tracks.len() >= c.max_tracks {
                break;
            }
            if !det_used[d]
                && detections[d].score >= c.new_track_score
                && plausible_birth_stature(&c, &detections[d])
                && !self.revive(&detections[d], now_ns)
            {
                self.start_track(&detections[d], now_ns);
            }
        }

        let predicted_max_ns = (c.predicted_max_s * 1e9) as i64;
        let tracks = self
            .tracks
            .iter()
            .filter(|t| t.confirmed)
            .map(|t| {
                let state = if t.matched {
                    TrackState::Confirmed
                } else if now_ns.saturating_sub(t.last_update_ns) <= predicted_max_ns {
                    TrackState::Predicted
                } else {
                    TrackState::Lost
                };
                TrackOutput {
                    track_id: t.id,
                    class: t.class,
                    state,
                    pitch_m: t.pitch.as_ref().map(CvKalman::position),
                    velocity_mps: t.pitch.as_ref().map(CvKalman::velocity),
                    image_box_px: t.predicted_box(),
                    score: t.score,
                    hits: t.hits,
                    last_seen_ns: t.last_update_ns,
                }
            })
            .collect();
        Ok(TrackerFrame {
            now_ns,
            tracks,
            rejected_detections: rejected,
            dropped_detections: dropped,
        })
    }
}

#[cfg(test)]
mod tests;
