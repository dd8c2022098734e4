//! Person → player / goalkeeper / referee (and team) by kit colour. Pure.
//!
//! COCO detectors see "person"; the venue config lists the kits of the match. The torso of each
//! box (rows 20–50 % of its height, the middle half of its width) is sampled, grass-green and
//! very dark pixels are skipped, and the mean colour is compared with each kit in a
//! brightness-normalised BGR space (chromaticity + a weak brightness term), so floodlight changes
//! move colours less than kit differences do.

use serde::{Deserialize, Serialize};

use super::decode::BoxPx;
use super::manifest::ObjectClass;
use super::preprocess::BgrFrame;

/// One kit of the match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kit {
    /// Free label ("home", "away keeper", "referee").
    pub label: String,
    /// Role of whoever wears it.
    pub role: ObjectClass,
    /// Team index (0 home, 1 away) for players and goalkeepers.
    #[serde(default)]
    pub team: Option<u8>,
    /// Shirt colour, blue-green-red 0..255.
    pub bgr: [u8; 3],
}

/// Result of classifying one person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KitMatch {
    /// Role.
    pub class: ObjectClass,
    /// Team, when known.
    pub team: Option<u8>,
    /// Distance to the chosen kit (0 = identical); `f32::INFINITY` when no kit was usable.
    pub distance: f32,
}

/// Colour feature used for kit matching: chromaticity (b, g, r over their sum) plus a scaled
/// brightness, so lighting changes move it little.
pub fn colour_feature(bgr: [f32; 3]) -> [f32; 4] {
    let sum = bgr[0] + bgr[1] + bgr[2] + 1e-3;
    let brightness = sum / (3.0 * 255.0);
    [bgr[0] / sum, bgr[1] / sum, bgr[2] / sum, 0.35 * brightness]
}

fn distance(a: [f32; 4], b: [f32; 4]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// Mean torso colour of `b` in `frame`, ignoring grass and near-black pixels; `None` when the
/// torso is outside the frame or has no usable pixels.
pub fn torso_colour(frame: &BgrFrame<'_>, b: &BoxPx) -> Option<[f32; 3]> {
    if !b.is_valid() {
        return None;
    }
    let (w, h) = (b.width(), b.height());
    let x1 = (b.x1 + 0.25 * w).max(0.0) as u32;
    let x2 = ((b.x2 - 0.25 * w).min(frame.width as f32 - 1.0)).max(0.0) as u32;
    let y1 = (b.y1 + 0.2 * h).max(0.0) as u32;
    let y2 = ((b.y1 + 0.5 * h).min(frame.height as f32 - 1.0)).max(0.0) as u32;
    let (mut acc, mut n) = ([0.0f32; 3], 0u32);
    for y in y1..=y2.max(y1) {
        for x in x1..=x2.max(x1) {
            let i = (y as usize * frame.width as usize + x as usize) * 3;
            let Some(px) = frame.data.get(i..i + 3) else {
                continue;
            };
            let (bl, g, r) = (f32::from(px[0]), f32::from(px[1]), f32::from(px[2]));
            let grass = g > r * 1.15 && g > bl * 1.15 && g > 40.0;
            if grass || bl + g + r < 45.0 {
                continue;
            }
            acc[0] += bl;
            acc[1] += g;
            acc[2] += r;
            n += 1;
        }
    }
    (n > 0).then(|| acc.map(|v| v / n as f32))
}

/// Chooses the nearest kit for a torso colour. With no kits configured every person is a player.
pub fn classify(colour: Option<[f32; 3]>, kits: &[Kit]) -> KitMatch {
    let fallback = KitMatch {
        class: ObjectClass::Player,
        team: None,
        distance: f32::INFINITY,
    };
    let Some(colour) = colour else {
        return fallback;
    };
    let f = colour_feature(colour);
    kits.iter()
        .map(|k| {
            let d = distance(f, colour_feature(k.bgr.map(f32::from)));
            KitMatch {
                class: k.role,
                team: k.team,
                distance: d,
            }
        })
        .min_by(|a, b| a.distance.total_cmp(&b.distance))
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kits() -> Vec<Kit> {
        vec![
            Kit {
                label: "home".into(),
                role: ObjectClass::Player,
                team: Some(0),
                bgr: [40, 40, 200],
            },
            Kit {
                label: "away".into(),
                role: ObjectClass::Player,
                team: Some(1),
                bgr: [230, 230, 230],
            },
            Kit {
                label: "referee".into(),
                role: ObjectClass::Referee,
                team: None,
                bgr: [20, 220, 230],
            },
        ]
    }

    #[test]
    fn torso_on_grass_picks_the_shirt() {
        // 10x20 image: grass everywhere, a red shirt in rows 4..10.
        let (w, h) = (10u32, 20u32);
        let mut data = [40u8, 140, 50].repeat((w * h) as usize);
        for y in 4..10 {
            for x in 0..w {
                let i = ((y * w + x) * 3) as usize;
                data[i..i + 3].copy_from_slice(&[30, 30, 190]);
            }
        }
        let frame = BgrFrame {
            width: w,
            height: h,
            data: &data,
        };
        let b = BoxPx {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 20.0,
        };
        let c = torso_colour(&frame, &b);
        let m = classify(c, &kits());
        assert_eq!((m.class, m.team), (ObjectClass::Player, Some(0)));
    }

    #[test]
    fn darker_referee_shirt_under_night_light_is_still_referee() {
        let m = classify(Some([10.0, 120.0, 125.0]), &kits());
        assert_eq!(m.class, ObjectClass::Referee);
        let m = classify(Some([150.0, 150.0, 155.0]), &kits());
        assert_eq!(m.team, Some(1));
    }

    #[test]
    fn no_kits_means_player() {
        assert_eq!(
            classify(Some([1.0, 2.0, 3.0]), &[]).class,
            ObjectClass::Player
        );
        assert_eq!(classify(None, &kits()).class, ObjectClass::Player);
    }
}
