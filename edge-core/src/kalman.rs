//! Constant-velocity Kalman filter on a plane.
//!
//! State `[x, y, vx, vy]` (units of the plane: metres on the pitch, pixels in the image), measurement
//! `[x, y]`. Process noise is the discrete white-noise-acceleration model: per axis
//! `Q = σa² · [[dt⁴/4, dt³/2], [dt³/2, dt²]]`, so predictions are time-aware (`dt` in seconds from
//! match-clock timestamps, never frame counts). Updates use the Joseph form to keep `P` symmetric
//! positive semi-definite.

use nalgebra::{Matrix2, Matrix2x4, Matrix4, Matrix4x2, Point2, Vector2, Vector4};

/// Constant-velocity Kalman filter, state `[x, y, vx, vy]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CvKalman {
    x: Vector4<f64>,
    p: Matrix4<f64>,
}

const H: Matrix2x4<f64> = Matrix2x4::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0);

impl CvKalman {
    /// Starts at `position` with zero velocity, position std `position_std` and velocity std
    /// `velocity_std` (independent axes).
    pub fn new(position: Point2<f64>, position_std: f64, velocity_std: f64) -> Self {
        Self::with_velocity(position, Vector2::zeros(), position_std, velocity_std)
    }

    /// Starts at `position` with a known `velocity`.
    pub fn with_velocity(
        position: Point2<f64>,
        velocity: Vector2<f64>,
        position_std: f64,
        velocity_std: f64,
    ) -> Self {
        let pv = position_std * position_std;
        let vv = velocity_std * velocity_std;
        CvKalman {
            x: Vector4::new(position.x, position.y, velocity.x, velocity.y),
            p: Matrix4::from_diagonal(&Vector4::new(pv, pv, vv, vv)),
        }
    }

    /// Estimated position.
    pub fn position(&self) -> Point2<f64> {
        Point2::new(self.x[0], self.x[1])
    }

    /// Estimated velocity (units per second).
    pub fn velocity(&self) -> Vector2<f64> {
        Vector2::new(self.x[2], self.x[3])
    }

    /// Full state `[x, y, vx, vy]`.
    pub fn state(&self) -> &Vector4<f64> {
        &self.x
    }

    /// State covariance.
    pub fn covariance(&self) -> &Matrix4<f64> {
        &self.p
    }

    /// Moves the state `dt_s` seconds ahead with acceleration noise `accel_std` (units/s²).
    /// A non-positive or non-finite `dt_s` leaves the filter unchanged.
    pub fn predict(&mut self, dt_s: f64, accel_std: f64) {
        if !(dt_s.is_finite() && dt_s > 0.0) {
            return;
        }
        let mut f = Matrix4::identity();
        f[(0, 2)] = dt_s;
        f[(1, 3)] = dt_s;
        let q2 = accel_std * accel_std;
        let dt2 = dt_s * dt_s;
        let (a, b, c) = (q2 * dt2 * dt2 / 4.0, q2 * dt2 * dt_s / 2.0, q2 * dt2);
        let q = Matrix4::new(
            a, 0.0, b, 0.0, //
            0.0, a, 0.0, b, //
            b, 0.0, c, 0.0, //
            0.0, b, 0.0, c,
        );
        self.x = f * self.x;
        self.p = f * self.p * f.transpose() + q;
    }

    /// Innovation covariance `S = H P Hᵀ + R` for an isotropic measurement std.
    pub fn innovation_covariance(&self, measurement_std: f64) -> Matrix2<f64> {
        H * self.p * H.transpose() + Matrix2::identity() * (measurement_std * measurement_std)
    }

    /// Squared Mahalanobis distance of a measurement; `None` if `S` is singular or inputs non-finite.
    pub fn mahalanobis_sq(&self, z: &Point2<f64>, measurement_std: f64) -> Option<f64> {
        self.mahalanobis_sq_with_covariance(
            z,
            &(Matrix2::identity() * (measurement_std * measurement_std)),
        )
    }

    /// Squared Mahalanobis distance of a measurement of covariance `r` (units²); `None` if `S`
    /// is singular or inputs non-finite.
    pub fn mahalanobis_sq_with_covariance(&self, z: &Point2<f64>, r: &Matrix2<f64>) -> Option<f64> {
        let s_inv = (H * self.p * H.transpose() + r).try_inverse()?;
        let y = z.coords - H * self.x;
        let d = (y.transpose() * s_inv * y)[(0, 0)];
        d.is_finite().then_some(d)
    }

    /// Corrects the state with a position measurement `z` of std `measurement_std`.
    /// Returns `false` (and leaves the filter unchanged) for a non-finite measurement or a
    /// singular innovation covariance.
    pub fn update(&mut self, z: &Point2<f64>, measurement_std: f64) -> bool {
        if !measurement_std.is_finite() {
            return false;
        }
        self.update_with_covariance(
            z,
            &(Matrix2::identity() * (measurement_std * measurement_std)),
        )
    }

