//! OpenCV renderer: draws the pitch, stands, boards, goals, players and ball with an ideal
//! pinhole camera into an oversized canvas, then applies the lens distortion with `remap`, so
//! the image agrees with [`calibration::Camera::project`] (distortion included). Also computes,
//! per object, the pixel box and the fraction occluded by nearer objects (from a label map).

use calibration::pitch::{self, End, Pitch, BALL_RADIUS, LINE_WIDTH};
use calibration::Camera;
use nalgebra::{Point3, Vector2, Vector3};
use opencv::core::{self, Mat, Point, Rect, Scalar, Size, Vector, CV_32FC1, CV_8UC1, CV_8UC3};
use opencv::imgproc;
use opencv::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scene::{self, Paint, PixelBox};
use crate::sim::{Ball, ObjectClass, Person, Team};

/// Rendering failed inside OpenCV.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// OpenCV reported an error.
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
}

type Bgr = [f64; 3];

/// One team's (or the referees') kit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kit {
    /// Shirt (BGR).
    pub shirt: Bgr,
    /// Shorts (BGR).
    pub shorts: Bgr,
    /// Socks (BGR).
    pub socks: Bgr,
    /// Shirt number (BGR).
    pub number: Bgr,
}

/// Everything about how a match looks; varies with the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    /// Light and dark mowing stripes (BGR).
    pub grass: [Bgr; 2],
    /// Grass outside the pitch (BGR).
    pub surround: Bgr,
    /// Number of mowing stripes along the length.
    pub stripes: u32,
    /// Home, away, home keeper, away keeper, referees.
    pub kits: [Kit; 5],
    /// Night match under floodlights.
    pub night: bool,
    /// Direction shadows fall (unit, ground plane) for day matches.
    pub sun: Vector2<f64>,
    /// Global contrast and brightness.
    pub contrast: f64,
    /// Added to every channel.
    pub brightness: f64,
    /// Seed for the crowd texture and noise.
    pub texture_seed: u64,
}

const KIT_COLOURS: [Bgr; 12] = [
    [40.0, 40.0, 200.0],   // red
    [200.0, 90.0, 30.0],   // blue
    [245.0, 245.0, 245.0], // white
    [30.0, 200.0, 240.0],  // yellow
    [40.0, 40.0, 40.0],    // black
    [230.0, 180.0, 110.0], // sky blue
    [20.0, 120.0, 250.0],  // orange
    [120.0, 40.0, 130.0],  // purple
    [60.0, 30.0, 120.0],   // claret
    [40.0, 110.0, 30.0],   // dark green
    [100.0, 30.0, 20.0],   // navy
    [150.0, 150.0, 150.0], // grey
];

impl Look {
    /// A look derived from a seed.
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1004_c0de);
        let night = rng.random::<f64>() < 0.3;
        let g: f64 = rng.random_range(0.0..1.0);
        let base = [
            50.0 + 20.0 * g,
            125.0 + 35.0 * rng.random::<f64>(),
            55.0 + 30.0 * (1.0 - g),
        ];
        let delta = rng.random_range(10.0..22.0);
        let light = [
            base[0] + delta * 0.6,
            base[1] + delta,
            base[2] + delta * 0.6,
        ];
        let home = rng.random_range(0..KIT_COLOURS.len());
        let mut away = rng.random_range(0..KIT_COLOURS.len());
        while colour_dist(KIT_COLOURS[home], KIT_COLOURS[away]) < 150.0 {
            away = (away + 1) % KIT_COLOURS.len();
        }
        let contrast_with = |c: Bgr| {
            if c.iter().sum::<f64>() > 400.0 {
                [30.0, 30.0, 30.0]
            } else {
                [240.0, 240.0, 240.0]
            }
        };
        let kit = |i: usize, rng: &mut ChaCha8Rng| {
            let shirt = KIT_COLOURS[i];
            let shorts = if rng.random::<bool>() {
                shirt
            } else {
                contrast_with(shirt)
            };
            Kit {
                shirt,
                shorts,
                socks: shirt,
                number: contrast_with(shirt),
            }
        };
        let home_kit = kit(home, &mut rng);
        let away_kit = kit(away, &mut rng);
        let gk = |c: Bgr| Kit {
            shirt: c,
            shorts: [30.0, 30.0, 30.0],
            socks: c,
            number: [20.0, 20.0, 20.0],
        };
        // The referee wears whichever official colour is furthest from both kits.
        let ref_colours: [Bgr; 4] = [
            [20.0, 20.0, 20.0],
            [40.0, 230.0, 240.0],
            [230.0, 230.0, 40.0],
            [40.0, 140.0, 250.0],
        ];
        let start = rng.random_range(0..ref_colours.len());
        let ref_shirt = (0..ref_colours.len())
            .map(|k| ref_colours[(start + k) % ref_colours.len()])
            .max_by(|a, b| {
                let near = |c: Bgr| {
                    [home_kit.shirt, away_kit.shirt, GK_HOME, GK_AWAY]
                        .iter()
                        .map(|k| colour_dist(c, *k))
                        .fold(f64::INFINITY, f64::min)
                };
                near(*a).total_cmp(&near(*b))
            })
            .unwrap_or(ref_colours[0]);
        let referee = Kit {
            shirt: ref_shirt,
            shorts: [20.0, 20.0, 20.0],
            socks: [20.0, 20.0, 20.0],
            number: [200.0, 200.0, 200.0],
        };
        let sun_a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        Self {
            grass: [light, base],
            surround: [base[0] * 0.85, base[1] * 0.85, base[2] * 0.85],
            stripes: rng.random_range(9..13) * 2,
            kits: [home_kit, away_kit, gk(GK_HOME), gk(GK_AWAY), referee],
            night,
            sun: Vector2::new(sun_a.cos(), sun_a.sin()),
            contrast: if night {
                1.1
            } else {
                rng.random_range(0.9..1.1)
            },
            brightness: if night {
                -18.0
            } else {
                rng.random_range(-12.0..12.0)
            },
            texture_seed: rng.random(),
        }
    }

    fn kit_of(&self, p: &Person) -> &Kit {
        match (p.class, p.team) {
            (ObjectClass::Goalkeeper, Some(Team::Home)) => &self.kits[2],
            (ObjectClass::Goalkeeper, Some(Team::Away)) => &self.kits[3],
            (_, Some(Team::Home)) => &self.kits[0],
            (_, Some(Team::Away)) => &self.kits[1],
            _ => &self.kits[4],
        }
    }
}

