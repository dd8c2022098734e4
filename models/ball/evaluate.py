"""Frame-level ball precision / recall of the detector alone and of detector + verifier.

Each npz (extract.py) holds every candidate of a set of frames with its detector score and label.
A frame's kept candidates (score >= threshold), best first, match the frame's ball at most once:
the first matching one is a TP, every other kept candidate an FP. Recall = TP / visible balls.
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


def frame_pr(sources, labels, scores, n_balls, thr):
    order = np.argsort(-scores, kind="stable")
    seen, tp, fp = set(), 0, 0
    for i in order:
        if scores[i] < thr:
            break
        if labels[i] and sources[i] not in seen:
            seen.add(sources[i])
            tp += 1
        else:
            fp += 1
    return tp / max(tp + fp, 1), tp / max(n_balls, 1)


def ap(sources, labels, scores, n_balls):
    order = np.argsort(-scores, kind="stable")
    seen, tps = set(), []
    for i in order:
        t = bool(labels[i]) and sources[i] not in seen
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
        print(s, "balls", nb, "candidate ceiling %.3f" % (int(z["found"]) / max(nb, 1)))
        for name, sc in (("detector", det), ("verifier", v[:, 0]), ("product", v[:, 0] * det),
                         ("geo", np.sqrt(v[:, 0] * det))):
            row = [f"AP {ap(z['sources'], z['labels'], sc, nb):.3f}"]
            for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                p, r = frame_pr(z["sources"], z["labels"], sc, nb, t)
                row.append(f"{t}: {p:.2f}/{r:.2f}")
            print(f"  {name:9s}", " ".join(row))
        pos = z["labels"] > 0
        err0 = np.hypot(*(z["offsets"][pos] - 0.5).T)
        err1 = np.hypot(*(z["offsets"][pos] - v[pos, 1:]).T)
        print(f"  centre error on positives: candidate {np.median(err0):.2f} px median, "
              f"verifier {np.median(err1):.2f} px")

