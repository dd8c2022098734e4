//! Camera sources on dedicated threads: GStreamer decode with a named full-policy per mode.
//!
//! - **Live**: latest-wins. Each camera has a one-frame [`LatestSlot`]; a frame that was not taken
//!   before the next arrives is dropped and counted. A source that errors or goes silent for
//!   `stall_timeout` is torn down and reopened with exponential backoff, forever, until shutdown.
//! - **Replay**: lossless and deterministic. Frames go through a bounded channel that blocks the
//!   decoder when full; end of stream ends the camera.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::video::{DecodeConfig, Frame, VideoError, VideoReader};

/// How frames are delivered when the consumer is slower than the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceMode {
    /// Latest frame wins; stale frames are dropped and counted; reconnect on failure.
    Live,
    /// Every frame, in order; the decoder waits for the consumer; end of stream ends the source.
    /// As fast as possible.
    Replay,
    /// As [`SourceMode::Replay`], paced so frame `pts` is released `pts` after the first frame
    /// (real-time replay of a recording).
    ReplayRealtime,
}

impl SourceMode {
    /// Lossless modes never drop and never reconnect.
    pub fn is_replay(self) -> bool {
        matches!(self, Self::Replay | Self::ReplayRealtime)
    }
}

/// Reconnect backoff for live sources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// First delay.
    pub initial_ms: u64,
    /// Cap.
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_ms: 200,
            max_ms: 5_000,
        }
    }
}

impl Backoff {
    /// Delay before attempt `n` (0-based): initial · 2ⁿ, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u64 << attempt.min(20);
        Duration::from_millis(self.initial_ms.saturating_mul(factor).min(self.max_ms))
    }
}

/// Shared counters of one camera source, readable while it runs.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Frames decoded.
    pub decoded: AtomicU64,
    /// Frames dropped because a newer one replaced them (live only).
    pub dropped_stale: AtomicU64,
    /// Times the source was (re)opened after the first.
    pub reconnects: AtomicU64,
    /// Errors and stalls seen.
    pub failures: AtomicU64,
}

/// A decoded frame tagged with its camera.
#[derive(Debug, Clone)]
pub struct CameraFrame {
    /// Camera index in the node's config.
    pub camera: usize,
    /// The frame (pts in the source's stream time).
    pub frame: Frame,
}

/// One-frame mailbox: `put` replaces, `take` waits. The live policy's channel.
#[derive(Debug, Default)]
pub struct LatestSlot<T> {
    slot: Mutex<Option<T>>,
    ready: Condvar,
}

impl<T> LatestSlot<T> {
    /// New empty slot.
    pub fn new() -> Self {
        Self {
            slot: Mutex::new(None),
            ready: Condvar::new(),
        }
    }

    /// Stores `value`; returns true when it replaced an untaken one (a dropped frame).
    pub fn put(&self, value: T) -> bool {
        let mut guard = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = guard.replace(value).is_some();
        self.ready.notify_one();
        replaced
    }

    /// Takes the value, waiting up to `timeout`.
    pub fn take(&self, timeout: Duration) -> Option<T> {
        let guard = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = self
            .ready
            .wait_timeout_while(guard, timeout, |v| v.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.take()
    }
}

/// One camera's source configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// Camera index (tags frames).
    pub camera: usize,
    /// GStreamer URI or file path.
    pub uri: String,
    /// Delivery policy.
    pub mode: SourceMode,
    /// Decode options (format, scale in YUV before conversion).
    pub decode: DecodeConfig,
    /// Live: no frame for this long = dead source.
    pub stall_timeout: Duration,
    /// Live: reconnect backoff.
    pub backoff: Backoff,
}

/// Where a source delivers frames.
#[derive(Debug, Clone)]
pub enum SourceOutput {
    /// Live: the camera's latest-wins slot.
    Live(Arc<LatestSlot<CameraFrame>>),
    /// Replay: a bounded channel that blocks when full.
    Replay(SyncSender<CameraFrame>),
}

/// Why a source stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A replay source failed (replay never retries: the input is a file).
    #[error("camera {camera}: {source}")]
    Replay { camera: usize, source: VideoError },
    /// The consumer went away.
    #[error("camera {camera}: consumer closed")]
    Closed { camera: usize },
}

