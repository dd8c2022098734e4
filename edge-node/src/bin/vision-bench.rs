//! `vision-bench`: one table, one run. Pure GStreamer decode fps of a feed's video vs the full
//! vision pipeline (decode scaled in YUV → BGR → detect → track) fps on the same file, tracker µs
//! per update with 23 objects, per-frame latency p50/p99 from decoded frame to tracks, peak RSS.
//! Between the two, the same decode to BGR plus the detector's letterbox into its input tensor
//! with no inference: the ceiling of any pipeline that looks at every frame, whatever the model.
//!
//! `cargo run --release -p edge-node --bin vision-bench -- --feed sample-feeds/feeds/<name>`

use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use calibration::Pitch;
use clap::Parser;
use edge_core::{Detection, ImageBox, ObjectClass, Tracker, TrackerConfig};
use edge_node::detect::preprocess::{prepare, BgrFrame};
use edge_node::detect::DetectorManifest;
use edge_node::inference::ExecutionProvider;
use edge_node::video::{DecodeConfig, PixelFormat, VideoReader};
use edge_node::vision::runner::{spawn, CameraSpec, DecodeSize, VisionConfig, VisionEvent};
use edge_node::vision::{Backoff, SourceMode};
use nalgebra::Point2;
use sample_feeds::truth::Feed;

#[derive(Debug, Parser)]
struct Args {
    /// Sample feed directory (video + calibration).
    #[arg(long)]
    feed: PathBuf,
    /// Detector manifest.
    #[arg(long, default_value = "models/touchline-det.toml")]
    manifest: PathBuf,
    /// ONNX Runtime threads for the detector.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// ONNX Runtime execution provider: cpu, cuda[:N], tensorrt[:N] or openvino.
    #[arg(long, default_value = "cpu")]
    provider: ExecutionProvider,
    /// Decode size for the pipeline, WxH (scaled in YUV before conversion); "full" for none.
    #[arg(long, default_value = "full")]
    decode: String,
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Percentile `p` (0..=100) of sorted µs values, in ms; NaN when there are none.
fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    sorted_us[((p / 100.0) * (sorted_us.len() - 1) as f64).round() as usize] as f64 / 1000.0
}

