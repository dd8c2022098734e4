//! Vision frames → position records. Pure.
//!
//! Track ids in records: people keep the tracker's id offset by `camera · CAMERA_ID_STRIDE`; the
//! ball gets `BALL_TRACK_ID` (one ball per match). Lost tracks are not emitted (their position is
//! an unbounded guess); predicted ones are, flagged `PREDICTED`.

use edge_core::{BallState, ObjectClass as CoreClass, TrackState};
use records::{
    LatencyStamps, ObjectClass, ObjectPosition, PositionFrame, SourceFlags, TrackId, VenueTime,
};

use super::pipeline::VisionFrame;

/// Id stride between cameras, so ids from different cameras of one node never collide.
pub const CAMERA_ID_STRIDE: u32 = 100_000;
/// Record track id of the ball.
pub const BALL_TRACK_ID: u32 = 0;

fn cm(m: f64) -> i32 {
    (m * 100.0)
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

fn confidence(score: f32) -> u8 {
    (score.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Converts one processed frame into a position record. `processed_ns` is the match-clock time at
/// which processing finished (the `processed` latency stamp).
pub fn position_frame(v: &VisionFrame, processed_ns: i64) -> PositionFrame {
    let mut objects = Vec::with_capacity(v.tracks.len() + 1);
    let base = (v.camera as u32).saturating_mul(CAMERA_ID_STRIDE);
    for t in &v.tracks {
        let Some(p) = t.pitch_m else { continue };
        let predicted = match t.state {
            TrackState::Confirmed => false,
            TrackState::Predicted => true,
            TrackState::Lost => continue,
        };
        if !(p.x.is_finite() && p.y.is_finite()) {
            continue;
        }
        let class = match t.class {
            CoreClass::Player | CoreClass::Goalkeeper => ObjectClass::Player,
            CoreClass::Referee => ObjectClass::Referee,
            CoreClass::Ball => ObjectClass::Ball,
        };
        let mut flags = SourceFlags::VISION;
        if predicted {
            flags = flags | SourceFlags::PREDICTED;
        }
        objects.push(ObjectPosition {
            id: TrackId(base.saturating_add(t.track_id)),
            class,
            player: None,
            x_cm: cm(p.x),
            y_cm: cm(p.y),
            z_cm: 0,
            confidence: confidence(t.score),
            flags,
        });
    }
    if let Some(b) = &v.ball {
        if b.pitch_m.x.is_finite() && b.pitch_m.y.is_finite() {
            let mut flags = SourceFlags::VISION;
            if b.state == BallState::Predicted {
                flags = flags | SourceFlags::PREDICTED;
            }
            objects.push(ObjectPosition {
                id: TrackId(BALL_TRACK_ID),
                class: ObjectClass::Ball,
                player: None,
                x_cm: cm(b.pitch_m.x),
                y_cm: cm(b.pitch_m.y),
                z_cm: 0,
                confidence: confidence(b.score),
                flags,
            });
        }
    }
    let mut frame = PositionFrame {
        time: VenueTime(v.venue_time_ns),
        stamps: LatencyStamps {
            captured: Some(VenueTime(v.venue_time_ns)),
            processed: Some(VenueTime(processed_ns)),
            ..LatencyStamps::NONE
        },
        objects,
    };
    frame.sort_objects();
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_core::{BallOutput, ImageBox, TrackOutput};
    use nalgebra::{Point2, Vector2};

    fn track(id: u32, state: TrackState, x: f64) -> TrackOutput {
        TrackOutput {
            track_id: id,
            class: CoreClass::Player,
            state,
            pitch_m: Some(Point2::new(x, -3.456)),
            velocity_mps: Some(Vector2::zeros()),
            image_box_px: ImageBox::new(0.0, 0.0, 1.0, 1.0),
            score: 0.5,
            hits: 3,
            last_seen_ns: 0,
        }
    }

    #[test]
    fn converts_sorts_and_flags() {
        let v = VisionFrame {
            camera: 1,
            venue_time_ns: 40_000_000,
            pts_ns: 40_000_000,
            n_detections: 3,
            tracks: vec![
                track(7, TrackState::Predicted, 1.004),
                track(2, TrackState::Confirmed, -52.5),
                track(9, TrackState::Lost, 0.0),
            ],
            ball: Some(BallOutput {
                track_id: 4,
                state: BallState::Observed,
                pitch_m: Point2::new(0.125, 0.0),
                velocity_mps: Vector2::zeros(),
                image_box_px: ImageBox::new(0.0, 0.0, 1.0, 1.0),
                score: 1.0,
                last_seen_ns: 0,
            }),
            ball_detections: Vec::new(),
            processing_us: 1,
            stages: Default::default(),
        };
        let f = position_frame(&v, 41_000_000);
        let ids: Vec<u32> = f.objects.iter().map(|o| o.id.0).collect();
        assert_eq!(
            ids,
            vec![0, 100_002, 100_007],
            "lost track dropped, sorted, camera offset"
        );
        assert_eq!((f.objects[1].x_cm, f.objects[1].y_cm), (-5250, -346));
        assert_eq!(f.objects[2].x_cm, 100);
        assert!(f.objects[2].flags.contains(SourceFlags::PREDICTED));
        assert!(!f.objects[1].flags.contains(SourceFlags::PREDICTED));
        assert_eq!(f.objects[0].class, ObjectClass::Ball);
        assert_eq!(f.objects[0].confidence, 255);
        assert_eq!(f.stamps.processed, Some(VenueTime(41_000_000)));
    }
}
