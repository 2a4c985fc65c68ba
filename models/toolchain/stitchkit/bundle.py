"""Write a family as a stitchserve bundle directory (docs/contracts.md §1): manifest + route graph."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
from typing import Dict, Optional, Tuple

import jsonschema
import onnx

from . import __version__
from .components import OPSET
from .export import build_route_model, graph_outputs
from .external import externalize
from .model import SNNet
from .routegraph import condition_names, stitch_slot_indices

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "bundle.schema.json")
# protobuf caps one .onnx at 2 GB; above 1 GiB (real S-L: 1.34 GB) an aligned external file also lets ONNX
# Runtime memory-map the weights and start faster (docs/platform.md)
EXTERNAL_THRESHOLD = 1024 ** 3
HIGHER_IS_BETTER = {"rmse": False, "absRel": False}


def load_schema() -> dict:
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def validate_manifest(manifest: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``manifest`` breaks models/bundle.schema.json."""
    jsonschema.validate(manifest, load_schema())


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def family_costs(model: SNNet) -> Tuple[Dict[int, Dict[str, int]], Dict[int, int]]:
    """(``{stitch id: {task: fvcore FLOPs}}``, ``{stitch id: params}``) from :mod:`stitchkit.flops`.

    FLOPs are at each task's input size, batch 1; params are the route's classification parameters
    (stitching layers merged). Without the counter module every value is 0 (the fields still exist).
    """
    try:
        from .flops import family_flops, family_params
    except ImportError:
        zeros = {s.id: {t: 0 for t in model.cfg.task_names} for s in model.space.stitches}
        return zeros, {s.id: 0 for s in model.space.stitches}
    return family_flops(model.cfg), family_params(model.cfg)


def _task_entry(model: SNNet, name: str, outputs) -> dict:
    task = model.cfg.task(name)
    entry = {"condition": f"task.{name}", "input": {"height": task.input_hw[0], "width": task.input_hw[1]},
             "preprocess": dict(task.preprocess), "outputs": outputs,
             "metric": {"name": task.metric_name, "higherIsBetter": HIGHER_IS_BETTER.get(task.metric_name, True)}}
    if name != "depth":
        entry["labels"] = list(task.labels)
    if name == "depth":
        entry["depthRange"] = list(task.depth_range)
    if name == "detect":
        entry["stride"] = task.stride
    return entry


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_bundle(model: SNNet, out_dir: str, *, seed: Optional[int] = None, notes: str = "",
                 created: Optional[str] = None, external: Optional[bool] = None,
                 metrics: Optional[Dict[int, Dict[str, Dict[str, float]]]] = None,
                 external_min_bytes: int = 1024) -> dict:
    """Export ``model`` to ``out_dir`` (manifest.json, family.onnx [, family.weights]); returns the manifest.

    ``external``: force (True) or forbid (False) the external weight file; default: only above 1 GiB of weights.
    ``external_min_bytes``: smaller initializers stay inline in the graph.
    ``metrics``: optional ``{stitch id: {task: {metric: fraction}}}`` copied into the stitch table.
    """
    os.makedirs(out_dir, exist_ok=True)
    onnx_model = build_route_model(model)
    weights = sum(len(t.raw_data) for t in onnx_model.graph.initializer)
    use_external = weights > EXTERNAL_THRESHOLD if external is None else external
    graph_path = os.path.join(out_dir, "family.onnx")
    weights_path = os.path.join(out_dir, "family.weights")
    if os.path.exists(weights_path):
        os.remove(weights_path)
    if use_external:
        externalize(onnx_model, weights_path, external_min_bytes)
    onnx.save(onnx_model, graph_path)
    onnx.checker.check_model(graph_path)
    conditions = condition_names(model)
    slots = stitch_slot_indices(model, conditions)
    outputs = graph_outputs(model)
    flops, params = family_costs(model)
    stitches = []
    for s in model.space.stitches:
        entry = {"id": s.id, "kind": s.kind, "anchors": list(s.comb), "route": [list(r) for r in s.route],
                 "stitchLayers": list(s.stitch_layer_ids), "slots": slots[s.id], "params": int(params[s.id]),
                 "flops": {t: int(v) for t, v in flops[s.id].items()}}
        if metrics and s.id in metrics:
            entry["metrics"] = metrics[s.id]
        stitches.append(entry)
    files = ["family.onnx"] + (["family.weights"] if use_external else [])
    manifest = {
        "format": "stitchserve-bundle", "formatVersion": 1, "name": model.cfg.name,
        "description": model.cfg.description,
        "space": {"kind": model.space.kind, "excluded": list(model.space.excluded)},
        "anchors": [{"id": i, "name": a.name, "flavour": a.flavour, "dim": a.dim, "depth": a.depth, "heads": a.heads,
                     "mlpRatio": a.mlp_ratio, "patch": a.patch, "imgSize": a.img_size, "params": _count(m)}
                    for i, (a, m) in enumerate(zip(model.cfg.anchors, model.anchors))],
        "tasks": {t: _task_entry(model, t, outputs[t]) for t in model.cfg.task_names},
        "stitches": stitches,
        "graph": {"file": "family.onnx", "externalData": "family.weights" if use_external else None, "opset": OPSET,
                  "input": "pixels", "conditions": conditions, "taps": [list(t) for t in model.taps]},
        "files": [{"path": p, "sha256": _sha256(os.path.join(out_dir, p)),
                   "bytes": os.path.getsize(os.path.join(out_dir, p))} for p in files],
        "provenance": {"toolchain": f"stitchkit {__version__}",
                       "created": created or datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                       "seed": seed, "notes": notes},
    }
    validate_manifest(manifest)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest
