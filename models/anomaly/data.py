"""Wearable data: generated feeds (samples.csv + anomalies.csv) → labelled raw windows, and the
real x-io IMU recording resampled to 60 Hz."""
import csv
import pathlib

import numpy as np

from net import WINDOW

KINDS = ["dropout", "spike", "stuck", "clock_jump", "physio_extreme"]


def venue_ns(seq):
    # The generator samples device k at venue time floor(k·1e9/60) (sequence numbers skip
    # over dropped samples, so seq is the sample slot).
    return (seq.astype(np.int64) * 1_000_000_000) // 60


def load_feed(feed_dir):
    """Returns {device: (raw [N, 13] f64 absolute, marks [N] int (-1 none, else KINDS index))}."""
    feed_dir = pathlib.Path(feed_dir)
    rows = {}
    with open(feed_dir / "wearables" / "samples.csv", newline="") as f:
        r = csv.reader(f)
        next(r)
        for dev, seq, t, x, y, ax, ay, az, gx, gy, gz, hr in r:
            rows.setdefault(dev, []).append(
                (float(seq), float(t), float(x), float(y), float(ax), float(ay), float(az),
                 float(gx), float(gy), float(gz), float(hr)))
    anomalies = {}
    with open(feed_dir / "wearables" / "anomalies.csv", newline="") as f:
        for a in csv.DictReader(f):
            anomalies.setdefault(a["device"], []).append(
                (KINDS.index(a["kind"]), int(a["start_ns"]), int(a["end_ns"])))
    out = {}
    for dev, rs in rows.items():
        a = np.array(rs, dtype=np.float64)
        n = len(a)
        raw = np.zeros((n, 13))
        raw[:, :11] = a
        raw[:, 11] = 1.0
        raw[:, 12] = 1.0
        seq = a[:, 0].astype(np.int64)
        v = venue_ns(seq)
        prev_v = np.concatenate([[v[0] - 1], v[:-1]])
        marks = np.full(n, -1, dtype=np.int64)
        for kind, s, e in anomalies.get(dev, []):
            name = KINDS[kind]
            if name in ("spike", "stuck", "physio_extreme"):
                sel = (v >= s) & (v <= e)
            elif name == "dropout":
                # The first sample after the gap shows it (Δseq > 1, Δt ≈ gap).
                sel = (prev_v < s) & (v > e)
            else:  # clock_jump: first sample at or after the jump.
                sel = (v >= s) & (prev_v < s)
            marks[sel & (marks < 0)] = kind
        out[dev] = (raw, marks)
    return out


def windows(raw, marks, hop):
    """Sliding windows (window-relative seq and time). Returns (x [W, 60, 13] f32, label [W]
    int: -1 normal, -2 don't care (anomaly touches only the first sample), else kind index)."""
    n = len(raw)
    starts = np.arange(0, n - WINDOW + 1, hop)
    xs = np.empty((len(starts), WINDOW, 13), np.float32)
    labels = np.full(len(starts), -1, np.int64)
    for k, j in enumerate(starts):
        w = raw[j:j + WINDOW].copy()
        w[:, 0] -= w[0, 0]
        w[:, 1] = (w[:, 1] - w[0, 1]) / 1000.0
        xs[k] = w
        m = marks[j + 1:j + WINDOW]
        hit = m[m >= 0]
        if len(hit):
            labels[k] = np.bincount(hit).argmax()
        elif marks[j] >= 0:
            labels[k] = -2
    return xs, labels


def feed_windows(feed_dir, hop):
    xs, ls = [], []
    for dev, (raw, marks) in sorted(load_feed(feed_dir).items()):
        x, l = windows(raw, marks, hop)
        xs.append(x)
        ls.append(l)
    return np.concatenate(xs), np.concatenate(ls)


def real_imu_windows(path, hop=30):
    """x-io CSV (100 Hz, gyro deg/s, accel g) → linear resample to 60 Hz → windows without
    position or heart rate (has_pos = has_hr = 0)."""
    a = np.genfromtxt(path, delimiter=",", skip_header=1)
    t = a[:, 0]
    grid = np.arange(t[0], t[-1], 1.0 / 60.0)
    n = len(grid)
    raw = np.zeros((n, 13))
    raw[:, 0] = np.arange(n)
    raw[:, 1] = grid * 1e6  # µs like the wearable CSV
    for k, col in enumerate([4, 5, 6]):
        raw[:, 4 + k] = np.interp(grid, t, a[:, col]) * 9.80665
    for k, col in enumerate([1, 2, 3]):
        raw[:, 7 + k] = np.interp(grid, t, a[:, col])
    x, _ = windows(raw, np.full(n, -1), hop)
    return x, float(t[-1] - t[0]), np.diff(t)
