"""The patch cut, identical to the edge node's (edge-node/src/detect/ball_verify.rs): PATCH x PATCH
native-resolution pixels whose centre pixel is the one containing the candidate centre
(floor(x), floor(y)); pixels outside the frame are the letterbox grey (114)."""
import numpy as np

PATCH = 32
PAD = 114
# The training label rule (extract.py, train.py --pos-radius): a true ball within the positive
# radius of the patch centre is a positive, one up to IGNORE_BAND x that radius is not trained on.
MAX_POSITIVE_PX = 13.0
IGNORE_BAND = 1.5


def positive_radius(frame_h, pos_radius_720):
    """Native px for a radius given at 720p scale; at most MAX_POSITIVE_PX so the ball stays inside
    the patch. Works on scalars and numpy arrays."""
    return np.minimum(pos_radius_720 * np.asarray(frame_h) / 720.0, MAX_POSITIVE_PX)


def label_of(distance, radius):
    """1 within `radius`, -1 (ignored) up to IGNORE_BAND x it, else 0; scalars or arrays."""
    return np.where(distance <= radius, 1, np.where(distance <= IGNORE_BAND * radius, -1, 0)).astype(np.int8)


def cut(img, cx, cy):
    h, w = img.shape[:2]
    x0 = int(np.floor(cx)) - PATCH // 2
    y0 = int(np.floor(cy)) - PATCH // 2
    out = np.full((PATCH, PATCH, 3), PAD, np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + PATCH, w), min(y0 + PATCH, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = img[sy0:sy1, sx0:sx1]
    return out
