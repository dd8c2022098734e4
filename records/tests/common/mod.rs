//! Deterministic sample records shared by the golden-corpus and round-trip tests.
#![allow(dead_code)]

use records::*;

/// `n` frames at 25 fps: 22 players and a ball moving smoothly, player 7 leaving at frame 10 and
/// returning at 20, a substitute (id 40) appearing at frame 30, metadata changing at frame 15.
pub fn position_frames(n: usize) -> Vec<PositionFrame> {
    (0..n)
        .map(|i| {
            let t = i as i64 * 40_000_000;
            let fi = i as f64;
            let mut objects: Vec<ObjectPosition> = (1..=22u32)
                .filter(|&id| !(id == 7 && (10..20).contains(&i)))
                .map(|id| {
                    let phase = f64::from(id) * 0.7;
                    ObjectPosition {
                        id: TrackId(id),
                        class: ObjectClass::Player,
                        player: Some(PlayerId(1000 + id)),
                        x_cm: (f64::from(id) * 400.0 - 4600.0 + 300.0 * (fi * 0.05 + phase).sin())
                            as i32,
                        y_cm: (2500.0 * (phase).cos() + 200.0 * (fi * 0.07 + phase).cos()) as i32,
                        z_cm: 0,
                        confidence: if id == 3 && i >= 15 { 120 } else { 230 },
                        flags: if id == 3 && i >= 15 {
                            SourceFlags::VISION | SourceFlags::PREDICTED
                        } else {
                            SourceFlags::VISION | SourceFlags::WEARABLE | SourceFlags::FUSED
                        },
                    }
                })
                .collect();
            if i >= 30 {
                objects.push(ObjectPosition {
                    id: TrackId(40),
                    class: ObjectClass::Player,
                    player: None,
                    x_cm: -500 + i as i32 * 12,
                    y_cm: 3350,
                    z_cm: 0,
                    confidence: 90,
                    flags: SourceFlags::VISION,
                });
            }
            objects.push(ObjectPosition {
                id: TrackId(100),
                class: ObjectClass::Ball,
                player: None,
                x_cm: (fi * 55.0) as i32 - 1000,
                y_cm: (fi * -21.0) as i32,
                z_cm: (fi * 40.0 - fi * fi * 1.57).max(0.0) as i32,
                confidence: 200,
                flags: SourceFlags::VISION,
            });
            objects.push(ObjectPosition {
                id: TrackId(200),
                class: ObjectClass::Referee,
                player: None,
                x_cm: 100 + i as i32 * 3,
                y_cm: -200,
                z_cm: 0,
                confidence: 255,
                flags: SourceFlags::VISION,
            });
            objects.sort_by_key(|o| o.id);
            PositionFrame {
                time: VenueTime(5_000_000_000 + t),
                stamps: LatencyStamps {
                    captured: Some(VenueTime(5_000_000_000 + t - 2_000_000)),
                    processed: Some(VenueTime(5_000_000_000 + t + 11_000_000)),
                    ..LatencyStamps::NONE
                },
                objects,
            }
        })
        .collect()
}

fn stamps(t: i64) -> LatencyStamps {
    LatencyStamps {
        captured: Some(VenueTime(t - 1_000_000)),
        processed: Some(VenueTime(t + 3_000_000)),
        sent: Some(VenueTime(t + 4_000_000)),
        relay_received: Some(VenueTime(t + 20_000_000)),
        published: Some(VenueTime(t + 21_000_000)),
    }
}

