//! What the second-stage patch models (`ball_verify`, `foot_refine`) share: [`PatchSession`], a
//! session whose input is a batch of square BGR patches, with its reusable input buffer and the
//! `[N, K]` output check, and the manifests' `patch_px` range.

use std::path::{Path, PathBuf};

use super::detector::{check_model_file, DetectorError};
use super::manifest::ManifestError;
use crate::inference::{OnnxModel, OutputF32, SessionConfig};

/// Checks a patch-model manifest's `patch_px` (4..=256); the error names the key and `path`.
pub(crate) fn check_patch_px(patch_px: u32, path: &Path) -> Result<(), ManifestError> {
    if (4..=256).contains(&patch_px) {
        return Ok(());
    }
    Err(ManifestError::Invalid {
        path: path.to_path_buf(),
        key: "patch_px",
        message: format!("must be in 4..=256, got {patch_px}"),
    })
}

/// One patch model's ONNX Runtime session and input buffer (run it on the detector's worker
/// thread). Fill [`PatchSession::input`] with `n` patches (planar B, G, R / 255 each), then
/// [`PatchSession::run`].
pub(crate) struct PatchSession {
    model: OnnxModel,
    file: PathBuf,
    name: String,
    input: String,
    patch_px: u32,
    tensor: Vec<f32>,
}

impl PatchSession {
    /// Opens `file` (checked against `sha256`), whose input `input` must be
    /// `[N, 3, patch_px, patch_px]`; `name` names the model in output errors, `origin` its
    /// manifest in open errors.
    pub(crate) fn open(
        file: PathBuf,
        sha256: Option<&str>,
        input: &str,
        patch_px: u32,
        name: &str,
        origin: &str,
        session: impl Into<SessionConfig>,
    ) -> Result<Self, DetectorError> {
        let model = open_patch_model(&file, sha256, input, patch_px, origin, session)?;
        Ok(Self {
            model,
            file,
            name: name.to_string(),
            input: input.to_string(),
            patch_px,
            tensor: Vec::new(),
        })
    }

    /// The input buffer, emptied: append the patches to it.
    pub(crate) fn input(&mut self) -> &mut Vec<f32> {
        self.tensor.clear();
        &mut self.tensor
    }

    /// Runs the model on the `n` patches in the input buffer; its output as `n` rows of `K`.
    pub(crate) fn run<const K: usize>(&mut self, n: usize) -> Result<Vec<[f32; K]>, DetectorError> {
        let p = i64::from(self.patch_px);
        let outputs = self
            .model
            .run_f32(&self.input, &[n as i64, 3, p, p], &self.tensor)?;
        output_rows(&outputs, n, &self.file, &self.name)
    }
}

/// Opens a patch model (`file`, checked against `sha256`) whose input `input` must be
/// `[N, 3, patch_px, patch_px]`; `origin` names its manifest in errors.
fn open_patch_model(
    file: &Path,
    sha256: Option<&str>,
    input: &str,
    patch_px: u32,
    origin: &str,
    session: impl Into<SessionConfig>,
) -> Result<OnnxModel, DetectorError> {
    check_model_file(file, sha256, origin)?;
    let model = OnnxModel::open(file, session)?;
    let p = i64::from(patch_px);
    let fits = model.input_shape(input).is_some_and(|s| {
        s.len() == 4
            && s.iter()
                .zip([-1, 3, p, p])
                .skip(1)
                .all(|(m, want)| *m < 0 || *m == want)
    });
    if !fits {
        return Err(DetectorError::Mismatch {
            path: file.to_path_buf(),
            manifest: origin.to_string(),
            message: format!(
                "expected an input {input:?} of shape [N, 3, {p}, {p}], the model has {:?}",
                model
                    .input_names()
                    .into_iter()
                    .map(|n| (model.input_shape(&n), n))
                    .collect::<Vec<_>>()
            ),
        });
    }
    Ok(model)
}

/// The first output as `n` rows of `K` values, or a mismatch error naming the model (`path`,
/// `name`) when it is not `[n, K]`.
fn output_rows<const K: usize>(
    outputs: &[OutputF32],
    n: usize,
    path: &Path,
    name: &str,
) -> Result<Vec<[f32; K]>, DetectorError> {
    let rows: Vec<[f32; K]> = outputs
        .first()
        .filter(|o| o.shape.len() == 2 && o.shape.get(1) == Some(&(K as i64)))
        .map(|o| {
            o.data
                .chunks_exact(K)
                .filter_map(|c| <[f32; K]>::try_from(c).ok())
                .collect()
        })
        .unwrap_or_default();
    if rows.len() != n {
        return Err(DetectorError::Mismatch {
            path: path.to_path_buf(),
            manifest: name.to_string(),
            message: format!(
                "expected an output [{n}, {K}], got {:?}",
                outputs.first().map(|o| o.shape.clone())
            ),
        });
    }
    Ok(rows)
}
