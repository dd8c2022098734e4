//! The edge node's manifest-driven detector on real third-party detectors (FastestDet, NanoDet
//! from ../shared/realdata/models) and real footage (SoccerTrack HEVC clip). Manifests are written
//! here, not committed. Skips with a message when ../shared/realdata is absent.

use std::path::Path;

use edge_node::detect::manifest::ObjectClass;
use edge_node::detect::preprocess::BgrFrame;
use edge_node::detect::{Detection, Detector, DetectorError};
use edge_node::video::{DecodeConfig, PixelFormat, VideoReader};
use opencv::prelude::*;
use touchline_tests::real_detectors::{fastestdet_manifest, nanodet_manifest};
use touchline_tests::realdata_dir;

fn read_bgr(path: &Path) -> anyhow::Result<(u32, u32, Vec<u8>)> {
    let path_str = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("non-UTF-8 path"))?;
    let img = opencv::imgcodecs::imread(path_str, opencv::imgcodecs::IMREAD_COLOR)?;
    anyhow::ensure!(!img.empty(), "cannot read {}", path.display());
    Ok((
        img.cols() as u32,
        img.rows() as u32,
        img.data_bytes()?.to_vec(),
    ))
}

fn persons(dets: &[Detection]) -> Vec<&Detection> {
    dets.iter()
        .filter(|d| d.class != ObjectClass::Ball)
        .collect()
}

#[test]
fn fastestdet_and_nanodet_agree_on_the_example_image() -> anyhow::Result<()> {
    let Some(realdata) = realdata_dir() else {
        eprintln!("skipping: ../shared/realdata not found");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let (w, h, data) = read_bgr(&realdata.join("models/FastestDet_example_3.jpg"))?;
    let frame = BgrFrame::new(w, h, &data)?;

    let mut fastest = Detector::open(&fastestdet_manifest(&realdata, dir.path())?, 1, vec![])?;
    let mut nano = Detector::open(&nanodet_manifest(&realdata, dir.path(), "")?, 1, vec![])?;
    let a = fastest.detect(&frame)?;
    let b = nano.detect(&frame)?;
    eprintln!("fastestdet: {a:#?}\nnanodet: {b:#?}");
    let (pa, pb) = (persons(&a), persons(&b));
    assert!(!pa.is_empty() && !pb.is_empty(), "both must see people");
    // Every confident NanoDet person is also found by FastestDet (independent models agree).
    for p in pb.iter().filter(|d| d.score > 0.6) {
        let best = pa
            .iter()
            .map(|q| q.box_px.iou(&p.box_px))
            .fold(0.0f32, f32::max);
        assert!(
            best > 0.5,
            "nanodet person {p:?} has no fastestdet match (best IoU {best})"
        );
    }
    for d in a.iter().chain(&b) {
        assert!(d.box_px.x1 >= 0.0 && d.box_px.x2 <= w as f32 && d.box_px.y2 <= h as f32);
    }
    Ok(())
}

#[test]
fn tiled_nanodet_finds_the_players_on_real_4k_footage() -> anyhow::Result<()> {
    let Some(realdata) = realdata_dir() else {
        eprintln!("skipping: ../shared/realdata not found");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let manifest = nanodet_manifest(
        &realdata,
        dir.path(),
        "[tiling]\ncols = 4\nrows = 2\noverlap = 0.15\ninclude_full_frame = false",
    )?;
    let untiled_dir = tempfile::tempdir()?;
    let untiled = nanodet_manifest(&realdata, untiled_dir.path(), "")?;
    let mut tiled = Detector::open(&manifest, 2, vec![])?;
    let mut whole = Detector::open(&untiled, 2, vec![])?;
    let mut reader = VideoReader::open_file(
        &realdata.join("video/soccertrack_left_camera.mp4"),
        &DecodeConfig {
            format: PixelFormat::Bgr,
            scale_to_px: None,
        },
    )?;
    let mut counts = Vec::new();
    for _ in 0..3 {
        let Some(f) = reader.next_frame()? else { break };
        assert_eq!((f.width_px, f.height_px), (3072, 1728));
        let frame = BgrFrame::new(f.width_px, f.height_px, &f.data)?;
        let t = persons(&tiled.detect(&frame)?).len();
        let w = persons(&whole.detect(&frame)?).len();
        counts.push((t, w));
    }
    eprintln!("persons per frame (tiled, whole): {counts:?}");
    assert_eq!(counts.len(), 3);
    for (t, w) in counts {
        // A real match: 20+ people on a wide shot; tiling must find far more than one 416 px pass.
        assert!(t >= 12, "tiled detector found only {t} people");
        assert!(
            t > w,
            "tiling should beat the whole-frame pass ({t} vs {w})"
        );
    }
    Ok(())
}

#[test]
fn manifest_mismatch_and_checksum_are_refused() -> anyhow::Result<()> {
    let Some(realdata) = realdata_dir() else {
        eprintln!("skipping: ../shared/realdata not found");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let good = std::fs::read_to_string(fastestdet_manifest(&realdata, dir.path())?)?;

    let wrong_shape = dir.path().join("wrong-shape.toml");
    std::fs::write(
        &wrong_shape,
        good.replace("[1, 3, 352, 352]", "[1, 3, 320, 320]"),
    )?;
    let err = Detector::open(&wrong_shape, 1, vec![]).err();
    assert!(
        matches!(err, Some(DetectorError::Mismatch { .. })),
        "{err:?}"
    );

    let wrong_name = dir.path().join("wrong-name.toml");
    std::fs::write(
        &wrong_name,
        good.replace("name = \"input.1\"", "name = \"images\""),
    )?;
    let err = Detector::open(&wrong_name, 1, vec![]).err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("images") && msg.contains("wrong-name.toml"),
        "{msg}"
    );

    let bad_sha = dir.path().join("bad-sha.toml");
    std::fs::write(&bad_sha, format!("sha256 = \"{}\"\n{good}", "0".repeat(64)))?;
    let err = Detector::open(&bad_sha, 1, vec![]).err();
    assert!(
        matches!(err, Some(DetectorError::Checksum { .. })),
        "{err:?}"
    );

    let missing = dir.path().join("missing.toml");
    std::fs::write(
        &missing,
        good.replace("FastestDet.onnx", "NoSuchModel.onnx"),
    )?;
    let err = Detector::open(&missing, 1, vec![]).err();
    assert!(
        matches!(err, Some(DetectorError::MissingModel { .. })),
        "{err:?}"
    );
    Ok(())
}
