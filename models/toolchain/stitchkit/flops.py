"""Analytic FLOPs and parameter counts per stitch, counted the fvcore way.

fvcore's ``FlopCountAnalysis`` (the tool behind every official SN-Net/SN-Netv2 FLOPs file) counts one
multiply-add as one FLOP, and only for the ops it has default handles for (:data:`FVCORE_HANDLES`):
linear/matmul/bmm/einsum/conv as MACs, ``layer_norm``/``group_norm`` as 5 per element (with affine),
eval ``batch_norm`` as 2 per element, bilinear upsampling as 4 per output element, nearest as 1,
``adaptive_avg_pool2d`` as 1 per input element. Softmax, GELU, residual adds, LayerScale multiplies and
position-embedding adds are not counted. For a ViT at batch 1 with ``N`` patches and ``T = N + 1`` tokens:

* patch embedding conv: ``N · D · 3 · p²`` (or an opt-in conv stem's convs, :func:`embed_flops`)
* one block: ``2 · 5TD`` (two LayerNorms) ``+ 3TD²`` (qkv) ``+ 2T²D`` (q·kᵀ and attn·v) ``+ TD²`` (proj)
  ``+ 2·mlp·TD²`` (fc1, fc2)
* stitching layer: ``T · d_in · d_out``
* classification: final LayerNorm ``5TD`` then the head on token 0 only: ``D · classes``.

The SN-Net v1 DeiT quirk is reproduced: stitched v1 routes end with ``forward_head``, which skips the final
norm (anchor-only routes keep it). With this, DeiT3-S at 224 is exactly 4 608 338 304 (the official figure)
and all 134 official S-L ids match to the FLOP.

Dense tasks: the routed backbone (no final norm / classifier), plus ``T · D_S · D_L`` for each small-anchor
tap that the head reads (projected by the S→L layer of that block), plus the head itself, counted by tracing
the real head module with the same handles (:func:`dense_head_cost`).
"""
from __future__ import annotations

import warnings
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .anchors import AnchorConfig
from .heads import build_head
from .spaces import Stitch, StitchSpace, route_taps


def _hidden(arch: AnchorConfig) -> int:
    """MLP hidden width, as the anchor builds it."""
    return int(arch.dim * arch.mlp_ratio)


def stem_grids(arch: AnchorConfig, height: int, width: int) -> List[Tuple[int, int]]:
    """Output (rows, cols) of each 3×3 stride-2 padding-1 conv of the anchor's stem (``⌈x/2⌉`` each)."""
    grids, rows, cols = [], height, width
    for _ in arch.stem:
        rows, cols = (rows + 1) // 2, (cols + 1) // 2
        grids.append((rows, cols))
    return grids


