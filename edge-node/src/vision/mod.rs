//! The vision stage of the edge node: camera sources (GStreamer, live or replay), per-camera
//! detection and tracking into pitch coordinates, and the multi-camera runner.

pub mod dead_ball;
pub mod eval;
pub mod pipeline;
pub mod runner;
pub mod source;
pub mod to_records;

pub use pipeline::{CameraPipeline, VisionError, VisionFrame};
pub use source::{Backoff, LatestSlot, SourceConfig, SourceMode, SourceOutput, SourceStats};
