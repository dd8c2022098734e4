//! Corrupted input gives typed errors, never panics or unbounded allocations.

mod common;

use proptest::prelude::*;
use records::wire::{self, DecodeOptions, Frame, FrameDecoder, HEADER_LEN};
use records::*;

fn sample_batch() -> Vec<u8> {
    let frames = common::position_frames(30)
        .into_iter()
        .map(Record::Positions);
    let records = frames.chain(common::every_kind()).collect();
    let batch = Batch::new(VenueId(1), MatchId(2), NodeId(3), StreamId(0), 9, records);
    wire::encode_batch(&batch).unwrap_or_default()
}

fn refresh_crc(frame: &mut [u8]) {
    let n = frame.len() - 4;
    let crc = crc32c::crc32c(&frame[..n]);
    frame[n..].copy_from_slice(&crc.to_le_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_bit_flip_is_a_typed_error(bit in 0usize..100_000) {
        let mut bytes = sample_batch();
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(wire::decode_frame(&bytes, &DecodeOptions::DEFAULT).is_err());
        let mut dec = FrameDecoder::new();
        dec.push(&bytes);
        // Either an error, or (a flipped length) waiting for bytes that never come.
        prop_assert!(!matches!(dec.next(), Ok(Some(_))));
    }

    #[test]
    fn truncation_is_reported(cut in 0usize..100_000) {
        let bytes = sample_batch();
        let cut = cut % bytes.len();
        let r = wire::decode_frame(&bytes[..cut], &DecodeOptions::DEFAULT);
        prop_assert!(matches!(r, Err(DecodeError::Truncated { .. })), "{:?}", r.err());
        let mut dec = FrameDecoder::new();
        dec.push(&bytes[..cut]);
        prop_assert!(matches!(dec.next(), Ok(None)));
    }

    /// Garbage payloads behind a valid header and CRC: errors from the payload decoders, never panics.
    #[test]
    fn garbage_payload_with_valid_crc(kind in 1u8..3, flags in 0u8..2, payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut frame = vec![b'T', b'L', wire::FORMAT_VERSION, kind, flags];
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&payload);
        frame.extend_from_slice(&[0; 4]);
        refresh_crc(&mut frame);
        let _ = wire::decode_frame(&frame, &DecodeOptions::DEFAULT);
    }

    /// Flipping bits in a positional frame (outside the framing) never panics; the decoder recovers at
    /// the next keyframe.
    #[test]
    fn corrupted_positional_frames_then_recovery(bit in 0usize..10_000, frame_idx in 0usize..24) {
        let frames = common::position_frames(50);
        let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
        let mut encoded: Vec<Vec<u8>> = Vec::new();
        for f in &frames {
            encoded.push(enc.encode(f).map_err(|e| TestCaseError::fail(e.to_string()))?);
        }
        let victim = &mut encoded[frame_idx];
        let bit = bit % (victim.len() * 8);
        victim[bit / 8] ^= 1 << (bit % 8);
        let mut dec = PositionDecoder::new();
        for (i, b) in encoded.iter().enumerate() {
            let r = dec.decode(b);
            if i >= 25 {
                // Frame 25 is the second keyframe: from there on everything decodes exactly.
                prop_assert_eq!(r.map_err(|e| TestCaseError::fail(e.to_string()))?, frames[i].clone());
            }
        }
    }
}

