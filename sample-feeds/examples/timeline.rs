//! Prints the event timeline of a seed (used to pick demo seeds):
//! `cargo run --release -p sample-feeds --example timeline -- <seed> <seconds> [--possession]`.

use sample_feeds::sim::{EventKind, MatchSim, SimConfig, SIM_HZ};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let possession = args.iter().any(|a| a == "--possession");
    let mut sim = MatchSim::new(SimConfig::for_seed(seed));
    for _ in 0..secs * SIM_HZ {
        sim.step();
        for e in sim.drain_events() {
            if possession || !matches!(e.kind, EventKind::Possession { .. }) {
                println!("{:7.2} {:?}", e.step as f64 / SIM_HZ as f64, e.kind);
            }
        }
    }
    let (h, a) = sim.score();
    println!("final score {h}-{a}");
}
