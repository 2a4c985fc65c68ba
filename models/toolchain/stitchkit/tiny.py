"""Tiny test families (seconds to build, kilobytes to store) and deterministic random weights.

``tiny_v2_config``: two DeiT-III anchors (16-d × 4 blocks, 24-d × 8 blocks, patch 4), SN-Netv2 space over
depths 4/8 (15 ids, id 5 excluded, every stitch kind present), LoRA rank 2, all four tasks; classification at
16×16 (the anchors' native grid 4×4), dense tasks at 32×32 (pos-embed resized to 8×8).
``tiny_v1_config``: three DeiT anchors (8/16/24-d × 4 blocks), SN-Net v1 space, classification only.
"""
from __future__ import annotations

import torch
from torch import nn

from .anchors import AnchorConfig
from .config import FamilyConfig, TaskConfig

CLASS_LABELS = tuple(f"class-{i}" for i in range(10))
GRAY_PREPROCESS = {"fit": "fill", "kernel": "linear", "grayscale": False, "invert": False,
                   "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}


def _task(name: str, hw: int, labels=(), **kw) -> TaskConfig:
    return TaskConfig(name, (hw, hw), tuple(labels), preprocess=dict(GRAY_PREPROCESS), **kw)


def tiny_v2_config(decoder: str = "plain", stem: bool = False) -> FamilyConfig:
    """The tiny SN-Netv2 fixture family; ``decoder`` selects the segment/depth head variant (the fixture: plain);
    ``stem`` gives both anchors a two-conv stem instead of the linear patch embedding (S: widths 4, 8 with
    BatchNorm + ReLU; L: 6, 12 with bias + GELU), so one family covers both stem forms."""
    anchors = (AnchorConfig("S", 16, 4, 2, patch=4, img_size=16, num_classes=10, stem=(4, 8) if stem else (),
                            stem_bn=stem),
               AnchorConfig("L", 24, 8, 3, patch=4, img_size=16, num_classes=10, stem=(6, 12) if stem else ()))
    tasks = (_task("classify", 16, CLASS_LABELS),
             _task("segment", 32, ("background", "disc", "square"), channels=8, decoder=decoder),
             _task("depth", 32, channels=8, depth_range=(1e-3, 10.0), decoder=decoder),
             _task("detect", 32, ("disc", "square", "bar"), channels=8, stride=4))
    return FamilyConfig("tiny-v2", anchors, tasks, space="snnetv2", lora_r=2,
                        description="Tiny random SN-Netv2 family for engine/HTTP tests (not a trained model)")


def tiny_v1_config() -> FamilyConfig:
    anchors = tuple(AnchorConfig(n, d, 4, h, patch=4, img_size=16, num_classes=10, flavour="deit")
                    for n, d, h in (("Ti", 8, 1), ("S", 16, 2), ("B", 24, 3)))
    return FamilyConfig("tiny-v1", anchors, (_task("classify", 16, CLASS_LABELS),), space="snnetv1",
                        description="Tiny random SN-Net v1 family for engine tests (not a trained model)")


@torch.no_grad()
def randomize_(model: nn.Module, seed: int) -> nn.Module:
    """Give every parameter and BN statistic a well-scaled random value (LoRA B non-zero, gammas ~ 0.5)."""
    gen = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=gen)
        if name.endswith(("gamma_1", "gamma_2")):
            p.copy_(0.5 + 0.1 * noise)
        elif p.dim() == 1 and ("norm" in name or name.endswith("bn.weight")):
            p.copy_(1.0 + 0.1 * noise)
        elif p.dim() == 1 or name.endswith(("cls_token", "pos_embed")):
            p.copy_(0.1 * noise)
        else:
            fan_in = p[0].numel() if not name.endswith("lora_B") else p.shape[1]
            p.copy_(noise / fan_in ** 0.5)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(0.1 * torch.randn(b.shape, generator=gen))
        elif name.endswith("running_var"):
            b.copy_(0.5 + torch.rand(b.shape, generator=gen))
    return model.eval()
