#!/usr/bin/env bash
# Retrains the Touchline detector from scratch: generates frames with sample-feeds, trains on the
# CPU (PyTorch), exports ONNX, evaluates on held-out seeds and rewrites
#   models/touchline-det.onnx, .toml (manifest), .md (card), .metrics.json, models/testdata/detector-frame.*
# Needs: cargo, python3.11 (creates models/.venv-train with torch on first use).
# Not part of setup or CI. About 4 h of training on 2 cores (longer while other builds run); the card gives the measured time.
set -euo pipefail
cd "$(dirname "$0")/.."
M=models
D=$M/data/det
R=$M/runs
bash $M/setup_train_env.sh
PY=$M/.venv-train/bin/python
cargo build --release -p sample-feeds
B=target/release/sample-feeds
mkdir -p "$D" "$R"
gen() { [ -f "$D/$1/labels.csv" ] || $B frames --seed "$2" --count "$3" --out "$D/$1" "${@:4}"; }
for s in $(seq 1 24); do gen train-$s $s 200; done
# Seeds 25-36 and the third validation/held-out exports: half the frames with the feeds' motion blur.
for s in $(seq 25 36); do gen train-$s $s 200 --motion-blur 0.5; done
gen val-50 50 60
gen val-51 51 120
gen val-52 52 120 --motion-blur 0.5
gen test-900 900 120
gen test-901 901 120
gen test-902 902 120 --motion-blur 0.5
start=$(date +%s)
$PY -c "import sys; sys.path.insert(0, '$M/detector'); from data import build_cache; build_cache(['$D/train-%d' % s for s in range(1, 9)], '$R/train')"
# Eight stages (as the shipped model was trained): warm-up, continuation, long run with a
# stronger box-size loss, lower-rate finish, then more data. Each stage starts from the previous weights; fixed seeds.
$PY $M/detector/train.py --cache $R/train --iters 700 --batch 8 --seed 1234 --out $R/det1.onnx --checkpoint $R/det1.pt
$PY $M/detector/train.py --cache $R/train --init $R/det1.pt --iters 1000 --lr 1.5e-3 --batch 8 --seed 4242 --out $R/det2.onnx --checkpoint $R/det2.pt
$PY $M/detector/train.py --cache $R/train --init $R/det2.pt --iters 5000 --lr 2e-3 --wh-weight 1.0 --batch 12 --seed 777 --out $R/det3.onnx --checkpoint $R/det3.pt
$PY $M/detector/train.py --cache $R/train --init $R/det3.pt --iters 4000 --lr 1e-3 --wh-weight 1.0 --batch 12 --seed 99 --out $R/det4.onnx --checkpoint $R/det4.pt
# Stage 5: twice the matches and looks (seeds 1-16), a stronger box-size loss, 55-min budget.
$PY -c "import sys; sys.path.insert(0, '$M/detector'); from data import build_cache; build_cache(['$D/train-%d' % s for s in range(1, 17)], '$R/train16')"
$PY $M/detector/train.py --cache $R/train16 --init $R/det4.pt --iters 14000 --minutes 55 --lr 1e-3 --wh-weight 1.5 --batch 12 --seed 2026 --out $R/det5.onnx --checkpoint $R/det5.pt
# Stage 6: seeds 1-24 (240 looks), lower peak rate, 40-min budget.
$PY -c "import sys; sys.path.insert(0, '$M/detector'); from data import build_cache; build_cache(['$D/train-%d' % s for s in range(1, 25)], '$R/train24')"
$PY $M/detector/train.py --cache $R/train24 --init $R/det5.pt --iters 14000 --minutes 40 --lr 6e-4 --wh-weight 1.5 --batch 12 --seed 2027 --out $R/det6.onnx --checkpoint $R/det6.pt
# Stage 7: adds the motion-blurred seeds 25-36 (40 % of the crops), 60-min budget.
$PY -c "import sys; sys.path.insert(0, '$M/detector'); from data import build_cache; build_cache(['$D/train-%d' % s for s in range(25, 37)], '$R/train-blur')"
$PY $M/detector/train.py --cache $R/train24 $R/train-blur --cache-weights 0.6 0.4 --init $R/det6.pt --iters 30000 --minutes 60 --lr 6e-4 --wh-weight 1.5 --batch 12 --seed 2028 --out $R/det7.onnx --checkpoint $R/det7.pt
# Stage 8: starts from stage 7's exported ONNX (BatchNorm folded, so its statistics stay frozen), 30 %
# of the crops not taken around the ball centred on persons whose boxes overlap, a stronger box-size loss, 60-min budget.
$PY $M/detector/train.py --cache $R/train24 $R/train-blur --cache-weights 0.6 0.4 --init-onnx $R/det7.onnx \
  --iters 30000 --minutes 60 --lr 3e-4 --wh-weight 2.0 --group-crops 0.3 --batch 12 --seed 2029 \
  --out $M/touchline-det.onnx --checkpoint $R/det8.pt
$PY - "$R" <<'PY'
import json, sys, pathlib
r = pathlib.Path(sys.argv[1])
stages = [json.loads((r / f"det{i}.onnx.train.json").read_text()) for i in range(1, 8)]
stages.append(json.loads(pathlib.Path("models/touchline-det.onnx.train.json").read_text()))
total = dict(stages[-1], train_seconds=round(sum(s["train_seconds"] for s in stages), 1),
             iterations=sum(s["iterations"] for s in stages), stages=stages)
(r / "det.train.json").write_text(json.dumps(total, indent=1))
PY
rm -f $M/touchline-det.onnx.train.json
$PY $M/detector/evaluate.py --onnx $M/touchline-det.onnx --name touchline-det \
  --val $D/val-50 $D/val-51 $D/val-52 --test $D/test-900 $D/test-901 $D/test-902 \
  --train-json $R/det.train.json --train-exports $(for s in $(seq 1 36); do echo $D/train-$s; done) \
  --blurred-exports $(for s in $(seq 25 36); do echo $D/train-$s; done) $D/val-52 $D/test-902 \
  --models-dir $M
echo "detector retrained in $(( $(date +%s) - start )) s (data generation excluded)"
