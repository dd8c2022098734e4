//! The wearable anomaly model (`models/touchline-anomaly.*`) through ONNX Runtime: the manifest's
//! sha256 and input/output description match the file and the session, a committed normal
//! 60 Hz window scores below the manifest threshold, and a committed window of every injected
//! anomaly kind scores above it, explained by the expected feature.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use edge_node::inference::OnnxModel;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use touchline_tests::repo_root;

#[derive(Debug, Deserialize)]
struct Manifest {
    file: String,
    sha256: String,
    input: Input,
    output: Output,
}

#[derive(Debug, Deserialize)]
struct Input {
    name: String,
    shape: Vec<i64>,
    dtype: String,
    columns: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Output {
    score: String,
    feature_error: String,
    features: Vec<String>,
    threshold: f32,
}

fn models_dir() -> PathBuf {
    repo_root().join("models")
}

fn load_manifest() -> Result<Manifest> {
    let path = models_dir().join("touchline-anomaly.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    Ok(toml::from_str(&text)?)
}

/// A window CSV: header with the manifest's column names, then one row per sample.
fn read_window(path: &Path, columns: &[String]) -> Result<Vec<f32>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty window file")?
        .split(',')
        .collect();
    if header != columns {
        bail!(
            "{}: columns {header:?} differ from the manifest's",
            path.display()
        );
    }
    let mut data = Vec::new();
    for line in lines {
        for v in line.split(',') {
            data.push(v.trim().parse::<f32>()?);
        }
    }
    Ok(data)
}

fn score(model: &mut OnnxModel, m: &Manifest, data: Vec<f32>) -> Result<(f32, String)> {
    let outputs = model.run_f32(&m.input.name, &m.input.shape, &data)?;
    let s = outputs
        .iter()
        .find(|o| o.name == m.output.score)
        .context("no score output")?;
    let fe = outputs
        .iter()
        .find(|o| o.name == m.output.feature_error)
        .context("no feature_error output")?;
    assert_eq!(s.shape, [1, 1]);
    assert_eq!(fe.data.len(), m.output.features.len());
    let (top, _) = fe
        .data
        .iter()
        .enumerate()
        .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
    Ok((s.data[0], m.output.features[top].clone()))
}

#[test]
fn manifest_matches_file_and_session() -> Result<()> {
    let m = load_manifest()?;
    let path = models_dir().join(&m.file);
    let bytes = std::fs::read(&path)?;
    assert_eq!(format!("{:x}", Sha256::digest(&bytes)), m.sha256);
    assert_eq!(m.input.dtype, "f32");
    assert_eq!(m.input.shape.len(), 3);
    assert_eq!(m.input.shape[2] as usize, m.input.columns.len());
    let model = OnnxModel::open(&path, 1)?;
    assert_eq!(model.input_names(), std::slice::from_ref(&m.input.name));
    assert_eq!(
        model.input_shape(&m.input.name),
        Some(m.input.shape.clone())
    );
    let outs = model.output_names();
    assert!(outs.contains(&m.output.score) && outs.contains(&m.output.feature_error));
    Ok(())
}

#[test]
fn normal_window_scores_low_and_faulty_windows_score_high() -> Result<()> {
    let m = load_manifest()?;
    let mut model = OnnxModel::open(&models_dir().join(&m.file), 1)?;
    let dir = models_dir().join("testdata");
    let thr = m.output.threshold;

    let normal = read_window(&dir.join("anomaly-normal.csv"), &m.input.columns)?;
    let (s, _) = score(&mut model, &m, normal)?;
    assert!(s < thr, "normal window scored {s} ≥ threshold {thr}");

    // Which feature must explain each kind.
    let expected: [(&str, &[&str]); 5] = [
        ("dropout", &["gap", "dt"]),
        ("spike", &["speed", "acc"]),
        ("stuck", &["stuck"]),
        ("clock_jump", &["dt"]),
        ("physio_extreme", &["hr"]),
    ];
    for (kind, features) in expected {
        let data = read_window(&dir.join(format!("anomaly-{kind}.csv")), &m.input.columns)?;
        let (s, top) = score(&mut model, &m, data)?;
        assert!(s > thr, "{kind} window scored {s} ≤ threshold {thr}");
        assert!(
            features.contains(&top.as_str()),
            "{kind} explained by {top}"
        );
    }
    Ok(())
}

#[test]
fn a_stuck_copy_of_the_normal_window_is_flagged() -> Result<()> {
    // Derived in the test, not committed: freeze every sensor value of the normal window from
    // sample 20 on while sequence numbers and timestamps keep advancing.
    let m = load_manifest()?;
    let mut model = OnnxModel::open(&models_dir().join(&m.file), 1)?;
    let cols = m.input.columns.len();
    let mut data = read_window(
        &models_dir().join("testdata/anomaly-normal.csv"),
        &m.input.columns,
    )?;
    let frozen: Vec<f32> = data[20 * cols..21 * cols].to_vec();
    for row in 21..data.len() / cols {
        for c in 2..11 {
            data[row * cols + c] = frozen[c];
        }
    }
    let (s, top) = score(&mut model, &m, data)?;
    assert!(s > m.output.threshold, "stuck copy scored {s}");
    assert_eq!(top, "stuck");
    Ok(())
}
