#![allow(clippy::unwrap_used, clippy::expect_used)]

use nalgebra::{Point2, Vector2};

use super::*;

// Shared with the people tracker's tests: frame period, deterministic noise, ball detections.
use crate::tracker::tests::{ball_at, Noise, FRAME_NS};

fn tracker() -> BallTracker {
    BallTracker::new(BallConfig::default()).unwrap()
}

/// A ball moving at 10 m/s that passes 1.5 m from the centre spot.
fn moving_truth(i: i32) -> Point2<f64> {
    Point2::new(-30.0, 1.5) + Vector2::new(10.0, 0.0) * (f64::from(i) * 0.04)
}

/// Frames of a painted centre spot detected every frame (score 0.6) and a moving ball detected
/// on 9 frames out of 10 (score 0.5), with noise, plus an occasional one-frame false positive.
fn spot_and_moving_frames(n: i32) -> Vec<(i64, Vec<Detection>)> {
    let mut noise = Noise(7);
    (0..n)
        .map(|i| {
            let spot = Point2::new(noise.sym(0.2), noise.sym(0.2));
            let mut dets = vec![ball_at(spot, 0.6)];
            if i % 10 != 3 {
                let p = moving_truth(i) + Vector2::new(noise.sym(0.2), noise.sym(0.2));
                dets.push(ball_at(p, 0.5));
            }
            if i % 17 == 5 {
                dets.push(ball_at(Point2::new(noise.sym(40.0), noise.sym(25.0)), 0.4));
            }
            (i64::from(i) * FRAME_NS, dets)
        })
        .collect()
}

#[test]
fn moving_ball_wins_over_a_static_painted_spot_and_keeps_its_id() {
    let mut bt = tracker();
    let mut id = None;
    for (i, (t, dets)) in (0..).zip(spot_and_moving_frames(200)) {
        let f = bt.update(t, &dets).unwrap();
        let b = f.ball.unwrap();
        // After the spot has been static for `static_min_age_s` (2 s) plus a little.
        if i >= 60 {
            assert!(
                (b.pitch_m - moving_truth(i)).norm() < 1.0,
                "frame {i}: {:?} vs {:?}",
                b.pitch_m,
                moving_truth(i)
            );
            id.get_or_insert(b.track_id);
            assert_eq!(Some(b.track_id), id, "frame {i}");
        }
    }
}

#[test]
fn a_ball_at_rest_alone_is_reported() {
    let mut bt = tracker();
    let mut noise = Noise(3);
    let rest = Point2::new(41.5, 0.0);
    let mut id = None;
    for i in 0..250 {
        let mut dets = vec![ball_at(
            rest + Vector2::new(noise.sym(0.2), noise.sym(0.2)),
            0.5,
        )];
        if i % 23 == 11 {
            // A one-frame false positive elsewhere never takes over.
            dets.push(ball_at(Point2::new(-10.0, 12.0), 0.9));
        }
        let f = bt.update(i64::from(i) * FRAME_NS, &dets).unwrap();
        let b = f.ball.unwrap();
        id.get_or_insert(b.track_id);
        assert_eq!(Some(b.track_id), id, "frame {i}");
        assert_eq!(b.state, BallState::Observed, "frame {i}");
        assert!(
            (b.pitch_m - rest).norm() < 0.3,
            "frame {i}: {:?}",
            b.pitch_m
        );
    }
}

