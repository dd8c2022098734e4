//! Property tests: positional codec accuracy under churn, exact round trips of every record kind
//! (wire and JSON), batches through the push decoder.

mod common;

use proptest::prelude::*;
use records::wire::{self, DecodeOptions, EncodeOptions, Frame, FrameDecoder};
use records::*;

fn arb_stamps() -> impl Strategy<Value = LatencyStamps> {
    proptest::array::uniform5(proptest::option::of(any::<i64>().prop_map(VenueTime)))
        .prop_map(LatencyStamps::from_array)
}

fn arb_class() -> impl Strategy<Value = ObjectClass> {
    prop_oneof![
        Just(ObjectClass::Player),
        Just(ObjectClass::Referee),
        Just(ObjectClass::Ball),
        Just(ObjectClass::Other)
    ]
}

/// Per-object metadata and a movement step, keyed by id.
type Spec = (ObjectClass, Option<u32>, u8, u8, (i32, i32, i32));

/// A sequence of frames over ids 0..48: each frame keeps a random subset of ids (churn), each present
/// object moves by a random step (small or, rarely, huge) from its last position.
fn arb_frames(range: i32) -> impl Strategy<Value = Vec<PositionFrame>> {
    let step = prop_oneof![
        8 => (-60..60i32, -60..60i32, -30..30i32),
        1 => (-range..range, -range..range, -range..range),
    ];
    let obj = (
        arb_class(),
        proptest::option::of(any::<u32>()),
        any::<u8>(),
        0u8..16,
        step,
    );
    let frame = (
        prop_oneof![8 => 0i64..200_000_000, 1 => 900_000_000i64..3_000_000_000, 1 => any::<i64>()],
        arb_stamps(),
        proptest::collection::btree_map(0u32..48, obj, 0..30),
    );
    (any::<i64>(), proptest::collection::vec(frame, 1..40)).prop_map(move |(t0, specs)| {
        let mut last: std::collections::HashMap<u32, (i32, i32, i32)> = Default::default();
        let mut t = t0 / 4;
        specs
            .into_iter()
            .map(|(dt, stamps, objs)| {
                t = t.wrapping_add(dt);
                let objects = objs
                    .into_iter()
                    .map(
                        |(id, (class, player, confidence, flags, (dx, dy, dz))): (u32, Spec)| {
                            let p = last.entry(id).or_insert((dx, dy, dz));
                            let clamp = |v: i32, d: i32| v.saturating_add(d).clamp(-range, range);
                            *p = (clamp(p.0, dx), clamp(p.1, dy), clamp(p.2, dz));
                            ObjectPosition {
                                id: TrackId(id * 7 + 1),
                                class,
                                player: player.map(PlayerId),
                                x_cm: p.0,
                                y_cm: p.1,
                                z_cm: p.2,
                                confidence,
                                flags: SourceFlags(flags),
                            }
                        },
                    )
                    .collect();
                PositionFrame {
                    time: VenueTime(t),
                    stamps,
                    objects,
                }
            })
            .collect()
    })
}

fn check_sequence(frames: &[PositionFrame], config: CodecConfig) -> Result<(), TestCaseError> {
    let mut enc = PositionEncoder::new(config);
    let mut dec = PositionDecoder::new();
    let q = i64::from(config.quantum_cm);
    for f in frames {
        let bytes = enc
            .encode(f)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got = dec
            .decode(&bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got.time, f.time);
        prop_assert_eq!(got.stamps, f.stamps);
        prop_assert_eq!(got.objects.len(), f.objects.len());
        for (g, o) in got.objects.iter().zip(&f.objects) {
            prop_assert_eq!(
                (g.id, g.class, g.player, g.confidence, g.flags),
                (o.id, o.class, o.player, o.confidence, o.flags)
            );
            for (a, b) in [(g.x_cm, o.x_cm), (g.y_cm, o.y_cm), (g.z_cm, o.z_cm)] {
                prop_assert!(
                    2 * (i64::from(a) - i64::from(b)).abs() <= q,
                    "{} vs {} at quantum {}",
                    a,
                    b,
                    q
                );
            }
        }
    }
    Ok(())
}

