//! Second-stage ball verifier: the detector proposes ball candidates at a low score floor, a small
//! classifier looks at each candidate's native-resolution patch and re-scores it (and refines its
//! centre).
//!
//! Why: the ball is 2-12 px in the frame and the detector sees it letterboxed to 960x544 (a 1080p
//! frame is halved), so its ball score at a useful recall also fires on line crossings, shoes and
//! painted spots. The verifier sees the full-resolution pixels around each candidate.
//!
//! The manifest (`models/touchline-ball.toml`, named by the detector manifest's `ball_verifier`
//! key) gives the file, its sha256, the input name and patch size, the candidate floor, the most
//! candidates verified per frame and the threshold on the verified score. Model contract: input
//! f32 `[N, 3, P, P]`, BGR / 255, the `P x P` frame pixels whose centre pixel (`P / 2`, `P / 2`) is
//! the one containing the candidate centre (`floor(cx)`, `floor(cy)`), pixels outside the frame
//! = `pad_value`; output f32 `[N, 3]` = probability, `dx`, `dy` with the ball centre at
//! (`floor(cx) + dx`, `floor(cy) + dy`) frame px.
//!
//! [`cut_patch`] and [`apply`] are pure; [`BallVerifier`] owns the ONNX Runtime session. The
//! training side cuts patches with `models/ball/patch.py`, which must stay identical to
//! [`cut_patch`]; the model is trained by `models/train_ball.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ball_search::BallSearchConfig;
use super::decode::BoxPx;
use super::detector::{Detection, DetectorError};
use super::manifest::{
    check_sha256_value, manifest_dir, parse_manifest, read_manifest, ManifestError, ObjectClass,
};
use super::patch_model::{check_patch_px, PatchSession};
use super::preprocess::BgrFrame;
use crate::inference::SessionConfig;

/// The verified score of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The verifier's probability alone.
    Verifier,
    /// `sqrt(verifier probability · detector score)`.
    GeometricMean,
}

impl Combine {
    /// The verified score.
    pub fn score(self, verifier: f32, detector: f32) -> f32 {
        match self {
            Combine::Verifier => verifier,
            Combine::GeometricMean => (verifier.max(0.0) * detector.max(0.0)).sqrt(),
        }
    }
}

/// A ball-verifier manifest, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallVerifierManifest {
    /// Model name.
    pub name: String,
    /// ONNX file, relative to the manifest's directory (or absolute).
    pub file: PathBuf,
    /// Lower-case hex SHA-256 of the ONNX file; verified at start when present.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Input tensor name.
    pub input: String,
    /// Patch side (px), at the frame's own resolution.
    pub patch_px: u32,
    /// Value of patch pixels outside the frame (all three channels).
    pub pad_value: u8,
    /// Detector ball rows scoring below this are dropped without verification.
    pub candidate_score: f32,
    /// Most candidates verified per frame (best detector score first); the rest are dropped.
    pub max_candidates: usize,
    /// How the verified score is formed from the verifier's probability and the detector's score.
    pub combine: Combine,
    /// Threshold on the verified score; it replaces the detector manifest's
    /// `thresholds.ball_score`.
    pub score: f32,
    /// Local search around the last ball when the detector proposes none near it
    /// ([`super::ball_search`]); absent = no search.
    #[serde(default)]
    pub search: Option<BallSearchConfig>,
    /// Free-form training provenance; informational.
    #[serde(default)]
    pub provenance: BTreeMap<String, toml::Value>,
    /// Directory the manifest was read from (not serialised).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

