//! ONNX Runtime loading and sessions.
//!
//! The runtime is loaded dynamically (`ort` feature `load-dynamic`) from the `libonnxruntime.so`
//! shipped in the pinned PyPI `onnxruntime` wheel; `scripts/setup.sh` installs it and exports
//! `ORT_DYLIB_PATH`. Loading happens once per process; every failure names the path and the
//! variable so an operator can fix it.
//!
//! Sessions are CPU work: run them on dedicated worker threads, never on the async runtime.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;

/// Environment variable naming the ONNX Runtime shared library.
pub const ORT_DYLIB_PATH: &str = "ORT_DYLIB_PATH";

/// Why the runtime, a model, or an inference call failed.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// `ORT_DYLIB_PATH` is unset or empty and no explicit path was given.
    #[error("ONNX Runtime library not configured: set {ORT_DYLIB_PATH} to libonnxruntime.so (scripts/setup.sh prints the path)")]
    DylibNotConfigured,
    /// The library path does not exist.
    #[error("ONNX Runtime library {path} (from {ORT_DYLIB_PATH}) does not exist")]
    DylibMissing { path: PathBuf },
    /// The library exists but could not be loaded (wrong file, wrong version, wrong architecture).
    #[error("cannot load ONNX Runtime library {path} (from {ORT_DYLIB_PATH}): {reason}")]
    DylibLoad { path: PathBuf, reason: String },
    /// A model file could not be opened or parsed by ONNX Runtime.
    #[error("cannot load ONNX model {path}: {source}")]
    Model { path: PathBuf, source: ort::Error },
    /// The input does not match what the model expects.
    #[error("input has {got} values but shape {shape:?} needs {want}")]
    InputSize {
        shape: Vec<i64>,
        want: usize,
        got: usize,
    },
    /// The model produced an output that is not an f32 tensor.
    #[error("output `{name}` is not an f32 tensor: {source}")]
    Output { name: String, source: ort::Error },
    /// ONNX Runtime failed while running.
    #[error("onnx runtime: {0}")]
    Ort(#[from] ort::Error),
}

static ENVIRONMENT: Mutex<Option<(PathBuf, ort::environment::Environment)>> = Mutex::new(None);

/// Loads ONNX Runtime (once per process) and returns its environment.
///
/// `explicit` overrides `ORT_DYLIB_PATH`. Calling again returns the loaded environment; a second,
/// different path is ignored because a process can hold only one runtime.
pub fn environment(
    explicit: Option<&Path>,
) -> Result<ort::environment::Environment, InferenceError> {
    let mut slot = ENVIRONMENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, env)) = slot.as_ref() {
        return Ok(env.clone());
    }
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os(ORT_DYLIB_PATH) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => return Err(InferenceError::DylibNotConfigured),
        },
    };
    if !path.is_file() {
        return Err(InferenceError::DylibMissing { path });
    }
    let builder = ort::init_from(&path).map_err(|e| InferenceError::DylibLoad {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let env = builder.build().map_err(|e| InferenceError::DylibLoad {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    *slot = Some((path, env.clone()));
    Ok(env)
}

/// One output tensor, copied out of the session.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputF32 {
    /// Output name in the graph.
    pub name: String,
    /// Dimensions.
    pub shape: Vec<i64>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// A loaded ONNX model with one f32 input, run on the calling thread.
pub struct OnnxModel {
    session: Session,
    path: PathBuf,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("path", &self.path)
            .finish()
    }
}

impl OnnxModel {
    /// Opens a model with `intra_threads` CPU threads (1 per worker is the usual choice).
    pub fn open(path: &Path, intra_threads: usize) -> Result<Self, InferenceError> {
        let env = environment(None)?;
        let model_err = |source| InferenceError::Model {
            path: path.to_path_buf(),
            source,
        };
        let mut builder = Session::builder(&env)
            .map_err(model_err)?
            .with_intra_threads(intra_threads.max(1))
            .map_err(|e| model_err(e.into()))?
            // Legacy exports (initializers listed as inputs) warn once per tensor; keep logs useful.
            .with_log_level(ort::logging::LogLevel::Error)
            .map_err(|e| model_err(e.into()))?;
        let session = builder.commit_from_file(path).map_err(model_err)?;
        Ok(Self {
            session,
            path: path.to_path_buf(),
        })
    }

    /// Names of the graph inputs, in order.
    pub fn input_names(&self) -> Vec<String> {
        self.session
            .inputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect()
    }

    /// Dimensions of a graph input (`-1` for symbolic ones), if it exists and is a tensor.
    pub fn input_shape(&self, name: &str) -> Option<Vec<i64>> {
        self.session
            .inputs()
            .iter()
            .find(|o| o.name() == name)
            .and_then(|o| o.dtype().tensor_shape())
            .map(|shape| shape.to_vec())
    }

    /// The model file this session was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names of the graph outputs, in order.
    pub fn output_names(&self) -> Vec<String> {
        self.session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect()
    }

    /// Runs the model on one f32 input tensor and copies every output out.
    pub fn run_f32(
        &mut self,
        input_name: &str,
        shape: &[i64],
        data: Vec<f32>,
    ) -> Result<Vec<OutputF32>, InferenceError> {
        let want = shape
            .iter()
            .map(|d| (*d).max(0) as usize)
            .product::<usize>();
        if want != data.len() {
            return Err(InferenceError::InputSize {
                shape: shape.to_vec(),
                want,
                got: data.len(),
            });
        }
        let tensor = Tensor::from_array((shape.to_vec(), data))?;
        let outputs = self.session.run(ort::inputs![input_name => tensor])?;
        let mut copied = Vec::with_capacity(outputs.len());
        for (name, value) in outputs.iter() {
            let (out_shape, values) =
                value
                    .try_extract_tensor::<f32>()
                    .map_err(|source| InferenceError::Output {
                        name: name.to_string(),
                        source,
                    })?;
            copied.push(OutputF32 {
                name: name.to_string(),
                shape: out_shape.iter().copied().collect(),
                data: values.to_vec(),
            });
        }
        Ok(copied)
    }
}
