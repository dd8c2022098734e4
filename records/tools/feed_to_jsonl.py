"""Converts a sample feed's ground-truth positions to PositionFrame JSON lines for records-bench.

Players (incl. goalkeepers) + ball, referees excluded, as in the "22 + ball" benchmark definition.
Usage: python3 records/tools/feed_to_jsonl.py sample-feeds/feeds/demo > /tmp/demo.jsonl
       cargo bench -p records --bench records-bench -- --positions /tmp/demo.jsonl
"""
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

feed = Path(sys.argv[1])
fps = 25
for line in (feed / "feed.toml").read_text().splitlines():
    if line.startswith("fps"):
        fps = int(line.split("=")[1])
classes = {}
with open(feed / "truth/objects.csv") as f:
    for i, row in enumerate(csv.DictReader(f)):
        classes[row["object"]] = (i + 1, row["class"])
frames = defaultdict(list)
with open(feed / "truth/positions.csv") as f:
    for row in csv.DictReader(f):
        oid, cls = classes[row["object"]]
        if cls == "referee":
            continue
        frames[int(row["frame"])].append({
            "id": oid,
            "class": "ball" if cls == "ball" else "player",
            "player": None,
            "x_cm": round(float(row["x"]) * 100),
            "y_cm": round(float(row["y"]) * 100),
            "z_cm": round(float(row["z"]) * 100) if cls == "ball" else 0,
            "confidence": 255,
            "flags": 1,
        })
for frame in sorted(frames):
    objs = sorted(frames[frame], key=lambda o: o["id"])
    stamps = {"captured": None, "processed": None, "sent": None, "relay_received": None, "published": None}
    print(json.dumps({"time": frame * 1_000_000_000 // fps, "stamps": stamps, "objects": objs}))
