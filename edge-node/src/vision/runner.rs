//! Multi-camera runner: per camera one source thread and one detect+track worker thread (one ONNX
//! session per worker), all feeding one bounded output channel that blocks when full (records
//! are never dropped; live video is dropped earlier, at the camera's latest-wins slot).
//! One failing camera never stops the others: its failure is reported on the same channel.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use calibration::{Camera, Pitch};
use edge_core::{BallConfig, TrackerConfig};

use super::dead_ball::DeadBallConfig;
use super::pipeline::{CameraPipeline, VisionError, VisionFrame};
use super::source::{
    Backoff, LatestSlot, SourceConfig, SourceError, SourceMode, SourceOutput, SourceStats,
};
use crate::detect::kit::Kit;
use crate::detect::{Detector, DetectorError};
use crate::inference::{ExecutionProvider, SessionConfig};
use crate::video::{DecodeConfig, PixelFormat};

/// One camera of the node.
#[derive(Debug, Clone)]
pub struct CameraSpec {
    /// Name (for logs).
    pub name: String,
    /// GStreamer URI or file path.
    pub uri: String,
    /// Calibration (any resolution; scaled to the decoded size).
    pub calibration: Camera,
    /// Match clock = stream pts + this.
    pub clock_offset_ns: i64,
    /// The pitch it looks at (the calibration file's `[pitch]`).
    pub pitch: Pitch,
}

/// Decode resolution policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeSize {
    /// Full source resolution (needed for tiling models).
    Full,
    /// Scale in YUV to exactly this size before colour conversion.
    Fixed(u32, u32),
}

impl DecodeSize {
    /// The decoder's `scale_to_px` for this policy.
    pub fn scale_to_px(self) -> Option<(u32, u32)> {
        match self {
            DecodeSize::Full => None,
            DecodeSize::Fixed(w, h) => Some((w, h)),
        }
    }
}

/// The vision stage configuration.
#[derive(Debug, Clone)]
pub struct VisionConfig {
    /// Cameras.
    pub cameras: Vec<CameraSpec>,
    /// Detector manifest.
    pub manifest: PathBuf,
    /// Live (latest-wins, reconnect) or replay (lossless).
    pub mode: SourceMode,
    /// ONNX Runtime threads per worker.
    pub intra_threads: usize,
    /// ONNX Runtime execution provider (CPU by default).
    pub provider: ExecutionProvider,
    /// Kits for person → role.
    pub kits: Vec<Kit>,
    /// People tracker.
    pub tracker: TrackerConfig,
    /// Ball tracker.
    pub ball: BallConfig,
    /// Dead-ball scan (`vision::dead_ball`).
    pub dead_ball: DeadBallConfig,
    /// Decode size.
    pub decode_size: DecodeSize,
    /// Live: silence that counts as a dead source.
    pub stall_timeout: Duration,
    /// Live: reconnect backoff.
    pub backoff: Backoff,
    /// Replay: frames buffered per camera between decoder and worker.
    pub replay_queue: usize,
}

/// What the runner emits.
#[derive(Debug)]
pub enum VisionEvent {
    /// A processed frame.
    Frame(Box<VisionFrame>),
    /// A camera stopped for good (replay error) or a frame failed; other cameras go on.
    CameraFailed {
        /// Camera index.
        camera: usize,
        /// Why.
        error: String,
    },
    /// A replay camera reached its end.
    CameraFinished {
        /// Camera index.
        camera: usize,
    },
}

/// A running vision stage.
#[derive(Debug)]
pub struct VisionHandle {
    /// Per-camera source counters.
    pub stats: Vec<Arc<SourceStats>>,
    shutdown: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl VisionHandle {
    /// Asks every thread to stop.
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Relaxed);
    }

    /// Stops and joins every thread.
    pub fn join(mut self) {
        self.shutdown();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for VisionHandle {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::Relaxed);
    }
}

/// Why the stage could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A camera's detector could not be opened (manifest, model, runtime).
    #[error("camera {camera} ({name}): {source}")]
    Detector {
        camera: usize,
        name: String,
        source: Box<DetectorError>,
    },
    /// A camera's pipeline could not be built.
    #[error("camera {camera} ({name}): {source}")]
    Pipeline {
        camera: usize,
        name: String,
        source: Box<VisionError>,
    },
    /// No cameras configured.
    #[error("no cameras configured")]
    NoCameras,
    /// A thread could not be spawned.
    #[error("cannot spawn thread: {0}")]
    Spawn(#[from] std::io::Error),
}