#[test]
fn oversize_length_is_rejected_before_buffering() {
    let mut bytes = sample_batch();
    bytes[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut dec = FrameDecoder::with_max_frame_len(1 << 16);
    dec.push(&bytes[..HEADER_LEN]);
    assert!(
        matches!(dec.next(), Err(DecodeError::FrameTooLarge { len, max: 65536 }) if len == u32::MAX as usize)
    );
    assert!(matches!(dec.next(), Err(DecodeError::Poisoned)));
    let small = sample_batch();
    assert!(matches!(
        wire::decode_frame(
            &small,
            &DecodeOptions {
                max_frame_len: 100,
                ..DecodeOptions::DEFAULT
            }
        ),
        Err(DecodeError::FrameTooLarge { max: 100, .. })
    ));
}

#[test]
fn wrong_crc_is_reported_and_the_stream_continues() -> Result<(), DecodeError> {
    let good = sample_batch();
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    let mut dec = FrameDecoder::new();
    dec.push(&bad);
    dec.push(&good);
    let err = dec.next();
    assert!(
        matches!(err, Err(DecodeError::ChecksumMismatch { .. })),
        "{err:?}"
    );
    assert!(err.as_ref().err().is_some_and(DecodeError::is_recoverable));
    assert!(matches!(dec.next()?, Some(Frame::Batch(_))));
    assert!(dec.next()?.is_none());
    Ok(())
}

#[test]
fn unknown_version_magic_kind_and_flags() {
    let good = sample_batch();
    let mut v = good.clone();
    v[2] = 99;
    assert!(matches!(
        wire::decode_frame(&v, &DecodeOptions::DEFAULT),
        Err(DecodeError::UnsupportedVersion(99))
    ));
    let mut dec = FrameDecoder::new();
    dec.push(&v);
    assert!(matches!(
        dec.next(),
        Err(DecodeError::UnsupportedVersion(99))
    ));
    assert!(matches!(dec.next(), Err(DecodeError::Poisoned)));

    let mut m = good.clone();
    m[0] = b'X';
    assert!(matches!(
        wire::decode_frame(&m, &DecodeOptions::DEFAULT),
        Err(DecodeError::BadMagic([b'X', b'L']))
    ));

    // Kind and flags are checked after the CRC, so the frame is skipped and decoding goes on.
    let mut k = good.clone();
    k[3] = 9;
    refresh_crc(&mut k);
    let mut f = good.clone();
    f[4] = 0x80;
    refresh_crc(&mut f);
    let mut dec = FrameDecoder::new();
    dec.push(&k);
    dec.push(&f);
    dec.push(&good);
    assert!(matches!(dec.next(), Err(DecodeError::UnknownFrameKind(9))));
    assert!(matches!(dec.next(), Err(DecodeError::UnknownFlags(0x80))));
    assert!(matches!(dec.next(), Ok(Some(Frame::Batch(_)))));
}

#[test]
fn unknown_record_kind_inside_a_batch() -> Result<(), Box<dyn std::error::Error>> {
    let batch = Batch::new(
        VenueId(1),
        MatchId(2),
        NodeId(3),
        StreamId(0),
        0,
        common::every_kind()[1..2].to_vec(),
    );
    let mut bytes = wire::encode_batch(&batch)?;
    // Header (bincode), count, then the first record's kind byte: find it as the first byte equal to 2
    // after the batch header by re-encoding the header.
    let header = bincode::serde::encode_to_vec(batch.header, bincode::config::standard())?;
    let at = HEADER_LEN + header.len() + 1;
    assert_eq!(bytes[at], RecordKind::Event as u8);
    bytes[at] = 77;
    refresh_crc(&mut bytes);
    let r = wire::decode_frame(&bytes, &DecodeOptions::DEFAULT);
    assert!(
        matches!(
            r,
            Err(DecodeError::Record {
                index: 0,
                source: RecordError::UnknownKind(77)
            })
        ),
        "{r:?}"
    );
    Ok(())
}

#[test]
fn positional_decoder_errors() -> Result<(), CodecError> {
    let frames = common::position_frames(5);
    let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
    let encoded: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| enc.encode(f))
        .collect::<Result<_, _>>()?;
    let mut dec = PositionDecoder::new();
    assert_eq!(dec.decode(&encoded[1]), Err(CodecError::NeedKeyframe));
    dec.decode(&encoded[0])?;
    assert_eq!(
        dec.decode(&encoded[2]),
        Err(CodecError::SequenceGap {
            expected: 1,
            got: 2
        })
    );
    assert!(!dec.is_synced());
    assert_eq!(dec.decode(&encoded[3]), Err(CodecError::NeedKeyframe));
    assert_eq!(dec.decode(&[]), Err(CodecError::Truncated));
    let mut long = encoded[0].clone();
    long.extend_from_slice(&[0, 0]);
    assert_eq!(
        PositionDecoder::new().decode(&long),
        Err(CodecError::TrailingBytes(2))
    );
    let mut small = PositionDecoder::with_max_objects(3);
    assert!(matches!(
        small.decode(&encoded[0]),
        Err(CodecError::TooManyObjects { max: 3, .. })
    ));
    // Encoder input checks.
    let mut unsorted = frames[0].clone();
    unsorted.objects.swap(0, 1);
    assert_eq!(enc.encode(&unsorted), Err(CodecError::UnsortedObjects));
    let mut zero = PositionEncoder::new(CodecConfig {
        quantum_cm: 0,
        ..CodecConfig::DEFAULT
    });
    assert_eq!(zero.encode(&frames[0]), Err(CodecError::ZeroQuantum));
    Ok(())
}

#[test]
fn zstd_bomb_is_bounded() -> Result<(), Box<dyn std::error::Error>> {
    // A tiny zstd payload that claims (and really has) 64 MiB of zeros.
    let big = vec![0u8; 64 << 20];
    let compressed = zstd::bulk::compress(&big, 1)?;
    let mut frame = vec![b'T', b'L', wire::FORMAT_VERSION, 1, wire::FLAG_ZSTD];
    frame.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
    frame.extend_from_slice(&compressed);
    frame.extend_from_slice(&[0; 4]);
    refresh_crc(&mut frame);
    let r = wire::decode_frame(&frame, &DecodeOptions::DEFAULT);
    assert!(matches!(r, Err(DecodeError::FrameTooLarge { .. })), "{r:?}");
    Ok(())
}
