//! `edge-node eval`: score the vision pipeline against a sample feed's ground truth.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edge_core::{BallConfig, ClassGroup, TrackerConfig};
use edge_node::inference::ExecutionProvider;
use edge_node::vision::dead_ball::DeadBallConfig;
use edge_node::vision::eval::{run, BallLogRow, EvalOptions, EvalReport};

/// Arguments of `edge-node eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Sample feed directory (with feed.toml), e.g. sample-feeds/feeds/demo. Several (`--feed A
    /// --feed B` or `--feed A B`): each is scored in turn, then one summary table with the mean;
    /// a feed that fails is reported and the others still run.
    #[arg(long, required = true, num_args = 1..)]
    pub feed: Vec<PathBuf>,
    /// Camera name (default: the first camera with a video).
    #[arg(long)]
    pub camera: Option<String>,
    /// Detector manifest.
    #[arg(long, default_value = "models/touchline-det.toml")]
    pub manifest: PathBuf,
    /// ONNX Runtime threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// ONNX Runtime execution provider: cpu, cuda[:N], tensorrt[:N] or openvino.
    #[arg(long, default_value = "cpu")]
    pub provider: ExecutionProvider,
    /// Stop after this many frames.
    #[arg(long)]
    pub max_frames: Option<u64>,
    /// Matching distance threshold in metres.
    #[arg(long, default_value_t = 1.0)]
    pub threshold_m: f64,
    /// TOML file with `[tracker]`, `[ball]` and/or `[dead_ball]` tables (edge_core::TrackerConfig,
    /// BallConfig, edge_node::vision::dead_ball::DeadBallConfig fields; unset fields keep their
    /// defaults).
    #[arg(long)]
    pub tracking: Option<PathBuf>,
    /// Write the ball, frame by frame, to this CSV file: the truth (ray ground point, height,
    /// image position) against the reported ball, and how the frame scores (hit, missed, wrong,
    /// phantom, quiet).
    #[arg(long)]
    pub ball_log: Option<PathBuf>,
    /// Write every scored object, frame by frame, to this CSV file: `frame,source,id,class,
    /// visible,x_m,y_m` with source `truth` (visible = scored, not occluded or out of view) or
    /// `track` (the reported tracks); for following an id switch or a miss by hand.
    #[arg(long)]
    pub objects_log: Option<PathBuf>,
}

/// The `--tracking` file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackingFile {
    /// People tracker.
    pub tracker: TrackerConfig,
    /// Ball tracker.
    pub ball: BallConfig,
    /// Dead-ball scan (`edge_node::vision::dead_ball`).
    pub dead_ball: DeadBallConfig,
}

impl TrackingFile {
    /// Reads and validates a tracking file; errors name the file and the key.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading tracking config {}", path.display()))?;
        let file: TrackingFile =
            toml::from_str(&text).with_context(|| format!("tracking config {}", path.display()))?;
        file.tracker
            .validate()
            .with_context(|| format!("tracking config {}: [tracker]", path.display()))?;
        file.ball
            .validate()
            .with_context(|| format!("tracking config {}: [ball]", path.display()))?;
        file.dead_ball.validate().map_err(|(key, message)| {
            anyhow::anyhow!(
                "tracking config {}: [dead_ball] {key}: {message}",
                path.display()
            )
        })?;
        Ok(file)
    }
}

/// Runs the evaluation of every feed and prints the tables (and, for several feeds, a summary).
pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    if args.feed.len() > 1 && (args.ball_log.is_some() || args.objects_log.is_some()) {
        anyhow::bail!(
            "--ball-log and --objects-log take a single --feed ({} given)",
            args.feed.len()
        );
    }
    let tracking = match &args.tracking {
        Some(path) => TrackingFile::load(path)?,
        None => TrackingFile::default(),
    };
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for feed in &args.feed {
        match eval_feed(&args, &tracking, feed) {
            Ok(report) => rows.push(SummaryRow::new(feed, &report)),
            Err(e) if args.feed.len() > 1 => {
                eprintln!("eval: {}: {e:#}", feed.display());
                failed.push(feed.display().to_string());
            }
            Err(e) => return Err(e),
        }
    }
    if args.feed.len() > 1 {
        println!("\n{}", summary_table(&rows));
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} feeds failed: {}",
            failed.len(),
            args.feed.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Scores one feed and prints its tables (and writes the logs asked for).
