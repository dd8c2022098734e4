//! Pinhole camera with radial/tangential distortion (the OpenCV model, k1 k2 p1 p2) and a pose in
//! the pitch frame.
//!
//! Camera frame: x right, y down, z forward (OpenCV). `rotation` maps pitch-frame vectors into the
//! camera frame; `position` is the camera centre in pitch metres, so a pitch point `p` is at
//! `rotation * (p - position)` in the camera frame.

use nalgebra::{Matrix3, Point2, Point3, Rotation3, Unit, Vector3};
use serde::{Deserialize, Serialize};

/// Pixel focal lengths and principal point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intrinsics {
    /// Focal length in pixels along x.
    pub fx: f64,
    /// Focal length in pixels along y.
    pub fy: f64,
    /// Principal point x (px from the left edge).
    pub cx: f64,
    /// Principal point y (px from the top edge).
    pub cy: f64,
}

impl Intrinsics {
    /// The 3×3 camera matrix K.
    pub fn matrix(&self) -> Matrix3<f64> {
        Matrix3::new(self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0)
    }
}

/// OpenCV distortion coefficients (radial k1, k2; tangential p1, p2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distortion {
    /// Radial, r².
    pub k1: f64,
    /// Radial, r⁴.
    pub k2: f64,
    /// Tangential.
    #[serde(default)]
    pub p1: f64,
    /// Tangential.
    #[serde(default)]
    pub p2: f64,
}

impl Distortion {
    /// Whether all coefficients are zero.
    pub fn is_none(&self) -> bool {
        self.k1 == 0.0 && self.k2 == 0.0 && self.p1 == 0.0 && self.p2 == 0.0
    }

    /// Distorts a normalised image point (x/z, y/z).
    pub fn distort(&self, x: f64, y: f64) -> (f64, f64) {
        let r2 = x * x + y * y;
        let radial = 1.0 + self.k1 * r2 + self.k2 * r2 * r2;
        (
            x * radial + 2.0 * self.p1 * x * y + self.p2 * (r2 + 2.0 * x * x),
            y * radial + self.p1 * (r2 + 2.0 * y * y) + 2.0 * self.p2 * x * y,
        )
    }

    /// Inverts [`Distortion::distort`] by fixed-point iteration (as OpenCV's `undistortPoints`),
    /// refined with Newton-like correction; accurate to ~1e-10 within the valid image.
    pub fn undistort(&self, xd: f64, yd: f64) -> (f64, f64) {
        if self.is_none() {
            return (xd, yd);
        }
        let (mut x, mut y) = (xd, yd);
        for _ in 0..20 {
            let (dx, dy) = self.distort(x, y);
            let (ex, ey) = (dx - xd, dy - yd);
            if ex.abs() < 1e-12 && ey.abs() < 1e-12 {
                break;
            }
            let r2 = x * x + y * y;
            let radial = 1.0 + self.k1 * r2 + self.k2 * r2 * r2;
            x -= ex / radial;
            y -= ey / radial;
        }
        (x, y)
    }

    /// Whether the radial mapping r → r·(1 + k1 r² + k2 r⁴) is strictly increasing on
    /// `[0, r_max]` (otherwise distinct rays land on the same pixel and the model is unusable).
    pub fn is_monotonic_up_to(&self, r_max: f64) -> bool {
        let n = 200;
        (0..=n).all(|i| {
            let r = r_max * i as f64 / n as f64;
            let r2 = r * r;
            1.0 + 3.0 * self.k1 * r2 + 5.0 * self.k2 * r2 * r2 > 0.0
        })
    }
}

/// Where the camera is and where it looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Maps pitch-frame vectors into the camera frame (x right, y down, z forward).
    pub rotation: Rotation3<f64>,
    /// Camera centre in pitch metres.
    pub position: Point3<f64>,
}

impl Pose {
    /// A camera at `position` looking at `target` with the image x axis horizontal (no roll),
    /// then rolled by `roll_rad` about the optical axis. `None` if looking straight up or down.
    pub fn look_at(position: Point3<f64>, target: Point3<f64>, roll_rad: f64) -> Option<Self> {
        let forward = (target - position).try_normalize(1e-9)?;
        let up = Vector3::z();
        let right = forward.cross(&up).try_normalize(1e-9)?;
        let down = forward.cross(&right);
        // Rows are the camera axes expressed in the pitch frame.
        let m = Matrix3::from_rows(&[right.transpose(), down.transpose(), forward.transpose()]);
        let base = Rotation3::from_matrix_unchecked(m);
        let roll = Rotation3::from_axis_angle(&Vector3::z_axis(), roll_rad);
        Some(Self {
            rotation: roll * base,
            position,
        })
    }

