//! Multi-hypothesis ball tracker in pitch metres.
//!
//! Pure and deterministic: time comes only from the `now_ns` argument (match clock); the same
//! sequence of calls gives the same outputs.
//!
//! **Hypotheses.** Up to `max_hypotheses` ball hypotheses are kept, each a constant-velocity Kalman
//! filter on the ground plane (`x, y`; height is ignored) with an id, its birth time and position,
//! the time of its last update, a hit count, an *evidence* value and a *moved* flag. Evidence is an
//! exponentially decayed sum of matched detection scores: every frame it is multiplied by
//! `exp(-dt / evidence_tau_s)`, and a matched detection adds its score. The hypothesis has *moved*
//! once its filtered position after an update is `static_radius_m` or more from its birth position
//! (the flag stays set).
//!
//! **Each frame** (`dt` = time since the previous frame):
//! 1. Candidates are the valid `Ball` detections with a foot point and `score >= min_score`.
//! 2. Every hypothesis is predicted and its evidence decays. In total a filter is predicted for at
//!    most `T = min(max_coast_s, max_coast_m / |v|)` seconds after its last update (`v`: its
//!    velocity after that update); after that the prediction is frozen (reported with zero
//!    velocity), so a bridged ball never coasts more than `max_coast_m` from its last update.
//! 3. Association: a hypothesis may take a candidate within its gate
//!    `min(gate_m + gate_growth_mps · t_unseen, max_gate_m)` (Euclidean, around its prediction).
//!    The pairs maximise `Σ 1 + 1 / (1 + d²)` (Hungarian, [`crate::assign::max_weight_pairs`];
//!    `d²` the squared Mahalanobis distance): as many pairs as possible, then the closest ones.
//!    Matched hypotheses are updated (Kalman update, hit count, evidence, moved flag, box, score;
//!    the coasting budget `T` restarts).
//! 4. Hypotheses unseen for longer than `max_bridge_s` are dropped.
//! 5. Births: unmatched candidates with `score >= init_score`, best score first, that are not within
//!    `birth_exclusion_m` of an existing hypothesis start a new hypothesis (new id, one hit,
//!    evidence = its score). When all `max_hypotheses` slots are taken, the weakest hypothesis other
//!    than the reported one (lowest tier, then lowest evidence; see 6) is evicted if it is static,
//!    or undetermined with evidence below the candidate's score; otherwise the candidate is skipped.
//! 6. Reporting. Each hypothesis has a *tier*: **moving** (2) if it has moved; else **static** (0)
//!    once it is at least `static_min_age_s` old (a painted spot, or a ball at rest); else
//!    **undetermined** (1). Hypotheses rank by tier, then evidence (ties: lower id). The hypothesis
//!    reported in the previous frame (the incumbent) stays reported unless another hypothesis
//!    observed in this frame may take over; then the best-ranked of those is reported. A hypothesis
//!    may take over when it has at least `min_switch_hits` hits and, the incumbent also being
//!    observed in this frame, more than `dominance_ratio` times its evidence, whatever the tiers;
//!    or when it is moving with at least `min_switch_hits` hits, the incumbent is of a lower tier
//!    and the incumbent's evidence is at most `dominance_ratio` times its own; or, if the incumbent
//!    was observed in this frame, when it is of the incumbent's tier with evidence above
//!    `switch_ratio` times the incumbent's; or, if the incumbent was not observed in this frame
//!    (bridged), when its tier is at least the incumbent's and its evidence above the incumbent's,
//!    or when it is the incumbent's *successor* (born within `max_gate_m` of the then-reported
//!    incumbent's prediction) with at least `min_switch_hits` hits, whatever its tier, or when it
//!    is not static, was born after the incumbent was last seen (or, with
//!    `fresh_after_one_sighting`, saw it seen at most once since its birth) and has
//!    `fresh_takeover_hits` hits (at least `min_switch_hits`; 0 turns this off), or, once the incumbent has been unobserved
//!    for longer than `max_report_s` (it is no longer reported) and `stale_incumbent_yields` is
//!    set, when it has at least `min_switch_hits` hits, whatever its tier. Without an incumbent
//!    (none yet, or it was dropped) the best-ranked hypothesis is reported. So a painted spot loses
//!    to a moving ball seen in this frame, a ball at rest seen in every frame is not lost to a boot
//!    seen now and then, a ball at rest alone is still reported, and the reported `track_id` does
//!    not flicker between hypotheses.
//!
//! The reported ball is [`BallState::Observed`] when its hypothesis was updated in this frame,
//! otherwise [`BallState::Predicted`] (bridged on its prediction), and only up to `max_report_s`
//! after its last detection and once it has `min_bridge_hits` hits: otherwise the frame reports
//! no ball while the hypothesis lives on (a false detection seen once is not bridged).

