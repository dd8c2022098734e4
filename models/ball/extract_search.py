"""Ball-search evaluation data: patches cut around where the ball is, not where the detector
proposes one.

The edge node also runs the verifier as a local search (`edge_node::detect::ball_search`): when
the detector proposes no ball near where the ball was last seen, it cuts a small grid of patches
(step `search.step_px`) around the predicted position and keeps the best. The verifier then has to
score a ball that the detector may not have proposed, up to half a grid step off the patch centre,
and reject the grid's patches that hold no ball. This script cuts, per frame (report.py measures
the verifier on them; they are not used for training):
- positives: every visible true ball (occlusion < 0.9), `--pos` patches centred at the ball centre
  plus a uniform offset in [-OFF, OFF]^2 native px (OFF = --offset, half the grid step), target =
  true centre;
- near negatives: `--near` patches whose centre is 14-40 px from a visible ball (the ball may sit in
  the patch's border, but another grid patch holds it better);
- hidden negatives: a patch at (a jitter of) the position of a ball that is in the frame but
  occluded >= 0.9 (a player in front of it: the search must not report a ball there).

Labels / offsets as extract.py (offset from the patch's centre pixel corner).
Usage: extract_search.py --out FILE.npz (--feed DIR | --export DIR)... [--every N] [--seed S]
"""
import argparse
import csv
import pathlib
import sys
import tomllib

import cv2
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "detector"))
from common import BALL, video_frames  # noqa: E402
from data import read_export  # noqa: E402

from patch import PATCH, cut  # noqa: E402


def frames_of_feed(feed):
    """(source, frame index, image, visible balls, hidden balls) per decoded frame."""
    feed = pathlib.Path(feed)
    meta = tomllib.loads((feed / "feed.toml").read_text())
    for cam in meta["cameras"]:
        vis, hid = {}, {}
        with open(feed / cam["boxes"], newline="") as f:
            for row in csv.DictReader(f):
                if row["object"] != "B" or row["visible"] != "1":
                    continue
                box = tuple(float(row[k]) for k in ("x0", "y0", "x1", "y1"))
                (vis if float(row["occlusion"]) < 0.9 else hid).setdefault(int(row["frame"]), []).append(box)
        for i, img in video_frames(feed / cam["video"]):
            yield f"{feed.name}/{cam['name']}", i, img, vis.get(i, []), hid.get(i, [])


def frames_of_export(export):
    for r in read_export(export):
        img = cv2.imread(r["path"], cv2.IMREAD_COLOR)
        balls = [o for o in r["objects"] if o[4] == BALL]
        yield (pathlib.Path(export).name, pathlib.Path(r["path"]).stem, img,
               [o[:4] for o in balls if o[5]], [o[:4] for o in balls if not o[5]])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--feed", nargs="*", default=[])
    ap.add_argument("--export", nargs="*", default=[])
    ap.add_argument("--every", type=int, default=1, help="use every n-th video frame")
    ap.add_argument("--pos", type=int, default=2)
    ap.add_argument("--near", type=int, default=2)
    ap.add_argument("--offset", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    patches, labels, offsets, sources, heights = [], [], [], [], []

    def add(img, cx, cy, lab, gx=0.0, gy=0.0, src=""):
        patches.append(cut(img, cx, cy))
        labels.append(lab)
        offsets.append((gx - np.floor(cx), gy - np.floor(cy)) if lab else (0.0, 0.0))
        sources.append(src)
        heights.append(img.shape[0])

    gens = [frames_of_feed(f) for f in args.feed] + [frames_of_export(e) for e in args.export]
    for gi, gen in enumerate(gens):
        for k, (src, idx, img, vis, hid) in enumerate(gen):
            if gi < len(args.feed) and k % args.every:
                continue
            tag = f"{src}:{idx}"
            for x0, y0, x1, y1 in vis:
                gx, gy = (x0 + x1) / 2, (y0 + y1) / 2
                for _ in range(args.pos):
                    dx, dy = rng.uniform(-args.offset, args.offset, 2)
                    add(img, gx + dx, gy + dy, 1, gx, gy, tag)
                for _ in range(args.near):
                    a, r = rng.uniform(0, 2 * np.pi), rng.uniform(14, 40)
                    add(img, gx + r * np.cos(a), gy + r * np.sin(a), 0, src=tag)
            for x0, y0, x1, y1 in hid:
                gx, gy = (x0 + x1) / 2, (y0 + y1) / 2
                dx, dy = rng.uniform(-args.offset, args.offset, 2)
                add(img, gx + dx, gy + dy, 0, src=tag)
        print(f"{(args.feed + args.export)[gi]}: {len(labels)} patches so far", flush=True)
    n = len(labels)
    np.savez_compressed(
        args.out,
        patches=np.stack(patches) if patches else np.zeros((0, PATCH, PATCH, 3), np.uint8),
        labels=np.array(labels, np.int8), offsets=np.array(offsets, np.float32),
        scores=np.zeros(n, np.float32), heights=np.array(heights, np.int32), sources=np.array(sources))
    print(f"{args.out}: {n} patches, {int(np.sum(labels))} positive")


if __name__ == "__main__":
    main()
