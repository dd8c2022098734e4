//! Object detection: manifest-described ONNX detectors, preprocessing, output decoders, NMS,
//! class mapping (COCO person → player/referee by kit colour) and optional tiling.
//!
//! The pure parts (`decode`, `nms`, `kit`, geometry) take plain slices and are unit-tested with
//! synthetic tensors; [`Detector`] is the shell that owns one ONNX Runtime session and is run on a
//! dedicated worker thread (one session per worker).

pub mod ball_search;
pub mod ball_verify;
pub mod decode;
pub mod detector;
pub mod foot_refine;
pub mod kit;
pub mod manifest;
pub mod nms;
mod patch_model;
pub mod preprocess;
pub mod roles;

pub use decode::{BoxPx, RawDetection};
pub use detector::{BallRows, Detection, Detector, DetectorError, StageTimes};
pub use manifest::{DetectorManifest, ManifestError, ObjectClass, OutputLayout, Thresholds};