/// Starts the vision stage. Detectors are opened (and manifests verified) before any thread
/// starts, so configuration errors surface here.
pub fn spawn(
    config: VisionConfig,
    output: SyncSender<VisionEvent>,
) -> Result<VisionHandle, StartError> {
    if config.cameras.is_empty() {
        return Err(StartError::NoCameras);
    }
    let mut pipelines = Vec::new();
    for (i, cam) in config.cameras.iter().enumerate() {
        let session = SessionConfig {
            intra_threads: config.intra_threads,
            provider: config.provider,
        };
        let detector =
            Detector::open(&config.manifest, session, config.kits.clone()).map_err(|source| {
                StartError::Detector {
                    camera: i,
                    name: cam.name.clone(),
                    source: Box::new(source),
                }
            })?;
        let pipeline = CameraPipeline::new(
            i,
            detector,
            cam.calibration,
            cam.clock_offset_ns,
            config.tracker.clone(),
            config.ball.clone(),
        )
        .map_err(|source| StartError::Pipeline {
            camera: i,
            name: cam.name.clone(),
            source: Box::new(source),
        })?
        .with_dead_ball(config.dead_ball, cam.pitch);
        pipelines.push(pipeline);
    }
    let shutdown = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut all_stats = Vec::new();
    for ((i, cam), mut pipeline) in config.cameras.iter().enumerate().zip(pipelines) {
        let stats = Arc::new(SourceStats::default());
        all_stats.push(stats.clone());
        let decode = DecodeConfig {
            format: PixelFormat::Bgr,
            scale_to_px: config.decode_size.scale_to_px(),
        };
        let source = SourceConfig {
            camera: i,
            uri: cam.uri.clone(),
            mode: config.mode,
            decode,
            stall_timeout: config.stall_timeout,
            backoff: config.backoff,
        };
        let out = output.clone();
        let stop = shutdown.clone();
        match config.mode {
            SourceMode::Live => {
                let slot = Arc::new(LatestSlot::new());
                let src_slot = slot.clone();
                let src_stop = stop.clone();
                let src_stats = stats.clone();
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("cam{i}-source"))
                        .spawn(move || {
                            if let Err(e) =
                                source.run(SourceOutput::Live(src_slot), src_stats, src_stop)
                            {
                                tracing::error!(camera = i, error = %e, "live source stopped");
                            }
                        })?,
                );
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("cam{i}-detect"))
                        .spawn(move || {
                            while !stop.load(Ordering::Relaxed) {
                                let Some(f) = slot.take(Duration::from_millis(100)) else {
                                    continue;
                                };
                                let event = match pipeline.process(&f.frame) {
                                    Ok(v) => VisionEvent::Frame(Box::new(v)),
                                    Err(e) => VisionEvent::CameraFailed {
                                        camera: i,
                                        error: e.to_string(),
                                    },
                                };
                                if out.send(event).is_err() {
                                    break;
                                }
                            }
                        })?,
                );
            }
            SourceMode::Replay | SourceMode::ReplayRealtime => {
                let (tx, rx) = sync_channel(config.replay_queue.max(1));
                let src_stop = stop.clone();
                let src_out = out.clone();
                let src_stats = stats.clone();
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("cam{i}-source"))
                        .spawn(move || {
                            match source.run(SourceOutput::Replay(tx), src_stats, src_stop) {
                                Ok(()) | Err(SourceError::Closed { .. }) => {}
                                Err(e) => {
                                    let _ = src_out.send(VisionEvent::CameraFailed {
                                        camera: i,
                                        error: e.to_string(),
                                    });
                                }
                            }
                        })?,
                );
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("cam{i}-detect"))
                        .spawn(move || {
                            for f in rx.iter() {
                                if stop.load(Ordering::Relaxed) {
                                    break;
                                }
                                let event = match pipeline.process(&f.frame) {
                                    Ok(v) => VisionEvent::Frame(Box::new(v)),
                                    Err(e) => VisionEvent::CameraFailed {
                                        camera: i,
                                        error: e.to_string(),
                                    },
                                };
                                if out.send(event).is_err() {
                                    return;
                                }
                            }
                            let _ = out.send(VisionEvent::CameraFinished { camera: i });
                        })?,
                );
            }
        }
    }
    Ok(VisionHandle {
        stats: all_stats,
        shutdown,
        threads,
    })
}
