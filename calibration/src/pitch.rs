//! The pitch model: dimensions, every marking as a polyline, goal geometry and the rules that
//! depend on it (ball wholly over a line, goal scored).
//!
//! All coordinates are `pitch_m`: metres, origin at the pitch centre, x along the length (goal
//! lines at `±length/2`), y across (touch lines at `±width/2`), z up. Line positions are the
//! outer edges of the markings: a line belongs to the area it bounds (Laws of the Game), so a
//! ball is out only when it is wholly beyond `±length/2` or `±width/2`.

use nalgebra::{Point2, Point3};
use serde::{Deserialize, Serialize};

/// Inner distance between the goal posts (m).
pub const GOAL_WIDTH: f64 = 7.32;
/// Height of the lower edge of the crossbar above the ground (m).
pub const GOAL_HEIGHT: f64 = 2.44;
/// Width (diameter) of posts and crossbar (m).
pub const POST_WIDTH: f64 = 0.12;
/// Depth of the goal net behind the goal line (m).
pub const GOAL_DEPTH: f64 = 2.0;
/// Width of every painted line (m).
pub const LINE_WIDTH: f64 = 0.12;
/// Radius of the centre circle and of the penalty arcs (m).
pub const CENTRE_CIRCLE_RADIUS: f64 = 9.15;
/// Depth of the penalty area from the goal line (m).
pub const PENALTY_AREA_DEPTH: f64 = 16.5;
/// Width of the penalty area (m).
pub const PENALTY_AREA_WIDTH: f64 = 40.32;
/// Depth of the goal area from the goal line (m).
pub const GOAL_AREA_DEPTH: f64 = 5.5;
/// Width of the goal area (m).
pub const GOAL_AREA_WIDTH: f64 = 18.32;
/// Distance of the penalty spot from the goal line (m).
pub const PENALTY_SPOT_DISTANCE: f64 = 11.0;
/// Radius of the corner arcs (m).
pub const CORNER_ARC_RADIUS: f64 = 1.0;
/// Radius of a size-5 ball (m).
pub const BALL_RADIUS: f64 = 0.11;

/// One end of the pitch, named by the sign of x at its goal line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// The goal line at `x = -length/2`.
    NegX,
    /// The goal line at `x = +length/2`.
    PosX,
}

impl End {
    /// `-1.0` for [`End::NegX`], `+1.0` for [`End::PosX`].
    pub fn sign(self) -> f64 {
        match self {
            End::NegX => -1.0,
            End::PosX => 1.0,
        }
    }

    /// The end on the side of `x` (x = 0 counts as `PosX`).
    pub fn of_x(x: f64) -> Self {
        if x < 0.0 {
            End::NegX
        } else {
            End::PosX
        }
    }

    /// The other end.
    pub fn opposite(self) -> Self {
        match self {
            End::NegX => End::PosX,
            End::PosX => End::NegX,
        }
    }
}

/// Which boundary line a ball wholly crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// A touch line (`|y| > width/2`).
    Touch,
    /// A goal line outside the goal mouth (`|x| > length/2`).
    GoalLine(End),
}

/// Pitch dimensions (m). The markings inside have their fixed Laws-of-the-Game sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pitch {
    /// Distance between the goal lines (m), 90–120.
    pub length: f64,
    /// Distance between the touch lines (m), 45–90.
    pub width: f64,
}

impl Default for Pitch {
    fn default() -> Self {
        Self::STANDARD
    }
}

impl Pitch {
    /// The FIFA-recommended 105 × 68 m pitch.
    pub const STANDARD: Pitch = Pitch {
        length: 105.0,
        width: 68.0,
    };

    /// `length / 2`: x of the goal lines.
    pub fn half_length(&self) -> f64 {
        self.length / 2.0
    }

    /// `width / 2`: y of the touch lines.
    pub fn half_width(&self) -> f64 {
        self.width / 2.0
    }

    /// Whether the dimensions are within the Laws of the Game (length 90–120, width 45–90,
    /// length > width).
    pub fn is_valid(&self) -> bool {
        self.length.is_finite()
            && self.width.is_finite()
            && (90.0..=120.0).contains(&self.length)
            && (45.0..=90.0).contains(&self.width)
            && self.length > self.width
    }

