//! Orchestration: runs the simulation, the wearables, the cameras and the renderer frame by
//! frame and produces the ground-truth texts (in memory, so determinism is testable) and,
//! optionally, the encoded video.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use calibration::pitch::End;
use calibration::{CalibrationFile, Pitch};
use opencv::prelude::*;

use crate::encode::{Container, EncodeError, Encoder};
use crate::render::{Look, RenderError, Renderer};
use crate::scene::{Rig, RigKind};
use crate::sim::{step_time_ns, EventKind, MatchSim, SimConfig, SIM_HZ};
use crate::truth::{CameraEntry, EventRecord, Files, Manifest, FEED_FORMAT};
use crate::wearables::{Wearables, WEARABLE_HZ};

/// Why a feed could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The request is impossible.
    #[error("invalid feed spec: {0}")]
    Spec(String),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// OpenCV failed.
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
    /// Writing a file failed.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Calibration output failed.
    #[error(transparent)]
    Calibration(#[from] calibration::CalibrationFileError),
    /// Manifest serialisation failed.
    #[error("manifest: {0}")]
    Manifest(String),
}

/// Video settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoOptions {
    /// Container.
    pub container: Container,
    /// Average bitrate per camera (kbit/s).
    pub bitrate_kbps: u32,
    /// Blend 22 % of the previous frame into each frame (camera motion blur; on by default).
    pub motion_blur: bool,
}

/// Bits per pixel per frame of [`default_bitrate_kbps`].
pub const DEFAULT_BITS_PER_PIXEL: f64 = 0.1;

/// The default video bitrate (kbit/s) for a `width × height` camera at `fps`:
/// [`DEFAULT_BITS_PER_PIXEL`], the rate of a typical venue or contribution camera (720p25:
/// 2.3 Mbit/s, 1080p50: 10.4 Mbit/s). Much lower rates erase a 2-3 px ball on a painted line;
/// ask for them with an explicit bitrate to stress the pipeline.
pub fn default_bitrate_kbps(width: u32, height: u32, fps: u32) -> u32 {
    let kbps =
        f64::from(width) * f64::from(height) * f64::from(fps) * DEFAULT_BITS_PER_PIXEL / 1000.0;
    kbps.round().clamp(100.0, f64::from(u32::MAX)) as u32
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSpec {
    /// Feed name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Duration (s).
    pub duration_s: f64,
    /// Frame rate: a divisor of 300 (25, 50, 60, …).
    pub fps: u32,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Cameras.
    pub cameras: Vec<RigKind>,
    /// Venue name.
    pub venue: String,
    /// Video, or `None` for truth only.
    pub video: Option<VideoOptions>,
    /// Whether to generate wearables.
    pub wearables: bool,
}

/// Everything a feed contains except the video, as file texts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedTexts {
    /// `truth/objects.csv`.
    pub objects: String,
    /// `truth/positions.csv`.
    pub positions: String,
    /// Per camera: (name, `truth/boxes-<cam>.csv`).
    pub boxes: Vec<(String, String)>,
    /// Per moving camera: (name, `truth/calib-<cam>.csv`).
    pub per_frame_calibration: Vec<(String, String)>,
    /// Per camera: (name, calibration TOML at frame 0).
    pub calibration: Vec<(String, String)>,
    /// `truth/events.jsonl`.
    pub events: String,
    /// `wearables/samples.csv`.
    pub wearables: String,
    /// `wearables/devices.csv`.
    pub devices: String,
    /// `wearables/anomalies.csv`.
    pub anomalies: String,
    /// Frames generated.
    pub frames: u64,
    /// Goals in the feed.
    pub goals: u32,
}

/// Progress callback: (frames done, frames total).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

impl FeedSpec {
    fn validate(&self) -> Result<u64, GenerateError> {
        if self.fps == 0 || !SIM_HZ.is_multiple_of(u64::from(self.fps)) {
            return Err(GenerateError::Spec(format!(
                "fps {} must divide {SIM_HZ} (25, 50, 60, …)",
                self.fps
            )));
        }
        if !(self.duration_s.is_finite() && self.duration_s > 0.0 && self.duration_s <= 3600.0) {
            return Err(GenerateError::Spec(format!(
                "duration {} s must be in (0, 3600]",
                self.duration_s
            )));
        }
        if self.width < 64 || self.height < 64 || self.width % 2 == 1 || self.height % 2 == 1 {
            return Err(GenerateError::Spec(format!(
                "resolution {}x{} must be even and at least 64x64",
                self.width, self.height
            )));
        }
        if self.cameras.is_empty() {
            return Err(GenerateError::Spec("no cameras".into()));
        }
        Ok((self.duration_s * f64::from(self.fps)).round() as u64)
    }
}

