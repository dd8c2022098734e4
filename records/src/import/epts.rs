//! FIFA EPTS: metadata XML (frame rate, field size, player channels, data format specification) plus a
//! text file of `frame:players:ball` lines with normalised 0–1 coordinates.

use std::collections::HashMap;

use super::{
    finish_frame, metres_to_cm, parse_f64, parse_i64, ImportError, Imported, SourceObject,
};
use crate::ids::{TrackId, VenueTime};
use crate::record::ObjectClass;

/// What one comma-separated field of a line means.
#[derive(Debug, Clone, Copy)]
enum Field {
    Frame,
    PlayerX(u32),
    PlayerY(u32),
    BallX,
    BallY,
    BallZ,
    Ignored,
}

/// How a line is split: a register is either a leaf field or a list split by a separator.
#[derive(Debug)]
enum Register {
    Leaf(Field),
    Split(char, Vec<Register>),
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.descendants()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
        .map(str::trim)
}

fn build(
    node: roxmltree::Node<'_, '_>,
    channels: &HashMap<&str, (u32, &str)>,
) -> Result<Option<Register>, ImportError> {
    let tag = node.tag_name().name();
    Ok(Some(match tag {
        "StringRegister" => Register::Leaf(match node.attribute("name") {
            Some("frameCount") => Field::Frame,
            _ => Field::Ignored,
        }),
        "PlayerChannelRef" => {
            let id = node
                .attribute("playerChannelId")
                .ok_or(ImportError::Missing("playerChannelId"))?;
            Register::Leaf(match channels.get(id) {
                Some(&(track, "x")) => Field::PlayerX(track),
                Some(&(track, "y")) => Field::PlayerY(track),
                _ => Field::Ignored,
            })
        }
        "BallChannelRef" => Register::Leaf(match node.attribute("channelId") {
            Some("x") => Field::BallX,
            Some("y") => Field::BallY,
            Some("z") => Field::BallZ,
            _ => Field::Ignored,
        }),
        "SplitRegister" | "DataFormatSpecification" => {
            let sep = node
                .attribute("separator")
                .and_then(|s| s.chars().next())
                .unwrap_or(',');
            let mut children = Vec::new();
            for c in node.children().filter(|c| c.is_element()) {
                if let Some(r) = build(c, channels)? {
                    children.push(r);
                }
            }
            Register::Split(sep, children)
        }
        _ => return Ok(None),
    }))
}

#[derive(Default)]
struct LineValues {
    frame: Option<i64>,
    players: HashMap<u32, (f64, f64)>,
    ball: [f64; 3],
}

fn apply(reg: &Register, text: &str, line: usize, out: &mut LineValues) -> Result<(), ImportError> {
    match reg {
        Register::Leaf(field) => {
            let num = || parse_f64(text, line, "EPTS value");
            match field {
                Field::Frame => out.frame = Some(parse_i64(text, line, "EPTS frame")?),
                Field::PlayerX(t) => {
                    out.players.entry(*t).or_insert((f64::NAN, f64::NAN)).0 = num()?
                }
                Field::PlayerY(t) => {
                    out.players.entry(*t).or_insert((f64::NAN, f64::NAN)).1 = num()?
                }
                Field::BallX => out.ball[0] = num()?,
                Field::BallY => out.ball[1] = num()?,
                Field::BallZ => out.ball[2] = num()?,
                Field::Ignored => {}
            }
        }
        Register::Split(sep, children) => {
            for (child, part) in children.iter().zip(text.split(*sep)) {
                apply(child, part, line, out)?;
            }
        }
    }
    Ok(())
}

/// Imports EPTS tracking: `metadata_xml` is the metadata file, `data` the tracking text.
/// Player tracks get ids 1.. in metadata order; the ball is id 0. Missing (NaN) objects are left out.
pub fn import_epts(metadata_xml: &str, data: &str) -> Result<Imported, ImportError> {
    let doc = roxmltree::Document::parse(metadata_xml)?;
    let root = doc.root_element();
    let fps = child_text(root, "FrameRate")
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|f| *f > 0.0)
        .ok_or(ImportError::Missing("FrameRate"))?;
    let field = root
        .descendants()
        .find(|n| n.has_tag_name("FieldSize"))
        .ok_or(ImportError::Missing("FieldSize"))?;
    let length_m = child_text(field, "Width")
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or(ImportError::Missing("FieldSize/Width"))?;
    let width_m = child_text(field, "Height")
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or(ImportError::Missing("FieldSize/Height"))?;

    let mut tracks: HashMap<&str, u32> = HashMap::new();
    for p in root.descendants().filter(|n| n.has_tag_name("Player")) {
        if let Some(id) = p.attribute("id") {
            let next = tracks.len() as u32 + 1;
            tracks.entry(id).or_insert(next);
        }
    }
    let mut channels: HashMap<&str, (u32, &str)> = HashMap::new();
    for c in root
        .descendants()
        .filter(|n| n.has_tag_name("PlayerChannel"))
    {
        if let (Some(id), Some(player), Some(ch)) = (
            c.attribute("id"),
            c.attribute("playerId"),
            c.attribute("channelId"),
        ) {
            if let Some(&t) = tracks.get(player) {
                channels.insert(id, (t, ch));
            }
        }
    }
    let spec = root
        .descendants()
        .find(|n| n.has_tag_name("DataFormatSpecification"))
        .ok_or(ImportError::Missing("DataFormatSpecification"))?;
    let spec = build(spec, &channels)?.ok_or(ImportError::Missing("DataFormatSpecification"))?;

    let (len_cm, wid_cm) = (length_m * 100.0, width_m * 100.0);
    let to_x = |x: f64| (x - 0.5) * len_cm;
    let to_y = |y: f64| (0.5 - y) * wid_cm;
    let mut frames = Vec::new();
    for (i, text) in data.lines().enumerate() {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let line = i + 1;
        let mut v = LineValues {
            ball: [f64::NAN; 3],
            ..LineValues::default()
        };
        apply(&spec, text, line, &mut v)?;
        let frame = v.frame.ok_or(ImportError::Parse {
            line,
            what: "no frame count".into(),
        })?;
        let mut objects = Vec::with_capacity(v.players.len() + 1);
        for (&t, &(x, y)) in &v.players {
            if x.is_finite() && y.is_finite() {
                objects.push(SourceObject {
                    id: TrackId(t),
                    class: ObjectClass::Player,
                    x_cm: to_x(x),
                    y_cm: to_y(y),
                    z_cm: 0.0,
                });
            }
        }
        if v.ball[0].is_finite() && v.ball[1].is_finite() {
            let z = if v.ball[2].is_finite() {
                v.ball[2] * 100.0
            } else {
                0.0
            };
            objects.push(SourceObject {
                id: TrackId(0),
                class: ObjectClass::Ball,
                x_cm: to_x(v.ball[0]),
                y_cm: to_y(v.ball[1]),
                z_cm: z,
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
