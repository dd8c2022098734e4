//! Shared input types: object classes, image boxes and detections.

use nalgebra::{Matrix2, Point2};
use serde::{Deserialize, Serialize};

/// What a detection or track is. The detector's class map decides it (see `models/*.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// An outfield player.
    Player,
    /// A goalkeeper (a player for the metrics' class groups).
    Goalkeeper,
    /// A referee or assistant referee.
    Referee,
    /// The ball.
    Ball,
}

impl ObjectClass {
    /// All classes, in a fixed order (also the index order of [`ObjectClass::index`]).
    pub const ALL: [ObjectClass; 4] = [
        ObjectClass::Player,
        ObjectClass::Goalkeeper,
        ObjectClass::Referee,
        ObjectClass::Ball,
    ];

    /// Dense index 0..4 in the order of [`ObjectClass::ALL`].
    pub fn index(self) -> usize {
        match self {
            ObjectClass::Player => 0,
            ObjectClass::Goalkeeper => 1,
            ObjectClass::Referee => 2,
            ObjectClass::Ball => 3,
        }
    }

    /// The group this class is scored in: goalkeepers count as players.
    pub fn group(self) -> ClassGroup {
        match self {
            ObjectClass::Player | ObjectClass::Goalkeeper => ClassGroup::Players,
            ObjectClass::Referee => ClassGroup::Referees,
            ObjectClass::Ball => ClassGroup::Ball,
        }
    }
}

/// Coarse class groups used by association (optional) and by the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassGroup {
    /// Players and goalkeepers.
    Players,
    /// Referees.
    Referees,
    /// The ball.
    Ball,
}

impl ClassGroup {
    /// All groups, in table order.
    pub const ALL: [ClassGroup; 3] = [ClassGroup::Players, ClassGroup::Referees, ClassGroup::Ball];

    /// Dense index 0..3 in the order of [`ClassGroup::ALL`].
    pub fn index(self) -> usize {
        match self {
            ClassGroup::Players => 0,
            ClassGroup::Referees => 1,
            ClassGroup::Ball => 2,
        }
    }

    /// Short lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            ClassGroup::Players => "players",
            ClassGroup::Referees => "referees",
            ClassGroup::Ball => "ball",
        }
    }
}

/// An axis-aligned box in `image_px` (origin top-left, x right, y down): corners `(x1, y1)`–`(x2, y2)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageBox {
    /// Left edge, px.
    pub x1: f32,
    /// Top edge, px.
    pub y1: f32,
    /// Right edge, px.
    pub x2: f32,
    /// Bottom edge, px.
    pub y2: f32,
}

