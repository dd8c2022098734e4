//! Pure scene geometry shared by the renderer and the ground truth: the 3D figures (camera-facing
//! billboard polygons) of people and the ball, their pixel boxes, and the camera rigs (fixed
//! cameras and the panning/zooming broadcast camera).

use calibration::pitch::BALL_RADIUS;
use calibration::{Camera, Distortion, Intrinsics, Pitch, Pose};
use nalgebra::{Point2, Point3, Vector3};

use crate::sim::{Ball, ObjectClass, Person};

/// What a polygon of a figure is painted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Shirt colour.
    Shirt,
    /// Shorts colour.
    Shorts,
    /// Sock colour.
    Socks,
    /// Skin.
    Skin,
    /// Hair.
    Hair,
    /// Boots.
    Boots,
    /// The ball.
    Ball,
}

/// A convex polygon in pitch metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Paint.
    pub paint: Paint,
    /// Vertices (pitch metres), convex, in order.
    pub pts: Vec<Point3<f64>>,
}

/// Upright figure of a person as camera-facing polygons (back to front: legs, torso, arms, head).
pub fn person_parts(p: &Person, camera_position: &Point3<f64>) -> Vec<Part> {
    let base = Point3::new(p.pos.x, p.pos.y, 0.0);
    let to_cam = Vector3::new(camera_position.x - base.x, camera_position.y - base.y, 0.0);
    let right = Vector3::new(-to_cam.y, to_cam.x, 0.0)
        .try_normalize(1e-9)
        .unwrap_or(Vector3::x());
    // Slightly towards the camera so the figure is not coplanar with the ground polygons.
    let h = p.height;
    let scale = h / 1.8;
    let speed = p.vel.norm();
    let swing = (speed / 7.0).min(1.0) * 0.28 * scale;
    let ph = p.stride_phase;
    // Lateral (screen) component of the running direction decides how much the stride shows.
    let side = if speed > 0.1 {
        (p.vel.x * right.x + p.vel.y * right.y).abs() / speed
    } else {
        0.0
    };
    let stride = swing * (0.35 + 0.65 * side);
    let at = |lat: f64, z: f64| base + right * lat + Vector3::new(0.0, 0.0, z);
    let quad = |l0: f64, r0: f64, z0: f64, l1: f64, r1: f64, z1: f64| {
        vec![at(l0, z0), at(r0, z0), at(r1, z1), at(l1, z1)]
    };
    let hip = 0.95 * scale;
    let knee = 0.5 * scale;
    let mut parts = Vec::with_capacity(16);
    for (k, sign) in [(0.0, -1.0), (std::f64::consts::PI, 1.0)] {
        let foot = sign * 0.08 * scale + stride * (ph + k).sin();
        let hip_x = sign * 0.085 * scale;
        let knee_x = hip_x + (foot - hip_x) * 0.5;
        let w = 0.075 * scale;
        // Thigh (shorts top third), shin (sock), boot.
        parts.push(Part {
            paint: Paint::Skin,
            pts: quad(
                knee_x - w,
                knee_x + w,
                knee,
                hip_x - w,
                hip_x + w,
                hip - 0.1,
            ),
        });
        parts.push(Part {
            paint: Paint::Socks,
            pts: quad(
                foot - w * 0.85,
                foot + w * 0.85,
                0.07 * scale,
                knee_x - w * 0.9,
                knee_x + w * 0.9,
                knee + 0.02,
            ),
        });
        parts.push(Part {
            paint: Paint::Boots,
            pts: quad(
                foot - w,
                foot + w * 1.3,
                0.0,
                foot - w,
                foot + w,
                0.08 * scale,
            ),
        });
    }
    parts.push(Part {
        paint: Paint::Shorts,
        pts: quad(
            -0.19 * scale,
            0.19 * scale,
            0.72 * scale,
            -0.18 * scale,
            0.18 * scale,
            hip + 0.02,
        ),
    });
    let shoulder = 1.47 * scale;
    parts.push(Part {
        paint: Paint::Shirt,
        pts: vec![
            at(-0.17 * scale, hip - 0.02),
            at(0.17 * scale, hip - 0.02),
            at(0.22 * scale, shoulder - 0.05),
            at(0.16 * scale, shoulder + 0.02),
            at(-0.16 * scale, shoulder + 0.02),
            at(-0.22 * scale, shoulder - 0.05),
        ],
    });
    // Arms swing against the legs.
    for (k, sign) in [(std::f64::consts::PI, -1.0), (0.0, 1.0)] {
        let sx = sign * 0.23 * scale;
        let hand = sx + sign * 0.03 + stride * 0.6 * (ph + k).sin();
        let elbow = sx + (hand - sx) * 0.5;
        let w = 0.05 * scale;
        parts.push(Part {
            paint: Paint::Shirt,
            pts: quad(
                elbow - w,
                elbow + w,
                1.12 * scale,
                sx - w,
                sx + w,
                shoulder - 0.04,
            ),
        });
        parts.push(Part {
            paint: Paint::Skin,
            pts: quad(
                hand - w * 0.8,
                hand + w * 0.8,
                0.8 * scale,
                elbow - w,
                elbow + w,
                1.13 * scale,
            ),
        });
    }
    // Neck and head (a 10-gon), hair on the top half.
    parts.push(Part {
        paint: Paint::Skin,
        pts: quad(-0.05, 0.05, shoulder - 0.02, -0.05, 0.05, shoulder + 0.08),
    });
    let head_c = h - 0.12 * scale;
    let r = 0.115 * scale;
    let ngon = |a0: f64, a1: f64, n: usize| -> Vec<Point3<f64>> {
        (0..=n)
            .map(|i| {
                let a = a0 + (a1 - a0) * i as f64 / n as f64;
                at(r * a.cos() * 0.85, head_c + r * a.sin())
            })
            .collect()
    };
    parts.push(Part {
        paint: Paint::Skin,
        pts: ngon(0.0, std::f64::consts::TAU, 12),
    });
    parts.push(Part {
        paint: Paint::Hair,
        pts: ngon(0.1, std::f64::consts::PI - 0.1, 6),
    });
    parts
}