use nalgebra::{Matrix2, Point2, Vector2};
use serde::{Deserialize, Serialize};

use super::{check, positive, seconds, TrackerError};
use crate::assign::max_weight_pairs;
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
    /// How long (s) a hypothesis is kept (and the ball bridged on its prediction) without a
    /// detection.
    pub max_bridge_s: f64,
    /// Measurement noise std (m), isotropic. Only its ratio to `accel_std_mps2` matters much:
    /// 0.08 follows the verified ball's ground point closely (a lofted ball's ray ground point
    /// moves up to 1.7 m a frame and the filter lagged it by a metre at 0.3). Swept on eight
    /// tuning feeds (seeds 7001, 7003-7009), tracked ball TP / FP / FN: 0.5 3653 / 434 / 483,
    /// 0.3 3738 / 345 / 398, 0.15 3767 / 315 / 369, 0.08 3786 / 297 / 350, 0.04 3784 / 305 /
    /// 352, 0.02 3775 / 317 / 361 (edge-node README).
    pub measurement_std_m: f64,
    /// Image noise std (px) of the ball's ground point, added to the measurement covariance
    /// through the detection's pixel→pitch Jacobian (a pixel spans metres along the view ray on
    /// the far side); 0 (the default) leaves the isotropic `measurement_std_m` alone. 1 px lost
    /// 61 of 4838 tracked-ball TP on the tuning matches (edge-core README).
    pub pixel_std_px: f64,
    /// Process noise: acceleration std (m/s²). Kicks change a ball's velocity abruptly, and the
    /// ground point under a lofted ball (what one camera measures) decelerates at tens of m/s²
    /// as the ball climbs: 40 m/s² follows both (20 overshot lofted balls by over a metre).
    pub accel_std_mps2: f64,
    /// Velocity std (m/s) of a new ball hypothesis.
    pub initial_speed_std_mps: f64,
    /// Most ball hypotheses kept at once.
    pub max_hypotheses: usize,
    /// Time constant (s) of the exponential decay of a hypothesis' evidence.
    pub evidence_tau_s: f64,
    /// A hypothesis has moved once it got this far (m) from its birth position; painted spots
    /// jitter by up to ~2 m (nearby markings merge into one hypothesis).
    pub static_radius_m: f64,
    /// A hypothesis that has not moved is static from this age (s) on.
    pub static_min_age_s: f64,
    /// Hits a hypothesis needs before it may replace the reported one (see the module docs for
    /// when). Measured on eight tuning feeds (seeds 7001, 7003-7009): 3 → 2 gave 28 more true
    /// and 12 fewer false ball frames in 4640 (the new ball after a kick or deflection is
    /// reported a frame earlier); 1 gave 11 more true and 9 more false frames than 2.
    pub min_switch_hits: u32,
    /// A reported hypothesis unobserved for longer than `max_report_s` (so no longer reported)
    /// yields to any observed hypothesis with `min_switch_hits` hits, whatever their tiers.
    /// Without it, a moving false positive that was reported and then vanished keeps a
    /// verified ball at rest (a kick-off, a free kick) unreported until it is dropped
    /// (`max_bridge_s`). Measured on eight generated feeds at the default bitrate (seeds
    /// 7001, 7003-7009): ball recall +0.01 to +0.025 on five, unchanged on three; precision
    /// −0.02 on one (7004).
    pub stale_incumbent_yields: bool,
    /// A reported hypothesis that is not seen in this frame yields to a non-static hypothesis
    /// born after it was last seen and seen this many times since (0 = never): the ball is
    /// somewhere else now (a restart after a goal, a cut). Below `min_switch_hits` counts as
    /// `min_switch_hits`. Without it the old ball, bridged in the net, is reported for half a
    /// second while the restart ball is seen on the centre spot. Measured at 3 on eight tuning
    /// feeds (seeds 7001, 7003-7009): 9 more true and 3 more false ball frames in 4640 (6 was
    /// worse); held out, 8204 ball P / R 0.976 / 0.976 → 0.996 / 0.996, the demo 0.837 / 0.818
    /// → 0.848 / 0.828, eight others unchanged.
    pub fresh_takeover_hits: u32,
    /// A challenger replaces an observed reported hypothesis only with this many times its quality
    /// (at least 1).
    pub switch_ratio: f64,
    /// Tiers decide only between hypotheses whose evidence is within this factor (at least 1;
    /// `inf` = tiers always decide): a hypothesis seen in this frame with `min_switch_hits` hits
    /// and this many times the reported one's evidence takes over whatever the tiers, and a
    /// moving one does not take over a reported one with this many times its own evidence.
    /// Without it, a boot or sock seen now and then while walking (moving, weak evidence)
    /// outranks a ball at rest seen in every frame (a kick-off, a free kick). Measured at 4: the
    /// demo's ball P / R 0.797 / 0.778 → 0.837 / 0.818 (two kick-offs); unchanged (within
    /// 0.001) on eight tuning feeds (seeds 7001, 7003-7009) and nine held-out ones.
    pub dominance_ratio: f64,
    /// The fresh-takeover rule (`fresh_takeover_hits`) also holds for a hypothesis born before
    /// the reported one was last seen, when that was its only sighting since: one stray
    /// detection of the old ball in the net must not keep the restart ball out. Measured on 26
    /// generated feeds: only the demo changed (two restarts after goals), tracked-ball TP / FP
    /// / FN 757 / 73 / 123 → 774 / 65 / 106.
    pub fresh_after_one_sighting: bool,
    /// Longest prediction (s) after the last update; then the prediction is frozen.
    pub max_coast_s: f64,
    /// Farthest (m) a prediction coasts from the last update.
    pub max_coast_m: f64,
    /// Unmatched candidates this close (m) to a hypothesis start no new one.
    pub birth_exclusion_m: f64,
    /// A bridged ball is reported for at most this long (s) after its last detection; after
    /// that the hypothesis is kept (for re-association and as the incumbent) but the frame
    /// reports no ball. Measured on six generated feeds, bridged positions older than 0.5 s
    /// were more than 1 m off in 315 of 331 frames.
    pub max_report_s: f64,
    /// Hits a hypothesis needs before it is reported while unobserved (bridged); 1 bridges
    /// every hypothesis. A false detection seen once is then reported in that frame only,
    /// not for `max_report_s` after it. Measured on 26 generated feeds (`edge-node eval`,
    /// default bitrate), tracked-ball TP / FP / FN 1 → 2: eight tuning matches (seeds 7001,
    /// 7003-7009) 4082 / 525 / 558 → 4082 / 465 / 558; nine held-out ones 4838 / 220 / 245 →
    /// 4838 / 203 / 245; eight fresh side and goal camera matches (8301-8308) 4553 / 348 / 620
    /// → 4549 / 311 / 624. 3 removed 12 and 19 more FP on the tuning and fresh sets for 3 and 2
    /// TP.
    pub min_bridge_hits: u32,
}

