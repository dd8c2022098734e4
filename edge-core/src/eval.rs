//! Tracking metrics on the pitch: HOTA (DetA, AssA, LocA), CLEAR MOT (MOTA, id switches), IDF1,
//! position RMSE and per-class detection precision/recall.
//!
//! # Matching and similarity
//! Ground truth and predictions are compared by ground distance `d` (m) in the pitch frame with one
//! threshold `threshold_m` (default 1.0 m):
//! - similarity `S = max(0, 1 − d / threshold_m)` when the two share a [`ClassGroup`] (players
//!   and goalkeepers are one group), `S = 0` otherwise;
//! - a pair *can match* when `S > 0`, i.e. `d < threshold_m` and same class group.
//!
//! Ground-truth objects with `visible = false` are "don't care": in each frame, predictions are
//! first matched (Hungarian, maximum total `S`) to all ground truth, predictions matched to an
//! invisible object are removed, then invisible objects are removed. Neither counts anywhere.
//!
//! # HOTA (Luiten et al., IJCV 2021), as in TrackEval
//! Over `α ∈ {0.05, 0.10, …, 0.95}` (19 values):
//! 1. Global alignment: `A(g, t) = P / (n_g + n_t − P)` with `P = Σ_frames S(g,t) / (Σ_t' S(g,t') +
//!    Σ_g' S(g',t) − S(g,t))`, `n_g`/`n_t` the frames in which id `g`/`t` is present.
//! 2. Per frame one Hungarian matching maximising `Σ A(g,t) · S(g,t)`; for each α the matched pairs
//!    with `S ≥ α` are TP(α), the rest of ground truth FN(α), the rest of predictions FP(α).
//! 3. `DetA(α) = TP / (TP + FN + FP)`; `AssA(α) = Σ_TP c(g,t) / (n_g + n_t − c(g,t)) / TP`, `c(g,t)`
//!    the TP(α) count of the pair; `LocA(α)` = mean `S` over TP (1 when there is no TP, TrackEval's
//!    convention); `HOTA(α) = √(DetA · AssA)`.
//! 4. HOTA, DetA, AssA, LocA are the means over α.
//!
//! # CLEAR MOT
//! Per frame, a Hungarian matching over pairs that can match, maximising `S + 1000 ·
//! [t matched g in the previous frame]` (continuing matches win). TP/FN/FP from it; an id switch is
//! counted when a ground-truth id is matched to a different track id than at its previous match.
//! `MOTA = 1 − (FN + FP + IDSW) / GT`. Position RMSE (m) is over these TP pairs.
//!
//! # IDF1
//! `c(g, t)` = frames in which `g` and `t` can match (not one-to-one per frame); one global
//! Hungarian assignment of ground-truth ids to track ids maximises `IDTP = Σ c`;
//! `IDF1 = 2 IDTP / (GT + PRED)`, `IDP = IDTP / PRED`, `IDR = IDTP / GT`.
//!
//! # Detection precision/recall per class group
//! Per frame a Hungarian matching maximising `Σ S` (ids ignored); per [`ClassGroup`]:
//! `precision = TP / (TP + FP)`, `recall = TP / (TP + FN)` (`None` when the denominator is 0).
//!
//! Ratios whose denominator is 0 are 0 (HOTA family, MOTA, IDF1), e.g. every score of an empty
//! evaluation.

use std::collections::HashMap;
use std::fmt;

use nalgebra::Point2;
use serde::{Deserialize, Serialize};

use crate::assign::max_weight_pairs;
use crate::types::{ClassGroup, ObjectClass};

/// The HOTA similarity thresholds: 0.05, 0.10, …, 0.95.
pub const HOTA_ALPHAS: [f64; 19] = {
    let mut a = [0.0; 19];
    let mut k = 0;
    while k < 19 {
        a[k] = (k as f64 + 1.0) / 20.0;
        k += 1;
    }
    a
};

/// Tolerance on `S ≥ α`, as TrackEval's `np.finfo(float).eps`.
const ALPHA_EPS: f64 = f64::EPSILON;
/// Bonus that makes CLEAR MOT keep previous-frame matches.
const CONTINUITY_BONUS: f64 = 1000.0;