/// The ball's silhouette: a 16-gon of radius [`BALL_RADIUS`] facing the camera.
pub fn ball_outline(ball: &Ball, camera_position: &Point3<f64>) -> Vec<Point3<f64>> {
    let view = (ball.pos - camera_position)
        .try_normalize(1e-9)
        .unwrap_or(Vector3::y());
    let u = view
        .cross(&Vector3::z())
        .try_normalize(1e-9)
        .unwrap_or(Vector3::x());
    let v = view.cross(&u);
    // The true silhouette of a sphere seen from distance d is a circle of radius r·d/√(d²−r²).
    let d = (ball.pos - camera_position).norm().max(BALL_RADIUS * 2.0);
    let r = BALL_RADIUS * d / (d * d - BALL_RADIUS * BALL_RADIUS).sqrt();
    (0..16)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / 16.0;
            ball.pos + (u * a.cos() + v * a.sin()) * r
        })
        .collect()
}

/// A pixel box (distorted image pixels, `x0 < x1`, `y0 < y1`, not clipped to the image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl PixelBox {
    /// Whether the box overlaps a `width × height` image.
    pub fn intersects_image(&self, width: u32, height: u32) -> bool {
        self.x1 > 0.0 && self.y1 > 0.0 && self.x0 < f64::from(width) && self.y0 < f64::from(height)
    }

    /// The box clipped to the image.
    pub fn clipped(&self, width: u32, height: u32) -> PixelBox {
        let (w, h) = (f64::from(width), f64::from(height));
        PixelBox {
            x0: self.x0.clamp(0.0, w),
            y0: self.y0.clamp(0.0, h),
            x1: self.x1.clamp(0.0, w),
            y1: self.y1.clamp(0.0, h),
        }
    }

    /// Whether a point lies in the box grown by `tol` pixels.
    pub fn contains(&self, p: &Point2<f64>, tol: f64) -> bool {
        p.x >= self.x0 - tol && p.x <= self.x1 + tol && p.y >= self.y0 - tol && p.y <= self.y1 + tol
    }
}

