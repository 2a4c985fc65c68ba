"""Exponential moving average of a model's weights (Polyak averaging), for the exported family.

``shadow ← d·shadow + (1−d)·weights`` after every optimiser step, with the usual warm-up
``d_t = min(decay, (1 + t) / (10 + t))`` so the average does not remember the starting weights for long.
Only floating-point tensors of the state dict are averaged (integer BatchNorm counters are not).
"""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn


class WeightAverage:
    """The running average of ``model``'s floating-point state; :meth:`copy_to` loads it into a model."""

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay, self.updates = decay, 0
        self.shadow: Dict[str, torch.Tensor] = {k: v.detach().clone() for k, v in model.state_dict().items()
                                                if v.dtype.is_floating_point}

    def current_decay(self) -> float:
        """The decay applied by the next update (smaller for the first updates)."""
        return min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = self.current_decay()
        for k, v in model.state_dict().items():
            if k in self.shadow:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1.0 - d)
        self.updates += 1

    def copy_to(self, model: nn.Module) -> None:
        """Load the averaged weights into ``model`` (other state, e.g. BatchNorm counters, is kept)."""
        model.load_state_dict({**model.state_dict(), **self.shadow})

    def state_dict(self) -> Dict:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: Dict) -> None:
        self.decay, self.updates, self.shadow = state["decay"], state["updates"], state["shadow"]
