"""CenterNet-style detection targets and decoding, matching the bundle's ``detect.*`` outputs.

A box ``[x0, y0, x1, y1]`` (pixels) has centre ``c = ((x0+x1)/2, (y0+y1)/2)``; on the stride-``s`` grid its
cell is ``(⌊c_x/s⌋, ⌊c_y/s⌋)`` and its offset ``c/s − cell`` ∈ [0, 1). Targets: a Gaussian peak of radius
:func:`gaussian_radius` (CenterNet's, min overlap 0.7) per box in its class channel; ``size`` (w, h) in pixels
and ``offset`` (x, y) in cells at the centre cell. Decoding inverts this: 3×3 peak picking on the heatmap,
the ``k`` best peaks over all classes, centre ``(col + off_x)·s``, box = centre ± size/2.
"""
from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import Detections


def gaussian_radius(height: float, width: float, min_overlap: float = 0.7) -> float:
    """Largest centre shift (cells) keeping IoU ≥ ``min_overlap`` with the box, CenterNet's three cases."""
    r = []
    for a, b, c in ((1.0, height + width, width * height * (1 - min_overlap) / (1 + min_overlap)),
                    (4.0, 2 * (height + width), (1 - min_overlap) * width * height),
                    (4 * min_overlap, -2 * min_overlap * (height + width), (min_overlap - 1) * width * height)):
        r.append((b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a))
    return min(r)


def draw_gaussian(heat: np.ndarray, cx: int, cy: int, radius: int) -> None:
    """Max-paste a Gaussian (σ = (2r+1)/6) centred on cell (cx, cy) into ``heat`` [h, w], in place."""
    sigma = (2 * radius + 1) / 6.0
    ys, xs = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    g = np.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    h, w = heat.shape
    left, right = min(cx, radius), min(w - cx, radius + 1)
    top, bottom = min(cy, radius), min(h - cy, radius + 1)
    region = heat[cy - top:cy + bottom, cx - left:cx + right]
    np.maximum(region, g[radius - top:radius + bottom, radius - left:radius + right], out=region)


def encode(boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray], classes: int, out_hw: Tuple[int, int],
           stride: int) -> dict:
    """Targets for a batch: ``heatmap`` [B,C,h,w], ``size`` and ``offset`` [B,2,h,w], ``mask`` [B,1,h,w]."""
    b, (h, w) = len(boxes), out_hw
    heat = np.zeros((b, classes, h, w), np.float32)
    size = np.zeros((b, 2, h, w), np.float32)
    offset = np.zeros((b, 2, h, w), np.float32)
    mask = np.zeros((b, 1, h, w), np.float32)
    for i, (bx, lb) in enumerate(zip(boxes, labels)):
        for (x0, y0, x1, y1), c in zip(bx, lb):
            cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
            ix, iy = min(int(cx), w - 1), min(int(cy), h - 1)
            radius = max(0, int(gaussian_radius((y1 - y0) / stride, (x1 - x0) / stride)))
            draw_gaussian(heat[i, int(c)], ix, iy, radius)
            size[i, :, iy, ix] = (x1 - x0, y1 - y0)
            offset[i, :, iy, ix] = (cx - ix, cy - iy)
            mask[i, 0, iy, ix] = 1.0
    return {k: torch.from_numpy(v) for k, v in
            (("heatmap", heat), ("size", size), ("offset", offset), ("mask", mask))}


def focal_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss (α=2, β=4) on sigmoid scores, normalised by the peak count."""
    p = pred.clamp(eps, 1 - eps)
    pos = target.eq(1).float()
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - target) ** 4 * (1 - pos)).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp_min(1.0)


def detection_loss(out: dict, tgt: dict, size_weight: float = 0.1) -> torch.Tensor:
    """Focal heatmap loss + L1 on size (pixels, weight 0.1) and offset (cells) at the centre cells."""
    mask = tgt["mask"]
    n = mask.sum().clamp_min(1.0)
    size_l1 = (F.l1_loss(out["detect.size"], tgt["size"], reduction="none") * mask).sum() / n
    off_l1 = (F.l1_loss(out["detect.offset"], tgt["offset"], reduction="none") * mask).sum() / n
    return focal_loss(out["detect.heatmap"], tgt["heatmap"]) + size_weight * size_l1 + off_l1


# earlier 3×3 neighbours in scan order (dy, dx): on a plateau the earliest cell is the only peak
_EARLIER = ((-1, -1), (-1, 0), (-1, 1), (0, -1))


def peak_mask(heatmap: torch.Tensor) -> torch.Tensor:
    """Cells that are the maximum of their 3×3 neighbourhood, ties kept by the first cell in scan order.

    The server's rule (src/postprocess/detect.ts ``isPeak``), so a flat region (e.g. where a ReLU branch is all
    zero) yields one candidate, not one per cell, and evaluated metrics match what the service returns.
    """
    h, w = heatmap.shape[-2:]
    is_max = F.max_pool2d(heatmap, 3, stride=1, padding=1) == heatmap
    padded = F.pad(heatmap, (1, 1, 1, 1), value=float("-inf"))
    tied_earlier = torch.zeros_like(is_max)
    for dy, dx in _EARLIER:
        tied_earlier |= padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] == heatmap
    return is_max & ~tied_earlier


@torch.no_grad()
def decode(heatmap: torch.Tensor, size: torch.Tensor, offset: torch.Tensor, stride: int, k: int = 50,
           image_hw: Tuple[int, int] = None) -> List[Detections]:
    """Boxes from head outputs ([B,C,h,w], [B,2,h,w], [B,2,h,w]); boxes are clipped to ``image_hw``.

    Like the server: peaks with score > 0, the ``k`` best per image ordered by score, then cell, then class.
    """
    b, c, h, w = heatmap.shape
    peaks = (heatmap * peak_mask(heatmap).float()).numpy()
    out = []
    for i in range(b):
        cls, cell = np.nonzero(peaks[i].reshape(c, h * w) > 0)
        scores = peaks[i].reshape(c, h * w)[cls, cell]
        order = np.lexsort((cls, cell, -scores))[:k]
        cls, cell, scores = cls[order], cell[order], scores[order]
        rows, cols = cell // w, cell % w
        off, sz = offset[i].reshape(2, -1).numpy(), size[i].reshape(2, -1).numpy()
        cx, cy = (cols + off[0, cell]) * stride, (rows + off[1, cell]) * stride
        boxes = np.stack([cx - sz[0, cell] / 2, cy - sz[1, cell] / 2, cx + sz[0, cell] / 2, cy + sz[1, cell] / 2],
                         axis=1).astype(np.float32).reshape(-1, 4)
        if image_hw is not None:
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, image_hw[1])
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, image_hw[0])
        out.append(Detections(boxes, scores.astype(np.float32), cls.astype(np.int64)))
    return out
