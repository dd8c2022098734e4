//! Typed errors. Decoders of outside bytes return these; they never panic.

use crate::record::RecordKind;

/// Errors of the positional codec's decoder (and the encoder's input checks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended inside a code.
    #[error("positional frame truncated")]
    Truncated,
    /// The bits do not form a valid frame; the text says which part.
    #[error("malformed positional frame: {0}")]
    Malformed(&'static str),
    /// A delta frame arrived before any keyframe (or after an error reset the decoder).
    #[error("delta frame without a preceding keyframe")]
    NeedKeyframe,
    /// A delta frame's sequence number is not the one after the previous frame: a frame was lost.
    #[error("delta frame out of sequence: expected {expected}, got {got}")]
    SequenceGap {
        /// Sequence number expected.
        expected: u8,
        /// Sequence number received.
        got: u8,
    },
    /// A frame holds more objects than the decoder accepts.
    #[error("{count} objects exceed the limit of {max}")]
    TooManyObjects {
        /// Objects announced.
        count: u64,
        /// Limit.
        max: usize,
    },
    /// Whole bytes were left after the frame's last field.
    #[error("{0} trailing bytes after positional frame")]
    TrailingBytes(usize),
    /// Encoder input: object ids are not strictly increasing.
    #[error("objects not sorted by strictly increasing id")]
    UnsortedObjects,
    /// Encoder input: quantum is zero.
    #[error("quantum must be at least 1 cm")]
    ZeroQuantum,
}

/// Errors while decoding one record's payload.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The record kind code is not known to this version.
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    /// A positional record failed to decode.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A bincode-encoded record failed to decode (includes exceeding the size limit).
    #[error("{kind:?} record: {source}")]
    Bincode {
        /// Which kind of record.
        kind: RecordKind,
        /// The bincode error.
        source: bincode::error::DecodeError,
    },
    /// The record's bytes were not all consumed.
    #[error("{kind:?} record has {extra} trailing bytes")]
    TrailingBytes {
        /// Which kind of record.
        kind: RecordKind,
        /// Unconsumed bytes.
        extra: usize,
    },
}

/// Errors while encoding a frame.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A positional frame was rejected by the codec.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A record could not be bincode-encoded.
    #[error("bincode: {0}")]
    Bincode(#[from] bincode::error::EncodeError),
    /// The encoded frame would exceed the maximum frame size.
    #[error("frame payload of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Payload bytes.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The entropy stage failed.
    #[error("zstd: {0}")]
    Zstd(String),
}

/// Errors of the wire frame decoder.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The frame does not start with the magic bytes; the stream is not a Touchline stream or is out of sync.
    #[error("bad magic {0:02x?}")]
    BadMagic([u8; 2]),
    /// The frame's format version is not supported by this build.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),
    /// The frame kind code is unknown.
    #[error("unknown frame kind {0}")]
    UnknownFrameKind(u8),
    /// Reserved flag bits are set.
    #[error("unknown frame flags {0:#04x}")]
    UnknownFlags(u8),
    /// The declared payload length exceeds the configured maximum.
    #[error("frame payload length {len} exceeds the maximum of {max}")]
    FrameTooLarge {
        /// Declared length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The CRC32C over header and payload does not match.
    #[error("checksum mismatch: frame says {expected:#010x}, computed {actual:#010x}")]
    ChecksumMismatch {
        /// CRC in the frame.
        expected: u32,
        /// CRC computed.
        actual: u32,
    },
    /// A one-shot decode got fewer bytes than the frame needs.
    #[error("frame truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The payload's structure is invalid (counts, lengths, trailing bytes).
    #[error("malformed payload: {0}")]
    Malformed(&'static str),
    /// The batch header failed to decode.
    #[error("batch header: {0}")]
    Header(bincode::error::DecodeError),
    /// Record number `index` of the frame failed to decode.
    #[error("record {index}: {source}")]
    Record {
        /// Index of the record in the frame.
        index: usize,
        /// Cause.
        source: RecordError,
    },
    /// The zstd-compressed payload failed to decompress or exceeds the maximum frame size.
    #[error("decompression: {0}")]
    Decompress(String),
    /// An earlier unrecoverable error (bad magic, version or length) left the stream out of sync.
    #[error("decoder stopped after an unrecoverable error")]
    Poisoned,
}

impl DecodeError {
    /// Whether the decoder can keep reading the stream after this error (the bad frame was skipped).
    pub fn is_recoverable(&self) -> bool {
        !matches!(
            self,
            DecodeError::BadMagic(_)
                | DecodeError::UnsupportedVersion(_)
                | DecodeError::FrameTooLarge { .. }
                | DecodeError::Poisoned
        )
    }
}
