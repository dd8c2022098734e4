//! Synthetic match generator (see README.md): a deterministic match simulation ([`sim`]),
//! 60 Hz wearables ([`wearables`]), scene geometry and camera rigs ([`scene`]), an OpenCV
//! renderer ([`render`]), GStreamer encoding ([`encode`]), feed generation ([`generate`]),
//! training-frame export ([`export`]), MQTT publishing ([`publish`]) and the ground-truth reader
//! ([`truth::Feed::load`]).

pub mod encode;
pub mod export;
pub mod generate;
pub mod publish;
pub mod render;
pub mod scene;
pub mod sim;
pub mod truth;
pub mod wearables;