const GK_HOME: Bgr = [60.0, 220.0, 60.0];
const GK_AWAY: Bgr = [200.0, 60.0, 220.0];

fn colour_dist(a: Bgr, b: Bgr) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn sc(c: Bgr) -> Scalar {
    Scalar::new(c[0], c[1], c[2], 0.0)
}

const SKIN: [Bgr; 5] = [
    [150.0, 180.0, 225.0],
    [120.0, 150.0, 200.0],
    [90.0, 120.0, 170.0],
    [60.0, 85.0, 125.0],
    [45.0, 60.0, 95.0],
];

/// What the renderer found out about one object in a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectView {
    /// Pixel box (distorted image, unclipped); `None` when behind the camera.
    pub bbox: Option<PixelBox>,
    /// Fraction of the object's silhouette hidden by nearer objects (0–1).
    pub occlusion: f64,
}

/// Per-frame outputs.
#[derive(Debug)]
pub struct Frame {
    /// The BGR image (empty when drawing was not requested).
    pub image: Mat,
    /// People (same order as the simulation), then the ball.
    pub objects: Vec<ObjectView>,
}

struct Canvas {
    /// The image camera the maps were computed for (pose ignored).
    key: Camera,
    camera: Camera,
    width: i32,
    height: i32,
    map_x: Mat,
    map_y: Mat,
}

/// Draws frames for one look; caches the static background and distortion maps per camera.
pub struct Renderer {
    look: Look,
    pitch: Pitch,
    crowd: Mat,
    noise: Vec<(Mat, Mat)>,
    noise_i: usize,
    prev: Option<Mat>,
    canvas: Option<Canvas>,
    background: Option<(Camera, Mat)>,
    /// Blend with the previous frame (motion blur).
    pub motion_blur: bool,
    /// Add sensor noise.
    pub sensor_noise: bool,
}

const SHIFT: i32 = 4;
const SUB: f64 = 16.0;

impl Renderer {
    /// A renderer for a look.
    pub fn new(look: Look, pitch: Pitch) -> Result<Self, RenderError> {
        let crowd = crowd_texture(look.texture_seed, look.night)?;
        Ok(Self {
            look,
            pitch,
            crowd,
            noise: Vec::new(),
            noise_i: 0,
            prev: None,
            canvas: None,
            background: None,
            motion_blur: true,
            sensor_noise: true,
        })
    }

    /// The look.
    pub fn look(&self) -> &Look {
        &self.look
    }

    /// Forgets the previous frame (no motion blur across a cut).
    pub fn cut(&mut self) {
        self.prev = None;
    }

