"""``python -m stitchkit`` (``npm run models -- <command>``): inspect, build and import stitchable families.

Commands: ``presets``, ``stitches``, ``flops``, ``groups``, ``build``, ``import``, ``export-route``. Results go to stdout; progress
of long steps goes to stderr. Wrong arguments, unknown presets, missing or unreadable files exit with status 2
and a one-line ``stitchkit: error: ...`` message (no traceback).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from . import presets as registry

TASKS = ("classify", "segment", "depth", "detect")


class UsageError(Exception):
    """A user mistake: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage + message and exit; we want one line
        command = self.prog.partition(" ")[2]
        raise UsageError(f"{command + ': ' if command else ''}{message} (see --help)")


class Progress:
    """Timestamped progress lines on stderr."""

    def __init__(self, quiet: bool = False):
        self.start = time.monotonic()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.start:7.1f}s] {message}", file=sys.stderr, flush=True)


def _preset(name: str) -> registry.Preset:
    try:
        return registry.get(name)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def _size(text: str):
    try:
        h, _, w = text.lower().partition("x")
        hw = (int(h), int(w or h))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW or N pixels, got {text!r}") from None
    if min(hw) <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return hw


def _task_config(cfg, task: Optional[str], size=None):
    """(config with ``task``'s input resized to ``size``, task name); default task: the family's first."""
    name = task or cfg.task_names[0]
    if cfg.task(name) is None:
        raise UsageError(f"family {cfg.name} has no task {name!r}; tasks: {', '.join(cfg.task_names)}")
    if size is not None:
        tasks = tuple(dataclasses.replace(t, input_hw=size) if t.name == name else t for t in cfg.tasks)
        cfg = dataclasses.replace(cfg, tasks=tasks)
    return cfg, name


# --- stitch tables ---

def read_manifest(bundle: str) -> dict:
    path = Path(bundle) / "manifest.json"
    if not path.is_file():
        raise UsageError(f"{bundle} is not a bundle: {path} does not exist")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "stitchserve-bundle":
        raise UsageError(f"{path} is not a stitchserve bundle manifest")
    return manifest


def _short(name: str) -> str:
    return name.split("-")[-1]


def _gflops(flops: int) -> str:
    g = flops / 1e9
    return f"{g:.2f}" if g >= 1 else f"{g:.4f}"


def _metric(name: str, value: float) -> str:
    # rmse (metres) and absRel are not fractions of a whole; every other metric is shown as a percentage
    return f"{value:.4f}" if name in ("rmse", "absRel") else f"{value * 100:.2f}%"


def format_table(rows: Sequence[dict], anchor_names: Sequence[str]) -> str:
    """A fixed-width table: id, kind, route (anchor[first-last] segments), GFLOPs per task, params, metrics."""
    tasks = [t for t in TASKS if any(t in r["flops"] for r in rows)]
    metric_cols = sorted({(t, m) for r in rows for t, ms in r.get("metrics", {}).items() for m in ms})
    header = ["id", "kind", "route"] + [f"GF {t}" for t in tasks] + ["params M"] + [f"{t}.{m}" for t, m in metric_cols]
    lines = []
    for r in rows:
        route = " > ".join(f"{_short(anchor_names[a])}[{lo}-{hi}]" for a, (lo, hi) in zip(r["anchors"], r["route"]))
        cells = [str(r["id"]), r["kind"], route]
        cells += [_gflops(r["flops"][t]) if t in r["flops"] else "-" for t in tasks]
        cells.append(f"{r['params'] / 1e6:.2f}")
        cells += [_metric(m, r["metrics"][t][m]) if m in r.get("metrics", {}).get(t, {}) else "-"
                  for t, m in metric_cols]
        lines.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *lines)]

    def fmt(cells):  # the route column is left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if i == 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([fmt(header)] + [fmt(c) for c in lines])


def _emit(rows: Sequence[dict], fmt: str, anchor_names: Sequence[str]) -> None:
    if fmt == "jsonl":
        for r in rows:
            print(json.dumps(r))
    else:
        print(format_table(rows, anchor_names))


def cmd_presets(args) -> int:
    for name in registry.names():
        p = registry.get(name)
        print(f"{name:14s} {p.description}{'  [real size]' if p.real_size else ''}")
    return 0


