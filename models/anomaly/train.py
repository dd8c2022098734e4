"""Trains, calibrates, exports and evaluates the wearable anomaly model.

Usage: train.py --train FEED... --calib FEED --test FEED... --imu CSV --out models/touchline-anomaly.onnx
Writes the ONNX file, <out>.metrics.json and the test windows under models/testdata/.
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from data import KINDS, feed_windows, real_imu_windows  # noqa: E402
from net import CONT, FEATURES, NF, RAW_COLUMNS, WINDOW, AutoEncoder, Scorer, features  # noqa: E402


def drop_channels(x, rng, p=0.25):
    """Training augmentation: some windows come from devices without position or heart rate."""
    x = x.copy()
    nopos = rng.random(len(x)) < p
    x[nopos, :, 2:4] = 0.0
    x[nopos, :, 11] = 0.0
    nohr = rng.random(len(x)) < p
    x[nohr, :, 10] = 0.0
    x[nohr, :, 12] = 0.0
    return x


def scores_of(model, x, batch=4096):
    out, per = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            s, p = model(torch.from_numpy(x[i:i + batch]))
            out.append(s[:, 0].numpy())
            per.append(p.numpy())
    return np.concatenate(out), np.concatenate(per)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--calib", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--imu", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--max-windows", type=int, default=80000)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)
    t_start = time.time()

    xs = []
    for f in args.train:
        x, l = feed_windows(f, hop=10)
        xs.append(x[l == -1])
    x_train = np.concatenate(xs)
    if len(x_train) > args.max_windows:
        x_train = x_train[rng.choice(len(x_train), args.max_windows, replace=False)]
    x_train = drop_channels(x_train, rng)
    print(f"{len(x_train)} normal training windows", flush=True)

    # Normalisation range per feature from normal training data (+10 % margin); gap and stuck
    # are always 0 when normal, so they get a fixed unit range.
    with torch.no_grad():
        f, m = features(torch.from_numpy(x_train[:20000]))
    f, m = f.numpy(), m.numpy()
    lo, hi = np.zeros(NF), np.ones(NF)
    for k, name in enumerate(FEATURES):
        if name in ("gap", "stuck"):
            continue
        v = f[:, :, k][m[:, :, k] > 0]
        a, b = np.percentile(v, 0.0), np.percentile(v, 100.0)
        span = max(b - a, 1e-3)
        lo[k], hi[k] = a - 0.1 * span, b + 0.1 * span
    ae = AutoEncoder()
    model = Scorer(ae, lo, hi, np.ones(len(CONT)))
    opt = torch.optim.AdamW(ae.parameters(), lr=3e-3, weight_decay=1e-5)
    xt = torch.from_numpy(x_train)
    bs = 256
    steps = args.epochs * (len(xt) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    t0 = time.time()
    step = 0
    for ep in range(args.epochs):
        perm = torch.from_numpy(rng.permutation(len(xt)))
        tot = 0.0
        for i in range(0, len(xt) - bs + 1, bs):
            xb = xt[perm[i:i + bs]]
            _, xc, mm, masks = model.normalise(xb)
            rec = ae(xc, masks)
            mc = mm[:, CONT]
            loss = (((rec - xc) ** 2) * mc).sum() / mc.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            tot += loss.item()
        print(f"epoch {ep} loss {tot / (len(xt) // bs):.6f} {time.time() - t0:.0f}s", flush=True)
    train_s = time.time() - t0
    model.eval()

    # Residual variance per feature on held-out normal data (calibration feed), floored.
    xc, lc = feed_windows(args.calib, hop=30)
    xc_norm = xc[lc == -1]
    with torch.no_grad():
        _, xcl, mm, masks = model.normalise(torch.from_numpy(xc_norm))
        mc = mm[:, CONT]
        r2 = ((ae(xcl, masks) - xcl) ** 2 * mc).sum(dim=(0, 2)) / mc.sum(dim=(0, 2)).clamp(min=1)
    resid_var = np.maximum(r2.numpy(), 1e-5)
    model.inv_var.copy_(torch.from_numpy(1.0 / resid_var).float().view(1, len(CONT), 1))
    # Threshold: 1.5 × the 99.95th percentile of calibration-normal scores (also with channels
    # dropped, as devices without position / heart rate would send).
    xc_aug = np.concatenate([xc_norm, drop_channels(xc_norm, np.random.default_rng(7), p=0.5)])
    s_cal, _ = scores_of(model, xc_aug)
    threshold = float(1.5 * np.percentile(s_cal, 99.95))
    cal_fp = float((s_cal > threshold).mean())
    print(f"threshold {threshold:.3f} (calibration FP rate {cal_fp:.5f})", flush=True)

    # Export.
    x0 = torch.from_numpy(xc_norm[:1])
    torch.onnx.export(model, x0, args.out, input_names=["samples"],
                      output_names=["score", "feature_error"], opset_version=17, dynamo=False)
    import onnx
    import onnxruntime as ort
    mo = onnx.load(args.out)
    mo.producer_name = "touchline-models"
    onnx.checker.check_model(mo)
    onnx.save(mo, args.out)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(args.out, so, providers=["CPUExecutionProvider"])

    def ort_scores(x):
        return np.array([sess.run(None, {"samples": w[None]})[0][0, 0] for w in x])

    # Held-out evaluation (window level, hop 30 = 0.5 s).
    xs, ls = [], []
    for f in args.test:
        x, l = feed_windows(f, hop=30)
        xs.append(x)
        ls.append(l)
    x_test, l_test = np.concatenate(xs), np.concatenate(ls)
    keep = l_test != -2
    x_test, l_test = x_test[keep], l_test[keep]
    s_test, per_test = scores_of(model, x_test)
    # The ONNX file is the scorer: check it agrees with torch on a sample of windows.
    idx = np.random.default_rng(1).choice(len(x_test), 300, replace=False)
    s_ort = ort_scores(x_test[idx])
    max_rel = float(np.max(np.abs(s_ort - s_test[idx]) / np.maximum(np.abs(s_test[idx]), 1e-3)))
    print(f"onnx vs torch max relative difference {max_rel:.2e}", flush=True)
    flag = s_test > threshold
    normal = l_test == -1
    fp = int((flag & normal).sum())
    res = {"windows": int(len(x_test)), "normal_windows": int(normal.sum()),
           "false_positives": fp, "fp_rate_normal": fp / max(int(normal.sum()), 1), "per_kind": {}}
    tp_all = int((flag & ~normal).sum())
    for k, name in enumerate(KINDS):
        pos = l_test == k
        tp = int((flag & pos).sum())
        rec = tp / max(int(pos.sum()), 1)
        prec = tp / max(tp + fp, 1)
        res["per_kind"][name] = {"windows": int(pos.sum()), "tp": tp, "recall": rec,
                                 "precision_vs_normal": prec,
                                 "f1": 2 * prec * rec / max(prec + rec, 1e-9)}
    p_all = tp_all / max(int(flag.sum()), 1)
    r_all = tp_all / max(int((~normal).sum()), 1)
    res["overall"] = {"precision": p_all, "recall": r_all, "f1": 2 * p_all * r_all / max(p_all + r_all, 1e-9)}
    # Which feature made the score, per kind (mean share), for the card.
    res["dominant_feature"] = {}
    for k, name in enumerate(KINDS):
        pos = (l_test == k) & flag
        if pos.any():
            res["dominant_feature"][name] = FEATURES[int(np.bincount(per_test[pos].argmax(1), minlength=NF).argmax())]

    # Real IMU: resampled 100 → 60 Hz, no position / heart rate.
    xi, dur, dts = real_imu_windows(args.imu, hop=30)
    si = ort_scores(xi)
    res["real_imu"] = {"windows": int(len(xi)), "seconds": dur, "flagged": int((si > threshold).sum()),
                       "fp_rate": float((si > threshold).mean()),
                       "score_p50": float(np.median(si)), "score_max": float(si.max()),
                       "raw_dt_ms_min": float(dts.min() * 1e3), "raw_dt_ms_max": float(dts.max() * 1e3)}
    res["threshold"] = threshold
    res["calibration_fp_rate"] = cal_fp
    res["train_seconds"] = round(train_s, 1)
    res["total_seconds"] = round(time.time() - t_start, 1)
    res["train_windows"] = int(len(x_train))
    res["epochs"] = args.epochs
    res["seed"] = args.seed
    res["onnx_vs_torch_max_rel"] = max_rel
    res["normalisation"] = {"lo": lo.tolist(), "hi": hi.tolist(), "resid_var": resid_var.tolist()}
    res["score_quantiles_normal"] = {q: float(np.percentile(s_test[normal], q)) for q in (50, 99, 99.9)}
    pathlib.Path(args.out + ".metrics.json").write_text(json.dumps(res, indent=1))
    print(json.dumps({k: res[k] for k in ("overall", "per_kind", "real_imu", "fp_rate_normal")}, indent=1))

    # Test windows for the Rust tests: one normal window, one window per anomaly kind (the
    # highest-scoring one is not chosen: take the first flagged-or-not window of each kind).
    td = pathlib.Path(args.testdata)
    td.mkdir(parents=True, exist_ok=True)
    header = ",".join(RAW_COLUMNS)
    picks = {"normal": int(np.flatnonzero(normal)[len(np.flatnonzero(normal)) // 2])}
    for k, name in enumerate(KINDS):
        cand = np.flatnonzero(l_test == k)
        if len(cand):
            picks[name] = int(cand[len(cand) // 2])
    written = {}
    for name, i in picks.items():
        np.savetxt(td / f"anomaly-{name}.csv", x_test[i], delimiter=",", header=header,
                   comments="", fmt="%.6g")
        written[name] = float(s_test[i])
    print("test windows:", written)


if __name__ == "__main__":
    main()
