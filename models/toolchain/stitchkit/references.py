"""PyTorch reference inputs/outputs for a bundle (docs/contracts.md §1 ``references/``).

``references/index.json`` lists ``{task, stitchId, batch, input, outputs: {name: file}, dims: {name: dims}}``;
files are raw little-endian float32. Inputs are already-preprocessed ``pixels`` tensors, uniform in [-1, 1],
shared by every case with the same (height, width, batch).
"""
from __future__ import annotations

import json
import os
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from .model import SNNet

Case = Tuple[int, str, int]  # (stitch id, task, batch)


def representative_stitches(model: SNNet) -> List[int]:
    """Every anchor plus the first stitch of every other kind."""
    ids: List[int] = []
    kinds: Dict[str, List[int]] = {}
    for s in model.space.stitches:
        kinds.setdefault(s.kind, []).append(s.id)
    for kind, members in kinds.items():
        picked = members if kind == "anchor" else members[:1]
        ids += [i for i in picked if i not in ids]
    return sorted(ids)


def default_cases(model: SNNet, batches: Sequence[int] = (1, 3)) -> List[Case]:
    """Classification: every stitch; dense tasks: :func:`representative_stitches`; each at every batch size."""
    cases: List[Case] = []
    every = [s.id for s in model.space.stitches]
    dense = representative_stitches(model)
    for task in model.cfg.task_names:
        for sid in every if task == "classify" else dense:
            cases += [(sid, task, b) for b in batches]
    return cases


def _write(path: str, tensor: torch.Tensor) -> None:
    tensor.detach().numpy().astype("<f4").tofile(path)


@torch.no_grad()
def write_references(model: SNNet, bundle_dir: str, cases: Sequence[Case], seed: int = 0) -> List[dict]:
    """Run ``cases`` in PyTorch and write ``<bundle_dir>/references/``; returns the index entries."""
    ref_dir = os.path.join(bundle_dir, "references")
    os.makedirs(ref_dir, exist_ok=True)
    model = model.eval()
    inputs: Dict[Tuple[int, int, int], Tuple[str, torch.Tensor]] = {}
    index = []
    for k, (sid, task, batch) in enumerate(cases):
        h, w = model.cfg.task(task).input_hw
        key = (h, w, batch)
        if key not in inputs:
            gen = torch.Generator().manual_seed(seed * 1000 + len(inputs))
            pixels = torch.rand(batch, 3, h, w, generator=gen) * 2 - 1
            name = f"in_{h}x{w}_b{batch}.bin"
            _write(os.path.join(ref_dir, name), pixels)
            inputs[key] = (name, pixels)
        in_name, pixels = inputs[key]
        out = model.run(pixels, sid, task)
        files, dims = {}, {"pixels": list(pixels.shape)}
        for out_name, tensor in out.items():
            files[out_name] = f"out_{k}_{out_name.split('.', 1)[1]}.bin"
            dims[out_name] = list(tensor.shape)
            _write(os.path.join(ref_dir, files[out_name]), tensor)
        index.append({"task": task, "stitchId": sid, "batch": batch, "input": in_name, "outputs": files, "dims": dims})
    with open(os.path.join(ref_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    return index


def read_tensor(path: str, dims: Sequence[int]) -> np.ndarray:
    """A reference file as a float32 array of shape ``dims``."""
    return np.fromfile(path, dtype="<f4").reshape(dims)