    /// Renders one frame. With `draw == false` only boxes and occlusion are computed (the label
    /// pass), which is what the ground truth needs.
    pub fn render(
        &mut self,
        camera: &Camera,
        people: &[Person],
        ball: &Ball,
        draw: bool,
    ) -> Result<Frame, RenderError> {
        self.prepare_canvas(camera)?;
        let Some(canvas) = &self.canvas else {
            return Ok(Frame {
                image: Mat::default(),
                objects: Vec::new(),
            });
        };
        let ccam = canvas.camera;
        let (cw, ch) = (canvas.width, canvas.height);
        // Objects far to near.
        let mut order: Vec<(usize, f64)> = people
            .iter()
            .enumerate()
            .map(|(i, p)| (i, camera.depth(&Point3::new(p.pos.x, p.pos.y, 0.9))))
            .collect();
        order.push((people.len(), camera.depth(&ball.pos)));
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let cam_pos = camera.pose.position;
        let shapes: Vec<Vec<(Paint, Vec<Point>)>> = people
            .iter()
            .map(|p| {
                scene::person_parts(p, &cam_pos)
                    .into_iter()
                    .filter_map(|part| project_poly(&ccam, &part.pts).map(|pts| (part.paint, pts)))
                    .collect()
            })
            .chain(std::iter::once(
                project_poly(&ccam, &scene::ball_outline(ball, &cam_pos))
                    .map(|pts| vec![(Paint::Ball, pts)])
                    .unwrap_or_default(),
            ))
            .collect();
        // Label pass: who is visible where.
        let mut labels = Mat::new_rows_cols_with_default(ch, cw, CV_8UC1, Scalar::all(0.0))?;
        for &(i, depth) in &order {
            if depth <= calibration::camera::NEAR_PLANE_M {
                continue;
            }
            for (_, pts) in &shapes[i] {
                fill(&mut labels, pts, Scalar::all((i + 1) as f64), false)?;
            }
        }
        let mut visible = vec![0usize; shapes.len() + 1];
        for &v in labels.data_bytes()? {
            visible[usize::from(v)] += 1;
        }
        let mut objects = Vec::with_capacity(shapes.len());
        for (i, sh) in shapes.iter().enumerate() {
            let bbox = if i < people.len() {
                scene::person_box(camera, &people[i])
            } else {
                scene::ball_box(camera, ball)
            };
            let full = silhouette_area(sh)?;
            let occlusion = if full == 0 {
                1.0
            } else {
                (1.0 - visible[i + 1] as f64 / full as f64).clamp(0.0, 1.0)
            };
            objects.push(ObjectView { bbox, occlusion });
        }
        if !draw {
            return Ok(Frame {
                image: Mat::default(),
                objects,
            });
        }
        // Background (cached for a still camera).
        let bg = match &self.background {
            Some((c, m)) if c == camera => m.try_clone()?,
            _ => {
                let m = self.draw_background(&ccam, cw, ch)?;
                self.background = Some((*camera, m.try_clone()?));
                m
            }
        };
        let mut img = bg;
        // Shadows.
        let mut shadow = Mat::new_rows_cols_with_default(ch, cw, CV_8UC1, Scalar::all(0.0))?;
        let mut shadow_box: Option<(i32, i32, i32, i32)> = None;
        let mut grow = |px: &[Point]| {
            for p in px {
                let (x, y) = (
                    (p.x >> SHIFT).clamp(0, cw - 1),
                    (p.y >> SHIFT).clamp(0, ch - 1),
                );
                let b = shadow_box.get_or_insert((x, y, x + 1, y + 1));
                b.0 = b.0.min(x);
                b.1 = b.1.min(y);
                b.2 = b.2.max((x + 2).min(cw));
                b.3 = b.3.max((y + 2).min(ch));
            }
        };
        let lights: Vec<(Vector2<f64>, f64)> = if self.look.night {
            [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)]
                .iter()
                .map(|(x, y)| (Vector2::new(*x, *y).normalize(), 0.45))
                .collect()
        } else {
            vec![(self.look.sun, 0.7)]
        };
        for p in people {
            for (dir, len) in &lights {
                let side = Vector2::new(-dir.y, dir.x) * 0.22;
                let base = p.pos;
                let tip = base + dir * (p.height * *len);
                let pts: Vec<Point3<f64>> =
                    [base - side, base + side, tip + side * 0.7, tip - side * 0.7]
                        .iter()
                        .map(|q| Point3::new(q.x, q.y, 0.0))
                        .collect();
                if let Some(px) = project_poly(&ccam, &pts) {
                    fill(&mut shadow, &px, Scalar::all(255.0), true)?;
                    grow(&px);
                }
            }
        }
        {
            let d = ball.pos.z - BALL_RADIUS;
            let dir = if self.look.night {
                Vector2::zeros()
            } else {
                self.look.sun
            };
            let c = ball.pos.xy().coords + dir * d * 0.7;
            let r = BALL_RADIUS * (1.0 + d * 0.08);
            let pts: Vec<Point3<f64>> = (0..12)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / 12.0;
                    Point3::new(c.x + r * a.cos(), c.y + r * a.sin(), 0.0)
                })
                .collect();
            if let Some(px) = project_poly(&ccam, &pts) {
                fill(&mut shadow, &px, Scalar::all(255.0), true)?;
                grow(&px);
            }
        }
        let strength = if self.look.night { 28.0 } else { 45.0 };
        // Darken only inside the shadows' bounding box.
        if let Some((x0, y0, x1, y1)) = shadow_box {
            let rect = Rect::new(x0, y0, x1 - x0, y1 - y0);
            let shaded = {
                let src = Mat::roi(&img, rect)?;
                let mask = Mat::roi(&shadow, rect)?;
                let mut shaded = Mat::default();
                core::subtract(&src, &Scalar::all(strength), &mut shaded, &mask, -1)?;
                shaded
            };
            let mask = Mat::roi(&shadow, rect)?;
            let mut dst = Mat::roi_mut(&mut img, rect)?;
            shaded.copy_to_masked(&mut dst, &mask)?;
        }
        // Figures, far to near.
        for &(i, depth) in &order {
            if depth <= calibration::camera::NEAR_PLANE_M {
                continue;
            }
            if i < people.len() {
                self.draw_person(&mut img, &people[i], &shapes[i], i)?;
            } else {
                for (_, pts) in &shapes[i] {
                    fill(&mut img, pts, Scalar::new(235.0, 235.0, 235.0, 0.0), true)?;
                    // A darker lower-right half and a patch for some texture.
                    let (cx, cy, r) = circle_of(pts);
                    if r > 2.5 {
                        imgproc::circle(
                            &mut img,
                            Point::new((cx * SUB) as i32, ((cy + r * 0.35) * SUB) as i32),
                            (r * 0.45 * SUB) as i32,
                            Scalar::new(150.0, 150.0, 150.0, 0.0),
                            -1,
                            imgproc::LINE_AA,
                            SHIFT,
                        )?;
                    }
                }
            }
        }
        // Lens.
        let mut out = Mat::default();
        imgproc::remap(
            &img,
            &mut out,
            &canvas.map_x,
            &canvas.map_y,
            imgproc::INTER_LINEAR,
            core::BORDER_CONSTANT,
            Scalar::all(0.0),
        )?;
        // Exposure, motion blur, sensor noise.
        let mut graded = Mat::default();
        out.convert_to(&mut graded, -1, self.look.contrast, self.look.brightness)?;
        let mut out = graded;
        if self.motion_blur {
            if let Some(prev) = &self.prev {
                if prev.size()? == out.size()? {
                    let mut blended = Mat::default();
                    core::add_weighted(&out, 0.78, prev, 0.22, 0.0, &mut blended, -1)?;
                    self.prev = Some(out);
                    out = blended;
                } else {
                    self.prev = Some(out.try_clone()?);
                }
            } else {
                self.prev = Some(out.try_clone()?);
            }
        }
        if self.sensor_noise {
            self.ensure_noise(camera.width as i32, camera.height as i32)?;
            if let Some((plus, minus)) = self.noise.get(self.noise_i % self.noise.len().max(1)) {
                let mut a = Mat::default();
                core::add(&out, plus, &mut a, &core::no_array(), -1)?;
                core::subtract(&a, minus, &mut out, &core::no_array(), -1)?;
            }
            self.noise_i += 1;
        }
        Ok(Frame {
            image: out,
            objects,
        })
    }

    fn ensure_noise(&mut self, w: i32, h: i32) -> Result<(), RenderError> {
        if let Some((m, _)) = self.noise.first() {
            if m.cols() == w && m.rows() == h {
                return Ok(());
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.look.texture_seed ^ 0x4015e);
        self.noise.clear();
        for _ in 0..3 {
            let mut pair = Vec::new();
            for _ in 0..2 {
                let mut m = Mat::new_rows_cols_with_default(h, w, CV_8UC3, Scalar::all(0.0))?;
                for b in m.data_bytes_mut()? {
                    // Triangular noise, 0..=6 per side.
                    let r: u32 = rng.random_range(0..16);
                    *b = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6][r as usize];
                }
                pair.push(m);
            }
            let minus = pair.pop().unwrap_or_default();
            let plus = pair.pop().unwrap_or_default();
            self.noise.push((plus, minus));
        }
        Ok(())
    }

    fn prepare_canvas(&mut self, camera: &Camera) -> Result<(), RenderError> {
        if let Some(c) = &self.canvas {
            let same = c.key.intrinsics == camera.intrinsics
                && c.key.distortion == camera.distortion
                && c.key.width == camera.width
                && c.key.height == camera.height;
            if same {
                let mut c_cam = c.camera;
                c_cam.pose = camera.pose;
                if let Some(c) = &mut self.canvas {
                    c.camera = c_cam;
                }
                return Ok(());
            }
        }
        let (w, h) = (camera.width as i32, camera.height as i32);
        let k = camera.intrinsics;
        // Undistorted position of every output pixel, on an 8 px grid, bilinear in between.
        let step = 8usize;
        let gw = w as usize / step + 2;
        let gh = h as usize / step + 2;
        let mut grid = vec![(0.0f64, 0.0f64); gw * gh];
        let (mut min_u, mut min_v, mut max_u, mut max_v) =
            (0.0f64, 0.0f64, f64::from(w), f64::from(h));
        for gy in 0..gh {
            for gx in 0..gw {
                let u = (gx * step) as f64;
                let v = (gy * step) as f64;
                let (xu, yu) = camera
                    .distortion
                    .undistort((u - k.cx) / k.fx, (v - k.cy) / k.fy);
                let (pu, pv) = (k.fx * xu + k.cx, k.fy * yu + k.cy);
                min_u = min_u.min(pu);
                min_v = min_v.min(pv);
                max_u = max_u.max(pu);
                max_v = max_v.max(pv);
                grid[gy * gw + gx] = (pu, pv);
            }
        }
        let mx = (-min_u).max(0.0).ceil() + 2.0;
        let my = (-min_v).max(0.0).ceil() + 2.0;
        let cw = (max_u + mx + 2.0).ceil() as i32;
        let chh = (max_v + my + 2.0).ceil() as i32;
        let mut map_x = Mat::new_rows_cols_with_default(h, w, CV_32FC1, Scalar::all(0.0))?;
        let mut map_y = Mat::new_rows_cols_with_default(h, w, CV_32FC1, Scalar::all(0.0))?;
        {
            let mx_data = map_x.data_typed_mut::<f32>()?;
            for v in 0..h as usize {
                let gy = v / step;
                let fy = (v % step) as f64 / step as f64;
                for u in 0..w as usize {
                    let gx = u / step;
                    let fx = (u % step) as f64 / step as f64;
                    let a = grid[gy * gw + gx];
                    let b = grid[gy * gw + gx + 1];
                    let c = grid[(gy + 1) * gw + gx];
                    let d = grid[(gy + 1) * gw + gx + 1];
                    let x = (a.0 * (1.0 - fx) + b.0 * fx) * (1.0 - fy)
                        + (c.0 * (1.0 - fx) + d.0 * fx) * fy;
                    mx_data[v * w as usize + u] = (x + mx) as f32;
                }
            }
        }
        {
            let my_data = map_y.data_typed_mut::<f32>()?;
            for v in 0..h as usize {
                let gy = v / step;
                let fy = (v % step) as f64 / step as f64;
                for u in 0..w as usize {
                    let gx = u / step;
                    let fx = (u % step) as f64 / step as f64;
                    let a = grid[gy * gw + gx];
                    let b = grid[gy * gw + gx + 1];
                    let c = grid[(gy + 1) * gw + gx];
                    let d = grid[(gy + 1) * gw + gx + 1];
                    let y = (a.1 * (1.0 - fx) + b.1 * fx) * (1.0 - fy)
                        + (c.1 * (1.0 - fx) + d.1 * fx) * fy;
                    my_data[v * w as usize + u] = (y + my) as f32;
                }
            }
        }
        let mut ccam = *camera;
        ccam.intrinsics.cx += mx;
        ccam.intrinsics.cy += my;
        ccam.width = cw as u32;
        ccam.height = chh as u32;
        ccam.distortion = Default::default();
        // Fixed-point maps remap about twice as fast as float maps.
        let (mut map1, mut map2) = (Mat::default(), Mat::default());
        imgproc::convert_maps(&map_x, &map_y, &mut map1, &mut map2, core::CV_16SC2, false)?;
        self.canvas = Some(Canvas {
            key: *camera,
            camera: ccam,
            width: cw,
            height: chh,
            map_x: map1,
            map_y: map2,
        });
        self.background = None;
        Ok(())
    }

    fn draw_background(&self, cam: &Camera, w: i32, h: i32) -> Result<Mat, RenderError> {
        let look = &self.look;
        let stand = if look.night {
            Scalar::new(25.0, 22.0, 22.0, 0.0)
        } else {
            Scalar::new(70.0, 70.0, 75.0, 0.0)
        };
        let mut img = Mat::new_rows_cols_with_default(h, w, CV_8UC3, stand)?;
        let hl = self.pitch.half_length();
        let hw = self.pitch.half_width();
        // Stands: slanted planes behind the boards.
        let stands = [
            [
                Point3::new(-hl - 40.0, hw + 8.0, 0.5),
                Point3::new(hl + 40.0, hw + 8.0, 0.5),
                Point3::new(hl + 40.0, hw + 48.0, 30.0),
                Point3::new(-hl - 40.0, hw + 48.0, 30.0),
            ],
            [
                Point3::new(hl + 8.0, hw + 8.0, 0.5),
                Point3::new(hl + 8.0, -hw - 8.0, 0.5),
                Point3::new(hl + 48.0, -hw - 8.0, 30.0),
                Point3::new(hl + 48.0, hw + 40.0, 30.0),
            ],
            [
                Point3::new(-hl - 8.0, -hw - 8.0, 0.5),
                Point3::new(-hl - 8.0, hw + 8.0, 0.5),
                Point3::new(-hl - 48.0, hw + 40.0, 30.0),
                Point3::new(-hl - 48.0, -hw - 8.0, 30.0),
            ],
            [
                Point3::new(hl + 40.0, -hw - 8.0, 0.5),
                Point3::new(-hl - 40.0, -hw - 8.0, 0.5),
                Point3::new(-hl - 40.0, -hw - 48.0, 30.0),
                Point3::new(hl + 40.0, -hw - 48.0, 30.0),
            ],
        ];
        for quad in &stands {
            self.warp_texture(&mut img, cam, quad)?;
        }
        // Ground around the pitch, then the stripes.
        let ground = [
            Point3::new(-hl - 9.0, -hw - 9.0, 0.0),
            Point3::new(hl + 9.0, -hw - 9.0, 0.0),
            Point3::new(hl + 9.0, hw + 9.0, 0.0),
            Point3::new(-hl - 9.0, hw + 9.0, 0.0),
        ];
        if let Some(px) = project_poly(cam, &ground) {
            fill(&mut img, &px, sc(look.surround), false)?;
        }
        let n = look.stripes.max(2);
        let x0 = -hl - 3.0;
        let sw = (2.0 * hl + 6.0) / f64::from(n);
        for i in 0..n {
            let xa = x0 + sw * f64::from(i);
            let quad = [
                Point3::new(xa, -hw - 3.0, 0.0),
                Point3::new(xa + sw, -hw - 3.0, 0.0),
                Point3::new(xa + sw, hw + 3.0, 0.0),
                Point3::new(xa, hw + 3.0, 0.0),
            ];
            if let Some(px) = project_poly(cam, &quad) {
                fill(&mut img, &px, sc(look.grass[(i % 2) as usize]), true)?;
            }
        }
        // Markings as ground ribbons.
        let line_c = Scalar::new(235.0, 240.0, 235.0, 0.0);
        for line in self.pitch.marking_polylines(0.5) {
            for seg in line.windows(2) {
                let (a, b) = (seg[0], seg[1]);
                let d = b - a;
                let len = d.norm();
                if len < 1e-9 {
                    continue;
                }
                let nrm = Vector2::new(-d.y, d.x) / len * (LINE_WIDTH / 2.0);
                let ext = d / len * (LINE_WIDTH / 2.0);
                let (a, b) = (a - ext, b + ext);
                let quad = [
                    Point3::new(a.x + nrm.x, a.y + nrm.y, 0.0),
                    Point3::new(b.x + nrm.x, b.y + nrm.y, 0.0),
                    Point3::new(b.x - nrm.x, b.y - nrm.y, 0.0),
                    Point3::new(a.x - nrm.x, a.y - nrm.y, 0.0),
                ];
                if let Some(px) = project_poly(cam, &quad) {
                    fill(&mut img, &px, line_c, true)?;
                }
            }
        }
        for spot in self.pitch.spots() {
            let pts: Vec<Point3<f64>> = (0..12)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / 12.0;
                    Point3::new(spot.x + 0.15 * a.cos(), spot.y + 0.15 * a.sin(), 0.0)
                })
                .collect();
            if let Some(px) = project_poly(cam, &pts) {
                fill(&mut img, &px, line_c, true)?;
            }
        }
        // Advertising boards.
        let board_colours = [
            Scalar::new(160.0, 60.0, 20.0, 0.0),
            Scalar::new(30.0, 30.0, 180.0, 0.0),
            Scalar::new(230.0, 230.0, 230.0, 0.0),
            Scalar::new(30.0, 170.0, 230.0, 0.0),
        ];
        let mut k = 0usize;
        for side in [-1.0, 1.0] {
            let y = side * (hw + 5.0);
            let mut x = -hl - 2.0;
            while x < hl + 2.0 {
                let quad = [
                    Point3::new(x, y, 0.0),
                    Point3::new(x + 7.5, y, 0.0),
                    Point3::new(x + 7.5, y, 0.9),
                    Point3::new(x, y, 0.9),
                ];
                if let Some(px) = project_poly(cam, &quad) {
                    fill(&mut img, &px, board_colours[k % 4], true)?;
                }
                k += 1;
                x += 7.5;
            }
            let x = side * (hl + 5.0);
            let mut y = -hw;
            while y < hw {
                if y.abs() > 6.0 && (y + 6.0).abs() > 6.0 {
                    let quad = [
                        Point3::new(x, y, 0.0),
                        Point3::new(x, y + 6.0, 0.0),
                        Point3::new(x, y + 6.0, 0.9),
                        Point3::new(x, y, 0.9),
                    ];
                    if let Some(px) = project_poly(cam, &quad) {
                        fill(&mut img, &px, board_colours[k % 4], true)?;
                    }
                }
                k += 1;
                y += 6.0;
            }
        }
        for end in [End::NegX, End::PosX] {
            self.draw_goal(&mut img, cam, end)?;
        }
        Ok(img)
    }

    fn draw_goal(&self, img: &mut Mat, cam: &Camera, end: End) -> Result<(), RenderError> {
        let s = end.sign();
        let hl = self.pitch.half_length();
        let gx = s * (hl + pitch::POST_WIDTH / 2.0);
        let bx = s * (hl + pitch::GOAL_DEPTH);
        let hy = pitch::GOAL_WIDTH / 2.0 + pitch::POST_WIDTH / 2.0;
        let top = pitch::GOAL_HEIGHT + pitch::POST_WIDTH / 2.0;
        let net = Scalar::new(200.0, 200.0, 200.0, 0.0);
        // Net: back and sides as a grid of thin lines.
        let mut seg =
            |a: Point3<f64>, b: Point3<f64>, c: Scalar, width_m: f64| -> Result<(), RenderError> {
                let (Some(pa), Some(pb)) = (cam.project(&a), cam.project(&b)) else {
                    return Ok(());
                };
                let depth = cam
                    .depth(&Point3::from((a.coords + b.coords) / 2.0))
                    .max(1.0);
                let t = ((width_m * cam.intrinsics.fx / depth).round() as i32).max(1);
                imgproc::line(
                    img,
                    Point::new((pa.x * SUB) as i32, (pa.y * SUB) as i32),
                    Point::new((pb.x * SUB) as i32, (pb.y * SUB) as i32),
                    c,
                    t,
                    imgproc::LINE_AA,
                    SHIFT,
                )?;
                Ok(())
            };
        let mut y = -hy;
        while y <= hy + 1e-9 {
            seg(
                Point3::new(bx, y, 0.0),
                Point3::new(bx, y, top * 0.85),
                net,
                0.02,
            )?;
            seg(
                Point3::new(gx, y, top),
                Point3::new(bx, y, top * 0.85),
                net,
                0.02,
            )?;
            y += 0.5;
        }
        let mut z = 0.0;
        while z <= top {
            seg(
                Point3::new(bx, -hy, z.min(top * 0.85)),
                Point3::new(bx, hy, z.min(top * 0.85)),
                net,
                0.02,
            )?;
            for ys in [-hy, hy] {
                seg(
                    Point3::new(gx, ys, z),
                    Point3::new(bx, ys, z.min(top * 0.85)),
                    net,
                    0.02,
                )?;
            }
            z += 0.5;
        }
        let white = Scalar::new(245.0, 245.0, 245.0, 0.0);
        for (a, b) in self.pitch.goal_frame(end) {
            seg(a, b, white, pitch::POST_WIDTH)?;
        }
        Ok(())
    }

    fn warp_texture(
        &self,
        img: &mut Mat,
        cam: &Camera,
        quad: &[Point3<f64>; 4],
    ) -> Result<(), RenderError> {
        let mut dst = Vec::with_capacity(4);
        for p in quad {
            match cam.project_undistorted(p) {
                Some(q) if cam.depth(p) > 1.0 => dst.push(q),
                _ => return Ok(()),
            }
        }
        let (w, h) = (img.cols(), img.rows());
        let min_x = dst
            .iter()
            .map(|p| p.x)
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as i32;
        let min_y = dst
            .iter()
            .map(|p| p.y)
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as i32;
        let max_x = dst
            .iter()
            .map(|p| p.x)
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            .min(f64::from(w)) as i32;
        let max_y = dst
            .iter()
            .map(|p| p.y)
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            .min(f64::from(h)) as i32;
        if max_x <= min_x || max_y <= min_y {
            return Ok(());
        }
        let (tw, th) = (f64::from(self.crowd.cols()), f64::from(self.crowd.rows()));
        let src: Vector<core::Point2f> = [(0.0, th), (tw, th), (tw, 0.0), (0.0, 0.0)]
            .iter()
            .map(|(x, y)| core::Point2f::new(*x as f32, *y as f32))
            .collect();
        let dstv: Vector<core::Point2f> = dst
            .iter()
            .map(|p| {
                core::Point2f::new(
                    (p.x - f64::from(min_x)) as f32,
                    (p.y - f64::from(min_y)) as f32,
                )
            })
            .collect();
        let m = imgproc::get_perspective_transform(&src, &dstv, core::DECOMP_LU)?;
        let rect = Rect::new(min_x, min_y, max_x - min_x, max_y - min_y);
        let mut roi = Mat::roi_mut(img, rect)?;
        let mut warped = roi.try_clone()?;
        imgproc::warp_perspective(
            &self.crowd,
            &mut warped,
            &m,
            Size::new(rect.width, rect.height),
            imgproc::INTER_LINEAR,
            core::BORDER_TRANSPARENT,
            Scalar::all(0.0),
        )?;
        warped.copy_to(&mut roi)?;
        Ok(())
    }

    fn draw_person(
        &self,
        img: &mut Mat,
        p: &Person,
        shapes: &[(Paint, Vec<Point>)],
        idx: usize,
    ) -> Result<(), RenderError> {
        let kit = self.look.kit_of(p);
        let skin = SKIN[(idx * 7 + p.number as usize) % SKIN.len()];
        let mut torso: Option<(f64, f64, f64)> = None;
        for (paint, pts) in shapes {
            let c = match paint {
                Paint::Shirt => kit.shirt,
                Paint::Shorts => kit.shorts,
                Paint::Socks => kit.socks,
                Paint::Skin => skin,
                Paint::Hair => [25.0, 30.0, 40.0],
                Paint::Boots => [20.0, 20.0, 20.0],
                Paint::Ball => [235.0, 235.0, 235.0],
            };
            fill(img, pts, sc(c), true)?;
            if *paint == Paint::Shirt && torso.is_none() && pts.len() == 6 {
                let (cx, cy, r) = circle_of(pts);
                torso = Some((cx, cy, r));
            }
        }
        if let Some((cx, cy, r)) = torso {
            if r > 7.0 && p.team.is_some() {
                let text = p.number.to_string();
                let scale = r / 14.0;
                let thick = ((r / 8.0).round() as i32).max(1);
                let mut base = 0;
                let size = imgproc::get_text_size(
                    &text,
                    imgproc::FONT_HERSHEY_SIMPLEX,
                    scale,
                    thick,
                    &mut base,
                )?;
                imgproc::put_text(
                    img,
                    &text,
                    Point::new(
                        (cx - f64::from(size.width) / 2.0) as i32,
                        (cy + f64::from(size.height) / 2.0) as i32,
                    ),
                    imgproc::FONT_HERSHEY_SIMPLEX,
                    scale,
                    sc(kit.number),
                    thick,
                    imgproc::LINE_AA,
                    false,
                )?;
            }
        }
        Ok(())
    }
}

