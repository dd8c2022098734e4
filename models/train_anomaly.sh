#!/usr/bin/env bash
# Retrains the wearable anomaly model from scratch: generates wearable feeds with sample-feeds,
# trains the autoencoder, calibrates the threshold, exports ONNX, evaluates on held-out feeds and
# on the real IMU recording (../shared/realdata/imu, read by path), and rewrites
#   models/touchline-anomaly.onnx, .toml (manifest), .md (card), .metrics.json, models/testdata/anomaly-*.csv
# Not part of setup or CI. A few minutes of training (see the card); feed generation dominates.
set -euo pipefail
cd "$(dirname "$0")/.."
M=models
D=$M/data/wear
bash $M/setup_train_env.sh
PY=$M/.venv-train/bin/python
IMU=${IMU:-../shared/realdata/imu/xio_sensor_data.csv}
cargo build --release -p sample-feeds
B=target/release/sample-feeds
mkdir -p "$D"
gen() { [ -f "$D/feed-$1/wearables/samples.csv" ] || $B generate --seed "$1" --duration "$2" --no-video --out "$D/feed-$1"; }
gen 11 300; gen 12 300; gen 911 200; gen 912 200
start=$(date +%s)
$PY $M/anomaly/train.py --train $D/feed-11 --calib $D/feed-12 --test $D/feed-911 $D/feed-912 \
  --imu "$IMU" --out $M/touchline-anomaly.onnx --testdata $M/testdata --epochs 3 --max-windows 20000 --seed 4321
$PY $M/anomaly/write_docs.py --onnx $M/touchline-anomaly.onnx \
  --train-feeds "11 (300 s)" --calib-feed "12 (300 s)" --test-feeds "911, 912 (200 s each)"
echo "anomaly model retrained in $(( $(date +%s) - start )) s (feed generation excluded)"