/// One record of every kind (and every event kind).
pub fn every_kind() -> Vec<Record> {
    let t = 61_000_000_000;
    let mut out = vec![Record::Positions(position_frames(1).remove(0))];
    let kinds = [
        ScoreEventKind::Goal {
            team: TeamId(1),
            scorer: Some(PlayerId(1009)),
        },
        ScoreEventKind::OutOfPlay {
            how: OutOfPlay::Touchline,
            last_touch: Some(TeamId(2)),
        },
        ScoreEventKind::OutOfPlay {
            how: OutOfPlay::GoalLine,
            last_touch: None,
        },
        ScoreEventKind::OutOfPlay {
            how: OutOfPlay::Whistle,
            last_touch: None,
        },
        ScoreEventKind::KickOff { team: TeamId(2) },
        ScoreEventKind::PeriodStart { period: 1 },
        ScoreEventKind::PeriodEnd { period: 2 },
        ScoreEventKind::PossessionChange {
            team: Some(TeamId(1)),
            player: Some(PlayerId(1004)),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        out.push(Record::Event(ScoreEvent {
            time: VenueTime(t + i as i64),
            stamps: stamps(t),
            event_id: EventId(77 + i as u64),
            revision: (i % 3) as u32,
            retracted: i == 2,
            kind,
            position_cm: (i % 2 == 0).then_some((5_250, -120)),
        }));
    }
    out.push(Record::Score(ScoreState {
        time: VenueTime(t + 10),
        stamps: stamps(t),
        period: 2,
        ball_in_play: true,
        home: TeamId(1),
        away: TeamId(2),
        home_goals: 2,
        away_goals: 1,
        possession: Some(TeamId(1)),
        last_event: Some(EventId(77)),
    }));
    let subjects = [
        AnomalySubject::Player(PlayerId(1003)),
        AnomalySubject::Track(TrackId(5)),
        AnomalySubject::Camera(CameraId(2)),
        AnomalySubject::Wearable(WearableId(0xdead_beef)),
        AnomalySubject::Node(NodeId(9)),
    ];
    let kinds = [
        AnomalyKind::SensorDropout,
        AnomalyKind::ImpossibleSpeed,
        AnomalyKind::TrackJump,
        AnomalyKind::ClockDrift,
        AnomalyKind::SourceDisagreement,
        AnomalyKind::Model(3),
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        out.push(Record::Anomaly(Anomaly {
            time: VenueTime(t + 20),
            stamps: LatencyStamps::NONE,
            kind,
            subject: subjects[i % subjects.len()],
            start: VenueTime(t - 2_000_000_000),
            end: VenueTime(t),
            score: 0.25 + i as f32 * 0.125,
        }));
    }
    let team = |id: u32, name: &str| CatalogTeam {
        id: TeamId(id),
        name: name.into(),
        players: (1..=3)
            .map(|n| CatalogPlayer {
                id: PlayerId(id * 1000 + n),
                name: format!("{name} player {n}"),
                shirt: n as u8,
                wearable: (n != 2).then_some(WearableId(u64::from(id * 100 + n))),
            })
            .collect(),
    };
    out.push(Record::Catalog(MatchCatalog {
        time: VenueTime(0),
        stamps: LatencyStamps::NONE,
        league: LeagueId(3),
        match_id: MatchId(20_260_101),
        venue: VenueId(12),
        pitch_length_cm: 10_500,
        pitch_width_cm: 6_800,
        home: team(1, "Home FC"),
        away: team(2, "Away Ünited"),
    }));
    out.push(Record::Heartbeat(Heartbeat {
        time: VenueTime(t + 30),
        stamps: stamps(t),
        node: NodeId(9),
        health: NodeHealth::Degraded,
        uptime_s: 3600,
        cameras: vec![
            CameraStatus {
                camera: CameraId(0),
                fps_milli: 25_000,
                dropped_frames: 0,
            },
            CameraStatus {
                camera: CameraId(1),
                fps_milli: 24_100,
                dropped_frames: 17,
            },
        ],
        dropped_wearable_samples: 4,
        dropped_records: 0,
        unacked_batches: 2,
    }));
    for h in [NodeHealth::Ok, NodeHealth::Failing] {
        out.push(Record::Heartbeat(Heartbeat {
            time: VenueTime(t + 40),
            stamps: LatencyStamps::NONE,
            node: NodeId(1),
            health: h,
            uptime_s: 1,
            cameras: Vec::new(),
            dropped_wearable_samples: 0,
            dropped_records: 0,
            unacked_batches: 0,
        }));
    }
    out
}

/// The golden corpus: (file name, frame, encode options).
pub fn golden() -> Vec<(&'static str, wire::Frame, wire::EncodeOptions)> {
    use wire::{EncodeOptions, Frame};
    let positions = position_frames(60)
        .into_iter()
        .map(Record::Positions)
        .collect();
    let batch = |seq, records| {
        Frame::Batch(Batch::new(
            VenueId(12),
            MatchId(20_260_101),
            NodeId(9),
            StreamId(1),
            seq,
            records,
        ))
    };
    let q5 = EncodeOptions {
        codec: CodecConfig {
            quantum_cm: 5,
            keyframe_interval_ns: 500_000_000,
        },
        ..EncodeOptions::DEFAULT
    };
    let zstd = EncodeOptions {
        zstd_level: Some(3),
        ..EncodeOptions::DEFAULT
    };
    let mut out = vec![
        (
            "batch_positions.bin",
            batch(0, positions),
            EncodeOptions::DEFAULT,
        ),
        (
            "batch_every_kind.bin",
            batch(1, every_kind()),
            EncodeOptions::DEFAULT,
        ),
        ("batch_every_kind_zstd.bin", batch(2, every_kind()), zstd),
        (
            "batch_empty.bin",
            batch(3, Vec::new()),
            EncodeOptions::DEFAULT,
        ),
    ];
    let q5_frames: Vec<Record> = position_frames(40)
        .into_iter()
        .map(Record::Positions)
        .collect();
    out.push(("batch_positions_q5.bin", batch(4, q5_frames), q5));
    let names = [
        "record_positions.bin",
        "record_event.bin",
        "record_score.bin",
        "record_anomaly.bin",
        "record_catalog.bin",
        "record_heartbeat.bin",
    ];
    let all = every_kind();
    for (name, kind) in names.into_iter().zip(1u8..) {
        if let Some(r) = all.iter().find(|r| r.kind() as u8 == kind) {
            out.push((name, Frame::Record(r.clone()), EncodeOptions::DEFAULT));
        }
    }
    out
}