/// Errors of the evaluation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The threshold is not a positive finite number.
    #[error("invalid eval config: threshold_m must be positive and finite, got {0}")]
    InvalidThreshold(f64),
    /// A position is NaN or infinite.
    #[error("frame {frame}: {side} id {id} has a non-finite position")]
    NonFinite {
        /// Frame index (0-based, in push order).
        frame: usize,
        /// `"ground truth"` or `"prediction"`.
        side: &'static str,
        /// The object's id.
        id: u32,
    },
    /// The same id appears twice in one frame.
    #[error("frame {frame}: {side} id {id} appears more than once")]
    DuplicateId {
        /// Frame index (0-based, in push order).
        frame: usize,
        /// `"ground truth"` or `"prediction"`.
        side: &'static str,
        /// The repeated id.
        id: u32,
    },
}

/// Configuration of the evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Distance (m) at which similarity reaches 0; pairs match only closer than this.
    pub threshold_m: f64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig { threshold_m: 1.0 }
    }
}

/// A ground-truth object in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GtObject {
    /// Ground-truth identity (stable across frames).
    pub id: u32,
    /// Class.
    pub class: ObjectClass,
    /// Ground position (m).
    pub pitch_m: Point2<f64>,
    /// `false`: don't care (occluded, out of view); see the module docs.
    pub visible: bool,
}

/// A predicted (tracked) object in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredObject {
    /// Track id (stable across frames).
    pub track_id: u32,
    /// Class.
    pub class: ObjectClass,
    /// Ground position (m).
    pub pitch_m: Point2<f64>,
}

/// One frame of ground truth and predictions, for [`evaluate`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalFrame {
    /// Ground truth.
    pub gt: Vec<GtObject>,
    /// Predictions.
    pub pred: Vec<PredObject>,
}

/// HOTA family at one α.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlphaScores {
    /// Similarity threshold α.
    pub alpha: f64,
    /// `√(DetA · AssA)`.
    pub hota: f64,
    /// Detection accuracy.
    pub det_a: f64,
    /// Association accuracy.
    pub ass_a: f64,
    /// Localisation accuracy.
    pub loc_a: f64,
}

/// Detection counts for one class group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassDetection {
    /// The group.
    pub group: ClassGroup,
    /// Matched pairs.
    pub true_positives: u64,
    /// Unmatched predictions.
    pub false_positives: u64,
    /// Unmatched ground truth.
    pub false_negatives: u64,
    /// `TP / (TP + FP)`.
    pub precision: Option<f64>,
    /// `TP / (TP + FN)`.
    pub recall: Option<f64>,
}

/// All metrics of one evaluation; see the module docs for definitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The threshold used (m).
    pub threshold_m: f64,
    /// Frames evaluated.
    pub frames: usize,
    /// Visible ground-truth detections.
    pub gt_detections: u64,
    /// Predictions (after removing those on invisible ground truth).
    pub pred_detections: u64,
    /// Distinct ground-truth ids.
    pub gt_ids: usize,
    /// Distinct track ids.
    pub pred_ids: usize,
    /// HOTA (mean over α).
    pub hota: f64,
    /// DetA (mean over α).
    pub det_a: f64,
    /// AssA (mean over α).
    pub ass_a: f64,
    /// LocA (mean over α).
    pub loc_a: f64,
    /// HOTA family per α.
    pub per_alpha: Vec<AlphaScores>,
    /// `1 − (FN + FP + IDSW) / GT`.
    pub mota: f64,
    /// CLEAR MOT true positives.
    pub clear_true_positives: u64,
    /// CLEAR MOT false positives.
    pub clear_false_positives: u64,
    /// CLEAR MOT false negatives.
    pub clear_false_negatives: u64,
    /// CLEAR MOT identity switches.
    pub id_switches: u64,
    /// `2 IDTP / (GT + PRED)`.
    pub idf1: f64,
    /// `IDTP / PRED`.
    pub idp: f64,
    /// `IDTP / GT`.
    pub idr: f64,
    /// Identity true positives.
    pub idtp: u64,
    /// Root mean square ground distance (m) over CLEAR MOT matches; `None` without matches.
    pub position_rmse_m: Option<f64>,
    /// Detection precision/recall per class group, in [`ClassGroup::ALL`] order.
    pub per_class: Vec<ClassDetection>,
}

