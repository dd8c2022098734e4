"""Foot-refiner data: for every person the shipped detector finds (score >= 0.4) that matches an
unoccluded, untruncated true box (IoU >= 0.5, occlusion < 0.3), the foot patch (patch.py) and the
target relative to the detected box's bottom-centre, in units of the patch side:
- `--target ground` (feeds only): the person's true ground position projected into the frame
  through the feed's calibration (per frame for moving cameras). That is the point the edge node
  projects back onto the pitch, so this target is what the tracker is scored on.
- `--target box`: the true box's bottom-centre. Its ground point is 0.10-0.13 m (median) from the
  true position even for a perfect box: the lowest pixel of a figure is not over its position.

Usage: extract.py --out FILE.npz (--feed DIR | --export DIR)... [--every N] [--target ground|box]
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


class Projector:
    """Pitch metres -> frame px through a feed camera's calibration (the calibration crate's
    model: OpenCV pinhole + k1 k2 p1 p2, Rodrigues rvec pitch -> camera, position = centre);
    moving cameras have intrinsics and pose per frame (`per_frame_calibration`), the distortion
    of the base file."""

    def __init__(self, feed, cam):
        base = tomllib.loads((feed / cam["calibration"]).read_text())
        d = base.get("distortion", {})
        self.dist = np.array([d.get("k1", 0.0), d.get("k2", 0.0), d.get("p1", 0.0), d.get("p2", 0.0)])
        i = base["intrinsics"]
        self.base = (i["fx"], i["fy"], i["cx"], i["cy"], *base["pose"]["rvec"], *base["pose"]["position"])
        self.frames = {}
        if cam.get("per_frame_calibration"):
            with open(feed / cam["per_frame_calibration"], newline="") as f:
                for row in csv.DictReader(f):
                    self.frames[int(row["frame"])] = tuple(
                        float(row[k]) for k in ("fx", "fy", "cx", "cy", "rx", "ry", "rz", "px", "py", "pz"))

    def __call__(self, frame, x, y):
        fx, fy, cx, cy, rx, ry, rz, px, py, pz = self.frames.get(frame, self.base)
        k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
        rvec = np.array([rx, ry, rz])
        r, _ = cv2.Rodrigues(rvec)
        tvec = -r @ np.array([px, py, pz])
        pts, _ = cv2.projectPoints(np.array([[x, y, 0.0]]), rvec, tvec, k, self.dist)
        return float(pts[0, 0, 0]), float(pts[0, 0, 1])


def feed_frames(feed, every, target):
    feed = pathlib.Path(feed)
    meta = tomllib.loads((feed / "feed.toml").read_text())
    positions = {}
    if target == "ground":
        with open(feed / meta["files"]["positions"], newline="") as f:
            for row in csv.DictReader(f):
                positions[(int(row["frame"]), row["object"])] = (float(row["x"]), float(row["y"]))
    for cam in meta["cameras"]:
        project = Projector(feed, cam) if target == "ground" else None
        boxes = {}
        with open(feed / cam["boxes"], newline="") as f:
            for row in csv.DictReader(f):
                if row["object"] == "B" or row["visible"] != "1":
                    continue
                i = int(row["frame"])
                if i % every:
                    continue  # never read: do not project its target
                box = [float(row[k]) for k in ("x0", "y0", "x1", "y1")]
                if project is not None:
                    # The target point: the true position's image point (not the box's).
                    gx, gy = project(i, *positions[(i, row["object"])])
                else:
                    gx, gy = (box[0] + box[2]) / 2, box[3]
                boxes.setdefault(i, []).append((*box, float(row["occlusion"]), gx, gy))
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
                x0, y0, x1, y1 = (float(row[k]) for k in ("x0", "y0", "x1", "y1"))
                rows.setdefault(row["image"], []).append(
                    (x0, y0, x1, y1, float(row["occlusion"]), (x0 + x1) / 2, y1))
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
    ap.add_argument("--target", choices=("ground", "box"), default="ground",
                    help="ground: the true position's image point (feeds only); box: the true box's bottom-centre")
    args = ap.parse_args()
    if args.target == "ground" and args.export:
        ap.error("--target ground needs the feeds' positions and calibration: exports have neither")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(args.detector, so, providers=["CPUExecutionProvider"])
    P, T, H, S = [], [], [], []
    gens = [feed_frames(f, args.every, args.target) for f in args.feed] + [export_frames(e) for e in args.export]
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
                gx, gy = best[5], best[6]
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
