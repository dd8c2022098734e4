//! Dead-ball scan: after the ball is lost near a goal line, look for it where play restarts
//! there (the corner arcs and the goal area of that end) with the ball verifier.
//!
//! Why: a ball placed for a corner or a goal kick at the far end of a wide camera is 2-3 px, at
//! rest, often on a painted line, and the detector proposes nothing for seconds (the committed
//! demo's goal kick: 55 frames; tuning seed 7004's far corner: 80 frames), while the verifier,
//! which sees native pixels, scores a patch put on it at 0.7-0.97. The local search
//! (`detect::ball_search`) cannot help: it follows the last sighting for 400 ms, and the ball
//! reappears metres away, seconds later.
//!
//! The scan runs only while it is armed: the detector proposes no ball now nor in the last
//! `arm_after_ms`, and the last ball it placed within `near_goal_line_m` of a goal line (or
//! beyond it) was at most `window_ms` ago. Later balls elsewhere do not disarm it: when the real
//! ball leaves the picture, a false ball (a sock, a painted mark) often takes over the ball track
//! for a few frames. Each frame it verifies the
//! neighbourhood of its last find first, then the next `patches_per_frame` points of the end's
//! grid (round robin), so a static ball is found within a few frames and the cost is bounded.
//! Only points where the ball is at most `max_ball_px` wide are scanned: a larger ball is the
//! detector's to find.
//!
//! [`DeadBallScan`] is pure (camera model, pitch metres, match-clock ns and image px in, grid
//! centres out); the verifier run and the wiring are `vision::pipeline::CameraPipeline::process`.

use calibration::{pitch, Camera, End, Pitch};
use nalgebra::{Point2, Point3};
use serde::{Deserialize, Serialize};

/// The scan's settings: `[dead_ball]` of the `eval --tracking` file, `VisionConfig::dead_ball`
/// for the runner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadBallConfig {
    /// Off: never scan.
    pub enabled: bool,
    /// The detector's last ball within this distance (m) of a goal line, or beyond it, arms the
    /// scan of that end.
    pub near_goal_line_m: f64,
    /// The scan starts this long (match clock, ms) after the detector's last ball.
    pub arm_after_ms: u32,
    /// And stops this long after it (a restart is taken within seconds).
    pub window_ms: u32,
    /// Grid points verified per frame, besides the last find's neighbourhood.
    pub patches_per_frame: usize,
    /// Only points where the ball's image diameter is at most this (px) are scanned.
    pub max_ball_px: f64,
    /// Grid points the verifier scores at least this are looked at again on a grid of half the
    /// step around them (best two); a find still needs the search's own score.
    pub candidate_score: f32,
}

impl Default for DeadBallConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            near_goal_line_m: 8.0,
            arm_after_ms: 200,
            window_ms: 10_000,
            patches_per_frame: 24,
            max_ball_px: 6.0,
            candidate_score: 0.5,
        }
    }
}

impl DeadBallConfig {
    /// Checks ranges; the error is `(key, message)`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.near_goal_line_m.is_finite() && (0.0..=30.0).contains(&self.near_goal_line_m)) {
            return Err((
                "near_goal_line_m",
                format!("must be in 0..=30, got {}", self.near_goal_line_m),
            ));
        }
        if self.window_ms <= self.arm_after_ms || self.window_ms > 60_000 {
            return Err((
                "window_ms",
                format!(
                    "must be above arm_after_ms ({}) and at most 60000, got {}",
                    self.arm_after_ms, self.window_ms
                ),
            ));
        }
        if !(1..=256).contains(&self.patches_per_frame) {
            return Err((
                "patches_per_frame",
                format!("must be in 1..=256, got {}", self.patches_per_frame),
            ));
        }
        if !(self.max_ball_px.is_finite() && (1.0..=32.0).contains(&self.max_ball_px)) {
            return Err((
                "max_ball_px",
                format!("must be in 1..=32, got {}", self.max_ball_px),
            ));
        }
        if !(0.0..=1.0).contains(&self.candidate_score) {
            return Err((
                "candidate_score",
                format!("must be in 0..=1, got {}", self.candidate_score),
            ));
        }
        Ok(())
    }
}

