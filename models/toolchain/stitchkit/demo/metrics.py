"""Evaluation metrics computed the standard way; every value is a fraction (or metres for RMSE).

* classification: top-k accuracy.
* segmentation (mmseg convention): one confusion matrix over the whole eval set; per-class IoU =
  TP / (TP + FP + FN), classes whose union is empty (absent from both ground truth and prediction) are skipped;
  mIoU is the mean over the remaining classes; pixel accuracy = trace / total.
* depth (the monocular-depth toolbox convention used by SN-Netv2's NYUv2 code): per image over valid pixels
  (ground truth inside ``valid_range``), δ1 = share with max(p/g, g/p) < 1.25, AbsRel = mean |p−g|/g,
  RMSE = sqrt(mean (p−g)²); each metric is then averaged over images.
* detection (COCO): per class, detections of all images sorted by score (stable); greedy matching in that order,
  each detection taking the still-unmatched ground truth of its image with the highest IoU ≥ threshold;
  precision made monotone (envelope) and sampled at 101 recall points (0, .01, …, 1), 0 beyond the
  reached recall; AP averaged over classes that have ground truth; mAP@[.5:.95] averages thresholds .50:.05:.95.
  At most ``max_dets`` (100) highest-scoring detections per image are kept, as COCO does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def topk_accuracy(logits: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Share of rows whose label is among the ``k`` largest logits. ``logits`` [N,C], ``labels`` [N]."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],) or logits.shape[0] == 0:
        raise ValueError(f"need logits [N,C] and labels [N] with N > 0, got {logits.shape} and {labels.shape}")
    top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


class ConfusionMatrix:
    """Accumulates a ``C × C`` pixel confusion matrix (rows = ground truth, columns = prediction)."""

    def __init__(self, num_classes: int) -> None:
        if num_classes < 2:
            raise ValueError("segmentation needs at least 2 classes")
        self.num_classes = num_classes
        self.matrix = np.zeros((num_classes, num_classes), np.int64)

    def update(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Add integer label maps of equal shape (any number of images)."""
        pred, target = np.asarray(pred).ravel().astype(np.int64), np.asarray(target).ravel().astype(np.int64)
        if pred.shape != target.shape:
            raise ValueError(f"prediction and target sizes differ: {pred.shape} vs {target.shape}")
        c = self.num_classes
        if pred.size and (min(pred.min(), target.min()) < 0 or max(pred.max(), target.max()) >= c):
            raise ValueError(f"labels must lie in 0..{c - 1}")
        self.matrix += np.bincount(target * c + pred, minlength=c * c).reshape(c, c)

    def iou_per_class(self) -> np.ndarray:
        """IoU per class; NaN where the class is absent from both ground truth and prediction."""
        tp = np.diag(self.matrix).astype(np.float64)
        union = self.matrix.sum(0) + self.matrix.sum(1) - tp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, tp / np.maximum(union, 1), np.nan)

    def miou(self) -> float:
        """Mean IoU over classes present in ground truth or prediction."""
        iou = self.iou_per_class()
        if np.all(np.isnan(iou)):
            raise ValueError("no pixels accumulated")
        return float(np.nanmean(iou))

    def pixel_accuracy(self) -> float:
        """Correctly labelled pixels / all pixels."""
        total = self.matrix.sum()
        if total == 0:
            raise ValueError("no pixels accumulated")
        return float(np.trace(self.matrix) / total)


# direction of each dense metric: +1 larger is better, −1 smaller is better
DIRECTION = {"mIoU": 1, "delta1": 1, "absRel": -1, "rmse": -1, "mAP50": 1}


def z_score(metric: str, result: Dict[str, float]) -> float:
    """A gap ``{gap, sd}`` between two stitches (``b − a``, see ``demo.gap``) in standard deviations of its noise,
    signed so that + means ``b`` is better."""
    return DIRECTION[metric] * result["gap"] / max(result["sd"], 1e-12)


