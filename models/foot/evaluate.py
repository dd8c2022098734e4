"""Foot-point error of the detector's box bottom-centre and of the refined point, against the true
box's bottom-centre, on extract.py sets; and CPU latency per batch.

Usage: evaluate.py --onnx models/touchline-foot.onnx SET.npz...
"""
import argparse
import pathlib
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "detector"))
from common import patch_latency  # noqa: E402


def session(path, threads=1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def predict(sess, patches, batch=4096):
    out = []
    for i in range(0, len(patches), batch):
        x = patches[i:i + batch].astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        out.append(sess.run(None, {"patches": np.ascontiguousarray(x)})[0])
    return np.concatenate(out)


def errors(path, sess, scale=0.6, min_side=12.0):
    """Per sample: (height px, frame height, error before (dx, dy) px, error after (dx, dy) px)."""
    z = np.load(path)
    t = z["targets"]
    s = np.maximum(scale * z["heights"], min_side)
    pred = predict(sess, z["patches"])
    before = t * s[:, None]
    after = (t - pred) * s[:, None]
    return z["heights"], before, after


def summary(before, after):
    def row(e):
        return {"dy_median_px": float(np.median(np.abs(e[:, 1]))), "dy_p90_px": float(np.percentile(np.abs(e[:, 1]), 90)),
                "dy_bias_px": float(np.mean(e[:, 1])),
                "dx_median_px": float(np.median(np.abs(e[:, 0]))), "dy_rms_px": float(np.sqrt(np.mean(e[:, 1] ** 2)))}
    return {"detector": row(before), "refined": row(after)}


if __name__ == "__main__":
    a = argparse.ArgumentParser()
    a.add_argument("--onnx", required=True)
    a.add_argument("sets", nargs="+")
    args = a.parse_args()
    sess = session(args.onnx, 2)
    for p in args.sets:
        h, b, af = errors(p, sess)
        print(p, len(h))
        for name, sel in (("all", h > 0), ("h<40", h < 40), ("h>=40", h >= 40)):
            r = summary(b[sel], af[sel])
            print(f"  {name:6s} n={sel.sum():6d} dy |med| {r['detector']['dy_median_px']:.3f} -> {r['refined']['dy_median_px']:.3f} px, "
                  f"rms {r['detector']['dy_rms_px']:.3f} -> {r['refined']['dy_rms_px']:.3f}, bias {r['detector']['dy_bias_px']:+.3f} -> {r['refined']['dy_bias_px']:+.3f}; "
                  f"dx |med| {r['detector']['dx_median_px']:.3f} -> {r['refined']['dx_median_px']:.3f}")
    print("latency 22 patches, 1 thread", patch_latency(args.onnx, 22, 1))