fn eval_feed(
    args: &EvalArgs,
    tracking: &TrackingFile,
    feed: &std::path::Path,
) -> anyhow::Result<EvalReport> {
    let report = run(&EvalOptions {
        feed_dir: feed.to_path_buf(),
        camera: args.camera.clone(),
        manifest: args.manifest.clone(),
        intra_threads: args.threads,
        provider: args.provider,
        kits: Vec::new(),
        decode_size: None,
        max_frames: args.max_frames,
        threshold_m: args.threshold_m,
        tracker: tracking.tracker.clone(),
        ball: tracking.ball.clone(),
        dead_ball: tracking.dead_ball,
    })?;
    if let Some(path) = &args.ball_log {
        let mut text = String::from(BallLogRow::CSV_HEADER);
        text.push('\n');
        for row in &report.ball_log {
            text.push_str(&row.csv());
            text.push('\n');
        }
        std::fs::write(path, text)
            .with_context(|| format!("writing the ball log {}", path.display()))?;
    }
    if let Some(path) = &args.objects_log {
        std::fs::write(path, objects_csv(&report.scored))
            .with_context(|| format!("writing the objects log {}", path.display()))?;
    }
    println!("eval: {} ({} frames)", feed.display(), report.frames);
    println!("all classes:\n{}", report.metrics);
    let p = &report.players;
    println!(
        "players and goalkeepers only: HOTA {:.3} (DetA {:.3}, AssA {:.3}, LocA {:.3}), MOTA {:.3}, IDF1 {:.3}, ID switches {}, position RMSE {}",
        p.hota,
        p.det_a,
        p.ass_a,
        p.loc_a,
        p.mota,
        p.idf1,
        p.id_switches,
        p.position_rmse_m
            .map_or("-".to_string(), |r| format!("{r:.3} m"))
    );
    println!(
        "throughput {:.1} fps (decode + detect + track); detect+track latency p50 {:.1} ms, p99 {:.1} ms",
        report.fps(),
        report.latency_percentile_us(50.0) as f64 / 1000.0,
        report.latency_percentile_us(99.0) as f64 / 1000.0
    );
    let [pre, inf, foot, ball, track] = report.stage_means_ms();
    println!(
        "mean per frame: preprocess {pre:.2} ms, detector {inf:.2} ms, foot refiner {foot:.2} ms, ball verifier + search {ball:.2} ms, tracking {track:.2} ms"
    );
    if let Some(d) = report.dead_ball {
        println!(
            "dead-ball scan: {} of {} frames, {} patches verified, {} frames with a find",
            d.frames, report.frames, d.patches, d.finds
        );
    }
    Ok(report)
}

/// One feed's line of the multi-feed summary.
#[derive(Debug, Clone, PartialEq)]
struct SummaryRow {
    feed: String,
    frames: u64,
    /// Players + goalkeepers.
    hota: f64,
    det_a: f64,
    ass_a: f64,
    idf1: f64,
    id_switches: u64,
    rmse_m: Option<f64>,
    /// Ball true positives, false positives, false negatives.
    ball: (u64, u64, u64),
    fps: f64,
}

impl SummaryRow {
    fn new(feed: &std::path::Path, report: &EvalReport) -> Self {
        let p = &report.players;
        let ball = report
            .metrics
            .per_class
            .iter()
            .find(|c| c.group == ClassGroup::Ball)
            .map_or((0, 0, 0), |c| {
                (c.true_positives, c.false_positives, c.false_negatives)
            });
        Self {
            feed: feed.display().to_string(),
            frames: report.frames,
            hota: p.hota,
            det_a: p.det_a,
            ass_a: p.ass_a,
            idf1: p.idf1,
            id_switches: p.id_switches,
            rmse_m: p.position_rmse_m,
            ball,
            fps: report.fps(),
        }
    }
}

