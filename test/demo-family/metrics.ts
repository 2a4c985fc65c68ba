/**
 * The primary metrics of the demo family, computed as the toolchain computes them
 * (models/toolchain/stitchkit/demo/metrics.py): mIoU over classes present in ground truth or prediction,
 * δ1 per image then averaged, COCO-style AP@0.5 with 101-point interpolation averaged over classes with ground truth.
 */

export type Box = [number, number, number, number];

/** Accumulates a C×C confusion matrix (rows = ground truth). */
export class Confusion {
  readonly matrix: Float64Array;
  constructor(readonly classes: number) {
    this.matrix = new Float64Array(classes * classes);
  }
  add(pred: ArrayLike<number>, truth: ArrayLike<number>): void {
    for (let i = 0; i < truth.length; i++) this.matrix[truth[i]! * this.classes + pred[i]!]! += 1;
  }
  miou(): number {
    const c = this.classes;
    let sum = 0;
    let present = 0;
    for (let k = 0; k < c; k++) {
      let row = 0;
      let col = 0;
      for (let j = 0; j < c; j++) {
        row += this.matrix[k * c + j]!;
        col += this.matrix[j * c + k]!;
      }
      const tp = this.matrix[k * c + k]!;
      const union = row + col - tp;
      if (union > 0) {
        sum += tp / union;
        present += 1;
      }
    }
    return sum / present;
  }
}

/** δ1 of one depth map: share of valid pixels (truth strictly inside `range`) with max(p/g, g/p) < 1.25. */
export function delta1(pred: ArrayLike<number>, truth: ArrayLike<number>, range: [number, number]): number | null {
  let hits = 0;
  let valid = 0;
  for (let i = 0; i < truth.length; i++) {
    const g = truth[i]!;
    if (!(g > range[0] && g < range[1])) continue;
    const p = pred[i]!;
    valid += 1;
    if (Math.max(p / g, g / p) < 1.25) hits += 1;
  }
  return valid ? hits / valid : null;
}

export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export interface ImageDetections {
  boxes: Box[];
  scores: number[];
  labels: number[];
  truthBoxes: Box[];
  truthLabels: number[];
}

/** COCO 101-point AP from score-ordered TP flags and the ground-truth count. */
export function averagePrecision(tp: number[], nTruth: number): number {
  if (tp.length === 0) return 0;
  const precision: number[] = [];
  const recall: number[] = [];
  let hits = 0;
  tp.forEach((t, i) => {
    hits += t;
    precision.push(hits / (i + 1));
    recall.push(hits / nTruth);
  });
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let sum = 0;
  for (let r = 0; r <= 100; r++) {
    const target = r / 100;
    const idx = recall.findIndex((value) => value >= target);
    sum += idx >= 0 ? precision[idx]! : 0;
  }
  return sum / 101;
}

/** mAP@`threshold` over classes that have ground truth (greedy matching in global score order). */
export function meanAp(images: ImageDetections[], classes: number, threshold = 0.5): number {
  const aps: number[] = [];
  for (let c = 0; c < classes; c++) {
    const nTruth = images.reduce((n, im) => n + im.truthLabels.filter((l) => l === c).length, 0);
    if (nTruth === 0) continue;
    const dets: { score: number; image: number; box: Box }[] = [];
    images.forEach((im, i) => im.labels.forEach((l, k) => l === c && dets.push({ score: im.scores[k]!, image: i, box: im.boxes[k]! })));
    dets.sort((a, b) => b.score - a.score); // stable: ties keep image order, as the toolchain's mergesort
    const matched = images.map((im) => im.truthLabels.map(() => false));
    const tp = dets.map(({ image, box }) => {
      const truth = images[image]!;
      let best = -1;
      let bestIou = -1;
      truth.truthBoxes.forEach((g, j) => {
        if (truth.truthLabels[j] !== c || matched[image]![j]) return;
        const value = iou(box, g);
        if (value > bestIou) [best, bestIou] = [j, value];
      });
      if (best >= 0 && bestIou >= threshold) {
        matched[image]![best] = true;
        return 1;
      }
      return 0;
    });
    aps.push(averagePrecision(tp, nTruth));
  }
  return aps.reduce((a, b) => a + b, 0) / aps.length;
}
