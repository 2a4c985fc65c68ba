"""Family configuration: anchors, stitch space, stitching-layer rank and task heads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .anchors import AnchorConfig
from .spaces import StitchSpace, default_large_taps, dense_taps, snnetv1_space, snnetv2_space

TASKS = ("classify", "segment", "depth", "detect")
DECODERS = ("plain", "guided")  # dense-head variants, see stitchkit.heads
DENSE_TASKS = ("segment", "depth", "detect")
DEFAULT_METRICS = {"classify": "top1", "segment": "mIoU", "depth": "delta1", "detect": "mAP50"}


@dataclass(frozen=True)
class TaskConfig:
    """One task of a family. ``input_hw`` is the graph input size (pixels) used for this task.

    ``labels``: class names (classify/segment/detect; segment's ``labels[0]`` is background).
    ``channels``: decoder width of dense heads. ``stride``: detection output stride in pixels (divides the patch).
    ``depth_range``: (min, max) metres; the depth head outputs ``sigmoid · max``.
    ``decoder``: dense-head variant: "plain" (the method's heads) or "guided" (segment/depth heads that also read
    the input pixels at full resolution; see :mod:`stitchkit.heads`).
    """

    name: str
    input_hw: Tuple[int, int]
    labels: Tuple[str, ...] = ()
    channels: int = 256
    stride: int = 4
    depth_range: Tuple[float, float] = (1e-3, 10.0)
    preprocess: Dict = field(default_factory=lambda: {
        "fit": "fill", "kernel": "cubic", "grayscale": False, "invert": False,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]})
    metric: Optional[str] = None
    decoder: str = "plain"

    def __post_init__(self):
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}; expected one of {TASKS}")
        if self.decoder not in DECODERS:
            raise ValueError(f"task {self.name}: decoder must be one of {DECODERS}, got {self.decoder!r}")
        if self.name != "depth" and not self.labels:
            raise ValueError(f"task {self.name} needs labels")

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def metric_name(self) -> str:
        return self.metric or DEFAULT_METRICS[self.name]


@dataclass(frozen=True)
class FamilyConfig:
    """A stitchable family: anchors sorted small→large, the stitch space and the task heads.

    ``space``: "snnetv2" (exactly 2 anchors, depth ratio 1 or 2) or "snnetv1" (>= 2 equal-depth anchors,
    classification only). ``lora_r``: rank of the stitching layers' LoRA term (0 = plain Linear).
    ``large_taps``: the 4 large-anchor blocks tapped by dense heads (default: evenly spaced).
    """

    name: str
    anchors: Tuple[AnchorConfig, ...]
    tasks: Tuple[TaskConfig, ...]
    space: str = "snnetv2"
    lora_r: int = 0
    v1_kernel: int = 2
    v1_stride: int = 1
    v1_nearest: bool = True
    large_taps: Optional[Tuple[int, ...]] = None
    description: str = ""

    def __post_init__(self):
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"family {self.name}: tasks must be a non-empty set, got {names}")
        if self.space == "snnetv1" and names != ["classify"]:
            raise ValueError("SN-Net v1 families support the classify task only")
        if self.space not in ("snnetv2", "snnetv1"):
            raise ValueError(f"unknown space {self.space!r}")
        if self.space == "snnetv2" and len(self.anchors) != 2:
            raise ValueError("SN-Netv2 families have exactly 2 anchors (small, large)")
        cls = self.task("classify")
        for a in self.anchors:
            if cls is not None and a.num_classes != cls.num_classes:
                raise ValueError(f"anchor {a.name} head has {a.num_classes} classes, classify has {cls.num_classes}")
        if [a.dim for a in self.anchors] != sorted(a.dim for a in self.anchors):
            raise ValueError("anchors must be sorted small → large")

    def task(self, name: str) -> Optional[TaskConfig]:
        return next((t for t in self.tasks if t.name == name), None)

    @property
    def task_names(self) -> List[str]:
        return [t.name for t in self.tasks]

    @property
    def dense(self) -> bool:
        return any(t.name in DENSE_TASKS for t in self.tasks)

    def stitch_space(self) -> StitchSpace:
        depths = [a.depth for a in self.anchors]
        if self.space == "snnetv2":
            return snnetv2_space(depths[0], depths[1])
        return snnetv1_space(depths, self.v1_kernel, self.v1_stride, self.v1_nearest)

    def taps(self) -> List[List[int]]:
        """Tapped block indices per anchor (small, large) for dense heads; [] when there is no dense task."""
        if not self.dense:
            return [[] for _ in self.anchors]
        d0, d1 = self.anchors[0].depth, self.anchors[1].depth
        small, large = dense_taps(d0, d1, self.large_taps or default_large_taps(d1))
        return [small, large]