impl BallVerifierManifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        Self::parse(&read_manifest(path)?, path)
    }

    /// Parses manifest text read from `path` (which names it in errors and gives `base_dir`).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let mut m: Self = parse_manifest(text, path)?;
        m.base_dir = manifest_dir(path);
        let invalid = |key: &'static str, message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        check_patch_px(m.patch_px, path)?;
        for (key, v) in [("candidate_score", m.candidate_score), ("score", m.score)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(key, format!("must be in 0..=1, got {v}")));
            }
        }
        if !(1..=256).contains(&m.max_candidates) {
            return Err(invalid(
                "max_candidates",
                format!("must be in 1..=256, got {}", m.max_candidates),
            ));
        }
        if let Some(Err((key, message))) = m.search.as_ref().map(BallSearchConfig::validate) {
            return Err(invalid(key, message));
        }
        check_sha256_value(m.sha256.as_deref(), path)?;
        Ok(m)
    }

    /// Absolute path of the ONNX file (`file` as is when absolute: `join` replaces).
    pub fn model_path(&self) -> PathBuf {
        self.base_dir.join(&self.file)
    }
}

/// Appends the patch around (`cx`, `cy`) frame px to `out` as planar B, G, R values / 255
/// (`3 · patch_px²` values; see the module docs for the geometry).
pub fn cut_patch(
    frame: &BgrFrame<'_>,
    cx: f32,
    cy: f32,
    patch_px: u32,
    pad: u8,
    out: &mut Vec<f32>,
) {
    let p = patch_px as i64;
    let x0 = cx.floor() as i64 - p / 2;
    let y0 = cy.floor() as i64 - p / 2;
    let (w, h) = (i64::from(frame.width), i64::from(frame.height));
    let pad = f32::from(pad) / 255.0;
    for ch in 0..3usize {
        for dy in 0..p {
            let y = y0 + dy;
            for dx in 0..p {
                let x = x0 + dx;
                let v = if (0..w).contains(&x) && (0..h).contains(&y) {
                    let i = ((y * w + x) * 3) as usize + ch;
                    frame.data.get(i).map_or(pad, |b| f32::from(*b) / 255.0)
                } else {
                    pad
                };
                out.push(v);
            }
        }
    }
}

/// A refined centre further than this from the candidate's (native px, per axis) is not trusted:
/// the verifier is trained on balls up to 13 px off the patch centre (`models/ball/extract.py`).
pub const MAX_REFINE_PX: f32 = 14.0;

/// Verified balls whose refined centres are this close (native px) are one ball seen by two
/// candidates; the better-scored one is kept (`models/ball/evaluate.py` scores the same way).
pub const DEDUPE_PX: f32 = 6.0;

/// Replaces the scores of `candidates` (ball detections, in the order they were cut) by the
/// verified score (`combine` of the verifier's `rows`, `[probability, dx, dy]` each, and the
/// detector's score), moves each box to the refined centre and keeps those scoring at least
/// `threshold`, best first, dropping one whose centre lies within [`DEDUPE_PX`] of a better one.
/// Rows that are not finite drop their candidate.
pub fn apply(
    candidates: Vec<Detection>,
    rows: &[[f32; 3]],
    combine: Combine,
    threshold: f32,
) -> Vec<Detection> {
    let mut verified: Vec<Detection> = candidates
        .into_iter()
        .zip(rows)
        .filter_map(|(mut d, &[p, dx, dy])| {
            if !(p.is_finite() && dx.is_finite() && dy.is_finite()) {
                return None;
            }
            let score = combine.score(p, d.score);
            if score < threshold {
                return None;
            }
            let (cx, cy) = d.box_px.centre();
            let (nx, ny) = (cx.floor() + dx, cy.floor() + dy);
            if (nx - cx).abs() <= MAX_REFINE_PX && (ny - cy).abs() <= MAX_REFINE_PX {
                let (w, h) = (d.box_px.width(), d.box_px.height());
                d.box_px = BoxPx::from_cxcywh(nx, ny, w, h);
            }
            d.score = score;
            Some(d)
        })
        .collect();
    verified.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::with_capacity(verified.len());
    for d in verified {
        let (x, y) = d.box_px.centre();
        let duplicate = kept.iter().any(|k| {
            let (kx, ky) = k.box_px.centre();
            (kx - x).hypot(ky - y) <= DEDUPE_PX
        });
        if !duplicate {
            kept.push(d);
        }
    }
    kept
}

