//! Compact codecs: the positional keyframe/delta codec and its bit-level primitives.

pub mod bits;
pub mod position;

pub use position::{CodecConfig, PositionDecoder, PositionEncoder};
