//! `sample-feeds`: generate synthetic matches, export training frames, publish wearables.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use opencv::core::Vector;
use opencv::imgcodecs;
use sample_feeds::encode::Container;
use sample_feeds::export::{export_frames, ExportOptions, ImageFormat};
use sample_feeds::generate::{default_bitrate_kbps, write_feed, FeedSpec, VideoOptions};
use sample_feeds::render::{Look, Renderer};
use sample_feeds::scene::{Rig, RigKind};
use sample_feeds::sim::{MatchSim, SimConfig, SIM_HZ};

#[derive(Parser)]
#[command(
    version,
    about = "Deterministic synthetic football matches for Touchline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a feed: video per camera, ground truth, wearables, calibration, feed.toml.
    Generate {
        /// Seed: the same seed gives byte-identical truth and wearables, and identical decoded video.
        #[arg(long)]
        seed: u64,
        /// Output directory (e.g. sample-feeds/feeds/demo).
        #[arg(long)]
        out: PathBuf,
        /// Feed name (defaults to the directory name).
        #[arg(long)]
        name: Option<String>,
        /// Duration in seconds.
        #[arg(long, default_value_t = 32.0)]
        duration: f64,
        /// Frames per second (25, 50 or 60).
        #[arg(long, default_value_t = 25)]
        fps: u32,
        /// Resolution: 720p, 1080p or WxH.
        #[arg(long, default_value = "720p")]
        resolution: String,
        /// Cameras, comma-separated: main, left, right, broadcast, goal-neg, goal-pos.
        #[arg(long, default_value = "main")]
        cameras: String,
        /// Video bitrate per camera (kbit/s). Default: 0.1 bit per pixel per frame, a typical
        /// venue or contribution camera (2304 at 720p25, 5184 at 1080p25, 10368 at 1080p50).
        #[arg(long)]
        bitrate: Option<u32>,
        /// Container: mp4 or mkv.
        #[arg(long, default_value = "mp4")]
        container: String,
        /// Skip video (truth and wearables only).
        #[arg(long)]
        no_video: bool,
        /// Skip wearables.
        #[arg(long)]
        no_wearables: bool,
        /// Render without motion blur (each frame alone; default: 22 % of the previous frame).
        #[arg(long)]
        no_motion_blur: bool,
        /// Venue name written into calibration files.
        #[arg(long, default_value = "synthetic")]
        venue: String,
    },
    /// Render one still frame to a PNG (e.g. docs/frame-demo.png).
    Still {
        /// Seed.
        #[arg(long)]
        seed: u64,
        /// Match time (s).
        #[arg(long, default_value_t = 12.0)]
        time: f64,
        /// Camera name.
        #[arg(long, default_value = "broadcast")]
        camera: String,
        /// Resolution: 720p, 1080p or WxH.
        #[arg(long, default_value = "720p")]
        resolution: String,
        /// Output PNG.
        #[arg(long)]
        out: PathBuf,
    },
    /// Export still frames + boxes for detector training.
    Frames {
        /// Seed.
        #[arg(long)]
        seed: u64,
        /// Number of frames.
        #[arg(long)]
        count: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Image format: jpg or png.
        #[arg(long, default_value = "jpg")]
        format: String,
        /// Also write `debug/<i>.jpg` with the boxes drawn.
        #[arg(long)]
        draw_boxes: bool,
        /// Fraction (0..1) of frames rendered with motion blur, as the feeds are.
        #[arg(long, default_value_t = 0.0)]
        motion_blur: f64,
    },
    /// Publish a feed's wearables to an MQTT broker at real-time pace.
    Publish {
        /// Feed directory.
        #[arg(long)]
        feed: PathBuf,
        /// Broker host.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Broker port.
        #[arg(long, default_value_t = 1883)]
        port: u16,
        /// Venue name in topics (defaults to the feed's venue).
        #[arg(long)]
        venue: Option<String>,
        /// Playback speed factor (2 = twice real time).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

fn resolution(s: &str) -> Result<(u32, u32)> {
    Ok(match s {
        "720p" => (1280, 720),
        "1080p" => (1920, 1080),
        other => {
            let (w, h) = other
                .split_once('x')
                .with_context(|| format!("resolution `{other}`: expected 720p, 1080p or WxH"))?;
            (
                w.parse()
                    .with_context(|| format!("resolution width `{w}`"))?,
                h.parse()
                    .with_context(|| format!("resolution height `{h}`"))?,
            )
        }
    })
}

fn rigs(s: &str) -> Result<Vec<RigKind>> {
    s.split(',')
        .map(|c| RigKind::parse(c.trim()).with_context(|| format!("unknown camera `{c}`")))
        .collect()
}

fn progress_printer(label: &str) -> impl FnMut(u64, u64) + '_ {
    let started = std::time::Instant::now();
    move |done, total| {
        if done == total || done % 100 == 0 {
            let fps = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprintln!("{label}: {done}/{total} frames ({fps:.1} frames/s)");
        }
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate {
            seed,
            out,
            name,
            duration,
            fps,
            resolution: res,
            cameras,
            bitrate,
            container,
            no_video,
            no_wearables,
            no_motion_blur,
            venue,
        } => {
            let (width, height) = resolution(&res)?;
            let container = match container.as_str() {
                "mp4" => Container::Mp4,
                "mkv" => Container::Mkv,
                other => bail!("container `{other}`: expected mp4 or mkv"),
            };
            let name = name.unwrap_or_else(|| {
                out.file_name()
                    .map_or("feed".into(), |n| n.to_string_lossy().into_owned())
            });
            let spec = FeedSpec {
                name,
                seed,
                duration_s: duration,
                fps,
                width,
                height,
                cameras: rigs(&cameras)?,
                venue,
                video: (!no_video).then_some(VideoOptions {
                    container,
                    bitrate_kbps: bitrate
                        .unwrap_or_else(|| default_bitrate_kbps(width, height, fps)),
                    motion_blur: !no_motion_blur,
                }),
                wearables: !no_wearables,
            };
            let mut progress = progress_printer("generate");
            let w = write_feed(&spec, &out, &mut progress)
                .with_context(|| format!("generating feed into {}", out.display()))?;
            println!(
                "{}: {} frames x {} camera(s), {} goal(s), {:.1} s ({:.1} frames/s per camera)",
                out.display(),
                w.frames,
                spec.cameras.len(),
                w.goals,
                w.seconds,
                w.frames as f64 / w.seconds.max(1e-9)
            );
        }
        Command::Still {
            seed,
            time,
            camera,
            resolution: res,
            out,
        } => {
            let (w, h) = resolution(&res)?;
            let kind =
                RigKind::parse(&camera).with_context(|| format!("unknown camera `{camera}`"))?;
            let mut sim = MatchSim::new(SimConfig::for_seed(seed));
            let steps = (time.max(0.0) * SIM_HZ as f64) as u64;
            let mut rig = Rig::new(kind, w, h, *sim.pitch(), [0.5; 3]);
            let mut renderer = Renderer::new(Look::from_seed(seed), *sim.pitch())?;
            renderer.motion_blur = false;
            for i in 0..steps {
                sim.step();
                if i % 12 == 0 {
                    rig.camera(&sim.ball.pos, 0.04);
                }
            }
            let cam = rig
                .camera(&sim.ball.pos, 0.04)
                .context("degenerate camera")?;
            let frame = renderer.render(&cam, &sim.people, &sim.ball, true)?;
            let path = out.to_str().context("output path is not UTF-8")?;
            imgcodecs::imwrite(path, &frame.image, &Vector::new())
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "{} ({} look)",
                out.display(),
                if renderer.look().night {
                    "night"
                } else {
                    "day"
                }
            );
        }
        Command::Frames {
            seed,
            count,
            out,
            format,
            draw_boxes,
            motion_blur,
        } => {
            let format = match format.as_str() {
                "jpg" | "jpeg" => ImageFormat::Jpeg,
                "png" => ImageFormat::Png,
                other => bail!("format `{other}`: expected jpg or png"),
            };
            let mut progress = progress_printer("frames");
            let options = ExportOptions {
                format,
                draw_boxes,
                motion_blur_fraction: motion_blur,
            };
            let labels = export_frames(seed, count, &out, options, &mut progress)
                .with_context(|| format!("exporting frames into {}", out.display()))?;
            println!("{}: {count} images, {labels} labels", out.display());
        }
        Command::Publish {
            feed,
            host,
            port,
            venue,
            speed,
        } => {
            let venue = match venue {
                Some(v) => v,
                None => {
                    sample_feeds::truth::Feed::load(&feed)
                        .with_context(|| format!("reading {}", feed.display()))?
                        .manifest
                        .venue
                }
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting tokio")?;
            let sent = rt
                .block_on(sample_feeds::publish::publish(
                    &feed, &host, port, &venue, speed,
                ))
                .with_context(|| format!("publishing {} to {host}:{port}", feed.display()))?;
            println!("published {sent} messages");
        }
    }
    Ok(())
}
