"""Pareto frontiers and their plots (PNG) for the demo family: metric vs GFLOPs or vs measured latency."""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PRIMARY = {"classify": ("top1", "top-1"), "segment": ("mIoU", "mIoU"), "depth": ("delta1", "δ<1.25"),
           "detect": ("mAP50", "mAP@0.5")}
KIND_COLOURS = {"anchor": "black", "s2l": "tab:blue", "l2s": "tab:orange", "lsl": "tab:green", "sls": "tab:red"}


def pareto(points: Mapping[int, Tuple[float, float]], higher_is_better: bool = True) -> List[int]:
    """Ids on the Pareto frontier of ``{id: (cost, metric)}``: sorted by cost, each strictly better than every
    cheaper point (ties in cost keep the better metric)."""
    sign = 1.0 if higher_is_better else -1.0
    ordered = sorted(points, key=lambda i: (points[i][0], -sign * points[i][1]))
    frontier, best = [], float("-inf")
    for i in ordered:
        value = sign * points[i][1]
        if value > best:
            frontier.append(i)
            best = value
    return frontier


def _panel(ax, manifest_stitches: Sequence[dict], task: str, cost: Dict[int, float], xlabel: str) -> None:
    metric, label = PRIMARY[task]
    pts = {s["id"]: (cost[s["id"]], s["metrics"][task][metric]) for s in manifest_stitches
           if task in s.get("metrics", {}) and s["id"] in cost}
    kinds = {s["id"]: s["kind"] for s in manifest_stitches}
    for kind, colour in KIND_COLOURS.items():
        ids = [i for i in pts if kinds[i] == kind]
        if ids:
            ax.scatter([pts[i][0] for i in ids], [pts[i][1] for i in ids], s=14 if kind != "anchor" else 60,
                       c=colour, label=kind, marker="*" if kind == "anchor" else "o", alpha=0.8, zorder=3)
    front = pareto(pts)
    ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "k--", lw=1, label="frontier", zorder=2)
    ax.set_title(f"{task}: {label}")
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)


def plot_frontiers(manifest: dict, path: str, tasks: Sequence[str] = ("classify", "segment", "depth", "detect")) -> None:
    """Every stitch's primary metric vs its task GFLOPs (fvcore MACs), frontier dashed, one panel per task."""
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.6))
    for ax, task in zip(axes, tasks):
        cost = {s["id"]: s["flops"][task] / 1e9 for s in manifest["stitches"]}
        _panel(ax, manifest["stitches"], task, cost, "GFLOPs (MACs, batch 1)")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{manifest['name']}: {len(manifest['stitches'])} stitches", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency_frontiers(manifest: dict, latency_ms: Mapping[str, float], path: str, batch: int = 1) -> bool:
    """Metric vs measured latency (engine profile ``"task:stitch:batch" → ms``); False if nothing to plot."""
    tasks = [t for t in PRIMARY if any(f"{t}:{s['id']}:{batch}" in latency_ms for s in manifest["stitches"])]
    if not tasks:
        return False
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        cost = {s["id"]: latency_ms[f"{task}:{s['id']}:{batch}"] for s in manifest["stitches"]
                if f"{task}:{s['id']}:{batch}" in latency_ms}
        _panel(ax, manifest["stitches"], task, cost, f"latency (ms, batch {batch}, ORT CPU)")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_ablation(runs: Mapping[str, Mapping[int, Tuple[float, float]]], path: str, low_end: Optional[float] = None) -> None:
    """Top-1 vs GFLOPs of each sampler's stitches (``{sampler: {id: (gflops, top1)}}``) with frontiers."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for (name, pts), colour in zip(runs.items(), ("tab:blue", "tab:orange", "tab:green")):
        ax.scatter([p[0] for p in pts.values()], [p[1] for p in pts.values()], s=10, c=colour, alpha=0.45)
        front = pareto(pts)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-o", ms=3, c=colour, label=f"{name} frontier")
    if low_end is not None:
        ax.axvspan(0, low_end, color="grey", alpha=0.1, label="low-FLOPs end")
    ax.set_xlabel("GFLOPs (MACs, batch 1)")
    ax.set_ylabel("top-1 (Fashion-MNIST test)")
    ax.set_title("RCS vs uniform sampling, same budget (classification only)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
