"""Evaluate stitches of the family on held-out data for every task (metrics as fractions, RMSE in metres).

* classify: the Fashion-MNIST test set (first ``n_images`` of it; all 10 000 by default), top-1 and top-5;
* segment / depth / detect: test scenes ``0..n_scenes-1`` built from Fashion-MNIST *test* items only.

Inputs are processed in chunks; inside a chunk each anchor runs once and every stitch reuses its first
segment (:mod:`.routes`), which roughly halves the cost of sweeping all stitches.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Dict, Iterable, Optional, Sequence

import numpy as np
import torch

from stitchkit.model import SNNet

from .checkpoint import DEFAULT_DIR
from .family import CLASSIFY_SIZE
from .fmnist import load_split
from .metrics import ConfusionMatrix, DepthMetrics, DetectionMetrics, topk_accuracy
from .routes import PrefixCache, task_outputs
from .scenedata import DETECT_STRIDE, ScenePool
from .targets import decode
from .tensors import as_rgb, classify_pixels, scene_pixels

DENSE = ("segment", "depth", "detect")
DETECTIONS_PER_IMAGE = 20  # scenes hold at most 5 items; more candidates only add low-score tails
Metrics = Dict[int, Dict[str, Dict[str, float]]]


def _stitches(model: SNNet, ids: Optional[Iterable[int]]):
    return [model.space.by_id(i) for i in ids] if ids is not None else list(model.space.stitches)


@torch.no_grad()
def evaluate_classify(model: SNNet, ids: Optional[Iterable[int]] = None, n_images: int = 10000,
                      chunk: int = 2000) -> Metrics:
    """``{id: {"classify": {"top1", "top5"}}}`` on the first ``n_images`` Fashion-MNIST test images."""
    model.eval()
    stitches = _stitches(model, ids)
    x, y = load_split("test")
    x, y = x[:n_images], y[:n_images]
    logits = {s.id: [] for s in stitches}
    for i in range(0, len(y), chunk):
        cache = PrefixCache(model, as_rgb(classify_pixels(x[i:i + chunk], CLASSIFY_SIZE)), dense=False)
        for s in stitches:
            logits[s.id].append(task_outputs(cache, s, ["classify"])["classify"]["classify.logits"].numpy())
    out = {}
    for sid, parts in logits.items():
        z = np.concatenate(parts)
        out[sid] = {"classify": {"top1": topk_accuracy(z, y, 1), "top5": topk_accuracy(z, y, 5)}}
    return out


@torch.no_grad()
def evaluate_dense(model: SNNet, ids: Optional[Iterable[int]] = None, n_scenes: int = 1000, chunk: int = 100,
                   tasks: Sequence[str] = DENSE, seed: int = 0) -> Metrics:
    """``{id: {task: metrics}}`` for the dense ``tasks`` on test scenes ``0..n_scenes-1``."""
    model.eval()
    stitches = _stitches(model, ids)
    xte, yte = load_split("test")
    pool = ScenePool(xte, yte, "test", seed=seed)
    depth_range = model.cfg.task("depth").depth_range if "depth" in tasks else None
    acc = {s.id: {"segment": ConfusionMatrix(len(model.cfg.task("segment").labels)) if "segment" in tasks else None,
                  "depth": DepthMetrics(depth_range) if "depth" in tasks else None,
                  "detect": DetectionMetrics(len(model.cfg.task("detect").labels)) if "detect" in tasks else None}
           for s in stitches}
    for i in range(0, n_scenes, chunk):
        scenes = pool.batch(range(i, min(i + chunk, n_scenes)))
        pixels = scene_pixels(scenes.images)
        cache = PrefixCache(model, pixels, dense=True)
        for s in stitches:
            out = task_outputs(cache, s, tasks)
            update_dense(acc[s.id], out, scenes)
    return {sid: {t: m.compute() if t != "segment" else {"mIoU": m.miou(), "pixelAcc": m.pixel_accuracy()}
                  for t, m in a.items() if m is not None} for sid, a in acc.items()}


def update_dense(acc: Dict, out: Dict[str, Dict[str, torch.Tensor]], scenes) -> None:
    """Add one chunk's outputs to the per-task accumulators (``acc[task]``)."""
    if acc.get("segment") is not None:
        acc["segment"].update(out["segment"]["segment.logits"].argmax(1).numpy(), scenes.segment)
    if acc.get("depth") is not None:
        acc["depth"].update(out["depth"]["depth.depth"][:, 0].numpy(), scenes.depth)
    if acc.get("detect") is not None:
        d = out["detect"]
        size = scenes.images.shape[1:3]
        dets = decode(d["detect.heatmap"], d["detect.size"], d["detect.offset"], DETECT_STRIDE,
                      k=DETECTIONS_PER_IMAGE, image_hw=size)
        for det, boxes, labels in zip(dets, scenes.boxes, scenes.box_labels):
            acc["detect"].update(det, boxes, labels)


def merge(*parts: Metrics) -> Metrics:
    """Union of per-stitch task metrics from several evaluations."""
    out: Metrics = {}
    for part in parts:
        for sid, tasks in part.items():
            out.setdefault(sid, {}).update(tasks)
    return out


def part_ids(model: SNNet, part: int, parts: int):
    """Every ``parts``-th stitch id starting at ``part`` (interleaved, so parts cost about the same)."""
    return [s.id for s in model.space.stitches][part::parts]


def main(argv=None) -> None:
    """Evaluate one part of the stitches of a trained family and write ``<ckpt>/metrics-part<k>.json``."""
    from .joint import load_trained

    p = argparse.ArgumentParser(description="evaluate a part of the demo family's stitches")
    p.add_argument("--ckpt-dir", default=DEFAULT_DIR)
    p.add_argument("--tag", default="joint")
    p.add_argument("--part", type=int, default=0)
    p.add_argument("--parts", type=int, default=1)
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--scenes", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load_trained(a.ckpt_dir, a.tag)
    ids = part_ids(model, a.part, a.parts)
    print(f"part {a.part}/{a.parts}: {len(ids)} stitches", flush=True)
    out = merge(evaluate_classify(model, ids, a.images), evaluate_dense(model, ids, a.scenes, seed=a.seed))
    path = os.path.join(a.ckpt_dir, f"metrics-{a.tag}-part{a.part}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
