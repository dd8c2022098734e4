//! The ball verifier (`models/touchline-ball.*`) through ONNX Runtime: its manifest's sha256
//! matches the file and the detector manifest names it; on the committed held-out frame the true
//! ball's patch scores above the threshold and above every patch centred on a person or on open
//! grass, people stay under the threshold even with a detector score of 1, and open grass (never
//! a detector candidate) stays under the local search's score; a tampered or missing verifier is
//! refused by name.

use anyhow::{bail, Context, Result};
use edge_node::detect::ball_search::BallSearch;
use edge_node::detect::ball_verify::{BallVerifier, BallVerifierManifest};
use edge_node::detect::detector::sha256_file;
use edge_node::detect::preprocess::BgrFrame;
use edge_node::detect::{BoxPx, Detection, Detector, DetectorError, DetectorManifest, ObjectClass};

mod models_common;
use models_common::{held_out_frame, held_out_truth, models_dir, Truth};

fn candidate(cx: f32, cy: f32) -> Detection {
    Detection {
        box_px: BoxPx::from_cxcywh(cx, cy, 4.0, 4.0),
        // Detector score 1: the verified score is then sqrt(verifier probability).
        score: 1.0,
        class: ObjectClass::Ball,
        team: None,
        model_class_id: 3,
    }
}

/// The shipped verifier, the committed held-out frame (width, height, BGR bytes), its truth and
/// the true ball's centre.
struct Scene {
    verifier: BallVerifier,
    frame: (u32, u32, Vec<u8>),
    truth: Vec<Truth>,
    ball: (f32, f32),
}

fn scene() -> Result<Scene> {
    let verifier = BallVerifier::open(&models_dir().join("touchline-ball.toml"), 1)?;
    let truth = held_out_truth()?;
    let ball = truth
        .iter()
        .find(|t| t.class == ObjectClass::Ball)
        .map(|t| t.bbox.centre())
        .context("the test frame has a ball")?;
    Ok(Scene {
        verifier,
        frame: held_out_frame()?,
        truth,
        ball,
    })
}

#[test]
fn the_verifier_manifest_matches_its_file_and_the_detector_names_it() -> Result<()> {
    let det = DetectorManifest::load(&models_dir().join("touchline-det.toml"))?;
    let path = det
        .ball_verifier_path()
        .context("touchline-det.toml names no ball_verifier")?;
    let m = BallVerifierManifest::load(&path)?;
    assert_eq!(
        m.sha256.as_deref(),
        Some(sha256_file(&m.model_path())?.as_str())
    );
    assert!(std::fs::metadata(m.model_path())?.len() < 1024 * 1024);
    // The opened detector's ball threshold is the verifier's.
    let detector = Detector::open(&models_dir().join("touchline-det.toml"), 1, Vec::new())?;
    assert_eq!(detector.manifest().thresholds.ball_score, m.score);
    Ok(())
}

#[test]
fn the_true_ball_outscores_people_and_grass() -> Result<()> {
    let Scene {
        mut verifier,
        frame: (w, h, bytes),
        truth,
        ball,
    } = scene()?;
    let threshold = verifier.manifest().score;
    let frame = BgrFrame::new(w, h, &bytes)?;
    let people: Vec<(f32, f32)> = truth
        .iter()
        .filter(|t| t.class != ObjectClass::Ball && t.bbox.height() >= 12.0)
        .map(|t| t.bbox.centre())
        .collect();
    let mut others = people.clone();
    // Open grass: points on a grid at least 60 px from every object.
    for gy in (100..h.saturating_sub(60)).step_by(150) {
        for gx in (100..w.saturating_sub(60)).step_by(200) {
            let (x, y) = (gx as f32, gy as f32);
            let clear = truth.iter().all(|t| {
                let (cx, cy) = t.bbox.centre();
                (cx - x).hypot(cy - y) > 60.0
            });
            if clear {
                others.push((x, y));
            }
        }
    }
    assert!(others.len() >= 10, "{} non-ball points", others.len());
    let mut cands = vec![candidate(ball.0, ball.1)];
    cands.extend(others.iter().map(|&(x, y)| candidate(x, y)));
    // Verify in chunks of max_candidates (the verifier keeps the best that many per call).
    let chunk = verifier.manifest().max_candidates;
    let mut scored = Vec::new();
    for part in cands.chunks(chunk) {
        scored.extend(verifier.verify(&frame, part.to_vec(), 0.0)?);
    }
    assert_eq!(scored.len(), cands.len());
    let near_ball = |d: &Detection| {
        let (cx, cy) = d.box_px.centre();
        (cx - ball.0).hypot(cy - ball.1) <= 3.0
    };
    let ball_score = scored
        .iter()
        .filter(|d| near_ball(d))
        .map(|d| d.score)
        .fold(0.0f32, f32::max);
    // Scored in candidate order: the ball, the people, then the grass points.
    let best_of = |range: std::ops::Range<usize>| {
        scored[range]
            .iter()
            .filter(|d| !near_ball(d))
            .map(|d| d.score)
            .fold(0.0f32, f32::max)
    };
    let best_person = best_of(1..1 + people.len());
    let best_grass = best_of(1 + people.len()..scored.len());
    let search_score = verifier
        .manifest()
        .search
        .map(|s| s.score)
        .context("the verifier has a [search] table")?;
    eprintln!(
        "verified: ball {ball_score:.3}, best person {best_person:.3}, best grass {best_grass:.3} \
         (probability {:.3}), threshold {threshold}, search score {search_score}",
        best_grass * best_grass
    );
    assert!(ball_score >= threshold, "ball {ball_score} < {threshold}");
    assert!(ball_score > best_person.max(best_grass));
    // People are the hard negatives (light kits): under the threshold even at detector score 1.
    assert!(
        best_person < threshold,
        "a person patch scored {best_person}"
    );
    // Open grass is never a detector candidate (so not in the training data): it reaches the
    // verifier only on the search grid, whose bar is the raw probability (= score² here).
    assert!(
        best_grass * best_grass < search_score,
        "a grass patch scored probability {}",
        best_grass * best_grass
    );
    Ok(())
}

