//! Decoder harnesses shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the stable-Rust
//! corpus replay test (`records/tests/fuzz_corpus.rs`). Each takes arbitrary bytes, must never panic on
//! them, and panics only when an invariant is broken (that is a bug the fuzzer should report).

use crate::codec::{CodecConfig, PositionDecoder, PositionEncoder};
use crate::record::Record;
use crate::wire::{
    decode_frame, decode_record_payload, encode_record, DecodeOptions, Frame, FrameDecoder,
};

const OPTS: DecodeOptions = DecodeOptions {
    max_frame_len: 1 << 20,
    max_objects: 1024,
};

/// First byte: push chunk size; rest: a byte stream fed to [`FrameDecoder`] and to [`decode_frame`].
pub fn frame_decoder(data: &[u8]) {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let _ = decode_frame(bytes, &OPTS);
    let mut dec = FrameDecoder::with_options(OPTS);
    for piece in bytes.chunks(chunk) {
        dec.push(piece);
        // Ok(Some) and recoverable errors consume at least one whole frame, so this loop ends.
        loop {
            match dec.next() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) if e.is_recoverable() => {}
                Err(_) => return,
            }
        }
    }
}

/// A sequence of `len u8 · bytes` positional frames through one stateful [`PositionDecoder`]; every
/// accepted frame must re-encode (1 cm quantum, lossless for any decoded frame) and decode to itself.
pub fn position_decoder(data: &[u8]) {
    let mut dec = PositionDecoder::with_max_objects(1024);
    let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
    let mut check = PositionDecoder::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (frame, tail) = tail.split_at(len);
        rest = tail;
        if let Ok(decoded) = dec.decode(frame) {
            match enc.encode(&decoded).map(|b| check.decode(&b)) {
                Ok(Ok(again)) => assert_eq!(again, decoded, "re-encoded frame differs"),
                other => panic!("decoded frame does not re-encode and decode: {other:?}"),
            }
        }
    }
}

/// `kind u8 · payload` through [`decode_record_payload`]; accepted records must survive a wire round trip.
pub fn record_decoder(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let mut pos = PositionDecoder::with_max_objects(1024);
    let Ok(record) = decode_record_payload(kind, body, &mut pos) else {
        return;
    };
    let bytes = match encode_record(&record) {
        Ok(b) => b,
        Err(e) => panic!("accepted record does not encode: {e}"),
    };
    match decode_frame(&bytes, &DecodeOptions::DEFAULT) {
        Ok((Frame::Record(back), _)) => {
            // NaN is the one value that is not equal to itself.
            if let (Record::Anomaly(a), Record::Anomaly(b)) = (&record, &back) {
                if a.score.is_nan() && b.score.is_nan() {
                    return;
                }
            }
            assert_eq!(back, record, "record changed in a wire round trip");
        }
        other => panic!("re-encoded record does not decode: {other:?}"),
    }
}
