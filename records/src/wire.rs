//! Wire framing: magic, version, kind, flags, length, payload, CRC32C; a push-based decoder.
//!
//! ```text
//! offset  size  field
//! 0       2     magic "TL" (0x54 0x4C)
//! 2       1     format version (FORMAT_VERSION)
//! 3       1     frame kind: 1 = batch, 2 = single record
//! 4       1     flags: bit 0 = payload is zstd-compressed; other bits must be 0
//! 5       4     payload length, u32 little-endian (≤ the decoder's max_frame_len)
//! 9       len   payload
//! 9+len   4     CRC32C (Castagnoli) of bytes 0 .. 9+len, u32 little-endian
//! ```
//! A batch payload is `bincode(BatchHeader) · uleb128(record count) · { kind u8 · uleb128(len) · bytes }*`;
//! a single-record payload is `kind u8 · bytes`. Position records use the positional codec
//! ([`crate::codec::position`]) with one encoder per frame, so every frame starts with a keyframe and
//! decodes on its own; the other kinds are bincode 2 (standard config, size-limited) of their serde form.

use crate::codec::position::{CodecConfig, PositionDecoder, PositionEncoder, DEFAULT_MAX_OBJECTS};
use crate::error::{DecodeError, EncodeError, RecordError};
use crate::record::{Batch, BatchHeader, Record, RecordKind};

/// Magic bytes at the start of every frame.
pub const MAGIC: [u8; 2] = *b"TL";
/// Current wire format version.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 9;
/// Bytes after the payload.
pub const TRAILER_LEN: usize = 4;
/// Default maximum payload length accepted and produced (16 MiB).
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 << 20;
/// Largest encoding of a single non-positional record accepted by the bincode decoder.
pub const MAX_RECORD_LEN: usize = 1 << 20;

/// Flag: the payload is zstd-compressed.
pub const FLAG_ZSTD: u8 = 1;

const KIND_BATCH: u8 = 1;
const KIND_RECORD: u8 = 2;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_LEN>()
}

/// What a wire frame carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A batch of records from a node.
    Batch(Batch),
    /// A single record (e.g. on a subscriber stream).
    Record(Record),
}

/// Settings for encoding frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Positional codec settings.
    pub codec: CodecConfig,
    /// Compress the payload with zstd at this level (the optional per-batch entropy stage).
    pub zstd_level: Option<i32>,
    /// Refuse to produce payloads longer than this.
    pub max_frame_len: usize,
}

impl EncodeOptions {
    /// Default codec, no zstd, [`DEFAULT_MAX_FRAME_LEN`].
    pub const DEFAULT: EncodeOptions = EncodeOptions {
        codec: CodecConfig::DEFAULT,
        zstd_level: None,
        max_frame_len: DEFAULT_MAX_FRAME_LEN,
    };
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Settings for decoding frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest payload accepted (compressed and decompressed).
    pub max_frame_len: usize,
    /// Largest number of objects accepted in one position frame.
    pub max_objects: usize,
}

impl DecodeOptions {
    /// [`DEFAULT_MAX_FRAME_LEN`], [`DEFAULT_MAX_OBJECTS`].
    pub const DEFAULT: DecodeOptions = DecodeOptions {
        max_frame_len: DEFAULT_MAX_FRAME_LEN,
        max_objects: DEFAULT_MAX_OBJECTS,
    };
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn get_uleb(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes
            .get(*pos)
            .ok_or(DecodeError::Malformed("truncated length"))?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DecodeError::Malformed("overlong varint"))
}