/// Runs the match and produces the texts; `on_frame(camera index, BGR image)` receives every
/// rendered frame when `spec.video` is set.
pub fn run(
    spec: &FeedSpec,
    on_frame: &mut dyn FnMut(usize, &opencv::core::Mat) -> Result<(), GenerateError>,
    progress: Progress<'_>,
) -> Result<FeedTexts, GenerateError> {
    let frames = spec.validate()?;
    let steps_per_frame = SIM_HZ / u64::from(spec.fps);
    let steps_per_sample = SIM_HZ / WEARABLE_HZ;
    let pitch = Pitch::STANDARD;
    let mut sim = MatchSim::new(SimConfig::for_seed(spec.seed));
    let duration_ns = step_time_ns(frames * steps_per_frame);
    let mut wear = spec
        .wearables
        .then(|| Wearables::new(spec.seed, &sim.people[..22], duration_ns));
    let look = Look::from_seed(spec.seed);
    let mut rigs: Vec<Rig> = spec
        .cameras
        .iter()
        .map(|&k| Rig::new(k, spec.width, spec.height, pitch, [0.5; 3]))
        .collect();
    let mut renderers = spec
        .cameras
        .iter()
        .map(|_| {
            Renderer::new(look.clone(), pitch).map(|mut r| {
                r.motion_blur = spec.video.is_none_or(|v| v.motion_blur);
                r
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut t = FeedTexts {
        objects: "object,class,team,number\n".into(),
        positions: "frame,object,x,y,z\n".into(),
        events: String::new(),
        wearables: "device,seq,t_dev_us,x,y,ax,ay,az,gx,gy,gz,hr\n".into(),
        ..Default::default()
    };
    for p in &sim.people {
        let _ = writeln!(
            t.objects,
            "{},{},{},{}",
            p.id,
            p.class.as_str(),
            p.team.map_or("", |x| x.as_str()),
            p.number
        );
    }
    t.objects.push_str("B,ball,,0\n");
    let mut boxes: Vec<String> = spec
        .cameras
        .iter()
        .map(|_| "frame,object,visible,x0,y0,x1,y1,occlusion\n".to_string())
        .collect();
    let mut calib_rows: Vec<String> = spec
        .cameras
        .iter()
        .map(|_| "frame,fx,fy,cx,cy,rx,ry,rz,px,py,pz\n".to_string())
        .collect();
    let dt_frame = 1.0 / f64::from(spec.fps);
    let wear_sample = |sim: &MatchSim, wear: &mut Option<Wearables>, out: &mut String| {
        if let Some(w) = wear {
            let tn = step_time_ns(sim.step_index());
            for s in w.sample(tn, &sim.people[..22]) {
                s.write_csv(&w.devices, out);
                out.push('\n');
            }
        }
    };
    wear_sample(&sim, &mut wear, &mut t.wearables);
    for frame in 0..frames {
        if frame > 0 {
            for _ in 0..steps_per_frame {
                sim.step();
                if sim.step_index().is_multiple_of(steps_per_sample) {
                    wear_sample(&sim, &mut wear, &mut t.wearables);
                }
                for e in sim.drain_events() {
                    let rec = event_record(&e.kind, e.step, steps_per_frame, &sim);
                    if matches!(e.kind, EventKind::Goal { .. }) {
                        t.goals += 1;
                    }
                    if let Ok(line) = serde_json::to_string(&rec) {
                        t.events.push_str(&line);
                        t.events.push('\n');
                    }
                }
            }
        }
        for p in &sim.people {
            let _ = writeln!(
                t.positions,
                "{frame},{},{:.2},{:.2},0.00",
                p.id, p.pos.x, p.pos.y
            );
        }
        let b = sim.ball.pos;
        let _ = writeln!(t.positions, "{frame},B,{:.2},{:.2},{:.2}", b.x, b.y, b.z);
        for (ci, rig) in rigs.iter_mut().enumerate() {
            let cam = rig
                .camera(&sim.ball.pos, dt_frame)
                .ok_or_else(|| GenerateError::Spec("degenerate camera pose".into()))?;
            if frame == 0 {
                let cf = CalibrationFile::new(&spec.venue, rig.kind.name(), &cam, pitch);
                t.calibration
                    .push((rig.kind.name().to_string(), cf.to_toml()?));
            }
            if rig.kind.is_moving() {
                let r = cam.pose.rvec();
                let c = cam.pose.position;
                let k = cam.intrinsics;
                let _ = writeln!(
                    calib_rows[ci],
                    "{frame},{:.4},{:.4},{:.4},{:.4},{:.7},{:.7},{:.7},{:.4},{:.4},{:.4}",
                    k.fx, k.fy, k.cx, k.cy, r.x, r.y, r.z, c.x, c.y, c.z
                );
            }
            let out = renderers[ci].render(&cam, &sim.people, &sim.ball, spec.video.is_some())?;
            let ids = sim.people.iter().map(|p| p.id.as_str()).chain(["B"]);
            for (view, id) in out.objects.iter().zip(ids) {
                let Some(bb) = view.bbox else { continue };
                if !bb.intersects_image(spec.width, spec.height) {
                    continue;
                }
                let visible = view.occlusion < 0.9;
                let _ = writeln!(
                    boxes[ci],
                    "{frame},{id},{},{:.1},{:.1},{:.1},{:.1},{:.2}",
                    u8::from(visible),
                    bb.x0,
                    bb.y0,
                    bb.x1,
                    bb.y1,
                    view.occlusion
                );
            }
            if spec.video.is_some() {
                on_frame(ci, &out.image)?;
            }
        }
        progress(frame + 1, frames);
    }
    if let Some(w) = &wear {
        t.devices = "device,object,offset_ns,drift_ppm\n".into();
        for d in &w.devices {
            let _ = writeln!(
                t.devices,
                "{},{},{},{:.2}",
                d.id, d.object, d.offset_ns, d.drift_ppm
            );
        }
        t.anomalies = "device,object,kind,start_ns,end_ns,detail\n".into();
        for a in &w.anomalies {
            let _ = writeln!(
                t.anomalies,
                "{},{},{},{},{},{}",
                a.device,
                a.object,
                a.kind.as_str(),
                a.start_ns,
                a.end_ns,
                a.detail
            );
        }
    } else {
        t.wearables.clear();
    }
    for (ci, rig) in rigs.iter().enumerate() {
        let name = rig.kind.name().to_string();
        t.boxes.push((name.clone(), std::mem::take(&mut boxes[ci])));
        if rig.kind.is_moving() {
            t.per_frame_calibration
                .push((name, std::mem::take(&mut calib_rows[ci])));
        }
    }
    t.frames = frames;
    Ok(t)
}

fn event_record(kind: &EventKind, step: u64, steps_per_frame: u64, sim: &MatchSim) -> EventRecord {
    let b = sim.ball.pos;
    let mut r = EventRecord {
        frame: step.div_ceil(steps_per_frame),
        t_ns: step_time_ns(step),
        kind: kind.name().to_string(),
        team: None,
        player: None,
        detail: None,
        restart: None,
        score: None,
        on_target: None,
        ball: [round3(b.x), round3(b.y), round3(b.z)],
    };
    match kind {
        EventKind::KickOff { team } => r.team = Some(team.as_str().into()),
        EventKind::Goal {
            team,
            scorer,
            end,
            score,
        } => {
            r.team = Some(team.as_str().into());
            r.player = scorer.clone();
            r.detail = Some(
                match end {
                    End::NegX => "neg_x",
                    End::PosX => "pos_x",
                }
                .into(),
            );
            r.score = Some([score.0, score.1]);
        }
        EventKind::OutOfPlay {
            boundary,
            restart,
            team,
        } => {
            r.team = Some(team.as_str().into());
            r.detail = Some(
                match boundary {
                    calibration::Boundary::Touch => "touch",
                    calibration::Boundary::GoalLine(_) => "goal_line",
                }
                .into(),
            );
            r.restart = Some(restart.as_str().into());
        }
        EventKind::Restart { kind, team, taker } => {
            r.team = Some(team.as_str().into());
            r.player = Some(taker.clone());
            r.restart = Some(kind.as_str().into());
        }
        EventKind::Possession { team, player } => {
            r.team = Some(team.as_str().into());
            r.player = Some(player.clone());
        }
        EventKind::Shot {
            team,
            player,
            on_target,
        } => {
            r.team = Some(team.as_str().into());
            r.player = Some(player.clone());
            r.on_target = Some(*on_target);
        }
        EventKind::Save { team, player } => {
            r.team = Some(team.as_str().into());
            r.player = Some(player.clone());
        }
    }
    r
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Summary of a written feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// Frames per camera.
    pub frames: u64,
    /// Goals.
    pub goals: u32,
    /// Wall-clock seconds spent.
    pub seconds: f64,
}

/// Generates a feed into `dir` (created): video, truth, wearables, calibration, `feed.toml`.
pub fn write_feed(
    spec: &FeedSpec,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<Written, GenerateError> {
    let started = std::time::Instant::now();
    let io = |file: PathBuf| move |source| GenerateError::Io { file, source };
    for sub in ["truth", "calibration", "video", "wearables"] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(io(d.clone()))?;
    }
    let mut encoders: Vec<Encoder> = Vec::new();
    let mut video_paths = Vec::new();
    if let Some(v) = spec.video {
        for cam in &spec.cameras {
            let rel = format!("video/{}.{}", cam.name(), v.container.extension());
            encoders.push(Encoder::new(
                &dir.join(&rel),
                spec.width,
                spec.height,
                spec.fps,
                v.bitrate_kbps,
                v.container,
            )?);
            video_paths.push(Some(rel));
        }
    } else {
        video_paths = spec.cameras.iter().map(|_| None).collect();
    }
    let texts = run(
        spec,
        &mut |ci, img| {
            if let Some(enc) = encoders.get_mut(ci) {
                enc.push(img.data_bytes()?)?;
            }
            Ok(())
        },
        progress,
    )?;
    for enc in encoders {
        enc.finish()?;
    }
    let write = |rel: &str, text: &str| -> Result<(), GenerateError> {
        let p = dir.join(rel);
        std::fs::write(&p, text).map_err(io(p.clone()))
    };
    write("truth/objects.csv", &texts.objects)?;
    write("truth/positions.csv", &texts.positions)?;
    write("truth/events.jsonl", &texts.events)?;
    let mut cameras = Vec::new();
    for (i, cam) in spec.cameras.iter().enumerate() {
        let name = cam.name();
        let boxes = format!("truth/boxes-{name}.csv");
        if let Some((_, text)) = texts.boxes.iter().find(|(n, _)| n == name) {
            write(&boxes, text)?;
        }
        let calib = format!("calibration/{name}.toml");
        if let Some((_, text)) = texts.calibration.iter().find(|(n, _)| n == name) {
            write(&calib, text)?;
        }
        let per_frame = texts
            .per_frame_calibration
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| -> Result<String, GenerateError> {
                let rel = format!("truth/calib-{name}.csv");
                write(&rel, text)?;
                Ok(rel)
            })
            .transpose()?;
        cameras.push(CameraEntry {
            name: name.to_string(),
            video: video_paths.get(i).cloned().flatten(),
            calibration: calib,
            boxes,
            per_frame_calibration: per_frame,
        });
    }
    let mut files = Files {
        objects: "truth/objects.csv".into(),
        positions: "truth/positions.csv".into(),
        events: "truth/events.jsonl".into(),
        wearables: None,
        devices: None,
        anomalies: None,
    };
    if spec.wearables {
        write("wearables/samples.csv", &texts.wearables)?;
        write("wearables/devices.csv", &texts.devices)?;
        write("wearables/anomalies.csv", &texts.anomalies)?;
        files.wearables = Some("wearables/samples.csv".into());
        files.devices = Some("wearables/devices.csv".into());
        files.anomalies = Some("wearables/anomalies.csv".into());
    }
    let manifest = Manifest {
        format: FEED_FORMAT,
        name: spec.name.clone(),
        seed: spec.seed,
        venue: spec.venue.clone(),
        duration_s: texts.frames as f64 / f64::from(spec.fps),
        fps: spec.fps,
        frames: texts.frames,
        width: spec.width,
        height: spec.height,
        pitch_length: Pitch::STANDARD.length,
        pitch_width: Pitch::STANDARD.width,
        cameras,
        files,
    };
    let text = toml::to_string(&manifest).map_err(|e| GenerateError::Manifest(e.to_string()))?;
    write("feed.toml", &text)?;
    // Remove empty directories (no video / no wearables).
    for sub in ["video", "wearables"] {
        let _ = std::fs::remove_dir(dir.join(sub));
    }
    Ok(Written {
        frames: texts.frames,
        goals: texts.goals,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::default_bitrate_kbps;

    #[test]
    fn the_default_bitrate_scales_with_pixels_and_frame_rate() {
        assert_eq!(default_bitrate_kbps(1280, 720, 25), 2304);
        assert_eq!(default_bitrate_kbps(1920, 1080, 25), 5184);
        assert_eq!(default_bitrate_kbps(1920, 1080, 50), 10368);
        assert_eq!(
            default_bitrate_kbps(16, 16, 1),
            100,
            "floored at 100 kbit/s"
        );
    }
}
