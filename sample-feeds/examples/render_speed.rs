//! Renderer throughput without encoding:
//! `cargo run --release -p sample-feeds --example render_speed -- <width> <height> <frames> [camera]`.

use calibration::Pitch;
use sample_feeds::render::{Look, Renderer};
use sample_feeds::scene::{Rig, RigKind};
use sample_feeds::sim::{MatchSim, SimConfig, SIM_HZ};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let w: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1280);
    let h: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(720);
    let n: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100);
    let kind = args
        .get(4)
        .and_then(|s| RigKind::parse(s))
        .unwrap_or(RigKind::Main);
    let mut sim = MatchSim::new(SimConfig::for_seed(1));
    let mut renderer = Renderer::new(Look::from_seed(1), Pitch::STANDARD)?;
    renderer.motion_blur = !args.iter().any(|a| a == "--no-blur");
    renderer.sensor_noise = !args.iter().any(|a| a == "--no-noise");
    let draw = !args.iter().any(|a| a == "--labels-only");
    let mut rig = Rig::new(kind, w, h, Pitch::STANDARD, [0.5; 3]);
    let start = std::time::Instant::now();
    for _ in 0..n {
        for _ in 0..SIM_HZ / 25 {
            sim.step();
        }
        let cam = rig.camera(&sim.ball.pos, 0.04).ok_or("no camera")?;
        renderer.render(&cam, &sim.people, &sim.ball, draw)?;
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "{w}x{h} {}: {:.1} frames/s ({:.1} ms/frame)",
        kind.name(),
        n as f64 / s,
        1000.0 * s / n as f64
    );
    Ok(())
}
