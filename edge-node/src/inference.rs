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
use ort::value::TensorRef;

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
    /// The configured execution provider is not compiled into the loaded ONNX Runtime.
    #[error("execution provider {provider} is not available in the loaded ONNX Runtime (it offers: {available}); install a runtime built with it (e.g. the onnxruntime-gpu wheel for cuda/tensorrt) or set the provider to \"cpu\"")]
    ProviderUnavailable {
        provider: ExecutionProvider,
        available: String,
    },
    /// The provider is in the runtime but could not start (driver, device, libraries).
    #[error("execution provider {provider} failed to start for {path}: {source}")]
    ProviderFailed {
        provider: ExecutionProvider,
        path: PathBuf,
        source: ort::Error,
    },
    /// ONNX Runtime failed while running.
    #[error("onnx runtime: {0}")]
    Ort(#[from] ort::Error),
}

/// Where ONNX Runtime runs a model. Written `cpu`, `cuda`, `cuda:1`, `tensorrt`, `tensorrt:0`
/// or `openvino` in configs and on the command line. The default is the CPU; any other provider
/// must be present in the loaded runtime (the PyPI `onnxruntime` wheel has only the CPU) and is
/// never silently replaced by the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ExecutionProvider {
    /// ONNX Runtime's default CPU provider.
    #[default]
    Cpu,
    /// NVIDIA CUDA on this device.
    Cuda {
        /// GPU index.
        device_id: i32,
    },
    /// NVIDIA TensorRT on this device.
    TensorRt {
        /// GPU index.
        device_id: i32,
    },
    /// Intel OpenVINO (CPU/iGPU/VPU chosen by OpenVINO).
    OpenVino,
}

impl ExecutionProvider {
    fn is_available(&self) -> Result<bool, ort::Error> {
        use ort::ep::ExecutionProvider as _;
        match self {
            ExecutionProvider::Cpu => Ok(true),
            ExecutionProvider::Cuda { .. } => ort::ep::CUDA::is_available(),
            ExecutionProvider::TensorRt { .. } => ort::ep::TensorRT::is_available(),
            ExecutionProvider::OpenVino => ort::ep::OpenVINO::is_available(),
        }
    }

    fn dispatch(&self) -> Option<ort::ep::ExecutionProviderDispatch> {
        match *self {
            ExecutionProvider::Cpu => None,
            ExecutionProvider::Cuda { device_id } => Some(
                ort::ep::CUDA::default()
                    .with_device_id(device_id)
                    .build()
                    .error_on_failure(),
            ),
            ExecutionProvider::TensorRt { device_id } => Some(
                ort::ep::TensorRT::default()
                    .with_device_id(device_id)
                    .build()
                    .error_on_failure(),
            ),
            ExecutionProvider::OpenVino => {
                Some(ort::ep::OpenVINO::default().build().error_on_failure())
            }
        }
    }
}

/// Providers the loaded runtime was built with, among those Touchline can configure.
pub fn available_providers() -> Result<Vec<ExecutionProvider>, InferenceError> {
    environment(None)?;
    let mut out = Vec::new();
    for p in [
        ExecutionProvider::Cpu,
        ExecutionProvider::Cuda { device_id: 0 },
        ExecutionProvider::TensorRt { device_id: 0 },
        ExecutionProvider::OpenVino,
    ] {
        if p.is_available()? {
            out.push(p);
        }
    }
    Ok(out)
}

impl std::fmt::Display for ExecutionProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecutionProvider::Cpu => f.write_str("cpu"),
            ExecutionProvider::Cuda { device_id } => write!(f, "cuda:{device_id}"),
            ExecutionProvider::TensorRt { device_id } => write!(f, "tensorrt:{device_id}"),
            ExecutionProvider::OpenVino => f.write_str("openvino"),
        }
    }
}

impl std::str::FromStr for ExecutionProvider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, device) = match s.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        let device_id = match device {
            None => 0,
            Some(d) => d.parse::<i32>().ok().filter(|d| *d >= 0).ok_or_else(|| {
                format!("execution provider {s:?}: device {d:?} is not a GPU index")
            })?,
        };
        match (name.to_ascii_lowercase().as_str(), device) {
            ("cpu", None) => Ok(ExecutionProvider::Cpu),
            ("cuda", _) => Ok(ExecutionProvider::Cuda { device_id }),
            ("tensorrt", _) => Ok(ExecutionProvider::TensorRt { device_id }),
            ("openvino", None) => Ok(ExecutionProvider::OpenVino),
            _ => Err(format!(
                "unknown execution provider {s:?}: expected cpu, cuda[:N], tensorrt[:N] or openvino"
            )),
        }
    }
}

