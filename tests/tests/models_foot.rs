//! The foot refiner (`models/touchline-foot.*`) through OpenCV and ONNX Runtime: its manifest's
//! sha256 matches the file and the detector manifest names it; on the committed held-out frame
//! the refined person boxes' bottom edges are closer to the true ones than the detector's; a
//! tampered refiner is refused by name.

use anyhow::{bail, Context, Result};
use edge_node::detect::detector::sha256_file;
use edge_node::detect::foot_refine::{FootRefiner, FootRefinerManifest};
use edge_node::detect::preprocess::BgrFrame;
use edge_node::detect::{BoxPx, Detection, DetectorError, DetectorManifest, ObjectClass};

mod models_common;
use models_common::{held_out_frame, held_out_truth, models_dir};

/// Whole people of the held-out frame's truth: not cut by the border, ≥ 12 px tall.
fn people(w: u32, h: u32) -> Result<Vec<BoxPx>> {
    Ok(held_out_truth()?
        .into_iter()
        .filter(|t| {
            let b = t.bbox;
            let whole = b.x1 > 1.0 && b.y1 > 1.0 && b.x2 < w as f32 - 1.0 && b.y2 < h as f32 - 1.0;
            t.class != ObjectClass::Ball && t.visible && whole && b.height() >= 12.0
        })
        .map(|t| t.bbox)
        .collect())
}

#[test]
fn the_refiner_manifest_matches_its_file_and_the_detector_names_it() -> Result<()> {
    let det = DetectorManifest::load(&models_dir().join("touchline-det.toml"))?;
    let path = det
        .foot_refiner_path()
        .context("touchline-det.toml names no foot_refiner")?;
    let m = FootRefinerManifest::load(&path)?;
    assert_eq!(
        m.sha256.as_deref(),
        Some(sha256_file(&m.model_path())?.as_str())
    );
    assert!(std::fs::metadata(m.model_path())?.len() < 1024 * 1024);
    Ok(())
}

#[test]
fn refined_box_bottoms_are_closer_to_the_truth() -> Result<()> {
    let mut refiner = FootRefiner::open(&models_dir().join("touchline-foot.toml"), 1)?;
    let (w, h, bytes) = held_out_frame()?;
    let frame = BgrFrame::new(w, h, &bytes)?;
    let truth = people(w, h)?;
    assert!(truth.len() >= 8, "{} people", truth.len());
    // Detector-like boxes: the true box with its bottom edge 1.5 px off (alternately low and
    // high) and its centre 1 px to the side; the refiner should take most of that back.
    let mut dets: Vec<Detection> = truth
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let dy = if i % 2 == 0 { 1.5 } else { -1.5 };
            Detection {
                box_px: BoxPx {
                    x1: t.x1 + 1.0,
                    y1: t.y1,
                    x2: t.x2 + 1.0,
                    y2: t.y2 + dy,
                },
                score: 0.9,
                class: ObjectClass::Player,
                team: None,
                model_class_id: 0,
            }
        })
        .collect();
    let before: f32 = dets
        .iter()
        .zip(&truth)
        .map(|(d, t)| (d.box_px.y2 - t.y2).abs())
        .sum::<f32>()
        / truth.len() as f32;
    refiner.refine(&frame, &mut dets)?;
    let after: f32 = dets
        .iter()
        .zip(&truth)
        .map(|(d, t)| (d.box_px.y2 - t.y2).abs())
        .sum::<f32>()
        / truth.len() as f32;
    let side_after: f32 = dets
        .iter()
        .zip(&truth)
        .map(|(d, t)| (d.box_px.centre().0 - t.centre().0).abs())
        .sum::<f32>()
        / truth.len() as f32;
    eprintln!("mean |bottom error| {before:.2} -> {after:.2} px, |centre x error| 1.00 -> {side_after:.2} px");
    assert!(after < 0.5 * before, "bottom error {before} -> {after} px");
    assert!(side_after < 1.0, "centre x error 1 -> {side_after} px");
    // Boxes keep their tops.
    assert!(dets.iter().zip(&truth).all(|(d, t)| d.box_px.y1 == t.y1));
    Ok(())
}

#[test]
fn a_tampered_refiner_is_refused_by_name() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let good = std::fs::read_to_string(models_dir().join("touchline-foot.toml"))?;
    let m = FootRefinerManifest::load(&models_dir().join("touchline-foot.toml"))?;
    let sha = m.sha256.clone().context("refiner manifest has a sha256")?;
    let onnx = m.model_path();
    let onnx = onnx.to_str().context("non-UTF-8 path")?;
    let text = good
        .replace(
            "file = \"touchline-foot.onnx\"",
            &format!("file = {onnx:?}"),
        )
        .replace(&sha, &"f".repeat(64));
    let bad = dir.path().join("tampered-foot.toml");
    std::fs::write(&bad, text)?;
    match FootRefiner::open(&bad, 1) {
        Err(DetectorError::Checksum { manifest, .. }) => {
            assert!(manifest.contains("tampered-foot.toml"))
        }
        other => bail!("expected a checksum error, got {other:?}"),
    }
    Ok(())
}
