//! What the second-stage patch models (`ball_verify`, `foot_refine`) share: opening a model whose
//! input is a batch of square BGR patches, and reading its `[N, K]` output.

use std::path::Path;

use super::detector::{check_model_file, DetectorError};
use crate::inference::{OnnxModel, OutputF32, SessionConfig};

/// Opens a patch model (`file`, checked against `sha256`) whose input `input` must be
/// `[N, 3, patch_px, patch_px]`; `origin` names its manifest in errors.
pub(crate) fn open_patch_model(
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
pub(crate) fn output_rows<const K: usize>(
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
