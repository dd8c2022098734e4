//! Golden corpus: encoded bytes per format version, committed under `records/golden/v<N>/`. Each file
//! must decode to the expected records and re-encoding those records must give the same bytes, so any
//! format change is deliberate: bump `FORMAT_VERSION`/`CODEC_VERSION`, add a new directory and keep
//! decoding the old one (or drop it knowingly).
//!
//! `UPDATE_GOLDEN=1 cargo test -p records --test golden` rewrites the files of the current version and the
//! fuzz seed corpus under `fuzz/corpus/`.

mod common;

use std::path::{Path, PathBuf};

use records::wire::{self, DecodeOptions, Frame};
use records::*;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("golden/v{}", wire::FORMAT_VERSION))
}

fn quantise(v: i32, q: i32) -> i32 {
    if q == 1 {
        return v;
    }
    let half = q / 2;
    if v >= 0 {
        (v + half) / q * q
    } else {
        -((-v + half) / q * q)
    }
}

/// What decoding a frame encoded with `quantum` must give.
fn expected(frame: &Frame, quantum: u16) -> Frame {
    let q = i32::from(quantum);
    let mut f = frame.clone();
    let fix = |r: &mut Record| {
        if let Record::Positions(p) = r {
            for o in &mut p.objects {
                o.x_cm = quantise(o.x_cm, q);
                o.y_cm = quantise(o.y_cm, q);
                o.z_cm = quantise(o.z_cm, q);
            }
        }
    };
    match &mut f {
        Frame::Batch(b) => b.records.iter_mut().for_each(fix),
        Frame::Record(r) => fix(r),
    }
    f
}

fn write_fuzz_seeds(golden: &[(&str, Frame, wire::EncodeOptions, Vec<u8>)]) -> std::io::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for t in ["frame_decoder", "position_decoder", "record_decoder"] {
        std::fs::create_dir_all(corpus.join(t))?;
    }
    let mut stream = vec![64u8];
    for (name, _, _, bytes) in golden {
        std::fs::write(
            corpus.join("frame_decoder").join(name),
            [&[7u8][..], bytes].concat(),
        )?;
        stream.extend_from_slice(bytes);
    }
    std::fs::write(
        corpus.join("frame_decoder").join("stream_of_all.bin"),
        stream,
    )?;
    // Positional frames as `len u8 · bytes`, and record payloads as `kind · bytes`.
    let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
    let mut seq = Vec::new();
    for f in common::position_frames(40) {
        let b = enc.encode(&f).map_err(std::io::Error::other)?;
        if let Ok(len) = u8::try_from(b.len()) {
            seq.push(len);
            seq.extend_from_slice(&b);
        }
    }
    std::fs::write(corpus.join("position_decoder").join("sequence_40.bin"), seq)?;
    for r in common::every_kind() {
        let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
        let mut payload = vec![r.kind() as u8];
        wire::encode_record_payload(&r, &mut enc, &mut payload).map_err(std::io::Error::other)?;
        let name = format!("{:?}_{}.bin", r.kind(), payload.len()).to_lowercase();
        std::fs::write(corpus.join("record_decoder").join(name), payload)?;
    }
    Ok(())
}

#[test]
fn golden_corpus_decodes_and_reencodes_identically() -> Result<(), Box<dyn std::error::Error>> {
    let dir = golden_dir();
    let mut all = Vec::new();
    for (name, frame, opts) in common::golden() {
        let bytes = wire::encode_frame_with(&frame, &opts)?;
        all.push((name, frame, opts, bytes));
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&dir)?;
        for (name, _, _, bytes) in &all {
            std::fs::write(dir.join(name), bytes)?;
        }
        write_fuzz_seeds(&all)?;
    }
    for (name, frame, opts, bytes) in &all {
        let path = dir.join(name);
        let committed = std::fs::read(&path)
            .map_err(|e| format!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()))?;
        let (decoded, used) = wire::decode_frame(&committed, &DecodeOptions::DEFAULT)?;
        assert_eq!(used, committed.len(), "{name}");
        assert_eq!(
            decoded,
            expected(frame, opts.codec.quantum_cm),
            "{name}: decoded records differ"
        );
        assert!(
            committed == *bytes,
            "{name}: encoding changed; bump the format version or UPDATE_GOLDEN=1 knowingly"
        );
    }
    // Every committed file is covered by the list above.
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name();
        assert!(
            all.iter().any(|(n, ..)| name == *n),
            "unexpected golden file {name:?}"
        );
    }
    Ok(())
}

#[test]
fn golden_positions_are_compact() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(golden_dir().join("batch_positions.bin"))?;
    // 60 frames of 24–25 objects with churn, two keyframes, stamps, header and framing.
    assert!(bytes.len() < 60 * 40, "{} bytes", bytes.len());
    Ok(())
}
