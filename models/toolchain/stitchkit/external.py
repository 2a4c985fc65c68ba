"""Move large initializers of an ONNX model into one 64 KiB-aligned external weight file.

onnx 1.12's ``save`` has no alignment option, so the ``external_data`` entries (location, offset, length) are
written here by hand. Aligned offsets let ONNX Runtime memory-map the weights read-only.
"""
from __future__ import annotations

import os

import onnx
from onnx import TensorProto, numpy_helper

ALIGN = 64 * 1024


def _raw_bytes(tensor: TensorProto) -> bytes:
    if tensor.HasField("raw_data") or tensor.raw_data:
        return tensor.raw_data
    return numpy_helper.to_array(tensor).tobytes()


def externalize(model: onnx.ModelProto, weights_path: str, min_bytes: int = 1024) -> int:
    """Write every main-graph initializer of at least ``min_bytes`` to ``weights_path`` (aligned); returns bytes.

    The tensors keep their name, type and dims; their data is replaced by ``external_data`` pointing at the
    file's basename (so the file must sit next to the ``.onnx``).
    """
    location = os.path.basename(weights_path)
    offset = 0
    with open(weights_path, "wb") as f:
        for tensor in model.graph.initializer:
            data = _raw_bytes(tensor)
            if len(data) < min_bytes:
                continue
            pad = (-offset) % ALIGN
            f.write(b"\0" * pad)
            offset += pad
            f.write(data)
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                tensor.ClearField(field)
            tensor.data_location = TensorProto.EXTERNAL
            del tensor.external_data[:]
            for key, value in (("location", location), ("offset", str(offset)), ("length", str(len(data)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            offset += len(data)
    return offset