    /// The centre line of every marking as a polyline in the ground plane, arcs sampled every
    /// `step_m` metres or finer. Each polyline is open; closed shapes repeat their first point.
    /// The painted line is [`LINE_WIDTH`] wide and lies inside the boundary, so boundary lines
    /// are offset inward by half a line width.
    pub fn marking_polylines(&self, step_m: f64) -> Vec<Vec<Point2<f64>>> {
        let step = step_m.clamp(0.05, 5.0);
        let hw = LINE_WIDTH / 2.0;
        let (hl, hwid) = (self.half_length() - hw, self.half_width() - hw);
        let mut lines = vec![
            // Boundary: touch and goal lines as one closed rectangle.
            vec![
                Point2::new(-hl, -hwid),
                Point2::new(hl, -hwid),
                Point2::new(hl, hwid),
                Point2::new(-hl, hwid),
                Point2::new(-hl, -hwid),
            ],
            // Halfway line.
            vec![Point2::new(0.0, -hwid), Point2::new(0.0, hwid)],
            arc(
                Point2::new(0.0, 0.0),
                CENTRE_CIRCLE_RADIUS - hw,
                0.0,
                std::f64::consts::TAU,
                step,
            ),
        ];
        for end in [End::NegX, End::PosX] {
            let s = end.sign();
            let gl = s * hl;
            for (depth, width) in [
                (PENALTY_AREA_DEPTH, PENALTY_AREA_WIDTH),
                (GOAL_AREA_DEPTH, GOAL_AREA_WIDTH),
            ] {
                let x_in = s * (self.half_length() - depth + hw);
                let y = width / 2.0 - hw + LINE_WIDTH;
                lines.push(vec![
                    Point2::new(gl, -y),
                    Point2::new(x_in, -y),
                    Point2::new(x_in, y),
                    Point2::new(gl, y),
                ]);
            }
            // Penalty arc: the part of the 9.15 m circle around the spot outside the area.
            let spot_x = s * (self.half_length() - PENALTY_SPOT_DISTANCE);
            let r = CENTRE_CIRCLE_RADIUS - hw;
            let area_edge = PENALTY_AREA_DEPTH - PENALTY_SPOT_DISTANCE;
            let half_angle = (area_edge / r).clamp(-1.0, 1.0).acos();
            let centre_angle = if s > 0.0 { std::f64::consts::PI } else { 0.0 };
            lines.push(arc(
                Point2::new(spot_x, 0.0),
                r,
                centre_angle - half_angle,
                centre_angle + half_angle,
                step,
            ));
            // Corner arcs.
            for ys in [-1.0f64, 1.0] {
                // From the inward x direction to the inward y direction, the short way round.
                let a0 = (0.0f64).atan2(-s);
                let a1 = (-ys).atan2(0.0);
                let mut d = a1 - a0;
                if d > std::f64::consts::PI {
                    d -= std::f64::consts::TAU;
                } else if d < -std::f64::consts::PI {
                    d += std::f64::consts::TAU;
                }
                lines.push(arc(
                    Point2::new(s * hl, ys * hwid),
                    CORNER_ARC_RADIUS,
                    a0,
                    a0 + d,
                    step,
                ));
            }
        }
        lines
    }

    /// Centres of the painted spots: centre mark and both penalty marks (diameter ≈ 0.22 m).
    pub fn spots(&self) -> Vec<Point2<f64>> {
        let px = self.half_length() - PENALTY_SPOT_DISTANCE;
        vec![
            Point2::new(0.0, 0.0),
            Point2::new(-px, 0.0),
            Point2::new(px, 0.0),
        ]
    }

    /// The goal frame at `end` as three segments between post/crossbar centre lines:
    /// left post, crossbar, right post (ground to bar).
    pub fn goal_frame(&self, end: End) -> [(Point3<f64>, Point3<f64>); 3] {
        let x = end.sign() * (self.half_length() + POST_WIDTH / 2.0);
        let y = GOAL_WIDTH / 2.0 + POST_WIDTH / 2.0;
        let z = GOAL_HEIGHT + POST_WIDTH / 2.0;
        [
            (Point3::new(x, -y, 0.0), Point3::new(x, -y, z)),
            (Point3::new(x, -y, z), Point3::new(x, y, z)),
            (Point3::new(x, y, z), Point3::new(x, y, 0.0)),
        ]
    }

    /// Named landmarks on the ground plane (line intersections and spots), for calibration
    /// from correspondences and for checks. Positions are the outer corners of markings.
    pub fn landmarks(&self) -> Vec<(String, Point2<f64>)> {
        let (hl, hw) = (self.half_length(), self.half_width());
        let mut out = vec![
            ("centre".to_string(), Point2::new(0.0, 0.0)),
            ("halfway_neg_y".to_string(), Point2::new(0.0, -hw)),
            ("halfway_pos_y".to_string(), Point2::new(0.0, hw)),
        ];
        for end in [End::NegX, End::PosX] {
            let s = end.sign();
            let tag = if s > 0.0 { "pos_x" } else { "neg_x" };
            out.push((format!("corner_{tag}_neg_y"), Point2::new(s * hl, -hw)));
            out.push((format!("corner_{tag}_pos_y"), Point2::new(s * hl, hw)));
            out.push((
                format!("penalty_spot_{tag}"),
                Point2::new(s * (hl - PENALTY_SPOT_DISTANCE), 0.0),
            ));
            for (name, depth, width) in [
                ("penalty_area", PENALTY_AREA_DEPTH, PENALTY_AREA_WIDTH),
                ("goal_area", GOAL_AREA_DEPTH, GOAL_AREA_WIDTH),
            ] {
                for ys in [-1.0f64, 1.0] {
                    let ytag = if ys > 0.0 { "pos_y" } else { "neg_y" };
                    let y = ys * (width / 2.0 + LINE_WIDTH);
                    out.push((format!("{name}_{tag}_{ytag}_line"), Point2::new(s * hl, y)));
                    out.push((
                        format!("{name}_{tag}_{ytag}_inner"),
                        Point2::new(s * (hl - depth), y),
                    ));
                }
            }
        }
        out
    }

