//! OpenCV (calib3d) through the `calibration` crate: a homography solved from pitch landmarks
//! reprojects onto the image points, and maps unseen points correctly.

use calibration::homography::{Homography, HomographyError};
use nalgebra::{Matrix3, Point2, Vector3};

/// A plausible broadcast-camera ground homography (image_px from pitch_m).
fn true_image_from_pitch() -> Matrix3<f64> {
    Matrix3::new(
        9.0, -2.5, 640.0, //
        0.4, 4.0, 300.0, //
        0.0005, -0.004, 1.0,
    )
}

fn project(m: &Matrix3<f64>, p: &Point2<f64>) -> Point2<f64> {
    let v = m * Vector3::new(p.x, p.y, 1.0);
    Point2::new(v.x / v.z, v.y / v.z)
}

#[test]
fn homography_from_landmarks_reprojects() -> anyhow::Result<()> {
    let truth = true_image_from_pitch();
    // Penalty-box corners, centre spot and halfway/touch intersections (metres, 105 x 68).
    let pitch_m = [
        Point2::new(-52.5, -20.16),
        Point2::new(-36.0, -20.16),
        Point2::new(-36.0, 20.16),
        Point2::new(-52.5, 20.16),
        Point2::new(0.0, 0.0),
        Point2::new(0.0, -34.0),
        Point2::new(0.0, 34.0),
    ];
    let image_px: Vec<_> = pitch_m.iter().map(|p| project(&truth, p)).collect();
    let (h, fit) = Homography::solve(&image_px, &pitch_m)?;
    assert_eq!(fit.n_points, 7);
    assert!(
        fit.rms_reprojection_px < 1e-3,
        "rms {}",
        fit.rms_reprojection_px
    );
    assert!(
        fit.max_reprojection_px < 1e-3,
        "max {}",
        fit.max_reprojection_px
    );
    // A point that was not used to solve (the penalty spot) maps both ways.
    let spot = Point2::new(-41.5, 0.0);
    let spot_px = project(&truth, &spot);
    let back = h.pitch_from_image(&spot_px)?;
    assert!((back - spot).norm() < 1e-4, "pitch {back} vs {spot}");
    let again = h.image_from_pitch(&spot)?;
    assert!((again - spot_px).norm() < 1e-3);
    Ok(())
}

#[test]
fn collinear_landmarks_are_rejected() {
    let line: Vec<_> = (0..6)
        .map(|i| Point2::new(i as f64, 2.0 * i as f64))
        .collect();
    let result = Homography::solve(&line, &line);
    assert!(
        matches!(result, Err(HomographyError::Degenerate)),
        "{result:?}"
    );
}
