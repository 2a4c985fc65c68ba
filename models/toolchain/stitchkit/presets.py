"""Named families that the CLI can list, count, build and import into (a registry open to new entries).

Built in:

* ``deit3-s-l`` — SN-Netv2 over DeiT3-S (384-d, 12 blocks, 6 heads) and DeiT3-L (1024-d, 24 blocks, 16 heads),
  patch 16, 224 px, ImageNet-1k classification (method §1). ``--with-official-metrics`` joins the released
  per-stitch top-1/top-5 (packaged table, :mod:`stitchkit.official`).
* ``deit-ti-s-b`` — SN-Net v1 over DeiT-Ti/S/B (192/384/768-d, 12 blocks), 224 px, nearest stitching, k=2, s=1.
* ``fmnist-s-l`` — a provisional small SN-Netv2 shape for the Fashion-MNIST demo (28 px, patch 4). The demo
  owner replaces it by registering their own entry from ``stitchkit/demo/presets.py`` (imported if present).

Other modules add entries with :func:`register`.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from .anchors import AnchorConfig
from .config import FamilyConfig, TaskConfig

#: Modules imported once, if they exist, so that they can :func:`register` presets of their own; more can be
#: named (comma-separated) in the environment variable ``STITCHKIT_PRESET_MODULES``.
PLUGIN_MODULES = ("stitchkit.demo.presets",)

IMAGENET_PREPROCESS = {"fit": "cover", "kernel": "cubic", "grayscale": False, "invert": False,
                       "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
#: ImageNet-1k class names are not shipped (no offline source); labels are the class indices.
IMAGENET_LABELS = tuple(f"imagenet-{i:04d}" for i in range(1000))
FMNIST_LABELS = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot")


@dataclass(frozen=True)
class Preset:
    """A named family. ``config`` builds its :class:`FamilyConfig`; ``official_table`` names the packaged
    table (see :data:`stitchkit.official.TABLES`) whose per-id metrics ``--with-official-metrics`` joins."""

    name: str
    description: str
    config: Callable[[], FamilyConfig]
    official_table: Optional[str] = None
    real_size: bool = False  # hundreds of MB: never built by tests, never committed


_REGISTRY: Dict[str, Preset] = {}
_plugins_loaded = False


def register(preset: Preset, replace: bool = False) -> Preset:
    """Add ``preset`` to the registry; an existing name needs ``replace=True``."""
    if preset.name in _REGISTRY and not replace:
        raise ValueError(f"preset {preset.name!r} is already registered")
    _REGISTRY[preset.name] = preset
    return preset


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for module in PLUGIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the plugin exists but is broken: say so
                raise
    for module in filter(None, os.environ.get("STITCHKIT_PRESET_MODULES", "").split(",")):
        importlib.import_module(module.strip())


def names() -> List[str]:
    """Registered preset names, sorted."""
    _load_plugins()
    return sorted(_REGISTRY)


def get(name: str) -> Preset:
    """The preset called ``name``; ``KeyError`` with the known names otherwise."""
    _load_plugins()
    if name not in _REGISTRY:
        raise KeyError(f"unknown preset {name!r}; known presets: {', '.join(names())}")
    return _REGISTRY[name]


def deit3_s_l() -> FamilyConfig:
    """SN-Netv2 DeiT3-S + DeiT3-L at 224 px (ImageNet-1k heads)."""
    anchors = (AnchorConfig("DeiT3-S", dim=384, depth=12, heads=6, patch=16, img_size=224, num_classes=1000),
               AnchorConfig("DeiT3-L", dim=1024, depth=24, heads=16, patch=16, img_size=224, num_classes=1000))
    task = TaskConfig("classify", (224, 224), IMAGENET_LABELS, preprocess=dict(IMAGENET_PREPROCESS))
    return FamilyConfig("deit3-s-l", anchors, (task,), space="snnetv2", lora_r=0,
                        description="SN-Netv2 DeiT3-S + DeiT3-L, 224 px, ImageNet-1k classification")


def deit_ti_s_b() -> FamilyConfig:
    """SN-Net v1 DeiT-Ti/S/B at 224 px (nearest stitching, window k=2, stride 1: 71 configs)."""
    anchors = tuple(AnchorConfig(name, dim=d, depth=12, heads=h, patch=16, img_size=224, num_classes=1000,
                                 flavour="deit")
                    for name, d, h in (("DeiT-Ti", 192, 3), ("DeiT-S", 384, 6), ("DeiT-B", 768, 12)))
    task = TaskConfig("classify", (224, 224), IMAGENET_LABELS, preprocess=dict(IMAGENET_PREPROCESS))
    return FamilyConfig("deit-ti-s-b", anchors, (task,), space="snnetv1",
                        description="SN-Net v1 DeiT-Ti/S/B, 224 px, ImageNet-1k classification")


def fmnist_s_l() -> FamilyConfig:
    """Provisional demo shape: 48-d × 12 blocks and 96-d × 24 blocks, patch 4, 28 px Fashion-MNIST."""
    anchors = (AnchorConfig("S", dim=48, depth=12, heads=2, patch=4, img_size=28, num_classes=10),
               AnchorConfig("L", dim=96, depth=24, heads=4, patch=4, img_size=28, num_classes=10))
    task = TaskConfig("classify", (28, 28), FMNIST_LABELS, preprocess={
        "fit": "fill", "kernel": "linear", "grayscale": True, "invert": False,
        "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]})
    return FamilyConfig("fmnist-s-l", anchors, (task,), space="snnetv2",
                        description="Fashion-MNIST demo family (provisional shape)")


register(Preset("deit3-s-l", "SN-Netv2 DeiT3-S + DeiT3-L, 224 px, ImageNet-1k (134 stitches)", deit3_s_l,
                official_table="snnetv2-imagenet-s-l", real_size=True))
register(Preset("deit-ti-s-b", "SN-Net v1 DeiT-Ti/S/B, 224 px, ImageNet-1k (71 configs)", deit_ti_s_b,
                real_size=True))
register(Preset("fmnist-s-l", "Fashion-MNIST demo family, 28 px (provisional shape)", fmnist_s_l))


# --- building a preset's model ---

def build_model(preset: Preset, seed: int = 0, checkpoint=None, lora_merged: bool = False,
                progress: Optional[Callable[[str], None]] = None):
    """The preset's :class:`SNNet` in eval mode: deterministic random weights for ``seed`` (well-scaled, see
    :func:`stitchkit.tiny.randomize_`), or the ``checkpoint``'s weights (dense heads, absent from official
    checkpoints, stay random)."""
    import torch

    from .importer import import_checkpoint
    from .model import SNNet
    from .tiny import randomize_

    say = progress or (lambda _msg: None)
    cfg = preset.config()
    torch.manual_seed(seed)
    say(f"building {cfg.name}: {len(cfg.anchors)} anchors, {len(cfg.stitch_space().stitches)} stitches")
    if checkpoint is None:
        return randomize_(SNNet(cfg), seed)
    say(f"importing {checkpoint}")
    base = randomize_(SNNet(cfg), seed) if cfg.dense else None  # heads are not in official checkpoints
    return import_checkpoint(cfg, checkpoint, lora_merged=lora_merged, base=base)


def official_metrics(preset: Preset) -> Dict[int, Dict[str, Dict[str, float]]]:
    """``{stitch id: {"classify": {"top1", "top5"}}}`` from the preset's packaged official table."""
    from .official import load_table

    if preset.official_table is None:
        raise KeyError(f"preset {preset.name!r} has no official metrics table")
    table = load_table(preset.official_table)
    active = {s.id for s in preset.config().stitch_space().stitches}
    return {sid: {"classify": m} for sid, m in table.classify_metrics().items() if sid in active}


def stitch_rows(preset: Preset, cfg: Optional[FamilyConfig] = None, with_metrics: bool = True) -> List[dict]:
    """Manifest-style stitch entries (id, kind, anchors, route, stitchLayers, flops, params[, metrics])."""
    from .flops import family_flops, family_params

    cfg = cfg or preset.config()
    flops, params = family_flops(cfg), family_params(cfg)
    metrics = official_metrics(preset) if with_metrics and preset.official_table else {}
    rows = []
    for s in cfg.stitch_space().stitches:
        row = {"id": s.id, "kind": s.kind, "anchors": list(s.comb), "route": [list(r) for r in s.route],
               "stitchLayers": list(s.stitch_layer_ids), "flops": flops[s.id], "params": params[s.id]}
        if s.id in metrics:
            row["metrics"] = metrics[s.id]
        rows.append(row)
    return rows
