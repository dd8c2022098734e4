#!/usr/bin/env bash
# Retrains the ball verifier (touchline-ball) from scratch on the shipped detector's candidates:
# generates video feeds and uses the detector's frame exports (models/data/det, made by
# train_detector.sh), cuts candidate patches, trains on the CPU, exports ONNX, evaluates on
# held-out exports and feeds and rewrites models/touchline-ball.{onnx,toml,md,metrics.json}.
# Run it after train_detector.sh (the verifier learns that detector's candidates).
# Not part of setup or CI; about an hour on 2 cores (feeds + patches + training: 58 min on 2026-12-07,
# with evaluations sharing the cores). Needs the detector exports in models/data/det.
set -euo pipefail
cd "$(dirname "$0")/.."
M=models
D=$M/data/det
V=$M/data/ball
bash $M/setup_train_env.sh
PY=$M/.venv-train/bin/python
cargo build --release -p sample-feeds
B=target/release/sample-feeds
mkdir -p "$V"
for e in train-1 train-12 train-25 train-30 val-50 val-51 val-52 test-900 test-901 test-902; do
  [ -f "$D/$e/labels.csv" ] || { echo "missing $D/$e: run models/train_detector.sh first" >&2; exit 1; }
done
# Training feeds: 32 matches x 16 s, every camera rig, 720p and 1080p (H.264 as the node decodes it).
cams=(main left right broadcast goal-pos main broadcast goal-neg)
res=(720p 1080p 720p 1080p 720p 1080p 720p 1080p)
feed() { [ -f "$V/feeds/s$1/feed.toml" ] || $B generate --seed "$1" --duration 16 --cameras "$2" --resolution "$3" --bitrate 1000 --out "$V/feeds/s$1" --no-wearables >/dev/null; }
feed 9201 main 720p; feed 9202 main 1080p; feed 9203 left 720p; feed 9204 broadcast 720p
feed 9205 right 1080p; feed 9206 goal-neg 720p; feed 9207 broadcast 1080p; feed 9208 main 720p
for i in $(seq 0 23); do feed $((9210 + i)) "${cams[$((i % 8))]}" "${res[$(((i / 8 + i) % 8))]}"; done
# Held-out feeds (seeds never used for the detector or the verifier).
feed 9901 main 720p; feed 9902 broadcast 720p; feed 9903 main 1080p; feed 9904 left 1080p
start=$(date +%s)
X="$PY $M/ball/extract.py"
# Training sets also get 2 shifted positives per visible ball and 2 negatives per frame on people's
# bodies (extract.py --jitter, --person-negatives); the evaluation sets are candidates only.
$X --out $V/train-stills.npz --jitter 2 --person-negatives 2 --export $(for s in 1 2 3 4 5 6 7 8 9 10 11 12 25 26 27 28 29 30; do echo $D/train-$s; done)
$X --out $V/train-video.npz --jitter 2 --person-negatives 2 --every 2 --feed $(ls -d $V/feeds/s92*)
$X --out $V/val.npz --export $D/val-50 $D/val-51 $D/val-52
$X --out $V/test-stills.npz --export $D/test-900 $D/test-901 $D/test-902
$X --out $V/test-video.npz --feed $V/feeds/s9901 $V/feeds/s9902 $V/feeds/s9903 $V/feeds/s9904
# Held-out search patches (the ball up to half a search step off the patch centre, and its
# neighbourhood): the card's measure of the local search.
$PY $M/ball/extract_search.py --out $V/search-test-video.npz --feed $V/feeds/s9901 $V/feeds/s9902 $V/feeds/s9903 $V/feeds/s9904
# Positives: a ball within 5 px (720p scale) of the candidate; every negative in every epoch.
$PY $M/ball/train.py --train $V/train-stills.npz $V/train-video.npz --pos-radius 5 --pos-weight 2 \
  --neg-keep 1.0 --epochs 4 --out $M/touchline-ball.onnx
# Threshold 0.4: chosen on whole tuning feeds through the tracker (edge-node README), not by report.py.
$PY $M/ball/report.py --onnx $M/touchline-ball.onnx --threshold 0.4 --val $V/val.npz \
  --test $V/test-stills.npz $V/test-video.npz --search-test $V/search-test-video.npz --models-dir $M
rm -f $M/touchline-ball.onnx.train.json  # its content is in touchline-ball.metrics.json
echo "ball verifier retrained in $(( $(date +%s) - start )) s (feed generation excluded)"
