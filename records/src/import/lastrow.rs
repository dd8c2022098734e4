//! Last-Row CSV (`player,frame,x,y,z,…`, one row per object per frame, 20 fps, both axes scaled 0–100).
//! The data carries no pitch size; a 105 × 68 m pitch is assumed.

use std::collections::BTreeMap;

use super::{finish_frame, parse_f64, parse_i64, ImportError, Imported, SourceObject};
use crate::ids::{TrackId, VenueTime};
use crate::record::ObjectClass;

/// Frame rate of Last-Row data.
pub const LASTROW_FPS: f64 = 20.0;
const LENGTH_CM: f64 = 10_500.0;
const WIDTH_CM: f64 = 6_800.0;

/// Imports Last-Row tracking. Player 0 is the ball (its `z` is the height in metres); other ids are kept.
pub fn import_lastrow(csv: &str) -> Result<Imported, ImportError> {
    let mut by_frame: BTreeMap<i64, Vec<SourceObject>> = BTreeMap::new();
    for (i, text) in csv.lines().enumerate().skip(1) {
        if text.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        // The first five columns never contain quoted commas.
        let f: Vec<&str> = text.splitn(6, ',').collect();
        if f.len() < 5 {
            return Err(ImportError::Parse {
                line,
                what: format!("{} columns", f.len()),
            });
        }
        let player = parse_i64(f[0], line, "player")?;
        let id = u32::try_from(player).map_err(|_| ImportError::Parse {
            line,
            what: format!("player {player}"),
        })?;
        let frame = parse_i64(f[1], line, "frame")?;
        let x = parse_f64(f[2], line, "x")?;
        let y = parse_f64(f[3], line, "y")?;
        let z = if f[4].trim().is_empty() {
            0.0
        } else {
            parse_f64(f[4], line, "z")?
        };
        let class = if id == 0 {
            ObjectClass::Ball
        } else {
            ObjectClass::Player
        };
        by_frame.entry(frame).or_default().push(SourceObject {
            id: TrackId(id),
            class,
            x_cm: (x / 100.0 - 0.5) * LENGTH_CM,
            y_cm: (0.5 - y / 100.0) * WIDTH_CM,
            z_cm: z * 100.0,
        });
    }
    let frames = by_frame
        .into_iter()
        .map(|(frame, objects)| {
            finish_frame(
                objects,
                VenueTime::from_secs_f64(frame as f64 / LASTROW_FPS),
            )
        })
        .collect();
    Ok(Imported {
        fps: LASTROW_FPS,
        pitch_length_cm: LENGTH_CM as u32,
        pitch_width_cm: WIDTH_CM as u32,
        frames,
    })
}
