//! Detector preprocessing cost: a BGR frame → letterboxed, normalised NCHW f32 tensor
//! ([`prepare`]), the CPU work the pipeline does on every frame before inference. Prints one
//! table: µs per frame (median and p90 of the measured runs) per source size, for an RGB and a
//! BGR model input.
//!
//! Run: `cargo bench -p edge-node --bench preprocess-bench`.

use std::hint::black_box;
use std::time::Instant;

use edge_node::detect::manifest::{ColourOrder, InputSpec, Resize};
use edge_node::detect::preprocess::{prepare, BgrFrame};

fn spec(colour: ColourOrder, mean: [f32; 3], std: [f32; 3]) -> InputSpec {
    InputSpec {
        name: "images".into(),
        shape: [1, 3, 544, 960],
        dtype: "f32".into(),
        colour,
        resize: Resize::Letterbox,
        mean,
        std,
        pad_value: 114,
    }
}

/// A frame with structure (gradients and stripes), not a constant: resize cost does not depend
/// on content, but a constant frame could hide a bug that the tensor check below would catch.
fn frame(width: u32, height: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            data.push((x % 256) as u8);
            data.push((y % 256) as u8);
            data.push(((x / 8 + y / 8) % 2 * 200) as u8);
        }
    }
    data
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs = 300;
    let specs = [
        (
            "BGR, /255 (touchline-det)",
            spec(ColourOrder::Bgr, [0.0; 3], [255.0; 3]),
        ),
        (
            "RGB, ImageNet mean/std",
            spec(
                ColourOrder::Rgb,
                [123.675, 116.28, 103.53],
                [58.395, 57.12, 57.375],
            ),
        ),
    ];
    println!("| source | model input | median µs | p90 µs |");
    println!("|---|---|---|---|");
    for (w, h) in [(1920u32, 1080u32), (1280, 720)] {
        let data = frame(w, h);
        let bgr = BgrFrame::new(w, h, &data)?;
        for (name, spec) in &specs {
            let mut tensor = Vec::new();
            for _ in 0..10 {
                prepare(&bgr, bgr.full(), spec, &mut tensor)?;
            }
            let mut us = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t0 = Instant::now();
                prepare(&bgr, bgr.full(), spec, &mut tensor)?;
                us.push(t0.elapsed().as_secs_f64() * 1e6);
                black_box(&tensor);
            }
            us.sort_by(f64::total_cmp);
            println!(
                "| {w}x{h} | 960x544, {name} | {:.0} | {:.0} |",
                us[runs / 2],
                us[runs * 9 / 10]
            );
        }
    }
    Ok(())
}