    /// The rotation as an OpenCV Rodrigues vector (axis × angle, radians).
    pub fn rvec(&self) -> Vector3<f64> {
        self.rotation.scaled_axis()
    }

    /// Builds a pose from an OpenCV Rodrigues vector and a camera position.
    pub fn from_rvec(rvec: Vector3<f64>, position: Point3<f64>) -> Self {
        let rotation = match Unit::try_new(rvec, 1e-15) {
            Some(axis) => Rotation3::from_axis_angle(&axis, rvec.norm()),
            None => Rotation3::identity(),
        };
        Self { rotation, position }
    }

    /// The OpenCV translation vector `t = -R·C`.
    pub fn tvec(&self) -> Vector3<f64> {
        -(self.rotation * self.position.coords)
    }
}

/// A calibrated camera: image size, intrinsics, distortion and pose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Image width (px).
    pub width: u32,
    /// Image height (px).
    pub height: u32,
    /// Pinhole intrinsics.
    pub intrinsics: Intrinsics,
    /// Lens distortion.
    pub distortion: Distortion,
    /// Pose in the pitch frame.
    pub pose: Pose,
}

/// Points closer to the camera plane than this (m) are treated as behind the camera.
pub const NEAR_PLANE_M: f64 = 0.05;

impl Camera {
    /// A pitch point in the camera frame (x right, y down, z forward, metres).
    pub fn to_camera(&self, pitch_m: &Point3<f64>) -> Vector3<f64> {
        self.pose.rotation * (pitch_m - self.pose.position)
    }

    /// Projects a pitch point into the image (distorted pixels). `None` when the point is behind
    /// (or within [`NEAR_PLANE_M`] of) the camera plane. Points outside the image are returned
    /// as they fall; check [`Camera::contains`] when that matters.
    pub fn project(&self, pitch_m: &Point3<f64>) -> Option<Point2<f64>> {
        let c = self.to_camera(pitch_m);
        if c.z <= NEAR_PLANE_M {
            return None;
        }
        let (xd, yd) = self.distortion.distort(c.x / c.z, c.y / c.z);
        Some(self.normalized_to_pixel(xd, yd))
    }

    /// Projects without lens distortion (the ideal pinhole image).
    pub fn project_undistorted(&self, pitch_m: &Point3<f64>) -> Option<Point2<f64>> {
        let c = self.to_camera(pitch_m);
        if c.z <= NEAR_PLANE_M {
            return None;
        }
        Some(self.normalized_to_pixel(c.x / c.z, c.y / c.z))
    }

    /// Distance from the camera plane (camera-frame z, metres) of a pitch point.
    pub fn depth(&self, pitch_m: &Point3<f64>) -> f64 {
        self.to_camera(pitch_m).z
    }

    /// Maps a distorted pixel to its ideal (undistorted) pinhole pixel.
    pub fn undistort_pixel(&self, image_px: &Point2<f64>) -> Point2<f64> {
        let k = &self.intrinsics;
        let (x, y) = self
            .distortion
            .undistort((image_px.x - k.cx) / k.fx, (image_px.y - k.cy) / k.fy);
        self.normalized_to_pixel(x, y)
    }

    /// Maps an ideal (undistorted) pinhole pixel to where the lens puts it.
    pub fn distort_pixel(&self, ideal_px: &Point2<f64>) -> Point2<f64> {
        let k = &self.intrinsics;
        let (x, y) = self
            .distortion
            .distort((ideal_px.x - k.cx) / k.fx, (ideal_px.y - k.cy) / k.fy);
        self.normalized_to_pixel(x, y)
    }

    /// The homography from pitch-plane points `(x, y, 1)` (z = 0) to *undistorted* image pixels:
    /// `K · [r1 r2 t]`. Undistort pixels ([`Camera::undistort_pixel`]) before applying its inverse.
    pub fn ground_plane_homography(&self) -> Matrix3<f64> {
        let r = self.pose.rotation.matrix();
        let t = self.pose.tvec();
        let m = Matrix3::from_columns(&[r.column(0).into_owned(), r.column(1).into_owned(), t]);
        self.intrinsics.matrix() * m
    }

    /// Back-projects a (distorted) pixel onto the ground plane (z = 0). `None` if the ray does
    /// not hit the ground in front of the camera.
    pub fn pixel_to_ground(&self, image_px: &Point2<f64>) -> Option<Point2<f64>> {
        let k = &self.intrinsics;
        let (x, y) = self
            .distortion
            .undistort((image_px.x - k.cx) / k.fx, (image_px.y - k.cy) / k.fy);
        let ray = self.pose.rotation.inverse() * Vector3::new(x, y, 1.0);
        if ray.z >= -1e-12 {
            return None;
        }
        let s = -self.pose.position.z / ray.z;
        let p = self.pose.position + ray * s;
        Some(Point2::new(p.x, p.y))
    }

