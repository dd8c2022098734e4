//! Manifests for the real third-party detectors in ../shared/realdata/models (FastestDet and
//! NanoDet-m, COCO classes), written at test time into a temporary directory: they are test
//! inputs, not committed models.

use std::path::{Path, PathBuf};

/// The COCO class names of `models/coco.names`, as a TOML array.
pub fn coco_classes(realdata: &Path) -> anyhow::Result<String> {
    let names = std::fs::read_to_string(realdata.join("models/coco.names"))?;
    let quoted: Vec<String> = names
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{:?}", l.trim()))
        .collect();
    Ok(format!("[{}]", quoted.join(", ")))
}

/// FastestDet (352x352, stretch, `fastestdet` layout) with person and sports ball mapped.
pub fn fastestdet_manifest(realdata: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let text = format!(
        r#"
name = "fastestdet-coco"
file = {file:?}
classes = {classes}
[input]
name = "input.1"
shape = [1, 3, 352, 352]
dtype = "f32"
colour = "bgr"
resize = "stretch"
mean = [0.0, 0.0, 0.0]
std = [255.0, 255.0, 255.0]
[output]
layout = "fastestdet"
[class_map]
person = "person"
"sports ball" = "ball"
[thresholds]
score = 0.5
ball_score = 0.3
nms_iou = 0.45
"#,
        file = realdata.join("models/FastestDet.onnx"),
        classes = coco_classes(realdata)?
    );
    let path = dir.join("fastestdet.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// NanoDet-m (416x416, `nanodet-gfl` layout); `tiling` is appended verbatim (e.g. a
/// `[tiling]` table, or empty).
pub fn nanodet_manifest(realdata: &Path, dir: &Path, tiling: &str) -> anyhow::Result<PathBuf> {
    let text = format!(
        r#"
name = "nanodet-m-coco"
file = {file:?}
classes = {classes}
[input]
name = "input.1"
shape = [1, 3, 416, 416]
dtype = "f32"
colour = "bgr"
resize = "stretch"
mean = [103.53, 116.28, 123.675]
std = [57.375, 57.12, 58.395]
[output]
layout = "nanodet-gfl"
strides = [8, 16, 32]
reg_max = 7
[class_map]
person = "person"
"sports ball" = "ball"
[thresholds]
score = 0.4
ball_score = 0.3
nms_iou = 0.5
{tiling}
"#,
        file = realdata.join("models/hpc203_nanodet_m.onnx"),
        classes = coco_classes(realdata)?
    );
    let path = dir.join("nanodet.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}