/// The verifier shell: one ONNX Runtime session (run it on the detector's worker thread).
pub struct BallVerifier {
    manifest: BallVerifierManifest,
    session: PatchSession,
}

impl std::fmt::Debug for BallVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BallVerifier")
            .field("manifest", &self.manifest.name)
            .finish()
    }
}

impl BallVerifier {
    /// Loads and verifies the manifest, the file's sha256 and the session's input.
    pub fn open(path: &Path, session: impl Into<SessionConfig>) -> Result<Self, DetectorError> {
        let manifest = BallVerifierManifest::load(path)?;
        let session = PatchSession::open(
            manifest.model_path(),
            manifest.sha256.as_deref(),
            &manifest.input,
            manifest.patch_px,
            &manifest.name,
            &path.display().to_string(),
            session,
        )?;
        Ok(Self { manifest, session })
    }

    /// The manifest in use.
    pub fn manifest(&self) -> &BallVerifierManifest {
        &self.manifest
    }

    /// The verifier's rows (`[probability, dx, dy]`) for the patches centred at `centres`.
    pub fn run(
        &mut self,
        frame: &BgrFrame<'_>,
        centres: &[(f32, f32)],
    ) -> Result<Vec<[f32; 3]>, DetectorError> {
        let (p, pad) = (self.manifest.patch_px, self.manifest.pad_value);
        let input = self.session.input();
        for &(cx, cy) in centres {
            cut_patch(frame, cx, cy, p, pad, input);
        }
        self.session.run(centres.len())
    }

    /// Verifies the ball detections among `detections` (other classes pass through): the best
    /// `max_candidates` by detector score are re-scored, the rest dropped; those scoring under
    /// `threshold` after verification are dropped.
    pub fn verify(
        &mut self,
        frame: &BgrFrame<'_>,
        detections: Vec<Detection>,
        threshold: f32,
    ) -> Result<Vec<Detection>, DetectorError> {
        let (mut balls, mut out): (Vec<_>, Vec<_>) = detections
            .into_iter()
            .partition(|d| d.class == ObjectClass::Ball);
        balls.retain(|d| d.score >= self.manifest.candidate_score);
        if balls.is_empty() {
            return Ok(out);
        }
        balls.sort_by(|a, b| b.score.total_cmp(&a.score));
        balls.truncate(self.manifest.max_candidates);
        let centres: Vec<(f32, f32)> = balls.iter().map(|d| d.box_px.centre()).collect();
        let rows = self.run(frame, &centres)?;
        out.extend(apply(balls, &rows, self.manifest.combine, threshold));
        Ok(out)
    }

    /// Runs the verifier on patches centred at `centres` (a search grid) and returns the best
    /// find scoring at least the manifest's `search.score`, as a ball detection of size `size_px`
    /// at the refined centre, scored by the verifier's probability. `None` without a `[search]`
    /// table, with no centres, or when nothing passes.
    pub fn search(
        &mut self,
        frame: &BgrFrame<'_>,
        centres: &[(f32, f32)],
        size_px: (f32, f32),
        model_class_id: usize,
    ) -> Result<Option<Detection>, DetectorError> {
        let Some(search) = self.manifest.search else {
            return Ok(None);
        };
        if centres.is_empty() {
            return Ok(None);
        }
        let rows = self.run(frame, centres)?;
        Ok(best_find(
            centres,
            &rows,
            search.score,
            size_px,
            model_class_id,
        ))
    }
}

