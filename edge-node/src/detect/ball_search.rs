//! Local ball search: where the ball was just seen and the detector now proposes nothing, look
//! again with the ball verifier on a small grid of native-resolution patches around the predicted
//! position.
//!
//! Why: on H.264 video the detector (which sees a 1080p frame halved) proposes no ball candidate
//! at all in about a third of the frames where the ball is visible; the verifier, which sees full
//! resolution, still finds most of those balls when its patch is put on them. The search runs only
//! for `max_gap_ms` after the last ball, so a lost ball costs a bounded number of patches and the
//! search cannot wander off after a false find for long.
//!
//! [`BallSearch`] is pure (image px, match-clock ns in, grid centres out); the verifier run is
//! `BallVerifier::search` and the wiring is `vision::pipeline::CameraPipeline::process`.

use serde::{Deserialize, Serialize};

use super::decode::BoxPx;

/// The search's settings: the `[search]` table of the ball-verifier manifest (they belong to the
/// model: the grid step is what its training offsets cover).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallSearchConfig {
    /// Grid step (native px); the verifier was trained on balls up to about this far off centre.
    pub step_px: f32,
    /// Grid half-width in steps: `(2 · radius_steps + 1)²` patches per search.
    pub radius_steps: u32,
    /// Threshold on the verifier's probability for a find.
    pub score: f32,
    /// How long after the last ball the search keeps running (match clock, ms).
    pub max_gap_ms: u32,
}

impl BallSearchConfig {
    /// Checks ranges; the error is `(key, message)` for the manifest to name.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.step_px.is_finite() && (1.0..=64.0).contains(&self.step_px)) {
            return Err((
                "search.step_px",
                format!("must be in 1..=64, got {}", self.step_px),
            ));
        }
        if self.radius_steps > 4 {
            return Err((
                "search.radius_steps",
                format!("must be at most 4, got {}", self.radius_steps),
            ));
        }
        if !(0.0..=1.0).contains(&self.score) {
            return Err((
                "search.score",
                format!("must be in 0..=1, got {}", self.score),
            ));
        }
        if !(1..=5000).contains(&self.max_gap_ms) {
            return Err((
                "search.max_gap_ms",
                format!("must be in 1..=5000, got {}", self.max_gap_ms),
            ));
        }
        Ok(())
    }

    /// Distance (px) from the prediction within which a ball detection counts as the ball seen
    /// before: the grid's reach plus one step.
    pub fn gate_px(&self) -> f32 {
        self.step_px * (self.radius_steps as f32 + 1.0)
    }
}

/// The last ball seen by one camera.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    t_ns: i64,
    /// Time of the last ball the detector proposed (not a search find): the search stops
    /// `max_gap_ms` after it, so a false find cannot keep the search alive on its own.
    anchor_t_ns: i64,
    x_px: f32,
    y_px: f32,
    /// Image velocity (px per second), from consecutive sightings.
    vx_px_s: f32,
    vy_px_s: f32,
    w_px: f32,
    h_px: f32,
}

/// One camera's search state.
#[derive(Debug, Clone)]
pub struct BallSearch {
    config: BallSearchConfig,
    last: Option<Seen>,
}

impl BallSearch {
    /// A search with no ball seen yet.
    pub fn new(config: BallSearchConfig) -> Self {
        Self { config, last: None }
    }

    /// The settings.
    pub fn config(&self) -> &BallSearchConfig {
        &self.config
    }

    fn recent(&self, t_ns: i64) -> Option<&Seen> {
        let max_gap_ns = i64::from(self.config.max_gap_ms) * 1_000_000;
        self.last
            .as_ref()
            .filter(|s| t_ns > s.t_ns && t_ns - s.anchor_t_ns <= max_gap_ns)
    }