/// Coarse to fine: the `centres` whose verifier rows score at least `candidate` (the best `max`
/// of them), each with its 3 x 3 neighbourhood at half `step_px`, without the centre itself
/// (already verified). The verifier is sharp on a 2 px ball: on the demo's goal kick a patch
/// 2-3 px off the ball scores 0.6-0.8 while one 1 px off scores 0.9.
pub fn refine_centres(
    centres: &[(f32, f32)],
    rows: &[[f32; 3]],
    candidate: f32,
    step_px: f32,
    max: usize,
) -> Vec<(f32, f32)> {
    let mut best: Vec<(f32, (f32, f32))> = centres
        .iter()
        .zip(rows)
        .filter(|(_, r)| r[0].is_finite() && r[0] >= candidate)
        .map(|(&c, r)| (r[0], c))
        .collect();
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    let h = step_px / 2.0;
    let mut out: Vec<(f32, f32)> = Vec::new();
    for (_, (x, y)) in best.into_iter().take(max) {
        for j in -1..=1 {
            for i in -1..=1 {
                let c = (x + i as f32 * h, y + j as f32 * h);
                if (i, j) != (0, 0) && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Pitch sampling step (m) for the scan regions: fine enough that no image gap exceeds the grid
/// step where the ball is small.
const SAMPLE_M: f64 = 0.1;
/// Most grid points kept per end (a camera close to a goal sees few small-ball points anyway).
const MAX_POINTS: usize = 2048;

/// One grid point of a restart region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartPoint {
    /// Patch centre, image px.
    pub x_px: f32,
    /// Patch centre, image px.
    pub y_px: f32,
    /// The ball's image diameter there (px).
    pub ball_px: f32,
}

/// One end's grid, for the camera (and frame size) it was computed with.
#[derive(Debug, Clone)]
struct Grid {
    end: End,
    camera: Camera,
    points: Vec<RestartPoint>,
}

/// The grid points where a ball at rest for a restart at `end` would be: the two corner
/// quarter-discs (radius 1 m) and the goal area, ball centre `BALL_RADIUS` above the ground,
/// quantised to `step_px` and kept where the ball is at most `max_ball_px` wide and inside the
/// image. Corners first.
pub fn restart_points(
    cam: &Camera,
    pitch_dims: &Pitch,
    end: End,
    step_px: f32,
    max_ball_px: f64,
) -> Vec<RestartPoint> {
    let (hl, hw) = (pitch_dims.half_length(), pitch_dims.half_width());
    let s = end.sign();
    let mut ground: Vec<Point2<f64>> = Vec::new();
    let n = (pitch::CORNER_ARC_RADIUS / SAMPLE_M).round() as i32;
    for side in [-1.0, 1.0] {
        for i in 0..=n {
            for j in 0..=n {
                let (dx, dy) = (f64::from(i) * SAMPLE_M, f64::from(j) * SAMPLE_M);
                if dx.hypot(dy) <= pitch::CORNER_ARC_RADIUS + 1e-9 {
                    ground.push(Point2::new(s * (hl - dx), side * (hw - dy)));
                }
            }
        }
    }
    let half_w = pitch::GOAL_AREA_WIDTH / 2.0;
    let (nx, ny) = (
        (pitch::GOAL_AREA_DEPTH / SAMPLE_M).round() as i32,
        (pitch::GOAL_AREA_WIDTH / SAMPLE_M).round() as i32,
    );
    for j in 0..=ny {
        for i in 0..=nx {
            ground.push(Point2::new(
                s * (hl - f64::from(i) * SAMPLE_M),
                -half_w + f64::from(j) * SAMPLE_M,
            ));
        }
    }
    let step = f64::from(step_px.max(1.0));
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for g in ground {
        let centre = Point3::new(g.x, g.y, pitch::BALL_RADIUS);
        let top = Point3::new(g.x, g.y, 3.0 * pitch::BALL_RADIUS);
        let (Some(c), Some(t)) = (cam.project(&centre), cam.project(&top)) else {
            continue;
        };
        let diameter_px = (c - t).norm();
        if !(diameter_px.is_finite() && diameter_px <= max_ball_px && cam.contains(&c)) {
            continue;
        }
        let key = ((c.x / step).round() as i64, (c.y / step).round() as i64);
        if seen.insert(key) {
            out.push(RestartPoint {
                x_px: (key.0 as f64 * step) as f32,
                y_px: (key.1 as f64 * step) as f32,
                ball_px: diameter_px as f32,
            });
        }
    }
    if out.len() > MAX_POINTS {
        let keep = out.len().div_ceil(MAX_POINTS);
        out = out.into_iter().step_by(keep).collect();
    }
    out
}

/// What a scan has cost and found so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadBallStats {
    /// Frames in which it verified patches.
    pub frames: u64,
    /// Patches verified (grid, last-find neighbourhood and refinement).
    pub patches: u64,
    /// Frames with a find.
    pub finds: u64,
}

/// One camera's scan state.
#[derive(Debug, Clone)]
pub struct DeadBallScan {
    config: DeadBallConfig,
    /// Match clock (ns) of the detector's last ball.
    last_ball_ns: Option<i64>,
    /// The detector's last ball near a goal line: match clock (ns) and that end.
    last_near: Option<(i64, End)>,
    /// The armed end and its grid (recomputed when the camera or the frame size changes).
    grid: Option<Grid>,
    cursor: usize,
    /// The last find (image px), verified first while the scan stays armed.
    last_find: Option<(f32, f32)>,
    stats: DeadBallStats,
}

impl DeadBallScan {
    /// A scan with no ball seen yet.
    pub fn new(config: DeadBallConfig) -> Self {
        Self {
            config,
            last_ball_ns: None,
            last_near: None,
            grid: None,
            cursor: 0,
            last_find: None,
            stats: DeadBallStats::default(),
        }
    }

    /// Cost and finds so far.
    pub fn stats(&self) -> DeadBallStats {
        self.stats
    }

    /// The settings.
    pub fn config(&self) -> &DeadBallConfig {
        &self.config
    }

    /// Records the detector's ball at `t_ns`, placed by the ball tracker at `pitch_m`.
    pub fn note_ball(&mut self, t_ns: i64, pitch_m: Point2<f64>, pitch_dims: &Pitch) {
        self.last_ball_ns = Some(t_ns);
        if pitch_m.x.is_finite()
            && pitch_m.x.abs() >= pitch_dims.half_length() - self.config.near_goal_line_m
        {
            self.last_near = Some((t_ns, End::of_x(pitch_m.x)));
        }
    }

    /// The end to scan at `t_ns`, if the scan is armed: the detector proposes no ball now
    /// (`detector_ball`) nor in the last `arm_after_ms`, and its last ball near a goal line was
    /// at most `window_ms` ago.
    pub fn armed(&self, t_ns: i64, detector_ball: bool) -> Option<End> {
        if !self.config.enabled || detector_ball {
            return None;
        }
        let ms = |t0: i64| (t_ns - t0) / 1_000_000;
        let quiet = self
            .last_ball_ns
            .is_none_or(|t0| ms(t0) >= i64::from(self.config.arm_after_ms));
        let (t_near, end) = self.last_near?;
        (quiet && ms(t_near) <= i64::from(self.config.window_ms)).then_some(end)
    }

    /// The grid centres to verify at `t_ns` (empty when not armed): the last find's 3 x 3
    /// neighbourhood (`step_px` apart), then the next `patches_per_frame` points of the end's grid.
    pub fn centres(
        &mut self,
        t_ns: i64,
        detector_ball: bool,
        cam: &Camera,
        pitch_dims: &Pitch,
        step_px: f32,
    ) -> Vec<(f32, f32)> {
        let Some(end) = self.armed(t_ns, detector_ball) else {
            self.last_find = None;
            return Vec::new();
        };
        let stale = !matches!(&self.grid, Some(g) if g.end == end && g.camera == *cam);
        if stale {
            let points = restart_points(cam, pitch_dims, end, step_px, self.config.max_ball_px);
            self.grid = Some(Grid {
                end,
                camera: *cam,
                points,
            });
            self.cursor = 0;
        }
        let mut out = Vec::new();
        if let Some((x, y)) = self.last_find {
            for j in -1..=1 {
                for i in -1..=1 {
                    out.push((x + i as f32 * step_px, y + j as f32 * step_px));
                }
            }
        }
        if let Some(Grid { points, .. }) = &self.grid {
            let n = self.config.patches_per_frame.min(points.len());
            for k in 0..n {
                let p = points[(self.cursor + k) % points.len()];
                out.push((p.x_px, p.y_px));
            }
            if !points.is_empty() {
                self.cursor = (self.cursor + n) % points.len();
            }
        }
        out
    }

    /// The ball's image diameter (px) at the grid point nearest `(x, y)` (the box size of a
    /// find); `None` before a grid exists.
    pub fn ball_px_at(&self, x: f32, y: f32) -> Option<f32> {
        let dist = |p: &RestartPoint| (p.x_px - x).hypot(p.y_px - y);
        let grid = self.grid.as_ref()?;
        grid.points
            .iter()
            .min_by(|a, b| dist(a).total_cmp(&dist(b)))
            .map(|p| p.ball_px)
    }

    /// Records this frame's scan: `patches` verified and the find among them (image px), if
    /// any. Without a find, the previous one is still verified first (the verifier flickers on a
    /// 2 px ball) until the scan disarms.
    pub fn record(&mut self, patches: usize, found: Option<(f32, f32)>) {
        self.stats.frames += 1;
        self.stats.patches += patches as u64;
        if let Some((x, y)) = found.filter(|(x, y)| x.is_finite() && y.is_finite()) {
            self.last_find = Some((x, y));
            self.stats.finds += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use calibration::{Distortion, Intrinsics, Pose};

    use super::*;

    const MS: i64 = 1_000_000;

    /// A 1280 x 720 camera high above the near touch line, looking at the +x end.
    fn camera() -> Camera {
        let pose = Pose::look_at(
            Point3::new(20.0, -50.0, 20.0),
            Point3::new(45.0, 0.0, 0.0),
            0.0,
        );
        let Some(pose) = pose else {
            panic!("degenerate test pose");
        };
        Camera {
            width: 1280,
            height: 720,
            intrinsics: Intrinsics {
                fx: 900.0,
                fy: 900.0,
                cx: 640.0,
                cy: 360.0,
            },
            distortion: Distortion::default(),
            pose,
        }
    }

    #[test]
    fn the_grid_covers_the_goal_area_and_corners_in_view_where_the_ball_is_small() {
        let cam = camera();
        let p = Pitch::STANDARD;
        let pts = restart_points(&cam, &p, End::PosX, 4.0, 6.0);
        assert!(pts.len() > 50, "{} points", pts.len());
        // Every point is inside the image, on the 4 px lattice, and no two coincide.
        let mut keys = std::collections::HashSet::new();
        for &RestartPoint {
            x_px: x,
            y_px: y,
            ball_px: d,
        } in &pts
        {
            assert!(
                (0.0..1280.0).contains(&x) && (0.0..720.0).contains(&y),
                "{x},{y}"
            );
            assert_eq!((x % 4.0, y % 4.0), (0.0, 0.0));
            assert!(keys.insert((x as i32, y as i32)));
            assert!(d > 0.5 && d <= 6.0, "diameter {d}");
        }
        // The goal-kick spot of the generator and a far corner project onto grid points (within
        // one step), while the near corner is outside the image or too close: not in the grid.
        let near_grid = |g: Point3<f64>| {
            let Some(c) = cam.project(&g) else {
                return false;
            };
            pts.iter().any(
                |&RestartPoint {
                     x_px: x, y_px: y, ..
                 }| {
                    (f64::from(x) - c.x).abs() <= 2.0 && (f64::from(y) - c.y).abs() <= 2.0
                },
            )
        };
        assert!(near_grid(Point3::new(47.0, 5.0, 0.11)));
        assert!(near_grid(Point3::new(52.4, 33.9, 0.11)));
        // A wider allowance only adds points; a tiny one removes them all.
        assert!(restart_points(&cam, &p, End::PosX, 4.0, 12.0).len() >= pts.len());
        assert!(restart_points(&cam, &p, End::PosX, 4.0, 1.0).is_empty());
        // The other end is behind or far: what is kept there is still inside the image.
        for RestartPoint {
            x_px: x, y_px: y, ..
        } in restart_points(&cam, &p, End::NegX, 4.0, 6.0)
        {
            assert!((0.0..1280.0).contains(&x) && (0.0..720.0).contains(&y));
        }
    }

    #[test]
    fn armed_after_a_ball_near_a_goal_line_inside_the_window_and_without_a_detector_ball() {
        let p = Pitch::STANDARD;
        let mut s = DeadBallScan::new(DeadBallConfig::default());
        assert_eq!(s.armed(0, false), None);
        // Mid-pitch balls do not arm it.
        s.note_ball(0, Point2::new(-30.0, 0.0), &p);
        assert_eq!(s.armed(300 * MS, false), None);
        s.note_ball(0, Point2::new(50.0, 10.0), &p);
        assert_eq!(s.armed(100 * MS, false), None, "too soon");
        assert_eq!(s.armed(300 * MS, false), Some(End::PosX));
        assert_eq!(s.armed(300 * MS, true), None, "the detector sees a ball");
        assert_eq!(s.armed(10_001 * MS, false), None, "window over");
        // A later ball elsewhere (a false one, or play moving on) pauses the scan for
        // `arm_after_ms` but does not disarm it before the window ends.
        s.note_ball(1_000 * MS, Point2::new(-20.0, 5.0), &p);
        assert_eq!(s.armed(1_100 * MS, false), None);
        assert_eq!(s.armed(1_300 * MS, false), Some(End::PosX));
        // Over the goal line counts, and the latest end wins.
        s.note_ball(2_000 * MS, Point2::new(-53.5, -20.0), &p);
        assert_eq!(s.armed(2_300 * MS, false), Some(End::NegX));
        assert_eq!(s.armed(12_001 * MS, false), None);
        // Off: never.
        let mut off = DeadBallScan::new(DeadBallConfig {
            enabled: false,
            ..DeadBallConfig::default()
        });
        off.note_ball(0, Point2::new(50.0, 10.0), &p);
        assert_eq!(off.armed(300 * MS, false), None);
    }

    #[test]
    fn the_scan_walks_the_grid_round_robin_and_rechecks_its_last_find_first() {
        let cam = camera();
        let p = Pitch::STANDARD;
        let cfg = DeadBallConfig {
            patches_per_frame: 5,
            ..DeadBallConfig::default()
        };
        let mut s = DeadBallScan::new(cfg);
        s.note_ball(0, Point2::new(51.0, 0.0), &p);
        let grid: Vec<(f32, f32)> = restart_points(&cam, &p, End::PosX, 4.0, cfg.max_ball_px)
            .into_iter()
            .map(|q| (q.x_px, q.y_px))
            .collect();
        let a = s.centres(300 * MS, false, &cam, &p, 4.0);
        let b = s.centres(340 * MS, false, &cam, &p, 4.0);
        assert_eq!(a, grid[..5].to_vec());
        assert_eq!(b, grid[5..10].to_vec());
        s.record(10, Some((400.0, 200.0)));
        let c = s.centres(380 * MS, false, &cam, &p, 4.0);
        assert_eq!(c.len(), 9 + 5);
        assert_eq!(c[4], (400.0, 200.0));
        assert_eq!(c[0], (396.0, 196.0));
        assert_eq!(c[9..].to_vec(), grid[10..15].to_vec());
        assert!(s
            .ball_px_at(400.0, 200.0)
            .is_some_and(|d| d > 0.5 && d <= 6.0));
        // No find this frame: the last one is still checked first.
        s.record(14, None);
        assert_eq!(
            s.stats(),
            DeadBallStats {
                frames: 2,
                patches: 24,
                finds: 1
            }
        );
        assert_eq!(s.centres(400 * MS, false, &cam, &p, 4.0)[4], (400.0, 200.0));
        // A detector ball disarms the scan and forgets the find.
        assert!(s.centres(420 * MS, true, &cam, &p, 4.0).is_empty());
        assert_eq!(s.centres(460 * MS, false, &cam, &p, 4.0).len(), 5);
    }

    #[test]
    fn refinement_looks_around_the_best_candidates_at_half_the_step() {
        let centres = [(10.0, 10.0), (30.0, 10.0), (50.0, 10.0), (70.0, 10.0)];
        let rows = [
            [0.6, 0.0, 0.0],
            [0.2, 0.0, 0.0],
            [f32::NAN, 0.0, 0.0],
            [0.9, 0.0, 0.0],
        ];
        let fine = refine_centres(&centres, &rows, 0.5, 4.0, 2);
        assert_eq!(fine.len(), 16);
        // Best first, centre left out.
        assert_eq!(fine[0], (68.0, 8.0));
        assert!(!fine.contains(&(70.0, 10.0)));
        assert!(fine.contains(&(12.0, 12.0)));
        assert!(!fine.iter().any(|c| c.0 > 25.0 && c.0 < 60.0));
        assert_eq!(refine_centres(&centres, &rows, 0.5, 4.0, 1).len(), 8);
        assert!(refine_centres(&centres, &rows, 0.95, 4.0, 2).is_empty());
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = |c: DeadBallConfig| c.validate().err().map(|(k, _)| k);
        let d = DeadBallConfig::default();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(
            bad(DeadBallConfig {
                near_goal_line_m: f64::NAN,
                ..d
            }),
            Some("near_goal_line_m")
        );
        assert_eq!(
            bad(DeadBallConfig {
                window_ms: 100,
                ..d
            }),
            Some("window_ms")
        );
        assert_eq!(
            bad(DeadBallConfig {
                patches_per_frame: 0,
                ..d
            }),
            Some("patches_per_frame")
        );
        assert_eq!(
            bad(DeadBallConfig {
                max_ball_px: 0.0,
                ..d
            }),
            Some("max_ball_px")
        );
        assert_eq!(
            bad(DeadBallConfig {
                candidate_score: 1.5,
                ..d
            }),
            Some("candidate_score")
        );
    }
}
