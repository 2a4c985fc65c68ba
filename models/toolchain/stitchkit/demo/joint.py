"""Stages 2 and 3: LS-initialise the stitching layers, then SN-Netv2 joint training of the whole family.

Every step draws ONE stitch (resource-constrained sampling over all active stitches, or uniform for the
ablation) and trains it on a Fashion-MNIST batch (classification) and, when dense tasks are on, on a batch of
train scenes: one backbone pass feeds the segment, depth and detect heads. Anchors are fully fine-tuned; the
stitching layers train only their LoRA term and bias (the LS solution stays frozen), as in SN-Netv2.
The stitch and the data of step ``k`` are functions of ``(seed, k)``, so a resumed run is identical.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F

from stitchkit.flops import family_flops
from stitchkit.lsinit import ls_init
from stitchkit.model import SNNet
from stitchkit.sampling import ResourceConstrainedSampler, UniformSampler, group_by_flops

from .checkpoint import load_if_exists, save_atomic
from .ema import WeightAverage
from .family import CLASSIFY_SIZE, family_config
from .fmnist import load_split
from .losses import dense_losses
from .pretrain import random_hflip
from .scenedata import ScenePool, training_tensors
from .schedule import set_lr, warmup_cosine
from .tensors import as_rgb, classify_pixels

DENSE = ("segment", "depth", "detect")
BN_BATCHES = 40
PHASE_STRIDE = 100_000
LARGE_ANCHOR_ID = 1  # upstream stitch id of the large anchor's own route


@dataclass(frozen=True)
class JointConfig:
    """Joint-training hyper-parameters. LRs: anchors ``lr``; stitching layers and heads ``lr × new_scale``."""

    steps: int = 500
    cls_batch: int = 96
    scene_batch: int = 12
    lr: float = 1e-4  # anchors start from converged weights: 4e-4 cost the L anchor 0.3 pt of top-1
    new_scale: float = 20.0
    weight_decay: float = 0.02
    warmup_frac: float = 0.05
    label_smoothing: float = 0.1
    sampler: str = "rcs"  # "rcs" | "uniform"
    gap_gflops: float = 1e-3  # RCS bucket width: groups of equal effective depth (11 groups for 10/20 blocks)
    dense: bool = True
    segment_background_weight: float = 1.0  # < 1 keeps the segment head from collapsing to "all background"
    # sandwich rule (BigNAS, once-for-all): every step also trains the large anchor on the same batch, weighted
    # ``sandwich``, so the largest model keeps improving instead of drifting while stitches are trained (0 = off)
    sandwich: float = 0.0
    sandwich_every: int = 1  # the sandwich term on every n-th step only (step % n == 0): its cost is ~half a step
    ema_decay: float = 0.0  # > 0: keep an exponential moving average of the weights and export it
    phase: int = 0  # a later phase draws other stitches, images and scenes than phase 0 at the same step
    seed: int = 0
    save_every_s: float = 120.0


def train_mode(model: SNNet) -> SNNet:
    """``model.train()``, except the anchors' BatchNorm (conv stems), which keeps its pre-training statistics.

    The stems' statistics were estimated on Fashion-MNIST items; in SN-Netv2 training the same stem also sees
    colour scenes, and batch statistics mixing the two (or following whichever came last) would serve neither.
    Frozen, a stem BatchNorm is a fixed affine map whose weight and bias still train."""
    model.train()
    for module in model.anchors.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()
    return model


def load_anchors(model: SNNet, ckpt_dir: str) -> None:
    """Copy the pre-trained anchor weights (``anchor-S.pt``, ``anchor-L.pt``) into the family."""
    for a, name in enumerate(("S", "L")):
        state = load_if_exists(os.path.join(ckpt_dir, f"anchor-{name}.pt"))
        if state is None:
            raise FileNotFoundError(f"anchor {name} is not trained yet ({ckpt_dir}/anchor-{name}.pt)")
        model.anchors[a].load_state_dict(state["model"])


def ls_initialised_family(ckpt_dir: str, seed: int = 0, images: int = 100, log=print) -> SNNet:
    """The family with trained anchors and LS-initialised stitching layers (cached in ``lsinit.pt``)."""
    torch.manual_seed(seed)
    model = SNNet(family_config())
    path = os.path.join(ckpt_dir, "lsinit.pt")
    saved = load_if_exists(path)
    if saved is not None:
        model.load_state_dict(saved["model"])
        return model
    load_anchors(model, ckpt_dir)
    x, _ = load_split("train")
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed + 17))[:images]
    residuals = ls_init(model, as_rgb(classify_pixels(x[pick.numpy()], CLASSIFY_SIZE)), progress=log)
    log("ls-init residuals: " + ", ".join(f"{g}.{k}={r:.3f}" for (g, k), r in sorted(residuals.items())))
    save_atomic({"model": model.state_dict(), "residuals": residuals}, path)
    return model


def load_trained(ckpt_dir: str, tag: str = "joint") -> SNNet:
    """The family with the weights of a finished training stage (``<tag>.pt``), in eval mode."""
    model = SNNet(family_config())
    state = load_if_exists(os.path.join(ckpt_dir, f"{tag}.pt"))
    if state is None:
        raise FileNotFoundError(f"{ckpt_dir}/{tag}.pt does not exist: run the training first")
    model.load_state_dict(state["model"])
    return model.eval()


def stitch_groups(model: SNNet, gap_gflops: float) -> List[List[int]]:
    """RCS groups of the active stitches by classification FLOPs."""
    flops = {sid: f["classify"] for sid, f in family_flops(model.cfg).items()}
    return group_by_flops(flops, gap_gflops)


def data_key(jc: JointConfig, step: int) -> int:
    """The key that seeds step ``step``'s stitch, flips and scene indices (distinct per phase)."""
    return PHASE_STRIDE * jc.phase + step