    /// Where the ball should be at `t_ns` (constant image velocity since the last sighting), if it
    /// was seen within `max_gap_ms`.
    pub fn predict(&self, t_ns: i64) -> Option<(f32, f32)> {
        self.recent(t_ns).map(|s| {
            let dt_s = (t_ns - s.t_ns) as f32 * 1e-9;
            (s.x_px + s.vx_px_s * dt_s, s.y_px + s.vy_px_s * dt_s)
        })
    }

    /// The grid of patch centres to verify at `t_ns`, or nothing when no ball was seen recently
    /// or `balls` (this frame's ball boxes) already holds one within the gate of the prediction.
    pub fn grid(&self, t_ns: i64, balls: &[BoxPx]) -> Vec<(f32, f32)> {
        let Some((px, py)) = self.predict(t_ns) else {
            return Vec::new();
        };
        let gate = self.config.gate_px();
        if balls.iter().any(|b| {
            let (x, y) = b.centre();
            (x - px).hypot(y - py) <= gate
        }) {
            return Vec::new();
        }
        let r = self.config.radius_steps as i32;
        let step = self.config.step_px;
        (-r..=r)
            .flat_map(|j| (-r..=r).map(move |i| (px + i as f32 * step, py + j as f32 * step)))
            .collect()
    }

    /// Box size (px) for a find: the last ball's.
    pub fn size_px(&self) -> Option<(f32, f32)> {
        self.last.map(|s| (s.w_px, s.h_px))
    }

