"""Markdown tables from a demo bundle's report.json (for docs/demo-family.md and models/README.md).

    PYTHONPATH=models/toolchain /usr/bin/python3 -m stitchkit.demo.summary models/fmnist-s-l
"""
from __future__ import annotations

import json
import os
import sys
from typing import List

from .fmnist import LABELS
from .metrics import z_score

TASK_METRICS = {"classify": ("top1", "top5"), "segment": ("mIoU", "pixelAcc"), "depth": ("delta1", "absRel", "rmse"),
                "detect": ("mAP50", "mAP")}


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _fmt(v: float) -> str:
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"


def headline_table(report: dict) -> List[str]:
    """Per task: S anchor, L anchor and the trivial baseline, every metric."""
    base = report["baselines"]
    lines = [_row(["task", "metric", "S anchor (id 0)", "L anchor (id 1)", "trivial baseline"]), _row(["---"] * 5)]
    for task, metrics in TASK_METRICS.items():
        b = base["depth_mean_map"] if task == "depth" else base[task]
        for m in metrics:
            h = report["headline"][task]
            lines.append(_row([task, m, _fmt(h["small"][m]), _fmt(h["large"][m]), _fmt(b[m]) if m in b else "—"]))
    return lines


def frontier_table(report: dict) -> List[str]:
    """The Pareto frontier of each task's primary metric (id @ MFLOPs → value)."""
    lines = [_row(["task", "frontier (stitch id: MFLOPs → metric)"]), _row(["---"] * 2)]
    for task, entry in report["headline"].items():
        metric = [k for k in entry["frontier"][0] if k not in ("id", "gflops")][0]
        pts = ", ".join(f"{p['id']}: {p['gflops'] * 1e3:.1f} → {p[metric]:.3f}" for p in entry["frontier"])
        lines.append(_row([f"{task} ({metric})", pts]))
    return lines


def gap_table(report: dict) -> List[str]:
    """L anchor − S anchor per dense metric with its paired-bootstrap noise (``report.json → anchorGaps``)."""
    gaps = report.get("anchorGaps")
    if not gaps:
        return ["(no anchor gaps)"]
    lines = [_row(["test scenes", "metric", "S", "L", "L − S", "sd of the gap", "gap / sd", "resamples with L not ahead"]),
             _row(["---"] * 8)]
    for n, metrics in gaps.items():
        for m, r in metrics.items():
            lines.append(_row([n, m, f"{r['a']:.4f}", f"{r['b']:.4f}", f"{r['gap']:+.4f}", f"{r['sd']:.4f}",
                               f"{z_score(m, r):+.1f}", f"{r['share_not_ahead']:.1%}"]))
    return lines


def ablation_table(report: dict) -> List[str]:
    ab = report.get("ablation")
    if not ab:
        return ["(no ablation results)"]
    lines = [_row(["budget (MFLOPs)", "best top-1, RCS", "best top-1, uniform"]), _row(["---"] * 3)]
    for r in ab["budgets"]:
        lines.append(_row([f"{r['gflops'] * 1e3:.2f}", f"{r['rcs']:.4f}", f"{r['uniform']:.4f}"]))
    m = ab["meanBestTop1"]
    lines.append(_row(["mean over budgets", f"{m['rcs']:.4f}", f"{m['uniform']:.4f}"]))
    low = ab.get("stitchedLowEnd")
    if low and low["meanTop1"]:
        lines.append(_row([f"mean of the {len(low['ids'])} stitched (non-anchor) models ≤ "
                           f"{ab['limitGflops'] * 1e3:.2f} MFLOPs", f"{low['meanTop1']['rcs']:.4f}",
                           f"{low['meanTop1']['uniform']:.4f}"]))
    return lines


def stats_table(report: dict) -> List[str]:
    lines = [_row(["", "train scenes", "test scenes"]), _row(["---"] * 3)]
    tr, te = report["scenes"]["train"], report["scenes"]["test"]
    q = lambda d: " / ".join(f"{v:.1f}" for v in d["p5_p50_p95"])  # noqa: E731
    lines.append(_row(["scenes (48×48)", tr["scenes"], te["scenes"]]))
    counts = "/".join(str(k) for k in tr["itemsPerScene"])
    lines.append(_row([f"scenes with {counts} items", "/".join(map(str, tr["itemsPerScene"].values())),
                       "/".join(map(str, te["itemsPerScene"].values()))]))
    lines.append(_row(["visible boxes per scene", f"{tr['visibleBoxesPerScene']:.2f}", f"{te['visibleBoxesPerScene']:.2f}"]))
    lines.append(_row(["items too occluded for a box", f"{tr['itemsDroppedFromDetection']:.1%}",
                       f"{te['itemsDroppedFromDetection']:.1%}"]))
    lines.append(_row(["box side √(wh), px, p5/p50/p95", q(tr["boxSidePx"]), q(te["boxSidePx"])]))
    lines.append(_row(["item pixel depth, m, p5/p50/p95", q(tr["itemDepthM"]), q(te["itemDepthM"])]))
    lines.append(_row(["background depth, m, p5/p50/p95", q(tr["backgroundDepthM"]), q(te["backgroundDepthM"])]))
    lines.append(_row(["background pixel share", f"{tr['pixelShare']['background']:.1%}",
                       f"{te['pixelShare']['background']:.1%}"]))
    per_class = ", ".join(f"{n} {te['pixelShare'][n]:.1%}" for n in LABELS)
    lines.append(_row(["item pixel share per class (test)", "", per_class]))
    return lines


def main(argv=None) -> None:
    bundle = (argv or sys.argv[1:] or ["models/fmnist-s-l"])[0]
    with open(os.path.join(bundle, "report.json")) as f:
        report = json.load(f)
    for title, table in (("Headline", headline_table), ("Anchor gaps", gap_table), ("Frontiers", frontier_table),
                         ("Ablation", ablation_table),
                         ("Scenes", stats_table)):
        print(f"### {title}\n")
        print("\n".join(table(report)) + "\n")
    secs = report["trainingSeconds"]
    print("### Wall-clock per stage (minutes)\n")
    print("\n".join([_row(["stage", "minutes"]), _row(["---"] * 2)] +
                    [_row([k, f"{v['seconds'] / 60:.1f}"]) for k, v in secs.items()]))


if __name__ == "__main__":
    main()
