"""Specialise a bundle's route graph to ONE stitch and task: a plain ONNX graph without ``If`` or conditions.

Used to benchmark the route graph against a monolithic graph with the same weights (engine request in
.notes/engine.md). Every ``If`` whose condition is known is replaced by the nodes of the selected branch,
pass-through ``Identity`` chains are collapsed and unused nodes/initializers are dropped. The result has the
input ``pixels`` and the task's outputs, with the same names as in ``family.onnx``.
"""
from __future__ import annotations

import json
import os
from typing import Dict, List

import onnx
from onnx import helper

from .external import externalize

INLINE_LIMIT = int(1.5 * 1024 ** 3)


def _inline_ifs(graph: onnx.GraphProto, values: Dict[str, bool]) -> List[onnx.NodeProto]:
    nodes: List[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type == "If" and node.input[0] in values:
            attr = "then_branch" if values[node.input[0]] else "else_branch"
            branch = next(a.g for a in node.attribute if a.name == attr)
            nodes += _inline_ifs(branch, values)
            nodes += [helper.make_node("Identity", [b.name], [out]) for b, out in zip(branch.output, node.output)]
        else:
            nodes.append(node)
    return nodes


def _collapse_and_prune(nodes: List[onnx.NodeProto], outputs: List[str]) -> List[onnx.NodeProto]:
    alias: Dict[str, str] = {}

    def resolve(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    kept = []
    for node in nodes:
        node.input[:] = [resolve(v) if v else v for v in node.input]
        if node.op_type == "Identity" and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
        else:
            kept.append(node)
    needed, live = set(outputs), []
    for node in reversed(kept):
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(v for v in node.input if v)
    return list(reversed(live))


def specialise(bundle_dir: str, stitch_id: int, task: str) -> onnx.ModelProto:
    """The single-route model of ``stitch_id`` for ``task`` (weights loaded inline)."""
    with open(os.path.join(bundle_dir, "manifest.json")) as f:
        manifest = json.load(f)
    stitch = next((s for s in manifest["stitches"] if s["id"] == stitch_id), None)
    if stitch is None or task not in manifest["tasks"]:
        raise ValueError(f"bundle {manifest['name']} has no stitch {stitch_id} or no task {task!r}")
    conditions = manifest["graph"]["conditions"]
    on = {conditions[i] for i in stitch["slots"]} | {manifest["tasks"][task]["condition"]}
    values = {name: name in on for name in conditions}
    full = onnx.load(os.path.join(bundle_dir, manifest["graph"]["file"]))
    outputs = manifest["tasks"][task]["outputs"]
    nodes = _collapse_and_prune(_inline_ifs(full.graph, values), outputs)
    used = {v for n in nodes for v in n.input}
    # nested branches referenced initializers by outer-scope name; they are now plain node inputs
    inits = [t for t in full.graph.initializer if t.name in used]
    graph = helper.make_graph(nodes, f"{manifest['name']}-stitch{stitch_id}-{task}",
                              [i for i in full.graph.input if i.name == manifest["graph"]["input"]],
                              [o for o in full.graph.output if o.name in outputs], initializer=inits)
    model = helper.make_model(graph, opset_imports=list(full.opset_import), producer_name="stitchkit",
                              ir_version=full.ir_version)
    if model.ByteSize() < INLINE_LIMIT:  # the in-memory checker serialises, which fails above 2 GB
        onnx.checker.check_model(model)
    return model


def export_route(bundle_dir: str, stitch_id: int, task: str, out_path: str) -> str:
    """Write the single-route graph to ``out_path`` (weights inline, or ``<out>.weights`` above 1.5 GB)."""
    model = specialise(bundle_dir, stitch_id, task)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    if sum(len(t.raw_data) for t in model.graph.initializer) > INLINE_LIMIT:
        externalize(model, out_path + ".weights")
    onnx.save(model, out_path)
    return out_path
