"""Trains the Touchline detector on cached generated frames and exports ONNX.

Usage: train.py --cache DIR/train --iters N --out models/touchline-det.onnx
"""
import argparse
import json
import math
import pathlib
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from common import BALL, CLASSES, INPUT_H, INPUT_W, PAD  # noqa: E402
from data import load_cache  # noqa: E402
from net import STRIDE, CenterNet, Exported, add_identity_blocks, split_heads  # noqa: E402
from onnx_init import freeze_batchnorm, load_onnx  # noqa: E402

CROP = 256
NC = len(CLASSES)


def touching_persons(vis):
    """Visible persons whose box overlaps another person's box (pairs the peak NMS can merge)."""
    p = vis[vis[:, 4] != BALL] if len(vis) else vis
    if len(p) < 2:
        return p[:0]
    ix = np.minimum(p[:, None, 2], p[None, :, 2]) - np.maximum(p[:, None, 0], p[None, :, 0])
    iy = np.minimum(p[:, None, 3], p[None, :, 3]) - np.maximum(p[:, None, 1], p[None, :, 1])
    touch = (ix > 0) & (iy > 0)
    np.fill_diagonal(touch, False)
    return p[touch.any(1)]


def sample_crop(rng, img, boxes, group_share=0.0):
    """Random scaled crop (CROP x CROP) of a letterboxed frame; returns uint8 image + boxes.
    `group_share`: share of the non-ball crops centred on a person overlapping another one."""
    vis = boxes[boxes[:, 5] > 0] if len(boxes) else boxes
    s = math.exp(rng.uniform(math.log(0.8), math.log(1.3)))
    balls = vis[vis[:, 4] == BALL] if len(vis) else vis
    # No extra random number unless asked, so earlier stages replay as before.
    group = touching_persons(vis) if group_share > 0 and rng.random() < group_share else vis[:0]
    if len(balls) and rng.random() < 0.4:
        b = balls[0]
        cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-100, 100), (b[1] + b[3]) / 2 + rng.uniform(-100, 100)
    elif len(group):
        b = group[rng.integers(len(group))]
        cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-60, 60), (b[1] + b[3]) / 2 + rng.uniform(-60, 60)
    elif len(vis) and rng.random() < 0.7:
        b = vis[rng.integers(len(vis))]
        cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-100, 100), (b[1] + b[3]) / 2 + rng.uniform(-100, 100)
    else:
        cx, cy = rng.uniform(0, INPUT_W), rng.uniform(0, INPUT_H)
    # Map input px → crop px: p' = s * (p - c) + CROP/2.
    m = np.array([[s, 0, CROP / 2 - s * cx], [0, s, CROP / 2 - s * cy]], dtype=np.float32)
    flip = rng.random() < 0.5
    if flip:
        m[0] = -m[0]
        m[0, 2] += CROP
    out = cv2.warpAffine(np.asarray(img), m, (CROP, CROP), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD, PAD, PAD))
    if len(boxes):
        xs = boxes[:, [0, 2]] * m[0, 0] + m[0, 2]
        ys = boxes[:, [1, 3]] * m[1, 1] + m[1, 2]
        nb = np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1), boxes[:, 4], boxes[:, 5]], 1)
        full_w, full_h = nb[:, 2] - nb[:, 0], nb[:, 3] - nb[:, 1]
        nb[:, [0, 2]] = nb[:, [0, 2]].clip(0, CROP)
        nb[:, [1, 3]] = nb[:, [1, 3]].clip(0, CROP)
        w, h = nb[:, 2] - nb[:, 0], nb[:, 3] - nb[:, 1]
        keep = (w > 0.5) & (h > 0.5)
        # Mostly cut-off objects become "ignore" (visible = 0) so they are neither taught nor punished.
        frac = (w * h) / np.maximum(full_w * full_h, 1e-6)
        nb[:, 5] = np.where(frac < 0.4, 0, nb[:, 5])
        nb = nb[keep]
    else:
        nb = boxes
    # Photometric jitter.
    a = rng.uniform(0.8, 1.2)
    b = rng.uniform(-20, 20)
    out = np.clip(out.astype(np.float32) * a + b, 0, 255).astype(np.uint8)
    return out, nb


