//! Ground truth: determinism, projection through the calibration files, goal/out events against
//! the ball trajectory and the goal geometry, rendered pixels against the truth.

use std::path::{Path, PathBuf};

use calibration::pitch::BALL_RADIUS;
use calibration::{CalibrationFile, Pitch};
use nalgebra::Point3;
use opencv::prelude::*;
use sample_feeds::generate::{run, write_feed, FeedSpec, FeedTexts};
use sample_feeds::render::{Look, Renderer};
use sample_feeds::scene::{Rig, RigKind};
use sample_feeds::sim::{MatchSim, ObjectClass, SimConfig, SIM_HZ};
use sample_feeds::truth::Feed;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn spec(seed: u64, duration_s: f64, width: u32, height: u32, cameras: Vec<RigKind>) -> FeedSpec {
    FeedSpec {
        name: "test".into(),
        seed,
        duration_s,
        fps: 25,
        width,
        height,
        cameras,
        venue: "synthetic".into(),
        video: None,
        wearables: true,
    }
}

fn texts(spec: &FeedSpec) -> Result<FeedTexts, Box<dyn std::error::Error>> {
    Ok(run(spec, &mut |_, _| Ok(()), &mut |_, _| {})?)
}

#[test]
fn same_seed_gives_byte_identical_truth_and_wearables() -> TestResult {
    let s = spec(70, 3.0, 640, 360, vec![RigKind::Main, RigKind::Broadcast]);
    let a = texts(&s)?;
    let b = texts(&s)?;
    assert_eq!(a, b);
    assert!(a.positions.lines().count() > 75 * 24);
    assert!(a.wearables.lines().count() > 150 * 20);
    assert!(!a.boxes[0].1.is_empty() && !a.per_frame_calibration.is_empty());
    let c = texts(&spec(
        71,
        3.0,
        640,
        360,
        vec![RigKind::Main, RigKind::Broadcast],
    ))?;
    assert_ne!(a.positions, c.positions);
    assert_ne!(a.wearables, c.wearables);
    Ok(())
}

