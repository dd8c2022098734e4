"""Touchline wearable anomaly model: raw 60 Hz samples in, anomaly score out.

The ONNX graph is self-contained: it takes one window of raw wearable samples exactly as the
wearable CSV carries them (made window-relative so f32 is exact), derives per-step features,
normalises them, runs a small 1-D convolutional autoencoder and returns the reconstruction
error. The edge node feeds samples and compares `score` with the manifest threshold; there is
no feature code to mirror.

Input `samples` f32 [1, 60, 13], one row per received sample, oldest first:
  0 seq_rel      sequence number minus the window's first (skips over dropped samples)
  1 t_rel_ms     device timestamp minus the window's first, in ms (µs / 1000)
  2 x_m, 3 y_m   position (pitch metres)
  4 ax, 5 ay, 6 az   acceleration (m/s², body frame, gravity included)
  7 gx, 8 gy, 9 gz   angular rate (deg/s)
  10 hr_bpm      heart rate
  11 has_pos     1 if the device reports position, 0 if not (x, y ignored)
  12 has_hr      1 if the device reports heart rate, 0 if not (hr ignored)
Per step t = 1..59 (pairs t-1, t) the graph derives 7 features:
  dt     sign·ln(1 + |Δt_ms − 16.667| / 16.667)
  gap    ln(1 + max(Δseq − 1, 0))
  speed  ln(1 + |Δpos|·60)                (× has_pos)
  acc    ln(1 + |a|)
  gyro   ln(1 + |ω|)
  hr     hr / 100                          (× has_hr)
  stuck  1 if a, ω (and pos when present) equal the previous sample exactly, else 0
Outputs: `score` f32 [1, 1] = max over steps of the mask-weighted, variance-normalised squared
reconstruction error summed over features; `feature_error` f32 [1, 7] = per-feature max over
steps (which feature made the score: explains the anomaly type).
"""
import torch
from torch import nn
import torch.nn.functional as F

WINDOW = 60
RAW_COLUMNS = [
    "seq_rel", "t_rel_ms", "x_m", "y_m", "ax", "ay", "az", "gx", "gy", "gz", "hr_bpm",
    "has_pos", "has_hr",
]
FEATURES = ["dt", "gap", "speed", "acc", "gyro", "hr", "stuck"]
NF = len(FEATURES)
CONT = [0, 2, 3, 4, 5]  # continuous features: dt, speed, acc, gyro, hr
EXCESS_TOL = 0.02  # envelope excess of 2 % of the normal range = 1 unit of score
NOMINAL_DT_MS = 1000.0 / 60.0


def features(raw):
    """raw [B, 60, 13] → (feat [B, 59, 7], mask [B, 59, 7]); exported into the ONNX graph."""
    prev, cur = raw[:, :-1, :], raw[:, 1:, :]
    d = cur - prev
    has_pos = cur[:, :, 11:12]
    has_hr = cur[:, :, 12:13]
    ddt = (d[:, :, 1:2] - NOMINAL_DT_MS) / NOMINAL_DT_MS
    f_dt = torch.sign(ddt) * torch.log1p(torch.abs(ddt))
    f_gap = torch.log1p(torch.clamp(d[:, :, 0:1] - 1.0, min=0.0))
    dpos = torch.sqrt(d[:, :, 2:3] ** 2 + d[:, :, 3:4] ** 2 + 1e-12)
    f_speed = torch.log1p(dpos * 60.0) * has_pos
    acc = torch.sqrt((cur[:, :, 4:7] ** 2).sum(dim=2, keepdim=True) + 1e-12)
    f_acc = torch.log1p(acc)
    gyro = torch.sqrt((cur[:, :, 7:10] ** 2).sum(dim=2, keepdim=True) + 1e-12)
    f_gyro = torch.log1p(gyro)
    f_hr = cur[:, :, 10:11] / 100.0 * has_hr
    moved_imu = (torch.abs(d[:, :, 4:10]).sum(dim=2, keepdim=True) > 0).to(raw.dtype)
    moved_pos = (torch.abs(d[:, :, 2:4]).sum(dim=2, keepdim=True) > 0).to(raw.dtype) * has_pos
    f_stuck = 1.0 - torch.clamp(moved_imu + moved_pos, max=1.0)
    feat = torch.cat([f_dt, f_gap, f_speed, f_acc, f_gyro, f_hr, f_stuck], dim=2)
    ones = torch.ones_like(has_pos)
    mask = torch.cat([ones, ones, has_pos, ones, ones, has_hr, ones], dim=2)
    return feat, mask


