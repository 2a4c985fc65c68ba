"""Final stage: evaluate every stitch, export the bundle with its metrics, draw plots and samples, write report.json.

Results that take long (per-stitch metrics, baselines) are cached as JSON in the checkpoint directory so a
re-run only redoes the cheap export steps.
"""
from __future__ import annotations

import json
import os
from typing import Callable, Dict, Optional

from stitchkit.bundle import write_bundle
from stitchkit.model import SNNet

from .ablation import LOW_END_SHARE
from .baselines import trivial_baselines
from .family import SCENE
from .fixture import DEFAULT_DIR as FIXTURE_DIR
from .fixture import write_fixture
from .gap import anchor_gaps
from .procs import run_parallel
from .plots import PRIMARY, pareto, plot_ablation, plot_frontiers, plot_latency_frontiers
from .samples import classify_samples, dense_samples
from .scenestats import scene_statistics

MAX_BUNDLE_BYTES = 30 * 1024 * 1024
EVAL_PARTS = 3  # child processes sharing the per-stitch evaluation
# the anchors' L−S gaps are also measured on this many test scenes: the paired noise of a gap on 200 scenes is of
# the order of the gaps themselves (mAP@0.5 sd ≈ 0.015), on 1000 scenes ≈ 2.2× smaller
GAP_SCENES = 1000


def cached_json(path: str, compute: Callable[[], dict], int_keys: bool = False) -> dict:
    """Load ``path`` if present, else compute and store it (``int_keys``: restore integer stitch ids)."""
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        return {int(k): v for k, v in data.items()} if int_keys else data
    data = compute()
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    return data


def low_end_summary(runs: Dict[str, Dict[int, float]], flops: Dict[int, int], share: float = LOW_END_SHARE) -> dict:
    """Best top-1 within each FLOPs budget of the low end (cheapest ``share`` of the range), per sampler."""
    lo, hi = min(flops.values()), max(flops.values())
    limit = lo + share * (hi - lo)
    budgets = sorted({f for f in flops.values() if f <= limit})
    table = []
    for b in budgets:
        row = {"gflops": b / 1e9}
        for name, top1 in runs.items():
            row[name] = max(v for sid, v in top1.items() if flops[sid] <= b)
        table.append(row)
    means = {name: sum(r[name] for r in table) / len(table) for name in runs}
    # the S anchor caps every budget's best; the stitched models themselves show what the sampler did for them
    stitched = sorted(sid for sid, f in flops.items() if f <= limit and sid not in (0, 1)
                      and all(sid in top1 for top1 in runs.values()))
    stitched_means = {name: sum(top1[sid] for sid in stitched) / len(stitched) for name, top1 in runs.items()} \
        if stitched else {}
    return {"limitGflops": limit / 1e9, "budgets": table, "meanBestTop1": means,
            "stitchedLowEnd": {"ids": stitched, "meanTop1": stitched_means}}


def headline(manifest: dict) -> dict:
    """Anchor and frontier numbers per task (for the README and the report)."""
    out = {}
    by_id = {s["id"]: s for s in manifest["stitches"]}
    for task, (metric, _) in PRIMARY.items():
        pts = {s["id"]: (s["flops"][task], s["metrics"][task][metric]) for s in manifest["stitches"]
               if task in s.get("metrics", {})}
        front = pareto(pts)
        out[task] = {"small": by_id[0]["metrics"][task], "large": by_id[1]["metrics"][task],
                     "frontier": [{"id": i, "gflops": pts[i][0] / 1e9, metric: pts[i][1]} for i in front]}
    return out


