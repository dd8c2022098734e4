//! What the model tests share: the models directory, the committed held-out frame and its truth.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use edge_node::detect::{BoxPx, ObjectClass};
use opencv::core::Mat;
use opencv::imgcodecs;
use opencv::prelude::*;
use touchline_tests::repo_root;

pub fn models_dir() -> PathBuf {
    repo_root().join("models")
}

pub struct Truth {
    pub class: ObjectClass,
    pub bbox: BoxPx,
    pub visible: bool,
}

pub fn read_truth(path: &Path) -> Result<Vec<Truth>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [class, x0, y0, x1, y1, visible] = f[..] else {
            bail!("{}:{}: expected 6 fields", path.display(), i + 1);
        };
        let class = match class {
            "player" => ObjectClass::Player,
            "goalkeeper" => ObjectClass::Goalkeeper,
            "referee" => ObjectClass::Referee,
            "ball" => ObjectClass::Ball,
            other => bail!("{}:{}: unknown class {other}", path.display(), i + 1),
        };
        out.push(Truth {
            class,
            bbox: BoxPx {
                x1: x0.parse()?,
                y1: y0.parse()?,
                x2: x1.parse()?,
                y2: y1.parse()?,
            },
            visible: visible == "1",
        });
    }
    Ok(out)
}

pub fn read_frame(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let p = path.to_str().context("non-UTF-8 path")?;
    let img: Mat = imgcodecs::imread(p, imgcodecs::IMREAD_COLOR)?;
    if img.empty() || img.channels() != 3 {
        bail!("cannot read {p} as a BGR image");
    }
    let bytes = if img.is_continuous() {
        img.data_bytes()?.to_vec()
    } else {
        img.try_clone()?.data_bytes()?.to_vec()
    };
    Ok((img.cols() as u32, img.rows() as u32, bytes))
}

/// The committed held-out generated frame (`models/testdata/detector-frame.jpg`): width, height,
/// BGR bytes.
pub fn held_out_frame() -> Result<(u32, u32, Vec<u8>)> {
    read_frame(&models_dir().join("testdata/detector-frame.jpg"))
}

/// The truth boxes of [`held_out_frame`].
pub fn held_out_truth() -> Result<Vec<Truth>> {
    read_truth(&models_dir().join("testdata/detector-frame.csv"))
}
