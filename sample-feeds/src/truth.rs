//! Ground-truth files of a feed and the reader API (`Feed::load`). Formats: README.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calibration::{CalibrationFile, Camera};
use serde::{Deserialize, Serialize};

use crate::sim::ObjectClass;
use crate::wearables::AnomalyKind;

/// Current feed format version.
pub const FEED_FORMAT: u32 = 1;

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// A file could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is malformed.
    #[error("{}:{line}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based line (0 for whole-file errors).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A calibration file is bad.
    #[error(transparent)]
    Calibration(#[from] calibration::CalibrationFileError),
}

/// `feed.toml`: what a feed contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be [`FEED_FORMAT`].
    pub format: u32,
    /// Feed name.
    pub name: String,
    /// Seed it was generated from.
    pub seed: u64,
    /// Venue name (calibration directory).
    pub venue: String,
    /// Duration (s).
    pub duration_s: f64,
    /// Video frame rate (frames/s); truth is per video frame.
    pub fps: u32,
    /// Number of frames.
    pub frames: u64,
    /// Image width (px).
    pub width: u32,
    /// Image height (px).
    pub height: u32,
    /// Pitch length (m).
    pub pitch_length: f64,
    /// Pitch width (m).
    pub pitch_width: f64,
    /// Cameras.
    pub cameras: Vec<CameraEntry>,
    /// Relative paths of the other files.
    pub files: Files,
}

/// One camera of a feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraEntry {
    /// Camera name.
    pub name: String,
    /// Video file (relative), absent for truth-only feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// Calibration file (relative) — for a moving camera, its pose at frame 0.
    pub calibration: String,
    /// Per-frame boxes (relative).
    pub boxes: String,
    /// Per-frame calibration for a moving camera (relative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_frame_calibration: Option<String>,
}

/// Relative paths of a feed's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// Object roster.
    pub objects: String,
    /// Per-frame pitch positions.
    pub positions: String,
    /// Events (JSON lines).
    pub events: String,
    /// Wearable samples, if generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wearables: Option<String>,
    /// Wearable devices and clocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<String>,
    /// Injected wearable anomalies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<String>,
}

/// A row of `truth/objects.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    /// Object id (`H7`, `A1`, `R1`, `B`).
    pub id: String,
    /// Class.
    pub class: ObjectClass,
    /// `home` / `away` / empty.
    pub team: String,
    /// Shirt number (0 for the ball).
    pub number: u8,
}

/// A row of `truth/positions.csv`: where an object is at a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Frame index.
    pub frame: u64,
    /// Index into [`Feed::objects`].
    pub object: usize,
    /// Pitch metres (people: feet on the ground, z = 0; ball: centre).
    pub x: f64,
    /// Pitch metres.
    pub y: f64,
    /// Pitch metres.
    pub z: f64,
}

/// A row of `truth/boxes-<camera>.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxRow {
    /// Frame index.
    pub frame: u64,
    /// Index into [`Feed::objects`].
    pub object: usize,
    /// Box (px, distorted image, not clipped).
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
    /// Fraction hidden by nearer objects.
    pub occlusion: f64,
    /// Whether the object counts as visible (box in the image, occlusion < 0.9).
    pub visible: bool,
}

/// A line of `truth/events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecord {
    /// First frame whose state shows the event (for goals: the decisive frame).
    pub frame: u64,
    /// Venue time of the event (ns, simulation-step resolution).
    pub t_ns: i64,
    /// `kick_off`, `goal`, `out_of_play`, `restart`, `possession`, `shot`, `save`.
    pub kind: String,
    /// Team concerned (`home` / `away`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Player concerned (scorer, taker, possessor, shooter, keeper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player: Option<String>,
    /// Goal: end of the goal (`neg_x` / `pos_x`); out: line (`touch` / `goal_line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Out of play / restart: `throw_in`, `goal_kick`, `corner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    /// Goal: score after it `[home, away]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<[u32; 2]>,
    /// Shot: aimed inside the frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_target: Option<bool>,
    /// Ball centre at the event `[x, y, z]` (m).
    pub ball: [f64; 3],
}

/// A row of `wearables/devices.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRow {
    /// Device id.
    pub device: String,
    /// Wearer's object id.
    pub object: String,
    /// Device time at venue time 0 (ns).
    pub offset_ns: i64,
    /// Drift (ppm).
    pub drift_ppm: f64,
}

/// A row of `wearables/anomalies.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyRow {
    /// Device id.
    pub device: String,
    /// Wearer.
    pub object: String,
    /// Kind.
    pub kind: AnomalyKind,
    /// Venue time of the first affected sample (ns).
    pub start_ns: i64,
    /// Venue time of the last affected sample (ns).
    pub end_ns: i64,
    /// Kind-specific magnitude (spike m, clock jump ms, heart rate bpm).
    pub detail: f64,
}