/// Projects a convex 3D polygon into canvas pixels (fixed point, `SHIFT` bits); `None` when any
/// vertex is behind the camera, after clipping ground polygons at the near plane.
fn project_poly(cam: &Camera, pts: &[Point3<f64>]) -> Option<Vec<Point>> {
    let near = 0.5;
    let cs: Vec<Vector3<f64>> = pts.iter().map(|p| cam.to_camera(p)).collect();
    let clipped: Vec<Vector3<f64>> = if cs.iter().all(|c| c.z > near) {
        cs
    } else {
        // Sutherland–Hodgman against z = near.
        let mut out = Vec::new();
        for i in 0..cs.len() {
            let a = cs[i];
            let b = cs[(i + 1) % cs.len()];
            let (ina, inb) = (a.z > near, b.z > near);
            if ina {
                out.push(a);
            }
            if ina != inb {
                let t = (near - a.z) / (b.z - a.z);
                out.push(a + (b - a) * t);
            }
        }
        out
    };
    if clipped.len() < 3 {
        return None;
    }
    let k = cam.intrinsics;
    Some(
        clipped
            .iter()
            .map(|c| {
                let u = k.fx * c.x / c.z + k.cx;
                let v = k.fy * c.y / c.z + k.cy;
                Point::new(
                    (u * SUB).clamp(-1e8, 1e8).round() as i32,
                    (v * SUB).clamp(-1e8, 1e8).round() as i32,
                )
            })
            .collect(),
    )
}

