"""Fixture for the stale-metrics test (test/demo-family): a fixed subset of test scenes plus tolerances.

The TypeScript test re-runs a few stitches of the committed ``family.onnx`` on
* the first ``CLASSIFY_SUBSET`` Fashion-MNIST test images (read from the dataset), and
* test scenes ``0..SCENE_SUBSET-1`` (stored here, since the generator is Python),
and compares each primary metric with the manifest's full-evaluation value. Tolerances: classify uses the
binomial standard deviation of a subset mean (with the finite-population correction); the dense metrics use
the standard deviation of the metric over random ``SCENE_SUBSET``-scene subsets of the evaluation scenes
(bootstrap without replacement). The test allows ``Z`` standard deviations.

Files: ``scenes.bin.gz`` (per scene: image uint8 S·S·3, segment uint8 S·S, depth float32 LE S·S, concatenated)
and ``subset.json`` (sizes, boxes, stitches to check, tolerances).
"""
from __future__ import annotations

import gzip
import json
import os
from typing import Dict, List, Sequence

import numpy as np

from stitchkit.model import SNNet

from .evaluate import DETECTIONS_PER_IMAGE
from .family import SCENE
from .fmnist import load_split
from .gap import PerScene, per_scene
from .scenedata import ScenePool
from .scenes import SceneBatch

CLASSIFY_SUBSET = 1000
SCENE_SUBSET = 64
BOOTSTRAP_DRAWS = 200
Z = 4.0
DEFAULT_DIR = os.path.join("test", "demo-family", "fixtures")


def scene_bytes(scenes: SceneBatch) -> bytes:
    """The binary layout of ``scenes.bin`` (before gzip)."""
    parts = []
    for img, seg, dep in zip(scenes.images, scenes.segment, scenes.depth):
        parts += [img.astype(np.uint8).tobytes(), seg.astype(np.uint8).tobytes(), dep.astype("<f4").tobytes()]
    return b"".join(parts)


def bootstrap_sd(records: PerScene, subset: int, draws: int, seed: int) -> Dict[str, float]:
    """SD of mIoU, δ1 and mAP@0.5 over ``draws`` random ``subset``-scene subsets (without replacement)."""
    rng = np.random.default_rng(seed)
    n = len(records.confusion)
    values: Dict[str, List[float]] = {"mIoU": [], "delta1": [], "mAP50": []}
    for _ in range(draws):
        m = records.metrics(rng.choice(n, size=subset, replace=False))
        for k in values:
            values[k].append(m[k])
    return {k: float(np.std(v)) for k, v in values.items()}


def write_fixture(model: SNNet, manifest: dict, check_ids: Sequence[int], eval_scenes: int, eval_images: int,
                  seed: int = 0, out_dir: str = DEFAULT_DIR) -> dict:
    """Write ``scenes.bin.gz`` and ``subset.json``; returns the JSON written."""
    os.makedirs(out_dir, exist_ok=True)
    xte, yte = load_split("test")
    scenes = ScenePool(xte, yte, "test", seed).batch(range(SCENE_SUBSET))
    with gzip.GzipFile(os.path.join(out_dir, "scenes.bin.gz"), "wb", mtime=0) as f:
        f.write(scene_bytes(scenes))
    stats = per_scene(model, check_ids, eval_scenes, seed=seed)
    fpc = (1 - CLASSIFY_SUBSET / eval_images) if eval_images > CLASSIFY_SUBSET else 1.0
    by_id = {s["id"]: s for s in manifest["stitches"]}
    tolerances = {}
    for sid in check_ids:
        p = by_id[sid]["metrics"]["classify"]["top1"]
        sd = bootstrap_sd(stats[sid], SCENE_SUBSET, BOOTSTRAP_DRAWS, seed + sid)
        tolerances[str(sid)] = {"classify.top1": Z * float(np.sqrt(p * (1 - p) / CLASSIFY_SUBSET * fpc)),
                                "segment.mIoU": Z * sd["mIoU"], "depth.delta1": Z * sd["delta1"],
                                "detect.mAP50": Z * sd["mAP50"]}
    meta = {
        "description": "fixed subset for re-checking the committed fmnist-s-l metrics; see stitchkit/demo/fixture.py",
        "classifyImages": CLASSIFY_SUBSET, "evalImages": eval_images, "evalScenes": eval_scenes,
        "scenes": SCENE_SUBSET, "sceneSize": SCENE.size, "seed": seed, "z": Z, "bootstrapDraws": BOOTSTRAP_DRAWS,
        "layout": "per scene: image uint8 [S,S,3] RGB, segment uint8 [S,S], depth float32 LE [S,S] metres",
        "depthRange": list(model.cfg.task("depth").depth_range), "detectionsPerImage": DETECTIONS_PER_IMAGE,
        "boxes": [b.tolist() for b in scenes.boxes], "boxLabels": [l.tolist() for l in scenes.box_labels],
        "stitches": list(check_ids), "tolerances": tolerances,
    }
    with open(os.path.join(out_dir, "subset.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta
