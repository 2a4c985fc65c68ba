"""Export the pieces of a family (embeds, blocks, stitching layers, heads) as separate ONNX graphs.

Each component is traced with ``torch.onnx.export`` (opset 17, constant folding, dynamic batch/tokens/size)
and returned as an :class:`onnx.GraphProto` whose inputs/outputs have fixed component-local names; the
composer (:mod:`stitchkit.compose`) inlines them into ``If`` branches.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import onnx
import torch
from torch import nn

from .heads import fold_batchnorm
from .model import LoRALinear, SNNet

OPSET = 17
TOKENS = {0: "batch", 1: "tokens"}
IMAGE = {0: "batch", 2: "height", 3: "width"}


@dataclass
class Component:
    """An exported piece: graph with inputs ``inputs`` and outputs ``outputs`` (component-local names)."""

    graph: onnx.GraphProto
    inputs: List[str]
    outputs: List[str]


class _Embed(nn.Module):
    def __init__(self, anchor):
        super().__init__()
        self.anchor = anchor

    def forward(self, pixels):
        return self.anchor.embed(pixels, always_resize=True)


class _Linear(nn.Module):
    """A stitching layer with its LoRA term merged exactly once (W + B A / r)."""

    def __init__(self, layer: LoRALinear):
        super().__init__()
        self.weight = nn.Parameter(layer.merged_weight().detach().clone())
        self.bias = nn.Parameter(layer.bias.detach().clone())

    def forward(self, x):
        return nn.functional.linear(x, self.weight, self.bias)


class _Token0Head(nn.Module):
    def __init__(self, head: nn.Linear):
        super().__init__()
        self.head = head

    def forward(self, x):
        return self.head(x[:, 0])


class _Dense(nn.Module):
    def __init__(self, head: nn.Module):
        super().__init__()
        self.head = fold_batchnorm(head)

    def forward(self, t0, t1, t2, t3, pixels):
        return tuple(self.head([t0, t1, t2, t3], pixels).values())


def export_graph(module: nn.Module, args: Tuple, inputs: Sequence[str], outputs: Sequence[str],
                 dynamic: Dict[str, Dict[int, str]]) -> Component:
    """Trace ``module`` (eval, no grad) to an opset-17 ONNX graph."""
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape arithmetic are expected here
        torch.onnx.export(module.eval(), args, buf, opset_version=OPSET, input_names=list(inputs),
                          output_names=list(outputs), dynamic_axes=dynamic, do_constant_folding=True)
    graph = onnx.load_from_string(buf.getvalue()).graph
    return Component(graph, list(inputs), list(outputs))


def family_components(model: SNNet) -> Dict[str, Component]:
    """Every component of ``model`` keyed by its weight-owner name (the initializer prefix).

    Keys: ``a{a}.embed``, ``a{a}.b{i}``, ``a{a}.norm``, ``a{a}.head``, ``st{g}.{k}`` (stitching layer k of
    group g) and ``head.{task}`` for dense heads.
    """
    model = model.eval()
    cfg = model.cfg
    comps: Dict[str, Component] = {}
    for a, anchor in enumerate(model.anchors):
        ac = anchor.cfg
        pixels = torch.randn(2, 3, ac.img_size, ac.img_size)
        tokens = torch.randn(2, ac.grid * ac.grid + 1, ac.dim)
        comps[f"a{a}.embed"] = export_graph(_Embed(anchor), (pixels,), ["pixels"], ["x"], {"pixels": IMAGE, "x": TOKENS})
        for i, blk in enumerate(anchor.blocks):
            comps[f"a{a}.b{i}"] = export_graph(blk, (tokens,), ["x"], ["y"], {"x": TOKENS, "y": TOKENS})
        comps[f"a{a}.norm"] = export_graph(anchor.norm, (tokens,), ["x"], ["y"], {"x": TOKENS, "y": TOKENS})
        comps[f"a{a}.head"] = export_graph(_Token0Head(anchor.head), (tokens,), ["x"], ["logits"],
                                           {"x": TOKENS, "logits": {0: "batch"}})
    for g, group in enumerate(model.space.layer_groups):
        d_in = cfg.anchors[group.src].dim
        for k in range(group.count):
            lin = _Linear(model.stitch_layers[g][k].transform)
            comps[f"st{g}.{k}"] = export_graph(lin, (torch.randn(2, 5, d_in),), ["x"], ["y"], {"x": TOKENS, "y": TOKENS})
    large = cfg.anchors[-1]
    for name, head in model.heads.items():
        task = cfg.task(name)
        h, w = task.input_hw
        taps = tuple(torch.randn(2, (h // large.patch) * (w // large.patch) + 1, large.dim) for _ in range(4))
        pixels = torch.randn(2, 3, h, w)
        outs = list(head(list(taps), pixels).keys())
        dyn = {f"t{i}": TOKENS for i in range(4)}
        dyn["pixels"] = IMAGE
        dyn.update({o: {0: "batch", 2: "rows", 3: "cols"} for o in outs})
        comps[f"head.{name}"] = export_graph(_Dense(head), taps + (pixels,), ["t0", "t1", "t2", "t3", "pixels"],
                                             outs, dyn)
    return comps
