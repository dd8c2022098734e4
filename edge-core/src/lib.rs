//! Touchline edge-node pure core: multi-object tracking in pitch metres and tracking metrics.
//!
//! Sans-IO by construction: the only dependencies are `nalgebra`, `serde`, `thiserror` and
//! `pathfinding` (Hungarian assignment). No clocks, threads, files, GStreamer, ONNX Runtime or
//! OpenCV: every state machine takes the frame's match-clock time (`now_ns: i64`) as an argument.
//!
//! # Public API
//! - Inputs ([`types`]): [`ObjectClass`] (`Player | Goalkeeper | Referee | Ball`), [`ClassGroup`]
//!   (`Players | Referees | Ball`, goalkeepers count as players), [`ImageBox`] (`x1, y1, x2, y2` in
//!   `image_px`, [`ImageBox::iou`]), [`Detection`] {`image_box_px`, `score`, `class`,
//!   `foot_pitch_m: Option<Point2<f64>>`}.
//! - People tracker ([`tracker`]): [`Tracker::new`]`(`[`TrackerConfig`]`)`,
//!   [`Tracker::update`]`(now_ns, &[Detection]) -> Result<`[`TrackerFrame`]`, `[`TrackerError`]`>`;
//!   [`TrackerFrame`] {`now_ns`, `tracks: Vec<`[`TrackOutput`]`>`, `rejected_detections`};
//!   [`TrackOutput`] {`track_id: u32`, `class`, `state:` [`TrackState`] (`Confirmed | Predicted |
//!   Lost`), `pitch_m`, `velocity_mps`, `image_box_px`, `score`, `hits`, `last_seen_ns`}.
//! - Ball tracker ([`tracker`]): [`BallTracker::new`]`(`[`BallConfig`]`)`,
//!   [`BallTracker::update`]`(now_ns, &[Detection]) -> Result<`[`BallFrame`]`, `[`TrackerError`]`>`;
//!   [`BallFrame`] {`now_ns`, `ball: Option<`[`BallOutput`]`>`, `rejected_detections`};
//!   [`BallOutput`] {`track_id`, `state:` [`BallState`] (`Observed | Predicted`), `pitch_m`,
//!   `velocity_mps`, `image_box_px`, `score`, `last_seen_ns`}.
//! - Kalman filter ([`kalman`]): [`CvKalman`], constant velocity on a plane, `predict(dt_s, accel_std)`,
//!   `update(&z, measurement_std)`.
//!
//! - Metrics ([`eval`]): [`eval::Evaluator::new`]`(`[`eval::EvalConfig`]`)`, `push_frame(&[`[`eval::GtObject`]`],
//!   &[`[`eval::PredObject`]`])`, `finish() -> `[`eval::Metrics`] (HOTA/DetA/AssA/LocA and per-α scores,
//!   MOTA with id switches, IDF1/IDP/IDR, position RMSE, per-class precision/recall); one-shot
//!   [`eval::evaluate`]`(&EvalConfig, &[`[`eval::EvalFrame`]`])`; `Metrics` prints as aligned text
//!   tables ([`eval::Table`], `Display`).
//!
//! Configs implement `Default` and serde with `deny_unknown_fields`; `validate()` checks ranges
//! (the constructors call it). Invalid inputs never panic: detections with NaN/inf values or empty
//! boxes are ignored and counted; a timestamp older than the previous frame's is an error.
//! The tracker README (`edge-core/README.md`) documents the state space and association.

pub mod eval;
pub mod kalman;
pub mod tracker;
pub mod types;

mod assign;

pub use kalman::CvKalman;
pub use tracker::{
    BallConfig, BallFrame, BallOutput, BallState, BallTracker, TrackOutput, TrackState, Tracker,
    TrackerConfig, TrackerError, TrackerFrame,
};
pub use types::{ClassGroup, Detection, ImageBox, ObjectClass};