fn arb_config() -> impl Strategy<Value = CodecConfig> {
    (
        1u16..60,
        prop_oneof![
            Just(0i64),
            Just(100_000_000),
            Just(1_000_000_000),
            Just(i64::MAX)
        ],
    )
        .prop_map(|(quantum_cm, keyframe_interval_ns)| CodecConfig {
            quantum_cm,
            keyframe_interval_ns,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn positions_within_half_quantum_under_churn(frames in arb_frames(1 << 28), config in arb_config()) {
        check_sequence(&frames, config)?;
    }

    #[test]
    fn positions_exact_at_1cm_over_full_range(frames in arb_frames(i32::MAX)) {
        let config = CodecConfig { quantum_cm: 1, keyframe_interval_ns: 1_000_000_000 };
        check_sequence(&frames, config)?;
    }
}

fn arb_event_kind() -> impl Strategy<Value = ScoreEventKind> {
    let team = any::<u32>().prop_map(TeamId);
    let player = proptest::option::of(any::<u32>().prop_map(PlayerId));
    prop_oneof![
        (team.clone(), player.clone())
            .prop_map(|(team, scorer)| ScoreEventKind::Goal { team, scorer }),
        (
            prop_oneof![
                Just(OutOfPlay::Touchline),
                Just(OutOfPlay::GoalLine),
                Just(OutOfPlay::Whistle)
            ],
            proptest::option::of(team.clone())
        )
            .prop_map(|(how, last_touch)| ScoreEventKind::OutOfPlay { how, last_touch }),
        team.clone()
            .prop_map(|team| ScoreEventKind::KickOff { team }),
        any::<u8>().prop_map(|period| ScoreEventKind::PeriodStart { period }),
        any::<u8>().prop_map(|period| ScoreEventKind::PeriodEnd { period }),
        (proptest::option::of(team), player)
            .prop_map(|(team, player)| ScoreEventKind::PossessionChange { team, player }),
    ]
}

fn arb_record() -> impl Strategy<Value = Record> {
    let t = any::<i64>().prop_map(VenueTime);
    let event = (
        t.clone(),
        arb_stamps(),
        any::<u64>(),
        any::<u32>(),
        any::<bool>(),
        arb_event_kind(),
        proptest::option::of(any::<(i32, i32)>()),
    )
        .prop_map(
            |(time, stamps, id, revision, retracted, kind, position_cm)| {
                Record::Event(ScoreEvent {
                    time,
                    stamps,
                    event_id: EventId(id),
                    revision,
                    retracted,
                    kind,
                    position_cm,
                })
            },
        );
    let score = (
        t.clone(),
        arb_stamps(),
        any::<u8>(),
        any::<bool>(),
        any::<(u32, u32, u16, u16)>(),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(
            |(time, stamps, period, ball_in_play, (h, a, hg, ag), pos, last)| {
                Record::Score(ScoreState {
                    time,
                    stamps,
                    period,
                    ball_in_play,
                    home: TeamId(h),
                    away: TeamId(a),
                    home_goals: hg,
                    away_goals: ag,
                    possession: pos.map(TeamId),
                    last_event: last.map(EventId),
                })
            },
        );
    let anomaly_kind = prop_oneof![
        Just(AnomalyKind::SensorDropout),
        Just(AnomalyKind::ImpossibleSpeed),
        Just(AnomalyKind::TrackJump),
        Just(AnomalyKind::ClockDrift),
        Just(AnomalyKind::SourceDisagreement),
        any::<u16>().prop_map(AnomalyKind::Model),
    ];
    let subject = prop_oneof![
        any::<u32>().prop_map(|v| AnomalySubject::Player(PlayerId(v))),
        any::<u32>().prop_map(|v| AnomalySubject::Track(TrackId(v))),
        any::<u16>().prop_map(|v| AnomalySubject::Camera(CameraId(v))),
        any::<u64>().prop_map(|v| AnomalySubject::Wearable(WearableId(v))),
        any::<u32>().prop_map(|v| AnomalySubject::Node(NodeId(v))),
    ];
    let anomaly = (
        t.clone(),
        arb_stamps(),
        anomaly_kind,
        subject,
        any::<(i64, i64)>(),
        proptest::num::f32::NORMAL | proptest::num::f32::ZERO,
    )
        .prop_map(|(time, stamps, kind, subject, (s, e), score)| {
            Record::Anomaly(Anomaly {
                time,
                stamps,
                kind,
                subject,
                start: VenueTime(s),
                end: VenueTime(e),
                score,
            })
        });
    let player = (
        any::<u32>(),
        ".{0,12}",
        any::<u8>(),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(id, name, shirt, w)| CatalogPlayer {
            id: PlayerId(id),
            name,
            shirt,
            wearable: w.map(WearableId),
        });
    let team = (
        any::<u32>(),
        ".{0,16}",
        proptest::collection::vec(player, 0..5),
    )
        .prop_map(|(id, name, players)| CatalogTeam {
            id: TeamId(id),
            name,
            players,
        });
    let catalog = (
        t.clone(),
        arb_stamps(),
        any::<(u32, u64, u32, u32, u32)>(),
        team.clone(),
        team,
    )
        .prop_map(|(time, stamps, (l, m, v, len, wid), home, away)| {
            Record::Catalog(MatchCatalog {
                time,
                stamps,
                league: LeagueId(l),
                match_id: MatchId(m),
                venue: VenueId(v),
                pitch_length_cm: len,
                pitch_width_cm: wid,
                home,
                away,
            })
        });
    let health = prop_oneof![
        Just(NodeHealth::Ok),
        Just(NodeHealth::Degraded),
        Just(NodeHealth::Failing)
    ];
    let cam = any::<(u16, u32, u64)>().prop_map(|(c, f, d)| CameraStatus {
        camera: CameraId(c),
        fps_milli: f,
        dropped_frames: d,
    });
    let heartbeat = (
        t,
        arb_stamps(),
        any::<u32>(),
        health,
        any::<(u64, u64, u64, u64)>(),
        proptest::collection::vec(cam, 0..4),
    )
        .prop_map(|(time, stamps, node, health, (up, dw, dr, ua), cameras)| {
            Record::Heartbeat(Heartbeat {
                time,
                stamps,
                node: NodeId(node),
                health,
                uptime_s: up,
                cameras,
                dropped_wearable_samples: dw,
                dropped_records: dr,
                unacked_batches: ua,
            })
        });
    let positions = arb_frames(1 << 20).prop_map(|mut f| Record::Positions(f.remove(0)));
    prop_oneof![positions, event, score, anomaly, catalog, heartbeat]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_record_round_trips_exactly(record in arb_record()) {
        let bytes = wire::encode_record(&record).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (back, used) = wire::decode_frame(&bytes, &DecodeOptions::DEFAULT).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(back, Frame::Record(record.clone()));
        let json = json::to_json(&record).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let from_json = json::from_json(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(from_json, record);
    }

    #[test]
    fn batches_round_trip_through_push_decoder(
        records in proptest::collection::vec(arb_record(), 0..12),
        seq in any::<u64>(),
        zstd in any::<bool>(),
        chunk in 1usize..300,
    ) {
        let batch = Batch::new(VenueId(1), MatchId(2), NodeId(3), StreamId(4), seq, records);
        let opts = EncodeOptions { zstd_level: zstd.then_some(3), ..EncodeOptions::DEFAULT };
        let one = wire::encode_frame_with(&Frame::Batch(batch.clone()), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let two = wire::encode_record(&Record::Score(ScoreState {
            time: VenueTime(1), stamps: LatencyStamps::NONE, period: 1, ball_in_play: false, home: TeamId(1),
            away: TeamId(2), home_goals: 0, away_goals: 0, possession: None, last_event: None,
        })).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let stream = [one, two].concat();
        let mut dec = FrameDecoder::new();
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            dec.push(piece);
            while let Some(f) = dec.next().map_err(|e| TestCaseError::fail(e.to_string()))? {
                got.push(f);
            }
        }
        prop_assert_eq!(got.len(), 2);
        prop_assert_eq!(&got[0], &Frame::Batch(batch));
        prop_assert_eq!(dec.buffered_len(), 0);
    }
}

#[test]
fn every_kind_json_round_trips_and_uses_snake_case_tags() -> Result<(), Box<dyn std::error::Error>>
{
    for r in common::every_kind() {
        let text = json::to_json(&r)?;
        let tag = format!("{:?}", r.kind()).to_lowercase();
        assert!(text.starts_with(&format!("{{\"{tag}\":")), "{text}");
        assert_eq!(json::from_json(&text)?, r);
    }
    Ok(())
}

#[test]
fn codec_beats_forty_bytes_per_frame_on_smooth_motion() -> Result<(), CodecError> {
    // 60 s of the shared sample motion at 25 fps with a keyframe each second.
    let frames = common::position_frames(1500);
    let mut enc = PositionEncoder::new(CodecConfig::DEFAULT);
    let mut total = 0;
    let mut keyframes = 0;
    for f in &frames {
        let mut out = Vec::new();
        keyframes += usize::from(enc.encode_into(f, &mut out)?);
        total += out.len();
    }
    assert_eq!(keyframes, 60);
    let per_frame = total as f64 / frames.len() as f64;
    assert!(per_frame <= 40.0, "{per_frame} B/frame");
    Ok(())
}
