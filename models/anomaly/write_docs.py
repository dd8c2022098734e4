"""Writes models/<name>.toml (manifest) and models/<name>.md (card) from the metrics that
anomaly/train.py measured. Usage: write_docs.py --onnx models/touchline-anomaly.onnx"""
import argparse
import datetime
import hashlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from data import KINDS  # noqa: E402
from net import FEATURES, RAW_COLUMNS, WINDOW  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--train-feeds", required=True)
    ap.add_argument("--calib-feed", required=True)
    ap.add_argument("--test-feeds", required=True)
    args = ap.parse_args()
    onnx_path = pathlib.Path(args.onnx)
    name = onnx_path.stem
    m = json.loads(pathlib.Path(str(onnx_path) + ".metrics.json").read_text())
    sha = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    cols = ", ".join(f'"{c}"' for c in RAW_COLUMNS)
    feats = ", ".join(f'"{f}"' for f in FEATURES)
    lo = ", ".join(f"{v:.6g}" for v in m["normalisation"]["lo"])
    hi = ", ".join(f"{v:.6g}" for v in m["normalisation"]["hi"])
    today = datetime.date.today().isoformat()
    manifest = f'''# Touchline wearable anomaly model. Written by models/anomaly/write_docs.py
# (models/train_anomaly.sh): do not edit by hand. Card: {name}.md
name = "{name}"
file = "{name}.onnx"
sha256 = "{sha}"
kind = "wearable-anomaly"

# One window = {WINDOW} consecutive samples received from one device, oldest first, as the wearable
# CSV / MQTT payload carries them (60 Hz). Make seq and time window-relative before converting
# to f32 (absolute device µs do not fit f32 exactly):
#   seq_rel = seq - seq[0]; t_rel_ms = (t_dev_us - t_dev_us[0]) / 1000
# has_pos / has_hr = 1 when the device reports position / heart rate, else 0 (and the value 0).
# Score every `hop` samples; a window is anomalous when score > output.threshold.
[input]
name = "samples"
shape = [1, {WINDOW}, {len(RAW_COLUMNS)}]
dtype = "f32"
columns = [{cols}]
rate_hz = 60
hop = 30

# score [1, 1]: max over the 59 sample pairs of the summed per-feature error (envelope excess +
# autoencoder reconstruction error, in units of normal variation). feature_error [1, 7]: the
# per-feature maximum, in the order of `features` (the largest names the anomaly's cause).
[output]
score = "score"
feature_error = "feature_error"
features = [{feats}]
threshold = {m["threshold"]:.4f}

[provenance]
training_script = "models/train_anomaly.sh"
generator = "sample-feeds generate --no-video"
train_feeds = "{args.train_feeds}"
calibration_feed = "{args.calib_feed}"
held_out_feeds = "{args.test_feeds}"
train_windows = {m["train_windows"]}
epochs = {m["epochs"]}
torch_seed = {m["seed"]}
train_seconds = {m["train_seconds"]}
feature_lo = [{lo}]
feature_hi = [{hi}]
threshold_rule = "1.5 x 99.95th percentile of calibration-feed normal window scores"
opset = 17
date = "{today}"
'''
    (onnx_path.parent / f"{name}.toml").write_text(manifest)
    # Heart rate alone crosses the threshold about here (envelope excess only, baseline ignored).
    k = FEATURES.index("hr")
    lo_hr, span_hr = m["normalisation"]["lo"][k], m["normalisation"]["hi"][k] - m["normalisation"]["lo"][k]
    ex = (m["threshold"] ** 0.5) * 0.02
    hr_hi = 100 * (lo_hr + (1 + ex) * span_hr)
    hr_lo = 100 * (lo_hr - ex * span_hr)

    rows = []
    for k in KINDS:
        v = m["per_kind"][k]
        rows.append(f"| {k} | {v['windows']} | {v['precision_vs_normal']:.3f} | {v['recall']:.3f} | "
                    f"{v['f1']:.3f} | {m['dominant_feature'].get(k, '-')} |")
    o = m["overall"]
    ri = m["real_imu"]
    q = m["score_quantiles_normal"]
    card = f'''# {name}: wearable anomaly model

Written by `models/anomaly/write_docs.py` from the numbers `models/anomaly/train.py` measured
(`bash models/train_anomaly.sh` regenerates the data, retrains and rewrites this card).

## What it is
- Input `samples` f32 [1, 60, 13]: one second of raw 60 Hz samples from one wearable (columns
  in the manifest; seq and time window-relative). The feature computation is inside the ONNX
  graph, so the edge node feeds the samples it received and nothing else.
- Per sample pair the graph derives 7 features: timestamp step deviation (`dt`), missing
  sequence numbers (`gap`), speed from position, |acceleration|, |angular rate|, heart rate, and
  `stuck` (every sensor value identical to the previous sample).
- Score = max over the window of (a) how far each feature leaves the envelope of normal
  training data (lo..hi + 10 % margin; `gap` and `stuck` are always 0 when normal), in units of
  2 % of that range, squared, plus (b) the reconstruction error of a 1-D convolutional autoencoder
  (bottleneck of 6 channels at 1/4 time resolution) over the continuous
  features, divided by its residual variance on held-out normal data. `feature_error` gives the
  per-feature part so the node can say *why*.
- Threshold {m["threshold"]:.2f} = 1.5 x the 99.95th percentile of the scores of normal windows
  of a calibration feed (seed {args.calib_feed}) not used for training, with position / heart rate randomly
  absent in half of them (calibration false-positive rate {m["calibration_fp_rate"]:.4f}).
- sha256 `{sha}`; {onnx_path.stat().st_size / 1024:.0f} KB.

## Training
- Normal windows (hop 10 samples) from `sample-feeds generate --no-video` feeds, seeds
  {args.train_feeds}; windows touching any labelled anomaly are excluded. {m["train_windows"]} windows,
  25 % with position and 25 % with heart rate dropped (devices without them).
- MSE on the clipped, normalised continuous features; AdamW + one-cycle, {m["epochs"]} epochs, seed {m["seed"]}.
- Training time {m["train_seconds"]:.0f} s (whole script incl. data loading, calibration, export and
  evaluation: {m["total_seconds"]:.0f} s) on this 2-core machine shared with other builds.

## Held-out evaluation (generated telemetry)
Feeds seed {args.test_feeds} (not used for training or calibration), every device, windows of 60
samples with hop 30. A window is positive for a kind when one of its sample pairs shows it:
samples inside a spike / stuck / physiological-extreme interval, the first sample after a dropout,
the first sample after a clock jump. Windows where an anomaly touches only the first sample are
left out. {m["windows"]} windows, {m["normal_windows"]} normal.

| kind | windows | precision* | recall | F1 | feature that explains it |
|---|---|---|---|---|---|
{chr(10).join(rows)}
| **overall** | {m["windows"] - m["normal_windows"]} | {o["precision"]:.3f} | {o["recall"]:.3f} | **{o["f1"]:.3f}** | |

*Per kind: TP of that kind / (TP of that kind + all false positives on normal windows).
False positives on held-out normal windows: {m["false_positives"]} of {m["normal_windows"]}
({m["fp_rate_normal"]:.5f}). Normal-window score quantiles: p50 {q["50"]:.1f}, p99 {q["99"]:.1f},
p99.9 {q["99.9"]:.1f}.

## Real IMU (false-positive rate on real motion)
`../shared/realdata/imu/xio_sensor_data.csv` (x-io, 100 Hz with real timing gaps of
{ri["raw_dt_ms_min"]:.1f}-{ri["raw_dt_ms_max"]:.1f} ms, {ri["seconds"]:.0f} s; read by path, not in the repository),
linearly resampled to 60 Hz, accelerometer g → m/s², gyroscope deg/s, no position and no heart
rate (has_pos = has_hr = 0): {ri["windows"]} windows (hop 30), **{ri["flagged"]} flagged, false-positive
rate {ri["fp_rate"]:.4f}**; score median {ri["score_p50"]:.1f}, max {ri["score_max"]:.1f} (threshold {m["threshold"]:.1f}).

## Known limits
- The envelope is learned from the generator's players; a real sensor with stronger motion
  (e.g. a goalkeeper's dive) may leave it. The real-IMU row above is the only check on real data.
- Heart rate alone is flagged outside about {hr_lo:.0f}-{hr_hi:.0f} bpm: the training feed's
  players stayed within {100 * (lo_hr + 0.1 / 1.2 * span_hr):.0f}-{100 * (lo_hr + 1.1 / 1.2 * span_hr):.0f} bpm during play. A resting
  substitute or a player near maximal effort would be flagged: train on longer / more varied
  feeds (or add rest periods to the generator) before relying on the heart-rate part.
- The injected anomalies are large by construction (spikes ≥ 8 m, clock jumps ≥ 300 ms, heart
  rate ≥ 225 or ≤ 32 bpm, stuck = bit-identical values), hence the perfect scores; subtler real
  faults (slow drift, a partially stuck axis) are not measured here.
- Resampling hides the real recording's timing gaps; the timing features are only exercised by
  the generated data.
- Window-level labels: a one-sample spike or a clock jump shows in one or two windows.
'''
    (onnx_path.parent / f"{name}.md").write_text(card)
    print(f"wrote {name}.toml and {name}.md")


if __name__ == "__main__":
    main()