/// The best search find: the grid patch with the highest probability (at least `threshold`), its
/// box of `size_px` at the refined centre (offsets over half a patch are not trusted: the
/// patch centre is kept), tagged `model_class_id` (the detector's ball class). Rows that are not
/// finite are skipped.
pub fn best_find(
    centres: &[(f32, f32)],
    rows: &[[f32; 3]],
    threshold: f32,
    size_px: (f32, f32),
    model_class_id: usize,
) -> Option<Detection> {
    centres
        .iter()
        .zip(rows)
        .filter(|(_, [p, dx, dy])| p.is_finite() && dx.is_finite() && dy.is_finite())
        .filter(|(_, [p, ..])| *p >= threshold)
        .max_by(|a, b| a.1[0].total_cmp(&b.1[0]))
        .map(|(&(cx, cy), &[p, dx, dy])| {
            let (nx, ny) = (cx.floor() + dx, cy.floor() + dy);
            let (x, y) = if (nx - cx).abs() <= 16.0 && (ny - cy).abs() <= 16.0 {
                (nx, ny)
            } else {
                (cx, cy)
            };
            Detection {
                box_px: BoxPx::from_cxcywh(x, y, size_px.0.max(1.0), size_px.1.max(1.0)),
                score: p,
                class: ObjectClass::Ball,
                team: None,
                model_class_id,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "b"
file = "b.onnx"
input = "patches"
patch_px = 32
pad_value = 114
candidate_score = 0.05
max_candidates = 16
combine = "geometric_mean"
score = 0.5
"#;

    #[test]
    fn the_best_search_find_passes_the_threshold_and_is_refined() {
        let centres = [(100.0, 50.0), (108.0, 50.0), (116.5, 50.0)];
        let rows = [[0.7, 1.0, 0.5], [0.9, -2.0, 3.0], [f32::NAN, 0.0, 0.0]];
        let found = best_find(&centres, &rows, 0.6, (5.0, 6.0), 3);
        let Some(d) = found else {
            panic!("nothing found");
        };
        assert_eq!(d.score, 0.9);
        assert_eq!(d.box_px.centre(), (106.0, 53.0));
        assert_eq!((d.box_px.width(), d.box_px.height()), (5.0, 6.0));
        assert_eq!((d.class, d.model_class_id), (ObjectClass::Ball, 3));
        // Nothing over the threshold; a wild offset keeps the patch centre.
        assert!(best_find(&centres, &rows, 0.95, (5.0, 6.0), 3).is_none());
        let wild = best_find(&centres[..1], &[[0.8, 40.0, 0.0]], 0.5, (4.0, 4.0), 3);
        assert_eq!(wild.map(|d| d.box_px.centre()), Some((100.0, 50.0)));
    }

    #[test]
    fn a_bad_search_table_is_named() {
        let text = format!(
            "{GOOD}\n[search]\nstep_px = 8\nradius_steps = 1\nscore = 0.6\nmax_gap_ms = 0\n"
        );
        let err = BallVerifierManifest::parse(&text, Path::new("b.toml"));
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("search.max_gap_ms"), "{msg}");
        let ok =
            BallVerifierManifest::parse(&text.replace("= 0\n", "= 400\n"), Path::new("b.toml"));
        assert_eq!(
            ok.ok().and_then(|m| m.search).map(|s| s.max_gap_ms),
            Some(400)
        );
    }

    #[test]
    fn parses_and_names_bad_keys() {
        let m = BallVerifierManifest::parse(GOOD, Path::new("/models/b.toml"));
        assert_eq!(
            m.as_ref().map(|m| m.model_path()).ok(),
            Some(PathBuf::from("/models/b.onnx"))
        );
        for (from, to, key) in [
            ("patch_px = 32", "patch_px = 2", "patch_px"),
            ("score = 0.5", "score = 1.5", "`score`"),
            (
                "candidate_score = 0.05",
                "candidate_score = -1",
                "candidate_score",
            ),
            (
                "max_candidates = 16",
                "max_candidates = 0",
                "max_candidates",
            ),
            ("pad_value = 114", "pad_value = 114\npad = 1", "pad"),
            ("\"geometric_mean\"", "\"mean\"", "combine"),
        ] {
            let err = BallVerifierManifest::parse(&GOOD.replace(from, to), Path::new("b.toml"));
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(key), "{key}: {msg}");
        }
    }

    #[test]
    fn the_patch_is_centred_on_the_candidate_pixel_and_padded_outside() {
        // 8x6 frame, pixel (x, y) = (x, y, 200) in B, G, R.
        let (w, h) = (8u32, 6u32);
        let data: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| [x as u8, y as u8, 200]))
            .collect();
        let Ok(frame) = BgrFrame::new(w, h, &data) else {
            panic!("frame");
        };
        let mut out = Vec::new();
        cut_patch(&frame, 1.7, 0.2, 4, 114, &mut out);
        assert_eq!(out.len(), 3 * 16);
        // Patch pixel (2, 2) is frame pixel (1, 0); (0, 0) is frame (-1, -2): padding.
        let px = |ch: usize, x: usize, y: usize| out[ch * 16 + y * 4 + x] * 255.0;
        assert_eq!((px(0, 2, 2), px(1, 2, 2), px(2, 2, 2)), (1.0, 0.0, 200.0));
        assert_eq!(px(0, 3, 3), 2.0);
        assert_eq!(px(1, 3, 3), 1.0);
        assert_eq!(px(0, 0, 0), 114.0);
        assert_eq!(px(2, 1, 1), 114.0);
    }

    fn ball(cx: f32, cy: f32, score: f32) -> Detection {
        Detection {
            box_px: BoxPx::from_cxcywh(cx, cy, 4.0, 4.0),
            score,
            class: ObjectClass::Ball,
            team: None,
            model_class_id: 3,
        }
    }

    #[test]
    fn verified_scores_replace_the_detector_scores_and_centres_are_refined() {
        let kept = apply(
            vec![
                ball(10.4, 20.6, 0.1),
                ball(50.0, 50.0, 0.9),
                ball(5.0, 5.0, 0.3),
            ],
            &[[0.8, 1.0, -0.5], [0.2, 0.0, 0.0], [f32::NAN, 0.0, 0.0]],
            Combine::Verifier,
            0.5,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].score, 0.8);
        assert_eq!(kept[0].box_px.centre(), (11.0, 19.5));
        // A wild offset keeps the detector's centre; one up to MAX_REFINE_PX is followed.
        let kept = apply(
            vec![ball(10.0, 10.0, 0.1), ball(100.0, 10.0, 0.1)],
            &[[0.9, 30.0, 0.0], [0.8, 12.0, -3.0]],
            Combine::Verifier,
            0.5,
        );
        assert_eq!(kept[0].box_px.centre(), (10.0, 10.0));
        assert_eq!(kept[1].box_px.centre(), (112.0, 7.0));
        // Two candidates refined onto one ball are one detection: the better-scored one.
        let kept = apply(
            vec![
                ball(20.0, 20.0, 0.3),
                ball(28.0, 20.0, 0.6),
                ball(60.0, 20.0, 0.3),
            ],
            &[[0.7, 4.0, 0.0], [0.9, -3.0, 1.0], [0.7, 0.0, 0.0]],
            Combine::Verifier,
            0.5,
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[0].box_px.centre(), (25.0, 21.0));
        assert_eq!(kept[1].box_px.centre(), (60.0, 20.0));
        // Geometric mean: sqrt(0.9 · 0.4) = 0.6 passes 0.5; sqrt(0.9 · 0.1) = 0.3 does not.
        let kept = apply(
            vec![ball(10.0, 10.0, 0.4), ball(30.0, 10.0, 0.1)],
            &[[0.9, 0.0, 0.0], [0.9, 0.0, 0.0]],
            Combine::GeometricMean,
            0.5,
        );
        assert_eq!(kept.len(), 1);
        assert!((kept[0].score - 0.6).abs() < 1e-6, "{}", kept[0].score);
    }
}
