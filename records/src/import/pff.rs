//! PFF FC tracking JSONL (one frame per line, metres from the pitch centre) plus the metadata JSON
//! (fps and the stadium's pitch size).

use serde_json::Value;

use super::{finish_frame, metres_to_cm, ImportError, Imported, SourceObject};
use crate::ids::{TrackId, VenueTime};
use crate::record::ObjectClass;

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// Imports PFF tracking (the raw, unsmoothed `homePlayers`/`awayPlayers`/`balls`). Home players get
/// ids 1000 + shirt, away players 2000 + shirt, the ball id 0. Time is the frame's `videoTimeMs`.
pub fn import_pff(metadata_json: &str, jsonl: &str) -> Result<Imported, ImportError> {
    let meta: Value = serde_json::from_str(metadata_json)
        .map_err(|source| ImportError::Json { line: 0, source })?;
    let meta = meta.as_array().and_then(|a| a.first()).unwrap_or(&meta);
    let fps = num(meta, "fps")
        .filter(|f| *f > 0.0)
        .ok_or(ImportError::Missing("fps"))?;
    let pitch = meta
        .pointer("/stadium/pitches/0")
        .ok_or(ImportError::Missing("stadium.pitches"))?;
    let length_m = num(pitch, "length").ok_or(ImportError::Missing("pitch length"))?;
    let width_m = num(pitch, "width").ok_or(ImportError::Missing("pitch width"))?;

    let mut frames = Vec::new();
    for (i, text) in jsonl.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        let v: Value =
            serde_json::from_str(text).map_err(|source| ImportError::Json { line, source })?;
        let time_ms = num(&v, "videoTimeMs").ok_or(ImportError::Parse {
            line,
            what: "no videoTimeMs".into(),
        })?;
        let mut objects = Vec::new();
        for (key, base) in [("homePlayers", 1000u32), ("awayPlayers", 2000)] {
            for p in v.get(key).and_then(Value::as_array).into_iter().flatten() {
                let shirt = p.get("jerseyNum").and_then(|j| {
                    j.as_str()
                        .and_then(|s| s.parse::<u32>().ok())
                        .or(j.as_u64().map(|n| n as u32))
                });
                let (Some(shirt), Some(x), Some(y)) = (shirt, num(p, "x"), num(p, "y")) else {
                    continue;
                };
                objects.push(SourceObject {
                    id: TrackId(base + shirt.min(999)),
                    class: ObjectClass::Player,
                    x_cm: x * 100.0,
                    y_cm: y * 100.0,
                    z_cm: 0.0,
                });
            }
        }
        let ball = v
            .get("balls")
            .and_then(|b| b.as_array().and_then(|a| a.first()).or(Some(b)));
        if let Some(b) = ball {
            if let (Some(x), Some(y)) = (num(b, "x"), num(b, "y")) {
                let z = num(b, "z").unwrap_or(0.0);
                objects.push(SourceObject {
                    id: TrackId(0),
                    class: ObjectClass::Ball,
                    x_cm: x * 100.0,
                    y_cm: y * 100.0,
                    z_cm: z * 100.0,
                });
            }
        }
        frames.push(finish_frame(
            objects,
            VenueTime::from_secs_f64(time_ms / 1000.0),
        ));
    }
    Ok(Imported {
        fps,
        pitch_length_cm: metres_to_cm(length_m),
        pitch_width_cm: metres_to_cm(width_m),
        frames,
    })
}
