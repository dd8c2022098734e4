"""Frame-level ball precision / recall of the detector alone and of detector + verifier.

Each npz (extract.py) holds every candidate of a set of frames with its detector score, its centre
and the offset to the nearest true ball. A candidate matches the ball when the centre it reports
is within the evaluation's tolerance of the true centre: the box centre for the detector alone,
the refined centre (floor(candidate) + regressed offset) for the verifier. A frame's kept
candidates (score >= threshold), best first, drop one whose reported centre is within DEDUPE_PX of
a better kept one (the edge node's `ball_verify::apply` does the same), then match the frame's
ball at most once: the first matching one is a TP, every other kept candidate an FP.
Recall = TP / visible balls.
"""
import pathlib
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "detector"))
from common import patch_latency  # noqa: E402,F401  (report.py takes it from here)


def verify(onnx_path, patches, threads=2, batch=4096):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    outs = []
    for i in range(0, len(patches), batch):
        x = patches[i:i + batch].astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        outs.append(sess.run(None, {"patches": np.ascontiguousarray(x)})[0])
    return np.concatenate(outs) if outs else np.zeros((0, 3), np.float32)


# Verified balls whose refined centres are this close (native px) are one ball.
DEDUPE_PX = 6.0


def matches(true_offsets, tolerances, reported_offsets):
    """Per candidate: the reported centre (offset from the candidate's centre pixel corner) lies
    within the tolerance of the nearest true ball."""
    err = np.hypot(*(true_offsets - reported_offsets).T)
    return np.nan_to_num(err, nan=np.inf) <= np.nan_to_num(tolerances, nan=-1.0)


def reported(z, v, keep=slice(None)):
    """Per candidate of npz `z` (rows `keep`) with verifier rows `v`: the fractional part of its
    centre, whether the detector's / the verifier's reported centre matches the ball, and those
    centres (native px)."""
    c = z["centres"][keep]
    frac = c - np.floor(c)
    true_off, tol = z["true_offsets"][keep], z["tolerances"][keep]
    return dict(frac=frac, hit_det=matches(true_off, tol, frac), hit_ver=matches(true_off, tol, v[:, 1:]),
                pts_det=c, pts_ver=np.floor(c) + v[:, 1:])


def kept_order(sources, scores, thr, points=None):
    """Indices of the kept candidates (score >= thr), best first, duplicates within a frame
    (reported points within DEDUPE_PX of a better kept one) dropped."""
    order = np.argsort(-scores, kind="stable")
    kept, by_frame = [], {}
    for i in order:
        if scores[i] < thr:
            break
        if points is not None:
            prev = by_frame.setdefault(sources[i], [])
            if any(np.hypot(*(points[i] - q)) <= DEDUPE_PX for q in prev):
                continue
            prev.append(points[i])
        kept.append(i)
    return kept


def frame_pr(sources, hit, scores, n_balls, thr, points=None):
    seen, tp, fp = set(), 0, 0
    for i in kept_order(sources, scores, thr, points):
        if hit[i] and sources[i] not in seen:
            seen.add(sources[i])
            tp += 1
        else:
            fp += 1
    return tp / max(tp + fp, 1), tp / max(n_balls, 1)


def ap(sources, hit, scores, n_balls, points=None):
    seen, tps = set(), []
    for i in kept_order(sources, scores, -np.inf, points):
        t = bool(hit[i]) and sources[i] not in seen
        if t:
            seen.add(sources[i])
        tps.append(t)
    tps = np.array(tps, dtype=np.float64)
    tp = np.cumsum(tps)
    prec = tp / np.arange(1, len(tps) + 1)
    rec = tp / max(n_balls, 1)
    mpre = np.concatenate([[1.0], prec, [0.0]])
    mrec = np.concatenate([[0.0], rec, [rec[-1] if len(rec) else 0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return float(np.sum((mrec[1:] - mrec[:-1]) * mpre[1:]))


if __name__ == "__main__":
    import argparse
    ap_ = argparse.ArgumentParser()
    ap_.add_argument("--onnx", required=True)
    ap_.add_argument("sets", nargs="+")
    a = ap_.parse_args()
    for s in a.sets:
        z = np.load(s)
        v = verify(a.onnx, z["patches"])
        det = z["scores"]
        nb = int(z["balls"])
        src, r = z["sources"], reported(z, v)
        frac = r["frac"]
        print(s, "balls", nb, "candidate ceiling %.3f (within the positive radius %.3f)"
              % (int(z["found"]) / max(nb, 1), int(z["near"]) / max(nb, 1)))
        for name, hit, sc, pts in (("detector", r["hit_det"], det, r["pts_det"]),
                                   ("verifier", r["hit_ver"], v[:, 0], r["pts_ver"]),
                                   ("geo", r["hit_ver"], np.sqrt(v[:, 0] * det), r["pts_ver"])):
            row = [f"AP {ap(src, hit, sc, nb, pts):.3f}"]
            for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                p, r = frame_pr(src, hit, sc, nb, t, pts)
                row.append(f"{t}: {p:.2f}/{r:.2f}")
            print(f"  {name:9s}", " ".join(row))
        pos = z["labels"] > 0
        err0 = np.hypot(*(z["offsets"][pos] - frac[pos]).T)
        err1 = np.hypot(*(z["offsets"][pos] - v[pos, 1:]).T)
        print(f"  centre error on positives: candidate {np.median(err0):.2f} px median, "
              f"verifier {np.median(err1):.2f} px")

