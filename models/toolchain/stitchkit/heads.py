"""Dense task heads. Every head takes the 4 large-width taps (B, 1+N, D) plus the pixels (for sizes).

* segment — SETR-naive: LayerNorm → 1×1 conv + BN + ReLU → bilinear ×4 → 1×1 conv to classes → bilinear to
  the input size. Output ``segment.logits`` (B, C, H, W), from tap 3 only (taps 0..2 feed upstream's
  training-only auxiliary heads, which are not part of inference).
* depth — light DPT: readout-project (cls concatenated to every token, Linear 2D→D + GELU) per tap, reassemble
  to 4 scales (×4, ×2, ×1, ×½ of the patch grid), 3×3 projections, top-down fusion (bilinear + add + 3×3 conv +
  ReLU), head (3×3 conv, bilinear to input size, 3×3 conv + ReLU, 1×1 conv), ``sigmoid · max_depth``.
  Output ``depth.depth`` (B, 1, H, W) in metres.
* detect — anchor-free CenterNet-style: 1×1 lateral conv per tap, summed, bilinear to stride ``s``, 3×3 conv +
  BN + ReLU, then three branches (3×3 conv + ReLU, 1×1 conv): ``detect.heatmap`` sigmoid class scores
  (B, C, H/s, W/s), ``detect.size`` ReLU box (w, h) in input pixels, ``detect.offset`` sigmoid sub-cell (x, y)
  in cells, both (B, 2, H/s, W/s). A box centre is ((col + off_x)·s, (row + off_y)·s) in input pixels.

Variant ``decoder="guided"`` (a task option, for small inputs whose patch grid is far coarser than the objects'
outlines, e.g. the Fashion-MNIST demo's 6×6 grid):

* segment — all 4 taps (LayerNorm, 1×1 lateral conv each, summed), 3×3 conv + BN + ReLU on the patch grid,
  bilinear to the input size, concatenated with a pixel branch (two 3×3 conv + BN + ReLU on the input, ``c/6``
  channels), 1×1 conv + BN + ReLU to ``c/2``, 1×1 conv to classes. The taps say *what* is where, the pixels *where exactly*.
* depth — the plain head with a pixel branch (``c/3`` channels) concatenated before its full-resolution 3×3 conv.

BatchNorm lives in :class:`ConvBNAct`, which :func:`fold_batchnorm` folds into its conv for export.
"""
from __future__ import annotations

import copy
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

from .anchors import AnchorConfig


