"""Stitch spaces as plain data (SN-Net v1 and SN-Netv2), with upstream config ids.

A *stitch* (upstream: "config") is a route through a sequence of anchors: run anchor ``comb[0]``'s blocks
``route[0][0]..route[0][1]`` (inclusive), apply stitching layer ``stitch_layer_ids[0]`` of group
``layer_groups[0]``, run anchor ``comb[1]``'s blocks ``route[1]``, and so on. The last segment is followed by
no stitching layer (id ``-1``, upstream's trailing ``Identity``).

Layer groups index ``SNNet.stitch_layers``: for SN-Netv2 the group is the anchor the segment ran on
(0 = small→large layers, 1 = large→small layers); for SN-Net v1 it is the anchor-pair index
(``{"0-1": 0, "1-2": 1}`` with nearest stitching).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

KINDS = ("anchor", "s2l", "l2s", "lsl", "sls", "v1")


@dataclass(frozen=True)
class Stitch:
    """One route of a stitch space, keyed by its upstream config id."""

    id: int
    kind: str
    comb: Tuple[int, ...]
    cfgs: List[Tuple[int, int]]  # (front block inclusive, next anchor's start block) per stitch point
    stitch_layer_ids: List[int]  # per segment; the last is always -1 (no layer)
    route: List[Tuple[int, int]]  # inclusive block range per segment
    layer_groups: List[int] = field(default_factory=list)  # per segment; -1 for the last

    def stitch_points(self) -> List[Tuple[int, int]]:
        """(layer group, layer id) of every stitching layer the route applies, in order."""
        return list(zip(self.layer_groups[:-1], self.stitch_layer_ids[:-1]))


@dataclass(frozen=True)
class LayerGroup:
    """A list of stitching layers mapping anchor ``src``'s width to anchor ``dst``'s width."""

    src: int
    dst: int
    count: int


@dataclass(frozen=True)
class StitchSpace:
    """All active stitches of a family plus the upstream ids kept out (for id alignment)."""

    kind: str  # "snnetv2" | "snnetv1"
    depths: Tuple[int, ...]  # depth of each anchor, anchor id order
    stitches: List[Stitch]
    excluded: List[int]
    layer_groups: List[LayerGroup]

    def by_id(self, stitch_id: int) -> Stitch:
        for s in self.stitches:
            if s.id == stitch_id:
                return s
        raise KeyError(f"stitch id {stitch_id} is not an active stitch of this {self.kind} space")


def _route(comb: Sequence[int], cfgs: Sequence[Tuple[int, int]], depths: Sequence[int]) -> List[Tuple[int, int]]:
    starts = [0] + [c[1] for c in cfgs]
    ends = [c[0] for c in cfgs] + [depths[comb[-1]] - 1]
    return list(zip(starts, ends))


def nearest_block_map(d_small: int, d_large: int) -> List[int]:
    """m(i) = floor(i * d_small / d_large) for every large-anchor block i (nearest interpolation)."""
    return [(i * d_small) // d_large for i in range(d_large)]


def snnetv2_space(d_small: int, d_large: int) -> StitchSpace:
    """Two-way SN-Netv2 space for a (small, large) anchor pair, upstream ids and order (method §2.2).

    ids: 0 small, 1 large, then S→L, L→S, L→S→L, S→L→S. The S→L stitch with front block ``d_small-1`` keeps
    its id but is excluded (its layer still exists: dense tasks use it to project the small anchor's last tap).
    """
    if d_small < 2 or d_large < d_small or d_large not in (d_small, 2 * d_small):
        raise ValueError(f"SN-Netv2 needs depth ratio 1 or 2 with d_small >= 2, got {d_small}/{d_large}")
    r = d_large // d_small
    m = nearest_block_map(d_small, d_large)
    depths = (d_small, d_large)
    s2l = [((i, (i + 1) * r), i) for i in range(d_small)]
    l2s = [((i, m[i] + 1), i // r) for i in range(d_large - 1) if r == 1 or i % 2 == 1]
    stitches: List[Stitch] = []
    excluded: List[int] = []
    next_id = 0

    def add(kind: str, comb: Tuple[int, ...], points) -> None:
        nonlocal next_id
        cfgs = [p[0] for p in points]
        ids = [p[1] for p in points] + [-1]
        groups = list(comb[:-1]) + [-1]
        stitches.append(Stitch(next_id, kind, comb, cfgs, ids, _route(comb, cfgs, depths), groups))
        next_id += 1

    add("anchor", (0,), [])
    add("anchor", (1,), [])
    for point in s2l:
        if point[0][0] == d_small - 1:
            excluded.append(next_id)
            next_id += 1
        else:
            add("s2l", (0, 1), [point])
    for point in l2s:
        add("l2s", (1, 0), [point])
    for ls in l2s:
        for sl in s2l:
            if sl[0][0] != d_small - 1 and sl[0][0] >= ls[0][1]:
                add("lsl", (1, 0, 1), [ls, sl])
    for sl in s2l:
        for ls in l2s:
            if ls[0][0] >= sl[0][1]:
                add("sls", (0, 1, 0), [sl, ls])
    groups = [LayerGroup(0, 1, len(s2l)), LayerGroup(1, 0, max(p[1] for p in l2s) + 1)]
    return StitchSpace("snnetv2", depths, stitches, excluded, groups)


def paired_positions(depth: int, k: int = 2, s: int = 1) -> List[Tuple[Tuple[int, int], int]]:
    """v1 sliding-window stitch positions for equal-depth anchors: [((front, start), layer id)] (method §2.1)."""
    if k < 1 or s < 1:
        raise ValueError(f"kernel size and stride must be >= 1, got k={k} s={s}")
    seen: List[Tuple[int, int]] = []
    out: List[Tuple[Tuple[int, int], int]] = []
    layer = 0
    for start in range(0, depth, s):
        window = range(start, min(start + k, depth))
        added = False
        for j, mm in itertools.product(window, window):
            if (j, mm) not in seen:
                seen.append((j, mm))
                out.append(((j, mm), layer))
                added = True
        layer += int(added)
    return out


def snnetv1_space(depths: Sequence[int], k: int = 2, s: int = 1, nearest: bool = True) -> StitchSpace:
    """One-way SN-Net v1 space over equal-depth anchors sorted small→large (method §2.1).

    With ``nearest`` only neighbouring pairs (a, a+1) are stitched; otherwise every pair and every
    longer chain (a < b < c ...) is, each later stitch starting at or after the previous resume block.
    """
    if len(depths) < 2 or len(set(depths)) != 1:
        raise ValueError(f"SN-Net v1 stitching needs >= 2 anchors of equal depth, got {list(depths)}")
    n = len(depths)
    positions = paired_positions(depths[0], k, s)
    n_layers = max(p[1] for p in positions) + 1
    if nearest:
        pairs = [(a, a + 1) for a in range(n - 1)]
        combs = [(a,) for a in range(n)] + pairs
    else:
        pairs = list(itertools.combinations(range(n), 2))
        combs = [c for size in range(1, n + 1) for c in itertools.combinations(range(n), size)]
    pair_index = {p: i for i, p in enumerate(pairs)}
    stitches: List[Stitch] = []
    for comb in combs:
        if len(comb) == 1:
            stitches.append(Stitch(len(stitches), "anchor", comb, [], [-1], [(0, depths[comb[0]] - 1)], [-1]))
            continue
        for chain in _chains(positions, len(comb) - 1):
            cfgs = [p[0] for p in chain]
            ids = [p[1] for p in chain] + [-1]
            groups = [pair_index[(comb[i], comb[i + 1])] for i in range(len(comb) - 1)] + [-1]
            stitches.append(Stitch(len(stitches), "v1", comb, cfgs, ids, _route(comb, cfgs, depths), groups))
    layer_groups = [LayerGroup(a, b, n_layers) for a, b in pairs]
    return StitchSpace("snnetv1", tuple(depths), stitches, [], layer_groups)


def _chains(positions, length: int):
    """Sequences of ``length`` positions where each front block is >= the previous resume block."""
    if length == 1:
        yield from ([p] for p in positions)
        return
    for first in positions:
        for rest in _chains(positions, length - 1):
            if rest[0][0][0] >= first[0][1]:
                yield [first] + rest


def dense_taps(d_small: int, d_large: int, large_taps: Sequence[int]) -> Tuple[List[int], List[int]]:
    """Tap block indices (small, large) for dense tasks: small taps are m(l) of the large ones (method §5)."""
    m = nearest_block_map(d_small, d_large)
    if any(not 0 <= t < d_large for t in large_taps) or list(large_taps) != sorted(set(large_taps)):
        raise ValueError(f"large taps must be increasing block indices < {d_large}, got {list(large_taps)}")
    return [m[t] for t in large_taps], list(large_taps)


def default_large_taps(d_large: int) -> List[int]:
    """Four evenly spaced tap blocks ending at the last block, e.g. 24 → [5, 11, 17, 23]."""
    if d_large < 4:
        raise ValueError(f"dense tasks need a large anchor with >= 4 blocks, got {d_large}")
    return [(d_large * q) // 4 - 1 for q in (1, 2, 3, 4)]


def route_taps(stitch: Stitch, taps_per_anchor: Sequence[Sequence[int]]) -> List[Tuple[int, int]]:
    """(anchor, block) of every tapped block the route runs, in execution order."""
    out = []
    for anchor, (lo, hi) in zip(stitch.comb, stitch.route):
        out += [(anchor, b) for b in taps_per_anchor[anchor] if lo <= b <= hi]
    return out
