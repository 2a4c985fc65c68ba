"""Compose exported components into one ONNX graph of ``If`` slots (weights as main-graph initializers).

Names: an inlined component's initializers are prefixed with its *owner* key (so two instances of the same
component, e.g. a stitching layer used as a stitch and as a tap projection, share one initializer), its
intermediate values with the *instance* name (unique per use, as ONNX forbids shadowing across subgraphs).
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import onnx
from onnx import TensorProto, helper

from .components import Component


class GraphBuilder:
    """Collects main-graph initializers (deduplicated by name) and builds branch graphs."""

    def __init__(self):
        self.initializers: Dict[str, TensorProto] = {}
        self._counter = 0

    def unique(self, stem: str) -> str:
        self._counter += 1
        return f"{stem}#{self._counter}"

    def inline(self, comp: Component, owner: str, inputs: Sequence[str]) -> Tuple[List[onnx.NodeProto], List[str]]:
        """Nodes computing ``comp`` on outer values ``inputs``; returns (nodes, output names).

        The component's initializer data is *moved* into the builder (cleared in ``comp``) to keep one copy of
        the weights in memory; inline each component only into this builder.
        """
        inst = self.unique(owner)
        rename: Dict[str, str] = {"": ""}
        for local, outer in zip(comp.inputs, inputs):
            rename[local] = outer
        for init in comp.graph.initializer:
            name = f"{owner}/{init.name}"
            rename[init.name] = name
            if name not in self.initializers:
                tensor = TensorProto()
                tensor.CopyFrom(init)
                tensor.name = name
                self.initializers[name] = tensor
                init.ClearField("raw_data")  # moved: later instances of this owner only need the name

        def mapped(value: str) -> str:
            if value not in rename:
                rename[value] = f"{inst}/{value}"
            return rename[value]

        nodes = []
        for node in comp.graph.node:
            if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
                raise ValueError(f"component {owner} has a nested subgraph ({node.op_type}); not supported")
            new = onnx.NodeProto()
            new.CopyFrom(node)
            new.name = f"{inst}/{node.name or node.op_type}"
            new.input[:] = [mapped(v) for v in node.input]
            new.output[:] = [mapped(v) for v in node.output]
            nodes.append(new)
        return nodes, [mapped(o) for o in comp.outputs]

    def take_initializers(self, graph: onnx.GraphProto) -> None:
        """Move every collected initializer into ``graph`` (one tensor copied at a time)."""
        for name in list(self.initializers):
            graph.initializer.add().CopyFrom(self.initializers.pop(name))

    def passthrough(self, value: str) -> Tuple[List[onnx.NodeProto], List[str]]:
        """An ``Identity`` (a branch may not return an outer-scope value directly)."""
        out = self.unique(f"{value}.pass")
        return [helper.make_node("Identity", [value], [out], name=out)], [out]

    def placeholder(self, rank: int) -> Tuple[List[onnx.NodeProto], List[str]]:
        """A zero tensor of shape [1]*rank standing in for an output that is not computed."""
        out = self.unique("placeholder")
        value = helper.make_tensor(out + ".value", TensorProto.FLOAT, [1] * rank, [0.0])
        return [helper.make_node("Constant", [], [out], name=out, value=value)], [out]

    def branch(self, name: str, nodes: List[onnx.NodeProto], outputs: Sequence[str]) -> onnx.GraphProto:
        info = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
        return helper.make_graph(nodes, name, [], info)

    def if_node(self, cond: str, then: Tuple[List[onnx.NodeProto], List[str]],
                other: Tuple[List[onnx.NodeProto], List[str]], outputs: Sequence[str]) -> onnx.NodeProto:
        """``outputs = cond ? then : other`` where each side is (nodes, output names)."""
        name = self.unique(f"if[{cond}]")
        return helper.make_node("If", [cond], list(outputs), name=name,
                                then_branch=self.branch(name + ".then", *then),
                                else_branch=self.branch(name + ".else", *other))