#[derive(Clone, Debug)]
struct Obj {
    id: usize,
    group: ClassGroup,
    pitch_m: Point2<f64>,
}

#[derive(Clone, Debug)]
struct Frame {
    gt: Vec<Obj>,
    pred: Vec<Obj>,
}

fn similarity(a: &Obj, b: &Obj, threshold_m: f64) -> f64 {
    if a.group != b.group {
        return 0.0;
    }
    (1.0 - (a.pitch_m - b.pitch_m).norm() / threshold_m).max(0.0)
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

fn opt_ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Accumulates frames, then computes [`Metrics`] (HOTA needs two passes over all frames).
#[derive(Clone, Debug)]
pub struct Evaluator {
    config: EvalConfig,
    gt_ids: HashMap<u32, usize>,
    pred_ids: HashMap<u32, usize>,
    frames: Vec<Frame>,
}

impl Evaluator {
    /// An empty evaluator.
    pub fn new(config: EvalConfig) -> Result<Self, EvalError> {
        if !(config.threshold_m.is_finite() && config.threshold_m > 0.0) {
            return Err(EvalError::InvalidThreshold(config.threshold_m));
        }
        Ok(Evaluator {
            config,
            gt_ids: HashMap::new(),
            pred_ids: HashMap::new(),
            frames: Vec::new(),
        })
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Adds one frame. Rejects (without adding anything) non-finite positions and ids repeated
    /// within the frame.
    pub fn push_frame(&mut self, gt: &[GtObject], pred: &[PredObject]) -> Result<(), EvalError> {
        let frame = self.frames.len();
        let mut seen = std::collections::HashSet::new();
        for g in gt {
            if !(g.pitch_m.x.is_finite() && g.pitch_m.y.is_finite()) {
                return Err(EvalError::NonFinite {
                    frame,
                    side: "ground truth",
                    id: g.id,
                });
            }
            if !seen.insert(g.id) {
                return Err(EvalError::DuplicateId {
                    frame,
                    side: "ground truth",
                    id: g.id,
                });
            }
        }
        seen.clear();
        for p in pred {
            if !(p.pitch_m.x.is_finite() && p.pitch_m.y.is_finite()) {
                return Err(EvalError::NonFinite {
                    frame,
                    side: "prediction",
                    id: p.track_id,
                });
            }
            if !seen.insert(p.track_id) {
                return Err(EvalError::DuplicateId {
                    frame,
                    side: "prediction",
                    id: p.track_id,
                });
            }
        }

        let threshold_m = self.config.threshold_m;
        // Ground truth is interned only when visible (an id never seen visible does not count).
        let all_gt: Vec<(bool, Obj)> = gt
            .iter()
            .map(|g| {
                let id = if g.visible {
                    let next = self.gt_ids.len();
                    *self.gt_ids.entry(g.id).or_insert(next)
                } else {
                    usize::MAX
                };
                (
                    g.visible,
                    Obj {
                        id,
                        group: g.class.group(),
                        pitch_m: g.pitch_m,
                    },
                )
            })
            .collect();
        // Predictions are interned only if they survive the don't-care filter.
        let raw_pred: Vec<(u32, Obj)> = pred
            .iter()
            .map(|p| {
                (
                    p.track_id,
                    Obj {
                        id: 0,
                        group: p.class.group(),
                        pitch_m: p.pitch_m,
                    },
                )
            })
            .collect();
        let mut keep = vec![true; raw_pred.len()];
        if all_gt.iter().any(|(visible, _)| !visible) && !raw_pred.is_empty() {
            let weights: Vec<f64> = all_gt
                .iter()
                .flat_map(|(_, g)| {
                    raw_pred
                        .iter()
                        .map(move |(_, p)| similarity(g, p, threshold_m))
                })
                .collect();
            for (gi, pi) in max_weight_pairs(all_gt.len(), raw_pred.len(), &weights) {
                if !all_gt[gi].0 {
                    keep[pi] = false;
                }
            }
        }
        let pred: Vec<Obj> = raw_pred
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|((track_id, mut obj), _)| {
                let next = self.pred_ids.len();
                obj.id = *self.pred_ids.entry(track_id).or_insert(next);
                obj
            })
            .collect();
        let gt: Vec<Obj> = all_gt
            .into_iter()
            .filter(|(v, _)| *v)
            .map(|(_, g)| g)
            .collect();
        self.frames.push(Frame { gt, pred });
        Ok(())
    }

    fn sim_matrix(&self, frame: &Frame) -> Vec<f64> {
        let t = self.config.threshold_m;
        frame
            .gt
            .iter()
            .flat_map(|g| frame.pred.iter().map(move |p| similarity(g, p, t)))
            .collect()
    }

    /// Computes all metrics over the frames pushed so far.
    pub fn finish(&self) -> Metrics {
        let n_g = self.gt_ids.len();
        let n_t = self.pred_ids.len();
        let mut gt_count = vec![0.0f64; n_g];
        let mut tr_count = vec![0.0f64; n_t];
        let mut potential = vec![0.0f64; n_g * n_t];
        let mut id_counts = vec![0.0f64; n_g * n_t];
        let mut gt_dets = 0u64;
        let mut pred_dets = 0u64;

        // Pass 1: id presence, HOTA potential matches, IDF1 co-occurrence counts.
        for frame in &self.frames {
            gt_dets += frame.gt.len() as u64;
            pred_dets += frame.pred.len() as u64;
            for g in &frame.gt {
                gt_count[g.id] += 1.0;
            }
            for p in &frame.pred {
                tr_count[p.id] += 1.0;
            }
            if frame.gt.is_empty() || frame.pred.is_empty() {
                continue;
            }
            let sim = self.sim_matrix(frame);
            let np = frame.pred.len();
            let row_sum: Vec<f64> = (0..frame.gt.len())
                .map(|i| sim[i * np..(i + 1) * np].iter().sum())
                .collect();
            let col_sum: Vec<f64> = (0..np)
                .map(|j| (0..frame.gt.len()).map(|i| sim[i * np + j]).sum())
                .collect();
            for (i, g) in frame.gt.iter().enumerate() {
                for (j, p) in frame.pred.iter().enumerate() {
                    let s = sim[i * np + j];
                    if s > 0.0 {
                        let den = row_sum[i] + col_sum[j] - s;
                        potential[g.id * n_t + p.id] += ratio(s, den);
                        id_counts[g.id * n_t + p.id] += 1.0;
                    }
                }
            }
        }
        let alignment: Vec<f64> = (0..n_g * n_t)
            .map(|k| {
                let (g, t) = (k / n_t.max(1), k % n_t.max(1));
                ratio(potential[k], gt_count[g] + tr_count[t] - potential[k])
            })
            .collect();

        // Pass 2: HOTA matching per α, CLEAR MOT, per-class detection.
        let na = HOTA_ALPHAS.len();
        let mut tp = [0u64; 19];
        let mut loc_sum = [0.0f64; 19];
        let mut pair_tp: HashMap<(usize, usize), [u32; 19]> = HashMap::new();
        let mut prev_frame_match: Vec<Option<usize>> = vec![None; n_g];
        let mut last_match: Vec<Option<usize>> = vec![None; n_g];
        let (mut clear_tp, mut id_switches) = (0u64, 0u64);
        let mut sq_err = 0.0f64;
        let mut class_tp = [0u64; 3];
        let mut class_gt = [0u64; 3];
        let mut class_pred = [0u64; 3];
        for frame in &self.frames {
            for g in &frame.gt {
                class_gt[g.group.index()] += 1;
            }
            for p in &frame.pred {
                class_pred[p.group.index()] += 1;
            }
            let mut this_frame_match: Vec<Option<usize>> = vec![None; n_g];
            if !frame.gt.is_empty() && !frame.pred.is_empty() {
                let sim = self.sim_matrix(frame);
                let (ng, np) = (frame.gt.len(), frame.pred.len());

                // HOTA.
                let score: Vec<f64> = (0..ng * np)
                    .map(|k| alignment[frame.gt[k / np].id * n_t + frame.pred[k % np].id] * sim[k])
                    .collect();
                for (i, j) in max_weight_pairs(ng, np, &score) {
                    let s = sim[i * np + j];
                    let key = (frame.gt[i].id, frame.pred[j].id);
                    for (a, alpha) in HOTA_ALPHAS.iter().enumerate() {
                        if s >= alpha - ALPHA_EPS {
                            tp[a] += 1;
                            loc_sum[a] += s;
                            pair_tp.entry(key).or_insert([0; 19])[a] += 1;
                        }
                    }
                }

                // CLEAR MOT.
                let clear_w: Vec<f64> = (0..ng * np)
                    .map(|k| {
                        let (g, p) = (&frame.gt[k / np], &frame.pred[k % np]);
                        if sim[k] > 0.0 {
                            let bonus = if prev_frame_match[g.id] == Some(p.id) {
                                CONTINUITY_BONUS
                            } else {
                                0.0
                            };
                            sim[k] + bonus
                        } else {
                            0.0
                        }
                    })
                    .collect();
                for (i, j) in max_weight_pairs(ng, np, &clear_w) {
                    let (g, p) = (&frame.gt[i], &frame.pred[j]);
                    clear_tp += 1;
                    sq_err += (g.pitch_m - p.pitch_m).norm_squared();
                    if last_match[g.id].is_some_and(|t| t != p.id) {
                        id_switches += 1;
                    }
                    last_match[g.id] = Some(p.id);
                    this_frame_match[g.id] = Some(p.id);
                }

                // Detection per class group.
                for (i, _) in max_weight_pairs(ng, np, &sim) {
                    class_tp[frame.gt[i].group.index()] += 1;
                }
            }
            prev_frame_match = this_frame_match;
        }

        let mut per_alpha = Vec::with_capacity(na);
        for (a, &alpha) in HOTA_ALPHAS.iter().enumerate() {
            let tp_a = tp[a] as f64;
            let fn_a = gt_dets as f64 - tp_a;
            let fp_a = pred_dets as f64 - tp_a;
            let det_a = ratio(tp_a, tp_a + fn_a + fp_a);
            let ass_sum: f64 = pair_tp
                .iter()
                .map(|(&(g, t), counts)| {
                    let c = f64::from(counts[a]);
                    c * ratio(c, gt_count[g] + tr_count[t] - c)
                })
                .sum();
            let ass_a = ratio(ass_sum, tp_a);
            let loc_a = if tp[a] > 0 { loc_sum[a] / tp_a } else { 1.0 };
            per_alpha.push(AlphaScores {
                alpha,
                hota: (det_a * ass_a).sqrt(),
                det_a,
                ass_a,
                loc_a,
            });
        }
        let mean = |f: fn(&AlphaScores) -> f64| per_alpha.iter().map(f).sum::<f64>() / na as f64;

        let clear_fn = gt_dets - clear_tp;
        let clear_fp = pred_dets - clear_tp;
        let mota = if gt_dets > 0 {
            1.0 - (clear_fn + clear_fp + id_switches) as f64 / gt_dets as f64
        } else {
            0.0
        };

        let idtp: u64 = max_weight_pairs(n_g, n_t, &id_counts)
            .into_iter()
            .map(|(g, t)| id_counts[g * n_t + t] as u64)
            .sum();

        let per_class = ClassGroup::ALL
            .iter()
            .map(|&group| {
                let k = group.index();
                ClassDetection {
                    group,
                    true_positives: class_tp[k],
                    false_positives: class_pred[k] - class_tp[k],
                    false_negatives: class_gt[k] - class_tp[k],
                    precision: opt_ratio(class_tp[k], class_pred[k]),
                    recall: opt_ratio(class_tp[k], class_gt[k]),
                }
            })
            .collect();

        Metrics {
            threshold_m: self.config.threshold_m,
            frames: self.frames.len(),
            gt_detections: gt_dets,
            pred_detections: pred_dets,
            gt_ids: n_g,
            pred_ids: n_t,
            hota: mean(|s| s.hota),
            det_a: mean(|s| s.det_a),
            ass_a: mean(|s| s.ass_a),
            loc_a: mean(|s| s.loc_a),
            per_alpha,
            mota,
            clear_true_positives: clear_tp,
            clear_false_positives: clear_fp,
            clear_false_negatives: clear_fn,
            id_switches,
            idf1: ratio(2.0 * idtp as f64, (gt_dets + pred_dets) as f64),
            idp: ratio(idtp as f64, pred_dets as f64),
            idr: ratio(idtp as f64, gt_dets as f64),
            idtp,
            position_rmse_m: (clear_tp > 0).then(|| (sq_err / clear_tp as f64).sqrt()),
            per_class,
        }
    }
}

/// Evaluates a whole sequence at once.
pub fn evaluate(config: &EvalConfig, frames: &[EvalFrame]) -> Result<Metrics, EvalError> {
    let mut ev = Evaluator::new(config.clone())?;
    for f in frames {
        ev.push_frame(&f.gt, &f.pred)?;
    }
    Ok(ev.finish())
}

/// A plain-text table: a header row and data rows; the first column is left-aligned, the others
/// right-aligned, columns separated by two spaces, a dashed rule under the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows (each as many cells as the header; missing cells print empty).
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given column titles.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let cell =
            |row: &Vec<String>, c: usize| row.get(c).map_or("", String::as_str).chars().count();
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .chain([&self.header])
                    .map(|r| cell(r, c))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let write_row = |f: &mut fmt::Formatter<'_>, row: &Vec<String>| -> fmt::Result {
            let mut line = String::new();
            for (c, w) in widths.iter().enumerate() {
                let text = row.get(c).map_or("", String::as_str);
                if c > 0 {
                    line.push_str("  ");
                }
                if c == 0 {
                    line.push_str(&format!("{text:<w$}"));
                } else {
                    line.push_str(&format!("{text:>w$}"));
                }
            }
            writeln!(f, "{}", line.trim_end())
        };
        write_row(f, &self.header)?;
        let total = widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
        writeln!(f, "{}", "-".repeat(total))?;
        for row in &self.rows {
            write_row(f, row)?;
        }
        Ok(())
    }
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.digits$}"))
}

