"""SN-Net / SN-Netv2 in PyTorch: anchors + stitching layers + task heads, one forward per (stitch, task).

State-dict layout matches upstream: ``anchors.{a}.<official DeiT names>``,
``stitch_layers.{g}.{k}.transform.{weight,bias[,lora_A,lora_B]}`` (SN-Netv2 groups end with an ``Identity``,
as upstream), plus ``heads.{segment,depth,detect}.*`` for dense tasks.
"""
from __future__ import annotations

import math
from typing import Dict, List

import torch
from torch import nn

from .anchors import AnchorConfig, ViTAnchor  # noqa: F401  (re-exported)
from .config import DENSE_TASKS, FamilyConfig
from .heads import build_head
from .spaces import Stitch, StitchSpace


class LoRALinear(nn.Module):
    """Token-wise Linear ``y = x (W + B A / r)ᵀ + b`` with a frozen ``weight`` W (loralib naming, alpha = 1).

    The LoRA term is never merged in place (upstream merges on ``.eval()``, which double-counts when a merged
    state dict is reloaded); :meth:`merged_weight` returns ``W + B A / r`` for export.
    """

    def __init__(self, d_in: int, d_out: int, r: int = 0):
        super().__init__()
        self.r = r
        self.weight = nn.Parameter(torch.empty(d_out, d_in), requires_grad=r == 0)
        self.bias = nn.Parameter(torch.zeros(d_out))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if r > 0:
            self.lora_A = nn.Parameter(torch.empty(r, d_in))
            self.lora_B = nn.Parameter(torch.zeros(d_out, r))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def merged_weight(self) -> torch.Tensor:
        """Effective (d_out, d_in) weight, LoRA added exactly once."""
        if self.r == 0:
            return self.weight
        return self.weight + (self.lora_B @ self.lora_A) / self.r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.linear(x, self.weight, self.bias)
        if self.r > 0:
            y = y + (x @ self.lora_A.t() @ self.lora_B.t()) / self.r
        return y


class StitchingLayer(nn.Module):
    """Maps one anchor's tokens (B, T, d_in) to another's width (B, T, d_out)."""

    def __init__(self, d_in: int, d_out: int, r: int = 0):
        super().__init__()
        self.transform = LoRALinear(d_in, d_out, r)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.transform(x)


class SNNet(nn.Module):
    """A stitchable family. ``forward(pixels, stitch, task)`` runs one route for one task.

    Outputs (dict, names as in the bundle graph): classify ``classify.logits`` (B, classes); segment
    ``segment.logits`` (B, C, H, W); depth ``depth.depth`` (B, 1, H, W); detect ``detect.heatmap``
    (B, C, H/s, W/s), ``detect.size`` and ``detect.offset`` (B, 2, H/s, W/s).
    """

    def __init__(self, cfg: FamilyConfig):
        super().__init__()
        self.cfg = cfg
        self.space: StitchSpace = cfg.stitch_space()
        self.anchors = nn.ModuleList(ViTAnchor(a) for a in cfg.anchors)
        self.stitch_layers = nn.ModuleList()
        for group in self.space.layer_groups:
            d_in, d_out = cfg.anchors[group.src].dim, cfg.anchors[group.dst].dim
            layers: List[nn.Module] = [StitchingLayer(d_in, d_out, cfg.lora_r) for _ in range(group.count)]
            if cfg.space == "snnetv2":
                layers.append(nn.Identity())  # upstream's trailing Identity (stitch layer id -1)
            self.stitch_layers.append(nn.ModuleList(layers))
        self.taps = cfg.taps()
        self.heads = nn.ModuleDict()
        for task in cfg.tasks:
            if task.name in DENSE_TASKS:
                self.heads[task.name] = build_head(task, cfg.anchors[-1])

    def tap_projection(self, anchor: int, block: int) -> nn.Module:
        """The module mapping a tap of ``anchor`` at ``block`` to the large width (S→L layer of that index)."""
        if anchor == len(self.anchors) - 1:
            return nn.Identity()
        return self.stitch_layers[0][block]

    def final_norm_used(self, stitch: Stitch) -> bool:
        """SN-Net v1 quirk (method §9.7): stitched v1 routes skip the last anchor's final norm."""
        return not (self.space.kind == "snnetv1" and stitch.kind != "anchor")

    def backbone(self, pixels: torch.Tensor, stitch: Stitch, collect_taps: bool):
        """Run the route; returns the final tokens and the (large-width) taps in depth order."""
        x = self.anchors[stitch.comb[0]].embed(pixels)
        taps: List[torch.Tensor] = []
        for anchor, (lo, hi), group, layer in zip(stitch.comb, stitch.route, stitch.layer_groups,
                                                  stitch.stitch_layer_ids):
            blocks = self.anchors[anchor].blocks
            for b in range(lo, hi + 1):
                x = blocks[b](x)
                if collect_taps and b in self.taps[anchor]:
                    taps.append(self.tap_projection(anchor, b)(x))
            if layer != -1:
                x = self.stitch_layers[group][layer](x)
        return x, taps

    def forward(self, pixels: torch.Tensor, stitch: Stitch, task: str) -> Dict[str, torch.Tensor]:
        if task not in self.cfg.task_names:
            raise ValueError(f"family {self.cfg.name} has no task {task!r}")
        x, taps = self.backbone(pixels, stitch, collect_taps=task in DENSE_TASKS)
        if task == "classify":
            logits = self.anchors[stitch.comb[-1]].classify(x, self.final_norm_used(stitch))
            return {"classify.logits": logits}
        if len(taps) != 4:
            raise RuntimeError(f"stitch {stitch.id} yields {len(taps)} taps, dense heads need 4")
        return self.heads[task](taps, pixels)

    def run(self, pixels: torch.Tensor, stitch_id: int, task: str) -> Dict[str, torch.Tensor]:
        """Convenience: ``forward`` by upstream stitch id."""
        return self.forward(pixels, self.space.by_id(stitch_id), task)