def step_stitch(model: SNNet, jc: JointConfig, groups: List[List[int]], step: int) -> int:
    """The stitch trained at ``step`` (a pure function of the seed and the step)."""
    seed = jc.seed * 1_000_003 + data_key(jc, step)
    if jc.sampler == "rcs":
        return ResourceConstrainedSampler(groups, seed=seed).sample()
    if jc.sampler == "uniform":
        return UniformSampler([s.id for s in model.space.stitches], seed=seed).sample()
    raise ValueError(f"unknown sampler {jc.sampler!r}")


def param_groups(model: SNNet, jc: JointConfig) -> List[Dict]:
    """AdamW groups: anchors (decay on matrices only), new parts (stitching layers, heads) at ``new_scale``."""
    groups: Dict[Tuple[bool, bool], List[torch.nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue  # the frozen LS weights of LoRA stitching layers
        new = not name.startswith("anchors.")
        decay = p.dim() >= 2 and not name.endswith(("pos_embed", "cls_token"))
        groups.setdefault((new, decay), []).append(p)
    return [{"params": ps, "lr_scale": jc.new_scale if new else 1.0, "weight_decay": jc.weight_decay if decay else 0.0}
            for (new, decay), ps in sorted(groups.items())]


@torch.no_grad()
def recalibrate_batchnorm(model: SNNet, pool: ScenePool, groups: List[List[int]], jc: JointConfig, log=print) -> None:
    """Re-estimate the dense heads' BatchNorm statistics as a plain average over ``BN_BATCHES`` RCS-drawn stitches.

    During training the running statistics follow the last few sampled stitches (momentum 0.1); one head serves
    every stitch, so its statistics should average over the whole family instead.
    """
    bns = [m for m in model.heads.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average
    train_mode(model)
    for k in range(BN_BATCHES):
        step = jc.steps + k  # stitches and scenes not used by training
        stitch = model.space.by_id(step_stitch(model, jc, groups, step))
        key = data_key(jc, step)
        pixels = training_tensors(pool.batch(range(key * jc.scene_batch, (key + 1) * jc.scene_batch)))["pixels"]
        _, taps = model.backbone(pixels, stitch, collect_taps=True)
        for t in DENSE:
            model.heads[t](taps, pixels)
    for bn in bns:
        bn.momentum = 0.1
    model.eval()
    log(f"BatchNorm statistics of the dense heads averaged over {BN_BATCHES} stitch-sampled scene batches")


def route_losses(model: SNNet, stitch, x: torch.Tensor, y: torch.Tensor, batch, jc: JointConfig) -> Dict[str, torch.Tensor]:
    """``{task: loss}`` of one route: classification on ``(x, y)`` and, when ``batch`` (scene tensors) is given,
    one backbone pass over the scenes feeding the three dense heads."""
    logits = model(x, stitch, "classify")["classify.logits"]
    losses = {"classify": F.cross_entropy(logits, y, label_smoothing=jc.label_smoothing)}
    if batch is not None:
        _, taps = model.backbone(batch["pixels"], stitch, collect_taps=True)
        outputs = {t: model.heads[t](taps, batch["pixels"]) for t in DENSE}
        losses.update(dense_losses(outputs, batch, jc.segment_background_weight))
    return losses


def step_losses(model: SNNet, sid: int, x: torch.Tensor, y: torch.Tensor, batch,
                jc: JointConfig, step: int = 0) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """(total loss, named parts) of training step ``step`` on stitch ``sid``: its :func:`route_losses`, plus, with
    the sandwich rule on (and ``step`` a multiple of ``jc.sandwich_every``) and ``sid`` not the large anchor
    itself, ``jc.sandwich`` × the large anchor's losses on the same inputs (parts named ``L.<task>``)."""
    losses = route_losses(model, model.space.by_id(sid), x, y, batch, jc)
    total = sum(losses.values())
    if jc.sandwich > 0 and sid != LARGE_ANCHOR_ID and step % jc.sandwich_every == 0:
        large = route_losses(model, model.space.by_id(LARGE_ANCHOR_ID), x, y, batch, jc)
        total = total + jc.sandwich * sum(large.values())
        losses.update({f"L.{t}": v for t, v in large.items()})
    return total, losses


def joint_train(model: SNNet, ckpt_dir: str, tag: str, jc: JointConfig, log=print) -> SNNet:
    """Train ``model`` in place for ``jc.steps`` steps; state in ``<tag>.state.pt``, result in ``<tag>.pt``."""
    final_path, state_path = (os.path.join(ckpt_dir, f"{tag}{suffix}") for suffix in (".pt", ".state.pt"))
    done = load_if_exists(final_path)
    if done is not None:
        model.load_state_dict(done["model"])
        log(f"[{tag}] already trained: {final_path}")
        return model
    xtr, ytr = load_split("train")
    train_px, train_y = classify_pixels(xtr, CLASSIFY_SIZE), torch.from_numpy(ytr)
    pool = ScenePool(xtr, ytr, "train", seed=jc.seed)
    groups = stitch_groups(model, jc.gap_gflops)
    opt = torch.optim.AdamW(param_groups(model, jc), lr=jc.lr)
    step, counts = 0, {}
    ema = WeightAverage(model, jc.ema_decay) if jc.ema_decay > 0 else None
    saved = load_if_exists(state_path)
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        step, counts = saved["step"], saved["counts"]
        if ema is not None:
            ema.load_state_dict(saved["ema"])
        log(f"[{tag}] resumed at step {step}/{jc.steps}")
    per_epoch = len(train_y) // jc.cls_batch
    last_save, t0 = time.time(), time.time()
    while step < jc.steps:
        train_mode(model)
        sid = step_stitch(model, jc, groups, step)
        counts[sid] = counts.get(sid, 0) + 1
        epoch, k = divmod(step, per_epoch)
        order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(jc.seed * 10007 + 7 + 1000 * jc.phase + epoch))
        idx = order[k * jc.cls_batch:(k + 1) * jc.cls_batch]
        key = data_key(jc, step)
        gen = torch.Generator().manual_seed(jc.seed * 7919 + 3_000_017 + key)
        x = random_hflip(as_rgb(train_px[idx]), gen)
        batch = training_tensors(pool.batch(range(key * jc.scene_batch, (key + 1) * jc.scene_batch))) \
            if jc.dense else None
        total, losses = step_losses(model, sid, x, train_y[idx], batch, jc, step)
        set_lr(opt, warmup_cosine(step, jc.steps, jc.lr, int(jc.warmup_frac * jc.steps), jc.lr * 0.01))
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
        opt.step()
        if ema is not None:
            ema.update(model)
        step += 1
        if step % 25 == 0:
            parts = " ".join(f"{t} {v.item():.3f}" for t, v in losses.items())
            log(f"[{tag}] step {step}/{jc.steps} stitch {sid} {parts} {(time.time() - t0) / 60:.1f} min")
        if time.time() - last_save > jc.save_every_s or step == jc.steps:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "counts": counts,
                         "ema": ema.state_dict() if ema is not None else None}, state_path)
            last_save = time.time()
    if ema is not None:
        ema.copy_to(model)  # the averaged weights are the stage's result (the raw ones stay in the state file)
        log(f"[{tag}] weights replaced by their moving average (decay {jc.ema_decay})")
    if jc.dense:
        recalibrate_batchnorm(model, pool, groups, jc, log)
    save_atomic({"model": model.state_dict(), "config": jc.__dict__, "counts": counts}, final_path)
    log(f"[{tag}] done in {(time.time() - t0) / 60:.1f} min")
    return model
