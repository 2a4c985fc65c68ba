"""How clearly one stitch beats another on the dense tasks: the metric gap with a paired bootstrap over scenes.

Both stitches are evaluated on the same scenes, so their difference has far less sampling noise than either
metric alone (a hard scene is hard for both). A bootstrap resample draws ``n`` scenes with replacement and
recomputes each metric for both stitches *on the same draw*, exactly as :mod:`.evaluate` computes it (one
confusion matrix over all pixels; depth averaged over images; COCO matching over all images). The spread of the
resampled gaps is the evaluation noise of the gap; ``share_not_ahead`` is the share of resamples in which the
second stitch does not beat the first (≈ a one-sided p-value).

    PYTHONPATH=models/toolchain /usr/bin/python3 -m stitchkit.demo.gap --ckpt-dir models/checkpoints/fmnist-s-l \
        --tag dense --scenes 200
"""
from __future__ import annotations

import argparse
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from stitchkit.model import SNNet

from .evaluate import DETECTIONS_PER_IMAGE
from .fmnist import load_split
from .metrics import DIRECTION, ConfusionMatrix, DepthMetrics, DetectionMetrics, Detections, z_score
from .routes import PrefixCache, task_outputs
from .scenedata import DETECT_STRIDE, ScenePool
from .targets import decode
from .tensors import scene_pixels


class PerScene:
    """Per-scene evaluation records of one stitch: confusion matrices, depth rows, detections."""

    def __init__(self, classes: int, det_classes: int, depth_range):
        self.classes, self.det_classes, self.depth_range = classes, det_classes, depth_range
        self.confusion: List[np.ndarray] = []
        self.depth: List[DepthMetrics] = []
        self.detect: List[tuple] = []

    def add(self, out: Dict[str, Dict[str, torch.Tensor]], scenes) -> None:
        """A chunk of scenes (:class:`~.scenes.SceneBatch`) and the stitch's graph outputs on it."""
        pred = out["segment"]["segment.logits"].argmax(1).numpy()
        depth = out["depth"]["depth.depth"][:, 0].numpy()
        d = out["detect"]
        dets = decode(d["detect.heatmap"], d["detect.size"], d["detect.offset"], DETECT_STRIDE,
                      k=DETECTIONS_PER_IMAGE, image_hw=scenes.images.shape[1:3])
        for i in range(len(pred)):
            self.add_scene(pred[i], scenes.segment[i], depth[i], scenes.depth[i], dets[i], scenes.boxes[i],
                           scenes.box_labels[i])

    def add_scene(self, segment: np.ndarray, segment_gt: np.ndarray, depth: np.ndarray, depth_gt: np.ndarray,
                  detections: Detections, boxes: np.ndarray, box_labels: np.ndarray) -> None:
        """One scene: predicted / true label maps [H,W], depth maps [H,W] (metres), detections and true boxes."""
        cm = ConfusionMatrix(self.classes)
        cm.update(segment, segment_gt)
        self.confusion.append(cm.matrix)
        dm = DepthMetrics(self.depth_range)
        dm.update(depth, depth_gt)
        self.depth.append(dm)
        self.detect.append((detections, boxes, box_labels))

    def metrics(self, pick: Sequence[int]) -> Dict[str, float]:
        """The three primary metrics over the scenes ``pick`` (repeats allowed), computed as :mod:`.evaluate`."""
        cm = ConfusionMatrix(self.classes)
        cm.matrix = np.sum([self.confusion[i] for i in pick], axis=0)
        depth = DepthMetrics.merged([self.depth[i] for i in pick])
        det = DetectionMetrics(self.det_classes)
        for i in pick:
            det.update(*self.detect[i])
        return {"mIoU": cm.miou(), **depth.compute(), "mAP50": det.compute()["mAP50"]}