impl Default for BallConfig {
    fn default() -> Self {
        BallConfig {
            min_score: 0.1,
            init_score: 0.3,
            gate_m: 2.0,
            gate_growth_mps: 10.0,
            max_gate_m: 6.0,
            max_bridge_s: 1.0,
            measurement_std_m: 0.08,
            pixel_std_px: 0.0,
            accel_std_mps2: 40.0,
            initial_speed_std_mps: 10.0,
            max_hypotheses: 6,
            evidence_tau_s: 0.5,
            static_radius_m: 2.5,
            static_min_age_s: 2.0,
            min_switch_hits: 2,
            stale_incumbent_yields: true,
            fresh_takeover_hits: 3,
            switch_ratio: 2.0,
            dominance_ratio: 4.0,
            fresh_after_one_sighting: true,
            max_coast_s: 0.5,
            max_coast_m: 5.0,
            birth_exclusion_m: 1.0,
            max_report_s: 0.5,
            min_bridge_hits: 2,
        }
    }
}

impl BallConfig {
    /// Checks ranges; [`BallTracker::new`] calls it.
    pub fn validate(&self) -> Result<(), TrackerError> {
        let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        check(unit(self.min_score), "min_score", "must be in [0, 1]")?;
        check(
            unit(self.init_score) && self.init_score >= self.min_score,
            "init_score",
            "must be in [min_score, 1]",
        )?;
        check(positive(self.gate_m), "gate_m", "must be positive")?;
        check(
            non_negative(self.gate_growth_mps),
            "gate_growth_mps",
            "must be non-negative",
        )?;
        check(
            positive(self.max_gate_m) && self.max_gate_m >= self.gate_m,
            "max_gate_m",
            "must be at least gate_m",
        )?;
        check(
            non_negative(self.max_bridge_s),
            "max_bridge_s",
            "must be non-negative",
        )?;
        check(
            positive(self.measurement_std_m),
            "measurement_std_m",
            "must be positive",
        )?;
        check(
            non_negative(self.pixel_std_px),
            "pixel_std_px",
            "must be non-negative",
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
            (1..=64).contains(&self.max_hypotheses),
            "max_hypotheses",
            "must be in [1, 64]",
        )?;
        check(
            positive(self.evidence_tau_s),
            "evidence_tau_s",
            "must be positive",
        )?;
        check(
            non_negative(self.static_radius_m),
            "static_radius_m",
            "must be non-negative",
        )?;
        check(
            non_negative(self.static_min_age_s),
            "static_min_age_s",
            "must be non-negative",
        )?;
        check(
            self.min_switch_hits >= 1,
            "min_switch_hits",
            "must be at least 1",
        )?;
        check(
            self.switch_ratio.is_finite() && self.switch_ratio >= 1.0,
            "switch_ratio",
            "must be at least 1",
        )?;
        check(
            self.dominance_ratio >= 1.0,
            "dominance_ratio",
            "must be at least 1 (inf to turn it off)",
        )?;
        check(
            non_negative(self.max_coast_s),
            "max_coast_s",
            "must be non-negative",
        )?;
        check(
            non_negative(self.max_coast_m),
            "max_coast_m",
            "must be non-negative",
        )?;
        check(
            non_negative(self.birth_exclusion_m),
            "birth_exclusion_m",
            "must be non-negative",
        )?;
        check(
            non_negative(self.max_report_s),
            "max_report_s",
            "must be non-negative",
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
    /// Id of the reported ball hypothesis; it changes when another hypothesis is reported.
    pub track_id: u32,
    /// Observed or predicted.
    pub state: BallState,
    /// Ground position (m).
    pub pitch_m: Point2<f64>,
    /// Ground velocity (m/s); zero once a bridged prediction is frozen.
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
struct Hypothesis {
    id: u32,
    kf: CvKalman,
    birth_ns: i64,
    birth_pos: Point2<f64>,
    /// Whether a filtered position after an update was `static_radius_m` or more from `birth_pos`.
    moved: bool,
    last_update_ns: i64,
    hits: u32,
    evidence: f64,
    /// Prediction time (s) spent since the last update.
    coasted_s: f64,
    /// Prediction time (s) allowed after the last update.
    coast_limit_s: f64,
    score: f32,
    image_box_px: ImageBox,
    observed: bool,
    /// The hypothesis that was reported when this one was born within `max_gate_m` of it.
    successor_of: Option<u32>,
    /// The hypothesis reported when this one was born, and its hit count then.
    incumbent_at_birth: Option<(u32, u32)>,
}

impl Hypothesis {
    /// 2: moving, 1: undetermined, 0: static (see the module docs).
    fn tier(&self, now_ns: i64, c: &BallConfig) -> u8 {
        if self.moved {
            2
        } else if seconds(now_ns.saturating_sub(self.birth_ns)) >= c.static_min_age_s {
            0
        } else {
            1
        }
    }

    /// Ranking key: tier, then evidence.
    fn quality(&self, now_ns: i64, c: &BallConfig) -> (u8, f64) {
        (self.tier(now_ns, c), self.evidence)
    }

    /// Unobserved and no longer predicted.
    fn frozen(&self) -> bool {
        !self.observed && self.coasted_s >= self.coast_limit_s
    }
}

/// Ground-point measurement covariance (m²): isotropic `measurement_std_m`, plus `pixel_std_px`
/// through the detection's pixel→pitch Jacobian when it has one.
fn measurement_covariance(c: &BallConfig, det: &Detection) -> Matrix2<f64> {
    let iso = Matrix2::identity() * c.measurement_std_m.powi(2);
    match det.foot_jacobian_m_per_px {
        Some(j) if c.pixel_std_px > 0.0 => iso + j * j.transpose() * c.pixel_std_px.powi(2),
        _ => iso,
    }
}

/// The hypothesis with id `reported`, if it is still kept.
fn find_reported(hyps: &[Hypothesis], reported: Option<u32>) -> Option<&Hypothesis> {
    reported.and_then(|id| hyps.iter().find(|h| h.id == id))
}

fn coast_limit_s(kf: &CvKalman, c: &BallConfig) -> f64 {
    let speed = kf.velocity().norm();
    if speed.is_finite() && speed > 0.0 {
        c.max_coast_s.min(c.max_coast_m / speed)
    } else {
        c.max_coast_s
    }
}

/// Multi-hypothesis ball tracker; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct BallTracker {
    config: BallConfig,
    hyps: Vec<Hypothesis>,
    reported: Option<u32>,
    next_id: u32,
    last_now_ns: Option<i64>,
}

impl BallTracker {
    /// A ball tracker with a validated config.
    pub fn new(config: BallConfig) -> Result<Self, TrackerError> {
        config.validate()?;
        Ok(BallTracker {
            config,
            hyps: Vec::new(),
            reported: None,
            next_id: 1,
            last_now_ns: None,
        })
    }

    /// The config in use.
    pub fn config(&self) -> &BallConfig {
        &self.config
    }

    /// Forgets all hypotheses and the clock; ids keep counting up.
    pub fn reset(&mut self) {
        self.hyps.clear();
        self.reported = None;
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

        // 1. Candidates.
        let mut rejected = 0u32;
        let mut candidates: Vec<(&Detection, Point2<f64>, Matrix2<f64>)> = Vec::new();
        for det in detections {
            if !det.is_valid() {
                rejected = rejected.saturating_add(1);
                continue;
            }
            if det.class != ObjectClass::Ball || det.score < c.min_score {
                continue;
            }
            if let Some(foot) = det.foot_pitch_m {
                candidates.push((det, foot, measurement_covariance(c, det)));
            }
        }

        // 2. Predict (bounded coasting) and decay evidence.
        let decay = (-dt_s / c.evidence_tau_s).exp();
        for h in &mut self.hyps {
            let step = dt_s.min(h.coast_limit_s - h.coasted_s).max(0.0);
            h.kf.predict(step, c.accel_std_mps2);
            h.coasted_s += step;
            h.evidence *= decay;
            h.observed = false;
        }

        // 3. Association.
        let (n_h, n_c) = (self.hyps.len(), candidates.len());
        let mut weights = vec![0.0; n_h * n_c];
        for (i, h) in self.hyps.iter().enumerate() {
            let unseen_s = seconds(now_ns.saturating_sub(h.last_update_ns)).max(0.0);
            let gate = (c.gate_m + c.gate_growth_mps * unseen_s).min(c.max_gate_m);
            let predicted = h.kf.position();
            for (j, &(_, p, r)) in candidates.iter().enumerate() {
                if (p - predicted).norm() < gate {
                    if let Some(d2) = h.kf.mahalanobis_sq_with_covariance(&p, &r) {
                        weights[i * n_c + j] = 1.0 + 1.0 / (1.0 + d2);
                    }
                }
            }
        }
        let mut matched = vec![false; n_c];
        for (i, j) in max_weight_pairs(n_h, n_c, &weights) {
            let (Some(h), Some(&(det, p, r))) = (self.hyps.get_mut(i), candidates.get(j)) else {
                continue;
            };
            if !h.kf.update_with_covariance(&p, &r) {
                continue;
            }
            if let Some(m) = matched.get_mut(j) {
                *m = true;
            }
            h.last_update_ns = now_ns;
            h.hits = h.hits.saturating_add(1);
            h.evidence += f64::from(det.score);
            if (h.kf.position() - h.birth_pos).norm() >= c.static_radius_m {
                h.moved = true;
            }
            h.coasted_s = 0.0;
            h.coast_limit_s = coast_limit_s(&h.kf, c);
            h.score = det.score;
            h.image_box_px = det.image_box_px;
            h.observed = true;
        }

        // 4. Drop stale hypotheses.
        self.hyps
            .retain(|h| seconds(now_ns.saturating_sub(h.last_update_ns)) <= c.max_bridge_s);
        if self
            .reported
            .is_some_and(|id| !self.hyps.iter().any(|h| h.id == id))
        {
            self.reported = None;
        }

        // 5. Births, best score first (stable: input order breaks ties).
        let mut births: Vec<(&Detection, Point2<f64>)> = candidates
            .iter()
            .zip(&matched)
            .filter(|(&(det, _, _), &m)| !m && det.score >= c.init_score)
            .map(|(&(det, p, _), _)| (det, p))
            .collect();
        births.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        // The reported hypothesis (never evicted below, so this holds through the births).
        let reported =
            find_reported(&self.hyps, self.reported).map(|h| (h.id, h.kf.position(), h.hits));
        for (det, p) in births {
            if self
                .hyps
                .iter()
                .any(|h| (h.kf.position() - p).norm() < c.birth_exclusion_m)
            {
                continue;
            }
            if self.hyps.len() >= c.max_hypotheses {
                let weakest = self
                    .hyps
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| Some(h.id) != self.reported)
                    .map(|(k, h)| (k, h.quality(now_ns, c)))
                    .min_by(|a, b| a.1 .0.cmp(&b.1 .0).then(a.1 .1.total_cmp(&b.1 .1)));
                match weakest {
                    Some((k, (tier, ev)))
                        if tier < 1 || (tier == 1 && ev < f64::from(det.score)) =>
                    {
                        self.hyps.remove(k);
                    }
                    _ => continue,
                }
            }
            // Born near the reported ball: possibly that ball after a kick or deflection that
            // left its own filter behind.
            let successor_of = reported
                .filter(|(_, at, _)| (at - p).norm() < c.max_gate_m)
                .map(|(id, _, _)| id);
            let kf = CvKalman::new(p, c.measurement_std_m, c.initial_speed_std_mps);
            let coast_limit = coast_limit_s(&kf, c);
            self.hyps.push(Hypothesis {
                id: self.next_id,
                kf,
                birth_ns: now_ns,
                birth_pos: p,
                moved: false,
                last_update_ns: now_ns,
                hits: 1,
                evidence: f64::from(det.score),
                coasted_s: 0.0,
                coast_limit_s: coast_limit,
                score: det.score,
                image_box_px: det.image_box_px,
                observed: true,
                successor_of,
                incumbent_at_birth: reported.map(|(id, _, hits)| (id, hits)),
            });
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        }

        // 6. Reporting with hysteresis.
        let incumbent = find_reported(&self.hyps, self.reported);
        let max_report_ns = (c.max_report_s * 1e9) as i64;
        let rank = |h: &Hypothesis| h.quality(now_ns, c);
        let by_rank = |a: &&Hypothesis, b: &&Hypothesis| {
            let (qa, qb) = (rank(a), rank(b));
            (qa.0.cmp(&qb.0))
                .then(qa.1.total_cmp(&qb.1))
                .then(b.id.cmp(&a.id))
        };
        let chosen = match incumbent {
            None => self.hyps.iter().max_by(by_rank),
            Some(inc) => {
                let (tier_inc, ev_inc) = rank(inc);
                let takes_over = |ch: &&Hypothesis| {
                    let (tier_ch, ev_ch) = rank(ch);
                    if ch.id == inc.id || !ch.observed {
                        return false;
                    }
                    // Between two balls seen now, overwhelming evidence decides whatever the
                    // tiers (a bridged incumbent's evidence only decays: the rules below decide).
                    if inc.observed
                        && ch.hits >= c.min_switch_hits
                        && ev_ch > c.dominance_ratio * ev_inc
                    {
                        return true;
                    }
                    // A moving challenger takes over from a lower tier once it has enough hits,
                    // unless the incumbent's evidence overwhelms its own.
                    if tier_ch > tier_inc
                        && tier_ch == 2
                        && ch.hits >= c.min_switch_hits
                        && ev_inc <= c.dominance_ratio * ev_ch
                    {
                        return true;
                    }
                    if inc.observed {
                        tier_ch == tier_inc && ev_ch > c.switch_ratio * ev_inc
                    } else {
                        // A bridged incumbent yields to more evidence of at least its tier, to
                        // its own successor once that has enough hits, and, once stale (no
                        // longer reported), to any ball seen now with enough hits.
                        let stale = c.stale_incumbent_yields
                            && now_ns.saturating_sub(inc.last_update_ns) > max_report_ns;
                        // Born after the incumbent was last seen, or since seen only once
                        // (with `fresh_after_one_sighting`): one stray detection of the old
                        // ball must not keep the new one out.
                        let seen_since_birth = match ch.incumbent_at_birth {
                            Some((id, hits)) if id == inc.id => inc.hits.saturating_sub(hits),
                            _ => u32::MAX,
                        };
                        let fresh = c.fresh_takeover_hits > 0
                            && tier_ch >= 1
                            && (ch.birth_ns > inc.last_update_ns
                                || (c.fresh_after_one_sighting && seen_since_birth <= 1))
                            && ch.hits >= c.fresh_takeover_hits.max(c.min_switch_hits);
                        fresh
                            || (tier_ch >= tier_inc && ev_ch > ev_inc)
                            || ((stale || ch.successor_of == Some(inc.id))
                                && ch.hits >= c.min_switch_hits)
                    }
                };
                self.hyps
                    .iter()
                    .filter(takes_over)
                    .max_by(by_rank)
                    .or(Some(inc))
            }
        };
        self.reported = chosen.map(|h| h.id);
        let ball = chosen
            .filter(|h| {
                h.observed
                    || (h.hits >= c.min_bridge_hits
                        && now_ns.saturating_sub(h.last_update_ns) <= max_report_ns)
            })
            .map(|h| BallOutput {
                track_id: h.id,
                state: if h.observed {
                    BallState::Observed
                } else {
                    BallState::Predicted
                },
                pitch_m: h.kf.position(),
                velocity_mps: if h.frozen() {
                    Vector2::zeros()
                } else {
                    h.kf.velocity()
                },
                image_box_px: h.image_box_px,
                score: h.score,
                last_seen_ns: h.last_update_ns,
            });
        Ok(BallFrame {
            now_ns,
            ball,
            rejected_detections: rejected,
        })
    }
}

#[cfg(test)]
#[path = "ball_tests.rs"]
mod tests;