#[test]
fn truth_positions_project_onto_truth_boxes_through_calibration_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = spec(
        12,
        2.0,
        1280,
        720,
        vec![RigKind::Main, RigKind::Broadcast, RigKind::GoalPos],
    );
    write_feed(&s, dir.path(), &mut |_, _| {})?;
    let feed = Feed::load(dir.path())?;
    assert_eq!(feed.manifest.frames, 50);
    let mut checked = 0;
    for (cam_name, rows) in &feed.boxes {
        for row in rows {
            let cam = feed
                .camera_at(cam_name, row.frame)
                .ok_or("no calibration for frame")?;
            let p = feed
                .positions_at(row.frame)
                .get(row.object)
                .ok_or("no position")?;
            assert_eq!(p.object, row.object);
            let class = feed.objects[row.object].class;
            let anchor = match class {
                ObjectClass::Ball => Point3::new(p.x, p.y, p.z),
                _ => Point3::new(p.x, p.y, 0.0),
            };
            let px = cam.project(&anchor).ok_or("behind camera")?;
            let inside_image = row.x0 >= 0.0
                && row.y0 >= 0.0
                && row.x1 <= f64::from(cam.width)
                && row.y1 <= f64::from(cam.height);
            if !inside_image {
                continue;
            }
            let b = sample_feeds::scene::PixelBox {
                x0: row.x0,
                y0: row.y0,
                x1: row.x1,
                y1: row.y1,
            };
            assert!(
                b.contains(&px, 1.0),
                "{cam_name} frame {} {}: {px:?} outside {b:?}",
                row.frame,
                feed.objects[row.object].id
            );
            if class == ObjectClass::Ball {
                let cx = (row.x0 + row.x1) / 2.0;
                let cy = (row.y0 + row.y1) / 2.0;
                assert!(
                    (px.x - cx).hypot(px.y - cy) <= 1.0,
                    "ball {px:?} vs box {b:?}"
                );
            } else {
                // Feet sit on the bottom of the box (within the figure's foot depth + 1 px).
                let foot_px = (row.y1 - row.y0) * 0.06;
                assert!(
                    row.y1 - px.y <= foot_px + 1.0,
                    "{} feet {px:?} box {b:?}",
                    row.object
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 2000, "only {checked} boxes checked");
    // The calibration file in the feed is the one the venue directory carries for `main`.
    let venue =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../calibration/venues/synthetic/main.toml");
    let committed = CalibrationFile::load(&venue)?.camera();
    let generated = CalibrationFile::load(&dir.path().join("calibration/main.toml"))?.camera();
    assert!((committed.intrinsics.fx - generated.intrinsics.fx).abs() < 1e-6);
    assert!((committed.pose.position - generated.pose.position).norm() < 1e-6);
    Ok(())
}

/// Checks every goal and out-of-play event of a feed against the ball trajectory.
fn check_events(feed: &Feed) -> TestResult {
    let pitch = Pitch {
        length: feed.manifest.pitch_length,
        width: feed.manifest.pitch_width,
    };
    let ball = feed
        .objects
        .iter()
        .position(|o| o.class == ObjectClass::Ball)
        .ok_or("no ball")?;
    let ball_at = |f: u64| {
        feed.positions_at(f)
            .get(ball)
            .map(|p| Point3::new(p.x, p.y, p.z))
    };
    // Positions are stored to the centimetre: allow that much at the line.
    let tol = 0.006;
    let in_goal = |b: &Point3<f64>, shrink: f64| pitch.ball_in_goal(b, BALL_RADIUS + shrink);
    let goals: Vec<_> = feed.events.iter().filter(|e| e.kind == "goal").collect();
    for g in &goals {
        let at = ball_at(g.frame).ok_or("goal frame out of range")?;
        assert!(
            in_goal(&at, -tol).is_some(),
            "goal at frame {} but ball at {at:?}",
            g.frame
        );
        let before = ball_at(g.frame - 1).ok_or("no frame before goal")?;
        assert!(
            in_goal(&before, tol).is_none(),
            "ball already in at frame {}: {before:?}",
            g.frame - 1
        );
        let end = if at.x > 0.0 { "pos_x" } else { "neg_x" };
        assert_eq!(g.detail.as_deref(), Some(end));
        let team = if at.x > 0.0 { "home" } else { "away" };
        assert_eq!(g.team.as_deref(), Some(team));
    }
    // Every entry of the ball into a goal is a goal event.
    let mut entries = 0;
    for f in 1..feed.manifest.frames {
        let (Some(a), Some(b)) = (ball_at(f - 1), ball_at(f)) else {
            continue;
        };
        // Entries through the goal mouth, from the field of play (the simulation has no side
        // nets: a ball that went out wide may drift behind the goal line afterwards).
        let from_field = a.x.abs() <= pitch.half_length() + BALL_RADIUS + tol;
        if from_field && in_goal(&a, tol).is_none() && in_goal(&b, -tol).is_some() {
            entries += 1;
            assert!(
                goals.iter().any(|g| g.frame == f),
                "ball entered a goal at frame {f} without an event"
            );
        }
    }
    assert_eq!(entries, goals.len());
    for o in feed.events.iter().filter(|e| e.kind == "out_of_play") {
        let at = ball_at(o.frame).ok_or("out frame out of range")?;
        let out = pitch.ball_out_of_play(&at, BALL_RADIUS - tol).is_some();
        assert!(out, "out_of_play at frame {} but ball at {at:?}", o.frame);
    }
    Ok(())
}

#[test]
fn goal_events_agree_with_ball_trajectory_and_goal_geometry() -> TestResult {
    // Truth only, tiny images: the check is about the simulation and the event frames.
    let dir = tempfile::tempdir()?;
    let mut s = spec(3, 60.0, 160, 90, vec![RigKind::Main]);
    s.wearables = false;
    let w = write_feed(&s, dir.path(), &mut |_, _| {})?;
    assert!(w.goals >= 1, "seed 3 scores in 60 s");
    let feed = Feed::load(dir.path())?;
    check_events(&feed)?;
    assert!(feed.events.iter().any(|e| e.kind == "kick_off"));
    Ok(())
}

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("feeds")
        .join(name)
}

#[test]
fn committed_demo_feed_meets_the_brief() -> TestResult {
    let feed = Feed::load(&committed("demo"))?;
    let m = &feed.manifest;
    assert_eq!((m.width, m.height, m.fps), (1280, 720, 25));
    assert!(m.duration_s >= 30.0);
    assert_eq!(m.cameras.len(), 1);
    let goals = feed.events.iter().filter(|e| e.kind == "goal").count();
    assert!(
        goals as f64 >= m.duration_s / 30.0,
        "{goals} goals in {} s",
        m.duration_s
    );
    assert!(feed.events.iter().any(|e| e.kind == "out_of_play"));
    assert!(!feed.anomalies.is_empty());
    assert_eq!(feed.devices.len(), 22);
    for cam in &m.cameras {
        let video = cam.video.as_ref().ok_or("demo has no video")?;
        assert!(Path::new(&feed.dir.join(video)).is_file());
    }
    check_events(&feed)?;
    Ok(())
}

#[test]
fn committed_feeds_stay_small() -> TestResult {
    let mut total = 0u64;
    let mut stack = vec![committed("")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                total += e.metadata()?.len();
            }
        }
    }
    assert!(
        total <= 20 * 1024 * 1024,
        "committed feeds are {total} bytes"
    );
    for name in ["bench-1080p50", "two-camera"] {
        let feed = Feed::load(&committed(name))?;
        check_events(&feed)?;
    }
    Ok(())
}

