//! Ground-plane homography between image pixels and pitch metres, solved with OpenCV.
//!
//! The homography `H` maps homogeneous image points onto the pitch plane (z = 0):
//! `pitch_m ~ H * image_px`. Its inverse maps pitch points into the (undistorted) image.

use nalgebra::{Matrix3, Point2, Vector3};
use opencv::core::{Mat, Point2d, Vector};
use opencv::prelude::*;

/// Why a homography could not be solved or applied.
#[derive(Debug, thiserror::Error)]
pub enum HomographyError {
    /// Fewer than four correspondences were given; a homography has eight degrees of freedom.
    #[error("need at least 4 point correspondences to solve a homography, got {0}")]
    TooFewPoints(usize),
    /// The image and pitch point lists differ in length.
    #[error("{image_px} image points but {pitch_m} pitch points: the lists must pair up")]
    LengthMismatch { image_px: usize, pitch_m: usize },
    /// A coordinate was NaN or infinite.
    #[error("point {index} is not finite")]
    NonFinite { index: usize },
    /// OpenCV found no solution (e.g. the points are collinear).
    #[error("no homography fits these points (degenerate: collinear or repeated points?)")]
    Degenerate,
    /// The homography maps this point to infinity (it lies on the horizon line).
    #[error("point lies on the homography's line at infinity")]
    AtInfinity,
    /// OpenCV reported an error.
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// A pixel→pitch homography with its fit quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Homography {
    /// Maps homogeneous `image_px` to homogeneous `pitch_m`.
    pub pitch_from_image: Matrix3<f64>,
    /// Maps homogeneous `pitch_m` to homogeneous `image_px`.
    pub image_from_pitch: Matrix3<f64>,
}

/// Fit quality of a solved homography, measured on the correspondences it was solved from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitReport {
    /// Root-mean-square distance (pixels) between image points and pitch points projected back.
    pub rms_reprojection_px: f64,
    /// Largest such distance (pixels).
    pub max_reprojection_px: f64,
    /// Number of correspondences used.
    pub n_points: usize,
}

impl Homography {
    /// Solves the homography from ≥ 4 pixel↔pitch correspondences (least squares over all points,
    /// no outlier rejection — landmark correspondences are trusted input).
    pub fn solve(
        image_px: &[Point2<f64>],
        pitch_m: &[Point2<f64>],
    ) -> Result<(Self, FitReport), HomographyError> {
        if image_px.len() != pitch_m.len() {
            return Err(HomographyError::LengthMismatch {
                image_px: image_px.len(),
                pitch_m: pitch_m.len(),
            });
        }
        if image_px.len() < 4 {
            return Err(HomographyError::TooFewPoints(image_px.len()));
        }
        for (index, (a, b)) in image_px.iter().zip(pitch_m).enumerate() {
            if !(a.x.is_finite() && a.y.is_finite() && b.x.is_finite() && b.y.is_finite()) {
                return Err(HomographyError::NonFinite { index });
            }
        }
        if is_collinear(image_px) || is_collinear(pitch_m) {
            return Err(HomographyError::Degenerate);
        }
        let src: Vector<Point2d> = image_px.iter().map(|p| Point2d::new(p.x, p.y)).collect();
        let dst: Vector<Point2d> = pitch_m.iter().map(|p| Point2d::new(p.x, p.y)).collect();
        let mut mask = Mat::default();
        let h = opencv::calib3d::find_homography(&src, &dst, &mut mask, 0, 3.0)?;
        if h.rows() != 3 || h.cols() != 3 {
            return Err(HomographyError::Degenerate);
        }
        let mut m = Matrix3::zeros();
        for r in 0..3 {
            for c in 0..3 {
                m[(r, c)] = *h.at_2d::<f64>(r as i32, c as i32)?;
            }
        }
        let image_from_pitch = m.try_inverse().ok_or(HomographyError::Degenerate)?;
        let homography = Self {
            pitch_from_image: m,
            image_from_pitch,
        };
        let mut sum_sq = 0.0;
        let mut max = 0.0f64;
        for (a, b) in image_px.iter().zip(pitch_m) {
            let back = homography.image_from_pitch(b)?;
            let d = (back - a).norm();
            sum_sq += d * d;
            max = max.max(d);
        }
        let report = FitReport {
            rms_reprojection_px: (sum_sq / image_px.len() as f64).sqrt(),
            max_reprojection_px: max,
            n_points: image_px.len(),
        };
        Ok((homography, report))
    }

    /// Projects an image point onto the pitch plane.
    pub fn pitch_from_image(&self, image_px: &Point2<f64>) -> Result<Point2<f64>, HomographyError> {
        apply(&self.pitch_from_image, image_px)
    }

    /// Projects a pitch-plane point into the image.
    pub fn image_from_pitch(&self, pitch_m: &Point2<f64>) -> Result<Point2<f64>, HomographyError> {
        apply(&self.image_from_pitch, pitch_m)
    }
}

/// True when all points lie (numerically) on one line: the spread's minor axis is negligible.
fn is_collinear(points: &[Point2<f64>]) -> bool {
    let n = points.len() as f64;
    let mean = points
        .iter()
        .fold(nalgebra::Vector2::zeros(), |acc, p| acc + p.coords)
        / n;
    let mut cov = nalgebra::Matrix2::zeros();
    for p in points {
        let d = p.coords - mean;
        cov += d * d.transpose();
    }
    let eig = cov.symmetric_eigenvalues();
    let (small, large) = (eig.min(), eig.max());
    large <= 0.0 || small <= large * 1e-10
}

fn apply(m: &Matrix3<f64>, p: &Point2<f64>) -> Result<Point2<f64>, HomographyError> {
    let v = m * Vector3::new(p.x, p.y, 1.0);
    if v.z.abs() < 1e-12 {
        return Err(HomographyError::AtInfinity);
    }
    Ok(Point2::new(v.x / v.z, v.y / v.z))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_too_few_and_mismatched_points() {
        let p = [Point2::new(0.0, 0.0); 3];
        assert!(matches!(
            Homography::solve(&p, &p),
            Err(HomographyError::TooFewPoints(3))
        ));
        assert!(matches!(
            Homography::solve(&p, &p[..2]),
            Err(HomographyError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn rejects_collinear_points() {
        let line: Vec<_> = (0..6)
            .map(|i| Point2::new(i as f64, 2.0 * i as f64))
            .collect();
        let square = [
            Point2::new(0.0, 0.0),
            Point2::new(1.0, 0.0),
            Point2::new(1.0, 1.0),
            Point2::new(0.0, 1.0),
            Point2::new(0.5, 0.5),
            Point2::new(0.2, 0.7),
        ];
        assert!(is_collinear(&line));
        assert!(!is_collinear(&square));
        assert!(matches!(
            Homography::solve(&line, &square),
            Err(HomographyError::Degenerate)
        ));
    }

    #[test]
    fn rejects_non_finite_points() {
        let mut p = vec![Point2::new(0.0, 0.0); 4];
        p[2].x = f64::NAN;
        assert!(matches!(
            Homography::solve(&p, &p),
            Err(HomographyError::NonFinite { index: 2 })
        ));
    }
}
