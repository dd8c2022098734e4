//! Touchline records: ids, clocks, record kinds, compact positional codec and wire framing.
//!
//! Sans-IO by construction: no tokio, no sockets, no files, no clocks.
//!
//! # API summary
//! - Ids and clocks ([`ids`]): [`LeagueId`], [`MatchId`], [`VenueId`], [`NodeId`], [`StreamId`],
//!   [`CameraId`], [`PlayerId`], [`TrackId`], [`TeamId`], [`WearableId`], [`EventId`]; [`VenueTime`]
//!   (i64 ns on the match clock) and [`LatencyStamps`] (captured, processed, sent, relay-received, published).
//! - Records ([`record`]): [`Record`] = `Positions(PositionFrame) | Event(ScoreEvent) | Score(ScoreState) |
//!   Anomaly(Anomaly) | Catalog(MatchCatalog) | Heartbeat(Heartbeat)`; every kind carries `time` and `stamps`
//!   ([`Record::venue_time`], [`Record::stamps_mut`]). [`Batch`] = [`BatchHeader`] {venue, match_id, node,
//!   stream, seq, first_time, last_time} + `Vec<Record>`.
//! - Wire ([`wire`]): [`wire::encode_frame`]`(&Frame)`, [`wire::encode_batch`], [`wire::encode_record`]
//!   → `Vec<u8>`; [`wire::FrameDecoder`]: `push(&[u8])`, `next() -> Result<Option<Frame>, DecodeError>`,
//!   max frame size via [`wire::FrameDecoder::with_max_frame_len`]; one-shot [`wire::decode_frame`].
//! - Positional codec ([`codec`]): [`PositionEncoder::encode`] / [`PositionDecoder::decode`], keyframe +
//!   velocity-predicted delta frames, quantum and keyframe interval in [`CodecConfig`].
//! - JSON ([`json`]): every type is serde; [`json::record_schema`] / [`json::batch_schema`] give the JSON
//!   Schema committed under `records/schema/`.
//! - Importers ([`import`]) for EPTS, TRACAB, PFF and Last-Row tracking data (pure functions on `&str`).
//! - Errors ([`error`]): [`DecodeError`], [`EncodeError`], [`RecordError`], [`CodecError`].

pub mod codec;
pub mod error;
#[doc(hidden)]
pub mod harness;
pub mod ids;
pub mod import;
pub mod json;
pub mod record;
pub mod wire;

pub use codec::{CodecConfig, PositionDecoder, PositionEncoder};
pub use error::{CodecError, DecodeError, EncodeError, RecordError};
pub use ids::{
    CameraId, EventId, LatencyStamps, LeagueId, MatchId, NodeId, PlayerId, StreamId, TeamId,
    TrackId, VenueId, VenueTime, WearableId,
};
pub use record::{
    Anomaly, AnomalyKind, AnomalySubject, Batch, BatchHeader, CameraStatus, CatalogPlayer,
    CatalogTeam, Heartbeat, MatchCatalog, NodeHealth, ObjectClass, ObjectPosition, OutOfPlay,
    PositionFrame, Record, RecordKind, ScoreEvent, ScoreEventKind, ScoreState, SourceFlags,
};
pub use wire::{Frame, FrameDecoder};
