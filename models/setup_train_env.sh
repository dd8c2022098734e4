#!/usr/bin/env bash
# Creates models/.venv-train (git-ignored) with the training dependencies, once.
# torch from PyPI (its Linux wheel pulls CUDA runtime packages too: ~3 GB, CPU is used).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv-train/bin/python ] || ! .venv-train/bin/python -c "import torch, cv2, onnx, onnxruntime" 2>/dev/null; then
  python3.11 -m venv .venv-train
  .venv-train/bin/pip install --quiet torch==2.15.0 numpy onnx==1.23.2 onnxruntime==1.32.0 onnxscript opencv-python-headless==5.0.0.93
fi
