//! GStreamer shell: BGR frames → x264 → MP4/MKV (appsrc → videoconvert → x264enc → h264parse →
//! mp4mux/matroskamux → filesink), and a decoder used by the round-trip test.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// Why encoding or decoding failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// GStreamer could not be initialised or a pipeline could not be built.
    #[error("gstreamer: {0}")]
    Glib(#[from] gstreamer::glib::Error),
    /// A state change failed.
    #[error("gstreamer state change: {0}")]
    State(#[from] gst::StateChangeError),
    /// Something else in the pipeline failed.
    #[error("gstreamer pipeline: {0}")]
    Pipeline(String),
}

/// Container format of the video file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO MP4 (`mp4mux`).
    Mp4,
    /// Matroska (`matroskamux`).
    Mkv,
}

impl Container {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mkv => "mkv",
        }
    }
}

/// An H.264 encoder writing one file.
pub struct Encoder {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    fps: u32,
    frame: u64,
    frame_bytes: usize,
}

fn pipeline_err(m: impl Into<String>) -> EncodeError {
    EncodeError::Pipeline(m.into())
}

impl Encoder {
    /// Starts an encoder for `width × height` BGR frames at `fps`, average bitrate `kbps`.
    pub fn new(
        path: &Path,
        width: u32,
        height: u32,
        fps: u32,
        kbps: u32,
        container: Container,
    ) -> Result<Self, EncodeError> {
        gst::init()?;
        let mux = match container {
            Container::Mp4 => "mp4mux faststart=true",
            Container::Mkv => "matroskamux",
        };
        let location = path
            .to_str()
            .ok_or_else(|| pipeline_err("output path is not UTF-8"))?
            .replace('"', "");
        let desc = format!(
            "appsrc name=src format=time block=true max-bytes={} \
             caps=video/x-raw,format=BGR,width={width},height={height},framerate={fps}/1 \
             ! videoconvert ! video/x-raw,format=I420 \
             ! x264enc speed-preset=veryfast bitrate={kbps} key-int-max={} threads=1 \
             ! h264parse ! {mux} ! filesink location=\"{location}\"",
            (width * height * 3 * 4),
            fps * 2
        );
        let pipeline = gst::parse::launch(&desc)?
            .downcast::<gst::Pipeline>()
            .map_err(|_| pipeline_err("not a pipeline"))?;
        let src = pipeline
            .by_name("src")
            .ok_or_else(|| pipeline_err("no appsrc"))?
            .downcast::<gst_app::AppSrc>()
            .map_err(|_| pipeline_err("src is not an appsrc"))?;
        pipeline.set_state(gst::State::Playing)?;
        Ok(Self {
            pipeline,
            src,
            fps,
            frame: 0,
            frame_bytes: (width * height * 3) as usize,
        })
    }

    /// Queues one BGR frame (tightly packed rows).
    pub fn push(&mut self, bgr: &[u8]) -> Result<(), EncodeError> {
        if bgr.len() != self.frame_bytes {
            return Err(pipeline_err(format!(
                "frame has {} bytes, expected {}",
                bgr.len(),
                self.frame_bytes
            )));
        }
        let mut buf = gst::Buffer::from_mut_slice(bgr.to_vec());
        {
            let b = buf
                .get_mut()
                .ok_or_else(|| pipeline_err("buffer not writable"))?;
            let fps = u64::from(self.fps);
            b.set_pts(gst::ClockTime::from_nseconds(
                self.frame * 1_000_000_000 / fps,
            ));
            b.set_duration(gst::ClockTime::from_nseconds(1_000_000_000 / fps));
        }
        self.src
            .push_buffer(buf)
            .map_err(|e| pipeline_err(format!("push: {e:?}")))?;
        self.frame += 1;
        Ok(())
    }

    /// Ends the stream and waits until the file is complete.
    pub fn finish(self) -> Result<u64, EncodeError> {
        self.src
            .end_of_stream()
            .map_err(|e| pipeline_err(format!("eos: {e:?}")))?;
        let result = wait_eos(&self.pipeline);
        self.pipeline.set_state(gst::State::Null)?;
        result.map(|_| self.frame)
    }
}

fn wait_eos(pipeline: &gst::Pipeline) -> Result<(), EncodeError> {
    let bus = pipeline.bus().ok_or_else(|| pipeline_err("no bus"))?;
    for msg in bus.iter_timed(gst::ClockTime::NONE) {
        match msg.view() {
            gst::MessageView::Eos(..) => return Ok(()),
            gst::MessageView::Error(e) => {
                return Err(pipeline_err(format!("{} ({:?})", e.error(), e.debug())))
            }
            _ => {}
        }
    }
    Err(pipeline_err("bus closed before end of stream"))
}

/// Decodes a video file to BGR frames: `(width, height, frames)`. For tests and checks.
pub fn decode_bgr(path: &Path) -> Result<(u32, u32, Vec<Vec<u8>>), EncodeError> {
    gst::init()?;
    let location = path
        .to_str()
        .ok_or_else(|| pipeline_err("path is not UTF-8"))?
        .replace('"', "");
    let desc = format!(
        "filesrc location=\"{location}\" ! decodebin ! videoconvert \
         ! video/x-raw,format=BGR ! appsink name=sink sync=false"
    );
    let pipeline = gst::parse::launch(&desc)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| pipeline_err("not a pipeline"))?;
    let sink = pipeline
        .by_name("sink")
        .ok_or_else(|| pipeline_err("no appsink"))?
        .downcast::<gst_app::AppSink>()
        .map_err(|_| pipeline_err("sink is not an appsink"))?;
    pipeline.set_state(gst::State::Playing)?;
    let mut frames = Vec::new();
    let (mut w, mut h) = (0u32, 0u32);
    while let Ok(sample) = sink.pull_sample() {
        if let Some(caps) = sample.caps() {
            if let Some(s) = caps.structure(0) {
                w = s.get::<i32>("width").unwrap_or(0).max(0) as u32;
                h = s.get::<i32>("height").unwrap_or(0).max(0) as u32;
            }
        }
        let buffer = sample
            .buffer()
            .ok_or_else(|| pipeline_err("sample without buffer"))?;
        let map = buffer
            .map_readable()
            .map_err(|e| pipeline_err(format!("map: {e}")))?;
        // Rows may be padded to 4 bytes; repack tightly.
        let row = (w * 3) as usize;
        let stride = if h > 0 { map.len() / h as usize } else { row };
        let mut tight = Vec::with_capacity(row * h as usize);
        for r in 0..h as usize {
            let start = r * stride;
            tight.extend_from_slice(map.get(start..start + row).unwrap_or(&[]));
        }
        frames.push(tight);
    }
    pipeline.set_state(gst::State::Null)?;
    Ok((w, h, frames))
}