fn to_uri(uri_or_path: &str) -> Result<String, VideoError> {
    if uri_or_path.contains("://") {
        return Ok(uri_or_path.to_string());
    }
    let path = std::path::Path::new(uri_or_path);
    let absolute = path
        .canonicalize()
        .map_err(|_| VideoError::MissingFile(uri_or_path.to_string()))?;
    gstreamer::glib::filename_to_uri(&absolute, None)
        .map(|u| u.to_string())
        .map_err(|e| VideoError::Pipeline {
            uri: uri_or_path.to_string(),
            message: e.to_string(),
        })
}

impl SourceConfig {
    /// Runs the source on the calling thread until end of stream (replay), a fatal error, or
    /// `shutdown`. Spawn it on a named thread.
    pub fn run(
        self,
        output: SourceOutput,
        stats: Arc<SourceStats>,
        shutdown: Arc<AtomicBool>,
    ) -> Result<(), SourceError> {
        let mut attempt: u32 = 0;
        let mut opened_once = false;
        while !shutdown.load(Ordering::Relaxed) {
            let result =
                self.stream_once(&output, &stats, &shutdown, &mut opened_once, &mut attempt);
            match (self.mode, result) {
                (_, Err(SourceError::Closed { camera })) => {
                    return Err(SourceError::Closed { camera })
                }
                (SourceMode::Replay | SourceMode::ReplayRealtime, r) => return r,
                (SourceMode::Live, Ok(())) | (SourceMode::Live, Err(_)) => {
                    if shutdown.load(Ordering::Relaxed) {
                        break;
                    }
                    let delay = self.backoff.delay(attempt);
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(camera = self.camera, uri = %self.uri, ?delay, "live source lost; reconnecting");
                    sleep_unless(&shutdown, delay);
                }
            }
        }
        Ok(())
    }

    fn stream_once(
        &self,
        output: &SourceOutput,
        stats: &SourceStats,
        shutdown: &AtomicBool,
        opened_once: &mut bool,
        attempt: &mut u32,
    ) -> Result<(), SourceError> {
        let fail = |source: VideoError| {
            stats.failures.fetch_add(1, Ordering::Relaxed);
            SourceError::Replay {
                camera: self.camera,
                source,
            }
        };
        let uri = to_uri(&self.uri).map_err(fail)?;
        let mut reader = VideoReader::open_uri(&uri, &self.decode).map_err(fail)?;
        if *opened_once {
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        *opened_once = true;
        let timeout = match self.mode {
            SourceMode::Live => Some(self.stall_timeout),
            SourceMode::Replay | SourceMode::ReplayRealtime => None,
        };
        let mut pace: Option<(std::time::Instant, u64)> = None;
        while !shutdown.load(Ordering::Relaxed) {
            let Some(frame) = reader.next_frame_within(timeout).map_err(fail)? else {
                return Ok(());
            };
            // A frame arrived: the source is healthy again.
            *attempt = 0;
            if self.mode == SourceMode::ReplayRealtime {
                let (wall0, pts0) = *pace.get_or_insert((std::time::Instant::now(), frame.pts_ns));
                let due = wall0 + Duration::from_nanos(frame.pts_ns.saturating_sub(pts0));
                let now = std::time::Instant::now();
                if due > now {
                    sleep_unless(shutdown, due - now);
                }
            }
            stats.decoded.fetch_add(1, Ordering::Relaxed);
            let tagged = CameraFrame {
                camera: self.camera,
                frame,
            };
            match output {
                SourceOutput::Live(slot) => {
                    if slot.put(tagged) {
                        stats.dropped_stale.fetch_add(1, Ordering::Relaxed);
                    }
                }
                SourceOutput::Replay(tx) => {
                    tx.send(tagged).map_err(|_| SourceError::Closed {
                        camera: self.camera,
                    })?;
                }
            }
        }
        Ok(())
    }
}

fn sleep_unless(shutdown: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(20);
    let mut slept = Duration::ZERO;
    while slept < total && !shutdown.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        slept += step;
    }
}

/// Receiver side helper for replay sources.
pub type ReplayReceiver = Receiver<CameraFrame>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff {
            initial_ms: 100,
            max_ms: 1000,
        };
        let ms: Vec<u128> = (0..6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(u32::MAX).as_millis(), 1000);
    }

    #[test]
    fn latest_slot_replaces_and_counts() {
        let slot = LatestSlot::new();
        assert!(!slot.put(1));
        assert!(slot.put(2));
        assert_eq!(slot.take(Duration::from_millis(1)), Some(2));
        assert_eq!(slot.take(Duration::from_millis(1)), None);
    }
}
