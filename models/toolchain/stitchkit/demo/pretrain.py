"""Stage 1: train one anchor (a plain DeiT-III ViT) for Fashion-MNIST classification, resumably.

Run as ``python -m stitchkit.demo.pretrain --anchor L --epochs 4 --ckpt-dir models/checkpoints/fmnist-s-l``.
The data order of epoch ``e`` and the flips of step ``k`` are drawn from generators seeded by
``(seed, anchor, e)`` and ``(seed, anchor, k)``, so a resumed run continues exactly where it stopped.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from stitchkit.anchors import AnchorConfig, ViTAnchor

from .checkpoint import DEFAULT_DIR, load_if_exists, save_atomic
from .family import CLASSIFY_SIZE, LARGE, SMALL
from .fmnist import load_split
from .schedule import set_lr, warmup_cosine
from .tensors import as_rgb, classify_pixels

ANCHORS = {"S": SMALL, "L": LARGE}
TRAIN_IMAGES = 60_000  # the Fashion-MNIST train split
LAYER_SCALE_INIT = 0.1  # CaiT's value for shallow ViTs; 1e-4 (DeiT-III's) learns far too slowly in few epochs


@dataclass(frozen=True)
class PretrainConfig:
    """Hyper-parameters of anchor pre-training (AdamW, warm-up + cosine, label smoothing, h-flips)."""

    epochs: int = 3
    steps: int = 0  # total optimizer steps; 0 = epochs × steps per epoch
    batch: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.05
    warmup_frac: float = 0.05
    label_smoothing: float = 0.1
    flip: bool = True
    shift: int = 0  # random crop with this much zero (black) padding: translations of up to ±shift px
    seed: int = 0
    save_every_s: float = 120.0
    probe_every: int = 250  # steps between progress checks on the first 2 000 test images


def init_anchor(cfg: AnchorConfig, seed: int) -> ViTAnchor:
    """A freshly initialised anchor (seeded) with LayerScale gammas at :data:`LAYER_SCALE_INIT`."""
    torch.manual_seed(seed)
    model = ViTAnchor(cfg)
    with torch.no_grad():
        for blk in model.blocks:
            if blk.layer_scale:
                blk.gamma_1.fill_(LAYER_SCALE_INIT)
                blk.gamma_2.fill_(LAYER_SCALE_INIT)
    return model


def random_hflip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip each image left-right with probability 1/2 (Fashion-MNIST labels are mirror-invariant)."""
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def random_shift(x: torch.Tensor, pad: int, gen: torch.Generator, fill: float = -1.0) -> torch.Tensor:
    """Random crop of the ``pad``-padded image back to its size (padding ``fill`` = normalised black, the
    Fashion-MNIST background): each image is translated by an independent offset in ``[-pad, pad]``² px."""
    if pad <= 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), value=fill)
    dy, dx = (torch.randint(0, 2 * pad + 1, (b,), generator=gen) for _ in range(2))
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None].expand(b, x.shape[1], h, w + 2 * pad)
    cropped = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :].expand(b, x.shape[1], h, w)
    return cropped.gather(3, cols)