def cmd_stitches(args) -> int:
    if args.bundle:
        manifest = read_manifest(args.bundle)
        rows = [{k: v for k, v in s.items() if k != "slots"} for s in manifest.get("stitches", [])]
        names = [a.get("name", str(a.get("id"))) for a in manifest.get("anchors", [])]
    else:
        preset = _preset(args.preset)
        cfg = preset.config()
        rows, names = registry.stitch_rows(preset, cfg), [a.name for a in cfg.anchors]
    _emit(rows, args.format, names)
    return 0


def cmd_flops(args) -> int:
    preset = _preset(args.preset)
    full, task = _task_config(preset.config(), args.task, args.size)
    cfg = dataclasses.replace(full, tasks=(full.task(task),))  # count (and trace heads for) this task only
    rows = registry.stitch_rows(preset, cfg, with_metrics=False)
    for row in rows:
        row["input"] = list(cfg.task(task).input_hw)
    _emit(rows, args.format, [a.name for a in cfg.anchors])
    return 0


def cmd_groups(args) -> int:
    from .flops import family_flops
    from .sampling import group_by_flops, group_probabilities

    preset = _preset(args.preset)
    cfg, task = _task_config(preset.config(), args.task)
    flops = {sid: f[task] for sid, f in family_flops(cfg).items()}
    try:
        groups = group_by_flops(flops, args.gap, floor_gflops=args.floor)
        probs = group_probabilities(len(groups), args.k)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for g, (ids, p) in enumerate(zip(groups, probs)):
        lo, hi = min(flops[i] for i in ids) / 1e9, max(flops[i] for i in ids) / 1e9
        if args.format == "jsonl":
            print(json.dumps({"group": g, "size": len(ids), "gflops": [lo, hi], "probability": p, "ids": ids}))
        else:
            print(f"group {g:3d}  size {len(ids):3d}  GF {lo:8.2f}-{hi:8.2f}  p {p:.4f}  ids {' '.join(map(str, ids))}")
    if args.format != "jsonl":
        print(f"{len(groups)} groups over {len(flops)} stitches ({task}, gap {args.gap} GFLOPs)")
    return 0


# --- building bundles ---

def _prepare_out(out: str, force: bool) -> None:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UsageError(f"--out {out} is not empty (use --force to overwrite a bundle there)")


def _write(model, preset, args, notes: str, progress: Progress) -> int:
    from .bundle import write_bundle

    metrics = None
    if args.with_official_metrics:
        if preset.official_table is None:
            raise UsageError(f"preset {preset.name} has no official metrics (--with-official-metrics)")
        metrics = registry.official_metrics(preset)
    progress("exporting the route graph and writing the bundle (real-size families take minutes)")
    manifest = write_bundle(model, args.out, seed=args.seed, notes=notes, metrics=metrics)
    size = sum(f["bytes"] for f in manifest["files"])
    progress(f"wrote {args.out}: {len(manifest['stitches'])} stitches, {size / 1e6:.1f} MB")
    return 0


def cmd_build(args) -> int:
    preset = _preset(args.preset)
    _prepare_out(args.out, args.force)
    progress = Progress(args.quiet)
    model = registry.build_model(preset, seed=args.seed, progress=progress)
    notes = f"preset {preset.name}, random weights (seed {args.seed})"
    if args.ls_init_images:
        import torch

        from .lsinit import ls_init

        task = model.cfg.tasks[0]
        gen = torch.Generator().manual_seed(args.seed)
        pixels = torch.randn(args.ls_init_images, 3, *task.input_hw, generator=gen)
        ls_init(model, pixels, progress)
        notes += f", stitching layers LS-initialised on {args.ls_init_images} noise images"
    return _write(model, preset, args, notes, progress)


def cmd_import(args) -> int:
    from .importer import CheckpointError

    preset = _preset(args.preset)
    _prepare_out(args.out, args.force)
    if not Path(args.checkpoint).is_file():
        raise UsageError(f"checkpoint {args.checkpoint} does not exist or is not a file")
    progress = Progress(args.quiet)
    try:
        model = registry.build_model(preset, seed=args.seed, checkpoint=args.checkpoint,
                                     lora_merged=args.lora_merged, progress=progress)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    notes = f"preset {preset.name}, weights imported from {Path(args.checkpoint).name}"
    return _write(model, preset, args, notes, progress)