class ConvBNAct(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + optional ReLU; ``fold()`` merges the BN into the conv (eval stats)."""

    def __init__(self, c_in: int, c_out: int, k: int, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(c_out)
        self.relu = relu

    def fold(self) -> None:
        if isinstance(self.bn, nn.BatchNorm2d):
            self.conv = torch.nn.utils.fusion.fuse_conv_bn_eval(self.conv, self.bn)
            self.bn = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` (eval mode) with every :class:`ConvBNAct` BatchNorm folded."""
    folded = copy.deepcopy(module).eval()
    for m in folded.modules():
        if isinstance(m, ConvBNAct):
            m.fold()
    return folded


def tokens_to_map(tokens: torch.Tensor, rows, cols) -> torch.Tensor:
    """(B, 1+N, D) → (B, D, rows, cols), dropping the cls token."""
    b, _, d = tokens.shape
    return tokens[:, 1:].transpose(1, 2).reshape(b, d, rows, cols)


class _DenseHead(nn.Module):
    def __init__(self, anchor: AnchorConfig):
        super().__init__()
        self.patch = anchor.patch

    def grid(self, pixels: torch.Tensor):
        return pixels.shape[-2] // self.patch, pixels.shape[-1] // self.patch


class SegmentHead(_DenseHead):
    def __init__(self, anchor: AnchorConfig, classes: int, channels: int):
        super().__init__(anchor)
        self.norm = nn.LayerNorm(anchor.dim, eps=1e-6)
        self.up_conv = ConvBNAct(anchor.dim, channels, 1)
        self.conv_seg = nn.Conv2d(channels, classes, 1)

    def forward(self, taps: List[torch.Tensor], pixels: torch.Tensor) -> Dict[str, torch.Tensor]:
        rows, cols = self.grid(pixels)
        x = self.up_conv(tokens_to_map(self.norm(taps[3]), rows, cols))
        x = F.interpolate(x, size=(rows * 4, cols * 4), mode="bilinear", align_corners=False)
        x = self.conv_seg(x)
        out = F.interpolate(x, size=pixels.shape[-2:], mode="bilinear", align_corners=False)
        return {"segment.logits": out}


def pixel_branch(channels: int) -> nn.Sequential:
    """Two 3×3 conv + BN + ReLU on the input pixels at full resolution (the guided heads' edge features)."""
    return nn.Sequential(ConvBNAct(3, channels, 3), ConvBNAct(channels, channels, 3))


class GuidedSegmentHead(_DenseHead):
    def __init__(self, anchor: AnchorConfig, classes: int, channels: int):
        super().__init__(anchor)
        c, g = channels, max(channels // 6, 4)  # the full-resolution part dominates the head's FLOPs: keep it thin
        self.norms = nn.ModuleList(nn.LayerNorm(anchor.dim, eps=1e-6) for _ in range(4))
        self.lateral = nn.ModuleList(nn.Conv2d(anchor.dim, c, 1) for _ in range(4))
        self.context = ConvBNAct(c, c, 3)
        self.pixels = pixel_branch(g)
        self.fuse = ConvBNAct(c + g, c // 2, 1)
        self.conv_seg = nn.Conv2d(c // 2, classes, 1)

    def forward(self, taps: List[torch.Tensor], pixels: torch.Tensor) -> Dict[str, torch.Tensor]:
        rows, cols = self.grid(pixels)
        x = sum(lat(tokens_to_map(norm(t), rows, cols)) for norm, lat, t in zip(self.norms, self.lateral, taps))
        x = F.interpolate(self.context(x), size=pixels.shape[-2:], mode="bilinear", align_corners=False)
        x = self.fuse(torch.cat([x, self.pixels(pixels)], dim=1))
        return {"segment.logits": self.conv_seg(x)}


class DepthHead(_DenseHead):
    def __init__(self, anchor: AnchorConfig, channels: int, max_depth: float, guided: bool = False):
        super().__init__(anchor)
        d, c = anchor.dim, channels
        self.max_depth = max_depth
        self.readout_projects = nn.ModuleList(nn.Linear(2 * d, d) for _ in range(4))
        self.reassemble = nn.ModuleList(nn.Conv2d(d, c, 1) for _ in range(4))
        self.resize = nn.ModuleList([nn.ConvTranspose2d(c, c, 4, stride=4), nn.ConvTranspose2d(c, c, 2, stride=2),
                                     nn.Identity(), nn.Conv2d(c, c, 3, stride=2, padding=1)])
        self.project = nn.ModuleList(nn.Conv2d(c, c, 3, padding=1, bias=False) for _ in range(4))
        self.fuse = nn.ModuleList(nn.Conv2d(c, c, 3, padding=1) for _ in range(3))
        self.head_conv1 = nn.Conv2d(c, max(c // 2, 1), 3, padding=1)
        g = max(c // 3, 4) if guided else 0
        self.pixels = pixel_branch(g) if guided else None
        self.head_conv2 = nn.Conv2d(max(c // 2, 1) + g, 32, 3, padding=1)
        self.head_out = nn.Conv2d(32, 1, 1)

    def forward(self, taps: List[torch.Tensor], pixels: torch.Tensor) -> Dict[str, torch.Tensor]:
        rows, cols = self.grid(pixels)
        maps = []
        for i, t in enumerate(taps):
            patches = t[:, 1:]
            readout = F.gelu(self.readout_projects[i](torch.cat([patches, t[:, :1].expand_as(patches)], dim=-1)))
            x = tokens_to_map(torch.cat([t[:, :1], readout], dim=1), rows, cols)
            maps.append(self.project[i](self.resize[i](self.reassemble[i](x))))
        fused = maps[3]
        for i, level in zip((2, 1, 0), range(3)):
            fused = F.interpolate(fused, size=maps[i].shape[-2:], mode="bilinear", align_corners=False) + maps[i]
            fused = F.relu(self.fuse[level](fused))
        x = self.head_conv1(fused)
        x = F.interpolate(x, size=pixels.shape[-2:], mode="bilinear", align_corners=False)
        if self.pixels is not None:
            x = torch.cat([x, self.pixels(pixels)], dim=1)
        x = self.head_out(F.relu(self.head_conv2(x)))
        return {"depth.depth": torch.sigmoid(x) * self.max_depth}


class DetectHead(_DenseHead):
    def __init__(self, anchor: AnchorConfig, classes: int, channels: int, stride: int):
        super().__init__(anchor)
        if anchor.patch % stride:
            raise ValueError(f"detection stride {stride} must divide the patch size {anchor.patch}")
        self.stride = stride
        c = channels
        self.lateral = nn.ModuleList(nn.Conv2d(anchor.dim, c, 1) for _ in range(4))
        self.neck = ConvBNAct(c, c, 3)

        def branch(out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, out, 1))

        self.heatmap, self.size, self.offset = branch(classes), branch(2), branch(2)
        nn.init.constant_(self.heatmap[2].bias, -2.19)  # CenterNet prior: initial score ≈ 0.1

    def forward(self, taps: List[torch.Tensor], pixels: torch.Tensor) -> Dict[str, torch.Tensor]:
        rows, cols = self.grid(pixels)
        x = sum(lat(tokens_to_map(t, rows, cols)) for lat, t in zip(self.lateral, taps))
        if self.stride != self.patch:
            out_hw = (pixels.shape[-2] // self.stride, pixels.shape[-1] // self.stride)
            x = F.interpolate(x, size=out_hw, mode="bilinear", align_corners=False)
        x = self.neck(x)
        return {"detect.heatmap": torch.sigmoid(self.heatmap(x)), "detect.size": F.relu(self.size(x)),
                "detect.offset": torch.sigmoid(self.offset(x))}


def build_head(task, anchor: AnchorConfig) -> nn.Module:
    """The dense head for ``task`` (a :class:`~stitchkit.config.TaskConfig`) on the large anchor's width."""
    guided = task.decoder == "guided"
    if task.name == "segment":
        return (GuidedSegmentHead if guided else SegmentHead)(anchor, task.num_classes, task.channels)
    if task.name == "depth":
        return DepthHead(anchor, task.channels, task.depth_range[1], guided)
    if task.name == "detect":
        return DetectHead(anchor, task.num_classes, task.channels, task.stride)
    raise ValueError(f"no dense head for task {task.name!r}")