    /// Whether the ball (centre `ball`, radius `radius`) is wholly over a goal line, between
    /// the posts and under the crossbar: a goal at that end (if it got there legally).
    pub fn ball_in_goal(&self, ball: &Point3<f64>, radius: f64) -> Option<End> {
        let over_line = ball.x.abs() > self.half_length() + radius;
        let inside_mouth = ball.y.abs() < GOAL_WIDTH / 2.0 - radius
            && ball.z < GOAL_HEIGHT - radius
            && ball.x.abs() < self.half_length() + GOAL_DEPTH + radius;
        (over_line && inside_mouth).then(|| End::of_x(ball.x))
    }

    /// Whether the ball is wholly over a touch line or over a goal line outside the goal; `None`
    /// while it is in play or in the goal (see [`Pitch::ball_in_goal`]).
    pub fn ball_out_of_play(&self, ball: &Point3<f64>, radius: f64) -> Option<Boundary> {
        if ball.y.abs() > self.half_width() + radius {
            return Some(Boundary::Touch);
        }
        if ball.x.abs() > self.half_length() + radius && self.ball_in_goal(ball, radius).is_none() {
            return Some(Boundary::GoalLine(End::of_x(ball.x)));
        }
        None
    }
}

fn arc(centre: Point2<f64>, r: f64, a0: f64, a1: f64, step: f64) -> Vec<Point2<f64>> {
    let n = ((r * (a1 - a0).abs() / step).ceil() as usize).max(2);
    (0..=n)
        .map(|i| {
            let a = a0 + (a1 - a0) * i as f64 / n as f64;
            Point2::new(centre.x + r * a.cos(), centre.y + r * a.sin())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_needs_ball_wholly_over_the_line_between_posts_and_under_bar() {
        let p = Pitch::STANDARD;
        let r = BALL_RADIUS;
        assert_eq!(
            p.ball_in_goal(&Point3::new(52.62, 0.0, 0.5), r),
            Some(End::PosX)
        );
        // On the line (centre past it but not wholly): no goal.
        assert_eq!(p.ball_in_goal(&Point3::new(52.55, 0.0, 0.5), r), None);
        assert_eq!(
            p.ball_in_goal(&Point3::new(-53.0, -3.0, 0.2), r),
            Some(End::NegX)
        );
        // Wide of the post and over the bar.
        assert_eq!(p.ball_in_goal(&Point3::new(53.0, 3.7, 0.2), r), None);
        assert_eq!(p.ball_in_goal(&Point3::new(53.0, 0.0, 2.40), r), None);
        assert_eq!(
            p.ball_out_of_play(&Point3::new(53.0, 3.7, 0.2), r),
            Some(Boundary::GoalLine(End::PosX))
        );
        assert_eq!(p.ball_out_of_play(&Point3::new(53.0, 0.0, 0.2), r), None);
    }

    #[test]
    fn touch_line_out_only_when_wholly_over() {
        let p = Pitch::STANDARD;
        assert_eq!(
            p.ball_out_of_play(&Point3::new(10.0, 34.05, 0.1), 0.11),
            None
        );
        assert_eq!(
            p.ball_out_of_play(&Point3::new(10.0, -34.2, 0.1), 0.11),
            Some(Boundary::Touch)
        );
    }

    #[test]
    fn markings_stay_on_the_pitch() {
        let p = Pitch::STANDARD;
        let lines = p.marking_polylines(0.5);
        assert!(lines.len() >= 13);
        for line in &lines {
            assert!(line.len() >= 2);
            for q in line {
                assert!(q.x.abs() <= p.half_length() + 1e-9, "{q:?}");
                assert!(q.y.abs() <= p.half_width() + 1e-9, "{q:?}");
            }
        }
        assert!(Pitch::STANDARD.is_valid());
        assert!(!Pitch {
            length: 60.0,
            width: 68.0
        }
        .is_valid());
    }
}