class DepthMetrics:
    """Accumulates per-image δ1, AbsRel and RMSE over pixels whose ground truth lies in ``valid_range``."""

    def __init__(self, valid_range: Tuple[float, float] = (1e-3, float("inf"))) -> None:
        self.valid_range = valid_range
        self._rows: List[Tuple[float, float, float]] = []

    def update(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Add a batch of depth maps [B,H,W] (or one [H,W]) in metres; predictions must be > 0 where valid."""
        pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
        if pred.shape != target.shape:
            raise ValueError(f"prediction and target shapes differ: {pred.shape} vs {target.shape}")
        if pred.ndim == 2:
            pred, target = pred[None], target[None]
        for p, g in zip(pred, target):
            valid = (g > self.valid_range[0]) & (g < self.valid_range[1])
            if not valid.any():
                continue
            p, g = p[valid], g[valid]
            if (p <= 0).any():
                raise ValueError("depth predictions must be positive on valid pixels")
            ratio = np.maximum(p / g, g / p)
            self._rows.append((float((ratio < 1.25).mean()), float((np.abs(p - g) / g).mean()),
                               float(np.sqrt(((p - g) ** 2).mean()))))

    @classmethod
    def merged(cls, parts: Sequence["DepthMetrics"]) -> "DepthMetrics":
        """The images of every part (a part may repeat: bootstrap resamples), as if accumulated by one instance."""
        out = cls(parts[0].valid_range if parts else (1e-3, float("inf")))
        out._rows = [row for part in parts for row in part._rows]
        return out

    def compute(self) -> Dict[str, float]:
        """``{"delta1", "absRel", "rmse"}`` averaged over images."""
        if not self._rows:
            raise ValueError("no valid depth pixels accumulated")
        d1, rel, rmse = np.mean(np.asarray(self._rows), axis=0)
        return {"delta1": float(d1), "absRel": float(rel), "rmse": float(rmse)}


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix [len(a), len(b)] of boxes ``[x0, y0, x1, y1]`` (continuous coordinates, x1 > x0)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


@dataclass
class Detections:
    """One image's detections: boxes float [K,4] pixels, scores [K], labels int [K]."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def average_precision(tp: np.ndarray, n_gt: int) -> float:
    """COCO 101-point interpolated AP from a score-sorted true-positive vector and the ground-truth count."""
    if n_gt <= 0:
        raise ValueError("AP is undefined without ground truth")
    if tp.size == 0:
        return 0.0
    ctp = np.cumsum(tp)
    recall = ctp / n_gt
    precision = ctp / np.arange(1, tp.size + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(idx < tp.size, envelope[np.minimum(idx, tp.size - 1)], 0.0)
    return float(sampled.mean())


class DetectionMetrics:
    """Accumulates detections and ground truth per image; computes COCO-style mAP@0.5 and mAP@[.5:.95]."""

    def __init__(self, num_classes: int, max_dets: int = 100) -> None:
        self.num_classes = num_classes
        self.max_dets = max_dets
        self._images: List[Tuple[Detections, np.ndarray, np.ndarray]] = []

    def update(self, det: Detections, gt_boxes: np.ndarray, gt_labels: np.ndarray) -> None:
        """Add one image: its detections and its ground-truth boxes [G,4] / labels [G]."""
        order = np.argsort(-np.asarray(det.scores), kind="stable")[: self.max_dets]
        kept = Detections(np.asarray(det.boxes, np.float64).reshape(-1, 4)[order],
                          np.asarray(det.scores, np.float64)[order], np.asarray(det.labels, np.int64)[order])
        self._images.append((kept, np.asarray(gt_boxes, np.float64).reshape(-1, 4), np.asarray(gt_labels, np.int64)))

    def _class_tps(self, cls: int) -> Tuple[np.ndarray, int]:
        """True-positive flags [thresholds, detections] of class ``cls`` in score order, and its GT count."""
        scores, ious = [], []
        n_gt = 0
        for det, gb, gl in self._images:
            g = gb[gl == cls]
            n_gt += g.shape[0]
            sel = det.labels == cls
            scores.append(det.scores[sel])
            # one IoU row per detection against its own image's GT of this class (-1 pads to a common width)
            ious.append(box_iou(det.boxes[sel], g))
        width = max((m.shape[1] for m in ious), default=0)
        flat_scores = np.concatenate(scores)
        rows = np.full((flat_scores.size, max(width, 1)), -1.0)
        image_of = np.concatenate([np.full(m.shape[0], i) for i, m in enumerate(ious)]).astype(np.int64)
        r = 0
        for m in ious:
            rows[r:r + m.shape[0], :m.shape[1]] = m
            r += m.shape[0]
        order = np.argsort(-flat_scores, kind="mergesort")
        thresholds = np.minimum(COCO_IOU_THRESHOLDS, 1 - 1e-10)
        steps = np.arange(len(thresholds))
        tps = np.zeros((len(thresholds), order.size))
        # all thresholds at once: matched[t, image, gt]
        matched = np.zeros((len(thresholds), len(self._images), max(width, 1)), bool)
        for rank, j in enumerate(order):
            taken = matched[:, image_of[j]]
            row = np.where(taken, -1.0, rows[j][None, :])
            best = row.argmax(axis=1)
            hit = row[steps, best] >= thresholds
            matched[steps[hit], image_of[j], best[hit]] = True
            tps[:, rank] = hit
        return tps, n_gt

    def compute(self) -> Dict[str, float]:
        """``{"mAP50", "mAP"}``: mean AP over classes with ground truth at IoU .5, and averaged over .50:.05:.95."""
        classes = [c for c in range(self.num_classes) if any((gl == c).any() for _, _, gl in self._images)]
        if not classes:
            raise ValueError("no ground-truth boxes accumulated")
        aps = np.zeros((len(COCO_IOU_THRESHOLDS), len(classes)))
        for ci, c in enumerate(classes):
            tps, n_gt = self._class_tps(c)
            aps[:, ci] = [average_precision(tp, n_gt) for tp in tps]
        per_threshold = aps.mean(axis=1)
        return {"mAP50": float(per_threshold[0]), "mAP": float(np.mean(per_threshold))}

