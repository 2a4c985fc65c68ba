"""Least-squares initialisation of stitching layers (method §3.2).

For a stitching layer mapping anchor A's block ``j`` output to the activation entering anchor B's block
``m`` (i.e. B's block ``m-1`` output, or B's embedding output when ``m = 0``):

    X̃ = [X, 1] ∈ R^{N×(d_in+1)},  M = pinv(X̃) · Y,  W = M[:d_in]ᵀ (d_out × d_in),  b = M[d_in]

with X, Y the token activations of one batch flattened to (B·T, d). Which positions initialise which layer:

* SN-Netv2: S→L layer ``k`` from (S blk k → L blk (k+1)·r - 1), including the excluded stitch's layer
  (front block d_small-1); L→S layer of each 2-segment L→S stitch from (L blk i → S blk m(i)).
* SN-Net v1: every (j, m) position sharing a layer is solved separately and the W's and b's are averaged.

The solve runs in float64 (upstream: float32 on CPU); results are cast to the layer's dtype.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import torch

from .spaces import StitchSpace

EMBEDDING = -1  # block index meaning "the embedding output, before block 0"


def solve_least_squares(x: torch.Tensor, y: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Closed-form ``min ‖[X,1]M − Y‖``: returns (W (d_out, d_in), b (d_out)) in float64.

    ``x`` (..., d_in) and ``y`` (..., d_out) must hold the same number of rows once flattened.
    """
    x2 = x.reshape(-1, x.shape[-1]).double()
    y2 = y.reshape(-1, y.shape[-1]).double()
    if x2.shape[0] != y2.shape[0]:
        raise ValueError(f"least squares needs matching rows: X has {x2.shape[0]}, Y has {y2.shape[0]}")
    x_ones = torch.cat([x2, torch.ones(x2.shape[0], 1, dtype=x2.dtype)], dim=1)
    m = torch.linalg.pinv(x_ones) @ y2
    return m[:-1].t().contiguous(), m[-1].clone()


@dataclass(frozen=True)
class LayerInit:
    """One stitching layer ``stitch_layers[group][layer]`` and the positions that initialise it.

    ``positions``: (A's front block j, B's block whose output enters the resume block, i.e. m-1 or -1).
    """

    group: int
    layer: int
    src: int
    dst: int
    positions: Tuple[Tuple[int, int], ...]


def init_plan(space: StitchSpace) -> List[LayerInit]:
    """Which activation pairs initialise every stitching layer of ``space`` (v2 rule or v1 averaging)."""
    found: Dict[Tuple[int, int], Set[Tuple[int, int]]] = {}
    for stitch in space.stitches:
        if space.kind == "snnetv2" and len(stitch.comb) != 2:
            continue  # v2 initialises from the 2-segment configs only
        for (group, layer), (front, resume) in zip(stitch.stitch_points(), stitch.cfgs):
            found.setdefault((group, layer), set()).add((front, resume - 1))
    if space.kind == "snnetv2":
        d_small, d_large = space.depths
        r = d_large // d_small
        for k in range(space.layer_groups[0].count):  # covers the excluded S→L stitch (front d_small-1)
            found.setdefault((0, k), {(k, (k + 1) * r - 1)})
    plan = []
    for (group, layer), positions in sorted(found.items()):
        g = space.layer_groups[group]
        plan.append(LayerInit(group, layer, g.src, g.dst, tuple(sorted(positions))))
    missing = [(gi, k) for gi, g in enumerate(space.layer_groups) for k in range(g.count) if (gi, k) not in found]
    if missing:
        raise ValueError(f"no initialising position for stitching layers {missing}")
    return plan


def collect_block_features(anchor: torch.nn.Module, pixels: torch.Tensor, blocks: Sequence[int]) -> Dict[int, torch.Tensor]:
    """Run ``anchor(pixels)`` once and keep the outputs of ``blocks`` (-1 = embedding output) via hooks."""
    wanted = set(blocks)
    feats: Dict[int, torch.Tensor] = {}
    handles = []
    if EMBEDDING in wanted:
        handles.append(anchor.blocks[0].register_forward_pre_hook(
            lambda _m, args: feats.__setitem__(EMBEDDING, args[0].detach())))
    for i, blk in enumerate(anchor.blocks):
        if i in wanted:
            handles.append(blk.register_forward_hook(
                lambda _m, _args, out, i=i: feats.__setitem__(i, out.detach())))
    try:
        with torch.no_grad():
            anchor(pixels)
    finally:
        for h in handles:
            h.remove()
    missing = wanted - set(feats)
    if missing:
        raise ValueError(f"anchor has no blocks {sorted(missing)}")
    return feats


def ls_init(model, pixels: torch.Tensor, progress: Optional[Callable[[str], None]] = None) -> Dict[Tuple[int, int], float]:
    """LS-initialise every stitching layer of ``model`` (an :class:`stitchkit.model.SNNet`) from one batch.

    Sets ``transform.weight`` and ``transform.bias`` (the frozen W_ls of a LoRA layer; ``lora_B`` is left as
    is, zero at init). Returns ``{(group, layer): relative residual ‖X̃M − Y‖ / ‖Y‖}`` averaged over positions.
    """
    plan = init_plan(model.space)
    needed: Dict[int, Set[int]] = {}
    for entry in plan:
        for front, before in entry.positions:
            needed.setdefault(entry.src, set()).add(front)
            needed.setdefault(entry.dst, set()).add(before)
    feats = {}
    for a, blocks in sorted(needed.items()):
        if progress:
            progress(f"ls-init: running anchor {a} on {pixels.shape[0]} images")
        feats[a] = collect_block_features(model.anchors[a], pixels, sorted(blocks))
    residuals = {}
    for entry in plan:
        ws, bs, res = [], [], []
        for front, before in entry.positions:
            x, y = feats[entry.src][front], feats[entry.dst][before]
            w, b = solve_least_squares(x, y)
            pred = x.reshape(-1, x.shape[-1]).double() @ w.t() + b
            target = y.reshape(-1, y.shape[-1]).double()
            res.append(float((pred - target).norm() / target.norm().clamp_min(1e-30)))
            ws.append(w)
            bs.append(b)
        transform = model.stitch_layers[entry.group][entry.layer].transform
        with torch.no_grad():
            transform.weight.copy_(torch.stack(ws).mean(0).to(transform.weight.dtype))
            transform.bias.copy_(torch.stack(bs).mean(0).to(transform.bias.dtype))
        residuals[(entry.group, entry.layer)] = sum(res) / len(res)
    if progress:
        progress(f"ls-init: {len(plan)} stitching layers initialised")
    return residuals
