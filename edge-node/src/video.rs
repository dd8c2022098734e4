//! Video sources: GStreamer decode to raw frames in Rust buffers.
//!
//! Pipeline: `uridecodebin → videoscale → videoconvert → appsink`. Scaling happens before the
//! colour conversion so a 1080p source costs a model-sized conversion, not a full-frame one
//! (see ARCHITECTURE.md). [`VideoReader`] is blocking: run it on a dedicated thread and hand
//! frames to the async world through a bounded channel.

use std::path::Path;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::VideoFrameExt;

/// Why a video source failed.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// GStreamer could not be initialised (missing or broken installation).
    #[error("gstreamer init failed: {0}")]
    Init(String),
    /// The file does not exist.
    #[error("video file {0} does not exist")]
    MissingFile(String),
    /// A pipeline element is missing (a GStreamer plugin package is not installed).
    #[error(
        "gstreamer element `{0}` is unavailable: install the GStreamer plugin that provides it"
    )]
    MissingElement(&'static str),
    /// The pipeline refused to start or reported an error while running.
    #[error("video source {uri}: {message}")]
    Pipeline { uri: String, message: String },
    /// A live source produced no frame within the stall timeout.
    #[error("video source {uri}: no frame for {waited_ms} ms")]
    Stalled { uri: String, waited_ms: u64 },
    /// A decoded sample had no buffer or caps, or caps we cannot interpret.
    #[error("video source {uri}: malformed decoded sample: {message}")]
    Sample { uri: String, message: String },
}

/// Raw pixel layout of decoded frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Planar YUV 4:2:0 (decoder-native for H.264/H.265; cheapest).
    I420,
    /// Packed 8-bit BGR (what OpenCV and most detectors want).
    Bgr,
}

impl PixelFormat {
    fn caps_name(self) -> &'static str {
        match self {
            Self::I420 => "I420",
            Self::Bgr => "BGR",
        }
    }
}

/// How to decode a source.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeConfig {
    /// Output pixel format.
    pub format: PixelFormat,
    /// Optional output size `(width, height)`; scaling happens in YUV before conversion.
    pub scale_to_px: Option<(u32, u32)>,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self {
            format: PixelFormat::Bgr,
            scale_to_px: None,
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Presentation time in the source's stream time (ns from the start of the stream).
    pub pts_ns: u64,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
    /// Pixel layout of `data`.
    pub format: PixelFormat,
    /// Tightly packed pixels (row stride = width × bytes per pixel; planes consecutive for I420).
    pub data: Vec<u8>,
}

/// Blocking reader of decoded frames from any GStreamer URI (or a local file path).
pub struct VideoReader {
    uri: String,
    pipeline: gst::Pipeline,
    sink: gst_app::AppSink,
    format: PixelFormat,
}

impl std::fmt::Debug for VideoReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoReader")
            .field("uri", &self.uri)
            .finish()
    }
}

/// Initialises GStreamer once per process.
pub fn init() -> Result<(), VideoError> {
    gst::init().map_err(|e| VideoError::Init(e.to_string()))
}

fn make(name: &'static str) -> Result<gst::Element, VideoError> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|_| VideoError::MissingElement(name))
}

impl VideoReader {
    /// Opens a local file for lossless, as-fast-as-possible decoding.
    pub fn open_file(path: &Path, config: &DecodeConfig) -> Result<Self, VideoError> {
        if !path.is_file() {
            return Err(VideoError::MissingFile(path.display().to_string()));
        }
        let absolute = path
            .canonicalize()
            .map_err(|_| VideoError::MissingFile(path.display().to_string()))?;
        let uri =
            gst::glib::filename_to_uri(&absolute, None).map_err(|e| VideoError::Pipeline {
                uri: path.display().to_string(),
                message: e.to_string(),
            })?;
        Self::open_uri(uri.as_str(), config)
    }

