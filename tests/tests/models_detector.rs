//! The project's own detector (`models/touchline-det.*`) through the edge node's manifest-driven
//! detector and ONNX Runtime: the manifest's sha256 matches the file, the session matches the
//! manifest (and a mismatching manifest is refused with a clear error), and the model finds the
//! players and the ball on a committed held-out generated frame.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use edge_node::detect::detector::sha256_file;
use edge_node::detect::preprocess::BgrFrame;
use edge_node::detect::{Detection, Detector, DetectorError, DetectorManifest, ObjectClass};
use sha2::{Digest, Sha256};

mod models_common;
use models_common::{held_out_frame, held_out_truth, models_dir, Truth};

fn manifest_path() -> PathBuf {
    models_dir().join("touchline-det.toml")
}

fn is_person(c: ObjectClass) -> bool {
    matches!(
        c,
        ObjectClass::Player | ObjectClass::Goalkeeper | ObjectClass::Referee
    )
}

#[test]
fn manifest_sha256_matches_the_model_file() -> Result<()> {
    let manifest = DetectorManifest::load(&manifest_path())?;
    let bytes = std::fs::read(manifest.model_path())?;
    let actual = format!("{:x}", Sha256::digest(&bytes));
    assert_eq!(manifest.sha256.as_deref(), Some(actual.as_str()));
    assert_eq!(sha256_file(&manifest.model_path())?, actual);
    // The budget: ≤ 10 MB.
    assert!(bytes.len() <= 10 * 1024 * 1024, "{} bytes", bytes.len());
    assert_eq!(
        manifest.classes,
        ["player", "goalkeeper", "referee", "ball"]
    );
    Ok(())
}

#[test]
fn detector_finds_players_and_ball_on_a_held_out_frame() -> Result<()> {
    let mut detector = Detector::open(&manifest_path(), 2, Vec::new())?;
    let (w, h, bytes) = held_out_frame()?;
    let truth = held_out_truth()?;
    let frame = BgrFrame::new(w, h, &bytes)?;
    let dets: Vec<Detection> = detector.detect(&frame)?;
    // Informational only (no timed assertion): preprocessing + inference + decode, warm.
    let started = std::time::Instant::now();
    let again = detector.detect(&frame)?;
    eprintln!(
        "touchline-det on {w}x{h}: {} detections, {:.1} ms (2 threads, warm)",
        again.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    // The clearly visible people (not cut by the image border, ≥ 12 px tall) are found: at least
    // 85 % of them (the card's held-out person recall is ≈ 0.95; the frame is not hand-picked).
    let people: Vec<&Truth> = truth
        .iter()
        .filter(|t| is_person(t.class) && t.visible)
        .filter(|t| t.bbox.x1 > 1.0 && t.bbox.x2 < w as f32 - 1.0 && t.bbox.height() >= 12.0)
        .collect();
    assert!(people.len() >= 5, "the test frame should show players");
    let found = people
        .iter()
        .filter(|t| {
            dets.iter()
                .any(|d| is_person(d.class) && d.box_px.iou(&t.bbox) >= 0.5)
        })
        .count();
    assert!(
        found as f32 >= 0.85 * people.len() as f32,
        "found {found} of {} people; detections: {dets:?}",
        people.len()
    );
    // Few false alarms: nearly every person detection overlaps a true object.
    let spurious = dets
        .iter()
        .filter(|d| is_person(d.class))
        .filter(|d| truth.iter().all(|t| d.box_px.iou(&t.bbox) < 0.3))
        .count();
    assert!(spurious <= 1, "{spurious} person detections match nothing");

    // The ball (a few pixels wide) is found near its true centre.
    let ball = truth
        .iter()
        .find(|t| t.class == ObjectClass::Ball && t.visible)
        .context("the test frame has a visible ball")?;
    let (bx, by) = (
        (ball.bbox.x1 + ball.bbox.x2) / 2.0,
        (ball.bbox.y1 + ball.bbox.y2) / 2.0,
    );
    let tol = ball.bbox.width().max(ball.bbox.height()).max(3.0);
    let hit = dets.iter().any(|d| {
        let (cx, cy) = (
            (d.box_px.x1 + d.box_px.x2) / 2.0,
            (d.box_px.y1 + d.box_px.y2) / 2.0,
        );
        d.class == ObjectClass::Ball && (cx - bx).hypot(cy - by) <= tol
    });
    assert!(hit, "ball at ({bx}, {by}) not found; detections: {dets:?}");
    Ok(())
}

#[test]
fn a_manifest_that_does_not_match_the_model_is_refused() -> Result<()> {
    let text = std::fs::read_to_string(manifest_path())?;
    let manifest = DetectorManifest::load(&manifest_path())?;
    let good_sha = manifest.sha256.clone().context("manifest has a sha256")?;

    // Wrong checksum → Checksum error naming both values.
    let bad_sha = text.replace(&good_sha, &"0".repeat(64));
    let m = DetectorManifest::from_toml(&bad_sha, &models_dir())?;
    match Detector::with_manifest(m, "tampered", 1, Vec::new()) {
        Err(DetectorError::Checksum {
            expected, actual, ..
        }) => {
            assert_eq!(expected, "0".repeat(64));
            assert_eq!(actual, good_sha);
        }
        other => bail!("expected a checksum error, got {other:?}"),
    }

    // Wrong input shape → Mismatch error naming the input.
    let [_, _, ih, iw] = manifest.input.shape;
    let bad_shape = text.replace(
        &format!("shape = [1, 3, {ih}, {iw}]"),
        &format!("shape = [1, 3, {}, {iw}]", ih + 32),
    );
    assert_ne!(bad_shape, text, "manifest input shape line not found");
    let m = DetectorManifest::from_toml(&bad_shape, &models_dir())?;
    match Detector::with_manifest(m, "reshaped", 1, Vec::new()) {
        Err(e @ DetectorError::Mismatch { .. }) => {
            assert!(e.to_string().contains("images"), "{e}")
        }
        other => bail!("expected a mismatch error, got {other:?}"),
    }

    // Wrong input name → Mismatch error.
    let bad_name = text.replace("name = \"images\"", "name = \"input.1\"");
    let m = DetectorManifest::from_toml(&bad_name, &models_dir())?;
    assert!(matches!(
        Detector::with_manifest(m, "renamed", 1, Vec::new()),
        Err(DetectorError::Mismatch { .. })
    ));
    Ok(())
}

#[test]
fn the_execution_provider_is_configurable_and_a_missing_one_is_refused_by_name() -> Result<()> {
    use edge_node::inference::{available_providers, ExecutionProvider, SessionConfig};
    let cpu = SessionConfig {
        intra_threads: 1,
        provider: ExecutionProvider::Cpu,
    };
    Detector::open(&manifest_path(), cpu, vec![])?;
    let available = available_providers()?;
    assert!(available.contains(&ExecutionProvider::Cpu), "{available:?}");
    let cuda = SessionConfig {
        intra_threads: 1,
        provider: ExecutionProvider::Cuda { device_id: 0 },
    };
    let opened = Detector::open(&manifest_path(), cuda, vec![]);
    if available.contains(&cuda.provider) {
        // A GPU build of ONNX Runtime on a machine with a GPU.
        opened?;
    } else {
        // The pinned PyPI wheel is CPU only: no silent fallback, the error names the provider
        // and what the runtime offers.
        let msg = match opened {
            Ok(_) => bail!("cuda was not refused by a runtime without it"),
            Err(e) => e.to_string(),
        };
        assert!(
            msg.contains("execution provider cuda:0 is not available") && msg.contains("cpu"),
            "{msg}"
        );
    }
    Ok(())
}
