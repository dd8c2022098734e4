"""CPU latency of an ONNX model through ONNX Runtime, at 1 and 2 intra-op threads, with the
machine's load average before and after (a figure taken while builds run is the builds' figure,
not the model's: run it on a quiet machine, or pause them, and read the load column).

Run: models/.venv-train/bin/python models/tools/latency.py models/touchline-det.onnx
     [--runs 200] [--record models/touchline-det.metrics.json]

The input is random data of the model's input shape (dynamic dimensions set to 1); the graph's
work does not depend on the values. --record stores the table under `latency_remeasured` of a
metrics file (with the date, the CPU and the load averages) without touching the rest of it.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "detector"))
from common import timed_runs  # noqa: E402
from evaluate import session  # noqa: E402

DTYPES = {"tensor(float)": np.float32, "tensor(uint8)": np.uint8, "tensor(int64)": np.int64}


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(path, threads, runs):
    sess = session(path, threads)  # the detector card's session options
    feeds = {}
    rng = np.random.default_rng(0)
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
        dtype = DTYPES.get(i.type)
        if dtype is None:
            raise SystemExit(f"{path}: input {i.name} has type {i.type}, which this tool does not fill")
        feeds[i.name] = (rng.random(shape) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    return {**timed_runs(sess, feeds, runs, warmup=10), "runs": runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("onnx")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--record", type=pathlib.Path, help="metrics JSON to store the table in")
    args = ap.parse_args()
    load_before = os.getloadavg()
    lat = {t: measure(args.onnx, t, args.runs) for t in (1, 2)}
    load_after = os.getloadavg()
    print(f"{args.onnx}: ONNX Runtime {ort.__version__}, {cpu_model()}, {os.cpu_count()} CPUs")
    print(f"load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f}")
    print("| threads | median | min | p90 |")
    print("|---|---|---|---|")
    for t, v in lat.items():
        print(f"| {t} | {v['median_ms']:.1f} ms | {v['min_ms']:.1f} ms | {v['p90_ms']:.1f} ms |")
    if args.record:
        metrics = json.loads(args.record.read_text())
        metrics["latency_remeasured"] = {
            "date": datetime.date.today().isoformat(), "onnxruntime": ort.__version__,
            "cpu": cpu_model(), "load_1min_before": load_before[0], "load_1min_after": load_after[0],
            **{str(t): v for t, v in lat.items()}}
        args.record.write_text(json.dumps(metrics, indent=1))
        print(f"recorded under latency_remeasured in {args.record}")


if __name__ == "__main__":
    main()