#[test]
fn rendered_pixels_agree_with_truth() -> TestResult {
    // Shirts are where the truth says the players are.
    let seed = 70;
    let mut sim = MatchSim::new(SimConfig::for_seed(seed));
    for _ in 0..8 * SIM_HZ {
        sim.step();
    }
    let look = Look::from_seed(seed);
    let mut r = Renderer::new(look.clone(), Pitch::STANDARD)?;
    r.motion_blur = false;
    r.sensor_noise = false;
    let mut rig = Rig::new(RigKind::Broadcast, 1280, 720, Pitch::STANDARD, [0.5; 3]);
    let cam = rig.camera(&sim.ball.pos, 100.0).ok_or("no camera")?;
    let frame = r.render(&cam, &sim.people, &sim.ball, true)?;
    let mut checked = 0;
    for (p, view) in sim.people.iter().zip(&frame.objects) {
        let Some(b) = view.bbox else { continue };
        if view.occlusion > 0.0 || b.y1 - b.y0 < 40.0 || !b.intersects_image(1280, 720) {
            continue;
        }
        let chest = cam
            .project(&Point3::new(p.pos.x, p.pos.y, 1.2 * p.height / 1.8))
            .ok_or("behind")?;
        if !cam.contains(&chest) {
            continue;
        }
        let px = frame
            .image
            .at_2d::<opencv::core::Vec3b>(chest.y as i32, chest.x as i32)?;
        // Shirt colour after grading; the number may cover the chest, so accept its colour too.
        let kit = match (p.class, p.team) {
            (ObjectClass::Goalkeeper, Some(sample_feeds::sim::Team::Home)) => look.kits[2],
            (ObjectClass::Goalkeeper, _) => look.kits[3],
            (_, Some(sample_feeds::sim::Team::Home)) => look.kits[0],
            (_, Some(sample_feeds::sim::Team::Away)) => look.kits[1],
            _ => look.kits[4],
        };
        let close = |c: [f64; 3]| {
            (0..3).all(|k| {
                let want = (c[k] * look.contrast + look.brightness).clamp(0.0, 255.0);
                (f64::from(px[k]) - want).abs() < 40.0
            })
        };
        assert!(
            close(kit.shirt) || close(kit.number),
            "{}: pixel {px:?} at {chest:?} is not the shirt {:?}",
            p.id,
            kit.shirt
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} players checked");
    Ok(())
}

#[test]
fn committed_two_camera_feed_is_reproduced_byte_for_byte() -> TestResult {
    let dir = committed("two-camera");
    let feed = Feed::load(&dir)?;
    let m = &feed.manifest;
    let cameras = m
        .cameras
        .iter()
        .map(|c| RigKind::parse(&c.name).ok_or("unknown camera"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut s = spec(m.seed, m.duration_s, m.width, m.height, cameras);
    s.venue = m.venue.clone();
    s.wearables = m.files.wearables.is_some();
    let t = texts(&s)?;
    let read = |rel: &str| std::fs::read_to_string(dir.join(rel));
    assert!(t.objects == read(&m.files.objects)?, "objects differ");
    assert!(t.positions == read(&m.files.positions)?, "positions differ");
    assert!(t.events == read(&m.files.events)?, "events differ");
    if let Some(w) = &m.files.wearables {
        assert!(t.wearables == read(w)?, "wearables differ");
    }
    for cam in &m.cameras {
        let (_, boxes) = t
            .boxes
            .iter()
            .find(|(n, _)| *n == cam.name)
            .ok_or("camera missing")?;
        assert!(*boxes == read(&cam.boxes)?, "boxes of {} differ", cam.name);
        let (_, calib) = t
            .calibration
            .iter()
            .find(|(n, _)| *n == cam.name)
            .ok_or("camera missing")?;
        assert!(
            *calib == read(&cam.calibration)?,
            "calibration of {} differs",
            cam.name
        );
    }
    Ok(())
}

#[test]
fn motion_blur_blends_the_previous_frame_and_can_be_turned_off() -> TestResult {
    use sample_feeds::encode::Container;
    use sample_feeds::generate::VideoOptions;
    let frames = |motion_blur: bool| -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
        let mut s = spec(71, 0.2, 320, 180, vec![RigKind::Broadcast]);
        s.video = Some(VideoOptions {
            container: Container::Mp4,
            bitrate_kbps: 500,
            motion_blur,
        });
        let mut out = Vec::new();
        run(
            &s,
            &mut |_, m| {
                out.push(m.data_bytes().map(<[u8]>::to_vec).unwrap_or_default());
                Ok(())
            },
            &mut |_, _| {},
        )?;
        Ok(out)
    };
    let blurred = frames(true)?;
    let sharp = frames(false)?;
    assert_eq!(blurred.len(), 5);
    assert_eq!(sharp.len(), 5);
    // The first frame has nothing to blend with; later ones differ.
    assert_eq!(blurred[0], sharp[0]);
    assert!((1..5).all(|i| blurred[i] != sharp[i]));
    Ok(())
}
