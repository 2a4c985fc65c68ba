"""Export a family to ONE route graph: every embed, block, stitching layer, tap and head is an ``If`` slot.

Graph inputs: ``pixels`` float32 [B, 3, H, W] and one scalar bool per name in :func:`condition_names`.
Graph outputs: every task's outputs (``classify.logits``, ``segment.logits``, ``depth.depth``,
``detect.heatmap``, ``detect.size``, ``detect.offset``); a task whose ``task.<name>`` condition is false
returns zero placeholders of shape [1, 1] (classify) or [1, 1, 1, 1] (dense outputs).

One running activation flows through the backbone slots; its width changes at stitching layers. Dense taps
are captured (copied) by ``tap{t}.*`` slots and, for small-anchor taps, projected by the S→L stitching layer of
the same index inside each dense head branch (so projections cost nothing when classifying).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import onnx
from onnx import TensorProto, helper

from .components import OPSET, Component, family_components
from .compose import GraphBuilder
from .model import SNNet
from .routegraph import backbone_slots, condition_names, head_slots

OUTPUT_RANKS = {"classify.logits": 2, "segment.logits": 4, "depth.depth": 4,
                "detect.heatmap": 4, "detect.size": 4, "detect.offset": 4}


def _tap_owner(model: SNNet, tap: int) -> str:
    """Component key of the S→L layer projecting small tap ``tap`` (same block index)."""
    return f"st0.{model.taps[0][tap]}"


def _classify_branch(b: GraphBuilder, model: SNNet, comps: Dict[str, Component], x: str):
    nodes, current = [], None
    for slot in head_slots(model):
        a = slot.anchor
        if slot.kind == "head":
            norm_nodes, (normed,) = b.inline(comps[f"a{a}.norm"], f"a{a}.norm", [x])
            head_nodes, outs = b.inline(comps[f"a{a}.head"], f"a{a}.head", [normed])
            then = (norm_nodes + head_nodes, outs)
        else:
            then = b.inline(comps[f"a{a}.head"], f"a{a}.head", [x])
        other = b.passthrough(current) if current else b.placeholder(2)
        current = b.unique("logits")
        nodes.append(b.if_node(slot.name, then, other, [current]))
    return nodes, [current]


def _dense_branch(b: GraphBuilder, model: SNNet, comps: Dict[str, Component], task: str, raw: List[str]):
    nodes, projected = [], []
    for t, value in enumerate(raw):
        out = b.unique(f"tap{t}.projected")
        then = b.inline(comps[_tap_owner(model, t)], _tap_owner(model, t), [value])
        nodes.append(b.if_node(f"tap{t}.s", then, b.passthrough(value), [out]))
        projected.append(out)
    head_nodes, outs = b.inline(comps[f"head.{task}"], f"head.{task}", projected + ["pixels"])
    return nodes + head_nodes, outs


def build_route_model(model: SNNet, comps: Optional[Dict[str, Component]] = None) -> onnx.ModelProto:
    """The family's route graph with every weight stored once as a main-graph initializer.

    ``comps`` (default: exported from ``model``) gives up its weight data to the graph.
    """
    comps = comps or family_components(model)
    b = GraphBuilder()
    nodes: List[onnx.NodeProto] = []
    x: Optional[str] = None
    raw: Dict[int, str] = {}
    for slot in backbone_slots(model):
        if slot.kind == "embed":
            owner = f"a{slot.anchor}.embed"
            then = b.inline(comps[owner], owner, ["pixels"])
            other = b.passthrough(x) if x else b.placeholder(3)
        elif slot.kind == "block":
            owner = f"a{slot.anchor}.b{slot.index}"
            then, other = b.inline(comps[owner], owner, [x]), b.passthrough(x)
        elif slot.kind == "stitch":
            owner = f"st{slot.group}.{slot.index}"
            then, other = b.inline(comps[owner], owner, [x]), b.passthrough(x)
        else:  # tap capture
            then = b.passthrough(x)
            other = b.passthrough(raw[slot.index]) if slot.index in raw else b.placeholder(3)
            raw[slot.index] = f"{slot.name}:captured"
            nodes.append(b.if_node(slot.name, then, other, [raw[slot.index]]))
            continue
        out = f"{slot.name}:x"
        nodes.append(b.if_node(slot.name, then, other, [out]))
        x = out
    outputs: List[str] = []
    for task in model.cfg.task_names:
        if task == "classify":
            then = _classify_branch(b, model, comps, x)
        else:
            then = _dense_branch(b, model, comps, task, [raw[t] for t in range(4)])
        names = [n for n in OUTPUT_RANKS if n.startswith(task + ".")]
        placeholder_nodes, placeholder_outs = [], []
        for name in names:
            ph_nodes, ph_outs = b.placeholder(OUTPUT_RANKS[name])
            placeholder_nodes += ph_nodes
            placeholder_outs += ph_outs
        nodes.append(b.if_node(f"task.{task}", then, (placeholder_nodes, placeholder_outs), names))
        outputs += names
    conditions = condition_names(model)
    inputs = [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, "height", "width"])]
    inputs += [helper.make_tensor_value_info(c, TensorProto.BOOL, []) for c in conditions]
    graph_outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None] * OUTPUT_RANKS[n]) for n in outputs]
    graph = helper.make_graph(nodes, model.cfg.name, inputs, graph_outputs)
    b.take_initializers(graph)
    # checked by the caller once saved (the in-memory checker serialises, which fails above 2 GB)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="stitchkit", ir_version=8)


def graph_outputs(model: SNNet) -> Dict[str, List[str]]:
    """``{task: output names}`` in graph order."""
    return {t: [n for n in OUTPUT_RANKS if n.startswith(t + ".")] for t in model.cfg.task_names}
