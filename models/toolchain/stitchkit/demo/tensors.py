"""From uint8 images to the graph's ``pixels`` tensors, exactly as the bundle's preprocess spec describes.

``pixels = (rgb/255 − 0.5) / 0.5`` (mean = std = 0.5 on every channel); classification replicates the grey
channel to RGB and resizes 28→32 bilinearly (half-pixel centres, like the server's ``linear`` kernel).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

MEAN = 0.5
STD = 0.5


def classify_pixels(images: np.ndarray, size: int) -> torch.Tensor:
    """Fashion-MNIST uint8 [N,28,28] → normalised float32 [N,1,size,size] (expand to 3 channels per batch)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)[:, None]
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.sub_(MEAN).div_(STD)


def as_rgb(gray: torch.Tensor) -> torch.Tensor:
    """[B,1,H,W] → [B,3,H,W] (a view; the grey value on every channel)."""
    return gray.expand(-1, 3, -1, -1)


def scene_pixels(images: np.ndarray) -> torch.Tensor:
    """Scenes uint8 [B,S,S,3] RGB → normalised float32 [B,3,S,S]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).permute(0, 3, 1, 2)
    return x.sub_(MEAN).div_(STD).contiguous()


def pixels_to_uint8(pixels: torch.Tensor) -> np.ndarray:
    """Inverse of the normalisation for plotting: [B,3,H,W] → uint8 [B,H,W,3]."""
    x = (pixels * STD + MEAN).clamp(0, 1).mul(255).round().byte()
    return x.permute(0, 2, 3, 1).numpy()