#[test]
fn half_second_gap_is_bridged_with_the_same_id_and_bounded_coasting() {
    let c = BallConfig::default();
    let mut bt = tracker();
    let v = Vector2::new(8.0, -6.0); // 10 m/s
    let truth = |i: i32| Point2::new(-30.0, 10.0) + v * (f64::from(i) * 0.04);
    let gap = 30..42; // 12 frames missed: 0.52 s between detections
    let mut id = None;
    let mut last_observed = None;
    for i in 0..70 {
        let dets = if gap.contains(&i) {
            vec![]
        } else {
            vec![ball_at(truth(i), 0.7)]
        };
        let f = bt.update(i64::from(i) * FRAME_NS, &dets).unwrap();
        let b = f.ball.unwrap();
        id.get_or_insert(b.track_id);
        assert_eq!(Some(b.track_id), id, "frame {i}");
        if gap.contains(&i) {
            assert_eq!(b.state, BallState::Predicted, "frame {i}");
            let from: Point2<f64> = last_observed.unwrap();
            let coast = (b.pitch_m - from).norm();
            assert!(coast <= c.max_coast_m + 1e-9, "frame {i}: coasted {coast}");
            assert_eq!(b.last_seen_ns, 29 * FRAME_NS);
        } else {
            assert_eq!(b.state, BallState::Observed, "frame {i}");
            last_observed = Some(b.pitch_m);
            if !(30..50).contains(&i) {
                assert!((b.pitch_m - truth(i)).norm() < 0.6, "frame {i}");
            }
        }
    }
    // A hypothesis with a wild velocity does not fly off either (reported for the whole
    // bridge here, to see all of its prediction).
    let mut bt = BallTracker::new(BallConfig {
        max_report_s: c.max_bridge_s,
        ..BallConfig::default()
    })
    .unwrap();
    bt.update(0, &[ball_at(Point2::new(0.0, 0.0), 0.7)])
        .unwrap();
    bt.update(FRAME_NS, &[ball_at(Point2::new(1.5, 0.0), 0.7)])
        .unwrap();
    for k in 2..27 {
        let b = bt.update(k * FRAME_NS, &[]).unwrap().ball.unwrap();
        assert_eq!(b.state, BallState::Predicted);
        assert!(b.pitch_m.x < 1.5 + c.max_coast_m + 1e-9, "{:?}", b.pitch_m);
    }
}

