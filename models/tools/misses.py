"""Where the detector's missed players are: recall by occlusion band, by how far (in heatmap
cells at the detector's input) the nearest other person's centre is, and, for the unoccluded
ones, what the detector gave instead (a player box at IoU 0.3-0.5, a box of another role, nothing)
and how tall they were at the detector's input. Matching and thresholds as the card's
(`common.match_class`, which `common.evaluate` scores with); occlusion from the exports' labels.csv
(`data.read_export`).

Run: models/.venv-train/bin/python models/tools/misses.py [--onnx models/touchline-det.onnx] \
         models/data/det/test-900 models/data/det/test-901 models/data/det/test-902
"""
import argparse
import collections
import pathlib
import sys
import tomllib

MODELS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MODELS / "detector"))
from common import BALL, CLASSES, INPUT_H, INPUT_W, iou, match_class  # noqa: E402
from evaluate import frames_at, run_export, session  # noqa: E402
from net import STRIDE  # noqa: E402

PLAYER = CLASSES.index("player")


def recall_table(title, counts, rows):
    """Prints a markdown table of true / missed / recall from counts[(row, "all" | "missed")]."""
    print(f"| {title} | true | missed | recall |\n|---|---|---|---|")
    for b in rows:
        n, m = counts[b, "all"], counts[b, "missed"]
        print(f"| {b} | {n} | {m} | {1 - m / max(n, 1):.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", default=str(MODELS / "touchline-det.onnx"))
    ap.add_argument("--manifest", default=str(MODELS / "touchline-det.toml"), help="for the thresholds")
    ap.add_argument("exports", nargs="+")
    a = ap.parse_args()
    thr = tomllib.loads(pathlib.Path(a.manifest).read_text())["thresholds"]
    raw = run_export(session(a.onnx, 2), a.exports)
    frames = frames_at(raw, thr["score"], thr["ball_score"])
    bands, kinds, heights, near = (collections.Counter() for _ in range(4))
    for (dets, gts, frame_h), (r, *_) in zip(frames, raw):
        used = {j for _, j in match_class(dets, gts, PLAYER) if j >= 0}
        truth = [(i, g) for i, g in enumerate(gts) if g[4] == PLAYER]
        scale = min(INPUT_W / r["width"], INPUT_H / frame_h)  # the letterbox's

        # Each person's centre cell at stride 4 (the ball's is never used).
        cells = [(int((b[0] + b[2]) / 2 * scale / STRIDE), int((b[1] + b[3]) / 2 * scale / STRIDE)) for b in gts]
        for i, g in truth:
            if not g[5]:
                continue
            # Chebyshev distance in heatmap cells to the nearest other person's centre (any role,
            # visible or not): at 0-1 the two share one 3x3 peak neighbourhood.
            (cx, cy) = cells[i]
            d = min([max(abs(cx - ox), abs(cy - oy)) for j, (ox, oy) in enumerate(cells) if j != i and gts[j][4] != BALL]
                    + [99])
            ring = "0-1 cells" if d <= 1 else "2 cells" if d == 2 else ">= 3 cells"
            near[ring, "all"] += 1
            near[ring, "missed"] += i not in used
            occ = r["occlusion"][i]
            band = "unoccluded" if occ == 0 else ("occluded < 50 %" if occ < 0.5 else "occluded 50-90 %")
            bands[band, "all"] += 1
            if i in used:
                continue
            bands[band, "missed"] += 1
            if band != "unoccluded":
                continue
            same = max([iou(d, g) for d in dets if d[5] == PLAYER] + [0.0])
            other = max([iou(d, g) for d in dets if d[5] not in (PLAYER, BALL)] + [0.0])
            kinds["player box at IoU 0.3-0.5" if same >= 0.3 else "another role" if other >= 0.3 else "no box"] += 1
            h = (g[3] - g[1]) * scale
            heights["< 12 px" if h < 12 else "12-20 px" if h < 20 else "20-40 px" if h < 40 else ">= 40 px"] += 1
    recall_table("players", bands, ("unoccluded", "occluded < 50 %", "occluded 50-90 %"))
    print()
    recall_table("nearest other person's centre", near, ("0-1 cells", "2 cells", ">= 3 cells"))
    print("\nunoccluded misses, what the detector gave:", dict(kinds))
    print("unoccluded misses, height at the detector's input:", dict(heights))


if __name__ == "__main__":
    main()
