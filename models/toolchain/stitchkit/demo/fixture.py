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
import torch

from stitchkit.model import SNNet

from .evaluate import DETECTIONS_PER_IMAGE
from .family import SCENE
from .fmnist import load_split
from .metrics import ConfusionMatrix, DepthMetrics, DetectionMetrics
from .routes import PrefixCache, task_outputs
from .scenedata import DETECT_STRIDE, ScenePool
from .scenes import SceneBatch
from .targets import decode
from .tensors import scene_pixels

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


@torch.no_grad()
def per_scene_stats(model: SNNet, ids: Sequence[int], n_scenes: int, seed: int) -> Dict[int, dict]:
    """Per stitch: per-scene confusion matrices, per-scene δ1 and the decoded detections, for bootstrapping."""
    xte, yte = load_split("test")
    pool = ScenePool(xte, yte, "test", seed)
    stats = {sid: {"conf": [], "delta1": [], "dets": [], "gt": []} for sid in ids}
    for start in range(0, n_scenes, 100):
        scenes = pool.batch(range(start, min(start + 100, n_scenes)))
        cache = PrefixCache(model.eval(), scene_pixels(scenes.images), dense=True)
        for sid in ids:
            out = task_outputs(cache, model.space.by_id(sid), ["segment", "depth", "detect"])
            pred = out["segment"]["segment.logits"].argmax(1).numpy()
            depth = out["depth"]["depth.depth"][:, 0].numpy()
            d = out["detect"]
            dets = decode(d["detect.heatmap"], d["detect.size"], d["detect.offset"], DETECT_STRIDE,
                          k=DETECTIONS_PER_IMAGE, image_hw=scenes.images.shape[1:3])
            for k in range(len(pred)):
                cm = ConfusionMatrix(11)
                cm.update(pred[k], scenes.segment[k])
                dm = DepthMetrics(model.cfg.task("depth").depth_range)
                dm.update(depth[k], scenes.depth[k])
                stats[sid]["conf"].append(cm.matrix)
                stats[sid]["delta1"].append(dm.compute()["delta1"])
                stats[sid]["dets"].append(dets[k])
                stats[sid]["gt"].append((scenes.boxes[k], scenes.box_labels[k]))
    return stats


def bootstrap_sd(stat: dict, subset: int, draws: int, seed: int) -> Dict[str, float]:
    """SD of mIoU, δ1 and mAP@0.5 over ``draws`` random ``subset``-scene subsets (without replacement)."""
    rng = np.random.default_rng(seed)
    n = len(stat["delta1"])
    values: Dict[str, List[float]] = {"mIoU": [], "delta1": [], "mAP50": []}
    for _ in range(draws):
        pick = rng.choice(n, size=subset, replace=False)
        cm = ConfusionMatrix(11)
        cm.matrix = np.sum([stat["conf"][i] for i in pick], axis=0)
        values["mIoU"].append(cm.miou())
        values["delta1"].append(float(np.mean([stat["delta1"][i] for i in pick])))
        dt = DetectionMetrics(10)
        for i in pick:
            dt.update(stat["dets"][i], *stat["gt"][i])
        values["mAP50"].append(dt.compute()["mAP50"])
    return {k: float(np.std(v)) for k, v in values.items()}


def write_fixture(model: SNNet, manifest: dict, check_ids: Sequence[int], eval_scenes: int, eval_images: int,
                  seed: int = 0, out_dir: str = DEFAULT_DIR) -> dict:
    """Write ``scenes.bin.gz`` and ``subset.json``; returns the JSON written."""
    os.makedirs(out_dir, exist_ok=True)
    xte, yte = load_split("test")
    scenes = ScenePool(xte, yte, "test", seed).batch(range(SCENE_SUBSET))
    with gzip.GzipFile(os.path.join(out_dir, "scenes.bin.gz"), "wb", mtime=0) as f:
        f.write(scene_bytes(scenes))
    stats = per_scene_stats(model, check_ids, eval_scenes, seed)
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