    /// Whether a pixel lies inside the image.
    pub fn contains(&self, image_px: &Point2<f64>) -> bool {
        image_px.x >= 0.0
            && image_px.y >= 0.0
            && image_px.x < f64::from(self.width)
            && image_px.y < f64::from(self.height)
    }

    /// Largest normalised radius any image pixel has (the image corner farthest from the
    /// principal point), in distorted normalised units.
    pub fn max_normalized_radius(&self) -> f64 {
        let k = &self.intrinsics;
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)]
            .iter()
            .map(|(u, v)| ((u - k.cx) / k.fx).hypot((v - k.cy) / k.fy))
            .fold(0.0, f64::max)
    }

    /// The same camera for an image scaled to `width × height` (intrinsics scaled per axis).
    pub fn scaled_to(&self, width: u32, height: u32) -> Self {
        let sx = f64::from(width) / f64::from(self.width);
        let sy = f64::from(height) / f64::from(self.height);
        let k = self.intrinsics;
        Self {
            width,
            height,
            intrinsics: Intrinsics {
                fx: k.fx * sx,
                fy: k.fy * sy,
                cx: k.cx * sx,
                cy: k.cy * sy,
            },
            ..*self
        }
    }

    fn normalized_to_pixel(&self, x: f64, y: f64) -> Point2<f64> {
        let k = &self.intrinsics;
        Point2::new(k.fx * x + k.cx, k.fy * y + k.cy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn broadcast() -> Result<Camera, &'static str> {
        Ok(Camera {
            width: 1280,
            height: 720,
            intrinsics: Intrinsics {
                fx: 900.0,
                fy: 900.0,
                cx: 640.0,
                cy: 360.0,
            },
            distortion: Distortion {
                k1: -0.08,
                k2: 0.01,
                p1: 0.0005,
                p2: -0.0003,
            },
            pose: Pose::look_at(
                Point3::new(0.0, -60.0, 22.0),
                Point3::new(5.0, 0.0, 0.0),
                0.01,
            )
            .ok_or("degenerate look_at")?,
        })
    }

    #[test]
    fn look_at_puts_the_target_on_the_principal_point() -> TestResult {
        let cam = broadcast()?;
        let px = cam
            .project_undistorted(&Point3::new(5.0, 0.0, 0.0))
            .ok_or("target behind camera")?;
        assert!((px - Point2::new(640.0, 360.0)).norm() < 1e-9, "{px:?}");
        // Higher in the world is higher (smaller v) in the image.
        let up = cam
            .project_undistorted(&Point3::new(5.0, 0.0, 2.0))
            .ok_or("behind")?;
        assert!(up.y < px.y);
        assert!(cam.project(&Point3::new(0.0, -80.0, 0.0)).is_none());
        Ok(())
    }

    #[test]
    fn undistort_inverts_distort_and_ground_round_trips() -> TestResult {
        let cam = broadcast()?;
        for (x, y) in [(10.0, 5.0), (-30.0, 20.0), (40.0, -20.0), (0.0, 0.0)] {
            let p = Point3::new(x, y, 0.0);
            let px = cam.project(&p).ok_or("behind")?;
            let back = cam.pixel_to_ground(&px).ok_or("no ground hit")?;
            assert!((back - Point2::new(x, y)).norm() < 1e-6, "{back:?}");
            let ideal = cam.undistort_pixel(&px);
            let h = cam.ground_plane_homography() * Vector3::new(x, y, 1.0);
            assert!((ideal - Point2::new(h.x / h.z, h.y / h.z)).norm() < 1e-6);
            assert!((cam.distort_pixel(&ideal) - px).norm() < 1e-6);
        }
        Ok(())
    }

    #[test]
    fn rvec_round_trips() -> TestResult {
        let cam = broadcast()?;
        let back = Pose::from_rvec(cam.pose.rvec(), cam.pose.position);
        assert!((back.rotation.matrix() - cam.pose.rotation.matrix()).norm() < 1e-12);
        assert!(cam
            .distortion
            .is_monotonic_up_to(cam.max_normalized_radius()));
        assert!(!Distortion {
            k1: -0.5,
            k2: 0.0,
            p1: 0.0,
            p2: 0.0
        }
        .is_monotonic_up_to(1.2));
        Ok(())
    }
}