/// A loaded feed.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Directory it was loaded from.
    pub dir: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
    /// Object roster (index = object index in the other tables).
    pub objects: Vec<ObjectInfo>,
    /// All positions, frame-major, objects in roster order.
    pub positions: Vec<Position>,
    /// Per camera: boxes (frame-major).
    pub boxes: BTreeMap<String, Vec<BoxRow>>,
    /// Per camera: the static calibration (frame 0 for a moving camera).
    pub calibration: BTreeMap<String, Camera>,
    /// Per moving camera: one camera per frame.
    pub per_frame_calibration: BTreeMap<String, Vec<Camera>>,
    /// Events in time order.
    pub events: Vec<EventRecord>,
    /// Wearable devices (empty without wearables).
    pub devices: Vec<DeviceRow>,
    /// Injected anomalies.
    pub anomalies: Vec<AnomalyRow>,
}

impl Feed {
    /// Loads a feed's manifest, ground truth and calibration (not the wearable samples: see
    /// [`Feed::wearables_path`]).
    pub fn load(dir: &Path) -> Result<Self, TruthError> {
        let mpath = dir.join("feed.toml");
        let text = read(&mpath)?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| TruthError::Parse {
            file: mpath.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        if manifest.format != FEED_FORMAT {
            return Err(TruthError::Parse {
                file: mpath,
                line: 0,
                message: format!("format {} is not supported", manifest.format),
            });
        }
        let objects_path = dir.join(&manifest.files.objects);
        let mut objects = Vec::new();
        for (line, owned) in csv_rows(&objects_path)? {
            let f: Vec<&str> = owned.iter().map(String::as_str).collect();
            let bad = |m: &str| parse_err(&objects_path, line, m);
            if f.len() != 4 {
                return Err(bad("expected 4 columns"));
            }
            objects.push(ObjectInfo {
                id: f[0].to_string(),
                class: ObjectClass::parse(f[1]).ok_or_else(|| bad("unknown class"))?,
                team: f[2].to_string(),
                number: f[3].parse().map_err(|_| bad("bad number"))?,
            });
        }
        let index: BTreeMap<&str, usize> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i))
            .collect();
        let pos_path = dir.join(&manifest.files.positions);
        let mut positions = Vec::new();
        for (line, owned) in csv_rows(&pos_path)? {
            let f: Vec<&str> = owned.iter().map(String::as_str).collect();
            let bad = |m: &str| parse_err(&pos_path, line, m);
            if f.len() != 5 {
                return Err(bad("expected 5 columns"));
            }
            positions.push(Position {
                frame: num(f[0], &bad)?,
                object: *index.get(f[1]).ok_or_else(|| bad("unknown object"))?,
                x: num(f[2], &bad)?,
                y: num(f[3], &bad)?,
                z: num(f[4], &bad)?,
            });
        }
        let mut boxes = BTreeMap::new();
        let mut calibration = BTreeMap::new();
        let mut per_frame_calibration = BTreeMap::new();
        for cam in &manifest.cameras {
            let cal = CalibrationFile::load(&dir.join(&cam.calibration))?;
            calibration.insert(cam.name.clone(), cal.camera());
            let bpath = dir.join(&cam.boxes);
            let mut rows = Vec::new();
            for (line, owned) in csv_rows(&bpath)? {
                let f: Vec<&str> = owned.iter().map(String::as_str).collect();
                let bad = |m: &str| parse_err(&bpath, line, m);
                if f.len() != 8 {
                    return Err(bad("expected 8 columns"));
                }
                rows.push(BoxRow {
                    frame: num(f[0], &bad)?,
                    object: *index.get(f[1]).ok_or_else(|| bad("unknown object"))?,
                    visible: f[2] == "1",
                    x0: num(f[3], &bad)?,
                    y0: num(f[4], &bad)?,
                    x1: num(f[5], &bad)?,
                    y1: num(f[6], &bad)?,
                    occlusion: num(f[7], &bad)?,
                });
            }
            boxes.insert(cam.name.clone(), rows);
            if let Some(p) = &cam.per_frame_calibration {
                let cpath = dir.join(p);
                let base = cal.camera();
                let mut cams = Vec::new();
                for (line, owned) in csv_rows(&cpath)? {
                    let f: Vec<&str> = owned.iter().map(String::as_str).collect();
                    let bad = |m: &str| parse_err(&cpath, line, m);
                    if f.len() != 11 {
                        return Err(bad("expected 11 columns"));
                    }
                    let v: Vec<f64> = f[1..]
                        .iter()
                        .map(|s| num(s, &bad))
                        .collect::<Result<_, _>>()?;
                    let mut c = base;
                    c.intrinsics.fx = v[0];
                    c.intrinsics.fy = v[1];
                    c.intrinsics.cx = v[2];
                    c.intrinsics.cy = v[3];
                    c.pose = calibration::Pose::from_rvec(
                        nalgebra::Vector3::new(v[4], v[5], v[6]),
                        nalgebra::Point3::new(v[7], v[8], v[9]),
                    );
                    cams.push(c);
                }
                per_frame_calibration.insert(cam.name.clone(), cams);
            }
        }
        let epath = dir.join(&manifest.files.events);
        let mut events = Vec::new();
        for (i, line) in read(&epath)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            events.push(
                serde_json::from_str(line).map_err(|e| parse_err(&epath, i + 1, &e.to_string()))?,
            );
        }
        let mut devices = Vec::new();
        if let Some(p) = &manifest.files.devices {
            let path = dir.join(p);
            for (line, owned) in csv_rows(&path)? {
                let f: Vec<&str> = owned.iter().map(String::as_str).collect();
                let bad = |m: &str| parse_err(&path, line, m);
                if f.len() != 4 {
                    return Err(bad("expected 4 columns"));
                }
                devices.push(DeviceRow {
                    device: f[0].to_string(),
                    object: f[1].to_string(),
                    offset_ns: num(f[2], &bad)?,
                    drift_ppm: num(f[3], &bad)?,
                });
            }
        }
        let mut anomalies = Vec::new();
        if let Some(p) = &manifest.files.anomalies {
            let path = dir.join(p);
            for (line, owned) in csv_rows(&path)? {
                let f: Vec<&str> = owned.iter().map(String::as_str).collect();
                let bad = |m: &str| parse_err(&path, line, m);
                if f.len() != 6 {
                    return Err(bad("expected 6 columns"));
                }
                anomalies.push(AnomalyRow {
                    device: f[0].to_string(),
                    object: f[1].to_string(),
                    kind: AnomalyKind::parse(f[2]).ok_or_else(|| bad("unknown anomaly kind"))?,
                    start_ns: num(f[3], &bad)?,
                    end_ns: num(f[4], &bad)?,
                    detail: num(f[5], &bad)?,
                });
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            objects,
            positions,
            boxes,
            calibration,
            per_frame_calibration,
            events,
            devices,
            anomalies,
        })
    }

    /// The camera of `name` at `frame` (per-frame calibration for moving cameras).
    pub fn camera_at(&self, name: &str, frame: u64) -> Option<Camera> {
        match self.per_frame_calibration.get(name) {
            Some(cams) => cams.get(frame as usize).copied(),
            None => self.calibration.get(name).copied(),
        }
    }

    /// Venue time (ns) of a frame.
    pub fn frame_time_ns(&self, frame: u64) -> i64 {
        frame_time_ns(frame, self.manifest.fps)
    }

    /// Positions of one frame (roster order).
    pub fn positions_at(&self, frame: u64) -> &[Position] {
        let n = self.objects.len();
        let start = (frame as usize).saturating_mul(n);
        self.positions.get(start..start + n).unwrap_or(&[])
    }

    /// Path of the wearable samples CSV, if the feed has wearables.
    pub fn wearables_path(&self) -> Option<PathBuf> {
        self.manifest
            .files
            .wearables
            .as_ref()
            .map(|p| self.dir.join(p))
    }
}

/// Venue time (ns) of frame `frame` at `fps`.
pub fn frame_time_ns(frame: u64, fps: u32) -> i64 {
    (i128::from(frame) * 1_000_000_000 / i128::from(fps.max(1))) as i64
}

fn read(path: &Path) -> Result<String, TruthError> {
    std::fs::read_to_string(path).map_err(|source| TruthError::Io {
        file: path.to_path_buf(),
        source,
    })
}

fn parse_err(path: &Path, line: usize, m: &str) -> TruthError {
    TruthError::Parse {
        file: path.to_path_buf(),
        line,
        message: m.to_string(),
    }
}

fn num<T: std::str::FromStr>(s: &str, bad: &impl Fn(&str) -> TruthError) -> Result<T, TruthError> {
    s.parse()
        .map_err(|_| bad(&format!("`{s}` is not a number")))
}

/// Data rows of a CSV file with a header line: (1-based line number, fields).
fn csv_rows(path: &Path) -> Result<Vec<(usize, Vec<String>)>, TruthError> {
    let text = read(path)?;
    Ok(text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split(',').map(str::to_string).collect()))
        .collect())
}
