"""Generated training data: `sample-feeds frames` exports → letterboxed uint8 cache + labels."""
import csv
import pathlib

import cv2
import numpy as np

from common import CLASSES, INPUT_H, INPUT_W, letterbox


def read_export(export_dir):
    """Yields dicts per image: path, width, height, camera, look_seed, objects
    [(x0, y0, x1, y1, class_index, visible)] in frame pixels (boxes clipped to the image), and
    occlusion (0..1, one per object, in the same order).
    visible = occlusion < 0.9 (the export's own rule for its YOLO labels)."""
    export_dir = pathlib.Path(export_dir)
    images = {}
    with open(export_dir / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            im = images.setdefault(row["image"], {
                "path": str(export_dir / "images" / row["image"]),
                "width": int(row["width"]), "height": int(row["height"]),
                "camera": row["camera"], "look_seed": int(row["look_seed"]), "objects": [],
                "occlusion": [],
            })
            im["objects"].append((
                float(row["x0"]), float(row["y0"]), float(row["x1"]), float(row["y1"]),
                CLASSES.index(row["class"]), float(row["occlusion"]) < 0.9,
            ))
            im["occlusion"].append(float(row["occlusion"]))
    # Images with no labelled object at all still count (negatives).
    for p in sorted((export_dir / "images").iterdir()):
        if p.name not in images:
            img = cv2.imread(str(p))
            images[p.name] = {"path": str(p), "width": img.shape[1], "height": img.shape[0],
                              "camera": "?", "look_seed": -1, "objects": [], "occlusion": []}
    return [images[k] for k in sorted(images)]


def build_cache(export_dirs, cache_path):
    """Letterboxes every image to the model input and stores uint8 [N, H, W, 3] (memmap) plus
    boxes in input pixels. Returns (images memmap, list of np arrays [M, 6])."""
    cache_path = pathlib.Path(cache_path)
    recs = [r for d in export_dirs for r in read_export(d)]
    n = len(recs)
    arr = np.lib.format.open_memmap(str(cache_path) + ".npy", mode="w+", dtype=np.uint8,
                                    shape=(n, INPUT_H, INPUT_W, 3))
    boxes, meta = [], []
    for i, r in enumerate(recs):
        img = cv2.imread(r["path"], cv2.IMREAD_COLOR)
        canvas, s, px, py = letterbox(img)
        arr[i] = canvas
        b = np.array([(x0 * s + px, y0 * s + py, x1 * s + px, y1 * s + py, c, v)
                      for x0, y0, x1, y1, c, v in r["objects"]], dtype=np.float32).reshape(-1, 6)
        boxes.append(b)
        meta.append((r["camera"], r["look_seed"], r["width"], r["height"]))
    arr.flush()
    np.savez(str(cache_path) + "-labels.npz", n=n, *boxes)
    return recs


def load_cache(cache_path):
    arr = np.load(str(cache_path) + ".npy", mmap_mode="r")
    z = np.load(str(cache_path) + "-labels.npz")
    boxes = [z[f"arr_{i}"] for i in range(int(z["n"]))]
    return arr, boxes