def cmd_export_route(args) -> int:
    from .single_route import export_route

    manifest = read_manifest(args.bundle)
    if not any(s.get("id") == args.stitch for s in manifest.get("stitches", [])):
        raise UsageError(f"bundle {args.bundle} has no active stitch {args.stitch}")
    if args.task not in manifest.get("tasks", {}):
        raise UsageError(f"bundle {args.bundle} has no task {args.task!r}; tasks: {', '.join(manifest.get('tasks', {}))}")
    progress = Progress(args.quiet)
    progress(f"specialising {args.bundle} to stitch {args.stitch}, task {args.task}")
    export_route(args.bundle, args.stitch, args.task, args.out)
    progress(f"wrote {args.out}")
    return 0


# --- argument parsing ---

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stitchkit", description="Build, import and inspect stitchable ViT families "
                     "(SN-Net / SN-Netv2) as stitchserve bundles.")
    parser.add_argument("--version", action="version", version=f"stitchkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("presets", help="list the named families")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("stitches", help="print every stitch of a preset or a bundle (id, kind, route, GFLOPs, "
                       "params, metrics when known)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="a preset name (see `presets`)")
    src.add_argument("--bundle", metavar="DIR", help="a bundle directory (reads its manifest.json)")
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_stitches)

    p = sub.add_parser("flops", help="fvcore-style FLOPs (multiply-adds, batch 1) and params of every stitch")
    p.add_argument("--preset", required=True)
    p.add_argument("--task", choices=TASKS, help="task to count (default: the family's first)")
    p.add_argument("--size", type=_size, metavar="HxW", help="input size in pixels (default: the task's)")
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_flops)

    p = sub.add_parser("groups", help="resource-constrained sampling groups (method §4)")
    p.add_argument("--preset", required=True)
    p.add_argument("--gap", type=float, required=True, help="GFLOPs gap that opens a new group (ImageNet: 1.0)")
    p.add_argument("--task", choices=TASKS)
    p.add_argument("--k", type=float, help="linear skew: p_g ∝ g/k + 1/G (default: uniform over groups)")
    p.add_argument("--floor", action="store_true", help="floor GFLOPs to integers before comparing (depth)")
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_groups)

    for name, func, text in (("build", cmd_build, "build a bundle with deterministic random weights"),
                             ("import", cmd_import, "build a bundle from an official SN-Netv2 / SN-Net v1 checkpoint")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--preset", required=True)
        p.add_argument("--out", required=True, metavar="DIR", help="bundle directory (e.g. models/build/NAME)")
        if name == "import":
            p.add_argument("--checkpoint", required=True, metavar="FILE", help="torch checkpoint ({'model': sd})")
            p.add_argument("--lora-merged", action="store_true",
                           help="the file was saved after upstream's .eval(): LoRA is already in the weights")
        else:
            p.add_argument("--ls-init-images", type=int, default=0, metavar="N",
                           help="LS-initialise the stitching layers on N seeded noise images (default: off)")
        p.add_argument("--seed", type=int, default=0, help="seed for random weights (default 0)")
        p.add_argument("--with-official-metrics", action="store_true",
                       help="join the packaged official per-stitch metrics (deit3-s-l)")
        p.add_argument("--force", action="store_true", help="write into a non-empty --out directory")
        p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        p.set_defaults(func=func)

    p = sub.add_parser("export-route", help="write ONE stitch of a bundle as a plain ONNX graph (no If; benchmarks)")
    p.add_argument("--bundle", required=True, metavar="DIR")
    p.add_argument("--stitch", type=int, required=True, metavar="ID")
    p.add_argument("--task", choices=TASKS, default="classify")
    p.add_argument("--out", required=True, metavar="FILE", help="output .onnx (weights inline or FILE.weights)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_export_route)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 usage or input error)."""
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "ls_init_images", 0) < 0:
            raise UsageError("--ls-init-images must be >= 0")
        return args.func(args)
    except UsageError as exc:
        print(f"stitchkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stitchkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `stitches ... | head`: the reader left; silence the flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
