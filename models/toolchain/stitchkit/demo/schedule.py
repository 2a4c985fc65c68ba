"""Learning-rate schedule shared by every training stage: linear warm-up, then cosine decay."""
from __future__ import annotations

import math


def warmup_cosine(step: int, total: int, peak: float, warmup: int, floor: float = 0.0) -> float:
    """LR at ``step`` (0-based) of ``total``: linear 0→peak over ``warmup`` steps, cosine peak→floor after."""
    if total <= 0 or not 0 <= warmup < total:
        raise ValueError(f"need 0 <= warmup < total, got warmup={warmup} total={total}")
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def set_lr(optimizer, lr: float) -> None:
    """Set every param group's LR to ``lr`` times the group's ``lr_scale`` (default 1)."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
