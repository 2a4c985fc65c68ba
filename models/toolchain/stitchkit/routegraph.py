"""The slot plan of a family's route graph: one boolean condition per ``If`` slot, in a topological order.

Slots (condition names):

* ``a{a}.embed`` — patch embedding + cls + position embedding of anchor a (only the route's first anchor runs);
* ``a{a}.b{i}`` — block i of anchor a;
* ``s2l.{k}`` / ``l2s.{k}`` (SN-Netv2) or ``v1.{src}-{dst}.{k}`` (SN-Net v1) — stitching layer k of a group;
* ``tap{t}.s`` / ``tap{t}.l`` — dense tap t captured after the small / large anchor's tap block (a small tap is
  projected to the large width by the S→L layer of the same block index inside the dense heads);
* ``a{a}.head`` — the classifier of anchor a (final norm + head on token 0); SN-Net v1 stitched routes use
  ``a{a}.head.nonorm`` (no final norm, upstream quirk).

Order: SN-Netv2 slots are sorted by normalised depth (block i of an anchor of depth d ends at (i+1)/d; a tap
capture follows its block; a stitching layer follows its front block), which makes every route a subsequence.
SN-Net v1 routes visit anchors in increasing order, so slots are grouped anchor by anchor. Heads come last.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, List, Tuple

from .model import SNNet
from .spaces import Stitch


@dataclass(frozen=True)
class Slot:
    """One ``If`` slot. ``kind``: embed | block | stitch | tap | head | head.nonorm."""

    name: str
    kind: str
    anchor: int = -1
    index: int = -1  # block index, stitching-layer id or tap number
    group: int = -1  # stitching-layer group


def stitch_slot_name(model: SNNet, group: int, layer: int) -> str:
    if model.space.kind == "snnetv2":
        return f"{('s2l', 'l2s')[group]}.{layer}"
    g = model.space.layer_groups[group]
    return f"v1.{g.src}-{g.dst}.{layer}"


def _front_block(model: SNNet, group: int, layer: int) -> int:
    """The front-anchor block after which stitching layer ``layer`` of ``group`` is applied (SN-Netv2)."""
    d0, d1 = model.space.depths
    if group == 0:
        return layer
    return layer if d0 == d1 else 2 * layer + 1


def backbone_slots(model: SNNet) -> List[Slot]:
    """Embed, block, stitch and tap slots in topological order."""
    keyed: List[Tuple[tuple, Slot]] = []
    v2 = model.space.kind == "snnetv2"
    depths = model.space.depths
    for a in range(len(depths)):
        keyed.append(((-1, 0, a), Slot(f"a{a}.embed", "embed", a)))
        for i in range(depths[a]):
            key = (Fraction(i + 1, depths[a]), 0, a) if v2 else (a, 0, i)
            keyed.append((key, Slot(f"a{a}.b{i}", "block", a, i)))
    for g, group in enumerate(model.space.layer_groups):
        for k in range(group.count):
            key = (Fraction(_front_block(model, g, k) + 1, depths[group.src]), 2, g) if v2 else (group.src, 1, g, k)
            keyed.append((key, Slot(stitch_slot_name(model, g, k), "stitch", group.src, k, g)))
    for a, taps in enumerate(model.taps):
        side = "s" if a == 0 else "l"
        for t, block in enumerate(taps):
            keyed.append(((Fraction(block + 1, depths[a]), 1, a), Slot(f"tap{t}.{side}", "tap", a, t)))
    keyed.sort(key=lambda item: item[0])
    return [slot for _, slot in keyed]


def head_slots(model: SNNet) -> List[Slot]:
    if "classify" not in model.cfg.task_names:
        return []
    slots = [Slot(f"a{a}.head", "head", a) for a in range(len(model.anchors))]
    if model.space.kind == "snnetv1":
        slots += [Slot(f"a{a}.head.nonorm", "head.nonorm", a) for a in range(len(model.anchors))]
    return slots


def route_sequence(model: SNNet, stitch: Stitch) -> List[str]:
    """Slot names the route runs, in execution order (backbone and taps, then the classifier)."""
    seq = [f"a{stitch.comb[0]}.embed"]
    for anchor, (lo, hi), group, layer in zip(stitch.comb, stitch.route, stitch.layer_groups, stitch.stitch_layer_ids):
        for b in range(lo, hi + 1):
            seq.append(f"a{anchor}.b{b}")
            if b in model.taps[anchor]:
                seq.append(f"tap{model.taps[anchor].index(b)}.{'s' if anchor == 0 else 'l'}")
        if layer != -1:
            seq.append(stitch_slot_name(model, group, layer))
    if "classify" in model.cfg.task_names:
        seq.append(f"a{stitch.comb[-1]}.head" + ("" if model.final_norm_used(stitch) else ".nonorm"))
    return seq


def condition_names(model: SNNet) -> List[str]:
    """All graph condition inputs: ``task.<name>`` first, then every slot in plan order."""
    return [f"task.{t}" for t in model.cfg.task_names] + [s.name for s in backbone_slots(model) + head_slots(model)]


def stitch_slot_indices(model: SNNet, conditions: List[str]) -> Dict[int, List[int]]:
    """``{stitch id: sorted condition indices}``; checks that every route runs in plan order."""
    position = {name: i for i, name in enumerate(conditions)}
    out = {}
    for stitch in model.space.stitches:
        idx = [position[name] for name in route_sequence(model, stitch)]
        if idx != sorted(idx) or len(set(idx)) != len(idx):
            raise AssertionError(f"stitch {stitch.id}: route is not a subsequence of the slot order")
        out[stitch.id] = idx
    return out