/// `tp / (tp + other)`, or "-" with nothing to count.
fn ratio(tp: u64, other: u64) -> String {
    if tp + other == 0 {
        "-".to_string()
    } else {
        format!("{:.3}", tp as f64 / (tp + other) as f64)
    }
}

/// The mean over the feeds that ran, as a row: scores and fps averaged, RMSE over the feeds that
/// have one, frames, ID switches and the ball counts summed. `None` without rows.
fn mean_row(rows: &[SummaryRow]) -> Option<SummaryRow> {
    if rows.is_empty() {
        return None;
    }
    let n = rows.len() as f64;
    let mean = |f: fn(&SummaryRow) -> f64| rows.iter().map(f).sum::<f64>() / n;
    let rmse: Vec<f64> = rows.iter().filter_map(|r| r.rmse_m).collect();
    Some(SummaryRow {
        feed: format!("mean of {}", rows.len()),
        frames: rows.iter().map(|r| r.frames).sum(),
        hota: mean(|r| r.hota),
        det_a: mean(|r| r.det_a),
        ass_a: mean(|r| r.ass_a),
        idf1: mean(|r| r.idf1),
        id_switches: rows.iter().map(|r| r.id_switches).sum(),
        rmse_m: (!rmse.is_empty()).then(|| rmse.iter().sum::<f64>() / rmse.len() as f64),
        ball: rows.iter().fold((0, 0, 0), |a, r| {
            (a.0 + r.ball.0, a.1 + r.ball.1, a.2 + r.ball.2)
        }),
        fps: mean(|r| r.fps),
    })
}

/// The multi-feed table (players + goalkeepers; the ball over all its frames), ending with the
/// [`mean_row`] of the feeds that ran.
fn summary_table(rows: &[SummaryRow]) -> String {
    use std::fmt::Write as _;
    let mut t = String::from(
        "| feed | frames | players HOTA | DetA | AssA | IDF1 | ID sw | RMSE m | ball TP / FP / FN | ball P / R | fps |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows.iter().chain(mean_row(rows).as_ref()) {
        let (tp, fp, fal) = r.ball;
        let _ = writeln!(
            t,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} | {tp} / {fp} / {fal} | {} / {} | {:.1} |",
            r.feed,
            r.frames,
            r.hota,
            r.det_a,
            r.ass_a,
            r.idf1,
            r.id_switches,
            r.rmse_m.map_or("-".to_string(), |m| format!("{m:.3}")),
            ratio(tp, fp),
            ratio(tp, fal),
            r.fps
        );
    }
    t
}