/// Appends the payload encoding of one record (without its kind byte). Position frames go through `pos`.
pub fn encode_record_payload(
    record: &Record,
    pos: &mut PositionEncoder,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let cfg = bincode_config();
    match record {
        Record::Positions(f) => {
            pos.encode_into(f, out)?;
        }
        Record::Event(r) => out.extend(bincode::serde::encode_to_vec(r, cfg)?),
        Record::Score(r) => out.extend(bincode::serde::encode_to_vec(r, cfg)?),
        Record::Anomaly(r) => out.extend(bincode::serde::encode_to_vec(r, cfg)?),
        Record::Catalog(r) => out.extend(bincode::serde::encode_to_vec(r, cfg)?),
        Record::Heartbeat(r) => out.extend(bincode::serde::encode_to_vec(r, cfg)?),
    }
    Ok(())
}

fn bincode_decode<T: serde::de::DeserializeOwned>(
    kind: RecordKind,
    bytes: &[u8],
) -> Result<T, RecordError> {
    let (v, used) = bincode::serde::decode_from_slice(bytes, bincode_config())
        .map_err(|source| RecordError::Bincode { kind, source })?;
    if used != bytes.len() {
        return Err(RecordError::TrailingBytes {
            kind,
            extra: bytes.len() - used,
        });
    }
    Ok(v)
}

/// Decodes one record's payload (the bytes [`encode_record_payload`] wrote) of kind `kind`.
pub fn decode_record_payload(
    kind: u8,
    bytes: &[u8],
    pos: &mut PositionDecoder,
) -> Result<Record, RecordError> {
    let kind = RecordKind::from_code(kind).ok_or(RecordError::UnknownKind(kind))?;
    Ok(match kind {
        RecordKind::Positions => Record::Positions(pos.decode(bytes)?),
        RecordKind::Event => Record::Event(bincode_decode(kind, bytes)?),
        RecordKind::Score => Record::Score(bincode_decode(kind, bytes)?),
        RecordKind::Anomaly => Record::Anomaly(bincode_decode(kind, bytes)?),
        RecordKind::Catalog => Record::Catalog(bincode_decode(kind, bytes)?),
        RecordKind::Heartbeat => Record::Heartbeat(bincode_decode(kind, bytes)?),
    })
}

/// Encodes a batch or a record as one wire frame with default options.
pub fn encode_frame(frame: &Frame) -> Result<Vec<u8>, EncodeError> {
    encode_frame_with(frame, &EncodeOptions::DEFAULT)
}

/// Encodes a batch as one wire frame with default options.
pub fn encode_batch(batch: &Batch) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_batch_into(batch, &EncodeOptions::DEFAULT, &mut out)?;
    Ok(out)
}

/// Encodes a single record as one wire frame with default options.
pub fn encode_record(record: &Record) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_record_into(record, &EncodeOptions::DEFAULT, &mut out)?;
    Ok(out)
}

/// Encodes a batch or a record as one wire frame.
pub fn encode_frame_with(frame: &Frame, opts: &EncodeOptions) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    match frame {
        Frame::Batch(b) => encode_batch_into(b, opts, &mut out)?,
        Frame::Record(r) => encode_record_into(r, opts, &mut out)?,
    }
    Ok(out)
}

/// Appends a batch frame to `out`.
pub fn encode_batch_into(
    batch: &Batch,
    opts: &EncodeOptions,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = begin_frame(out, KIND_BATCH);
    out.extend(bincode::serde::encode_to_vec(
        batch.header,
        bincode_config(),
    )?);
    put_uleb(out, batch.records.len() as u64);
    let mut pos = PositionEncoder::new(opts.codec);
    let mut scratch = Vec::new();
    for r in &batch.records {
        scratch.clear();
        encode_record_payload(r, &mut pos, &mut scratch)?;
        out.push(r.kind() as u8);
        put_uleb(out, scratch.len() as u64);
        out.extend_from_slice(&scratch);
    }
    finish_frame(out, start, opts)
}

/// Appends a single-record frame to `out`.
pub fn encode_record_into(
    record: &Record,
    opts: &EncodeOptions,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = begin_frame(out, KIND_RECORD);
    out.push(record.kind() as u8);
    let mut pos = PositionEncoder::new(opts.codec);
    encode_record_payload(record, &mut pos, out)?;
    finish_frame(out, start, opts)
}

