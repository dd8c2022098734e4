"""Trains the foot refiner (touchline-foot) on extract.py's patches and exports ONNX.

Net: 32x32 BGR/255 foot patch -> 4 small conv blocks with max-pooling -> FC -> (dx, dy) in units
of the patch side. Exported graph: input `patches` f32 [N, 3, 32, 32], output `foot` f32 [N, 2].

Usage: train.py --train A.npz [B.npz ...] --out models/touchline-foot.onnx
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

PATCH = 32


def block(ci, co):
    return nn.Sequential(nn.Conv2d(ci, co, 3, 1, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class Refiner(nn.Module):
    def __init__(self, w=(8, 12, 16, 24), fc=48):
        super().__init__()
        a, b, c, d = w
        self.f = nn.Sequential(block(3, a), block(a, b), nn.MaxPool2d(2), block(b, c), nn.MaxPool2d(2),
                               block(c, d), nn.MaxPool2d(2))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(d * 16, fc), nn.ReLU(inplace=True), nn.Linear(fc, 2))

    def forward(self, x):
        return self.fc(self.f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", default="models/runs/foot.pt")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    P = np.concatenate([np.load(p)["patches"] for p in args.train])
    T = np.concatenate([np.load(p)["targets"] for p in args.train]).astype(np.float32)
    n = len(T)
    print(f"{n} samples", flush=True)
    net = Refiner()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((n + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    t0 = time.time()
    for ep in range(args.epochs):
        perm = rng.permutation(n)
        tot, cnt = 0.0, 0
        net.train()
        for i in range(0, n, args.batch):
            idx = np.sort(perm[i:i + args.batch])
            x = torch.from_numpy(P[idx]).permute(0, 3, 1, 2).float().div_(255.0)
            y = torch.from_numpy(T[idx]).clone()
            # Horizontal flip about the patch centre column negates dx exactly.
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            y[flip, 0] = -y[flip, 0]
            g = torch.from_numpy(rng.uniform(0.8, 1.2, (len(idx), 1, 1, 1)).astype(np.float32))
            b = torch.from_numpy(rng.uniform(-0.06, 0.06, (len(idx), 1, 1, 1)).astype(np.float32))
            m = x.mean(dim=(1, 2, 3), keepdim=True)
            x = ((x - m) * g + m + b).clamp_(0.0, 1.0)
            loss = F.smooth_l1_loss(net(x), y, beta=0.02)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(idx)
            cnt += len(idx)
        print(f"epoch {ep + 1}/{args.epochs}: loss {tot / cnt:.5f} ({time.time() - t0:.0f} s)", flush=True)
    secs = time.time() - t0
    net.eval()
    torch.onnx.export(net, torch.zeros(4, 3, PATCH, PATCH), args.out, input_names=["patches"],
                      output_names=["foot"], dynamic_axes={"patches": {0: "n"}, "foot": {0: "n"}},
                      opset_version=17, dynamo=False)
    pathlib.Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.checkpoint)
    info = {"samples": n, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seed": args.seed,
            "train_seconds": round(secs, 1), "torch": torch.__version__,
            "params": sum(p.numel() for p in net.parameters()),
            "train_files": [pathlib.Path(p).name for p in args.train]}
    pathlib.Path(args.out + ".train.json").write_text(json.dumps(info, indent=1))
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
