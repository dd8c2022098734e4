"""Same weights, another graph: writes a variant of touchline-det with another input size and/or
another person peak suppression, with a manifest the edge node accepts, and scores it on
held-out stills exactly as the detector's card does (letterbox, thresholds, NMS).

Run: models/.venv-train/bin/python models/tools/variant.py --out /tmp/det-1024 \
         [--input 1024x576] [--person-peak 2] [--rows 256] [--score models/data/det/test-900 ...]
     then: edge-node eval --manifest /tmp/det-1024/touchline-det.toml --feed ...

The network is fully convolutional; only the in-graph decoder's constants depend on the input
size (heatmap cells per class, heatmap width), so a new size is a rewrite of those constants and
of the input shape (both sides a multiple of 16: the net downsamples to stride 16). The decoder
keeps a heatmap cell when it is the maximum of its 3x3 neighbourhood; `--person-peak K` uses a
KxK neighbourhood for the three person classes (1: every cell, duplicates left to NMS) and keeps
3x3 for the ball. The models README records what these variants measured.
"""
import argparse
import hashlib
import pathlib
import re
import shutil
import sys
import tomllib

import numpy as np
import onnx
from onnx import helper, numpy_helper

MODELS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MODELS / "detector"))
from common import CLASSES, BALL, evaluate  # noqa: E402
from net import STRIDE  # noqa: E402


def constant(node):
    return numpy_helper.to_array(node.attribute[0].t)


def set_constant(node, value):
    t = node.attribute[0].t
    t.CopyFrom(numpy_helper.from_array(np.asarray(value, dtype=constant(node).dtype), t.name))