impl Metrics {
    /// Summary table: one metric per row.
    pub fn summary_table(&self) -> Table {
        let mut t = Table::new(["metric", "value"]);
        let f3 = |v: f64| format!("{v:.3}");
        t.row(["HOTA".to_string(), f3(self.hota)])
            .row(["DetA".to_string(), f3(self.det_a)])
            .row(["AssA".to_string(), f3(self.ass_a)])
            .row(["LocA".to_string(), f3(self.loc_a)])
            .row(["MOTA".to_string(), f3(self.mota)])
            .row(["IDF1".to_string(), f3(self.idf1)])
            .row(["IDP".to_string(), f3(self.idp)])
            .row(["IDR".to_string(), f3(self.idr)])
            .row(["ID switches".to_string(), self.id_switches.to_string()])
            .row([
                "FP (CLEAR)".to_string(),
                self.clear_false_positives.to_string(),
            ])
            .row([
                "FN (CLEAR)".to_string(),
                self.clear_false_negatives.to_string(),
            ])
            .row([
                "position RMSE (m)".to_string(),
                fmt_opt(self.position_rmse_m, 3),
            ])
            .row(["frames".to_string(), self.frames.to_string()])
            .row([
                "GT detections / ids".to_string(),
                format!("{} / {}", self.gt_detections, self.gt_ids),
            ])
            .row([
                "predictions / ids".to_string(),
                format!("{} / {}", self.pred_detections, self.pred_ids),
            ])
            .row([
                "threshold (m)".to_string(),
                format!("{:.2}", self.threshold_m),
            ]);
        t
    }

    /// Per-class detection table.
    pub fn class_table(&self) -> Table {
        let mut t = Table::new(["class", "TP", "FP", "FN", "precision", "recall"]);
        for c in &self.per_class {
            t.row([
                c.group.name().to_string(),
                c.true_positives.to_string(),
                c.false_positives.to_string(),
                c.false_negatives.to_string(),
                fmt_opt(c.precision, 3),
                fmt_opt(c.recall, 3),
            ]);
        }
        t
    }
}

impl fmt::Display for Metrics {
    /// The summary table, a blank line, the per-class table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary_table())?;
        writeln!(f)?;
        write!(f, "{}", self.class_table())
    }
}

#[cfg(test)]
mod tests;
