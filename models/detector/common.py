"""Shared pieces of the detector pipeline: preprocessing identical to the edge node
(edge-node/src/detect/preprocess.rs: OpenCV INTER_LINEAR, centred letterbox, pad 114, BGR,
/255), the generated-data loader, NMS identical to edge-node/src/detect/nms.rs, and metrics."""

import cv2
import numpy as np

INPUT_W, INPUT_H = 960, 544
PAD = 114
CLASSES = ["player", "goalkeeper", "referee", "ball"]
BALL = 3


def video_frames(path):
    """(index, BGR image) for every frame OpenCV's FFmpeg decodes from the video at `path`."""
    cap = cv2.VideoCapture(str(path))
    i = 0
    while True:
        ok, img = cap.read()
        if not ok:
            return
        yield i, img
        i += 1


def letterbox(img_bgr, in_w=INPUT_W, in_h=INPUT_H, pad=PAD):
    """Returns (uint8 HxWx3 canvas, scale, pad_x, pad_y) exactly like the Rust `prepare`."""
    h, w = img_bgr.shape[:2]
    scale = min(in_w / w, in_h / h)
    nw = int(min(max(round(w * scale), 1), in_w))
    nh = int(min(max(round(h * scale), 1), in_h))
    resized = cv2.resize(img_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((in_h, in_w, 3), pad, dtype=np.uint8)
    px, py = (in_w - nw) // 2, (in_h - nh) // 2
    canvas[py:py + nh, px:px + nw] = resized
    return canvas, scale, px, py


def to_tensor(canvas_bgr):
    """uint8 HxWx3 BGR → f32 [1, 3, H, W], BGR order, /255 (manifest: mean 0, std 255)."""
    return (canvas_bgr.astype(np.float32) / 255.0).transpose(2, 0, 1)[None].copy()


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(dets, thr=0.5):
    """Greedy NMS; persons of every role suppress each other, balls only balls (as the node)."""
    dets = sorted(dets, key=lambda d: -d[4])
    kept = []
    for d in dets:
        key = d[5] == BALL
        if all((k[5] == BALL) != key or iou(d, k) <= thr for k in kept):
            kept.append(d)
    return kept


def decode_rows(rows, scale, px, py, frame_w, frame_h, score_thr, ball_thr):
    """[K, 6] model output (input px) → frame-px detections above threshold, clipped, NMS'd."""
    out = []
    for x1, y1, x2, y2, s, c in rows:
        c = int(round(c))
        if s <= 0 or s < (ball_thr if c == BALL else score_thr):
            continue
        b = [(x1 - px) / scale, (y1 - py) / scale, (x2 - px) / scale, (y2 - py) / scale]
        b = [max(b[0], 0.0), max(b[1], 0.0), min(b[2], frame_w), min(b[3], frame_h)]
        if b[2] <= b[0] or b[3] <= b[1]:
            continue
        out.append((*b, float(s), c))
    return nms(out)


def ball_match(det, gt, frame_h):
    """Ball match: centre distance ≤ max(3 px at 720p scale, ball diameter)."""
    dcx, dcy = (det[0] + det[2]) / 2, (det[1] + det[3]) / 2
    gcx, gcy = (gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2
    tol = max(3.0 * frame_h / 720.0, gt[2] - gt[0], gt[3] - gt[1])
    return (dcx - gcx) ** 2 + (dcy - gcy) ** 2 <= tol * tol


def match_class(dets, gts, c, mode="iou", frame_h=0):
    """Greedy matching of one class, as the card scores it: detections of class `c` best first,
    each to the unused true box of that class (visible or not) it fits best (IoU >= 0.5, or for
    `mode` "centre" the ball centre rule). Yields (detection, index into `gts` or -1)."""
    used = set()
    for d in sorted([d for d in dets if d[5] == c], key=lambda d: -d[4]):
        best, bj = -1.0, -1
        for j, x in enumerate(gts):
            if x[4] != c or j in used:
                continue
            if mode == "iou":
                q = iou(d, x)
                ok = q >= 0.5
            else:
                ok = ball_match(d, x, frame_h)
                q = 1.0 if ok else 0.0
            if ok and q > best:
                best, bj = q, j
        if bj >= 0:
            used.add(bj)
        yield d, bj


def evaluate(frames, score_thr=0.0, ball_thr=0.0):
    """frames: list of (dets [(x1,y1,x2,y2,s,c)], gts [(x1,y1,x2,y2,c,visible)], frame_h).

    Returns per class: AP50 (all-point interpolated), and P/R at the thresholds; plus the ball
    under centre-distance matching. GT boxes not visible are 'ignore': a detection matching them
    is neither TP nor FP."""
    res = {}
    for c in range(len(CLASSES)):
        for mode in (["iou", "centre"] if c == BALL else ["iou"]):
            scored = []  # (score, tp)
            npos = 0
            for dets, gts, fh in frames:
                npos += sum(1 for x in gts if x[4] == c and x[5])
                for d, j in match_class(dets, gts, c, mode, fh):
                    if j < 0:
                        scored.append((d[4], 0))
                    elif gts[j][5]:
                        scored.append((d[4], 1))
            scored.sort(key=lambda t: -t[0])
            tp = np.cumsum([t for _, t in scored]) if scored else np.zeros(0)
            fp = np.cumsum([1 - t for _, t in scored]) if scored else np.zeros(0)
            rec = tp / max(npos, 1)
            prec = tp / np.maximum(tp + fp, 1)
            # All-point interpolated AP.
            mrec = np.concatenate([[0.0], rec, [rec[-1] if len(rec) else 0.0]])
            mpre = np.concatenate([[1.0], prec, [0.0]])
            for i in range(len(mpre) - 2, -1, -1):
                mpre[i] = max(mpre[i], mpre[i + 1])
            ap = float(np.sum((mrec[1:] - mrec[:-1]) * mpre[1:]))
            thr = ball_thr if c == BALL else score_thr
            sel = [t for s, t in scored if s >= thr]
            ntp = sum(sel)
            res[(CLASSES[c], mode)] = {
                "ap50": ap,
                "precision": ntp / max(len(sel), 1),
                "recall": ntp / max(npos, 1),
                "gt": npos,
                "det": len(sel),
            }
    return res


def timed_runs(sess, feeds, runs, warmup):
    """Median, min and p90 milliseconds of `runs` timed `sess.run(None, feeds)` after `warmup`
    untimed ones. The one timing loop of the model cards and `models/tools/latency.py`."""
    import time

    for _ in range(warmup):
        sess.run(None, feeds)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ts.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": float(np.median(ts)), "min_ms": float(np.min(ts)), "p90_ms": float(np.percentile(ts, 90))}


def patch_latency(onnx_path, n_patches, threads, runs=200):
    """Milliseconds per run of a patch model (input `patches` [n, 3, 32, 32]) through ONNX Runtime:
    10 warm-up runs, then `runs` timed ones. Shared by the ball verifier's and foot refiner's cards."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((n_patches, 3, 32, 32), dtype=np.float32)
    return timed_runs(sess, {"patches": x}, runs, warmup=10)
