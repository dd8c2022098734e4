"""Trains the ball verifier (touchline-ball) on candidate patches from extract.py and exports ONNX.

Net: 32x32 BGR/255 patch -> three 3x3 conv blocks with max-pooling -> FC -> (logit, dx, dy).
The exported graph outputs `ball` f32 [N, 3] = probability (sigmoid in the graph), dx, dy: the
ball centre relative to the patch's centre pixel corner, in native pixels.

Usage: train.py --train A.npz [B.npz ...] --out models/touchline-ball.onnx [--epochs N] [--seed S]
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from patch import label_of, positive_radius

PATCH = 32


def block(ci, co):
    return nn.Sequential(nn.Conv2d(ci, co, 3, 1, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class Verifier(nn.Module):
    def __init__(self, w=(16, 24, 32, 48), fc=64):
        super().__init__()
        a, b, c, d = w
        self.f = nn.Sequential(
            block(3, a), block(a, b), nn.MaxPool2d(2),   # 16x16
            block(b, c), nn.MaxPool2d(2),                # 8x8
            block(c, d), nn.MaxPool2d(2),                # 4x4
        )
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(d * 16, fc), nn.ReLU(inplace=True), nn.Linear(fc, 3))

    def forward(self, x):
        return self.fc(self.f(x))


class Exported(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, patches):
        y = self.net(patches)
        return torch.cat([torch.sigmoid(y[:, :1]), y[:, 1:]], dim=1)


def relabel(z, pos_radius_720):
    """Labels / offsets for another positive radius (px at 720p scale, at most 13 native px), from
    the stored candidate centres and offsets to the nearest true ball (extract.py's rule)."""
    c = z["centres"]
    true_off = z["true_offsets"]
    d = np.nan_to_num(np.hypot(*(true_off - (c - np.floor(c))).T), nan=np.inf)
    lab = label_of(d, positive_radius(z["heights"], pos_radius_720))
    off = np.where((lab == 1)[:, None], np.nan_to_num(true_off), 0.0).astype(np.float32)
    return lab, off


def load(paths, pos_radius_720=None):
    P, L, O = [], [], []
    for p in paths:
        z = np.load(p)
        lab, off = (z["labels"], z["offsets"]) if pos_radius_720 is None else relabel(z, pos_radius_720)
        P.append(z["patches"]), L.append(lab), O.append(off)
    return np.concatenate(P), np.concatenate(L).astype(np.float32), np.concatenate(O)


def to_tensor(patches_u8):
    return torch.from_numpy(patches_u8).permute(0, 3, 1, 2).float().div_(255.0)


def augment(x, off, rng):
    """x: [B,3,H,W] float; horizontal flip (negates dx exactly), brightness/contrast jitter."""
    flip = torch.from_numpy(rng.random(x.shape[0]) < 0.5)
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    off = off.clone()
    off[flip, 0] = -off[flip, 0]
    gain = torch.from_numpy(rng.uniform(0.75, 1.25, (x.shape[0], 1, 1, 1)).astype(np.float32))
    bias = torch.from_numpy(rng.uniform(-0.08, 0.08, (x.shape[0], 1, 1, 1)).astype(np.float32))
    tint = torch.from_numpy(rng.uniform(0.92, 1.08, (x.shape[0], 3, 1, 1)).astype(np.float32))
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - mean) * gain + mean + bias) * tint
    return x.clamp_(0.0, 1.0), off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--pos-weight", type=float, default=4.0)
    ap.add_argument("--neg-keep", type=float, default=0.4,
                    help="fraction of the negative patches drawn afresh for each epoch")
    ap.add_argument("--pos-radius", type=float, default=None,
                    help="relabel for this positive radius (px at 720p scale) instead of extract.py's")
    ap.add_argument("--widths", type=int, nargs=4, default=[16, 24, 32, 48],
                    help="channels of the four conv blocks")
    ap.add_argument("--fc", type=int, default=64, help="width of the hidden fully connected layer")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", default="models/runs/ball.pt", help="torch weights (not shipped)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    P, L, O = load(args.train, args.pos_radius)
    n = len(L)
    print(f"{n} patches, {len(np.flatnonzero(L > 0.5))} positive", flush=True)
    net = Verifier(tuple(args.widths), args.fc)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    # Label -1 (a ball just beyond the positive radius) is not trained on.
    pos_idx, neg_idx = np.flatnonzero(L > 0.5), np.flatnonzero(L == 0)
    per_epoch = len(pos_idx) + int(round(args.neg_keep * len(neg_idx)))
    steps = args.epochs * ((per_epoch + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    t0 = time.time()
    step = 0
    for ep in range(args.epochs):
        keep = rng.choice(neg_idx, per_epoch - len(pos_idx), replace=False)
        perm = rng.permutation(np.concatenate([pos_idx, keep]))
        tot = [0.0, 0.0, 0]
        net.train()
        for i in range(0, len(perm), args.batch):
            idx = np.sort(perm[i:i + args.batch])
            x = to_tensor(P[idx])
            y = torch.from_numpy(L[idx])
            off = torch.from_numpy(O[idx])
            x, off = augment(x, off, rng)
            out = net(x)
            cls = F.binary_cross_entropy_with_logits(
                out[:, 0], y, pos_weight=torch.tensor(args.pos_weight))
            pos = y > 0.5
            reg = F.smooth_l1_loss(out[pos, 1:], off[pos]) if pos.any() else out.sum() * 0.0
            loss = cls + 0.2 * reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            tot[0] += float(cls) * len(idx)
            tot[1] += float(reg) * len(idx)
            tot[2] += len(idx)
        print(f"epoch {ep + 1}/{args.epochs}: cls {tot[0] / tot[2]:.4f} reg {tot[1] / tot[2]:.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)
    secs = time.time() - t0
    net.eval()
    out = pathlib.Path(args.out)
    torch.onnx.export(Exported(net), torch.zeros(4, 3, PATCH, PATCH), str(out), input_names=["patches"],
                      output_names=["ball"], dynamic_axes={"patches": {0: "n"}, "ball": {0: "n"}},
                      opset_version=17, dynamo=False)
    pathlib.Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.checkpoint)
    info = {"patches": n, "positives": int((L > 0.5).sum()), "ignored": int((L < 0).sum()), "epochs": args.epochs, "batch": args.batch,
            "lr": args.lr, "pos_weight": args.pos_weight, "pos_radius_720": args.pos_radius, "neg_keep": args.neg_keep, "seed": args.seed, "widths": args.widths, "fc": args.fc, "train_seconds": round(secs, 1),
            "torch": torch.__version__, "params": sum(p.numel() for p in net.parameters()),
            "train_files": [pathlib.Path(p).name for p in args.train]}
    pathlib.Path(str(out) + ".train.json").write_text(json.dumps(info, indent=1))
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
