"""Foot-refiner data: for every person the shipped detector finds (score >= 0.4) that matches an
unoccluded, untruncated true box (IoU >= 0.5, occlusion < 0.3), the foot patch (patch.py) and the
target: the true box's bottom-centre relative to the detected one, in units of the patch side.

Usage: extract.py --out FILE.npz (--feed DIR | --export DIR)... [--every N]
"""
import argparse
import csv
import pathlib
import sys
import tomllib

import cv2
import numpy as np
import onnxruntime as ort

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "detector"))
from common import BALL, decode_rows, iou, letterbox, to_tensor, video_frames  # noqa: E402

from patch import cut, side  # noqa: E402

PERSON = {"player", "goalkeeper", "referee"}


def feed_frames(feed, every):
    feed = pathlib.Path(feed)
    meta = tomllib.loads((feed / "feed.toml").read_text())
    for cam in meta["cameras"]:
        boxes = {}
        with open(feed / cam["boxes"], newline="") as f:
            for row in csv.DictReader(f):
                if row["object"] == "B" or row["visible"] != "1":
                    continue
                boxes.setdefault(int(row["frame"]), []).append(
                    (*(float(row[k]) for k in ("x0", "y0", "x1", "y1")), float(row["occlusion"])))
        for i, img in video_frames(feed / cam["video"]):
            if i % every == 0:
                h, w = img.shape[:2]
                # Boxes touching the border are truncated.
                gts = [b for b in boxes.get(i, []) if b[0] > 1 and b[1] > 1 and b[2] < w - 1 and b[3] < h - 1]
                yield f"{feed.name}/{cam['name']}:{i}", img, gts


def export_frames(export):
    export = pathlib.Path(export)
    rows = {}
    with open(export / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["class"] in PERSON and row["truncated"] == "0":
                rows.setdefault(row["image"], []).append(
                    (*(float(row[k]) for k in ("x0", "y0", "x1", "y1")), float(row["occlusion"])))
    for name in sorted(rows):
        img = cv2.imread(str(export / "images" / name), cv2.IMREAD_COLOR)
        yield f"{export.name}:{name}", img, rows[name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--detector", default="models/touchline-det.onnx")
    ap.add_argument("--feed", nargs="*", default=[])
    ap.add_argument("--export", nargs="*", default=[])
    ap.add_argument("--every", type=int, default=4)
    args = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(args.detector, so, providers=["CPUExecutionProvider"])
    P, T, H, S = [], [], [], []
    gens = [feed_frames(f, args.every) for f in args.feed] + [export_frames(e) for e in args.export]
    for gen in gens:
        for src, img, gts in gen:
            h, w = img.shape[:2]
            canvas, s, px, py = letterbox(img)
            rows = sess.run(None, {"images": to_tensor(canvas)})[0][0]
            dets = [d for d in decode_rows(rows, s, px, py, w, h, 0.4, 0.4) if d[5] != BALL]
            for d in dets:
                best, bq = None, 0.5
                for g in gts:
                    q = iou(d, g)
                    if q >= bq:
                        best, bq = g, q
                if best is None or best[4] >= 0.3:
                    continue
                sd = side(d)
                cx, y2 = (d[0] + d[2]) / 2, d[3]
                gx, gy = (best[0] + best[2]) / 2, best[3]
                P.append(cut(img, d))
                T.append(((gx - cx) / sd, (gy - y2) / sd))
                H.append(d[3] - d[1])
                S.append(src)
        print(f"{len(T)} samples so far", flush=True)
    np.savez_compressed(args.out, patches=np.stack(P), targets=np.array(T, np.float32),
                        heights=np.array(H, np.float32), sources=np.array(S))
    t = np.array(T)
    print(f"{args.out}: {len(T)} samples; target |dy| median {np.median(np.abs(t[:, 1])):.4f} (side units)")


if __name__ == "__main__":
    main()
