import type { Geometry } from '../preprocess/geometry.js';
import { labelOf } from './classify.js';
import { resamplePlane, sourceTaps } from './resample.js';

/**
 * Above this many (pixels × classes) the logits are not interpolated per class; the model-resolution argmax is
 * upsampled with nearest-neighbour instead, which bounds post-processing time for very large input images.
 */
export const BILINEAR_LOGIT_BUDGET = 16_000_000;

/** A class-index map at the source image size: one label per pixel, row-major. */
export interface LabelMap {
  width: number;
  height: number;
  /** Class index per pixel (the bundle's labels; 0 = background). */
  labels: Uint16Array;
  classes: number;
}

function argmaxAtModelResolution(logits: Float32Array, classes: number, plane: number): Uint16Array {
  const labels = new Uint16Array(plane);
  for (let i = 0; i < plane; i++) {
    let best = 0;
    let bestValue = logits[i]!;
    for (let c = 1; c < classes; c++) {
      const value = logits[c * plane + i]!;
      if (value > bestValue) {
        bestValue = value;
        best = c;
      }
    }
    labels[i] = best;
  }
  return labels;
}

/**
 * Per-pixel classes at the source image size from one item's logits [C, h, w] at model resolution:
 * argmax of bilinearly resampled logits (like upsampling logits before argmax), or nearest-neighbour on the
 * model-resolution argmax beyond BILINEAR_LOGIT_BUDGET.
 */
export function labelMap(logits: Float32Array, classes: number, geometry: Geometry): LabelMap {
  const { width, height } = geometry.source;
  const plane = geometry.target.width * geometry.target.height;
  if (logits.length !== classes * plane) throw new RangeError(`logits hold ${logits.length} values, expected ${classes}×${plane}`);
  const labels = new Uint16Array(width * height);
  if (width * height * classes <= BILINEAR_LOGIT_BUDGET) {
    const best = new Float32Array(width * height).fill(-Infinity);
    for (let c = 0; c < classes; c++) {
      const resampled = resamplePlane(logits, c * plane, geometry);
      for (let i = 0; i < resampled.length; i++) {
        if (resampled[i]! > best[i]!) {
          best[i] = resampled[i]!;
          labels[i] = c;
        }
      }
    }
  } else {
    const coarse = argmaxAtModelResolution(logits, classes, plane);
    const { x, y } = sourceTaps(geometry);
    const modelWidth = geometry.target.width;
    for (let row = 0; row < height; row++) {
      const modelRow = (y.w[row]! < 0.5 ? y.lo[row]! : y.hi[row]!) * modelWidth;
      for (let col = 0; col < width; col++) labels[row * width + col] = coarse[modelRow + (x.w[col]! < 0.5 ? x.lo[col]! : x.hi[col]!)]!;
    }
  }
  return { width, height, labels, classes };
}

/** COCO-style uncompressed RLE: column-major run lengths, starting with a run of 0s (possibly empty). */
export interface Rle {
  size: [height: number, width: number];
  counts: number[];
}

/** One class present in a segmentation answer. */
export interface SegmentClass {
  index: number;
  label: string;
  /** Pixels of this class. */
  area: number;
  /** area / all pixels. */
  fraction: number;
  mask: Rle;
}

/** RLE of the binary mask `labels == index`, COCO order (column-major). */
export function encodeRle(map: LabelMap, index: number): Rle {
  const { width, height, labels } = map;
  const counts: number[] = [];
  let inside = false;
  let run = 0;
  for (let col = 0; col < width; col++) {
    for (let row = 0; row < height; row++) {
      const hit = labels[row * width + col] === index;
      if (hit !== inside) {
        counts.push(run);
        run = 0;
        inside = hit;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Per-class areas and RLE masks of the classes present, largest area first. */
export function describeSegments(map: LabelMap, labelNames: readonly string[] | undefined): SegmentClass[] {
  const areas = new Array<number>(map.classes).fill(0);
  for (const label of map.labels) areas[label]! += 1;
  const total = map.labels.length;
  return areas
    .map((area, index) => ({ area, index }))
    .filter(({ area }) => area > 0)
    .sort((a, b) => b.area - a.area || a.index - b.index)
    .map(({ area, index }) => ({ index, label: labelOf(labelNames, index), area, fraction: area / total, mask: encodeRle(map, index) }));
}
