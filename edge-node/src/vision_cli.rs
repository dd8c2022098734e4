//! `edge-node eval`: score the vision pipeline against a sample feed's ground truth.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edge_core::{BallConfig, TrackerConfig};
use edge_node::inference::ExecutionProvider;
use edge_node::vision::dead_ball::DeadBallConfig;
use edge_node::vision::eval::{run, BallLogRow, EvalOptions};

/// Arguments of `edge-node eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Sample feed directory (with feed.toml), e.g. sample-feeds/feeds/demo.
    #[arg(long)]
    pub feed: PathBuf,
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

/// Runs the evaluation and prints the tables.
pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let tracking = match &args.tracking {
        Some(path) => TrackingFile::load(path)?,
        None => TrackingFile::default(),
    };
    let report = run(&EvalOptions {
        feed_dir: args.feed.clone(),
        camera: args.camera,
        manifest: args.manifest,
        intra_threads: args.threads,
        provider: args.provider,
        kits: Vec::new(),
        decode_size: None,
        max_frames: args.max_frames,
        threshold_m: args.threshold_m,
        tracker: tracking.tracker,
        ball: tracking.ball,
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
    println!("eval: {} ({} frames)", args.feed.display(), report.frames);
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
    Ok(())
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
