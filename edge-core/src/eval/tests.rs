#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn gt(id: u32, x: f64, y: f64) -> GtObject {
    GtObject {
        id,
        class: ObjectClass::Player,
        pitch_m: Point2::new(x, y),
        visible: true,
    }
}

fn pred(track_id: u32, x: f64, y: f64) -> PredObject {
    PredObject {
        track_id,
        class: ObjectClass::Player,
        pitch_m: Point2::new(x, y),
    }
}

fn run(frames: &[EvalFrame]) -> Metrics {
    evaluate(&EvalConfig::default(), frames).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Two players walking along x for 10 frames.
fn two_players(i: u32) -> (GtObject, GtObject) {
    let x = f64::from(i) * 0.2;
    (gt(1, x, 0.0), gt(2, x, 5.0))
}

#[test]
fn perfect_tracking_scores_one_everywhere() {
    let frames: Vec<EvalFrame> = (0..10)
        .map(|i| {
            let (a, b) = two_players(i);
            EvalFrame {
                gt: vec![a, b],
                pred: vec![
                    pred(7, a.pitch_m.x, a.pitch_m.y),
                    pred(9, b.pitch_m.x, b.pitch_m.y),
                ],
            }
        })
        .collect();
    let m = run(&frames);
    assert!(
        close(m.hota, 1.0) && close(m.det_a, 1.0) && close(m.ass_a, 1.0) && close(m.loc_a, 1.0)
    );
    assert!(close(m.mota, 1.0) && close(m.idf1, 1.0));
    assert_eq!((m.id_switches, m.clear_true_positives, m.idtp), (0, 20, 20));
    assert_eq!(m.position_rmse_m, Some(0.0));
    let players = m.per_class[0];
    assert_eq!((players.precision, players.recall), (Some(1.0), Some(1.0)));
    assert_eq!(m.per_class[1].precision, None);
    assert_eq!((m.gt_ids, m.pred_ids, m.frames), (2, 2, 10));
}

#[test]
fn id_switch_halfway_halves_idf1_and_assa() {
    // One player, 10 frames; track 1 for frames 0..5, track 2 for 5..10, exact positions.
    let frames: Vec<EvalFrame> = (0..10)
        .map(|i| {
            let (a, _) = two_players(i);
            let id = if i < 5 { 1 } else { 2 };
            EvalFrame {
                gt: vec![a],
                pred: vec![pred(id, a.pitch_m.x, a.pitch_m.y)],
            }
        })
        .collect();
    let m = run(&frames);
    // Every frame is a TP at every α: DetA = 1. Each pair has 5 TPs with n_g = 10, n_t = 5:
    // A = 5 / (10 + 5 − 5) = 0.5, so AssA = (5·0.5 + 5·0.5) / 10 = 0.5 and HOTA = √0.5.
    assert!(close(m.det_a, 1.0));
    assert!(close(m.ass_a, 0.5), "{}", m.ass_a);
    assert!(close(m.hota, 0.5f64.sqrt()));
    // IDTP = 5 of 10 GT and 10 predictions: IDF1 = 10 / 20.
    assert!(close(m.idf1, 0.5));
    assert_eq!(m.idtp, 5);
    // One switch: MOTA = 1 − 1/10.
    assert_eq!(m.id_switches, 1);
    assert!(close(m.mota, 0.9));
}

#[test]
fn missed_detections_lower_recall_mota_and_deta() {
    // Player 2 is missed in 4 of 10 frames.
    let frames: Vec<EvalFrame> = (0..10)
        .map(|i| {
            let (a, b) = two_players(i);
            let mut pred_v = vec![pred(1, a.pitch_m.x, a.pitch_m.y)];
            if !(3..7).contains(&i) {
                pred_v.push(pred(2, b.pitch_m.x, b.pitch_m.y));
            }
            EvalFrame {
                gt: vec![a, b],
                pred: pred_v,
            }
        })
        .collect();
    let m = run(&frames);
    assert_eq!(
        (
            m.clear_true_positives,
            m.clear_false_negatives,
            m.clear_false_positives
        ),
        (16, 4, 0)
    );
    assert!(close(m.mota, 0.8));
    assert_eq!(m.per_class[0].recall, Some(0.8));
    assert_eq!(m.per_class[0].precision, Some(1.0));
    // DetA = 16/20. AssA = (10·1 + 6·(6 / (10 + 6 − 6))) / 16 = 13.6 / 16.
    assert!(close(m.det_a, 0.8));
    assert!(close(m.ass_a, 0.85), "{}", m.ass_a);
    assert!(close(m.hota, (0.8f64 * 0.85).sqrt()));
    // IDF1 = 2·16 / (20 + 16).
    assert!(close(m.idf1, 32.0 / 36.0));
    assert_eq!(m.id_switches, 0);
}

#[test]
fn localisation_error_splits_the_alphas() {
    // Constant 0.5 m offset with a 1 m threshold: S = 0.5, a TP for α ≤ 0.5 (10 of 19 α).
    let frames: Vec<EvalFrame> = (0..10)
        .map(|i| {
            let (a, _) = two_players(i);
            EvalFrame {
                gt: vec![a],
                pred: vec![pred(1, a.pitch_m.x + 0.3, a.pitch_m.y + 0.4)],
            }
        })
        .collect();
    let m = run(&frames);
    assert!(close(m.hota, 10.0 / 19.0), "{}", m.hota);
    assert!(close(m.det_a, 10.0 / 19.0));
    // LocA is 0.5 for the 10 α with TPs and 1 (no TP) for the other 9.
    assert!(close(m.loc_a, (10.0 * 0.5 + 9.0) / 19.0));
    assert!(close(m.per_alpha[9].alpha, 0.5) && close(m.per_alpha[9].hota, 1.0));
    assert!(close(m.per_alpha[10].hota, 0.0));
    // Binary metrics count it as matched.
    assert!(close(m.mota, 1.0) && close(m.idf1, 1.0));
    assert!(m.position_rmse_m.is_some_and(|r| close(r, 0.5)));
}

#[test]
fn far_or_wrong_class_predictions_are_false_positives() {
    let mut referee_pred = pred(3, 0.0, 0.0);
    referee_pred.class = ObjectClass::Referee;
    let frames = vec![EvalFrame {
        gt: vec![gt(1, 0.0, 0.0)],
        // At 1.0 m the similarity is exactly 0: no match.
        pred: vec![pred(1, 1.0, 0.0), referee_pred],
    }];
    let m = run(&frames);
    assert_eq!(
        (
            m.clear_true_positives,
            m.clear_false_positives,
            m.clear_false_negatives
        ),
        (0, 2, 1)
    );
    assert!(close(m.mota, 1.0 - 3.0));
    assert!(close(m.hota, 0.0) && close(m.idf1, 0.0));
    assert_eq!(m.position_rmse_m, None);
    assert_eq!(m.per_class[0].recall, Some(0.0));
    assert_eq!(m.per_class[1].precision, Some(0.0));
    assert_eq!(m.per_class[1].recall, None);
}

#[test]
fn goalkeepers_match_as_players_and_ball_is_scored_separately() {
    let mut keeper = gt(1, 0.0, 0.0);
    keeper.class = ObjectClass::Goalkeeper;
    let mut ball = gt(2, 10.0, 0.0);
    ball.class = ObjectClass::Ball;
    let mut ball_pred = pred(5, 10.2, 0.0);
    ball_pred.class = ObjectClass::Ball;
    let frames = vec![EvalFrame {
        gt: vec![keeper, ball],
        pred: vec![pred(4, 0.1, 0.0), ball_pred],
    }];
    let m = run(&frames);
    assert_eq!(m.clear_true_positives, 2);
    assert_eq!(m.per_class[0].true_positives, 1);
    assert_eq!(m.per_class[2].true_positives, 1);
    assert_eq!(m.per_class[2].recall, Some(1.0));
}

#[test]
fn invisible_ground_truth_is_dont_care() {
    let mut hidden = gt(2, 5.0, 0.0);
    hidden.visible = false;
    // A prediction on the hidden player is neither FP nor TP; the hidden player is not a FN.
    let frames = vec![EvalFrame {
        gt: vec![gt(1, 0.0, 0.0), hidden],
        pred: vec![pred(1, 0.0, 0.0), pred(2, 5.2, 0.0)],
    }];
    let m = run(&frames);
    assert_eq!((m.gt_detections, m.pred_detections), (1, 1));
    assert_eq!((m.gt_ids, m.pred_ids), (1, 1));
    assert_eq!((m.clear_false_positives, m.clear_false_negatives), (0, 0));
    assert!(close(m.mota, 1.0) && close(m.hota, 1.0));
}

#[test]
fn clear_mot_keeps_continuing_matches() {
    // Frame 0: track 1 on the player. Frame 1: track 2 is closer, but track 1 is still within
    // the threshold, so the match continues and no switch is counted; track 2 is a FP.
    let frames = vec![
        EvalFrame {
            gt: vec![gt(1, 0.0, 0.0)],
            pred: vec![pred(1, 0.0, 0.0)],
        },
        EvalFrame {
            gt: vec![gt(1, 0.0, 0.0)],
            pred: vec![pred(1, 0.6, 0.0), pred(2, 0.1, 0.0)],
        },
    ];
    let m = run(&frames);
    assert_eq!(
        (
            m.id_switches,
            m.clear_true_positives,
            m.clear_false_positives
        ),
        (0, 2, 1)
    );
    assert!(m
        .position_rmse_m
        .is_some_and(|r| close(r, (0.36f64 / 2.0).sqrt())));
}

#[test]
fn invalid_inputs_are_errors_not_panics() {
    assert_eq!(
        Evaluator::new(EvalConfig { threshold_m: 0.0 }).err(),
        Some(EvalError::InvalidThreshold(0.0))
    );
    assert!(Evaluator::new(EvalConfig {
        threshold_m: f64::NAN
    })
    .is_err());
    let mut ev = Evaluator::new(EvalConfig::default()).unwrap();
    assert_eq!(
        ev.push_frame(&[gt(1, f64::NAN, 0.0)], &[]),
        Err(EvalError::NonFinite {
            frame: 0,
            side: "ground truth",
            id: 1
        })
    );
    assert_eq!(
        ev.push_frame(&[], &[pred(4, 0.0, 0.0), pred(4, 1.0, 0.0)]),
        Err(EvalError::DuplicateId {
            frame: 0,
            side: "prediction",
            id: 4
        })
    );
    assert_eq!(ev.frames(), 0);
    let m = ev.finish();
    assert_eq!((m.frames, m.hota, m.mota), (0, 0.0, 0.0));
    assert!(toml::from_str::<EvalConfig>("threshold = 2.0").is_err());
    assert_eq!(
        toml::from_str::<EvalConfig>("threshold_m = 2.0")
            .unwrap()
            .threshold_m,
        2.0
    );
}

#[test]
fn table_columns_are_aligned() {
    let frames = vec![EvalFrame {
        gt: vec![gt(1, 0.0, 0.0)],
        pred: vec![pred(1, 0.0, 0.0)],
    }];
    let text = run(&frames).to_string();
    assert!(text.starts_with("metric"));
    assert!(text.contains("\nHOTA "));
    assert!(text.contains("position RMSE (m)"));
    let mut t = Table::new(["name", "a", "bbb"]);
    t.row(["x", "10", "2"]).row(["longer", "1", "-"]);
    assert_eq!(
        t.to_string(),
        "name     a  bbb\n---------------\nx       10    2\nlonger   1    -\n"
    );
}

#[derive(serde::Deserialize)]
struct RefGt {
    id: u32,
    class: ObjectClass,
    x: f64,
    y: f64,
}

#[derive(serde::Deserialize)]
struct RefPred {
    track_id: u32,
    class: ObjectClass,
    x: f64,
    y: f64,
}

#[derive(serde::Deserialize)]
struct RefFrame {
    gt: Vec<RefGt>,
    pred: Vec<RefPred>,
}

#[derive(serde::Deserialize)]
struct RefExpected {
    hota: f64,
    det_a: f64,
    ass_a: f64,
    loc_a: f64,
    mota: f64,
    clear_tp: u64,
    clear_fp: u64,
    clear_fn: u64,
    id_switches: u64,
    idf1: f64,
    idtp: u64,
}

#[derive(serde::Deserialize)]
struct RefSequence {
    frames: Vec<RefFrame>,
    expected: RefExpected,
}

#[derive(serde::Deserialize)]
struct Reference {
    threshold_m: f64,
    sequences: Vec<RefSequence>,
}

/// Random sequences (mixed classes, misses, id switches, false positives) scored by TrackEval's
/// HOTA, CLEAR and Identity code; see `tests/fixtures/trackeval_reference.py`.
#[test]
fn matches_trackeval_reference() {
    let reference: Reference = serde_json::from_str(include_str!(
        "../../tests/fixtures/trackeval_reference.json"
    ))
    .unwrap();
    assert_eq!(reference.sequences.len(), 5);
    let config = EvalConfig {
        threshold_m: reference.threshold_m,
    };
    for (k, seq) in reference.sequences.iter().enumerate() {
        let frames: Vec<EvalFrame> = seq
            .frames
            .iter()
            .map(|f| EvalFrame {
                gt: f
                    .gt
                    .iter()
                    .map(|g| GtObject {
                        id: g.id,
                        class: g.class,
                        pitch_m: Point2::new(g.x, g.y),
                        visible: true,
                    })
                    .collect(),
                pred: f
                    .pred
                    .iter()
                    .map(|p| PredObject {
                        track_id: p.track_id,
                        class: p.class,
                        pitch_m: Point2::new(p.x, p.y),
                    })
                    .collect(),
            })
            .collect();
        let m = evaluate(&config, &frames).unwrap();
        let e = &seq.expected;
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(
            near(m.hota, e.hota),
            "seq {k}: HOTA {} vs {}",
            m.hota,
            e.hota
        );
        assert!(
            near(m.det_a, e.det_a),
            "seq {k}: DetA {} vs {}",
            m.det_a,
            e.det_a
        );
        assert!(
            near(m.ass_a, e.ass_a),
            "seq {k}: AssA {} vs {}",
            m.ass_a,
            e.ass_a
        );
        assert!(
            near(m.loc_a, e.loc_a),
            "seq {k}: LocA {} vs {}",
            m.loc_a,
            e.loc_a
        );
        assert_eq!(
            (
                m.clear_true_positives,
                m.clear_false_positives,
                m.clear_false_negatives,
                m.id_switches
            ),
            (e.clear_tp, e.clear_fp, e.clear_fn, e.id_switches),
            "seq {k}: CLEAR counts"
        );
        assert!(
            near(m.mota, e.mota),
            "seq {k}: MOTA {} vs {}",
            m.mota,
            e.mota
        );
        assert_eq!(m.idtp, e.idtp, "seq {k}: IDTP");
        assert!(
            near(m.idf1, e.idf1),
            "seq {k}: IDF1 {} vs {}",
            m.idf1,
            e.idf1
        );
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn class_of(k: u8) -> ObjectClass {
        ObjectClass::ALL[usize::from(k % 4)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Predictions that copy the ground truth under any renaming of ids score 1 everywhere.
        #[test]
        fn renamed_copy_of_ground_truth_is_perfect(
            objects in proptest::collection::vec((any::<u8>(), -50.0f64..50.0, -30.0f64..30.0), 1..8),
            frames in 1usize..12,
            id_offset in 0u32..1000,
        ) {
            let seq: Vec<EvalFrame> = (0..frames)
                .map(|f| {
                    let gt: Vec<GtObject> = objects
                        .iter()
                        .enumerate()
                        .map(|(k, &(c, x, y))| GtObject {
                            id: k as u32,
                            class: class_of(c),
                            pitch_m: Point2::new(x + 0.1 * f as f64, y),
                            visible: true,
                        })
                        .collect();
                    let pred = gt
                        .iter()
                        .map(|g| PredObject { track_id: 5000 - g.id - id_offset, class: g.class, pitch_m: g.pitch_m })
                        .collect();
                    EvalFrame { gt, pred }
                })
                .collect();
            let m = run(&seq);
            // Overlapping objects of one group may be matched crosswise in HOTA, so require only
            // the binary metrics to be exact and HOTA to be near 1 when objects are apart.
            prop_assert!(close(m.mota, 1.0) && close(m.idf1, 1.0) && m.id_switches == 0);
            prop_assert_eq!(m.position_rmse_m, Some(0.0));
            let apart = objects.iter().enumerate().all(|(i, a)| {
                objects.iter().skip(i + 1).all(|b| (a.1 - b.1).hypot(a.2 - b.2) >= 2.0)
            });
            if apart {
                prop_assert!(close(m.hota, 1.0) && close(m.det_a, 1.0) && close(m.ass_a, 1.0));
            }
        }

        /// Every score is a finite number in its range, whatever the input.
        #[test]
        fn scores_stay_in_range(
            gt_frames in proptest::collection::vec(
                proptest::collection::vec((0u32..6, any::<u8>(), -5.0f64..5.0, -5.0f64..5.0, any::<bool>()), 0..6), 1..10),
            pred_frames in proptest::collection::vec(
                proptest::collection::vec((0u32..8, any::<u8>(), -5.0f64..5.0, -5.0f64..5.0), 0..7), 1..10),
        ) {
            let mut ev = Evaluator::new(EvalConfig::default()).unwrap();
            for (g, p) in gt_frames.iter().zip(&pred_frames) {
                let gt: Vec<GtObject> = g
                    .iter()
                    .map(|&(id, c, x, y, visible)| GtObject { id, class: class_of(c), pitch_m: Point2::new(x, y), visible })
                    .collect();
                let pred: Vec<PredObject> = p
                    .iter()
                    .map(|&(id, c, x, y)| PredObject { track_id: id, class: class_of(c), pitch_m: Point2::new(x, y) })
                    .collect();
                // Frames with repeated ids are rejected; the rest are scored.
                let _ = ev.push_frame(&gt, &pred);
            }
            let m = ev.finish();
            for v in [m.hota, m.det_a, m.ass_a, m.loc_a, m.idf1, m.idp, m.idr] {
                prop_assert!(v.is_finite() && (0.0..=1.0 + 1e-12).contains(&v), "{}", m);
            }
            prop_assert!(m.mota.is_finite() && m.mota <= 1.0);
            prop_assert_eq!(m.clear_true_positives + m.clear_false_negatives, m.gt_detections);
            prop_assert_eq!(m.clear_true_positives + m.clear_false_positives, m.pred_detections);
            prop_assert!(m.idtp <= m.gt_detections.min(m.pred_detections));
            for c in &m.per_class {
                prop_assert!(c.precision.is_none_or(|v| (0.0..=1.0).contains(&v)));
                prop_assert!(c.recall.is_none_or(|v| (0.0..=1.0).contains(&v)));
            }
        }
    }
}
