//! Touchline edge node: video sources, inference, tracking, records, journal and QUIC uplink.

pub mod detect;
pub mod inference;
pub mod journal;
pub mod uplink;
pub mod video;
pub mod vision;