fn tracker_us_per_update() -> anyhow::Result<f64> {
    let mut tracker = Tracker::new(TrackerConfig::default())?;
    let frames = 2_000;
    let mut total = Duration::ZERO;
    for f in 0..frames {
        let t = f as f64 * 0.04;
        let dets: Vec<Detection> = (0..23)
            .map(|i| {
                let x = -50.0 + 4.5 * i as f64 + 3.0 * (t + i as f64).sin();
                let y = -30.0 + 2.5 * i as f64 + 2.0 * (0.7 * t).cos();
                let u = 60.0 + 50.0 * i as f32;
                Detection::new(
                    ImageBox::new(u, 300.0, u + 20.0, 360.0),
                    0.9,
                    if i == 22 {
                        ObjectClass::Referee
                    } else {
                        ObjectClass::Player
                    },
                    Some(Point2::new(x, y)),
                )
            })
            .collect();
        let started = Instant::now();
        let out = tracker.update((t * 1e9) as i64, &dets)?;
        total += started.elapsed();
        std::hint::black_box(out);
    }
    Ok(total.as_secs_f64() * 1e6 / frames as f64)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let feed =
        Feed::load(&args.feed).with_context(|| format!("loading feed {}", args.feed.display()))?;
    let Some(entry) = feed.manifest.cameras.iter().find(|c| c.video.is_some()) else {
        bail!("feed {} has no camera with video", args.feed.display());
    };
    let video = args.feed.join(entry.video.clone().unwrap_or_default());
    let calibration = feed
        .camera_at(&entry.name, 0)
        .with_context(|| format!("camera {} has no calibration", entry.name))?;
    let decode_size = match args.decode.as_str() {
        "full" => DecodeSize::Full,
        wh => {
            let (w, h) = wh.split_once('x').context("--decode must be WxH or full")?;
            DecodeSize::Fixed(w.parse()?, h.parse()?)
        }
    };

    // 1. Pure decode (I420, no scaling or conversion): the floor.
    let started = Instant::now();
    let mut reader = VideoReader::open_file(
        &video,
        &DecodeConfig {
            format: PixelFormat::I420,
            scale_to_px: None,
        },
    )?;
    let mut decoded = 0u64;
    let mut size = (0, 0);
    while let Some(f) = reader.next_frame()? {
        size = (f.width_px, f.height_px);
        decoded += 1;
    }
    let decode_fps = decoded as f64 / started.elapsed().as_secs_f64();
    drop(reader);

    // 1b. Decode to BGR at the pipeline's size + letterbox into the model tensor, no inference.
    let manifest = DetectorManifest::load(&args.manifest)
        .with_context(|| format!("loading manifest {}", args.manifest.display()))?;
    let started = Instant::now();
    let mut reader = VideoReader::open_file(
        &video,
        &DecodeConfig {
            format: PixelFormat::Bgr,
            scale_to_px: decode_size.scale_to_px(),
        },
    )?;
    let mut tensor = Vec::new();
    let mut prepared = 0u64;
    while let Some(f) = reader.next_frame()? {
        let frame = BgrFrame::new(f.width_px, f.height_px, &f.data)?;
        prepare(&frame, frame.full(), &manifest.input, &mut tensor)?;
        std::hint::black_box(&tensor);
        prepared += 1;
    }
    let prepare_fps = prepared as f64 / started.elapsed().as_secs_f64();
    drop(reader);

    // 2. The vision pipeline on the same file (replay mode: lossless, decode and detect threads).
    let (tx, rx) = sync_channel(64);
    let config = VisionConfig {
        cameras: vec![CameraSpec {
            name: entry.name.clone(),
            uri: video.display().to_string(),
            calibration,
            clock_offset_ns: 0,
            pitch: Pitch {
                length: feed.manifest.pitch_length,
                width: feed.manifest.pitch_width,
            },
        }],
        manifest: args.manifest.clone(),
        mode: SourceMode::Replay,
        intra_threads: args.threads,
        provider: args.provider,
        kits: Vec::new(),
        tracker: TrackerConfig::default(),
        ball: Default::default(),
        dead_ball: Default::default(),
        decode_size,
        stall_timeout: Duration::from_secs(2),
        backoff: Backoff::default(),
        replay_queue: 4,
    };
    let started = Instant::now();
    let handle = spawn(config, tx)?;
    let mut latencies = Vec::new();
    let mut stages: [Vec<u64>; 5] = Default::default();
    let mut tracks = 0usize;
    for event in rx.iter() {
        match event {
            VisionEvent::Frame(v) => {
                latencies.push(v.processing_us);
                for (all, us) in stages.iter_mut().zip(v.stages.as_array()) {
                    all.push(us);
                }
                tracks += v.tracks.len();
            }
            VisionEvent::CameraFailed { camera, error } => bail!("camera {camera}: {error}"),
            VisionEvent::CameraFinished { .. } => break,
        }
    }
    let wall = started.elapsed().as_secs_f64();
    handle.join();
    latencies.sort_unstable();
    let pct = |p: f64| percentile_ms(&latencies, p);
    let pipeline_fps = latencies.len() as f64 / wall;
    let tracker_us = tracker_us_per_update()?;

    println!(
        "vision-bench: {} ({}x{}, {} frames), model {}",
        video.display(),
        size.0,
        size.1,
        decoded,
        args.manifest.display()
    );
    println!("| metric | value |");
    println!("|---|---|");
    println!("| pure GStreamer decode (I420) | {decode_fps:.1} fps |");
    println!(
        "| decode {} → BGR → letterboxed tensor, no inference | {prepare_fps:.1} fps ({:.2} of decode) |",
        args.decode,
        prepare_fps / decode_fps
    );
    println!(
        "| vision pipeline (decode {} → detect → track) | {pipeline_fps:.1} fps |",
        args.decode
    );
    println!(
        "| pipeline / decode ratio | {:.2} |",
        pipeline_fps / decode_fps
    );
    println!(
        "| detect+track latency p50 / p99 | {:.1} / {:.1} ms |",
        pct(50.0),
        pct(99.0)
    );
    let stage_names = [
        "preprocess (letterbox → tensor)",
        "detector inference + decode",
        "foot-point refiner",
        "ball verifier + search",
        "tracking (+ colours, roles)",
    ];
    for (name, all) in stage_names.iter().zip(&mut stages) {
        all.sort_unstable();
        let p50 = percentile_ms(all, 50.0);
        let mean = all.iter().sum::<u64>() as f64 / all.len().max(1) as f64 / 1000.0;
        println!("| … of which {name}, p50 / mean | {p50:.2} / {mean:.2} ms |");
    }
    println!("| tracker update, 23 objects | {tracker_us:.1} µs |");
    println!(
        "| mean tracks per frame | {:.1} |",
        tracks as f64 / latencies.len().max(1) as f64
    );
    println!("| peak RSS | {:.0} MiB |", peak_rss_mib());
    Ok(())
}
