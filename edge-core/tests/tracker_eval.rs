//! End to end on a synthetic match: the people tracker's output scored by `eval` against the
//! simulation's ground truth. Deterministic (fixed seed); thresholds leave margin below the
//! measured scores so they catch regressions, not noise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use edge_core::eval::{evaluate, EvalConfig, EvalFrame, GtObject, PredObject};
use edge_core::{Detection, ImageBox, ObjectClass, TrackState, Tracker, TrackerConfig};
use nalgebra::{Point2, Vector2};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn sym(&mut self, a: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * a
    }
}

struct Person {
    id: u32,
    class: ObjectClass,
    p: Point2<f64>,
    v: Vector2<f64>,
    /// Frames left in the current occlusion.
    hidden: u32,
}

fn detection(p: Point2<f64>, class: ObjectClass, score: f32) -> Detection {
    let (u, v) = ((p.x + 60.0) * 10.0, (p.y + 40.0) * 10.0);
    let b = ImageBox::new(
        (u - 4.0) as f32,
        (v - 18.0) as f32,
        (u + 4.0) as f32,
        v as f32,
    );
    Detection::new(b, score, class, Some(p))
}

#[test]
fn synthetic_match_scores_well() {
    let mut rng = Rng(2026);
    let mut people: Vec<Person> = (0..23)
        .map(|k| Person {
            id: k + 1,
            class: match k {
                0 | 11 => ObjectClass::Goalkeeper,
                22 => ObjectClass::Referee,
                _ => ObjectClass::Player,
            },
            p: Point2::new(rng.sym(45.0), rng.sym(30.0)),
            v: Vector2::new(rng.sym(3.0), rng.sym(3.0)),
            hidden: 0,
        })
        .collect();
    let mut tracker = Tracker::new(TrackerConfig::default()).unwrap();
    let dt = 0.04;
    let mut frames = Vec::new();
    let mut missed = 0;
    for i in 0..750 {
        // 30 s at 25 fps.
        let mut dets = Vec::new();
        let mut gt = Vec::new();
        for person in &mut people {
            // Smooth random acceleration (≤ 3 m/s²), speed capped at 7 m/s, kept on the pitch.
            person.v += Vector2::new(rng.sym(3.0), rng.sym(3.0)) * dt;
            if person.v.norm() > 7.0 {
                person.v *= 7.0 / person.v.norm();
            }
            person.p += person.v * dt;
            if person.p.x.abs() > 52.0 {
                person.v.x = -person.v.x;
            }
            if person.p.y.abs() > 33.0 {
                person.v.y = -person.v.y;
            }
            gt.push(GtObject {
                id: person.id,
                class: person.class,
                pitch_m: person.p,
                visible: true,
            });
            if person.hidden == 0 && rng.unit() < 0.002 {
                person.hidden = 25; // a 1 s occlusion
            }
            if person.hidden > 0 {
                person.hidden -= 1;
                missed += 1;
                continue;
            }
            if rng.unit() < 0.05 {
                missed += 1;
                continue; // detector miss
            }
            let noisy = person.p + Vector2::new(rng.sym(0.2), rng.sym(0.2));
            let score = 0.45 + 0.5 * rng.unit() as f32; // some fall in the low-score stage
            dets.push(detection(noisy, person.class, score));
        }
        if rng.unit() < 0.1 {
            dets.push(detection(
                Point2::new(rng.sym(50.0), rng.sym(32.0)),
                ObjectClass::Player,
                0.7,
            ));
        }
        let out = tracker.update(i64::from(i) * 40_000_000, &dets).unwrap();
        let pred = out
            .tracks
            .iter()
            .filter(|t| t.state != TrackState::Lost)
            .filter_map(|t| {
                t.pitch_m.map(|p| PredObject {
                    track_id: t.track_id,
                    class: t.class,
                    pitch_m: p,
                })
            })
            .collect();
        frames.push(EvalFrame { gt, pred });
    }
    assert!(
        missed > 500,
        "the scenario must exercise occlusions and misses: {missed}"
    );
    let m = evaluate(&EvalConfig::default(), &frames).unwrap();
    println!("{m}");
    assert!(m.idf1 > 0.9, "IDF1 {}", m.idf1);
    assert!(m.mota > 0.9, "MOTA {}", m.mota);
    assert!(m.hota > 0.8, "HOTA {}", m.hota);
    assert!(
        m.position_rmse_m.is_some_and(|r| r < 0.25),
        "RMSE {:?}",
        m.position_rmse_m
    );
    assert!(m.id_switches <= 5, "IDSW {}", m.id_switches);
    assert!(m
        .per_class
        .iter()
        .take(2)
        .all(|c| c.recall.is_some_and(|r| r > 0.95)));
}
