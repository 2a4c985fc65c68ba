"""Import official SN-Netv2 ImageNet and SN-Net v1 DeiT checkpoints into :class:`stitchkit.model.SNNet`.

Accepted files: ``torch.save`` of ``{'model': state_dict}`` (as released), ``{'state_dict': ...}`` or a bare state
dict; a ``module.`` (DDP) prefix is stripped. Keys (method §8):

* anchors: ``anchors.{a}.`` + official DeiT-III (v2) or timm DeiT (v1) names, identical to our anchors';
* SN-Netv2 stitching layers: ``stitch_layers.{0,1}.{k}.transform.{weight, bias, lora_A, lora_B}``; the trailing
  ``Identity`` entries have no keys. Saved unmerged (train mode), so ``W_eff = weight + lora_B @ lora_A / r``
  (lora_alpha = 1) is computed here, exactly once, in float64;
* SN-Net v1 stitching layers: ``stitch_layers.{p}.{k}.transform.{weight, bias}``;
* optionally ``heads.{segment,depth,detect}.*`` (stitchkit's own checkpoints), loaded when present.

The imported model holds merged plain Linears (``lora_r = 0``), so export cannot merge again. Every key and
shape is checked; errors name the offending key. If a checkpoint was saved after upstream's ``.eval()`` (LoRA
already merged into ``weight``), pass ``lora_merged=True`` so the LoRA term is not added a second time.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import torch

from .config import FamilyConfig
from .model import SNNet

_STITCH_KEY = re.compile(r"^stitch_layers\.(\d+)\.(\d+)\.transform\.(weight|bias|lora_A|lora_B)$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the family (the message names the key)."""


def read_state_dict(path) -> Dict[str, torch.Tensor]:
    """Load a checkpoint file on CPU and return its model state dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist or is not a file")
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as exc:  # torch raises many types for corrupt/foreign files
        raise CheckpointError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from None
    return unwrap_state_dict(obj, str(path))


def unwrap_state_dict(obj, where: str = "checkpoint") -> Dict[str, torch.Tensor]:
    """``{'model': sd}`` / ``{'state_dict': sd}`` / ``sd`` → ``sd`` (tensors only, ``module.`` prefix removed)."""
    if isinstance(obj, Mapping):
        for wrapper in ("model", "state_dict"):
            if wrapper in obj and isinstance(obj[wrapper], Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(f"{where}: expected a state dict or {{'model': state_dict}}, got {type(obj).__name__}")
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{where}: key {key!r} is a {type(value).__name__}, not a tensor")
    if all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return dict(obj)


def _check_shape(key: str, got: torch.Tensor, want: Tuple[int, ...]) -> None:
    if tuple(got.shape) != tuple(want):
        raise CheckpointError(f"key {key!r}: shape {tuple(got.shape)} in the checkpoint, family expects {tuple(want)}")


def _stitch_entries(sd: Mapping[str, torch.Tensor]) -> Dict[Tuple[int, int], Dict[str, torch.Tensor]]:
    layers: Dict[Tuple[int, int], Dict[str, torch.Tensor]] = {}
    for key, value in sd.items():
        m = _STITCH_KEY.match(key)
        if m:
            layers.setdefault((int(m.group(1)), int(m.group(2))), {})[m.group(3)] = value
    return layers


def merge_lora(prefix: str, parts: Mapping[str, torch.Tensor], lora_merged: bool) -> torch.Tensor:
    """``weight + lora_B @ lora_A / r`` (or ``weight`` alone without LoRA keys or when already merged)."""
    w = parts["weight"]
    has_a, has_b = "lora_A" in parts, "lora_B" in parts
    if has_a != has_b:
        missing = f"{prefix}.lora_B" if has_a else f"{prefix}.lora_A"
        raise CheckpointError(f"missing key {missing!r} (LoRA needs both lora_A and lora_B)")
    if not has_a or lora_merged:
        return w.float()
    a, b = parts["lora_A"], parts["lora_B"]
    r = a.shape[0]
    _check_shape(f"{prefix}.lora_A", a, (r, w.shape[1]))
    _check_shape(f"{prefix}.lora_B", b, (w.shape[0], r))
    return (w.double() + (b.double() @ a.double()) / r).float()


def convert_state_dict(sd: Mapping[str, torch.Tensor], model: SNNet, lora_merged: bool = False) -> Dict[str, torch.Tensor]:
    """Map an official state dict onto ``model.state_dict()`` names and shapes (strict, LoRA merged once)."""
    expected = model.state_dict()
    out: Dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        if key.startswith(("anchors.", "heads.")):
            if key not in expected:
                raise CheckpointError(f"unexpected key {key!r}: the family has no such parameter")
            _check_shape(key, value, expected[key].shape)
            out[key] = value.float()
        elif not _STITCH_KEY.match(key):
            raise CheckpointError(f"unexpected key {key!r}: neither an anchor nor a stitching-layer parameter")
    for (group, layer), parts in sorted(_stitch_entries(sd).items()):
        prefix = f"stitch_layers.{group}.{layer}.transform"
        for name in ("weight", "bias"):
            if f"{prefix}.{name}" not in expected:
                raise CheckpointError(f"unexpected key {prefix + '.' + name!r}: the family has no such stitching layer")
            if name not in parts:
                raise CheckpointError(f"missing key {prefix + '.' + name!r}")
        _check_shape(f"{prefix}.weight", parts["weight"], expected[f"{prefix}.weight"].shape)
        _check_shape(f"{prefix}.bias", parts["bias"], expected[f"{prefix}.bias"].shape)
        out[f"{prefix}.weight"] = merge_lora(prefix, parts, lora_merged)
        out[f"{prefix}.bias"] = parts["bias"].float()
    for key in expected:
        if key not in out and (key.startswith("anchors.") or key.startswith("stitch_layers.")):
            raise CheckpointError(f"missing key {key!r} in the checkpoint")
    return out


def import_checkpoint(cfg: FamilyConfig, checkpoint, lora_merged: bool = False,
                      base: Optional[SNNet] = None) -> SNNet:
    """Build a merged-form SNNet for ``cfg`` and load ``checkpoint`` (a path or a state dict) into it.

    Dense-head parameters (``heads.*``, absent from official checkpoints but present in stitchkit's own) are
    loaded when the checkpoint has them; otherwise they keep the values of ``base`` if given, else their fresh
    initialisation. The result is in eval mode.
    """
    sd = read_state_dict(checkpoint) if isinstance(checkpoint, (str, Path)) else unwrap_state_dict(checkpoint)
    model = SNNet(dataclasses.replace(cfg, lora_r=0))
    if base is not None:
        own = model.state_dict()
        model.load_state_dict({k: v for k, v in base.state_dict().items() if k.startswith("heads.") and k in own},
                              strict=False)
    tensors = convert_state_dict(sd, model, lora_merged)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected:
        raise CheckpointError(f"unexpected key {unexpected[0]!r}")
    return model.eval()
