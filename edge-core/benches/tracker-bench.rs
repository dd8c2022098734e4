//! Tracker update cost with a full pitch: 22 players + 1 referee through [`Tracker`], plus one
//! ball through [`BallTracker`]. Prints µs per update (mean and worst of the measured frames).
//!
//! Run: `cargo bench -p edge-core --bench tracker-bench`.

use std::hint::black_box;
use std::time::Instant;

use edge_core::{
    BallConfig, BallTracker, Detection, ImageBox, ObjectClass, Tracker, TrackerConfig,
};
use nalgebra::Point2;

/// Small deterministic generator (SplitMix64) for measurement noise.
struct Noise(u64);

impl Noise {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-a, a].
    fn sym(&mut self, a: f64) -> f64 {
        (self.next_f64() * 2.0 - 1.0) * a
    }
}

fn detection(p: Point2<f64>, class: ObjectClass) -> Detection {
    // A simple fixed-scale "camera": 10 px per metre, boxes 8 × 18 px standing on the foot point.
    let (u, v) = ((p.x + 60.0) * 10.0, (p.y + 40.0) * 10.0);
    let b = ImageBox::new(
        (u - 4.0) as f32,
        (v - 18.0) as f32,
        (u + 4.0) as f32,
        v as f32,
    );
    // Torso colours as the edge node measures them: two kits and the officials' black.
    let kit = match (class, p.x > 0.0) {
        (ObjectClass::Referee, _) => [20.0, 20.0, 20.0],
        (_, true) => [40.0, 40.0, 200.0],
        (_, false) => [200.0, 60.0, 40.0],
    };
    Detection::new(b, 0.9, class, Some(p)).with_torso_colour(kit)
}

fn main() {
    const FRAMES: usize = 3000;
    const WARMUP: usize = 100;
    const DT_NS: i64 = 40_000_000;
    let mut tracker = match Tracker::new(TrackerConfig::default()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("config: {e}");
            return;
        }
    };
    let mut ball_tracker = match BallTracker::new(BallConfig::default()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("config: {e}");
            return;
        }
    };
    let mut noise = Noise(7);
    // 23 people on a 105 × 68 pitch, each on a slow sinusoidal run; the ball crosses the pitch.
    let people: Vec<(Point2<f64>, f64, f64, ObjectClass)> = (0..23)
        .map(|i| {
            let x = -45.0 + 90.0 * (f64::from(i) / 22.0);
            let y = -28.0 + 56.0 * ((f64::from(i) * 0.37) % 1.0);
            let class = if i == 22 {
                ObjectClass::Referee
            } else {
                ObjectClass::Player
            };
            (
                Point2::new(x, y),
                0.2 + 0.01 * f64::from(i),
                f64::from(i),
                class,
            )
        })
        .collect();
    let mut people_ns: Vec<u128> = Vec::with_capacity(FRAMES);
    let mut total_ns: Vec<u128> = Vec::with_capacity(FRAMES);
    let mut reported = 0usize;
    let mut dets = Vec::with_capacity(24);
    for frame in 0..FRAMES {
        let t = frame as f64 * DT_NS as f64 * 1e-9;
        dets.clear();
        for &(p0, w, phase, class) in &people {
            let p = Point2::new(
                p0.x + 6.0 * (w * t + phase).sin() + noise.sym(0.2),
                p0.y + 4.0 * (0.7 * w * t + phase).cos() + noise.sym(0.2),
            );
            dets.push(detection(p, class));
        }
        let ball = Point2::new(-50.0 + (12.0 * t) % 100.0, 10.0 * (0.3 * t).sin());
        dets.push(Detection::new(
            ImageBox::new(0.0, 0.0, 2.0, 2.0),
            0.8,
            ObjectClass::Ball,
            Some(ball),
        ));
        let now_ns = frame as i64 * DT_NS;
        let start = Instant::now();
        let out = tracker.update(now_ns, black_box(&dets));
        let people_elapsed = start.elapsed().as_nanos();
        let ball_out = ball_tracker.update(now_ns, black_box(&dets));
        let elapsed = start.elapsed().as_nanos();
        if let (Ok(out), Ok(_)) = (black_box(out), black_box(ball_out)) {
            reported = out.tracks.len();
        }
        if frame >= WARMUP {
            people_ns.push(people_elapsed);
            total_ns.push(elapsed);
        }
    }
    println!(
        "tracker-bench: {} frames at 25 fps, 22 players + 1 referee + 1 ball",
        total_ns.len()
    );
    report("Tracker::update (23 people)", &mut people_ns);
    report("Tracker + BallTracker (24 objects)", &mut total_ns);
    println!("{reported} tracks reported in the last frame");
}

fn report(what: &str, samples_ns: &mut [u128]) {
    samples_ns.sort_unstable();
    let n = samples_ns.len().max(1);
    let us = |ns: u128| ns as f64 / 1000.0;
    let mean_us = us(samples_ns.iter().sum::<u128>()) / n as f64;
    let at = |q: f64| {
        us(samples_ns
            .get(((n - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or(0))
    };
    println!(
        "  {what}: {mean_us:.1} µs/update mean, {:.1} median, {:.1} p99",
        at(0.5),
        at(0.99)
    );
}
