"""The ``fmnist-s-l`` family: a DeiT-III-style S/L pair shaped like SN-Netv2's S-L (depth ratio 2, L twice as wide).

Classification runs on Fashion-MNIST resized 28→32 (stride-8 conv stem: a 4×4 grid, 17 tokens); the dense tasks run on
48×48 scenes (6×6 grid, 37 tokens; the position embeddings are resized bicubically). Detection predicts at
stride 4 (a 12×12 grid).
"""
from __future__ import annotations

from stitchkit.anchors import AnchorConfig
from stitchkit.config import FamilyConfig, TaskConfig

from .fmnist import LABELS
from .scenes import SceneConfig

NAME = "fmnist-s-l"
CLASSIFY_SIZE = 32
SCENE = SceneConfig(size=48)
# conv stems (3×3 s2 conv + BatchNorm + ReLU, three times, then 1×1 to dim; widths ≈ ¼, ½, 1 × dim) instead of
# the 8×8 linear patch projection: the same 4×4 / 6×6 token grids; see stitchkit.anchors
SMALL = AnchorConfig("S", dim=40, depth=10, heads=2, patch=8, img_size=CLASSIFY_SIZE, num_classes=10,
                     stem=(12, 24, 40), stem_bn=True)
LARGE = AnchorConfig("L", dim=64, depth=20, heads=2, patch=8, img_size=CLASSIFY_SIZE, num_classes=10,
                     stem=(16, 32, 64), stem_bn=True)
LORA_RANK = 8
HEAD_CHANNELS = {"segment": 48, "depth": 24, "detect": 32}
# segment and depth heads also read the scene pixels: 8-px patches are far coarser than the items' outlines
DENSE_DECODER = "guided"
# pixels = (rgb/255 - 0.5) / 0.5; Fashion-MNIST is grey ink on black, so classification converts to luminance.
CLASSIFY_PREPROCESS = {"fit": "fill", "kernel": "linear", "grayscale": True, "invert": False,
                       "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
SCENE_PREPROCESS = {"fit": "fill", "kernel": "linear", "grayscale": False, "invert": False,
                    "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
DESCRIPTION = ("Demo SN-Netv2 family trained on Fashion-MNIST (classify) and Fashion-MNIST scenes "
               "(segment/depth/detect): DeiT-III S 40-d x 10 and L 64-d x 20, conv stems to patch 8, "
               "LoRA-r8 stitching layers")


def family_config() -> FamilyConfig:
    """The family's architecture and task heads (weights come from training)."""
    s = SCENE.size
    tasks = (
        TaskConfig("classify", (CLASSIFY_SIZE, CLASSIFY_SIZE), tuple(LABELS), preprocess=dict(CLASSIFY_PREPROCESS)),
        TaskConfig("segment", (s, s), ("background",) + tuple(LABELS), channels=HEAD_CHANNELS["segment"],
                   preprocess=dict(SCENE_PREPROCESS), decoder=DENSE_DECODER),
        TaskConfig("depth", (s, s), channels=HEAD_CHANNELS["depth"], depth_range=(0.5, 11.0),
                   preprocess=dict(SCENE_PREPROCESS), decoder=DENSE_DECODER),
        TaskConfig("detect", (s, s), tuple(LABELS), channels=HEAD_CHANNELS["detect"], stride=4,
                   preprocess=dict(SCENE_PREPROCESS)),
    )
    return FamilyConfig(NAME, (SMALL, LARGE), tasks, space="snnetv2", lora_r=LORA_RANK, description=DESCRIPTION)