def token_counts(arch: AnchorConfig, height: int, width: int) -> Tuple[int, int]:
    """(patches N, tokens T = N + 1) for an input of ``height × width`` pixels (stride = patch; the plain embed
    drops a partial patch, a conv stem rounds up)."""
    if height < arch.patch or width < arch.patch:
        raise ValueError(f"input {height}x{width} is smaller than one {arch.patch}px patch")
    if arch.stem:
        rows, cols = stem_grids(arch, height, width)[-1]
        return rows * cols, rows * cols + 1
    n = (height // arch.patch) * (width // arch.patch)
    return n, n + 1


def layer_norm_flops(elements: int) -> int:
    """fvcore ``aten::layer_norm`` with affine parameters: 5 per input element."""
    return 5 * elements


def patch_embed_flops(arch: AnchorConfig, n_patches: int) -> int:
    """Conv ``p×p`` stride ``p`` from 3 channels: one MAC per weight per output position."""
    return n_patches * arch.dim * 3 * arch.patch * arch.patch


def embed_flops(arch: AnchorConfig, height: int, width: int) -> int:
    """The anchor's patch embedding at ``height × width``: the plain ``p×p`` conv, or the conv stem (each 3×3 conv
    ``rows·cols·c_out·c_in·9``, plus ``2·rows·cols·c_out`` for an eval BatchNorm, then the 1×1 projection
    ``N·D·c_last``; activations are not counted, as in fvcore)."""
    n, _ = token_counts(arch, height, width)
    if not arch.stem:
        return patch_embed_flops(arch, n)
    total, c_in = 0, 3
    for (rows, cols), c_out in zip(stem_grids(arch, height, width), arch.stem):
        total += rows * cols * c_out * c_in * 9 + (2 * rows * cols * c_out if arch.stem_bn else 0)  # eval BN: 2
        c_in = c_out
    return total + n * arch.dim * c_in


def block_flops(arch: AnchorConfig, tokens: int) -> int:
    """One pre-norm transformer block at ``tokens`` tokens (batch 1)."""
    d, t = arch.dim, tokens
    norms = 2 * layer_norm_flops(t * d)
    attention = 3 * t * d * d + 2 * t * t * d + t * d * d
    mlp = 2 * t * d * _hidden(arch)
    return norms + attention + mlp


def classify_head_flops(arch: AnchorConfig, tokens: int, final_norm: bool = True) -> int:
    """Final LayerNorm over every token (unless skipped) plus the Linear head on token 0."""
    return (layer_norm_flops(tokens * arch.dim) if final_norm else 0) + arch.dim * arch.num_classes


def linear_params(d_in: int, d_out: int) -> int:
    """Weight and bias of a Linear."""
    return d_in * d_out + d_out


def block_params(arch: AnchorConfig) -> int:
    """Parameters of one block (LayerScale gammas for DeiT-III)."""
    d, h = arch.dim, _hidden(arch)
    p = 4 * d + linear_params(d, 3 * d) + linear_params(d, d) + linear_params(d, h) + linear_params(h, d)
    return p + (2 * d if arch.flavour == "deit3" else 0)


def embed_params(arch: AnchorConfig) -> int:
    """Patch-embed conv, cls token and position embedding at the native grid (cls slot for DeiT v1)."""
    n = arch.grid * arch.grid
    t = n + 1
    conv = arch.dim * 3 * arch.patch * arch.patch + arch.dim
    if arch.stem:
        widths = (3,) + arch.stem
        # per stem conv: weights, then a bias, or BatchNorm's weight and bias
        per_conv = 2 if arch.stem_bn else 1
        conv = sum(c_in * c_out * 9 + per_conv * c_out for c_in, c_out in zip(widths, arch.stem))
        conv += widths[-1] * arch.dim + arch.dim
    return conv + arch.dim + (t if arch.flavour == "deit" else n) * arch.dim


def classify_head_params(arch: AnchorConfig, final_norm: bool = True) -> int:
    """Final LayerNorm (if used) and the Linear head."""
    return (2 * arch.dim if final_norm else 0) + (linear_params(arch.dim, arch.num_classes) if arch.num_classes else 0)


def anchor_params(arch: AnchorConfig) -> int:
    """Every parameter of one anchor, as ``sum(p.numel())`` over the module."""
    return embed_params(arch) + arch.depth * block_params(arch) + classify_head_params(arch)


def _segments(stitch: Stitch) -> Iterable[Tuple[int, int, int, int]]:
    """(anchor, first block, last block, stitching-layer target anchor or -1) per route segment."""
    for i, (anchor, (lo, hi)) in enumerate(zip(stitch.comb, stitch.route)):
        nxt = stitch.comb[i + 1] if i + 1 < len(stitch.comb) else -1
        yield anchor, lo, hi, nxt


def _final_norm_used(space: StitchSpace, stitch: Stitch) -> bool:
    # SN-Net v1 quirk (method §9.7): stitched DeiT routes call forward_head, which skips the final norm.
    return not (space.kind == "snnetv1" and len(stitch.comb) > 1)


def backbone_flops(archs: Sequence[AnchorConfig], stitch: Stitch, height: int, width: int) -> int:
    """Patch embed of the first anchor, every routed block and every stitching layer applied between segments."""
    first = archs[stitch.comb[0]]
    _, t = token_counts(first, height, width)
    total = embed_flops(first, height, width)
    for anchor, lo, hi, nxt in _segments(stitch):
        total += (hi - lo + 1) * block_flops(archs[anchor], t)
        if nxt >= 0:
            total += t * archs[anchor].dim * archs[nxt].dim
    return total


def classify_flops(space: StitchSpace, archs: Sequence[AnchorConfig], stitch: Stitch, height: int, width: int) -> int:
    """fvcore FLOPs of the classification forward of ``stitch`` at ``height × width`` (batch 1)."""
    last = archs[stitch.comb[-1]]
    _, t = token_counts(archs[stitch.comb[0]], height, width)
    return backbone_flops(archs, stitch, height, width) + classify_head_flops(last, t, _final_norm_used(space, stitch))


def classify_params(space: StitchSpace, archs: Sequence[AnchorConfig], stitch: Stitch) -> int:
    """Parameters a classification forward of ``stitch`` touches (stitching layers counted merged: W, b).

    Upstream SN-Net v1 (``SNNet.get_model_size``) counts stitched routes without the first anchor's cls token
    and position embedding but with the last anchor's final norm; this function counts what the route uses:
    with cls/pos, and without the final norm where the v1 quirk skips it.
    """
    total = embed_params(archs[stitch.comb[0]])
    for anchor, lo, hi, nxt in _segments(stitch):
        total += (hi - lo + 1) * block_params(archs[anchor])
        if nxt >= 0:
            total += linear_params(archs[anchor].dim, archs[nxt].dim)
    return total + classify_head_params(archs[stitch.comb[-1]], _final_norm_used(space, stitch))


def space_classify_flops(
    space: StitchSpace, archs: Sequence[AnchorConfig], height: int, width: Optional[int] = None
) -> Dict[int, int]:
    """``{stitch id: classification FLOPs}`` for every active stitch of ``space``."""
    width = height if width is None else width
    return {s.id: classify_flops(space, archs, s, height, width) for s in space.stitches}



# --- whole families: every task of a FamilyConfig (dense heads counted by tracing the real head module) ---

def tap_projection_flops(cfg, stitch: Stitch, height: int, width: int, used: Iterable[int] = range(4)) -> int:
    """S→L projections of the route's small-anchor taps whose position (0..3, depth order) is in ``used``:
    ``T · D_S · D_L`` each (taps a head ignores are dead code, which tracing, like fvcore, drops)."""
    archs = cfg.anchors
    _, t = token_counts(archs[stitch.comb[0]], height, width)
    last = len(archs) - 1
    used = set(used)
    routed = route_taps(stitch, cfg.taps())
    return sum(t * archs[a].dim * archs[last].dim for q, (a, _) in enumerate(routed) if a != last and q in used)


class _PositionalHead(torch.nn.Module):
    """Adapts ``head(taps, pixels) -> dict`` to the positional-tensor call that tracing needs."""

    def __init__(self, head: torch.nn.Module):
        super().__init__()
        self.head = head

    def forward(self, pixels, *taps):
        return tuple(self.head(list(taps), pixels).values())


def dense_head_cost(cfg, task_name: str) -> Tuple[int, List[int]]:
    """(fvcore FLOPs of the task head at the task's input size, tap positions the head reads).

    One traced forward of a freshly built head at batch 1.
    """
    task = cfg.task(task_name)
    large = cfg.anchors[-1]
    h, w = task.input_hw
    _, t = token_counts(large, h, w)
    head = build_head(task, large).eval()
    taps = [torch.zeros(1, t, large.dim) for _ in range(4)]
    graph = _trace(_PositionalHead(head), torch.zeros(1, 3, h, w), *taps)
    inputs = list(graph.inputs())[1:5]  # graph inputs: pixels, the 4 taps, then parameters
    used = [q for q, value in enumerate(inputs) if value.uses()]
    return _count(graph), used


def family_flops(cfg) -> Dict[int, Dict[str, int]]:
    """``{stitch id: {task: fvcore FLOPs at the task's input size}}`` for a :class:`FamilyConfig`."""
    space = cfg.stitch_space()
    heads = {t.name: dense_head_cost(cfg, t.name) for t in cfg.tasks if t.name != "classify"}
    out: Dict[int, Dict[str, int]] = {}
    for stitch in space.stitches:
        per_task = {}
        for task in cfg.tasks:
            h, w = task.input_hw
            if task.name == "classify":
                per_task["classify"] = classify_flops(space, cfg.anchors, stitch, h, w)
            else:
                head_flops, used = heads[task.name]
                per_task[task.name] = (backbone_flops(cfg.anchors, stitch, h, w)
                                       + tap_projection_flops(cfg, stitch, h, w, used) + head_flops)
        out[stitch.id] = per_task
    return out


def family_params(cfg) -> Dict[int, int]:
    """``{stitch id: parameters}``: the route's classification parameters (:func:`classify_params`), or for a
    family without classification the route's backbone (embed, routed blocks, stitching layers)."""
    space = cfg.stitch_space()
    out = {}
    for stitch in space.stitches:
        params = classify_params(space, cfg.anchors, stitch)
        if cfg.task("classify") is None:
            params -= classify_head_params(cfg.anchors[stitch.comb[-1]], _final_norm_used(space, stitch))
        out[stitch.id] = params
    return out

# --- fvcore-equivalent counting of a real module (used for task heads and to cross-check the formulas) ---

def _shape(value):
    return value.type().sizes() if value.isCompleteTensor() else None


def _prod(dims) -> int:
    out = 1
    for d in dims:
        out *= int(d)
    return out


def _affine_norm(affine_index: int, per_element_with_affine: int):
    def count(ins, outs):
        return _prod(_shape(ins[0])) * (per_element_with_affine if _shape(ins[affine_index]) is not None else 4)
    return count


def _batch_norm(ins, outs):
    if ins[5].toIValue():  # training mode: counted like the other norms
        return _affine_norm(1, 5)(ins, outs)
    return _prod(_shape(ins[0])) * (2 if _shape(ins[1]) is not None else 1)


def _conv(ins, outs):
    x, w, out = _shape(ins[0]), _shape(ins[1]), _shape(outs[0])
    spatial = (x if ins[6].toIValue() else out)[2:]  # transposed convs count over the input positions
    return x[0] * _prod(w) * _prod(spatial)


def _einsum(ins, outs):
    equation = ins[0].toIValue().replace(" ", "")
    operands = [np.zeros(_shape(v)) for v in ins[1].node().inputs()]
    report = np.einsum_path(equation, *operands, optimize="optimal")[1]
    for line in report.split("\n"):
        if "optimized flop" in line.lower():
            return int(float(line.split(":")[-1]) // 2)  # MACs, as fvcore
    raise ValueError(f"cannot count einsum {equation!r}")


#: fvcore's default handles (``fvcore.nn.flop_count._DEFAULT_SUPPORTED_OPS``), re-expressed: op -> count.
FVCORE_HANDLES = {
    "aten::addmm": lambda i, o: _prod(_shape(i[1])) * _shape(i[2])[-1],
    "aten::bmm": lambda i, o: _prod(_shape(i[0])) * _shape(i[1])[-1],
    "aten::_convolution": _conv,
    "aten::einsum": _einsum,
    "aten::matmul": lambda i, o: _prod(_shape(i[0])) * _shape(i[1])[-1],
    "aten::linear": lambda i, o: _prod(_shape(i[0])) * _shape(i[1])[0],
    "aten::batch_norm": _batch_norm,
    "aten::group_norm": _affine_norm(2, 5),
    "aten::layer_norm": _affine_norm(2, 5),
    "aten::instance_norm": _affine_norm(1, 5),
    "aten::upsample_nearest2d": lambda i, o: _prod(_shape(o[0])),
    "aten::upsample_bilinear2d": lambda i, o: 4 * _prod(_shape(o[0])),
    "aten::adaptive_avg_pool2d": lambda i, o: _prod(_shape(i[0])),
    "aten::grid_sampler": lambda i, o: 4 * _prod(_shape(o[0])),
}


def _trace(module, *inputs):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # shape-dependent Python branches are fine here
        graph, _ = torch.jit._get_trace_graph(module, inputs)
    return graph


def _count(graph) -> int:
    total = 0
    for node in graph.nodes():
        handle = FVCORE_HANDLES.get(node.kind())
        if handle is not None:
            total += int(handle(list(node.inputs()), list(node.outputs())))
    return total


def traced_flops(module, *inputs) -> int:
    """Count ``module(*inputs)`` by tracing it and applying :data:`FVCORE_HANDLES` (what fvcore would report).

    Runs one real forward (under ``torch.no_grad``); keep inputs at batch 1 for per-image figures. Like fvcore,
    ops whose results are unused are dropped by the tracer and not counted.
    """
    return _count(_trace(module, *inputs))