impl TryFrom<String> for ExecutionProvider {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ExecutionProvider> for String {
    fn from(p: ExecutionProvider) -> String {
        p.to_string()
    }
}

/// How a session runs: CPU threads and execution provider. A bare thread count converts to a
/// CPU session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Intra-op threads (CPU work of the session; 1 per worker is the usual choice).
    pub intra_threads: usize,
    /// Execution provider.
    pub provider: ExecutionProvider,
}

impl From<usize> for SessionConfig {
    fn from(intra_threads: usize) -> Self {
        SessionConfig {
            intra_threads,
            provider: ExecutionProvider::Cpu,
        }
    }
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
    /// Opens a model: a thread count (CPU) or a [`SessionConfig`]. A provider other than the CPU
    /// must be in the loaded runtime and must start, or this fails naming it (no silent CPU
    /// fallback: an edge box sized for a GPU would otherwise fall behind without saying why).
    pub fn open(path: &Path, session: impl Into<SessionConfig>) -> Result<Self, InferenceError> {
        let session = session.into();
        let intra_threads = session.intra_threads;
        let env = environment(None)?;
        let model_err = |source| InferenceError::Model {
            path: path.to_path_buf(),
            source,
        };
        let mut builder = Session::builder(&env)
            .map_err(model_err)?
            .with_intra_threads(intra_threads.max(1))
            .map_err(|e| model_err(e.into()))?
            // Idle pool threads sleep instead of spinning: on a small box the spinning threads
            // take the cores GStreamer decodes on (1080p50 bench on 2 cores, five alternating
            // pairs: 38.6 fps spinning, 43.2 fps not).
            .with_intra_op_spinning(false)
            .map_err(|e| model_err(e.into()))?
            // Legacy exports (initializers listed as inputs) warn once per tensor; keep logs useful.
            .with_log_level(ort::logging::LogLevel::Error)
            .map_err(|e| model_err(e.into()))?;
        if let Some(ep) = session.provider.dispatch() {
            if !session.provider.is_available()? {
                let available = available_providers()?
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(InferenceError::ProviderUnavailable {
                    provider: session.provider,
                    available,
                });
            }
            builder = builder.with_execution_providers([ep]).map_err(|e| {
                InferenceError::ProviderFailed {
                    provider: session.provider,
                    path: path.to_path_buf(),
                    source: e.into(),
                }
            })?;
        }
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
        data: &[f32],
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
        // A view of the caller's buffer: no copy, and the caller keeps the allocation for the next
        // frame (a fresh 6 MB tensor per 1080p frame cost an mmap and its page faults every time).
        let tensor = TensorRef::from_array_view((shape.to_vec(), data))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_parse_and_print_round_trip() {
        for (text, want) in [
            ("cpu", ExecutionProvider::Cpu),
            ("cuda", ExecutionProvider::Cuda { device_id: 0 }),
            ("CUDA:1", ExecutionProvider::Cuda { device_id: 1 }),
            ("tensorrt:2", ExecutionProvider::TensorRt { device_id: 2 }),
            ("openvino", ExecutionProvider::OpenVino),
        ] {
            let got: ExecutionProvider = text.parse().unwrap_or(ExecutionProvider::Cpu);
            assert_eq!(got, want, "{text}");
            assert_eq!(got.to_string().parse::<ExecutionProvider>(), Ok(want));
        }
        assert_eq!(ExecutionProvider::default(), ExecutionProvider::Cpu);
    }

    #[test]
    fn bad_provider_names_say_what_is_accepted() {
        for bad in ["gpu", "cpu:0", "cuda:-1", "cuda:x", ""] {
            let err = bad.parse::<ExecutionProvider>().err().unwrap_or_default();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
        let err = "gpu".parse::<ExecutionProvider>().err().unwrap_or_default();
        assert!(
            err.contains("cpu, cuda[:N], tensorrt[:N] or openvino"),
            "{err}"
        );
    }

    #[test]
    fn providers_read_from_toml_name_the_bad_value() {
        #[derive(Debug, serde::Deserialize)]
        struct C {
            provider: ExecutionProvider,
        }
        let ok: Result<C, _> = toml::from_str("provider = \"cuda:0\"");
        assert_eq!(
            ok.map(|c| c.provider).ok(),
            Some(ExecutionProvider::Cuda { device_id: 0 })
        );
        let bad: Result<C, _> = toml::from_str("provider = \"gpu\"");
        let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("unknown execution provider"), "{msg}");
    }
}