    /// Opens any GStreamer URI (`file://`, `rtsp://`, `srt://`, `udp://`...).
    pub fn open_uri(uri: &str, config: &DecodeConfig) -> Result<Self, VideoError> {
        init()?;
        let pipeline_err = |message: String| VideoError::Pipeline {
            uri: uri.to_string(),
            message,
        };
        let pipeline = gst::Pipeline::new();
        let src = make("uridecodebin")?;
        src.set_property("uri", uri);
        let scale = make("videoscale")?;
        let convert = make("videoconvert")?;
        let mut caps = gst::Caps::builder("video/x-raw").field("format", config.format.caps_name());
        if let Some((w, h)) = config.scale_to_px {
            caps = caps.field("width", w as i32).field("height", h as i32);
        }
        let sink = gst_app::AppSink::builder()
            .caps(&caps.build())
            // Replay is lossless: the appsink blocks the decoder instead of dropping.
            .max_buffers(4)
            .drop(false)
            .sync(false)
            .build();
        pipeline
            .add_many([&src, &scale, &convert, sink.upcast_ref()])
            .map_err(|e| pipeline_err(e.to_string()))?;
        gst::Element::link_many([&scale, &convert, sink.upcast_ref()])
            .map_err(|e| pipeline_err(e.to_string()))?;
        let scale_weak = scale.downgrade();
        src.connect_pad_added(move |_, pad| {
            let Some(scale) = scale_weak.upgrade() else {
                return;
            };
            let is_video = pad
                .current_caps()
                .and_then(|c| c.structure(0).map(|s| s.name().starts_with("video/")))
                .unwrap_or(false);
            if !is_video {
                return;
            }
            if let Some(sink_pad) = scale.static_pad("sink") {
                if !sink_pad.is_linked() {
                    // A failed link surfaces as a not-negotiated error on the bus.
                    let _ = pad.link(&sink_pad);
                }
            }
        });
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| pipeline_err(format!("cannot start: {e}")))?;
        Ok(Self {
            uri: uri.to_string(),
            pipeline,
            sink,
            format: config.format,
        })
    }

    /// The source URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Next decoded frame; `Ok(None)` at end of stream. Waits as long as it takes (replay).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, VideoError> {
        self.next_frame_within(None)
    }

    /// Next decoded frame, or [`VideoError::Stalled`] when none arrives within `timeout`
    /// (live sources: a dead sender produces silence, not an error).
    pub fn next_frame_within(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Frame>, VideoError> {
        let started = std::time::Instant::now();
        loop {
            self.check_bus()?;
            if let Some(sample) = self.sink.try_pull_sample(gst::ClockTime::from_mseconds(50)) {
                return self.frame_from_sample(&sample).map(Some);
            }
            if self.sink.is_eos() {
                self.check_bus()?;
                return Ok(None);
            }
            if let Some(limit) = timeout {
                if started.elapsed() >= limit {
                    return Err(VideoError::Stalled {
                        uri: self.uri.clone(),
                        waited_ms: limit.as_millis() as u64,
                    });
                }
            }
        }
    }

    fn check_bus(&self) -> Result<(), VideoError> {
        let Some(bus) = self.pipeline.bus() else {
            return Ok(());
        };
        while let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error]) {
            if let gst::MessageView::Error(err) = msg.view() {
                let source = err
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                return Err(VideoError::Pipeline {
                    uri: self.uri.clone(),
                    message: format!("{} ({source})", err.error()),
                });
            }
        }
        Ok(())
    }

    fn frame_from_sample(&self, sample: &gst::Sample) -> Result<Frame, VideoError> {
        let sample_err = |message: &str| VideoError::Sample {
            uri: self.uri.clone(),
            message: message.to_string(),
        };
        let caps = sample.caps().ok_or_else(|| sample_err("no caps"))?;
        let info = gst_video::VideoInfo::from_caps(caps).map_err(|_| sample_err("bad caps"))?;
        let buffer = sample.buffer().ok_or_else(|| sample_err("no buffer"))?;
        let pts = buffer.pts().ok_or_else(|| sample_err("no pts"))?;
        // Stream time, not buffer PTS: containers shift PTS (B-frame delay, edit lists) and the
        // segment undoes that, so the first frame of a file is at 0.
        let pts_ns = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::ClockTime>())
            .and_then(|s| s.to_stream_time(pts))
            .unwrap_or(pts)
            .nseconds();
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
            .map_err(|_| sample_err("unmappable buffer"))?;
        let (width, height) = (info.width(), info.height());
        let mut data = Vec::with_capacity(info.size());
        for plane in 0..frame.n_planes() {
            let stride = frame.plane_stride()[plane as usize] as usize;
            let bytes = frame
                .plane_data(plane)
                .map_err(|_| sample_err("unreadable plane"))?;
            let (row_bytes, rows) = match (self.format, plane) {
                (PixelFormat::Bgr, _) => (width as usize * 3, height as usize),
                (PixelFormat::I420, 0) => (width as usize, height as usize),
                (PixelFormat::I420, _) => (width.div_ceil(2) as usize, height.div_ceil(2) as usize),
            };
            for row in 0..rows {
                let start = row * stride;
                let line = bytes
                    .get(start..start + row_bytes)
                    .ok_or_else(|| sample_err("plane shorter than its stride says"))?;
                data.extend_from_slice(line);
            }
        }
        Ok(Frame {
            pts_ns,
            width_px: width,
            height_px: height,
            format: self.format,
            data,
        })
    }
}

impl Drop for VideoReader {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Duration of one frame at `fps`, for tests and pacing.
pub fn frame_period(fps: u32) -> Duration {
    Duration::from_nanos(1_000_000_000 / u64::from(fps.max(1)))
}