def resize_input(model, h, w):
    """Rewrites the input shape and the decoder's size constants (cells = (h/4)·(w/4), row = w/4)."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    h0, w0 = dims[2].dim_value, dims[3].dim_value
    cells0, row0 = (h0 // STRIDE) * (w0 // STRIDE), w0 // STRIDE
    cells, row = (h // STRIDE) * (w // STRIDE), w // STRIDE
    swap = {cells0: cells, cells0 * len(CLASSES): cells * len(CLASSES), row0: row}
    for n in model.graph.node:
        if n.op_type != "Constant":
            continue
        v = constant(n)
        if v.dtype.kind == "i" and v.ndim <= 1 and any(int(x) in swap for x in v.flat):
            set_constant(n, np.array([swap.get(int(x), int(x)) for x in v.flat]).reshape(v.shape))
    dims[2].dim_value, dims[3].dim_value = h, w


def person_peak(model, k):
    """Person classes keep a cell that is the maximum of its KxK neighbourhood; the ball keeps 3x3."""
    g = model.graph
    nodes = list(g.node)
    at = next(i for i, n in enumerate(nodes) if n.op_type == "Equal" and n.input[0].endswith("MaxPool_output_0"))
    heat = nodes[at].input[1]
    keep = nodes[at].output[0]
    nodes[at].output[0] = "variant_ball_keep"
    persons = np.array([c != BALL for c in range(len(CLASSES))]).reshape(1, -1, 1, 1)
    new = [helper.make_node("Constant", [], ["variant_persons"], value=numpy_helper.from_array(persons))]
    if k == 1:
        new.append(helper.make_node("Or", ["variant_persons", "variant_ball_keep"], [keep]))
    else:
        pads = [(k - 1) // 2, (k - 1) // 2, k // 2, k // 2]
        new += [helper.make_node("Constant", [], ["variant_ball"], value=numpy_helper.from_array(~persons)),
                helper.make_node("MaxPool", [heat], ["variant_pool"], kernel_shape=[k, k], pads=pads, strides=[1, 1]),
                helper.make_node("Equal", ["variant_pool", heat], ["variant_person_keep"]),
                helper.make_node("And", ["variant_persons", "variant_person_keep"], ["variant_a"]),
                helper.make_node("And", ["variant_ball", "variant_ball_keep"], ["variant_b"]),
                helper.make_node("Or", ["variant_a", "variant_b"], [keep])]
    nodes[at + 1:at + 1] = new
    del g.node[:]
    g.node.extend(nodes)


def set_rows(model, rows):
    """Top-K rows of the output (64 shipped); more rows for a decoder that keeps more peaks."""
    out = model.graph.output[0].type.tensor_type.shape.dim
    k0 = out[1].dim_value
    topk = next(n for n in model.graph.node if n.op_type == "TopK")
    for n in model.graph.node:
        if n.op_type != "Constant":
            continue
        v = constant(n)
        if n.output[0] == topk.input[1] or (v.dtype.kind == "i" and v.ndim == 1 and len(v) == 3 and v[2] == k0):
            set_constant(n, np.array([rows if x == k0 else x for x in v.flat]).reshape(v.shape))
    out[1].dim_value = rows


def score(onnx_path, exports, h, w, score_thr, ball_thr):
    """The card's measure: decoded once at the floor (AP needs the whole curve), P / R at the thresholds."""
    from evaluate import FLOOR, frames_at, run_export, session
    raw = run_export(session(str(onnx_path), 2), exports, w, h)
    return evaluate(frames_at(raw, FLOOR, FLOOR), score_thr, ball_thr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=pathlib.Path, default=MODELS / "touchline-det.toml")
    ap.add_argument("--out", type=pathlib.Path, required=True, help="directory for the variant")
    ap.add_argument("--input", help="WxH, both multiples of 16 (default: the manifest's)")
    ap.add_argument("--person-peak", type=int, choices=[1, 2, 3], default=3)
    ap.add_argument("--rows", type=int, help="output rows (default: the model's)")
    ap.add_argument("--score", nargs="*", default=[], help="held-out exports to score it on")
    args = ap.parse_args()
    text = args.manifest.read_text()
    manifest = tomllib.loads(text)
    src = args.manifest.parent / manifest["file"]
    model = onnx.load(str(src))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    h, w = dims[2].dim_value, dims[3].dim_value
    if args.input:
        w, h = (int(x) for x in args.input.lower().split("x"))
        if w % 16 or h % 16:
            raise SystemExit(f"--input {args.input}: both sides must be multiples of 16")
        resize_input(model, h, w)
    if args.person_peak != 3:
        person_peak(model, args.person_peak)
    if args.rows:
        set_rows(model, args.rows)
    del model.graph.value_info[:]
    onnx.checker.check_model(model)
    args.out.mkdir(parents=True, exist_ok=True)
    dst = args.out / src.name
    onnx.save(model, str(dst))
    sha = hashlib.sha256(dst.read_bytes()).hexdigest()
    text = re.sub(r'^sha256 = ".*"', f'sha256 = "{sha}"', text, flags=re.M)
    text = re.sub(r"^shape = \[1, 3, \d+, \d+\]", f"shape = [1, 3, {h}, {w}]", text, flags=re.M)
    (args.out / args.manifest.name).write_text(text)
    # The second-stage models the manifest names come along unchanged.
    for name in (manifest[k] for k in ("ball_verifier", "foot_refiner") if k in manifest):
        shutil.copy(args.manifest.parent / name, args.out / name)
        patch = tomllib.loads((args.manifest.parent / name).read_text())["file"]
        shutil.copy(args.manifest.parent / patch, args.out / patch)
    print(f"{args.out / args.manifest.name}: input {w}x{h}, person peak {args.person_peak}x{args.person_peak}, sha256 {sha}")
    if args.score:
        t, b = manifest["thresholds"]["score"], manifest["thresholds"]["ball_score"]
        res = score(dst, args.score, h, w, t, b)
        print(f"held-out stills at the manifest's thresholds (persons {t}, ball {b}):")
        print("| class | precision | recall | AP50 | objects |")
        print("|---|---|---|---|---|")
        for (cls, mode), m in res.items():
            label = cls if mode == "iou" else f"{cls} (centre match)"
            print(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['ap50']:.3f} | {m['gt']} |")


if __name__ == "__main__":
    main()