# Heatmap target spread in cells, (factor, floor): sigma = max(floor, factor * sqrt(w * h) / stride), the
# stride of the heatmap (4, or 4 / --sub): the same factor is the same spread in pixels at any stride (the
# floor stays in cells: 2 px at stride 4, 1 px at stride 2).
# Stages 1-8 used SIGMA for every class; the ball always does, the persons unless --person-sigma.
SIGMA = (0.12, 0.5)


def gaussian_sigma(w, h, factor=SIGMA[0], floor=SIGMA[1], stride=STRIDE):
    return max(floor, factor * math.sqrt(max(w, 1.0) * max(h, 1.0)) / stride)


def build_targets(boxes, size, person_sigma=SIGMA, person_box_cells=0, stride=STRIDE):
    """Heatmap, ignore mask, box size, centre offset and regression mask of one crop. With
    `person_box_cells` R > 0 every cell within R cells (Chebyshev) of a person's centre cell also
    learns that person's box (size and the offset from that cell to the centre; a cell near two
    people learns the nearer one): meant to make the cells beside a peak repeat its box, for NMS to
    merge, so that a finer peak rule could keep two people one cell apart. Measured, it does not
    (models README, "Dense box regression")."""
    g = size // stride
    hm = np.zeros((NC, g, g), np.float32)
    ign = np.zeros((NC, g, g), np.float32)  # 1 = ignore this cell in the heatmap loss
    wh = np.zeros((2, g, g), np.float32)
    off = np.zeros((2, g, g), np.float32)
    regm = np.zeros((g, g), np.float32)
    near = np.full((g, g), np.inf, np.float32)  # distance (cells) to the centre a cell regresses
    yy, xx = np.mgrid[0:g, 0:g].astype(np.float32)
    for x0, y0, x1, y1, c, v in boxes:
        c = int(c)
        cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
        ix, iy = int(cx), int(cy)
        if not (0 <= ix < g and 0 <= iy < g):
            continue
        sg = gaussian_sigma(x1 - x0, y1 - y0, *(SIGMA if c == BALL else person_sigma), stride)
        r = int(3 * sg) + 1
        ya, yb, xa, xb = max(0, iy - r), min(g, iy + r + 1), max(0, ix - r), min(g, ix + r + 1)
        gauss = np.exp(-((xx[ya:yb, xa:xb] - ix) ** 2 + (yy[ya:yb, xa:xb] - iy) ** 2) / (2 * sg * sg))
        if v <= 0:
            ign[c, ya:yb, xa:xb] = np.maximum(ign[c, ya:yb, xa:xb], (gauss > 0.1).astype(np.float32))
            continue
        hm[c, ya:yb, xa:xb] = np.maximum(hm[c, ya:yb, xa:xb], gauss)
        hm[c, iy, ix] = 1.0
        rr = person_box_cells if c != BALL else 0
        for y in range(max(0, iy - rr), min(g, iy + rr + 1)):
            for x in range(max(0, ix - rr), min(g, ix + rr + 1)):
                d = math.hypot(cx - x - 0.5, cy - y - 0.5)
                if (x, y) != (ix, iy) and d >= near[y, x]:
                    continue
                near[y, x] = -1.0 if (x, y) == (ix, iy) else d  # a centre cell keeps its own object
                wh[:, y, x] = (math.log(max(x1 - x0, 1.0)), math.log(max(y1 - y0, 1.0)))
                off[:, y, x] = (cx - x, cy - y)
                regm[y, x] = 1.0
    ign = ign * (hm < 0.99)
    return hm, ign, wh, off, regm