@torch.no_grad()
def test_accuracy(model: torch.nn.Module, pixels: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Top-1 of ``model`` (eval mode) on grey ``pixels`` [N,1,H,W]."""
    model.eval()
    correct = sum(int((model(as_rgb(pixels[i:i + batch])).argmax(1) == labels[i:i + batch]).sum())
                  for i in range(0, len(labels), batch))
    return correct / len(labels)


def trained_steps(final_path: str) -> int:
    """Steps behind a finished anchor (``anchor-<name>.pt``; the last history entry), 0 when there is none."""
    done = load_if_exists(final_path)
    return int(done["history"][-1]["step"]) if done and done.get("history") else 0


def pretrain(name: str, ckpt_dir: str, pc: PretrainConfig, log=print, cfg: AnchorConfig = None, tag: str = "") -> str:
    """Train anchor ``name`` ("S" or "L"); returns the path of the final weights (``anchor-<name>.pt``).

    A finished anchor with fewer than the requested steps is *extended*: training resumes from its state file
    (kept after the end) with the warm-up + cosine schedule recomputed for the new total, i.e. a warm restart
    at the schedule's value for that step, decaying to 1 % of the peak at the new end.

    ``cfg`` overrides the family's architecture for anchor ``name`` (sizing experiments); ``tag`` is appended to
    the checkpoint names (``anchor-<name><tag>.pt``) so such experiments live beside the real anchors."""
    cfg = cfg or ANCHORS[name]
    final_path = os.path.join(ckpt_dir, f"anchor-{name}{tag}.pt")
    state_path = os.path.join(ckpt_dir, f"anchor-{name}{tag}.state.pt")
    per_epoch = TRAIN_IMAGES // pc.batch
    total = pc.steps or pc.epochs * per_epoch
    done = trained_steps(final_path)
    if done >= total:
        log(f"[{name}] already trained ({done} steps): {final_path}")
        return final_path
    if done:
        # an extension: resume the saved state of step ``done`` with the cosine re-stretched to ``total`` steps
        log(f"[{name}] extending from {done} to {total} steps")
    xtr, ytr = load_split("train")
    xte, yte = load_split("test")
    train_px, test_px = classify_pixels(xtr, CLASSIFY_SIZE), classify_pixels(xte, CLASSIFY_SIZE)
    train_y, test_y = torch.from_numpy(ytr), torch.from_numpy(yte)
    salt = ord(name)
    model = init_anchor(cfg, pc.seed * 1000 + salt)
    opt = torch.optim.AdamW(model.parameters(), lr=pc.lr, weight_decay=pc.weight_decay)
    if len(train_y) != TRAIN_IMAGES:
        raise ValueError(f"expected {TRAIN_IMAGES} Fashion-MNIST training images, found {len(train_y)}")
    step, history = 0, []
    saved = load_if_exists(state_path)
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        step, history = saved["step"], saved["history"]
        log(f"[{name}] resumed at step {step}/{total}")
    last_save, t0 = time.time(), time.time()
    while step < total:
        epoch, k = divmod(step, per_epoch)
        order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(pc.seed * 10007 + salt * 101 + epoch))
        model.train()
        idx = order[k * pc.batch:(k + 1) * pc.batch]
        gen = torch.Generator().manual_seed(pc.seed * 7919 + salt * 1_000_003 + step)
        x = as_rgb(train_px[idx])
        if pc.flip:
            x = random_hflip(x, gen)
        x = random_shift(x, pc.shift, gen)
        set_lr(opt, warmup_cosine(step, total, pc.lr, int(pc.warmup_frac * total), pc.lr * 0.01))
        loss = F.cross_entropy(model(x), train_y[idx], label_smoothing=pc.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            log(f"[{name}] step {step}/{total} loss {loss.item():.3f} {(time.time() - t0) / 60:.1f} min")
        if step % pc.probe_every == 0 and step % per_epoch:
            log(f"[{name}] step {step} top-1 on 2k test images {test_accuracy(model, test_px[:2000], test_y[:2000]):.4f}")
        if step % per_epoch == 0:
            acc = test_accuracy(model, test_px, test_y)
            history.append({"epoch": step // per_epoch, "step": step, "test_top1": acc})
            log(f"[{name}] epoch {step // per_epoch} test top-1 {acc:.4f}")
        if step % per_epoch == 0 or time.time() - last_save > pc.save_every_s or step == total:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "history": history},
                        state_path)
            last_save = time.time()
    if not history or history[-1]["step"] != total:
        history.append({"epoch": total / per_epoch, "step": total, "test_top1": test_accuracy(model, test_px, test_y)})
    save_atomic({"model": model.state_dict(), "config": cfg.__dict__, "history": history}, final_path)
    log(f"[{name}] done: {history[-1] if history else ''}")
    return final_path


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--anchor", choices=sorted(ANCHORS), required=True)
    p.add_argument("--ckpt-dir", default=DEFAULT_DIR)
    p.add_argument("--epochs", type=int, default=PretrainConfig.epochs)
    p.add_argument("--steps", default="0",
                   help="total steps (overrides --epochs); 'a,b' trains to a, then extends to b (warm restart)")
    p.add_argument("--batch", type=int, default=PretrainConfig.batch)
    p.add_argument("--lr", type=float, default=PretrainConfig.lr)
    p.add_argument("--seed", type=int, default=PretrainConfig.seed)
    p.add_argument("--no-flip", action="store_true", help="no horizontal-flip augmentation")
    p.add_argument("--shift", type=int, default=PretrainConfig.shift, help="random-crop padding, px (0 = off)")
    p.add_argument("--stem", default="", help="override the anchor's conv stem: 'a,b,c' widths, 'none' = plain embed")
    p.add_argument("--stem-bn", action="store_true", help="stem convs with BatchNorm + ReLU")
    p.add_argument("--tag", default="", help="suffix of the checkpoint names (experiments beside the real anchors)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = ANCHORS[a.anchor]
    if a.stem:
        cfg = dataclasses.replace(cfg, stem=() if a.stem == "none" else tuple(int(c) for c in a.stem.split(",")))
    if a.stem_bn:
        cfg = dataclasses.replace(cfg, stem_bn=True)
    for steps in (int(v) for v in a.steps.split(",")):
        pretrain(a.anchor, a.ckpt_dir, PretrainConfig(epochs=a.epochs, steps=steps, batch=a.batch, lr=a.lr,
                                                      seed=a.seed, flip=not a.no_flip, shift=a.shift),
                 log=lambda m: print(m, flush=True), cfg=cfg, tag=a.tag)


if __name__ == "__main__":
    main()