def find_latency_profile(out_dir: str) -> Optional[Dict[str, float]]:
    """An engine latency profile (``{"task:stitch:batch": ms}``) saved next to the bundle, if any."""
    path = os.path.join(out_dir, "plots", "latency-profile.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def export_all(model: SNNet, out_dir: str, ckpt_dir: str, stages, *, seed: int, eval_images: int, eval_scenes: int,
               joint: Dict[str, object], final_tag: str, fixtures_dir: str = FIXTURE_DIR, log=print) -> dict:
    """Metrics → bundle → plots → samples → report.json; returns the manifest."""
    model.eval()

    def evaluate() -> dict:
        log(f"evaluating {len(model.space.stitches)} stitches in {EVAL_PARTS} processes: classify on {eval_images} "
            f"test images, dense tasks on {eval_scenes} test scenes")
        part_file = lambda p: os.path.join(ckpt_dir, f"metrics-{final_tag}-part{p}.json")  # noqa: E731
        parts = [p for p in range(EVAL_PARTS) if not os.path.exists(part_file(p))]
        run_parallel([["stitchkit.demo.evaluate", "--ckpt-dir", ckpt_dir, "--tag", final_tag, "--part", str(p),
                       "--parts", str(EVAL_PARTS), "--images", str(eval_images), "--scenes", str(eval_scenes),
                       "--seed", str(seed)] for p in parts],
                     [os.path.join(ckpt_dir, f"evaluate-{final_tag}-part{p}.log") for p in parts])
        out = {}
        for p in range(EVAL_PARTS):
            with open(part_file(p)) as f:
                out.update({int(k): v for k, v in json.load(f).items()})
        return out

    metrics = stages.run("evaluate", cached_json, os.path.join(ckpt_dir, f"metrics-{final_tag}.json"), evaluate, True)
    baselines = stages.run("baselines", cached_json, os.path.join(ckpt_dir, "baselines.json"),
                           lambda: trivial_baselines(n_scenes=eval_scenes, seed=seed))
    gaps = stages.run("anchor gaps", cached_json, os.path.join(ckpt_dir, "gap-anchors.json"),
                      lambda: anchor_gaps(model, sorted({eval_scenes, max(eval_scenes, GAP_SCENES)}), seed))
    scene_stats = stages.run("scene statistics", cached_json, os.path.join(ckpt_dir, "scene-stats.json"),
                             lambda: {sp: scene_statistics(sp, eval_scenes, seed) for sp in ("train", "test")})
    phases = ", ".join(f"{name} {cfg.steps} steps" for name, cfg in joint.items())
    notes = (f"Anchors pre-trained on the Fashion-MNIST train split, then SN-Netv2 training ({phases}; "
             f"RCS, LoRA r{model.cfg.lora_r}); metrics: classify on the first {eval_images} test images, dense tasks on "
             f"{eval_scenes} generated test scenes (test items only, seed {seed}). See docs/demo-family.md.")
    manifest = write_bundle(model, out_dir, seed=seed, notes=notes, metrics=metrics)
    size = sum(f["bytes"] for f in manifest["files"])
    if size > MAX_BUNDLE_BYTES:
        raise RuntimeError(f"bundle is {size} bytes, over the {MAX_BUNDLE_BYTES} limit")
    plots = os.path.join(out_dir, "plots")
    os.makedirs(plots, exist_ok=True)
    plot_frontiers(manifest, os.path.join(plots, "frontier-gflops.png"))
    profile = find_latency_profile(out_dir)
    has_latency = bool(profile) and plot_latency_frontiers(manifest, profile, os.path.join(plots, "frontier-latency.png"))
    flops = {s["id"]: s["flops"]["classify"] for s in manifest["stitches"]}
    runs = {}
    for name in ("rcs", "uniform"):
        path = os.path.join(ckpt_dir, f"ablation-{name}.json")
        if os.path.exists(path):
            with open(path) as f:
                runs[name] = {int(k): v for k, v in json.load(f).items()}
    ablation = None
    if len(runs) == 2:
        ablation = low_end_summary(runs, flops)
        plot_ablation({n: {i: (flops[i] / 1e9, v) for i, v in r.items()} for n, r in runs.items()},
                      os.path.join(plots, "ablation-rcs-vs-uniform.png"), low_end=ablation["limitGflops"])
    front = [i for i in pareto({s["id"]: (s["flops"]["classify"], s["metrics"]["classify"]["top1"])
                                for s in manifest["stitches"]}) if i not in (0, 1)]
    check_ids = [0, 1] + ([front[len(front) // 2]] if front else [])
    stages.run("fixture", write_fixture, model, manifest, check_ids, eval_scenes, eval_images, seed, fixtures_dir)
    family_flops = {s["id"]: s["flops"] for s in manifest["stitches"]}
    classify_samples(model, [0, 1], family_flops, os.path.join(plots, "samples-classify.png"))
    dense_samples(model, [0, 1], family_flops, plots, seed=seed)
    report = {"family": {"anchors": manifest["anchors"], "stitches": len(manifest["stitches"]),
                         "excluded": manifest["space"]["excluded"], "bundleBytes": size,
                         "sceneSize": SCENE.size},
              "trainingSeconds": stages.data, "headline": headline(manifest), "baselines": baselines, "anchorGaps": gaps,
              "scenes": scene_stats,
              "ablation": ablation, "latencyPlot": has_latency, "phases": {name: cfg.__dict__ for name, cfg in joint.items()}}
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    log(f"bundle {out_dir}: {size / 1e6:.1f} MB, report.json and plots written")
    return manifest
