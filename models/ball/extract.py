"""Ball-verifier data: candidate patches where the shipped detector (touchline-det) proposes a ball.

For every frame of a generated feed's video (decoded with OpenCV's FFmpeg, as H.264 artefacts are
part of the problem) or of a `sample-feeds frames` export (JPEG stills), runs the detector through
ONNX Runtime exactly as the edge node does, keeps its ball rows scoring >= --floor, and cuts a
PATCH x PATCH native-resolution patch centred on each candidate. Label 1 when a visible true ball
(occlusion < 0.9) is within the centre-match tolerance of the evaluation (max(3 px at 720p scale,
ball diameter)); the regression target is the true centre minus the patch's centre pixel corner
(floor of the candidate centre, native px), so a horizontal flip of the patch negates it exactly.

Usage: extract.py --out FILE.npz (--feed DIR | --export DIR)...
"""
import argparse
import csv
import pathlib
import sys

import cv2
import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "detector"))
from common import BALL, letterbox, to_tensor, video_frames  # noqa: E402
from data import read_export  # noqa: E402

from patch import PATCH, cut  # noqa: E402


def detector(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def candidates(sess, img, floor):
    canvas, s, px, py = letterbox(img)
    rows = sess.run(None, {"images": to_tensor(canvas)})[0][0]
    out = []
    for x1, y1, x2, y2, sc, c in rows:
        if int(round(c)) == BALL and sc >= floor:
            out.append((((x1 + x2) / 2 - px) / s, ((y1 + y2) / 2 - py) / s, float(sc)))
    return out


def label(cx, cy, balls, frame_h):
    """(1, dx, dy) for the nearest matching true ball, else (0, 0, 0); dx, dy from
    (floor(cx), floor(cy))."""
    best = None
    for x0, y0, x1, y1 in balls:
        gx, gy = (x0 + x1) / 2, (y0 + y1) / 2
        tol = max(3.0 * frame_h / 720.0, x1 - x0, y1 - y0)
        d2 = (gx - cx) ** 2 + (gy - cy) ** 2
        if d2 <= tol * tol and (best is None or d2 < best[0]):
            best = (d2, gx - np.floor(cx), gy - np.floor(cy))
    return (1, best[1], best[2]) if best else (0, 0.0, 0.0)


def frames_of_feed(feed):
    feed = pathlib.Path(feed)
    import tomllib
    meta = tomllib.loads((feed / "feed.toml").read_text())
    for cam in meta["cameras"]:
        balls = {}
        with open(feed / cam["boxes"], newline="") as f:
            for row in csv.DictReader(f):
                if row["object"] == "B" and row["visible"] == "1" and float(row["occlusion"]) < 0.9:
                    balls.setdefault(int(row["frame"]), []).append(
                        tuple(float(row[k]) for k in ("x0", "y0", "x1", "y1")))
        for i, img in video_frames(feed / cam["video"]):
            yield f"{feed.name}/{cam['name']}", i, img, balls.get(i, [])


def frames_of_export(export):
    for r in read_export(export):
        img = cv2.imread(r["path"], cv2.IMREAD_COLOR)
        balls = [o[:4] for o in r["objects"] if o[4] == BALL and o[5]]
        yield pathlib.Path(export).name, pathlib.Path(r["path"]).stem, img, balls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--detector", default="models/touchline-det.onnx")
    ap.add_argument("--floor", type=float, default=0.02)
    ap.add_argument("--feed", nargs="*", default=[])
    ap.add_argument("--export", nargs="*", default=[])
    ap.add_argument("--every", type=int, default=1, help="use every n-th video frame")
    args = ap.parse_args()
    sess = detector(args.detector)
    patches, labels, offsets, scores, heights, sources = [], [], [], [], [], []
    n_balls = n_found = 0
    gens = [frames_of_feed(f) for f in args.feed] + [frames_of_export(e) for e in args.export]
    for gi, gen in enumerate(gens):
        for k, (src, idx, img, balls) in enumerate(gen):
            if gi < len(args.feed) and k % args.every:
                continue
            h = img.shape[0]
            cands = candidates(sess, img, args.floor)
            for cx, cy, sc in cands:
                lab, dx, dy = label(cx, cy, balls, h)
                patches.append(cut(img, cx, cy))
                labels.append(lab)
                offsets.append((dx, dy))
                scores.append(sc)
                heights.append(h)
                sources.append(f"{src}:{idx}")
            for b in balls:
                n_balls += 1
                if any(label(cx, cy, [b], h)[0] for cx, cy, _ in cands):
                    n_found += 1
        print(f"{(args.feed + args.export)[gi]}: {len(labels)} patches so far", flush=True)
    np.savez_compressed(args.out, patches=np.stack(patches) if patches else np.zeros((0, PATCH, PATCH, 3), np.uint8),
                        labels=np.array(labels, np.int8), offsets=np.array(offsets, np.float32),
                        scores=np.array(scores, np.float32), heights=np.array(heights, np.int32),
                        sources=np.array(sources), balls=n_balls, found=n_found)
    print(f"{args.out}: {len(labels)} patches, {int(np.sum(labels))} positive; visible balls {n_balls}, "
          f"with a candidate {n_found} ({n_found / max(n_balls, 1):.3f})")


if __name__ == "__main__":
    main()