#[test]
fn the_local_search_finds_the_ball_off_centre_and_nothing_on_grass() -> Result<()> {
    let Scene {
        mut verifier,
        frame: (w, h, bytes),
        truth,
        ball,
    } = scene()?;
    let search = verifier
        .manifest()
        .search
        .context("touchline-ball.toml has no [search] table")?;
    let frame = BgrFrame::new(w, h, &bytes)?;
    let grid_at = |x: f32, y: f32| {
        let mut s = BallSearch::new(search);
        s.observe(0, &[(BoxPx::from_cxcywh(x, y, 4.0, 4.0), 1.0)], None);
        s.grid(40_000_000, &[])
    };
    // Predictions off by up to a grid step in each direction: the ball is found, at its centre.
    let step = search.step_px;
    for (ox, oy) in [
        (0.0, 0.0),
        (step, 0.0),
        (-0.7 * step, 0.6 * step),
        (0.4 * step, -step),
    ] {
        let grid = grid_at(ball.0 + ox, ball.1 + oy);
        let found = verifier
            .search(&frame, &grid, (4.0, 4.0), 3)?
            .with_context(|| format!("no ball found with the prediction off by ({ox}, {oy}) px"))?;
        let (cx, cy) = found.box_px.centre();
        let err = (cx - ball.0).hypot(cy - ball.1);
        eprintln!(
            "prediction off by ({ox}, {oy}): p {:.3}, centre error {err:.2} px",
            found.score
        );
        assert!(err <= 2.0, "found {err} px from the ball");
        assert!(found.score >= search.score);
    }
    // Grids on open grass and on people find nothing.
    let mut misses = 0;
    for t in truth.iter().filter(|t| t.class != ObjectClass::Ball) {
        let (cx, cy) = t.bbox.centre();
        if (cx - ball.0).hypot(cy - ball.1) < 60.0 {
            continue;
        }
        let found = verifier.search(&frame, &grid_at(cx, t.bbox.y2), (4.0, 4.0), 3)?;
        assert!(
            found.is_none(),
            "a ball found at the feet of a person at ({cx}, {cy}): {found:?}"
        );
        misses += 1;
    }
    assert!(misses >= 10, "{misses} person grids");
    Ok(())
}

#[test]
fn a_tampered_or_missing_verifier_is_refused_by_name() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let good = std::fs::read_to_string(models_dir().join("touchline-ball.toml"))?;
    let m = BallVerifierManifest::load(&models_dir().join("touchline-ball.toml"))?;
    let sha = m.sha256.clone().context("verifier manifest has a sha256")?;
    let onnx = m.model_path();
    let onnx = onnx.to_str().context("non-UTF-8 path")?;
    let retarget = |text: &str| {
        text.replace(
            "file = \"touchline-ball.onnx\"",
            &format!("file = {onnx:?}"),
        )
    };

    // Wrong checksum.
    let bad = dir.path().join("bad-sha.toml");
    std::fs::write(&bad, retarget(&good).replace(&sha, &"0".repeat(64)))?;
    match BallVerifier::open(&bad, 1) {
        Err(DetectorError::Checksum { manifest, .. }) => assert!(manifest.contains("bad-sha.toml")),
        other => bail!("expected a checksum error, got {other:?}"),
    }
    // Wrong input name.
    let renamed = dir.path().join("renamed.toml");
    std::fs::write(
        &renamed,
        retarget(&good).replace("input = \"patches\"", "input = \"x\""),
    )?;
    match BallVerifier::open(&renamed, 1) {
        Err(e @ DetectorError::Mismatch { .. }) => assert!(e.to_string().contains("\"x\""), "{e}"),
        other => bail!("expected a mismatch error, got {other:?}"),
    }
    // A detector manifest naming a verifier that is not there.
    let det = std::fs::read_to_string(models_dir().join("touchline-det.toml"))?.replace(
        "ball_verifier = \"touchline-ball.toml\"",
        "ball_verifier = \"nowhere.toml\"",
    );
    let manifest = DetectorManifest::from_toml(&det, &models_dir())?;
    match Detector::with_manifest(manifest, "det", 1, Vec::new()) {
        Err(e) => assert!(e.to_string().contains("nowhere.toml"), "{e}"),
        Ok(_) => bail!("a missing verifier manifest was accepted"),
    }
    Ok(())
}
