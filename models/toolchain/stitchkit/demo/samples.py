"""Sample outputs of the trained family, one PNG per task, comparing a few stitches on the same test inputs."""
from __future__ import annotations

import os
from typing import Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from stitchkit.model import SNNet  # noqa: E402

from .family import CLASSIFY_SIZE, SCENE  # noqa: E402
from .fmnist import LABELS, load_split  # noqa: E402
from .routes import PrefixCache, task_outputs  # noqa: E402
from .scenedata import DETECT_STRIDE, ScenePool  # noqa: E402
from .targets import decode  # noqa: E402
from .tensors import as_rgb, classify_pixels, scene_pixels  # noqa: E402

SCORE_THRESHOLD = 0.3


def _names(model: SNNet, ids: Sequence[int], flops: Dict[int, Dict[str, int]], task: str) -> List[str]:
    return [f"stitch {i} ({model.space.by_id(i).kind}, {flops[i][task] / 1e6:.1f} MFLOPs)" for i in ids]


@torch.no_grad()
def classify_samples(model: SNNet, ids: Sequence[int], flops, path: str, n: int = 10) -> None:
    """Test images with each stitch's predicted label (green = right, red = wrong)."""
    x, y = load_split("test")
    pick = np.arange(0, 10000, 10000 // n)[:n]
    cache = PrefixCache(model.eval(), as_rgb(classify_pixels(x[pick], CLASSIFY_SIZE)), dense=False)
    fig, axes = plt.subplots(len(ids), n, figsize=(1.3 * n, 1.6 * len(ids)), squeeze=False)
    for r, (sid, name) in enumerate(zip(ids, _names(model, ids, flops, "classify"))):
        pred = task_outputs(cache, model.space.by_id(sid), ["classify"])["classify"]["classify.logits"].argmax(1)
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(x[pick[c]], cmap="gray")
            ok = int(pred[c]) == int(y[pick[c]])
            ax.set_title(LABELS[int(pred[c])], fontsize=7, color="green" if ok else "red")
            ax.axis("off")
        axes[r][0].text(-4, 14, name, fontsize=7, rotation=90, va="center", ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _boxes(ax, boxes, labels, colour, scores=None) -> None:
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color=colour, lw=1))
        text = LABELS[int(labels[k])][:7] + (f" {scores[k]:.2f}" if scores is not None else "")
        ax.text(x0, y0 - 1, text, fontsize=5, color=colour)


@torch.no_grad()
def dense_samples(model: SNNet, ids: Sequence[int], flops, out_dir: str, n: int = 4, seed: int = 0) -> None:
    """``samples-segment.png``, ``samples-depth.png``, ``samples-detect.png``: scene, ground truth, stitches."""
    xte, yte = load_split("test")
    scenes = ScenePool(xte, yte, "test", seed).batch(range(n))
    cache = PrefixCache(model.eval(), scene_pixels(scenes.images), dense=True)
    outs = {sid: task_outputs(cache, model.space.by_id(sid), ["segment", "depth", "detect"]) for sid in ids}
    lo, hi = SCENE.depth_range
    for task in ("segment", "depth", "detect"):
        names = _names(model, ids, flops, task)
        cols = 2 + len(ids) if task != "detect" else 1 + len(ids)
        fig, axes = plt.subplots(n, cols, figsize=(2.0 * cols, 2.0 * n), squeeze=False)
        for r in range(n):
            axes[r][0].imshow(scenes.images[r])
            if task == "segment":
                axes[r][1].imshow(scenes.segment[r], cmap="tab20", vmin=0, vmax=19, interpolation="nearest")
            elif task == "depth":
                axes[r][1].imshow(scenes.depth[r], cmap="magma_r", vmin=lo, vmax=hi)
            else:
                _boxes(axes[r][0], scenes.boxes[r], scenes.box_labels[r], "white")
            for c, sid in enumerate(ids):
                ax = axes[r][cols - len(ids) + c]
                o = outs[sid][task]
                if task == "segment":
                    ax.imshow(o["segment.logits"][r].argmax(0), cmap="tab20", vmin=0, vmax=19, interpolation="nearest")
                elif task == "depth":
                    ax.imshow(o["depth.depth"][r, 0], cmap="magma_r", vmin=lo, vmax=hi)
                else:
                    ax.imshow(scenes.images[r])
                    det = decode(o["detect.heatmap"][r:r + 1], o["detect.size"][r:r + 1], o["detect.offset"][r:r + 1],
                                 DETECT_STRIDE, k=10, image_hw=scenes.images.shape[1:3])[0]
                    keep = det.scores >= SCORE_THRESHOLD
                    _boxes(ax, det.boxes[keep], det.labels[keep], "yellow", det.scores[keep])
        heads = (["scene", "ground truth"] if task != "detect" else ["scene + ground truth"]) + names
        for c, title in enumerate(heads):
            axes[0][c].set_title(title, fontsize=7)
        for ax in axes.ravel():
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, f"samples-{task}.png"), dpi=100)
        plt.close(fig)
