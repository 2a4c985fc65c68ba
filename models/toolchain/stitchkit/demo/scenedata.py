"""Scene batches as training tensors: pixels plus segment / depth / detection targets, generated on the fly.

Training scene ``k`` of step ``s`` is scene ``s · batch + k`` of the ``train`` split, so every step sees new
scenes and a resumed run regenerates exactly the same ones. Evaluation uses the ``test`` split (test items).
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
import torch

from .family import SCENE
from .scenes import SceneBatch, make_scenes
from .targets import encode
from .tensors import scene_pixels

DETECT_STRIDE = 4


class ScenePool:
    """The Fashion-MNIST items one split may use (train items for training, test items for evaluation)."""

    def __init__(self, items: np.ndarray, labels: np.ndarray, split: str, seed: int = 0):
        self.items, self.labels, self.split, self.seed = items, labels, split, seed

    def batch(self, indices: Sequence[int]) -> SceneBatch:
        """The raw scenes ``indices`` of this split."""
        return make_scenes(self.items, self.labels, self.split, indices, self.seed, SCENE)


def training_tensors(scenes: SceneBatch, classes: int = 10) -> Dict[str, torch.Tensor]:
    """``pixels`` [B,3,S,S], ``segment`` long [B,S,S], ``depth`` [B,S,S] metres, ``detect`` target dict."""
    s = scenes.images.shape[1]
    return {
        "pixels": scene_pixels(scenes.images),
        "segment": torch.from_numpy(scenes.segment.astype(np.int64)),
        "depth": torch.from_numpy(scenes.depth),
        "detect": encode(scenes.boxes, scenes.box_labels, classes, (s // DETECT_STRIDE, s // DETECT_STRIDE),
                         DETECT_STRIDE),
    }
