"""Deterministic scenes composed from Fashion-MNIST items, with ground truth for segment/depth/detect.

Scene ``index`` of a split is a pure function of ``(seed, split, index)`` and the item pool: the random stream is
``numpy.random.default_rng([seed, split_code, index])``, so any scene can be regenerated alone, in any order.

Composition (all sizes relative to the scene side ``S``):

1. **Background**: a plane whose depth rises linearly from ``near`` (bottom edge) to ``far`` (top edge) with a
   small left/right tilt. Its colour is a random muted base colour times a texture (oriented stripes, a
   checkerboard or smooth value noise) and darkened with distance (haze), so texture and shading carry depth cues.
2. **Items**: ``min_items``..``max_items`` Fashion-MNIST images drawn from the split's pool (train items for the train split,
   test items for ``val``/``test``). Each gets a depth in ``item_depth``, a side of ``size_at_1m / depth`` (±10 %,
   so nearer items look larger), a random position fully inside the scene and a random saturated tint.
3. **Painting** far to near: an item's opaque mask is its bilinear-resized ink above ``ink_threshold``; inside the
   mask the colour is ``tint · (0.3 + 0.7 · ink)``, the class is ``label + 1``, the depth is the item's depth.
4. **Boxes**: the tight box of each item's *visible* pixels, kept when at least ``min_visible`` of its mask and
   ``min_box_pixels`` pixels remain visible. Boxes are ``[x0, y0, x1, y1]`` in pixels, ``x1``/``y1`` exclusive.
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass, field
from typing import Dict, Sequence, Tuple

import numpy as np
from scipy import ndimage

SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True)
class SceneConfig:
    """Generator parameters; depths in metres, sizes in pixels or fractions of the scene side."""

    size: int = 48
    min_items: int = 1
    max_items: int = 3
    item_depth: Tuple[float, float] = (1.5, 4.0)
    size_at_1m: float = 1.2  # item side at 1 m, as a fraction of the scene side (2-5 patches of 8 px at 1.5-4 m)
    background_near: Tuple[float, float] = (4.6, 6.0)  # depth of the bottom edge
    background_far: Tuple[float, float] = (7.5, 10.0)  # depth of the top edge
    background_tilt: float = 0.8  # largest left-to-right depth change of the plane
    ink_threshold: float = 0.2
    min_visible: float = 0.3
    min_box_pixels: int = 12
    noise_std: float = 3.0  # Gaussian pixel noise, 0..255 scale

    @property
    def depth_range(self) -> Tuple[float, float]:
        """Smallest and largest depth any pixel can have (metres)."""
        return (self.item_depth[0], self.background_far[1] + self.background_tilt / 2)


@dataclass
class Scene:
    """One scene: ``image`` uint8 [S,S,3] RGB; ``segment`` uint8 [S,S] (0 background, 1..10 = class + 1);
    ``depth`` float32 [S,S] metres; ``boxes`` float32 [K,4] visible boxes; ``box_labels`` int64 [K] in 0..9."""

    image: np.ndarray
    segment: np.ndarray
    depth: np.ndarray
    boxes: np.ndarray
    box_labels: np.ndarray
    items: int = 0  # items painted (visible or not)
    meta: Dict[str, float] = field(default_factory=dict)


def _background(rng: np.random.Generator, cfg: SceneConfig) -> Tuple[np.ndarray, np.ndarray]:
    s = cfg.size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / (s - 1)
    near, far = rng.uniform(*cfg.background_near), rng.uniform(*cfg.background_far)
    tilt = rng.uniform(-cfg.background_tilt, cfg.background_tilt)
    depth = far + (near - far) * yy + tilt * (xx - 0.5)
    kind = rng.integers(3)
    if kind == 0:  # oriented stripes
        angle, freq = rng.uniform(0, np.pi), rng.uniform(3, 9)
        tex = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (np.cos(angle) * xx + np.sin(angle) * yy) + rng.uniform(0, 6.3))
    elif kind == 1:  # checkerboard
        cells = rng.integers(3, 9)
        tex = ((np.floor(xx * cells * 0.999) + np.floor(yy * cells * 0.999)) % 2).astype(np.float32)
    else:  # smooth value noise
        grid = rng.uniform(0, 1, size=(5, 5)).astype(np.float32)
        tex = ndimage.zoom(grid, s / 5, order=1)[:s, :s]
    amp = rng.uniform(0.15, 0.4)
    base = np.array(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.1, 0.5), rng.uniform(0.35, 0.7)))
    haze = 1.0 - 0.35 * (depth - cfg.background_near[0]) / (cfg.background_far[1] - cfg.background_near[0])
    rgb = base[None, None, :] * ((1 - amp) + amp * tex)[..., None] * haze[..., None]
    return rgb.astype(np.float32), depth.astype(np.float32)


def _resize(item: np.ndarray, side: int) -> np.ndarray:
    out = ndimage.zoom(item.astype(np.float32) / 255.0, side / item.shape[0], order=1, mode="nearest")
    return np.clip(out[:side, :side], 0.0, 1.0)


def make_scene(
    items: np.ndarray, labels: np.ndarray, split: str, index: int, seed: int = 0, cfg: SceneConfig = SceneConfig()
) -> Scene:
    """Generate scene ``index`` of ``split`` from the item pool ``items`` uint8 [N,28,28] / ``labels`` [N]."""
    if split not in SPLIT_CODES:
        raise ValueError(f"split must be one of {sorted(SPLIT_CODES)}, got {split!r}")
    if len(items) == 0 or len(items) != len(labels):
        raise ValueError("the item pool must be non-empty with one label per item")
    rng = np.random.default_rng([seed, SPLIT_CODES[split], index])
    s = cfg.size
    rgb, depth = _background(rng, cfg)
    segment = np.zeros((s, s), np.uint8)
    instance = np.full((s, s), -1, np.int16)
    n = int(rng.integers(cfg.min_items, cfg.max_items + 1))
    picks = rng.integers(0, len(items), size=n)
    depths = np.sort(rng.uniform(*cfg.item_depth, size=n))[::-1]  # far to near
    masks, placed = [], []
    for k, (pick, d) in enumerate(zip(picks, depths)):
        side = int(np.clip(round(cfg.size_at_1m * s / d * rng.uniform(0.9, 1.1)), 8, s))
        ink = _resize(items[pick], side)
        mask = ink > cfg.ink_threshold
        y0, x0 = (int(v) for v in rng.integers(0, s - side + 1, size=2))
        tint = np.array(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.5, 1.0), rng.uniform(0.75, 1.0)))
        region = (slice(y0, y0 + side), slice(x0, x0 + side))
        colour = tint[None, None, :] * (0.3 + 0.7 * ink)[..., None]
        rgb[region][mask] = colour[mask]
        segment[region][mask] = labels[pick] + 1
        depth[region][mask] = d
        instance[region][mask] = k
        masks.append(int(mask.sum()))
        placed.append(int(labels[pick]))
    boxes, box_labels, hidden = [], [], 0
    for k, (total, label) in enumerate(zip(masks, placed)):
        ys, xs = np.nonzero(instance == k)
        if len(ys) >= max(cfg.min_box_pixels, cfg.min_visible * total):
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            box_labels.append(label)
        else:
            hidden += 1
    img = rgb * 255.0 + rng.normal(0.0, cfg.noise_std, size=rgb.shape)
    return Scene(
        image=np.clip(np.round(img), 0, 255).astype(np.uint8),
        segment=segment,
        depth=depth,
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        box_labels=np.asarray(box_labels, np.int64),
        items=n,
        meta={"hidden": hidden},
    )


@dataclass
class SceneBatch:
    """Scenes stacked: images uint8 [B,S,S,3], segment uint8 [B,S,S], depth float32 [B,S,S], and per-scene
    box lists (float32 [K,4] pixels, int64 [K] labels)."""

    images: np.ndarray
    segment: np.ndarray
    depth: np.ndarray
    boxes: list
    box_labels: list


def make_scenes(
    items: np.ndarray, labels: np.ndarray, split: str, indices: Sequence[int], seed: int = 0,
    cfg: SceneConfig = SceneConfig(),
) -> SceneBatch:
    """Generate and stack the scenes ``indices`` of ``split`` (each independent of the others)."""
    scenes = [make_scene(items, labels, split, int(i), seed, cfg) for i in indices]
    return SceneBatch(
        images=np.stack([sc.image for sc in scenes]),
        segment=np.stack([sc.segment for sc in scenes]),
        depth=np.stack([sc.depth for sc in scenes]),
        boxes=[sc.boxes for sc in scenes],
        box_labels=[sc.box_labels for sc in scenes],
    )