#[test]
fn same_input_gives_identical_output() {
    let run = || {
        let mut bt = tracker();
        spot_and_moving_frames(150)
            .into_iter()
            .map(|(t, dets)| bt.update(t, &dets).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn time_going_backwards_is_an_error_and_config_is_validated() {
    let mut bt = tracker();
    bt.update(10 * FRAME_NS, &[]).unwrap();
    assert!(matches!(
        bt.update(9 * FRAME_NS, &[]),
        Err(TrackerError::TimeWentBackwards { .. })
    ));
    let bad = BallConfig {
        switch_ratio: 0.5,
        ..BallConfig::default()
    };
    assert!(BallTracker::new(bad).is_err());
    let bad = BallConfig {
        max_hypotheses: 0,
        ..BallConfig::default()
    };
    assert!(BallTracker::new(bad).is_err());
    let partial: BallConfig = toml::from_str("max_coast_m = 2.0").unwrap();
    assert_eq!(partial.max_coast_m, 2.0);
    assert_eq!(partial.max_hypotheses, BallConfig::default().max_hypotheses);
}

#[test]
fn hypotheses_are_bounded_and_the_reported_one_is_never_evicted() {
    let mut bt = tracker();
    let truth = |i: i32| Point2::new(f64::from(i) * 0.4, 0.0);
    let mut noise = Noise(11);
    let mut id = None;
    for i in 0..50 {
        let mut dets = vec![ball_at(truth(i), 0.6)];
        // A burst of scattered false positives every frame.
        for _ in 0..8 {
            dets.push(ball_at(
                Point2::new(noise.sym(50.0), 20.0 + noise.sym(10.0)),
                0.45,
            ));
        }
        let f = bt.update(i64::from(i) * FRAME_NS, &dets).unwrap();
        assert!(bt.hyps.len() <= bt.config().max_hypotheses);
        let b = f.ball.unwrap();
        {
            id.get_or_insert(b.track_id);
            assert_eq!(Some(b.track_id), id, "frame {i}");
            assert!((b.pitch_m - truth(i)).norm() < 0.5, "frame {i}");
        }
    }
}

/// A ball rolling at 8 m/s along +x for one second, then (frame 25) deflected: 3 m to the side
/// of where its filter expects it, rolling slowly (3 m/s) along +y, so the old filter's gate
/// misses it and a new, not yet moving hypothesis takes its detections.
fn deflected_truth(i: i32) -> Point2<f64> {
    let t = f64::from(i) * 0.04;
    if i < 25 {
        Point2::new(-10.0 + 8.0 * t, 0.0)
    } else {
        Point2::new(-2.0, 3.0 + 3.0 * (t - 1.0))
    }
}

#[test]
fn a_deflected_ball_is_followed_by_the_hypothesis_born_next_to_it() {
    let mut bt = tracker();
    let mut moving_id = None;
    for i in 0..50 {
        let truth = deflected_truth(i);
        let f = bt
            .update(i64::from(i) * FRAME_NS, &[ball_at(truth, 0.8)])
            .unwrap();
        let b = f.ball.unwrap();
        if i == 24 {
            moving_id = Some(b.track_id);
        }
        // `min_switch_hits` (2) hits after the deflection the successor is reported, on the
        // ball, and stays.
        if i >= 26 {
            assert_ne!(Some(b.track_id), moving_id, "frame {i}");
            assert_eq!(b.state, BallState::Observed, "frame {i}");
            let err_m = (b.pitch_m - truth).norm();
            assert!(err_m < 0.5, "frame {i}: {err_m:.2} m off");
        }
    }
}

#[test]
fn a_hypothesis_far_from_a_bridged_ball_seen_before_it_was_lost_does_not_take_over() {
    let mut bt = tracker();
    let mut moving_id = None;
    for i in 0..40 {
        // A static false positive 10 m away is detected in every frame; the ball until frame 24.
        let mut dets = vec![ball_at(Point2::new(5.0, -8.0), 0.9)];
        if i < 25 {
            dets.push(ball_at(deflected_truth(i), 0.8));
        }
        let f = bt.update(i64::from(i) * FRAME_NS, &dets).unwrap();
        if i == 24 {
            let b = f.ball.unwrap();
            assert!((b.pitch_m - deflected_truth(i)).norm() < 0.5, "{b:?}");
            moving_id = Some(b.track_id);
        }
        // Bridged for `max_report_s` (0.5 s, frames 25-36): never the false positive. Then the
        // lost ball is stale and yields to what is seen now (next test).
        if (25..=36).contains(&i) {
            let b = f.ball.unwrap();
            assert_eq!(Some(b.track_id), moving_id, "frame {i}");
            assert_eq!(b.state, BallState::Predicted, "frame {i}");
        }
    }
}

#[test]
fn a_stale_false_positive_yields_to_a_ball_at_rest() {
    // A kick-off: the ball rests on the centre spot, detected every frame (0.9). A moving false
    // positive (a boot) is reported for a second while the ball is briefly hidden, then vanishes.
    let rest = Point2::new(0.0, 0.0);
    let boot = |i: i32| Point2::new(-12.0 + 0.3 * f64::from(i), 6.0);
    let run = |stale_incumbent_yields: bool| {
        let mut bt = BallTracker::new(BallConfig {
            stale_incumbent_yields,
            ..BallConfig::default()
        })
        .unwrap();
        let mut reported_at_rest = 0;
        for i in 0..150 {
            let mut dets = Vec::new();
            if !(20..50).contains(&i) {
                dets.push(ball_at(rest, 0.9));
            }
            if (10..60).contains(&i) {
                dets.push(ball_at(boot(i), 0.5));
            }
            let f = bt.update(i64::from(i) * FRAME_NS, &dets).unwrap();
            if i >= 75 && f.ball.is_some_and(|b| (b.pitch_m - rest).norm() < 0.5) {
                reported_at_rest += 1;
            }
        }
        reported_at_rest
    };
    // The boot was last seen at frame 59; from frame 73 (0.5 s later) it is stale. Frames
    // 75-149: the ball at rest every frame with the rule, never before the boot is dropped
    // (1 s, frame 85) without it.
    assert_eq!(run(true), 75);
    assert!(run(false) <= 65, "{}", run(false));
}

/// A boot walking at 2 m/s across the pitch at y = 8 m (a moving false positive).
fn walking_boot(i: i32) -> Point2<f64> {
    Point2::new(-10.0 + 0.08 * f64::from(i), 8.0)
}

/// Frames reporting the ball within 0.5 m of `at` among `from..150`, with `dominance_ratio`
/// and, when it is infinite, `fresh_after_one_sighting` off too: the tiers alone (with it, the
/// second test's ball at rest, born while the boot is seen, takes over at its third hit and the
/// boot, moving, takes back over).
fn reported_at_rest(
    dominance_ratio: f64,
    from: i32,
    at: Point2<f64>,
    dets: impl Fn(i32) -> Vec<Detection>,
) -> usize {
    let config = BallConfig {
        dominance_ratio,
        fresh_after_one_sighting: dominance_ratio.is_finite(),
        ..BallConfig::default()
    };
    frames_reporting(config, 150, at, dets)
        .into_iter()
        .filter(|&i| i >= from)
        .count()
}

#[test]
fn a_weak_moving_false_positive_does_not_take_over_a_ball_at_rest_seen_every_frame() {
    // A kick-off: the ball rests on the centre spot, detected every frame (0.6); a boot is
    // detected on every fourth frame (0.4) and has moved (2.5 m) after ~1.3 s.
    let rest = Point2::new(0.0, 0.0);
    let dets = |i: i32| {
        let mut d = vec![ball_at(rest, 0.6)];
        if i % 4 == 0 {
            d.push(ball_at(walking_boot(i), 0.4));
        }
        d
    };
    // Frames 40-149: the ball at rest throughout with the rule; the moving boot takes over
    // without it (the tiers alone decide).
    assert_eq!(reported_at_rest(4.0, 40, rest, dets), 110);
    let without = reported_at_rest(f64::INFINITY, 40, rest, dets);
    assert!(without < 20, "{without}");
}

#[test]
fn a_ball_at_rest_with_overwhelming_evidence_takes_over_a_reported_weak_moving_one() {
    // The boot is reported first (seen every frame while the ball is hidden), then seen on every
    // fourth frame only, while the ball (10 m from it) is seen at rest in every frame.
    let rest = Point2::new(0.0, -5.0);
    let dets = |i: i32| {
        let mut d = Vec::new();
        if i < 40 || i % 4 == 0 {
            d.push(ball_at(walking_boot(i), if i < 40 { 0.5 } else { 0.4 }));
        }
        if i >= 40 {
            d.push(ball_at(rest, 0.7));
        }
        d
    };
    // With the rule the ball is reported from the first frame where the boot is seen and its
    // evidence is four times the boot's (about a second after it appears) on.
    let with = reported_at_rest(4.0, 40, rest, dets);
    assert!((70..=95).contains(&with), "{with}");
    // Without it the boot, still seen now and then, keeps the report.
    assert_eq!(reported_at_rest(f64::INFINITY, 40, rest, dets), 0);
}

/// Frames among `0..n` whose reported ball is within 0.5 m of `at`.
fn frames_reporting(
    config: BallConfig,
    n: i32,
    at: Point2<f64>,
    dets: impl Fn(i32) -> Vec<Detection>,
) -> Vec<i32> {
    let mut bt = BallTracker::new(config).unwrap();
    (0..n)
        .filter(|&i| {
            let f = bt.update(i64::from(i) * FRAME_NS, &dets(i)).unwrap();
            f.ball.is_some_and(|b| (b.pitch_m - at).norm() < 0.5)
        })
        .collect()
}

#[test]
fn a_ball_that_reappears_far_away_is_reported_from_its_third_frame() {
    // A shot: the ball runs into the goal at 10 m/s and is lost in the net at frame 50; from
    // frame 50 the restart ball rests on the centre spot, seen in every frame.
    let shot = |i: i32| Point2::new(30.0 + 0.4 * f64::from(i), 1.0);
    let centre = Point2::new(0.0, 0.0);
    let run = |fresh_takeover_hits: u32| {
        let config = BallConfig {
            fresh_takeover_hits,
            ..BallConfig::default()
        };
        frames_reporting(config, 80, centre, |i| {
            vec![ball_at(if i < 50 { shot(i) } else { centre }, 0.8)]
        })
    };
    // With the rule: frames 52-79 (born at 50, third hit at 52).
    assert_eq!(run(3), (52..80).collect::<Vec<_>>());
    // Without it the shot's ball, bridged in the net, keeps the report until it is stale
    // (more than max_report_s = 0.5 s unseen: frame 62).
    let without = run(0);
    assert_eq!(without.first(), Some(&62), "{without:?}");
}

#[test]
fn pixel_noise_through_the_jacobian_discounts_errors_along_the_view_ray() {
    // Far side of the pitch: one pixel spans 0.05 m across the view and 1 m along it (y).
    let j = nalgebra::Matrix2::new(0.05, 0.0, 0.0, 1.0);
    let run = |pixel_std_px: f64| {
        let mut bt = BallTracker::new(BallConfig {
            pixel_std_px,
            ..BallConfig::default()
        })
        .unwrap();
        let mut last = None;
        for i in 0..20 {
            let p = Point2::new(f64::from(i) * 0.2, 10.0);
            // The last measurement is 1.5 m off along the view ray.
            let p = if i == 19 {
                p + Vector2::new(0.0, 1.5)
            } else {
                p
            };
            let d = ball_at(p, 0.6).with_foot_jacobian(j);
            last = bt.update(i64::from(i) * FRAME_NS, &[d]).unwrap().ball;
        }
        last.unwrap().pitch_m
    };
    let (iso, jac) = (run(0.0), run(2.0));
    assert!(
        (jac.y - 10.0).abs() < 0.5 * (iso.y - 10.0).abs(),
        "{iso:?} vs {jac:?}"
    );
    // Across the view ray the pixel noise adds little.
    assert!((jac.x - 3.8).abs() < 0.2, "{jac:?}");
}

#[test]
fn a_detection_seen_once_is_bridged_only_with_min_bridge_hits_1() {
    // No ball anywhere but one false detection in frame 10; then empty frames.
    let run = |min_bridge_hits: u32| -> usize {
        let mut bt = BallTracker::new(BallConfig {
            min_bridge_hits,
            ..BallConfig::default()
        })
        .unwrap();
        (0..30)
            .filter(|&i| {
                let dets = if i == 10 {
                    vec![ball_at(Point2::new(5.0, 5.0), 0.8)]
                } else {
                    Vec::new()
                };
                bt.update(i64::from(i) * FRAME_NS, &dets)
                    .unwrap()
                    .ball
                    .is_some()
            })
            .count()
    };
    // Its frame plus `max_report_s` (0.5 s = 12 frames at 25 fps) of bridging.
    assert_eq!(run(1), 13);
    assert_eq!(run(2), 1);
    // A ball seen twice is bridged as before.
    let mut bt = BallTracker::new(BallConfig {
        min_bridge_hits: 2,
        ..BallConfig::default()
    })
    .unwrap();
    for i in 0..2 {
        bt.update(
            i64::from(i) * FRAME_NS,
            &[ball_at(Point2::new(5.0 + 0.2 * f64::from(i), 5.0), 0.8)],
        )
        .unwrap();
    }
    let f = bt.update(2 * FRAME_NS, &[]).unwrap();
    assert_eq!(f.ball.map(|b| b.state), Some(BallState::Predicted));
}

#[test]
fn one_stray_sighting_of_the_old_ball_does_not_keep_the_restart_ball_out() {
    // As above, but at frame 52 the old ball in the net is seen once more (a stray detection
    // where it was lost): born at 50, the restart ball was no longer born after the old one was
    // last seen.
    let shot = |i: i32| Point2::new(30.0 + 0.4 * f64::from(i), 1.0);
    let net = shot(50);
    let centre = Point2::new(0.0, 0.0);
    let run = |fresh_after_one_sighting: bool| {
        let config = BallConfig {
            fresh_after_one_sighting,
            ..BallConfig::default()
        };
        frames_reporting(config, 80, centre, |i| match i {
            0..50 => vec![ball_at(shot(i), 0.8)],
            52 => vec![ball_at(centre, 0.8), ball_at(net, 0.5)],
            _ => vec![ball_at(centre, 0.8)],
        })
    };
    // Third hit at 52 while the old ball is seen; the takeover comes at 53.
    assert_eq!(run(true), (53..80).collect::<Vec<_>>());
    // Without: stale only after max_report_s (0.5 s) from frame 52, at 65.
    let without = run(false);
    assert_eq!(without.first(), Some(&65), "{without:?}");
}