/// Box of a set of 3D points through a camera (with distortion). `None` if any point is behind
/// the camera.
pub fn box_of(camera: &Camera, pts: impl IntoIterator<Item = Point3<f64>>) -> Option<PixelBox> {
    let mut b = PixelBox {
        x0: f64::INFINITY,
        y0: f64::INFINITY,
        x1: f64::NEG_INFINITY,
        y1: f64::NEG_INFINITY,
    };
    let mut any = false;
    for p in pts {
        let q = camera.project(&p)?;
        b.x0 = b.x0.min(q.x);
        b.y0 = b.y0.min(q.y);
        b.x1 = b.x1.max(q.x);
        b.y1 = b.y1.max(q.y);
        any = true;
    }
    any.then_some(b)
}

/// The pixel box of a person (all figure polygons) as seen by `camera`.
pub fn person_box(camera: &Camera, p: &Person) -> Option<PixelBox> {
    let parts = person_parts(p, &camera.pose.position);
    box_of(camera, parts.into_iter().flat_map(|part| part.pts))
}

/// The pixel box of the ball as seen by `camera`.
pub fn ball_box(camera: &Camera, ball: &Ball) -> Option<PixelBox> {
    box_of(camera, ball_outline(ball, &camera.pose.position))
}

/// The ground point that represents an object's pitch position: feet for people, ball centre
/// for the ball.
pub fn anchor(class: ObjectClass, x: f64, y: f64, z: f64) -> Point3<f64> {
    match class {
        ObjectClass::Ball => Point3::new(x, y, z),
        _ => Point3::new(x, y, 0.0),
    }
}

// -------------------------------------------------------------------- camera rigs

/// A named camera placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RigKind {
    /// Fixed, high on the halfway line, sees the whole pitch (tactical camera).
    Main,
    /// Fixed, covers the −x half.
    Left,
    /// Fixed, covers the +x half.
    Right,
    /// Pans, tilts and zooms to follow the ball (per-frame calibration).
    Broadcast,
    /// Fixed, high behind the −x goal.
    GoalNeg,
    /// Fixed, high behind the +x goal.
    GoalPos,
}

impl RigKind {
    /// Parses a camera name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "main" => RigKind::Main,
            "left" => RigKind::Left,
            "right" => RigKind::Right,
            "broadcast" => RigKind::Broadcast,
            "goal-neg" => RigKind::GoalNeg,
            "goal-pos" => RigKind::GoalPos,
            _ => return None,
        })
    }

    /// Camera name as used in files.
    pub fn name(self) -> &'static str {
        match self {
            RigKind::Main => "main",
            RigKind::Left => "left",
            RigKind::Right => "right",
            RigKind::Broadcast => "broadcast",
            RigKind::GoalNeg => "goal-neg",
            RigKind::GoalPos => "goal-pos",
        }
    }

    /// Whether the camera moves (per-frame calibration).
    pub fn is_moving(self) -> bool {
        self == RigKind::Broadcast
    }
}

/// A camera rig: produces the camera for each frame.
#[derive(Debug, Clone)]
pub struct Rig {
    /// Which placement.
    pub kind: RigKind,
    width: u32,
    height: u32,
    pitch: Pitch,
    aim: Point3<f64>,
    view_width_m: f64,
    jitter: Vector3<f64>,
}

impl Rig {
    /// A rig for an image size. `variation` (0..1 values) perturbs the placement slightly so
    /// training exports see many poses; use zeros for the canonical placement.
    pub fn new(kind: RigKind, width: u32, height: u32, pitch: Pitch, variation: [f64; 3]) -> Self {
        Self {
            kind,
            width,
            height,
            pitch,
            aim: Point3::new(0.0, 0.0, 0.0),
            view_width_m: 42.0,
            jitter: Vector3::new(
                (variation[0] - 0.5) * 12.0,
                (variation[1] - 0.5) * 10.0,
                (variation[2] - 0.5) * 8.0,
            ),
        }
    }

