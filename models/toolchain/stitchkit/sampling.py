"""Training-time stitch samplers (method §4).

* SN-Net v1 draws a stitch uniformly over every config, anchors included.
* SN-Netv2 uses resource-constrained sampling (RCS): stitches are bucketed by FLOPs
  (sorted ascending; a new group opens when a stitch's GFLOPs differ from the *first*
  member of the current group by more than ``gap``), a group is drawn with probability
  ``p_g`` (uniform, or ``p_g ∝ g/k + 1/G`` for g = 0..G-1 to favour heavy groups), then
  a stitch is drawn uniformly inside the group.

FLOPs here are raw fvcore counts (multiply-adds); ``gap`` is in GFLOPs (1e9).
"""
from __future__ import annotations

import math
import random
from typing import Dict, List, Mapping, Optional, Sequence


def group_by_flops(
    flops: Mapping[int, float], gap_gflops: float, floor_gflops: bool = False
) -> List[List[int]]:
    """Bucket stitch ids by FLOPs the SN-Netv2 way.

    Args:
        flops: stitch id -> FLOPs (raw count, not giga).
        gap_gflops: a stitch opens a new group when ``|gflops - first_of_group| > gap``.
        floor_gflops: floor GFLOPs to an integer before comparing (the depth-task variant).

    Returns:
        Groups in ascending FLOPs order; ids inside a group are sorted ascending.
        Ties in FLOPs keep the mapping's order (a stable sort, as upstream).
    """
    if gap_gflops < 0 or math.isnan(gap_gflops):
        raise ValueError(f"gap must be a non-negative number of GFLOPs, got {gap_gflops}")
    groups: List[List[int]] = []
    current: List[int] = []
    first = 0.0
    for sid, value in sorted(flops.items(), key=lambda item: item[1]):
        g = value / 1e9
        if floor_gflops:
            g = float(math.floor(g))
        if not current or abs(g - first) > gap_gflops:
            if current:
                groups.append(sorted(current))
            current = [int(sid)]
            first = g
        else:
            current.append(int(sid))
    if current:
        groups.append(sorted(current))
    return groups


def group_probabilities(n_groups: int, k: Optional[float] = None) -> List[float]:
    """Probability of drawing each group: uniform, or ``∝ g/k + 1/G`` (g = 0..G-1)."""
    if n_groups <= 0:
        raise ValueError("need at least one group")
    if k is None:
        return [1.0 / n_groups] * n_groups
    if not k > 0:
        raise ValueError(f"skew k must be > 0, got {k}")
    weights = [g / k + 1.0 / n_groups for g in range(n_groups)]
    total = sum(weights)
    return [w / total for w in weights]


class UniformSampler:
    """SN-Net v1 sampling: every id equally likely."""

    def __init__(self, ids: Sequence[int], seed: Optional[int] = None) -> None:
        if not ids:
            raise ValueError("no stitch ids to sample from")
        self.ids = list(ids)
        self._rng = random.Random(seed)

    def sample(self) -> int:
        """Draw one stitch id."""
        return self._rng.choice(self.ids)

    def stitch_probabilities(self) -> Dict[int, float]:
        """Exact marginal probability of each id."""
        return {sid: 1.0 / len(self.ids) for sid in self.ids}


class ResourceConstrainedSampler:
    """SN-Netv2 RCS: draw a FLOPs group by ``probs``, then a stitch uniformly inside it."""

    def __init__(
        self,
        groups: Sequence[Sequence[int]],
        probs: Optional[Sequence[float]] = None,
        seed: Optional[int] = None,
    ) -> None:
        if not groups or any(len(g) == 0 for g in groups):
            raise ValueError("groups must be non-empty lists of stitch ids")
        self.groups = [list(g) for g in groups]
        self.probs = list(probs) if probs is not None else group_probabilities(len(groups))
        if len(self.probs) != len(self.groups):
            raise ValueError(f"{len(self.probs)} probabilities for {len(self.groups)} groups")
        if abs(sum(self.probs) - 1.0) > 1e-9 or min(self.probs) < 0:
            raise ValueError("group probabilities must be non-negative and sum to 1")
        self._rng = random.Random(seed)

    @classmethod
    def from_flops(
        cls,
        flops: Mapping[int, float],
        gap_gflops: float,
        k: Optional[float] = None,
        seed: Optional[int] = None,
        floor_gflops: bool = False,
    ) -> "ResourceConstrainedSampler":
        """Group ``flops`` (id -> raw FLOPs) with ``gap_gflops`` and build the sampler."""
        groups = group_by_flops(flops, gap_gflops, floor_gflops)
        return cls(groups, group_probabilities(len(groups), k), seed)

    def sample(self) -> int:
        """Draw one stitch id."""
        group = self._rng.choices(self.groups, weights=self.probs, k=1)[0]
        return self._rng.choice(group)

    def stitch_probabilities(self) -> Dict[int, float]:
        """Exact marginal probability of each id (group prob / group size)."""
        out: Dict[int, float] = {}
        for group, p in zip(self.groups, self.probs):
            for sid in group:
                out[sid] = out.get(sid, 0.0) + p / len(group)
        return out
