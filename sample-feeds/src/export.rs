//! Training export: still frames (JPEG/PNG) with per-object boxes over many looks, cameras and
//! resolutions, for training the detector.
//!
//! Layout of `--out DIR`:
//! - `images/<i>.jpg` (or `.png`)
//! - `labels/<i>.txt`: YOLO format, one line per visible object:
//!   `class cx cy w h` (normalised to the image, class 0 player, 1 goalkeeper, 2 referee, 3 ball)
//! - `labels.csv`: `image,width,height,camera,look_seed,object,class,x0,y0,x1,y1,occlusion,truncated`
//!   for every object whose box touches the image (boxes clipped to the image, pixels).
//! - `debug/<i>.jpg` with the boxes drawn, when asked for (`--draw-boxes`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use calibration::Pitch;
use opencv::core::Vector;
use opencv::imgcodecs;
use opencv::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::generate::GenerateError;
use crate::render::{Look, Renderer};
use crate::scene::{Rig, RigKind};
use crate::sim::{MatchSim, ObjectClass, SimConfig, SIM_HZ};

/// Image file format of exported frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG, quality 90.
    Jpeg,
    /// PNG.
    Png,
}

const RIGS: [RigKind; 6] = [
    RigKind::Main,
    RigKind::Left,
    RigKind::Right,
    RigKind::Broadcast,
    RigKind::GoalNeg,
    RigKind::GoalPos,
];
const SIZES: [(u32, u32); 3] = [(1280, 720), (1920, 1080), (960, 540)];

/// How frames are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportOptions {
    /// Image file format.
    pub format: ImageFormat,
    /// Also write `debug/<i>.jpg` with the boxes drawn.
    pub draw_boxes: bool,
    /// Fraction (0..=1) of frames rendered with the feeds' motion blur: the frame one video
    /// period earlier (25 or 50 fps, the camera following the ball) is rendered first and
    /// blended in, as `generate` does. 0 draws no random numbers for it, so exports made before
    /// the option existed are reproduced bit for bit.
    pub motion_blur_fraction: f64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            format: ImageFormat::Jpeg,
            draw_boxes: false,
            motion_blur_fraction: 0.0,
        }
    }
}