@torch.no_grad()
def per_scene(model: SNNet, ids: Sequence[int], n_scenes: int, split: str = "test", seed: int = 0,
              chunk: int = 100) -> Dict[int, PerScene]:
    """Per-scene records of stitches ``ids`` on scenes ``0..n_scenes-1`` of ``split`` (train items for train)."""
    model.eval()
    x, y = load_split("train" if split == "train" else "test")
    pool = ScenePool(x, y, split, seed=seed)
    cfg = model.cfg
    recs = {i: PerScene(len(cfg.task("segment").labels), len(cfg.task("detect").labels),
                        cfg.task("depth").depth_range) for i in ids}
    for start in range(0, n_scenes, chunk):
        scenes = pool.batch(range(start, min(start + chunk, n_scenes)))
        cache = PrefixCache(model, scene_pixels(scenes.images), dense=True)
        for i in ids:
            recs[i].add(task_outputs(cache, model.space.by_id(i), ("segment", "depth", "detect")), scenes)
    return recs


def paired_gap(a: PerScene, b: PerScene, n_boot: int = 300, seed: int = 0,
               n: Optional[int] = None) -> Dict[str, Dict[str, float]]:
    """``{metric: {a, b, gap, sd, share_not_ahead}}`` over the first ``n`` scenes (default: all): ``gap = b − a``,
    ``sd`` the bootstrap standard deviation of the gap, ``share_not_ahead`` the share of resamples in which ``b``
    is not better than ``a`` (gap ≤ 0, or ≥ 0 for the smaller-is-better AbsRel and RMSE)."""
    if len(a.confusion) != len(b.confusion) or not a.confusion:
        raise ValueError("both stitches need records of the same, non-empty scene list")
    n = len(a.confusion) if n is None else n
    if not 0 < n <= len(a.confusion):
        raise ValueError(f"n = {n} scenes, but {len(a.confusion)} are recorded")
    full_a, full_b = a.metrics(range(n)), b.metrics(range(n))
    rng = np.random.default_rng(seed)
    gaps = {m: [] for m in full_a}
    for _ in range(n_boot):
        pick = rng.integers(0, n, n)
        ma, mb = a.metrics(pick), b.metrics(pick)
        for m in gaps:
            gaps[m].append(mb[m] - ma[m])
    return {m: {"a": full_a[m], "b": full_b[m], "gap": full_b[m] - full_a[m], "sd": float(np.std(g)),
                "share_not_ahead": float(np.mean(DIRECTION[m] * np.asarray(g) <= 0))} for m, g in gaps.items()}


def anchor_gaps(model: SNNet, scene_counts: Sequence[int], seed: int = 0, n_boot: int = 200) -> Dict[str, dict]:
    """``{str(n): paired_gap(S anchor, L anchor)}`` on test scenes ``0..n-1`` for each ``n`` of ``scene_counts``
    (one evaluation of the largest count; smaller counts are its prefixes)."""
    recs = per_scene(model, (0, 1), max(scene_counts), seed=seed)
    return {str(n): paired_gap(recs[0], recs[1], n_boot, seed, n) for n in scene_counts}


def main(argv=None) -> None:
    from .joint import load_trained

    p = argparse.ArgumentParser(description="paired-bootstrap gap between two stitches on the dense tasks")
    p.add_argument("--ckpt-dir", required=True)
    p.add_argument("--tag", default="dense")
    p.add_argument("--scenes", type=int, default=200)
    p.add_argument("--split", default="test", choices=("train", "test"))
    p.add_argument("--a", type=int, default=0, help="stitch id of the reference (default: the S anchor)")
    p.add_argument("--b", type=int, default=1, help="stitch id compared with it (default: the L anchor)")
    p.add_argument("--boot", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", help="also write the result here")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_trained(a.ckpt_dir, a.tag)
    recs = per_scene(model, (a.a, a.b), a.scenes, a.split)
    result = paired_gap(recs[a.a], recs[a.b], a.boot)
    for m, r in result.items():
        z = z_score(m, r)
        print(f"{m}: stitch {a.a} {r['a']:.4f}  stitch {a.b} {r['b']:.4f}  gap {r['gap']:+.4f}  "
              f"sd {r['sd']:.4f}  z {z:+.1f} (+ = {a.b} better)  share not ahead {r['share_not_ahead']:.3f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"ckpt": a.ckpt_dir, "tag": a.tag, "split": a.split, "scenes": a.scenes, "a": a.a, "b": a.b,
                       "boot": a.boot, "metrics": result}, f, indent=1)


if __name__ == "__main__":
    main()
