"""Ball-verifier data: candidate patches where the shipped detector (touchline-det) proposes a ball.

For every frame of a generated feed's video (decoded with OpenCV's FFmpeg, as H.264 artefacts are
part of the problem) or of a `sample-feeds frames` export (JPEG stills), runs the detector through
ONNX Runtime exactly as the edge node does, keeps its ball rows scoring >= --floor, and cuts a
PATCH x PATCH native-resolution patch centred on each candidate. Label 1 when a visible true ball
(occlusion < 0.9) is within --pos-radius (px at 720p scale) of the candidate: the detector's box
centre is often a few pixels off a small ball (held-out stills: 90 % of the balls have a candidate
within the evaluation's centre tolerance, 97 % within 8 px at 720p scale), and the verifier moves
the box to the centre it regresses. Label -1 (not trained on) between 1x and 1.5x that radius;
0 beyond. The regression target is the true centre minus the patch's centre pixel corner (floor of
the candidate centre, native px), so a horizontal flip of the patch negates it exactly.

Every candidate also stores its centre, the offset to the nearest visible true ball (NaN when the
frame has none) and the evaluation's centre-match tolerance (max(3 px at 720p scale, ball
diameter)), so evaluate.py scores the centre the verifier refines, not the candidate's.

Training-only extras (never in evaluation sets): --jitter K positives per visible ball, cut at a
uniform point of the positive disc around it; --person-negatives K patches per frame on the
shorts, socks and lower torso of random visible people (the verifier's worst false positives are
light kits), label 0 when no ball is within 1.5x the positive radius; --random-negatives K patches
per frame at uniform points of the frame (grass, lines, stands: the detector never proposes plain
grass, so without these the verifier's output there is uncalibrated); --spot-negatives one patch
per painted spot (centre and penalty spots, projected through the feed's calibration, feeds only)
in view with no ball on it: after a kick-off the empty centre spot looks like a resting ball.
--no-candidates skips the detector and cuts only those extras.

Usage: extract.py --out FILE.npz (--feed DIR | --export DIR)... [--jitter K] [--person-negatives K]
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

from patch import PATCH, cut, label_of, positive_radius  # noqa: E402


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


def tolerance(box, frame_h):
    """The evaluation's centre-match tolerance for a true ball box (native px)."""
    x0, y0, x1, y1 = box
    return max(3.0 * frame_h / 720.0, x1 - x0, y1 - y0)


def nearest(cx, cy, balls):
    """(distance, ball box) of the nearest visible true ball, or (inf, None)."""
    best = (np.inf, None)
    for b in balls:
        d = np.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy)
        if d < best[0]:
            best = (d, b)
    return best


def label(cx, cy, balls, frame_h, pos_radius_720):
    """(label, dx, dy): 1 with the offset of the nearest true ball from (floor(cx), floor(cy))
    when it lies within the positive radius, -1 (ignored) up to 1.5x that, else (0, 0, 0)."""
    d, b = nearest(cx, cy, balls)
    lab = int(label_of(d, positive_radius(frame_h, pos_radius_720)))
    if lab != 1:
        return (lab, 0.0, 0.0)
    return (1, (b[0] + b[2]) / 2 - np.floor(cx), (b[1] + b[3]) / 2 - np.floor(cy))


# Painted spots (pitch metres, z = 0): centre spot and the two penalty spots 11 m from the goal lines.
PENALTY_SPOT_M = 11.0


