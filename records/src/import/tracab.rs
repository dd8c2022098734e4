//! TRACAB `.dat` (`frame:team,target,jersey,x,y,speed;…;:ball_x,ball_y,ball_z,…;:`, centimetres) plus
//! the XML metadata (frame rate and pitch size on the `match` element).

use super::{
    finish_frame, metres_to_cm, parse_f64, parse_i64, ImportError, Imported, SourceObject,
};
use crate::ids::{TrackId, VenueTime};
use crate::record::ObjectClass;

/// Imports TRACAB tracking. Objects keep their TRACAB target id (the ball is id 0); team 0/1 are
/// players, team 3 referees, anything else (e.g. team 4, other officials) is `Other`.
pub fn import_tracab(meta_xml: &str, dat: &str) -> Result<Imported, ImportError> {
    let doc = roxmltree::Document::parse(meta_xml)?;
    let m = doc
        .descendants()
        .find(|n| n.has_tag_name("match"))
        .ok_or(ImportError::Missing("match element"))?;
    let attr = |name: &'static str| {
        m.attribute(name)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or(ImportError::Missing(name))
    };
    let fps = attr("iFrameRateFps")?;
    if fps <= 0.0 {
        return Err(ImportError::Missing("iFrameRateFps"));
    }
    let length_m = attr("fPitchXSizeMeters")?;
    let width_m = attr("fPitchYSizeMeters")?;

    let mut frames = Vec::new();
    for (i, text) in dat.lines().enumerate() {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let line = i + 1;
        let mut parts = text.split(':');
        let frame = parse_i64(parts.next().unwrap_or_default(), line, "frame")?;
        let players = parts.next().ok_or(ImportError::Parse {
            line,
            what: "no player section".into(),
        })?;
        let mut objects = Vec::new();
        for p in players.split(';').filter(|p| !p.trim().is_empty()) {
            let f: Vec<&str> = p.split(',').collect();
            if f.len() < 5 {
                return Err(ImportError::Parse {
                    line,
                    what: format!("player entry {p:?} has {} fields", f.len()),
                });
            }
            let team = parse_i64(f[0], line, "team")?;
            let target = parse_i64(f[1], line, "target id")?;
            let id = u32::try_from(target)
                .ok()
                .filter(|&t| t > 0)
                .ok_or_else(|| ImportError::Parse {
                    line,
                    what: format!("target id {target} out of range"),
                })?;
            let class = match team {
                0 | 1 => ObjectClass::Player,
                3 => ObjectClass::Referee,
                _ => ObjectClass::Other,
            };
            objects.push(SourceObject {
                id: TrackId(id),
                class,
                x_cm: parse_f64(f[3], line, "x")?,
                y_cm: parse_f64(f[4], line, "y")?,
                z_cm: 0.0,
            });
        }
        if let Some(ball) = parts.next().filter(|b| !b.trim().is_empty()) {
            let f: Vec<&str> = ball.trim_end_matches(';').split(',').collect();
            if f.len() < 3 {
                return Err(ImportError::Parse {
                    line,
                    what: format!("ball entry {ball:?} has {} fields", f.len()),
                });
            }
            objects.push(SourceObject {
                id: TrackId(0),
                class: ObjectClass::Ball,
                x_cm: parse_f64(f[0], line, "ball x")?,
                y_cm: parse_f64(f[1], line, "ball y")?,
                z_cm: parse_f64(f[2], line, "ball z")?,
            });
        }
        frames.push(finish_frame(
            objects,
            VenueTime::from_secs_f64(frame as f64 / fps),
        ));
    }
    Ok(Imported {
        fps,
        pitch_length_cm: metres_to_cm(length_m),
        pitch_width_cm: metres_to_cm(width_m),
        frames,
    })
}
