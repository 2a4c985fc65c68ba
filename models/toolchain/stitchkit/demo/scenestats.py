"""Statistics of generated scenes (for docs/demo-family.md and report.json)."""
from __future__ import annotations

from typing import Dict

import numpy as np

from .fmnist import LABELS, load_split
from .scenedata import ScenePool
from .scenes import make_scene
from .family import SCENE


def scene_statistics(split: str, n: int, seed: int = 0) -> Dict:
    """Counts and distributions over scenes ``0..n-1`` of ``split`` (train items for train, test items else)."""
    x, y = load_split("train" if split == "train" else "test")
    pool = ScenePool(x, y, split, seed)
    items, visible, hidden, box_sides = [], [], 0, []
    class_pixels = np.zeros(11, np.int64)
    item_depths, background_depths = [], []
    for i in range(n):
        sc = make_scene(pool.items, pool.labels, split, i, seed, SCENE)
        items.append(sc.items)
        visible.append(len(sc.boxes))
        hidden += int(sc.meta["hidden"])
        box_sides += [float(np.sqrt((b[2] - b[0]) * (b[3] - b[1]))) for b in sc.boxes]
        class_pixels += np.bincount(sc.segment.ravel(), minlength=11)
        item_depths.append(sc.depth[sc.segment > 0])
        background_depths.append(sc.depth[sc.segment == 0])
    items_arr, vis = np.asarray(items), np.asarray(visible)
    idep, bdep = np.concatenate(item_depths), np.concatenate(background_depths)
    total = class_pixels.sum()
    q = lambda a: [float(v) for v in np.percentile(a, [5, 50, 95])]  # noqa: E731
    return {
        "split": split, "scenes": n, "size": SCENE.size,
        "itemsPerScene": {str(k): int((items_arr == k).sum()) for k in range(SCENE.min_items, SCENE.max_items + 1)},
        "visibleBoxesPerScene": float(vis.mean()), "itemsDroppedFromDetection": hidden / float(items_arr.sum()),
        "boxSidePx": {"p5_p50_p95": q(box_sides)},
        "pixelShare": {name: float(c / total) for name, c in zip(["background"] + LABELS, class_pixels)},
        "itemDepthM": {"p5_p50_p95": q(idep)}, "backgroundDepthM": {"p5_p50_p95": q(bdep)},
    }