def spot_projector(feed, cam, meta):
    """frame index -> image px of the painted spots in view, from the camera's calibration file and,
    for a moving camera, its per-frame `truth/calib-<camera>.csv` (OpenCV Rodrigues vector pitch ->
    camera, camera position in pitch metres, the file's distortion)."""
    import tomllib
    cal = tomllib.loads((feed / cam["calibration"]).read_text())
    half = meta["pitch_length"] / 2.0
    spots = np.array([[0.0, 0.0, 0.0], [half - PENALTY_SPOT_M, 0.0, 0.0], [-half + PENALTY_SPOT_M, 0.0, 0.0]])
    d = cal.get("distortion", {})
    dist = np.array([d.get("k1", 0.0), d.get("k2", 0.0), d.get("p1", 0.0), d.get("p2", 0.0)])
    w, h = cal["image"]["width"], cal["image"]["height"]
    i0 = cal["intrinsics"]
    static = (i0["fx"], i0["fy"], i0["cx"], i0["cy"], *cal["pose"]["rvec"], *cal["pose"]["position"])
    per_frame = {}
    moving = feed / "truth" / f"calib-{cam['name']}.csv"
    if moving.exists():
        with open(moving, newline="") as f:
            for row in csv.DictReader(f):
                per_frame[int(row["frame"])] = tuple(float(row[k]) for k in
                                                     ("fx", "fy", "cx", "cy", "rx", "ry", "rz", "px", "py", "pz"))

    def at(i):
        fx, fy, cx, cy, rx, ry, rz, px, py, pz = per_frame.get(i, static)
        rvec = np.array([rx, ry, rz])
        rot, _ = cv2.Rodrigues(rvec)
        cam_pts = (spots - np.array([px, py, pz])) @ rot.T
        k = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
        img, _ = cv2.projectPoints(spots, rvec, -rot @ np.array([px, py, pz]), k, dist)
        return [(float(u), float(v)) for (u, v), z in zip(img.reshape(-1, 2), cam_pts[:, 2])
                if z > 0 and 0 <= u < w and 0 <= v < h]
    return at


def frames_of_feed(feed):
    """(source, frame index, image, visible balls, visible people, painted spots in view) per
    decoded frame."""
    feed = pathlib.Path(feed)
    import tomllib
    meta = tomllib.loads((feed / "feed.toml").read_text())
    for cam in meta["cameras"]:
        spots_at = spot_projector(feed, cam, meta)
        balls, people = {}, {}
        with open(feed / cam["boxes"], newline="") as f:
            for row in csv.DictReader(f):
                if row["visible"] != "1" or float(row["occlusion"]) >= 0.9:
                    continue
                box = tuple(float(row[k]) for k in ("x0", "y0", "x1", "y1"))
                (balls if row["object"] == "B" else people).setdefault(int(row["frame"]), []).append(box)
        for i, img in video_frames(feed / cam["video"]):
            yield f"{feed.name}/{cam['name']}", i, img, balls.get(i, []), people.get(i, []), spots_at(i)


