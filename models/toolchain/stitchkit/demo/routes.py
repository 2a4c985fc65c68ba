"""Run many stitches over the same inputs cheaply: every route's first segment is a prefix of one anchor's run.

:class:`PrefixCache` runs each anchor once over an input chunk and keeps the tokens after every block (and
the projected dense taps); :func:`run_route` then starts a stitch from its first segment's cached output and
runs only the rest. The arithmetic is exactly :meth:`stitchkit.model.SNNet.backbone`'s (same modules, same
order), so results match a plain forward.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch

from stitchkit.model import SNNet
from stitchkit.spaces import Stitch


class PrefixCache:
    """Tokens after each block of each anchor's full run on ``pixels`` (plus taps when ``dense``)."""

    @torch.no_grad()
    def __init__(self, model: SNNet, pixels: torch.Tensor, dense: bool, anchors=None):
        self.model, self.pixels, self.dense = model, pixels, dense
        self.after: Dict[int, List[torch.Tensor]] = {}
        self.taps: Dict[int, Dict[int, torch.Tensor]] = {}
        for a in anchors if anchors is not None else range(len(model.anchors)):
            x = model.anchors[a].embed(pixels)
            outs, taps = [], {}
            for b, blk in enumerate(model.anchors[a].blocks):
                x = blk(x)
                outs.append(x)
                if dense and b in model.taps[a]:
                    taps[b] = model.tap_projection(a, b)(x)
            self.after[a], self.taps[a] = outs, taps


@torch.no_grad()
def run_route(cache: PrefixCache, stitch: Stitch) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """(final tokens, large-width taps in depth order) of ``stitch`` on the cached inputs."""
    model = cache.model
    first, (lo, hi) = stitch.comb[0], stitch.route[0]
    if lo != 0:
        raise ValueError(f"stitch {stitch.id}: a route starts at block 0 of its first anchor")
    x = cache.after[first][hi]
    taps = [cache.taps[first][b] for b in sorted(cache.taps[first]) if b <= hi] if cache.dense else []
    segments = list(zip(stitch.comb, stitch.route, stitch.layer_groups, stitch.stitch_layer_ids))
    for i, (anchor, (lo, hi), group, layer) in enumerate(segments):
        if i > 0:
            for b in range(lo, hi + 1):
                x = model.anchors[anchor].blocks[b](x)
                if cache.dense and b in model.taps[anchor]:
                    taps.append(model.tap_projection(anchor, b)(x))
        if layer != -1:
            x = model.stitch_layers[group][layer](x)
    return x, taps


@torch.no_grad()
def task_outputs(cache: PrefixCache, stitch: Stitch, tasks) -> Dict[str, Dict[str, torch.Tensor]]:
    """``{task: graph outputs}`` of ``stitch`` for each of ``tasks`` (one backbone pass shared by all)."""
    x, taps = run_route(cache, stitch)
    model, out = cache.model, {}
    for task in tasks:
        if task == "classify":
            out[task] = {"classify.logits": model.anchors[stitch.comb[-1]].classify(x, model.final_norm_used(stitch))}
        else:
            out[task] = model.heads[task](taps, cache.pixels)
    return out
