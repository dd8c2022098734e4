"""Where the detector's missed players are: recall by occlusion band and, for the unoccluded
ones, what the detector gave instead (a player box at IoU 0.3-0.5, a box of another role, nothing)
and how tall they were at the detector's input. Matching and thresholds as the card's
(`common.evaluate`: detections best first, each to the unused true box of its class with the best
IoU >= 0.5); occlusion from the exports' labels.csv.

Run: models/.venv-train/bin/python models/tools/misses.py [--onnx models/touchline-det.onnx] \
         models/data/det/test-900 models/data/det/test-901 models/data/det/test-902
"""
import argparse
import collections
import csv
import pathlib
import sys
import tomllib

MODELS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MODELS / "detector"))
from common import BALL, CLASSES, INPUT_H, INPUT_W, iou  # noqa: E402
from evaluate import frames_at, run_export, session  # noqa: E402

PLAYER = CLASSES.index("player")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", default=str(MODELS / "touchline-det.onnx"))
    ap.add_argument("--manifest", default=str(MODELS / "touchline-det.toml"), help="for the thresholds")
    ap.add_argument("exports", nargs="+")
    a = ap.parse_args()
    thr = tomllib.loads(pathlib.Path(a.manifest).read_text())["thresholds"]
    raw = run_export(session(a.onnx, 2), a.exports)
    frames = frames_at(raw, thr["score"], thr["ball_score"])
    # run_export (data.read_export) keeps labels.csv's row order: occlusion lines up with `objects`.
    occlusion = {}
    for d in a.exports:
        with open(pathlib.Path(d) / "labels.csv", newline="") as f:
            for row in csv.DictReader(f):
                occlusion.setdefault(str(pathlib.Path(d) / "images" / row["image"]), []).append(float(row["occlusion"]))
    bands, kinds, heights = collections.Counter(), collections.Counter(), collections.Counter()
    for (dets, gts, frame_h), (r, *_) in zip(frames, raw):
        occ = occlusion[r["path"]]
        truth = [(i, g) for i, g in enumerate(gts) if g[4] == PLAYER]
        used = set()
        for d in sorted((d for d in dets if d[5] == PLAYER), key=lambda d: -d[4]):
            best, bj = -1.0, -1
            for i, g in truth:
                q = iou(d, g)
                if i not in used and q >= 0.5 and q > best:
                    best, bj = q, i
            if bj >= 0:
                used.add(bj)
        for i, g in truth:
            if not g[5]:
                continue
            band = "unoccluded" if occ[i] == 0 else ("occluded < 50 %" if occ[i] < 0.5 else "occluded 50-90 %")
            bands[band, "all"] += 1
            if i in used:
                continue
            bands[band, "missed"] += 1
            if band != "unoccluded":
                continue
            same = max([iou(d, g) for d in dets if d[5] == PLAYER] + [0.0])
            other = max([iou(d, g) for d in dets if d[5] not in (PLAYER, BALL)] + [0.0])
            kinds["player box at IoU 0.3-0.5" if same >= 0.3 else "another role" if other >= 0.3 else "no box"] += 1
            h = (g[3] - g[1]) * min(INPUT_W / r["width"], INPUT_H / frame_h)  # the letterbox's scale
            heights["< 12 px" if h < 12 else "12-20 px" if h < 20 else "20-40 px" if h < 40 else ">= 40 px"] += 1
    print("| players | true | missed | recall |\n|---|---|---|---|")
    for b in ("unoccluded", "occluded < 50 %", "occluded 50-90 %"):
        n, m = bands[b, "all"], bands[b, "missed"]
        print(f"| {b} | {n} | {m} | {1 - m / max(n, 1):.3f} |")
    print("unoccluded misses, what the detector gave:", dict(kinds))
    print("unoccluded misses, height at the detector's input:", dict(heights))


if __name__ == "__main__":
    main()
