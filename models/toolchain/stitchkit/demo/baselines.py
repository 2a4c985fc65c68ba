"""Trivial baselines every task must beat by a wide margin (same test data and metrics as the family).

* classify: always the most frequent training class;
* segment: every pixel background;
* depth: the per-pixel mean depth map of training scenes (captures the sloped background) and, weaker,
  the single median training depth;
* detect: one box per scene, the mean training box centred in the image, labelled with the most frequent
  training class.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from .family import SCENE
from .fmnist import load_split
from .metrics import ConfusionMatrix, DepthMetrics, DetectionMetrics, Detections
from .scenedata import ScenePool


def trivial_baselines(n_scenes: int = 1000, n_train_scenes: int = 1000, seed: int = 0) -> Dict[str, Dict[str, float]]:
    """``{"classify": {...}, "segment": {...}, "depth_mean_map": {...}, "depth_constant": {...}, "detect": {...}}``."""
    xtr, ytr = load_split("train")
    xte, yte = load_split("test")
    train = ScenePool(xtr, ytr, "train", seed).batch(range(n_train_scenes))
    test = ScenePool(xte, yte, "test", seed).batch(range(n_scenes))
    out: Dict[str, Dict[str, float]] = {}
    majority = int(np.bincount(ytr).argmax())
    out["classify"] = {"top1": float((yte == majority).mean())}
    cm = ConfusionMatrix(11)
    cm.update(np.zeros_like(test.segment), test.segment)
    out["segment"] = {"mIoU": cm.miou(), "pixelAcc": cm.pixel_accuracy()}
    for name, guess in (("depth_mean_map", train.depth.mean(axis=0)), ("depth_constant", np.median(train.depth))):
        dm = DepthMetrics(SCENE.depth_range)
        dm.update(np.broadcast_to(guess, test.depth.shape), test.depth)
        out[name] = dm.compute()
    boxes = np.concatenate([b for b in train.boxes if len(b)])
    w, h = (boxes[:, 2] - boxes[:, 0]).mean(), (boxes[:, 3] - boxes[:, 1]).mean()
    c = SCENE.size / 2
    label = int(np.bincount(np.concatenate(train.box_labels)).argmax())
    dt = DetectionMetrics(10)
    guess = Detections(np.array([[c - w / 2, c - h / 2, c + w / 2, c + h / 2]]), np.ones(1), np.array([label]))
    for gb, gl in zip(test.boxes, test.box_labels):
        dt.update(guess, gb, gl)
    out["detect"] = dt.compute()
    return out
