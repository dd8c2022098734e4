"""Touchline detector network: a small CenterNet-style fully convolutional net.

Backbone: stride-2 stem, depthwise-separable blocks down to stride 16, a light FPN back up to
stride 4, and three heads at stride 4: per-class centre heatmap, box size (log px) and sub-cell
centre offset. The stride-2 stem and stride-4 heads keep a 3-4 px ball resolvable.

`Exported` wraps the net with the in-graph decoder so the ONNX file outputs final boxes:
`detections` f32 [1, K, 6] = x1, y1, x2, y2 (model-input pixels), score (0..1), class id; rows
that are not local heatmap peaks have score 0 (padding). Layout name: `boxes-xyxy-score-class`.
"""
import torch
from torch import nn
import torch.nn.functional as F

STRIDE = 4


def conv_bn(ci, co, k=3, s=1, groups=1, act=True):
    layers = [nn.Conv2d(ci, co, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(co)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DWBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1, residual when shapes allow."""

    def __init__(self, ci, co, s=1):
        super().__init__()
        self.dw = conv_bn(ci, ci, 3, s, groups=ci)
        self.pw = conv_bn(ci, co, 1, act=False)
        self.res = s == 1 and ci == co

    def forward(self, x):
        y = self.pw(self.dw(x))
        return F.relu(y + x if self.res else y)


class CenterNet(nn.Module):
    """`sub` > 1 makes the heads sub-cell: each stride-4 cell predicts a sub x sub block of
    heatmap, size and offset cells (pixel shuffle), so the outputs are at stride 4 / sub and two
    people one stride-4 cell apart can give two peaks, for the price of wider 1x1 head convs."""

    def __init__(self, num_classes=4, w=(16, 32, 64, 96), head=32, sub=1):
        super().__init__()
        if sub < 1 or STRIDE % sub:
            raise ValueError(f"CenterNet: sub {sub} does not divide the stride {STRIDE}")
        self.sub = sub
        c1, c2, c3, c4 = w
        self.stem = conv_bn(3, c1, 3, 2)
        self.s4 = nn.Sequential(DWBlock(c1, c2, 2), DWBlock(c2, c2))
        self.s8 = nn.Sequential(DWBlock(c2, c3, 2), DWBlock(c3, c3))
        self.s16 = nn.Sequential(DWBlock(c3, c4, 2), DWBlock(c4, c4), DWBlock(c4, c4))
        self.lat16 = conv_bn(c4, head, 1)
        self.lat8 = conv_bn(c3, head, 1)
        self.lat4 = conv_bn(c2, head, 1)
        self.fuse8 = DWBlock(head, head)
        self.fuse4 = DWBlock(head, head)
        self.head = conv_bn(head, head, 3)
        self.hm = nn.Conv2d(head, num_classes * sub * sub, 1)
        self.wh = nn.Conv2d(head, 2 * sub * sub, 1)
        self.off = nn.Conv2d(head, 2 * sub * sub, 1)
        nn.init.constant_(self.hm.bias, -4.0)

    @property
    def stride(self):
        """Input pixels per output cell: 4 / sub."""
        return STRIDE // self.sub

    def forward(self, x):
        """Heatmap logits, log box size and offset maps at the output stride (4 / sub)."""
        hm, wh, off = self.heads(x)
        if self.sub > 1:
            hm, wh, off = (F.pixel_shuffle(t, self.sub) for t in (hm, wh, off))
        return hm, wh, off

    def heads(self, x):
        """The head convolutions' outputs at stride 4 (for a sub-cell net, sub² channels per map)."""
        x = self.stem(x)
        f4 = self.s4(x)
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        p = self.lat16(f16)
        p = self.fuse8(F.interpolate(p, scale_factor=2.0, mode="nearest") + self.lat8(f8))
        p = self.fuse4(F.interpolate(p, scale_factor=2.0, mode="nearest") + self.lat4(f4))
        h = self.head(p)
        return self.hm(h), self.wh(h), self.off(h)


def split_heads(net, sub):
    """Turns a trained stride-4 net (`sub` 1) into a sub-cell one whose every sub-cell starts
    with its parent cell's heatmap score and box: the exported decoder then finds the parent's
    peak sub x sub times with one box, which NMS merges, so the detections start as the trained
    net's. Offsets are re-based: centre x = (4·cx + off)·4 = (sub·cx + j + off')·(4 / sub) gives
    off' = sub·off - j (and likewise y with the sub-row i)."""
    if net.sub != 1:
        raise ValueError("split_heads: the net's heads are already sub-cell")
    if sub < 2 or STRIDE % sub:
        raise ValueError(f"split_heads: sub {sub} must be 2 or 4 (a divisor of the stride {STRIDE} above 1)")
    r = sub * sub

    def widen(conv, per_cell):
        new = nn.Conv2d(conv.in_channels, conv.out_channels * r, 1)
        with torch.no_grad():
            for k in range(conv.out_channels):
                for i in range(sub):
                    for j in range(sub):
                        # pixel_shuffle: channel k·sub² + i·sub + j → output channel k, sub-cell (i, j)
                        w, b = per_cell(k, i, j, conv.weight[k], conv.bias[k])
                        new.weight[k * r + i * sub + j] = w
                        new.bias[k * r + i * sub + j] = b
        return new

    net.hm = widen(net.hm, lambda k, i, j, w, b: (w, b))
    net.wh = widen(net.wh, lambda k, i, j, w, b: (w, b))
    net.off = widen(net.off, lambda k, i, j, w, b: (sub * w, sub * b - (j if k == 0 else i)))
    net.sub = sub
    return net


def identity_block(c):
    """A residual `DWBlock` that starts as the identity: its pointwise BatchNorm's gamma is 0, so
    it adds 0 to its input, which is non-negative after the preceding ReLU."""
    block = DWBlock(c, c)
    nn.init.zeros_(block.pw[1].weight)
    return block


def add_identity_blocks(net, stride8_16=True, stride4=0):
    """Adds identity-initialised residual blocks to a trained net, so it gains capacity without
    losing what it has learnt: with `stride8_16`, one at the end of the stride-8 and one of the
    stride-16 stage (where it is cheap, models README); `stride4` more after the stride-4 fusion,
    just before the head (where the small players and the ball are decided, and each block costs
    most)."""
    if stride8_16:
        for stage in (net.s8, net.s16):
            stage.append(identity_block(stage[-1].pw[0].out_channels))
    if stride4:
        c = net.head[0].in_channels
        net.fuse4 = nn.Sequential(net.fuse4, *[identity_block(c) for _ in range(stride4)])
    return net


class Exported(nn.Module):
    """Net + normalisation-free decoder: heatmap peaks (3x3 max-pool NMS) → top-K boxes."""

    def __init__(self, net, k=64):
        super().__init__()
        self.net = net
        self.k = k * net.sub * net.sub  # a sub-cell net finds each peak up to sub² times before NMS

    def forward(self, x):
        r = self.net.sub
        if r == 1:  # the shipped graph, op for op
            hm, wh, off = self.net(x)
        else:
            # Only the heatmap is shuffled to stride 4 / sub; a peak's size and offset are read from
            # the head's own channels (shuffling those too costs ~1.3 ms in ONNX Runtime).
            hm, wh, off = self.net.heads(x)
            hm = F.pixel_shuffle(hm, r)
        hm = torch.sigmoid(hm)
        n, c, h, w = hm.shape
        peak = F.max_pool2d(hm, 3, 1, 1)
        hm = hm * (peak == hm).to(hm.dtype)
        scores, idx = torch.topk(hm.reshape(1, c * h * w), self.k)
        cls = torch.div(idx, h * w, rounding_mode="floor")
        pos = idx - cls * (h * w)
        ys = torch.div(pos, w, rounding_mode="floor")
        xs = pos - ys * w
        if r == 1:
            wh = wh.reshape(1, 2, h * w)
            off = off.reshape(1, 2, h * w)
            g = pos.unsqueeze(1).expand(1, 2, self.k)
            bwh = torch.exp(torch.gather(wh, 2, g))
            boff = torch.gather(off, 2, g)
        else:
            # Where (y, x) is in the head's maps: channel k·r² + (y mod r)·r + (x mod r) at the
            # parent cell (y div r, x div r).
            pw, cells = w // r, (h // r) * (w // r)
            py, px = torch.div(ys, r, rounding_mode="floor"), torch.div(xs, r, rounding_mode="floor")
            at = ((ys - py * r) * r + (xs - px * r)) * cells + py * pw + px
            g = torch.stack([at, at + r * r * cells], dim=1)  # channels k = 0 and 1
            bwh = torch.exp(torch.gather(wh.reshape(1, 1, -1).expand(1, 2, -1), 2, g))
            boff = torch.gather(off.reshape(1, 1, -1).expand(1, 2, -1), 2, g)
        cx = (xs.to(hm.dtype) + boff[:, 0]) * self.net.stride
        cy = (ys.to(hm.dtype) + boff[:, 1]) * self.net.stride
        bw, bh = bwh[:, 0], bwh[:, 1]
        out = torch.stack(
            [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, scores, cls.to(hm.dtype)], dim=2
        )
        return out
