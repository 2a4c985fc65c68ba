"""Plain ViT anchors (DeiT and DeiT-III) whose parameter names match the official checkpoints 1:1.

Names: ``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.i.{norm1,attn.qkv,attn.proj,gamma_1,norm2,
mlp.fc1,mlp.fc2,gamma_2}``, ``norm``, ``head``. LayerNorm eps 1e-6, exact (erf) GELU, qkv with bias.

* ``deit3``: LayerScale ``gamma_1``/``gamma_2``; ``pos_embed`` (1, N, D) has no cls slot and is added to the
  patch tokens *before* the cls token is concatenated.
* ``deit``: no LayerScale; ``pos_embed`` (1, 1+N, D) includes the cls slot and is added after the concat.

``stem`` (opt-in, demo anchors only): the ``p×p`` linear patch projection is replaced by a small convolutional stem
("early convolutions help transformers see better", Xiao et al. 2021): ``len(stem)`` 3×3 stride-2 convs (padding 1,
each followed by GELU; no normalisation, so no batch statistics are shared between inputs as different as grey
items and colour scenes) and a 1×1 projection to ``dim``, named ``patch_embed.proj`` like the plain embedding. The
token grid is the same (``2 ** len(stem) == patch``); with the default ``stem=()`` the anchor and its key names are
exactly the official ones.

For an input whose patch grid differs from the anchor's native grid the patch part of ``pos_embed`` is
resized bicubically (align_corners=False), as timm/mmseg do for dense tasks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

FLAVOURS = ("deit3", "deit")


@dataclass(frozen=True)
class AnchorConfig:
    """Architecture of one anchor. ``img_size`` (pixels, square) fixes the native pos-embed grid."""

    name: str
    dim: int
    depth: int
    heads: int
    mlp_ratio: float = 4.0
    patch: int = 16
    img_size: int = 224
    num_classes: int = 1000
    flavour: str = "deit3"
    stem: Tuple[int, ...] = ()  # conv-stem channel widths (each conv halves the resolution); () = plain patch embed
    stem_bn: bool = False  # stem convs with BatchNorm + ReLU (Xiao et al.) instead of bias + GELU

    def __post_init__(self):
        if self.flavour not in FLAVOURS:
            raise ValueError(f"anchor flavour must be one of {FLAVOURS}, got {self.flavour!r}")
        if self.dim % self.heads or self.img_size % self.patch:
            raise ValueError(f"anchor {self.name}: dim % heads and img_size % patch must be 0")
        object.__setattr__(self, "stem", tuple(int(c) for c in self.stem))  # JSON round trips give lists
        if self.stem and (2 ** len(self.stem) != self.patch or min(self.stem) < 1):
            raise ValueError(f"anchor {self.name}: a stem of {len(self.stem)} stride-2 convs has stride "
                             f"{2 ** len(self.stem)}, patch is {self.patch}; widths must be positive")

    @property
    def grid(self) -> int:
        """Native patch grid side (tokens per row)."""
        return self.img_size // self.patch


class PatchEmbed(nn.Module):
    def __init__(self, patch: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) → (B, D, H/p, W/p)."""
        return self.proj(x)


class ConvStem(nn.Module):
    """3×3 stride-2 convs + GELU with widths ``widths``, then a 1×1 ``proj`` to ``dim`` (see the module doc)."""

    def __init__(self, widths: Tuple[int, ...], dim: int, batch_norm: bool = False):
        super().__init__()
        layers, c_in = [], 3
        for c_out in widths:
            if batch_norm:
                layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            else:
                layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.GELU()]
            c_in = c_out
        self.stem = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c_in, dim, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) → (B, D, ⌈H/p⌉, ⌈W/p⌉) (= H/p × W/p for sizes divisible by the patch)."""
        return self.proj(self.stem(x))


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block, with LayerScale when ``layer_scale`` is set (DeiT-III)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, layer_scale: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.layer_scale = layer_scale
        if layer_scale:
            self.gamma_1 = nn.Parameter(torch.full((dim,), 1e-4))
            self.gamma_2 = nn.Parameter(torch.full((dim,), 1e-4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layer_scale:
            x = x + self.gamma_1 * self.attn(self.norm1(x))
            return x + self.gamma_2 * self.mlp(self.norm2(x))
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def resize_pos_grid(grid_pos: torch.Tensor, src: int, rows, cols) -> torch.Tensor:
    """Bicubic resize of (1, src*src, D) position embeddings to (1, rows*cols, D)."""
    d = grid_pos.shape[-1]
    img = grid_pos.reshape(1, src, src, d).permute(0, 3, 1, 2)
    img = F.interpolate(img, size=(rows, cols), mode="bicubic", align_corners=False)
    return img.permute(0, 2, 3, 1).reshape(1, -1, d)


class ViTAnchor(nn.Module):
    """One anchor: embed → blocks → norm → head(token 0)."""

    def __init__(self, cfg: AnchorConfig):
        super().__init__()
        self.cfg = cfg
        deit3 = cfg.flavour == "deit3"
        n = cfg.grid * cfg.grid
        self.patch_embed = ConvStem(cfg.stem, cfg.dim, cfg.stem_bn) if cfg.stem else PatchEmbed(cfg.patch, cfg.dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n if deit3 else n + 1, cfg.dim))
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.heads, cfg.mlp_ratio, deit3) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def grid_pos(self, rows, cols, always_resize: bool = False) -> torch.Tensor:
        """Patch position embeddings for a rows×cols grid (resized if it differs from the native grid).

        ``always_resize`` makes the resize unconditional (an exact identity at the native size), so a traced
        ONNX graph handles every input size.
        """
        pos = self.pos_embed if self.cfg.flavour == "deit3" else self.pos_embed[:, 1:]
        native = self.cfg.grid
        if always_resize or rows != native or cols != native:
            pos = resize_pos_grid(pos, native, rows, cols)
        return pos

    def embed(self, pixels: torch.Tensor, always_resize: bool = False) -> torch.Tensor:
        """(B, 3, H, W) → tokens (B, 1+N, D) with cls first and position embeddings added."""
        x = self.patch_embed(pixels)
        rows, cols = x.shape[-2], x.shape[-1]
        x = x.flatten(2).transpose(1, 2)
        pos = self.grid_pos(rows, cols, always_resize)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        if self.cfg.flavour == "deit3":
            return torch.cat([cls, x + pos], dim=1)
        return torch.cat([cls + self.pos_embed[:, :1], x + pos], dim=1)

    def classify(self, x: torch.Tensor, final_norm: bool = True) -> torch.Tensor:
        """Tokens (B, T, D) → logits (B, classes) from token 0 (``final_norm=False``: v1 stitched quirk)."""
        if final_norm:
            x = self.norm(x)
        return self.head(x[:, 0])

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.embed(pixels)
        for blk in self.blocks:
            x = blk(x)
        return self.classify(x)