def focal_loss(logits, gt, ign, ball_weight=1.0):
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = (1 - pos) * (1 - ign)
    pos_l = torch.log(p) * (1 - p) ** 2 * pos
    neg_l = torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * neg
    # Per class normalisation so the single ball counts as much as 22 players.
    npos = pos.sum(dim=(0, 2, 3)).clamp(min=1)
    per_class = -(pos_l.sum(dim=(0, 2, 3)) + neg_l.sum(dim=(0, 2, 3))) / npos
    weights = torch.tensor([1.0, 0.5, 0.5, ball_weight])
    return (per_class * weights).sum() / weights.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True, nargs="+", help="one or more build_cache outputs")
    ap.add_argument("--cache-weights", type=float, nargs="+", default=None,
                    help="sampling share of each cache (default: by frame count)")
    ap.add_argument("--iters", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--checkpoint", default=None)
    init = ap.add_mutually_exclusive_group()
    init.add_argument("--init", default=None, help="start from these weights (fine-tuning stage)")
    init.add_argument("--init-onnx", default=None,
                    help="start from an exported ONNX detector (its BatchNorm is folded: trains with "
                         "BatchNorm statistics frozen)")
    ap.add_argument("--extra-blocks", action="store_true",
                    help="after --init/--init-onnx, add an identity-initialised block at stride 8 and 16 (net.add_identity_blocks)")
    ap.add_argument("--extra-s4-blocks", type=int, default=0,
                    help="after --init/--init-onnx, add this many identity-initialised blocks at stride 4, before the head "
                         "(net.add_identity_blocks)")
    ap.add_argument("--person-sigma", type=float, nargs=2, default=list(SIGMA), metavar=("FACTOR", "FLOOR"),
                    help="person heatmap Gaussian: sigma = max(FLOOR, FACTOR * sqrt(w * h) / stride) cells; smaller "
                         "gives sharper peaks, so two people one cell apart can both be peaks")
    ap.add_argument("--person-box-cells", type=int, default=0, metavar="R",
                    help="cells within R of a person's centre cell also learn its box (build_targets); "
                         "0 = the centre cell only, as stages 1-8")
    ap.add_argument("--sub", type=int, default=1,
                    help="sub-cell heads (net.CenterNet): outputs at stride 4 / SUB; with --init/--init-onnx of a "
                         "stride-4 net its heads are split (net.split_heads) so training starts from its detections")
    ap.add_argument("--wh-weight", type=float, default=0.5)
    ap.add_argument("--ball-weight", type=float, default=1.0, help="heatmap loss weight of the ball class")
    ap.add_argument("--group-crops", type=float, default=0.0,
                    help="share of the crops not taken around the ball that are centred on a person whose box "
                         "overlaps another's (0 = off, as stages 1-7)")
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="wall-clock budget: the schedule follows max(iteration, time) progress "
                         "and training stops when either runs out (0 = iterations only)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)
    caches = [load_cache(c) for c in args.cache]
    sizes = [len(b) for _, b in caches]
    n = sum(sizes)
    weights = np.array(args.cache_weights if args.cache_weights else sizes, dtype=np.float64)
    if len(weights) != len(caches) or (weights <= 0).any():
        sys.exit("--cache-weights needs one positive weight per --cache")
    weights /= weights.sum()
    print(f"training on {n} frames, {args.iters} iterations of {args.batch} crops", flush=True)
    # A stage that starts from stride-4 weights splits its heads below (split_heads); one from
    # scratch is built with them.
    start = args.init or args.init_onnx
    net = CenterNet(NC, sub=1 if start else args.sub)
    if args.init:
        net.load_state_dict(torch.load(args.init))
    if args.init_onnx:
        load_onnx(net, args.init_onnx)
    if args.extra_blocks or args.extra_s4_blocks:
        add_identity_blocks(net, stride8_16=args.extra_blocks, stride4=args.extra_s4_blocks)
    if net.sub != args.sub:
        split_heads(net, args.sub)
    if args.init_onnx:
        freeze_batchnorm(net.train())
    net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    warm = 10 if args.init or args.init_onnx else 30
    t0 = time.time()
    budget = args.minutes * 60.0

    def progress(i):
        p = i / args.iters
        if budget > 0:
            p = max(p, (time.time() - t0) / budget)
        return min(p, 1.0)

    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warm) * 0.5 * (1 + math.cos(math.pi * progress(i))))
    avg = None
    done = 0
    person_sigma = tuple(args.person_sigma)
    for it in range(args.iters):
        if progress(it) >= 1.0:
            break
        done = it + 1
        xb, tg = [], []
        for _ in range(args.batch):
            # One cache draws no extra random number, so the single-cache stages 1-6 replay as before.
            imgs, boxes = caches[int(rng.choice(len(caches), p=weights))] if len(caches) > 1 else caches[0]
            k = int(rng.integers(len(boxes)))
            im, bx = sample_crop(rng, imgs[k], boxes[k], args.group_crops)
            xb.append(im)
            tg.append(build_targets(bx, CROP, person_sigma, args.person_box_cells, net.stride))
        x = torch.from_numpy(np.stack(xb)).permute(0, 3, 1, 2).float().div(255.0)
        x = x.contiguous(memory_format=torch.channels_last)
        hm_t, ign_t, wh_t, off_t, reg_t = (torch.from_numpy(np.stack(a)) for a in zip(*tg))
        hm, wh, off = net(x)
        l_hm = focal_loss(hm, hm_t, ign_t, args.ball_weight)
        m = reg_t.unsqueeze(1)
        npos = m.sum().clamp(min=1)
        l_wh = (F.l1_loss(wh, wh_t, reduction="none") * m).sum() / npos
        l_off = (F.l1_loss(off, off_t, reduction="none") * m).sum() / npos
        loss = l_hm + args.wh_weight * l_wh + l_off
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        sched.step()
        v = np.array([loss.item(), l_hm.item(), l_wh.item(), l_off.item()])
        avg = v if avg is None else 0.95 * avg + 0.05 * v
        if it % 25 == 0 or it == args.iters - 1:
            el = time.time() - t0
            print(f"it {it:5d} loss {avg[0]:.3f} hm {avg[1]:.3f} wh {avg[2]:.3f} off {avg[3]:.3f} "
                  f"lr {sched.get_last_lr()[0]:.2e} {el:.0f}s", flush=True)
    train_s = time.time() - t0
    net = net.to(memory_format=torch.contiguous_format).eval()
    if args.checkpoint:
        torch.save(net.state_dict(), args.checkpoint)
    export(net, args.out)
    meta = {"train_seconds": round(train_s, 1), "iterations": done, "minutes_budget": args.minutes, "lr": args.lr,
            "wh_weight": args.wh_weight, "ball_weight": args.ball_weight, "group_crops": args.group_crops, "extra_blocks": args.extra_blocks, "extra_s4_blocks": args.extra_s4_blocks, "person_sigma": args.person_sigma, "person_box_cells": args.person_box_cells, "sub": args.sub, "init": args.init or args.init_onnx, "batch": args.batch,
            "crop": CROP, "frames": n, "caches": args.cache, "cache_weights": args.cache_weights, "seed": args.seed, "threads": args.threads,
            "torch": torch.__version__}
    pathlib.Path(args.out + ".train.json").write_text(json.dumps(meta, indent=1))
    print(f"trained in {train_s:.0f}s → {args.out}", flush=True)


def export(net, path, k=64):
    model = Exported(net, k).eval()
    x = torch.zeros(1, 3, INPUT_H, INPUT_W)
    torch.onnx.export(model, x, path, input_names=["images"], output_names=["detections"],
                      opset_version=17, dynamo=False, do_constant_folding=True)
    import onnx
    m = onnx.load(path)
    m.producer_name = "touchline-models"
    onnx.checker.check_model(m)
    onnx.save(m, path)


if __name__ == "__main__":
    main()