fn begin_frame(out: &mut Vec<u8>, kind: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind);
    out.push(0);
    out.extend_from_slice(&[0; 4]);
    start
}

fn finish_frame(out: &mut Vec<u8>, start: usize, opts: &EncodeOptions) -> Result<(), EncodeError> {
    let payload_at = start + HEADER_LEN;
    if let Some(level) = opts.zstd_level {
        let compressed = zstd::bulk::compress(&out[payload_at..], level)
            .map_err(|e| EncodeError::Zstd(e.to_string()))?;
        out.truncate(payload_at);
        out.extend_from_slice(&compressed);
        out[start + 4] |= FLAG_ZSTD;
    }
    let len = out.len() - payload_at;
    let too_large = || EncodeError::TooLarge {
        len,
        max: opts.max_frame_len,
    };
    if len > opts.max_frame_len {
        out.truncate(start);
        return Err(too_large());
    }
    let len32 = u32::try_from(len).map_err(|_| too_large())?;
    out[start + 5..payload_at].copy_from_slice(&len32.to_le_bytes());
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Parsed fixed header.
struct Header {
    kind: u8,
    flags: u8,
    len: usize,
}

fn parse_header(h: &[u8], max: usize) -> Result<Header, DecodeError> {
    if h[0..2] != MAGIC {
        return Err(DecodeError::BadMagic([h[0], h[1]]));
    }
    if h[2] != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion(h[2]));
    }
    let len = u32::from_le_bytes([h[5], h[6], h[7], h[8]]) as usize;
    if len > max {
        return Err(DecodeError::FrameTooLarge { len, max });
    }
    Ok(Header {
        kind: h[3],
        flags: h[4],
        len,
    })
}

/// Decodes a whole frame whose CRC has been checked. `frame` is header + payload + CRC.
fn decode_checked(h: &Header, payload: &[u8], opts: &DecodeOptions) -> Result<Frame, DecodeError> {
    if h.kind != KIND_BATCH && h.kind != KIND_RECORD {
        return Err(DecodeError::UnknownFrameKind(h.kind));
    }
    if h.flags & !FLAG_ZSTD != 0 {
        return Err(DecodeError::UnknownFlags(h.flags));
    }
    let decompressed;
    let payload = if h.flags & FLAG_ZSTD != 0 {
        let size = zstd::zstd_safe::get_frame_content_size(payload)
            .map_err(|_| DecodeError::Decompress("not a zstd frame".into()))?
            .ok_or_else(|| DecodeError::Decompress("zstd frame without content size".into()))?;
        if size > opts.max_frame_len as u64 {
            return Err(DecodeError::FrameTooLarge {
                len: size as usize,
                max: opts.max_frame_len,
            });
        }
        decompressed = zstd::bulk::decompress(payload, size as usize)
            .map_err(|e| DecodeError::Decompress(e.to_string()))?;
        &decompressed[..]
    } else {
        payload
    };
    let mut pos_dec = PositionDecoder::with_max_objects(opts.max_objects);
    if h.kind == KIND_RECORD {
        let (&kind, body) = payload
            .split_first()
            .ok_or(DecodeError::Malformed("empty record frame"))?;
        let record = decode_record_payload(kind, body, &mut pos_dec)
            .map_err(|source| DecodeError::Record { index: 0, source })?;
        return Ok(Frame::Record(record));
    }
    let (header, used): (BatchHeader, usize) =
        bincode::serde::decode_from_slice(payload, bincode_config())
            .map_err(DecodeError::Header)?;
    let mut at = used;
    let count = get_uleb(payload, &mut at)?;
    // Each record takes at least two bytes (kind + length), which bounds the allocation.
    if count > (payload.len() - at) as u64 / 2 {
        return Err(DecodeError::Malformed("record count exceeds payload"));
    }
    let mut records = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        let kind = *payload
            .get(at)
            .ok_or(DecodeError::Malformed("truncated record"))?;
        at += 1;
        let len = get_uleb(payload, &mut at)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|&e| e <= payload.len())
            .ok_or(DecodeError::Malformed("record length exceeds payload"))?;
        let record = decode_record_payload(kind, &payload[at..end], &mut pos_dec)
            .map_err(|source| DecodeError::Record { index, source })?;
        records.push(record);
        at = end;
    }
    if at != payload.len() {
        return Err(DecodeError::Malformed("trailing bytes after last record"));
    }
    Ok(Frame::Batch(Batch { header, records }))
}