/// Exports `count` frames; a new match and look every 20 frames. Returns the number of labels.
pub fn export_frames(
    seed: u64,
    count: u64,
    out: &Path,
    options: ExportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, GenerateError> {
    let ExportOptions {
        format,
        draw_boxes,
        motion_blur_fraction,
    } = options;
    if !(0.0..=1.0).contains(&motion_blur_fraction) {
        return Err(GenerateError::Spec(format!(
            "motion blur fraction {motion_blur_fraction} is outside 0..=1"
        )));
    }
    let io = |file: PathBuf| move |source| GenerateError::Io { file, source };
    for sub in ["images", "labels"] {
        let d = out.join(sub);
        std::fs::create_dir_all(&d).map_err(io(d.clone()))?;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xe4_9021);
    let mut csv = String::from(
        "image,width,height,camera,look_seed,object,class,x0,y0,x1,y1,occlusion,truncated\n",
    );
    let mut labels = 0u64;
    let pitch = Pitch::STANDARD;
    let mut sim = MatchSim::new(SimConfig::for_seed(seed));
    let mut look_seed = seed;
    let mut renderer = Renderer::new(Look::from_seed(look_seed), pitch)?;
    renderer.motion_blur = false;
    for i in 0..count {
        if i % 20 == 0 && i > 0 {
            look_seed = rng.random();
            sim = MatchSim::new(SimConfig::for_seed(look_seed));
            renderer = Renderer::new(Look::from_seed(look_seed), pitch)?;
            renderer.motion_blur = false;
        }
        // Advance 1–4 s of play between frames.
        let steps = rng.random_range(SIM_HZ..4 * SIM_HZ);
        // Motion blur: which video rate's period (in sim steps) to blend over, if any.
        let blur_steps = (motion_blur_fraction > 0.0 && rng.random_bool(motion_blur_fraction))
            .then(|| SIM_HZ / [25, 50][rng.random_range(0..2usize)]);
        for _ in 0..steps - blur_steps.unwrap_or(0) {
            sim.step();
        }
        let kind = RIGS[rng.random_range(0..RIGS.len())];
        let (w, h) = SIZES[rng.random_range(0..SIZES.len())];
        let variation = [rng.random(), rng.random(), rng.random()];
        let mut rig = Rig::new(kind, w, h, pitch, variation);
        renderer.cut();
        renderer.motion_blur = blur_steps.is_some();
        if let Some(n) = blur_steps {
            // The previous video frame primes the blend; the camera then follows for one period.
            let cam = rig
                .camera(&sim.ball.pos, 60.0)
                .ok_or_else(|| GenerateError::Spec("degenerate camera".into()))?;
            renderer.render(&cam, &sim.people, &sim.ball, true)?;
            for _ in 0..n {
                sim.step();
            }
        }
        let _ = sim.drain_events();
        let dt_s = blur_steps.map_or(60.0, |n| n as f64 / SIM_HZ as f64);
        let cam = rig
            .camera(&sim.ball.pos, dt_s)
            .ok_or_else(|| GenerateError::Spec("degenerate camera".into()))?;
        let frame = renderer.render(&cam, &sim.people, &sim.ball, true)?;
        let ext = match format {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
        };
        let name = format!("{i:06}");
        let img_path = out.join("images").join(format!("{name}.{ext}"));
        let mut params = Vector::<i32>::new();
        if format == ImageFormat::Jpeg {
            params.push(imgcodecs::IMWRITE_JPEG_QUALITY);
            params.push(90);
        }
        let path_str = img_path
            .to_str()
            .ok_or_else(|| GenerateError::Spec("output path is not UTF-8".into()))?;
        imgcodecs::imwrite(path_str, &frame.image, &params)?;
        let mut yolo = String::new();
        let mut overlay = if draw_boxes {
            Some(frame.image.try_clone()?)
        } else {
            None
        };
        let classes = sim
            .people
            .iter()
            .map(|p| (p.id.as_str(), p.class))
            .chain([("B", ObjectClass::Ball)]);
        for (view, (id, class)) in frame.objects.iter().zip(classes) {
            let Some(bb) = view.bbox else { continue };
            if !bb.intersects_image(w, h) {
                continue;
            }
            let c = bb.clipped(w, h);
            if c.x1 - c.x0 < 1.0 || c.y1 - c.y0 < 1.0 {
                continue;
            }
            let truncated = c != bb;
            let _ = writeln!(
                csv,
                "{name}.{ext},{w},{h},{},{look_seed},{id},{},{:.1},{:.1},{:.1},{:.1},{:.2},{}",
                kind.name(),
                class.as_str(),
                c.x0,
                c.y0,
                c.x1,
                c.y1,
                view.occlusion,
                u8::from(truncated)
            );
            labels += 1;
            if let Some(img) = overlay.as_mut() {
                let colour = match class {
                    ObjectClass::Ball => opencv::core::Scalar::new(0.0, 255.0, 255.0, 0.0),
                    ObjectClass::Referee => opencv::core::Scalar::new(255.0, 0.0, 255.0, 0.0),
                    _ if view.occlusion >= 0.9 => {
                        opencv::core::Scalar::new(128.0, 128.0, 128.0, 0.0)
                    }
                    _ => opencv::core::Scalar::new(0.0, 0.0, 255.0, 0.0),
                };
                opencv::imgproc::rectangle(
                    img,
                    opencv::core::Rect::new(
                        c.x0.floor() as i32,
                        c.y0.floor() as i32,
                        (c.x1 - c.x0).ceil() as i32,
                        (c.y1 - c.y0).ceil() as i32,
                    ),
                    colour,
                    1,
                    opencv::imgproc::LINE_8,
                    0,
                )?;
            }
            if view.occlusion < 0.9 {
                let (fw, fh) = (f64::from(w), f64::from(h));
                let _ = writeln!(
                    yolo,
                    "{} {:.6} {:.6} {:.6} {:.6}",
                    class.index(),
                    (c.x0 + c.x1) / 2.0 / fw,
                    (c.y0 + c.y1) / 2.0 / fh,
                    (c.x1 - c.x0) / fw,
                    (c.y1 - c.y0) / fh
                );
            }
        }
        if let Some(img) = overlay {
            let d = out.join("debug");
            std::fs::create_dir_all(&d).map_err(io(d.clone()))?;
            let p = d.join(format!("{name}.{ext}"));
            let ps = p
                .to_str()
                .ok_or_else(|| GenerateError::Spec("output path is not UTF-8".into()))?;
            imgcodecs::imwrite(ps, &img, &Vector::new())?;
        }
        let lp = out.join("labels").join(format!("{name}.txt"));
        std::fs::write(&lp, yolo).map_err(io(lp.clone()))?;
        progress(i + 1, count);
    }
    let p = out.join("labels.csv");
    std::fs::write(&p, csv).map_err(io(p.clone()))?;
    Ok(labels)
}