def frames_of_export(export):
    for r in read_export(export):
        img = cv2.imread(r["path"], cv2.IMREAD_COLOR)
        balls = [o[:4] for o in r["objects"] if o[4] == BALL and o[5]]
        people = [o[:4] for o in r["objects"] if o[4] != BALL and o[5]]
        yield pathlib.Path(export).name, pathlib.Path(r["path"]).stem, img, balls, people, []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--detector", default="models/touchline-det.onnx")
    ap.add_argument("--floor", type=float, default=0.02)
    ap.add_argument("--feed", nargs="*", default=[])
    ap.add_argument("--export", nargs="*", default=[])
    ap.add_argument("--every", type=int, default=1, help="use every n-th video frame")
    ap.add_argument("--pos-radius", type=float, default=8.0,
                    help="positive radius around a true ball, px at 720p scale (at most 13 native px)")
    ap.add_argument("--jitter", type=int, default=0, help="extra positives per visible ball (training only)")
    ap.add_argument("--person-negatives", type=int, default=0,
                    help="patches per frame on visible people's bodies, label 0 (training only)")
    ap.add_argument("--random-negatives", type=int, default=0,
                    help="patches per frame at uniform random points, label 0 (training only)")
    ap.add_argument("--spot-negatives", action="store_true",
                    help="a patch on every painted spot in view with no ball on it, label 0 (feeds only, training only)")
    ap.add_argument("--no-candidates", action="store_true",
                    help="skip the detector: cut only the training extras (--jitter, --*-negatives)")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sess = None if args.no_candidates else detector(args.detector)
    patches, labels, offsets, scores, heights, sources = [], [], [], [], [], []
    centres, true_offsets, tols = [], [], []
    n_balls = n_found = n_near = 0

    def add(img, cx, cy, sc, lab, dx, dy, tag, balls):
        h = img.shape[0]
        patches.append(cut(img, cx, cy))
        labels.append(lab)
        offsets.append((dx, dy))
        scores.append(sc)
        heights.append(h)
        sources.append(tag)
        centres.append((cx, cy))
        _, b = nearest(cx, cy, balls)
        if b is None:
            true_offsets.append((np.nan, np.nan))
            tols.append(np.nan)
        else:
            true_offsets.append(((b[0] + b[2]) / 2 - np.floor(cx), (b[1] + b[3]) / 2 - np.floor(cy)))
            tols.append(tolerance(b, h))

    gens = [frames_of_feed(f) for f in args.feed] + [frames_of_export(e) for e in args.export]
    for gi, gen in enumerate(gens):
        for k, (src, idx, img, balls, people, spots) in enumerate(gen):
            if gi < len(args.feed) and k % args.every:
                continue
            h, w = img.shape[:2]
            tag = f"{src}:{idx}"
            cands = [] if sess is None else candidates(sess, img, args.floor)
            for cx, cy, sc in cands:
                lab, dx, dy = label(cx, cy, balls, h, args.pos_radius)
                add(img, cx, cy, sc, lab, dx, dy, tag, balls)
            r = positive_radius(h, args.pos_radius)
            for b in balls:
                n_balls += 1
                gx, gy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                dists = [np.hypot(cx - gx, cy - gy) for cx, cy, _ in cands]
                n_found += any(d <= tolerance(b, h) for d in dists)
                n_near += any(d <= r for d in dists)
                for _ in range(args.jitter):
                    a, rr = rng.uniform(0, 2 * np.pi), r * np.sqrt(rng.uniform())
                    cx, cy = gx + rr * np.cos(a), gy + rr * np.sin(a)
                    lab, dx, dy = label(cx, cy, balls, h, args.pos_radius)
                    add(img, cx, cy, 0.0, lab, dx, dy, tag + ":jitter", balls)

            def negative(cx, cy, kind):
                """A label-0 training patch at (cx, cy), unless a ball is near it."""
                if label(cx, cy, balls, h, args.pos_radius)[0] == 0:
                    add(img, cx, cy, 0.0, 0, 0.0, 0.0, f"{tag}:{kind}", balls)

            tall = [p for p in people if p[3] - p[1] >= 12]
            for j in (rng.choice(len(tall), min(args.person_negatives, len(tall)), replace=False) if tall else []):
                x0, y0, x1, y1 = tall[j]
                cx = x0 + rng.uniform(0.15, 0.85) * (x1 - x0)
                cy = y0 + rng.uniform(0.35, 1.0) * (y1 - y0)
                negative(cx, cy, "person")
            for _ in range(args.random_negatives):
                cx, cy = rng.uniform(0, w), rng.uniform(0, h)
                negative(cx, cy, "random")
            for sx, sy in (spots if args.spot_negatives else []):
                cx, cy = sx + rng.uniform(-2, 2), sy + rng.uniform(-2, 2)
                negative(cx, cy, "spot")
        print(f"{(args.feed + args.export)[gi]}: {len(labels)} patches so far", flush=True)
    np.savez_compressed(args.out, patches=np.stack(patches) if patches else np.zeros((0, PATCH, PATCH, 3), np.uint8),
                        labels=np.array(labels, np.int8), offsets=np.array(offsets, np.float32),
                        scores=np.array(scores, np.float32), heights=np.array(heights, np.int32),
                        sources=np.array(sources), centres=np.array(centres, np.float32).reshape(-1, 2),
                        true_offsets=np.array(true_offsets, np.float32).reshape(-1, 2),
                        tolerances=np.array(tols, np.float32), balls=n_balls, found=n_found, near=n_near)
    pos = int(np.sum(np.array(labels) == 1))
    if args.no_candidates:
        print(f"{args.out}: {len(labels)} patches (training extras only), {pos} positive")
        return
    print(f"{args.out}: {len(labels)} patches, {pos} positive; visible balls {n_balls}, with a candidate "
          f"within tolerance {n_found} ({n_found / max(n_balls, 1):.3f}), within the positive radius "
          f"{n_near} ({n_near / max(n_balls, 1):.3f})")


if __name__ == "__main__":
    main()