/// Decodes the first frame of `bytes`; returns it with the number of bytes it took.
pub fn decode_frame(bytes: &[u8], opts: &DecodeOptions) -> Result<(Frame, usize), DecodeError> {
    let have = bytes.len();
    if have < HEADER_LEN {
        return Err(DecodeError::Truncated {
            needed: HEADER_LEN,
            have,
        });
    }
    let h = parse_header(&bytes[..HEADER_LEN], opts.max_frame_len)?;
    let total = HEADER_LEN + h.len + TRAILER_LEN;
    if have < total {
        return Err(DecodeError::Truncated {
            needed: total,
            have,
        });
    }
    check_crc(&bytes[..total])?;
    let frame = decode_checked(&h, &bytes[HEADER_LEN..HEADER_LEN + h.len], opts)?;
    Ok((frame, total))
}

fn check_crc(frame: &[u8]) -> Result<(), DecodeError> {
    let (body, crc) = frame.split_at(frame.len() - TRAILER_LEN);
    let expected = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let actual = crc32c::crc32c(body);
    if expected != actual {
        return Err(DecodeError::ChecksumMismatch { expected, actual });
    }
    Ok(())
}

/// Push-based frame decoder: feed bytes as they arrive, pull frames.
///
/// Memory: the decoder holds the bytes pushed but not yet consumed; a frame is only decoded once its
/// declared length (checked against `max_frame_len` as soon as the header is complete) has arrived.
/// Errors about a single frame (checksum, payload) consume that frame and decoding continues; errors
/// about the header (magic, version, length) leave the stream out of sync, and every later call returns
/// [`DecodeError::Poisoned`] (see [`DecodeError::is_recoverable`]).
#[derive(Debug)]
pub struct FrameDecoder {
    opts: DecodeOptions,
    buf: Vec<u8>,
    start: usize,
    poisoned: bool,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder with [`DecodeOptions::DEFAULT`].
    pub fn new() -> Self {
        Self::with_options(DecodeOptions::DEFAULT)
    }

    /// A decoder accepting payloads up to `max_frame_len` bytes.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self::with_options(DecodeOptions {
            max_frame_len,
            ..DecodeOptions::DEFAULT
        })
    }

    /// A decoder with the given options.
    pub fn with_options(opts: DecodeOptions) -> Self {
        FrameDecoder {
            opts,
            buf: Vec::new(),
            start: 0,
            poisoned: false,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes pushed but not yet consumed by a decoded (or skipped) frame.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Frame>, DecodeError> {
        if self.poisoned {
            return Err(DecodeError::Poisoned);
        }
        let avail = &self.buf[self.start..];
        if avail.len() < HEADER_LEN {
            return Ok(None);
        }
        let h = match parse_header(&avail[..HEADER_LEN], self.opts.max_frame_len) {
            Ok(h) => h,
            Err(e) => {
                self.poisoned = true;
                return Err(e);
            }
        };
        let total = HEADER_LEN + h.len + TRAILER_LEN;
        if avail.len() < total {
            return Ok(None);
        }
        let frame = &avail[..total];
        self.start += total;
        check_crc(frame)?;
        decode_checked(&h, &frame[HEADER_LEN..HEADER_LEN + h.len], &self.opts).map(Some)
    }
}