impl ImageBox {
    /// A box from its corners.
    pub fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        ImageBox { x1, y1, x2, y2 }
    }

    /// A box from its centre and size.
    pub fn from_center_size(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        ImageBox {
            x1: cx - w / 2.0,
            y1: cy - h / 2.0,
            x2: cx + w / 2.0,
            y2: cy + h / 2.0,
        }
    }

    /// Finite corners and positive width and height.
    pub fn is_valid(&self) -> bool {
        [self.x1, self.y1, self.x2, self.y2]
            .iter()
            .all(|v| v.is_finite())
            && self.x2 > self.x1
            && self.y2 > self.y1
    }

    /// Width, px.
    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }

    /// Height, px.
    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }

    /// Centre `(cx, cy)`, px.
    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    /// Intersection over union in `[0, 1]`; 0 for invalid boxes.
    pub fn iou(&self, other: &ImageBox) -> f32 {
        if !self.is_valid() || !other.is_valid() {
            return 0.0;
        }
        let iw = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let ih = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = iw * ih;
        let union = self.width() * self.height() + other.width() * other.height() - inter;
        if union > 0.0 {
            (inter / union).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// One detector output for one frame.
///
/// `foot_pitch_m` is the box's ground contact point (bottom centre for people, the ball's ground
/// projection for the ball) mapped through the camera's calibration into the pitch frame; `None`
/// when the camera is not calibrated or the point falls outside the ground plane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Box in `image_px`.
    pub image_box_px: ImageBox,
    /// Detector confidence, nominally `[0, 1]`.
    pub score: f32,
    /// Detector class after the class map.
    pub class: ObjectClass,
    /// Foot point in pitch metres, when known.
    pub foot_pitch_m: Option<Point2<f64>>,
    /// `∂pitch_m / ∂image_px` at the foot point (2×2, metres per pixel), when the camera is
    /// known: the tracker turns pixel noise into an anisotropic pitch covariance with it (a pixel
    /// of box-bottom error moves the foot point far more along the camera's line of sight than
    /// across it).
    #[serde(default)]
    pub foot_jacobian_m_per_px: Option<Matrix2<f64>>,
    /// Image length (px) of one metre of an upright person standing at the foot point, when the
    /// camera is known: turns a box height into a stature in metres, so the tracker can learn each
    /// person's stature and take a second foot measurement from the box top.
    #[serde(default)]
    pub upright_px_per_m: Option<f64>,
    /// Mean torso colour (BGR, 0-255) of a person, when the caller measured it: the tracker
    /// weighs kit colour into association (`kit_colour_cost`).
    #[serde(default)]
    pub torso_bgr: Option<[f32; 3]>,
}

impl Detection {
    /// A detection with a foot point.
    pub fn new(
        image_box_px: ImageBox,
        score: f32,
        class: ObjectClass,
        foot_pitch_m: Option<Point2<f64>>,
    ) -> Self {
        Detection {
            image_box_px,
            score,
            class,
            foot_pitch_m,
            foot_jacobian_m_per_px: None,
            upright_px_per_m: None,
            torso_bgr: None,
        }
    }

    /// The same detection with the foot point's pixel→pitch Jacobian.
    pub fn with_foot_jacobian(mut self, jacobian_m_per_px: Matrix2<f64>) -> Self {
        self.foot_jacobian_m_per_px = Some(jacobian_m_per_px);
        self
    }

    /// The same detection with the upright scale at its foot point (px per metre, > 0).
    pub fn with_upright_scale(mut self, upright_px_per_m: f64) -> Self {
        self.upright_px_per_m = Some(upright_px_per_m);
        self
    }

    /// The same detection with its torso colour (BGR, 0-255).
    pub fn with_torso_colour(mut self, torso_bgr: [f32; 3]) -> Self {
        self.torso_bgr = Some(torso_bgr);
        self
    }

    /// The box height in metres at the foot point (box height over `upright_px_per_m`), when
    /// the camera's upright scale is known.
    pub fn box_height_m(&self) -> Option<f64> {
        self.upright_px_per_m
            .map(|px_per_m| f64::from(self.image_box_px.height()) / px_per_m)
    }

    /// Finite score, valid box, finite foot point (when present). Invalid detections are
    /// ignored by the trackers and counted in their frame output.
    pub fn is_valid(&self) -> bool {
        self.score.is_finite()
            && self.image_box_px.is_valid()
            && self
                .foot_pitch_m
                .is_none_or(|p| p.x.is_finite() && p.y.is_finite())
            && self
                .foot_jacobian_m_per_px
                .is_none_or(|j| j.iter().all(|v| v.is_finite()))
            && self
                .upright_px_per_m
                .is_none_or(|s| s.is_finite() && s > 0.0)
            && self
                .torso_bgr
                .is_none_or(|k| k.iter().all(|v| v.is_finite()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let a = ImageBox::new(0.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.iou(&ImageBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        // Overlap 5x10 = 50, union 150.
        let b = ImageBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn nan_boxes_and_points_are_invalid() {
        let good = Detection::new(
            ImageBox::new(0.0, 0.0, 1.0, 1.0),
            0.9,
            ObjectClass::Player,
            Some(Point2::new(1.0, 2.0)),
        );
        assert!(good.is_valid());
        let mut d = good;
        d.score = f32::NAN;
        assert!(!d.is_valid());
        let mut d = good;
        d.image_box_px.x2 = f32::INFINITY;
        assert!(!d.is_valid());
        let mut d = good;
        d.foot_pitch_m = Some(Point2::new(f64::NAN, 0.0));
        assert!(!d.is_valid());
        let mut d = good;
        d.upright_px_per_m = Some(0.0);
        assert!(!d.is_valid());
        let mut d = good;
        d.image_box_px = ImageBox::new(5.0, 0.0, 5.0, 1.0);
        assert!(!d.is_valid());
        assert_eq!(d.image_box_px.iou(&good.image_box_px), 0.0);
    }
}