    /// Corrects the state with a position measurement `z` of covariance `r` (units²).
    /// Returns `false` (and leaves the filter unchanged) for a non-finite input or a singular
    /// innovation covariance.
    pub fn update_with_covariance(&mut self, z: &Point2<f64>, r: &Matrix2<f64>) -> bool {
        if !(z.x.is_finite() && z.y.is_finite() && r.iter().all(|v| v.is_finite())) {
            return false;
        }
        let r = *r;
        let s = H * self.p * H.transpose() + r;
        let Some(s_inv) = s.try_inverse() else {
            return false;
        };
        let k: Matrix4x2<f64> = self.p * H.transpose() * s_inv;
        let y = z.coords - H * self.x;
        let x = self.x + k * y;
        let i_kh = Matrix4::identity() - k * H;
        let p = i_kh * self.p * i_kh.transpose() + k * r * k.transpose();
        if !(x.iter().all(|v| v.is_finite()) && p.iter().all(|v| v.is_finite())) {
            return false;
        }
        self.x = x;
        self.p = p;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_moves_by_velocity_times_dt_and_grows_covariance() {
        let mut kf =
            CvKalman::with_velocity(Point2::new(1.0, 2.0), Vector2::new(3.0, -4.0), 0.5, 1.0);
        let p0 = *kf.covariance();
        kf.predict(0.5, 2.0);
        assert!((kf.position() - Point2::new(2.5, 0.0)).norm() < 1e-12);
        assert!((kf.velocity() - Vector2::new(3.0, -4.0)).norm() < 1e-12);
        // Position variance: 0.25 + dt²·1 + σa²·dt⁴/4 = 0.25 + 0.25 + 4·0.0625/4 = 0.5625.
        assert!((kf.covariance()[(0, 0)] - 0.5625).abs() < 1e-12);
        // Velocity variance: 1 + σa²·dt² = 1 + 4·0.25 = 2.
        assert!((kf.covariance()[(2, 2)] - 2.0).abs() < 1e-12);
        // Position–velocity covariance: dt·1 + σa²·dt³/2 = 0.5 + 4·0.125/2 = 0.75.
        assert!((kf.covariance()[(0, 2)] - 0.75).abs() < 1e-12);
        assert!(kf.covariance()[(1, 1)] > p0[(1, 1)]);
    }

    #[test]
    fn predict_ignores_zero_negative_and_nan_dt() {
        let mut kf =
            CvKalman::with_velocity(Point2::new(0.0, 0.0), Vector2::new(1.0, 1.0), 1.0, 1.0);
        let before = kf.clone();
        kf.predict(0.0, 1.0);
        kf.predict(-1.0, 1.0);
        kf.predict(f64::NAN, 1.0);
        assert_eq!(kf, before);
    }

    #[test]
    fn update_with_equal_variances_lands_halfway() {
        // Prior position std 1, measurement std 1: gain 0.5 on position.
        let mut kf = CvKalman::new(Point2::new(0.0, 0.0), 1.0, 1.0);
        assert!(kf.update(&Point2::new(2.0, -4.0), 1.0));
        assert!((kf.position() - Point2::new(1.0, -2.0)).norm() < 1e-12);
        assert!((kf.covariance()[(0, 0)] - 0.5).abs() < 1e-12);
        // No prior position–velocity correlation: velocity is untouched.
        assert!(kf.velocity().norm() < 1e-12);
    }

    #[test]
    fn converges_to_constant_velocity() {
        let mut kf = CvKalman::new(Point2::new(0.0, 0.0), 0.3, 3.0);
        for i in 1..=50 {
            let t = f64::from(i) * 0.04;
            kf.predict(0.04, 2.0);
            assert!(kf.update(&Point2::new(5.0 * t, 1.0), 0.1));
        }
        assert!((kf.velocity() - Vector2::new(5.0, 0.0)).norm() < 0.2);
        assert!((kf.position() - Point2::new(10.0, 1.0)).norm() < 0.05);
    }

    #[test]
    fn update_rejects_nan_measurement_and_mahalanobis_is_scaled() {
        let mut kf = CvKalman::new(Point2::new(0.0, 0.0), 1.0, 1.0);
        let before = kf.clone();
        assert!(!kf.update(&Point2::new(f64::NAN, 0.0), 1.0));
        assert_eq!(kf, before);
        // S = 2·I: a 2-unit offset on x has d² = 4/2 = 2.
        let d2 = kf.mahalanobis_sq(&Point2::new(2.0, 0.0), 1.0);
        assert!(d2.is_some_and(|d| (d - 2.0).abs() < 1e-12));
    }
}