    /// Records this frame's ball detections (`(box, score)`) and the search's find, if any (it
    /// continues the sighting, but the search's lifetime still counts from the last detection).
    /// Without a find, the detection nearest the prediction within the gate continues the
    /// sighting (and updates the image velocity); with no recent sighting the best-scoring one
    /// starts a new one; otherwise nothing changes (a ball far from the prediction is not followed
    /// until the last sighting has aged out).
    pub fn observe(&mut self, t_ns: i64, balls: &[(BoxPx, f32)], found: Option<BoxPx>) {
        if let (Some(b), Some(prev)) = (found, self.last) {
            self.record(t_ns, b, Some(prev), prev.anchor_t_ns);
            return;
        }
        let pick = match self.predict(t_ns) {
            Some((px, py)) => {
                let gate = self.config.gate_px();
                balls
                    .iter()
                    .map(|(b, _)| {
                        let (x, y) = b.centre();
                        ((x - px).hypot(y - py), b)
                    })
                    .filter(|(d, _)| *d <= gate)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, b)| (*b, self.last))
            }
            None => balls
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(b, _)| (*b, None)),
        };
        if let Some((b, prev)) = pick {
            self.record(t_ns, b, prev, t_ns);
        }
    }

    fn record(&mut self, t_ns: i64, b: BoxPx, prev: Option<Seen>, anchor_t_ns: i64) {
        let (x, y) = b.centre();
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let (vx, vy) = match prev {
            Some(p) if t_ns > p.t_ns => {
                let dt_s = (t_ns - p.t_ns) as f32 * 1e-9;
                let (nx, ny) = ((x - p.x_px) / dt_s, (y - p.y_px) / dt_s);
                // Half new, half old: one noisy centre does not fling the next prediction.
                (0.5 * (nx + p.vx_px_s), 0.5 * (ny + p.vy_px_s))
            }
            _ => (0.0, 0.0),
        };
        self.last = Some(Seen {
            t_ns,
            anchor_t_ns,
            x_px: x,
            y_px: y,
            vx_px_s: vx,
            vy_px_s: vy,
            w_px: b.width(),
            h_px: b.height(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn config() -> BallSearchConfig {
        BallSearchConfig {
            step_px: 8.0,
            radius_steps: 1,
            score: 0.6,
            max_gap_ms: 400,
        }
    }

    fn ball(x: f32, y: f32) -> BoxPx {
        BoxPx::from_cxcywh(x, y, 4.0, 4.0)
    }

    #[test]
    fn no_search_before_a_ball_or_after_the_gap() {
        let mut s = BallSearch::new(config());
        assert!(s.grid(0, &[]).is_empty());
        s.observe(0, &[(ball(100.0, 50.0), 0.9)], None);
        assert_eq!(s.grid(40 * MS, &[]).len(), 9);
        assert!(s.grid(401 * MS, &[]).is_empty());
        // Not at the sighting's own time either (the frame that saw it).
        assert!(s.grid(0, &[]).is_empty());
    }

    #[test]
    fn the_grid_follows_the_image_velocity_and_skips_when_a_ball_is_near() {
        let mut s = BallSearch::new(config());
        s.observe(0, &[(ball(100.0, 50.0), 0.9)], None);
        s.observe(40 * MS, &[(ball(104.0, 50.0), 0.9)], None);
        // v = 0.5 · (4 px / 40 ms) = 50 px/s; 40 ms later: x = 104 + 2.
        let g = s.grid(80 * MS, &[]);
        assert_eq!(g.len(), 9);
        assert_eq!(g[4], (106.0, 50.0));
        assert_eq!(g[0], (98.0, 42.0));
        assert!(s.grid(80 * MS, &[ball(110.0, 55.0)]).is_empty());
        // A ball outside the gate (16 px) does not stop the search.
        assert_eq!(s.grid(80 * MS, &[ball(130.0, 50.0)]).len(), 9);
    }

    #[test]
    fn a_far_ball_is_followed_only_after_the_sighting_ages_out() {
        let mut s = BallSearch::new(config());
        s.observe(0, &[(ball(100.0, 50.0), 0.5)], None);
        s.observe(40 * MS, &[(ball(400.0, 300.0), 0.99)], None);
        assert_eq!(s.predict(80 * MS), Some((100.0, 50.0)));
        s.observe(500 * MS, &[(ball(400.0, 300.0), 0.99)], None);
        assert_eq!(s.predict(540 * MS), Some((400.0, 300.0)));
        assert_eq!(s.size_px(), Some((4.0, 4.0)));
        // Of two balls within the gate, the nearer continues.
        s.observe(
            580 * MS,
            &[(ball(410.0, 300.0), 0.99), (ball(401.0, 300.0), 0.5)],
            None,
        );
        let (x, _) = s.predict(600 * MS).unwrap_or((0.0, 0.0));
        assert!((x - 401.0).abs() < 1.0, "{x}");
    }

    #[test]
    fn search_finds_move_the_grid_but_do_not_extend_its_lifetime() {
        let mut s = BallSearch::new(config());
        s.observe(0, &[(ball(100.0, 50.0), 0.9)], None);
        for k in 1..=10 {
            let t = k * 40 * MS;
            let found = (!s.grid(t, &[]).is_empty()).then(|| ball(100.0 + k as f32, 50.0));
            assert!(found.is_some(), "no search at {k}");
            s.observe(t, &[], found);
            if k == 9 {
                // The grid follows the finds (1 px per 40 ms).
                let (x, _) = s.predict(380 * MS).unwrap_or((0.0, 0.0));
                assert!((109.0..110.5).contains(&x), "{x}");
            }
        }
        // Found up to 400 ms after the detection, then the search stops though finds went on.
        assert!(s.grid(440 * MS, &[]).is_empty());
        // A detection restarts it.
        s.observe(440 * MS, &[(ball(111.0, 50.0), 0.8)], None);
        assert_eq!(s.grid(480 * MS, &[]).len(), 9);
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (c, key) in [
            (
                BallSearchConfig {
                    step_px: 0.0,
                    ..config()
                },
                "search.step_px",
            ),
            (
                BallSearchConfig {
                    radius_steps: 9,
                    ..config()
                },
                "search.radius_steps",
            ),
            (
                BallSearchConfig {
                    score: 2.0,
                    ..config()
                },
                "search.score",
            ),
            (
                BallSearchConfig {
                    max_gap_ms: 0,
                    ..config()
                },
                "search.max_gap_ms",
            ),
        ] {
            assert_eq!(c.validate().err().map(|e| e.0), Some(key));
        }
        assert!(config().validate().is_ok());
    }
}
