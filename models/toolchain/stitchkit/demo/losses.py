"""Training losses of the dense tasks (classification uses label-smoothed cross-entropy directly)."""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F

from .targets import detection_loss


def sig_loss(pred: torch.Tensor, target: torch.Tensor, variance_focus: float = 0.85, eps: float = 1e-3) -> torch.Tensor:
    """Scale-invariant log loss (Eigen et al.; the depth toolbox's ``SigLoss``): sqrt(var(g) + (1-λ)·mean(g)²),
    g = log p − log t over all pixels. λ = 0.85 keeps 15 % of the absolute-scale term, so metric depth is learnt."""
    g = torch.log(pred.clamp_min(eps)) - torch.log(target.clamp_min(eps))
    return torch.sqrt(g.var(unbiased=False) + (1 - variance_focus) * g.mean() ** 2 + 1e-12)


def dense_losses(outputs: Dict[str, Dict[str, torch.Tensor]], batch: Dict[str, torch.Tensor],
                 background_weight: float = 1.0) -> Dict[str, torch.Tensor]:
    """Per-task losses from head outputs ``{task: outputs}`` and :func:`scenedata.training_tensors` targets.

    ``background_weight`` scales the segmentation cross-entropy of background pixels (class 0), which are ~89 %
    of all pixels; the other classes keep weight 1 (mmseg's ``class_weight``, normalised by the weights' sum)."""
    losses = {}
    if "segment" in outputs:
        logits = outputs["segment"]["segment.logits"]
        weight = torch.ones(logits.shape[1])
        weight[0] = background_weight
        losses["segment"] = F.cross_entropy(logits, batch["segment"], weight=weight)
    if "depth" in outputs:
        losses["depth"] = sig_loss(outputs["depth"]["depth.depth"][:, 0], batch["depth"])
    if "detect" in outputs:
        losses["detect"] = detection_loss(outputs["detect"], batch["detect"])
    return losses