    /// The camera for the current frame, after following the ball for `dt` seconds (only the
    /// broadcast rig moves).
    pub fn camera(&mut self, ball: &Point3<f64>, dt: f64) -> Option<Camera> {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let hl = self.pitch.half_length();
        let hw = self.pitch.half_width();
        let j = self.jitter;
        let (position, target, hfov_deg, distortion) = match self.kind {
            RigKind::Main => (
                Point3::new(j.x * 0.3, -hw - 26.0 + j.y, 24.0 + j.z),
                Point3::new(0.0, 3.0, 0.0),
                86.0,
                Distortion {
                    k1: -0.06,
                    k2: 0.012,
                    p1: 0.0,
                    p2: 0.0,
                },
            ),
            RigKind::Left | RigKind::Right => {
                let s = if self.kind == RigKind::Left {
                    -1.0
                } else {
                    1.0
                };
                (
                    Point3::new(s * 26.0 + j.x, -hw - 20.0 + j.y, 18.0 + j.z),
                    Point3::new(s * 30.0, 2.0, 0.0),
                    70.0,
                    Distortion {
                        k1: -0.05,
                        k2: 0.01,
                        p1: 0.0003,
                        p2: -0.0002,
                    },
                )
            }
            RigKind::GoalNeg | RigKind::GoalPos => {
                let s = if self.kind == RigKind::GoalNeg {
                    -1.0
                } else {
                    1.0
                };
                (
                    Point3::new(s * (hl + 22.0) + j.y, j.x, 16.0 + j.z),
                    Point3::new(s * (hl - 22.0), 0.0, 0.0),
                    72.0,
                    Distortion {
                        k1: -0.05,
                        k2: 0.01,
                        p1: 0.0,
                        p2: 0.0,
                    },
                )
            }
            RigKind::Broadcast => {
                // Smoothly follow the ball on the ground; zoom out when it is far away.
                let goal = Point3::new(
                    ball.x.clamp(-hl + 12.0, hl - 12.0),
                    ball.y.clamp(-hw, hw) * 0.7,
                    0.0,
                );
                let k = (dt / 0.7).min(1.0);
                self.aim += (goal - self.aim) * k;
                let position = Point3::new(j.x * 0.3, -hw - 30.0 + j.y, 20.0 + j.z);
                let dist = (self.aim - position).norm();
                let want = 34.0 + 0.25 * (self.aim.y + hw) + 4.0 * j.x.abs() / 6.0;
                self.view_width_m += (want - self.view_width_m) * (dt / 1.5).min(1.0);
                let hfov = 2.0 * (self.view_width_m / 2.0 / dist).atan().to_degrees();
                (
                    position,
                    self.aim,
                    hfov,
                    Distortion {
                        k1: -0.03,
                        k2: 0.005,
                        p1: 0.0,
                        p2: 0.0,
                    },
                )
            }
        };
        let fx = w / 2.0 / (hfov_deg.to_radians() / 2.0).tan();
        Some(Camera {
            width: self.width,
            height: self.height,
            intrinsics: Intrinsics {
                fx,
                fy: fx,
                cx: w / 2.0,
                cy: h / 2.0,
            },
            distortion,
            pose: Pose::look_at(position, target, 0.0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{MatchSim, SimConfig};

    #[test]
    fn main_camera_sees_both_goals_and_the_centre() -> Result<(), String> {
        let mut rig = Rig::new(RigKind::Main, 1280, 720, Pitch::STANDARD, [0.5; 3]);
        let cam = rig.camera(&Point3::origin(), 0.04).ok_or("no camera")?;
        for p in [
            Point3::new(0.0, 0.0, 0.0),
            Point3::new(52.5, 0.0, 2.44),
            Point3::new(-52.5, 0.0, 2.44),
            Point3::new(0.0, 34.0, 0.0),
        ] {
            let px = cam.project(&p).ok_or("behind")?;
            assert!(cam.contains(&px), "{p:?} at {px:?}");
        }
        assert!(cam
            .distortion
            .is_monotonic_up_to(cam.max_normalized_radius()));
        Ok(())
    }

    #[test]
    fn person_box_contains_the_feet_and_is_upright() -> Result<(), String> {
        let sim = MatchSim::new(SimConfig::for_seed(1));
        let mut rig = Rig::new(RigKind::Broadcast, 1280, 720, Pitch::STANDARD, [0.5; 3]);
        let cam = rig.camera(&Point3::origin(), 10.0).ok_or("no camera")?;
        for p in &sim.people {
            let b = person_box(&cam, p).ok_or("behind")?;
            let feet = cam
                .project(&Point3::new(p.pos.x, p.pos.y, 0.0))
                .ok_or("behind")?;
            assert!(b.contains(&feet, 1.0), "{} {b:?} {feet:?}", p.id);
            assert!(b.y1 - b.y0 > b.x1 - b.x0, "{} box not upright: {b:?}", p.id);
        }
        Ok(())
    }
}
