//! The `calibrate` command end to end: landmarks projected through a known camera are solved back
//! to that camera (solvePnP), the file is written in the venue tree and reloads to the same pose.

use std::process::Command;

use calibration::camera::{Camera, Distortion, Intrinsics, Pose};
use calibration::CalibrationFile;
use nalgebra::Point3;

fn known_camera() -> Option<Camera> {
    Some(Camera {
        width: 1280,
        height: 720,
        intrinsics: Intrinsics {
            fx: 1100.0,
            fy: 1100.0,
            cx: 640.0,
            cy: 360.0,
        },
        distortion: Distortion {
            k1: -0.04,
            k2: 0.01,
            p1: 0.0,
            p2: 0.0,
        },
        pose: Pose::look_at(
            Point3::new(-10.0, -60.0, 22.0),
            Point3::new(-20.0, 0.0, 0.0),
            0.0,
        )?,
    })
}

/// Line intersections of a 105 x 68 pitch (left half + centre), pitch frame.
const LANDMARKS_M: [(f64, f64); 12] = [
    (-52.5, -34.0),
    (-52.5, 34.0),
    (0.0, -34.0),
    (0.0, 34.0),
    (-52.5, -20.16),
    (-52.5, 20.16),
    (-36.0, -20.16),
    (-36.0, 20.16),
    (-47.0, -9.16),
    (-47.0, 9.16),
    (-41.5, 0.0),
    (0.0, 0.0),
];

#[test]
fn solves_writes_and_reloads_a_known_camera() -> anyhow::Result<()> {
    let camera = known_camera().ok_or_else(|| anyhow::anyhow!("bad test pose"))?;
    let mut text = String::from(
        "venue = \"testvenue\"\ncamera = \"main\"\n[image]\nwidth = 1280\nheight = 720\n\
         [intrinsics]\nfx = 1100.0\nfy = 1100.0\ncx = 640.0\ncy = 360.0\n\
         [distortion]\nk1 = -0.04\nk2 = 0.01\n",
    );
    let mut used = 0;
    for (x, y) in LANDMARKS_M {
        let Some(px) = camera.project(&Point3::new(x, y, 0.0)) else {
            continue;
        };
        if !camera.contains(&px) {
            continue;
        }
        used += 1;
        text.push_str(&format!(
            "[[landmark]]\nimage_px = [{:.4}, {:.4}]\npitch_m = [{x}, {y}]\n",
            px.x, px.y
        ));
    }
    assert!(used >= 6, "only {used} landmarks visible");
    let dir = tempfile::tempdir()?;
    let landmarks = dir.path().join("landmarks.toml");
    std::fs::write(&landmarks, text)?;
    let venues = dir.path().join("venues");
    let out = Command::new(env!("CARGO_BIN_EXE_calibrate"))
        .arg(&landmarks)
        .arg("--write")
        .arg("--venues-root")
        .arg(&venues)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("homography: rms") && stdout.contains("camera pose (solvePnP): rms"),
        "{stdout}"
    );

    let written = CalibrationFile::load(&venues.join("testvenue/main.toml"))?;
    let solved = written.camera();
    let moved = (solved.pose.position - camera.pose.position).norm();
    assert!(moved < 0.05, "solved camera centre is {moved:.3} m off");
    // The solved camera reprojects every landmark within a pixel.
    for (x, y) in LANDMARKS_M {
        let p = Point3::new(x, y, 0.0);
        if let (Some(a), Some(b)) = (camera.project(&p), solved.project(&p)) {
            assert!((a - b).norm() < 1.0, "{x},{y}: {a} vs {b}");
        }
    }
    Ok(())
}

#[test]
fn write_without_intrinsics_is_refused_clearly() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let landmarks = dir.path().join("l.toml");
    let mut text =
        String::from("venue = \"v\"\ncamera = \"c\"\n[image]\nwidth = 100\nheight = 100\n");
    for (u, v, x, y) in [
        (10.0, 10.0, 0.0, 0.0),
        (90.0, 10.0, 1.0, 0.0),
        (90.0, 90.0, 1.0, 1.0),
        (10.0, 90.0, 0.0, 1.0),
    ] {
        text.push_str(&format!(
            "[[landmark]]\nimage_px = [{u}, {v}]\npitch_m = [{x}, {y}]\n"
        ));
    }
    std::fs::write(&landmarks, text)?;
    let out = Command::new(env!("CARGO_BIN_EXE_calibrate"))
        .arg(&landmarks)
        .arg("--write")
        .output()?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("intrinsics"), "{stderr}");
    Ok(())
}
