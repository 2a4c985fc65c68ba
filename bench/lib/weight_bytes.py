"""Prints the unique weight bytes of an ONNX graph as JSON: the sum of its initializers' data sizes.

Usage: /usr/bin/python3 bench/lib/weight_bytes.py GRAPH.onnx
External data is not loaded: its size is read from each initializer's `length` entry, so alignment padding
in the weight file (64 KiB per tensor) is not counted. Initializers inside If/Loop subgraphs are counted too.
"""
import json
import sys

import numpy as np
import onnx
from onnx import mapping


def tensor_bytes(t):
    ext = {e.key: e.value for e in t.external_data}
    if "length" in ext:
        return int(ext["length"])
    if t.raw_data:
        return len(t.raw_data)
    count = int(np.prod(t.dims)) if t.dims else 1
    return count * np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]).itemsize


def graphs(g):
    yield g
    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from graphs(attr.g)
            for sub in attr.graphs:
                yield from graphs(sub)


def main(path):
    model = onnx.load(path, load_external_data=False)
    total = 0
    count = 0
    for g in graphs(model.graph):
        for t in g.initializer:
            total += tensor_bytes(t)
            count += 1
    print(json.dumps({"initializerBytes": total, "initializers": count}))


if __name__ == "__main__":
    main(sys.argv[1])
