//! A real GStreamer round trip: rendered frames → x264 → MP4/MKV → decode.

use calibration::Pitch;
use opencv::prelude::*;
use sample_feeds::encode::{decode_bgr, Container, Encoder};
use sample_feeds::render::{Look, Renderer};
use sample_feeds::scene::{Rig, RigKind};
use sample_feeds::sim::{MatchSim, SimConfig};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn round_trip(container: Container) -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("clip.{}", container.extension()));
    let (w, h, n) = (320u32, 240u32, 12usize);
    let mut sim = MatchSim::new(SimConfig::for_seed(5));
    let mut renderer = Renderer::new(Look::from_seed(5), Pitch::STANDARD)?;
    let mut rig = Rig::new(RigKind::Main, w, h, Pitch::STANDARD, [0.5; 3]);
    let mut enc = Encoder::new(&path, w, h, 25, 1500, container)?;
    let mut originals = Vec::new();
    for _ in 0..n {
        for _ in 0..12 {
            sim.step();
        }
        let cam = rig.camera(&sim.ball.pos, 0.04).ok_or("no camera")?;
        let frame = renderer.render(&cam, &sim.people, &sim.ball, true)?;
        let bytes = frame.image.data_bytes()?.to_vec();
        enc.push(&bytes)?;
        originals.push(bytes);
    }
    assert_eq!(enc.finish()?, n as u64);
    let (dw, dh, frames) = decode_bgr(&path)?;
    assert_eq!((dw, dh), (w, h));
    assert_eq!(frames.len(), n);
    for (a, b) in originals.iter().zip(&frames) {
        assert_eq!(a.len(), b.len());
        let mad: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.len() as f64;
        assert!(mad < 12.0, "decoded frame differs by {mad} on average");
    }
    Ok(())
}

#[test]
fn mp4_round_trip() -> TestResult {
    round_trip(Container::Mp4)
}

#[test]
fn mkv_round_trip() -> TestResult {
    round_trip(Container::Mkv)
}
