//! Replay sources are lossless and deterministic; real-time replay is paced to the timestamps.

use std::sync::atomic::AtomicBool;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use edge_node::video::{DecodeConfig, PixelFormat};
use edge_node::vision::source::CameraFrame;
use edge_node::vision::{Backoff, SourceConfig, SourceMode, SourceOutput, SourceStats};
use touchline_tests::repo_root;

fn replay(mode: SourceMode) -> anyhow::Result<(Vec<CameraFrame>, Duration)> {
    let config = SourceConfig {
        camera: 3,
        uri: repo_root()
            .join("tests/data/testsrc_320x240_25fps_30f.mp4")
            .display()
            .to_string(),
        mode,
        decode: DecodeConfig {
            format: PixelFormat::Bgr,
            scale_to_px: None,
        },
        stall_timeout: Duration::from_secs(1),
        backoff: Backoff::default(),
    };
    // A one-slot queue: the decoder must wait for this (slow) consumer, never drop.
    let (tx, rx) = sync_channel(1);
    let started = Instant::now();
    let worker = std::thread::spawn(move || {
        config.run(
            SourceOutput::Replay(tx),
            Arc::new(SourceStats::default()),
            Arc::new(AtomicBool::new(false)),
        )
    });
    let mut frames = Vec::new();
    for f in rx.iter() {
        std::thread::sleep(Duration::from_millis(2));
        frames.push(f);
    }
    let elapsed = started.elapsed();
    worker
        .join()
        .map_err(|_| anyhow::anyhow!("source thread panicked"))??;
    Ok((frames, elapsed))
}

#[test]
fn replay_is_lossless_deterministic_and_optionally_paced() -> anyhow::Result<()> {
    let (fast, _) = replay(SourceMode::Replay)?;
    let (again, _) = replay(SourceMode::Replay)?;
    let (paced, paced_time) = replay(SourceMode::ReplayRealtime)?;
    assert_eq!(fast.len(), 30);
    for (i, ((a, b), c)) in fast.iter().zip(&again).zip(&paced).enumerate() {
        assert_eq!(a.camera, 3);
        assert_eq!(a.frame.pts_ns, i as u64 * 40_000_000);
        assert_eq!(a.frame, b.frame, "frame {i} differs between replays");
        assert_eq!(a.frame, c.frame, "frame {i} differs in paced replay");
    }
    // 29 frame periods of 40 ms separate the first and the last frame.
    assert!(
        paced_time >= Duration::from_millis(29 * 40),
        "real-time replay finished in {paced_time:?}"
    );
    Ok(())
}
