//! Importers and codec on the real tracking data in ../shared/realdata/tracking (skipped when absent).

use std::path::PathBuf;

use records::import::{self, Imported};
use records::*;

fn dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/realdata/tracking");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIP: {} not found; real-data tests need ../shared/realdata next to the repo",
            d.display()
        );
        None
    }
}

fn read(d: &std::path::Path, f: &str) -> Result<String, std::io::Error> {
    std::fs::read_to_string(d.join(f))
}

fn load_all() -> Result<Vec<(&'static str, Imported)>, Box<dyn std::error::Error>> {
    let Some(d) = dir() else {
        return Ok(Vec::new());
    };
    Ok(vec![
        (
            "epts",
            import::import_epts(
                &read(&d, "epts_metrica_metadata.xml")?,
                &read(&d, "epts_metrica_tracking.txt")?,
            )?,
        ),
        (
            "tracab",
            import::import_tracab(&read(&d, "tracab_meta.xml")?, &read(&d, "tracab_raw.dat")?)?,
        ),
        (
            "pff",
            import::import_pff(
                &read(&d, "pff_metadata_10517.json")?,
                &read(&d, "pff_10517.jsonl")?,
            )?,
        ),
        (
            "lastrow",
            import::import_lastrow(&read(&d, "lastrow_LIV_2-1_CHE.csv")?)?,
        ),
    ])
}

#[test]
fn importers_read_plausible_frames() -> Result<(), Box<dyn std::error::Error>> {
    for (name, imp) in load_all()? {
        assert!(
            imp.frames.len() >= 19,
            "{name}: {} frames",
            imp.frames.len()
        );
        assert!(
            imp.fps >= 20.0 && imp.fps <= 30.0,
            "{name}: fps {}",
            imp.fps
        );
        assert_eq!(
            (imp.pitch_length_cm, imp.pitch_width_cm),
            (10_500, 6_800),
            "{name}"
        );
        for f in &imp.frames {
            let players = f
                .objects
                .iter()
                .filter(|o| o.class == ObjectClass::Player)
                .count();
            assert!(
                (15..=24).contains(&players),
                "{name}: {players} players at {}",
                f.time
            );
            assert!(
                f.objects.windows(2).all(|w| w[0].id < w[1].id),
                "{name}: ids not sorted"
            );
            for o in &f.objects {
                // On or near the pitch (TRACAB parks unused officials just outside it).
                assert!(
                    o.x_cm.abs() <= 6_000.0 && o.y_cm.abs() <= 4_500.0,
                    "{name}: {o:?}"
                );
            }
        }
        assert!(
            imp.frames.windows(2).all(|w| w[0].time < w[1].time),
            "{name}: frame times not increasing"
        );
    }
    Ok(())
}

#[test]
fn codec_round_trips_real_frames_exactly() -> Result<(), Box<dyn std::error::Error>> {
    for (name, imp) in load_all()? {
        for quantum in [1u16, 5] {
            let config = CodecConfig {
                quantum_cm: quantum,
                ..CodecConfig::DEFAULT
            };
            let mut enc = PositionEncoder::new(config);
            let mut dec = PositionDecoder::new();
            for (i, f) in imp.frames.iter().enumerate() {
                let rec = f.to_position_frame();
                let bytes = enc.encode(&rec)?;
                let got = dec
                    .decode(&bytes)
                    .map_err(|e| format!("{name} q={quantum} frame {i}: {e}"))?;
                assert_eq!(got.time, rec.time);
                assert_eq!(got.objects.len(), rec.objects.len());
                for (g, r) in got.objects.iter().zip(&rec.objects) {
                    let q = i32::from(quantum);
                    assert_eq!((g.id, g.class), (r.id, r.class));
                    for (a, b) in [(g.x_cm, r.x_cm), (g.y_cm, r.y_cm), (g.z_cm, r.z_cm)] {
                        assert!(
                            2 * (a - b).abs() <= q,
                            "{name} q={quantum} frame {i}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
