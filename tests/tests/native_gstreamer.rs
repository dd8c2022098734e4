//! GStreamer decode of the committed H.264 clip into Rust buffers: frame count, size, timestamps,
//! scaling before conversion, and typed errors for missing or corrupt files.

use edge_node::video::{frame_period, DecodeConfig, PixelFormat, VideoError, VideoReader};
use touchline_tests::repo_root;

const CLIP: &str = "tests/data/testsrc_320x240_25fps_30f.mp4";

fn decode_all(config: &DecodeConfig) -> anyhow::Result<Vec<edge_node::video::Frame>> {
    let mut reader = VideoReader::open_file(&repo_root().join(CLIP), config)?;
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame()? {
        frames.push(frame);
    }
    Ok(frames)
}

#[test]
fn decodes_every_frame_as_bgr_with_timestamps() -> anyhow::Result<()> {
    let frames = decode_all(&DecodeConfig::default())?;
    assert_eq!(frames.len(), 30);
    let period = frame_period(25).as_nanos() as u64;
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!((frame.width_px, frame.height_px), (320, 240));
        assert_eq!(frame.format, PixelFormat::Bgr);
        assert_eq!(frame.data.len(), 320 * 240 * 3);
        assert_eq!(frame.pts_ns, i as u64 * period, "frame {i}");
    }
    // SMPTE bars: the top-left pixel is light grey/white-ish, not black, so pixels are real.
    let first = &frames[0].data;
    assert!(
        first[0] > 150 && first[1] > 150 && first[2] > 150,
        "{:?}",
        &first[..3]
    );
    Ok(())
}

#[test]
fn scales_in_yuv_before_conversion() -> anyhow::Result<()> {
    let frames = decode_all(&DecodeConfig {
        format: PixelFormat::I420,
        scale_to_px: Some((160, 120)),
    })?;
    assert_eq!(frames.len(), 30);
    for frame in &frames {
        assert_eq!((frame.width_px, frame.height_px), (160, 120));
        assert_eq!(frame.data.len(), 160 * 120 * 3 / 2);
    }
    Ok(())
}

#[test]
fn missing_file_is_named() {
    let err = VideoReader::open_file(
        std::path::Path::new("no/such/clip.mp4"),
        &DecodeConfig::default(),
    );
    match err {
        Err(e @ VideoError::MissingFile(_)) => assert!(e.to_string().contains("no/such/clip.mp4")),
        other => panic!("expected MissingFile, got {other:?}"),
    }
}

#[test]
fn corrupt_file_is_a_pipeline_error_not_a_panic() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("corrupt.mp4");
    std::fs::write(&path, vec![0x5au8; 4096])?;
    let mut reader = VideoReader::open_file(&path, &DecodeConfig::default())?;
    let result = reader.next_frame();
    match result {
        Err(e @ VideoError::Pipeline { .. }) => {
            assert!(e.to_string().contains("corrupt.mp4"), "{e}")
        }
        other => panic!("expected a pipeline error, got {other:?}"),
    }
    Ok(())
}
