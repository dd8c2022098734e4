"""The foot-patch cut, identical to the edge node's (edge-node/src/detect/foot_refine.rs).

For a person box (x1, y1, x2, y2) in frame px: side s = max(SCALE * (y2 - y1), MIN_SIDE_PX); the
square of side s centred on the box's bottom-centre (cx, y2) is mapped onto PATCH x PATCH pixels
with cv2.warpAffine (INTER_LINEAR, border = PAD): patch (u, v) <- frame (x0 + u * s / PATCH,
y0 + v * s / PATCH), x0 = cx - s / 2, y0 = y2 - s / 2. The model predicts the true foot point as
(cx + dx * s, y2 + dy * s)."""
import cv2
import numpy as np

PATCH = 32
SCALE = 0.6
MIN_SIDE_PX = 12.0
PAD = 114


def side(box):
    return max(SCALE * (box[3] - box[1]), MIN_SIDE_PX)


def cut(img, box):
    s = side(box)
    cx, y2 = (box[0] + box[2]) / 2.0, box[3]
    k = PATCH / s
    m = np.array([[k, 0.0, -(cx - s / 2.0) * k], [0.0, k, -(y2 - s / 2.0) * k]], np.float64)
    return cv2.warpAffine(img, m, (PATCH, PATCH), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD, PAD, PAD))