class AutoEncoder(nn.Module):
    """Temporal conv autoencoder over the 5 continuous features (dt, speed, acc, gyro, hr),
    clipped to the normal envelope and normalised to 0..1, plus the 2 presence masks:
    [B, 5 + 2, 59] in, [B, 5, 59] out (sigmoid)."""

    def __init__(self, hidden=32, latent=6):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv1d(len(CONT) + 2, hidden, 5, padding=2), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 4, stride=2, padding=1), nn.ReLU(),   # 59 → 29
            nn.Conv1d(hidden, latent, 4, stride=2, padding=1),              # 29 → 14
        )
        self.dec = nn.Sequential(
            nn.ConvTranspose1d(latent + 2, hidden, 4, stride=2, padding=1), nn.ReLU(),  # → 28
            nn.ConvTranspose1d(hidden, hidden, 7, stride=2, padding=1), nn.ReLU(),     # → 59
            nn.Conv1d(hidden, len(CONT), 3, padding=1),
        )

    def forward(self, xc, masks):
        z = self.enc(torch.cat([xc, masks], dim=1))
        mz = masks.mean(dim=2, keepdim=True).expand(-1, -1, z.shape[2])
        return torch.sigmoid(self.dec(torch.cat([z, mz], dim=1)))


class Scorer(nn.Module):
    """Per step and feature, in units of "normal variation":
    - envelope excess: how far the feature leaves the range seen in normal training data
      (lo..hi per continuous feature, with a 10 % margin; gap and stuck are 0 in normal data),
      as a fraction of that range, divided by EXCESS_TOL, squared;
    - reconstruction error of the autoencoder on the clipped continuous features, divided by
      the residual variance measured on held-out normal data.
    score = max over steps of the sum over features; feature_error = max over steps per feature.
    """

    def __init__(self, ae, lo, hi, resid_var):
        super().__init__()
        self.ae = ae
        self.register_buffer("lo", torch.as_tensor(lo, dtype=torch.float32).view(1, NF, 1))
        self.register_buffer("span", torch.as_tensor(hi - lo, dtype=torch.float32).view(1, NF, 1))
        self.register_buffer("inv_var", 1.0 / torch.as_tensor(resid_var, dtype=torch.float32).view(1, len(CONT), 1))
        env = torch.ones(NF)
        env[FEATURES.index("gap")] = 0.0
        env[FEATURES.index("stuck")] = 0.0
        self.register_buffer("env_hi", env.view(1, NF, 1))

    def normalise(self, raw):
        feat, mask = features(raw)
        m = mask.transpose(1, 2)
        xn = (feat.transpose(1, 2) - self.lo) / self.span * m
        xc = torch.clamp(xn[:, CONT], 0.0, 1.0)
        masks = torch.cat([m[:, 2:3], m[:, 5:6]], dim=1)
        return xn, xc, m, masks

    def step_errors(self, raw):
        xn, xc, m, masks = self.normalise(raw)
        rec = self.ae(xc, masks)
        ae_err = (rec - xc) ** 2 * m[:, CONT] * self.inv_var
        excess = (F.relu(xn - self.env_hi) + F.relu(-xn)) * m / EXCESS_TOL
        err = excess ** 2
        pad = torch.zeros_like(err[:, :1])
        # Scatter the 5 AE errors into the 7 feature rows (dt, -, speed, acc, gyro, hr, -).
        ae7 = torch.cat([ae_err[:, 0:1], pad, ae_err[:, 1:5], pad], dim=1)
        return err + ae7   # [B, 7, 59]

    def forward(self, raw):
        e = self.step_errors(raw)
        per_feature = e.amax(dim=2)                     # [B, 7]
        score = e.sum(dim=1).amax(dim=1, keepdim=True)  # [B, 1]
        return score, per_feature