/// The `--objects-log` CSV: one row per truth object and per reported track per frame.
fn objects_csv(frames: &[edge_core::eval::EvalFrame]) -> String {
    use std::fmt::Write as _;
    let mut text = String::from("frame,source,id,class,visible,x_m,y_m\n");
    for (frame, f) in frames.iter().enumerate() {
        for g in &f.gt {
            let _ = writeln!(
                text,
                "{frame},truth,{},{:?},{},{:.3},{:.3}",
                g.id,
                g.class,
                u8::from(g.visible),
                g.pitch_m.x,
                g.pitch_m.y
            );
        }
        for p in &f.pred {
            let _ = writeln!(
                text,
                "{frame},track,{},{:?},1,{:.3},{:.3}",
                p.track_id, p.class, p.pitch_m.x, p.pitch_m.y
            );
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> anyhow::Result<TrackingFile> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tracking.toml");
        std::fs::write(&path, text)?;
        TrackingFile::load(&path)
    }

    fn row(feed: &str, hota: f64, rmse_m: Option<f64>, ball: (u64, u64, u64)) -> SummaryRow {
        SummaryRow {
            feed: feed.to_string(),
            frames: 100,
            hota,
            det_a: hota,
            ass_a: hota,
            idf1: 0.9,
            id_switches: 2,
            rmse_m,
            ball,
            fps: 50.0,
        }
    }

    #[test]
    fn the_summary_means_the_scores_and_pools_the_ball_counts() {
        let t = summary_table(&[
            row("a", 0.8, Some(0.1), (90, 10, 10)),
            row("b", 0.9, None, (0, 0, 0)),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[2].starts_with("| a | 100 | 0.800 |"), "{t}");
        // No ball at all: no precision or recall to print, rather than 0 or NaN.
        assert!(lines[3].contains("| 0 / 0 / 0 | - / - |"), "{t}");
        // Mean HOTA 0.85, summed ID switches and frames, RMSE over the feeds that have one,
        // ball P / R from the pooled counts (90 / 100 both).
        assert!(
            lines[4].starts_with("| mean of 2 | 200 | 0.850 | 0.850 | 0.850 | 0.900 | 4 | 0.100 | 90 / 10 / 10 | 0.900 / 0.900 | 50.0 |"),
            "{t}"
        );
    }

    #[test]
    fn logs_with_several_feeds_are_refused_before_anything_runs() {
        let args = EvalArgs {
            feed: vec![
                PathBuf::from("/nonexistent/a"),
                PathBuf::from("/nonexistent/b"),
            ],
            camera: None,
            manifest: PathBuf::from("/nonexistent/model.toml"),
            threads: 1,
            provider: ExecutionProvider::Cpu,
            max_frames: None,
            threshold_m: 1.0,
            tracking: None,
            ball_log: Some(PathBuf::from("/nonexistent/ball.csv")),
            objects_log: None,
        };
        let err = eval(args).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("take a single --feed (2 given)"), "{err}");
    }

    #[test]
    fn a_tracking_file_overrides_only_what_it_names() -> anyhow::Result<()> {
        let f = load("[tracker]\nrole_switch_cost = 1.0\n[ball]\nmax_coast_m = 3.0\n")?;
        assert_eq!(f.tracker.role_switch_cost, 1.0);
        assert_eq!(f.tracker.high_score, TrackerConfig::default().high_score);
        assert_eq!(f.ball.max_coast_m, 3.0);
        Ok(())
    }

    #[test]
    fn bad_tracking_files_name_the_file_and_the_key() {
        let err = |text: &str| {
            format!(
                "{:#}",
                load(text).err().map_or(anyhow::anyhow!("accepted"), |e| e)
            )
        };
        let unknown = err("[tracker]\nrole_switch_costs = 1.0\n");
        assert!(
            unknown.contains("role_switch_costs") && unknown.contains("tracking.toml"),
            "{unknown}"
        );
        let range = err("[tracker]\nrole_switch_cost = -1.0\n");
        assert!(
            range.contains("role_switch_cost") && range.contains("[tracker]"),
            "{range}"
        );
        let ball = err("[ball]\nmax_hypotheses = 0\n");
        assert!(
            ball.contains("max_hypotheses") && ball.contains("[ball]"),
            "{ball}"
        );
    }

    #[test]
    fn the_objects_log_has_a_row_per_truth_object_and_track() {
        use edge_core::eval::{EvalFrame, GtObject, PredObject};
        use edge_core::ObjectClass;
        use nalgebra::Point2;
        let frames = [
            EvalFrame {
                gt: vec![
                    GtObject {
                        id: 7,
                        class: ObjectClass::Player,
                        pitch_m: Point2::new(1.0, -2.5),
                        visible: true,
                    },
                    GtObject {
                        id: 8,
                        class: ObjectClass::Referee,
                        pitch_m: Point2::new(0.0, 0.0),
                        visible: false,
                    },
                ],
                pred: vec![PredObject {
                    track_id: 3,
                    class: ObjectClass::Player,
                    pitch_m: Point2::new(1.1, -2.4),
                }],
            },
            EvalFrame::default(),
            EvalFrame {
                gt: vec![],
                pred: vec![PredObject {
                    track_id: 4,
                    class: ObjectClass::Ball,
                    pitch_m: Point2::new(10.25, 3.0),
                }],
            },
        ];
        assert_eq!(
            objects_csv(&frames),
            "frame,source,id,class,visible,x_m,y_m\n\
             0,truth,7,Player,1,1.000,-2.500\n\
             0,truth,8,Referee,0,0.000,0.000\n\
             0,track,3,Player,1,1.100,-2.400\n\
             2,track,4,Ball,1,10.250,3.000\n"
        );
    }
}