fn fill(img: &mut Mat, pts: &[Point], c: Scalar, aa: bool) -> Result<(), RenderError> {
    let v: Vector<Point> = pts.iter().copied().collect();
    let line = if aa {
        imgproc::LINE_AA
    } else {
        imgproc::LINE_8
    };
    imgproc::fill_convex_poly(img, &v, c, line, SHIFT)?;
    Ok(())
}

fn circle_of(pts: &[Point]) -> (f64, f64, f64) {
    let n = pts.len().max(1) as f64;
    let cx = pts.iter().map(|p| f64::from(p.x)).sum::<f64>() / n / SUB;
    let cy = pts.iter().map(|p| f64::from(p.y)).sum::<f64>() / n / SUB;
    let r = pts
        .iter()
        .map(|p| ((f64::from(p.x) / SUB - cx).powi(2) + (f64::from(p.y) / SUB - cy).powi(2)).sqrt())
        .fold(0.0, f64::max);
    (cx, cy, r)
}

/// Pixel count of an object's silhouette drawn alone.
fn silhouette_area(shapes: &[(Paint, Vec<Point>)]) -> Result<usize, RenderError> {
    let all: Vec<Point> = shapes.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        return Ok(0);
    }
    let min_x = all.iter().map(|p| p.x).min().unwrap_or(0) >> SHIFT;
    let min_y = all.iter().map(|p| p.y).min().unwrap_or(0) >> SHIFT;
    let max_x = (all.iter().map(|p| p.x).max().unwrap_or(0) >> SHIFT) + 2;
    let max_y = (all.iter().map(|p| p.y).max().unwrap_or(0) >> SHIFT) + 2;
    let (w, h) = (max_x - min_x, max_y - min_y);
    if w <= 0 || h <= 0 || w > 8000 || h > 8000 {
        return Ok(0);
    }
    let mut m = Mat::new_rows_cols_with_default(h, w, CV_8UC1, Scalar::all(0.0))?;
    for (_, pts) in shapes {
        let shifted: Vec<Point> = pts
            .iter()
            .map(|p| Point::new(p.x - (min_x << SHIFT), p.y - (min_y << SHIFT)))
            .collect();
        fill(&mut m, &shifted, Scalar::all(1.0), false)?;
    }
    Ok(core::count_non_zero(&m)? as usize)
}

