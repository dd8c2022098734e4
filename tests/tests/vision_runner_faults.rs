//! The multi-camera runner with bad input: a missing video on one camera and a corrupt one on
//! another are reported as camera failures while the healthy camera processes every frame; bad
//! manifests and missing models stop the start with an error naming the file. Nothing panics.

use std::sync::mpsc::sync_channel;
use std::time::Duration;

use calibration::camera::{Camera, Distortion, Intrinsics, Pose};
use edge_node::vision::runner::{
    spawn, CameraSpec, DecodeSize, StartError, VisionConfig, VisionEvent,
};
use edge_node::vision::{Backoff, SourceMode};
use nalgebra::Point3;
use touchline_tests::real_detectors::fastestdet_manifest;
use touchline_tests::{realdata_dir, repo_root};

fn camera() -> anyhow::Result<Camera> {
    Ok(Camera {
        width: 320,
        height: 240,
        intrinsics: Intrinsics {
            fx: 300.0,
            fy: 300.0,
            cx: 160.0,
            cy: 120.0,
        },
        distortion: Distortion::default(),
        pose: Pose::look_at(
            Point3::new(0.0, -60.0, 20.0),
            Point3::new(0.0, 0.0, 0.0),
            0.0,
        )
        .ok_or_else(|| anyhow::anyhow!("bad pose"))?,
    })
}

fn config(manifest: std::path::PathBuf, uris: &[String]) -> anyhow::Result<VisionConfig> {
    let cameras = uris
        .iter()
        .enumerate()
        .map(|(i, uri)| {
            Ok(CameraSpec {
                name: format!("cam{i}"),
                uri: uri.clone(),
                calibration: camera()?,
                clock_offset_ns: 0,
                pitch: Default::default(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(VisionConfig {
        cameras,
        manifest,
        mode: SourceMode::Replay,
        intra_threads: 1,
        provider: Default::default(),
        kits: vec![],
        tracker: Default::default(),
        ball: Default::default(),
        dead_ball: Default::default(),
        decode_size: DecodeSize::Full,
        stall_timeout: Duration::from_secs(2),
        backoff: Backoff::default(),
        replay_queue: 2,
    })
}

#[test]
fn failing_cameras_do_not_stop_the_healthy_one() -> anyhow::Result<()> {
    let Some(realdata) = realdata_dir() else {
        eprintln!("skipping: ../shared/realdata not found");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let manifest = fastestdet_manifest(&realdata, dir.path())?;
    let corrupt = dir.path().join("corrupt.mp4");
    std::fs::write(&corrupt, vec![0x42u8; 8192])?;
    let good = repo_root().join("tests/data/testsrc_320x240_25fps_30f.mp4");
    let uris = vec![
        good.display().to_string(),
        dir.path().join("missing.mp4").display().to_string(),
        corrupt.display().to_string(),
    ];
    let (tx, rx) = sync_channel(8);
    let handle = spawn(config(manifest, &uris)?, tx)?;
    let (mut frames, mut failed, mut finished) = (0, Vec::new(), Vec::new());
    while let Ok(event) = rx.recv_timeout(Duration::from_secs(30)) {
        match event {
            VisionEvent::Frame(v) => {
                assert_eq!(v.camera, 0);
                frames += 1;
            }
            VisionEvent::CameraFailed { camera, error } => failed.push((camera, error)),
            VisionEvent::CameraFinished { camera } => finished.push(camera),
        }
        if finished.contains(&0) && failed.len() >= 2 {
            break;
        }
    }
    handle.join();
    eprintln!("failures: {failed:?}");
    assert_eq!(frames, 30, "the healthy camera processes every frame");
    assert!(finished.contains(&0));
    let failed_cams: Vec<usize> = failed.iter().map(|(c, _)| *c).collect();
    assert!(
        failed_cams.contains(&1) && failed_cams.contains(&2),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|(c, e)| *c == 1 && e.contains("missing.mp4")),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|(c, e)| *c == 2 && e.contains("corrupt.mp4")),
        "{failed:?}"
    );
    Ok(())
}

#[test]
fn bad_manifest_or_model_stops_the_start_with_a_named_error() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let uris = vec![repo_root()
        .join("tests/data/testsrc_320x240_25fps_30f.mp4")
        .display()
        .to_string()];

    let missing = dir.path().join("nope.toml");
    let (tx, _rx) = sync_channel(1);
    let err = spawn(config(missing, &uris)?, tx)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("nope.toml"), "{err}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nfile = \"x.onnx\"\nclasses = []\n")?;
    let (tx, _rx) = sync_channel(1);
    match spawn(config(bad, &uris)?, tx) {
        Err(e @ StartError::Detector { .. }) => assert!(e.to_string().contains("bad.toml"), "{e}"),
        other => panic!(
            "expected a detector start error, got {:?}",
            other.map(|_| ())
        ),
    }

    let wrong_model = dir.path().join("wrong-model.toml");
    std::fs::write(
        &wrong_model,
        format!(
            "name = \"w\"\nfile = {:?}\nclasses = [\"person\"]\n[input]\nname = \"x\"\nshape = [1, 3, 64, 64]\ndtype = \"f32\"\ncolour = \"bgr\"\nresize = \"stretch\"\nmean = [0.0, 0.0, 0.0]\nstd = [1.0, 1.0, 1.0]\n[output]\nlayout = \"yolov8\"\n[class_map]\nperson = \"person\"\n",
            repo_root().join("models/fixtures/affine_relu.onnx")
        ),
    )?;
    let (tx, _rx) = sync_channel(1);
    let err = spawn(config(wrong_model, &uris)?, tx)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("affine_relu.onnx") && err.contains("shape"),
        "{err}"
    );
    Ok(())
}