/// A crowd texture: rows of seats with spectators in random colours.
fn crowd_texture(seed: u64, night: bool) -> Result<Mat, RenderError> {
    let (w, h) = (1024, 256);
    let base = if night { 30.0 } else { 60.0 };
    let mut m =
        Mat::new_rows_cols_with_default(h, w, CV_8UC3, Scalar::new(base, base, base + 5.0, 0.0))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc20d);
    let rows = 32;
    let cols = 160;
    let rh = h / rows;
    let cwid = w / cols;
    for r in 0..rows {
        for c in 0..cols {
            if rng.random::<f64>() < 0.12 {
                continue;
            }
            let palette: [Bgr; 6] = [
                [40.0, 40.0, 160.0],
                [160.0, 80.0, 30.0],
                [220.0, 220.0, 220.0],
                [40.0, 160.0, 200.0],
                [30.0, 30.0, 30.0],
                [110.0, 120.0, 140.0],
            ];
            let col = palette[rng.random_range(0..palette.len())];
            let k = if night { 0.55 } else { 1.0 };
            let jitter: f64 = rng.random_range(0.8..1.1);
            let x = c * cwid + rng.random_range(0..2);
            let y = r * rh + rng.random_range(0..2);
            imgproc::rectangle(
                &mut m,
                Rect::new(x, y + 2, cwid - 2, rh - 3),
                Scalar::new(
                    col[0] * k * jitter,
                    col[1] * k * jitter,
                    col[2] * k * jitter,
                    0.0,
                ),
                -1,
                imgproc::LINE_8,
                0,
            )?;
            imgproc::circle(
                &mut m,
                Point::new(x + cwid / 2 - 1, y + 2),
                (cwid / 3).max(1),
                Scalar::new(90.0 * k, 120.0 * k, 160.0 * k, 0.0),
                -1,
                imgproc::LINE_8,
                0,
            )?;
        }
    }
    Ok(m)
}
