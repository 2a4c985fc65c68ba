import type { Geometry } from '../preprocess/geometry.js';
import { labelOf } from './classify.js';
import { sourceTaps } from './resample.js';

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
 * Per source pixel, the class whose bilinearly resampled logit is largest (the first on ties): bit for bit what
 * resampling every class plane with `resamplePlane` and comparing them gives, without materialising the planes.
 * It runs on the main thread for every segmentation answer (4.6 ms per 224×224 answer with 11 classes, the
 * largest item of its main-thread cost, before): each model row is interpolated horizontally once per class
 * and reused by the ~source/model consecutive source rows between the same two model rows, and only one row of
 * running maxima is kept. Same arithmetic as `resamplePlane` (float64, rounded to float32 before comparing).
 */
function bilinearArgmax(logits: Float32Array, classes: number, geometry: Geometry): Uint16Array {
  const { x, y } = sourceTaps(geometry);
  const { width, height } = geometry.source;
  const modelWidth = geometry.target.width;
  const plane = modelWidth * geometry.target.height;
  const labels = new Uint16Array(width * height);
  const xLo = x.lo;
  const xHi = x.hi;
  const xW = x.w;
  // The two model rows the current source row lies between, horizontally interpolated at every source column,
  // pixel-major ([col][class]) so the class loop below reads consecutive values.
  let upper = new Float64Array(width * classes);
  let lower = new Float64Array(width * classes);
  let upperRow = -1;
  let lowerRow = -1;
  const interpolateRow = (into: Float64Array, modelRow: number): void => {
    for (let c = 0; c < classes; c++) {
      const base = c * plane + modelRow * modelWidth;
      for (let col = 0; col < width; col++) {
        const left = logits[base + xLo[col]!]!;
        into[col * classes + c] = left + (logits[base + xHi[col]!]! - left) * xW[col]!;
      }
    }
  };
  for (let row = 0; row < height; row++) {
    const top = y.lo[row]!;
    const bottom = y.hi[row]!;
    if (top !== upperRow) {
      if (top === lowerRow) {
        const swap = upper;
        upper = lower;
        lower = swap;
        lowerRow = -1;
      } else interpolateRow(upper, top);
      upperRow = top;
    }
    if (bottom !== lowerRow) {
      interpolateRow(lower, bottom);
      lowerRow = bottom;
    }
    const wy = y.w[row]!;
    const offset = row * width;
    for (let col = 0, at = 0; col < width; col++, at += classes) {
      let best = -Infinity;
      let label = 0;
      for (let c = 0; c < classes; c++) {
        const u = upper[at + c]!;
        const value = Math.fround(u + (lower[at + c]! - u) * wy);
        if (value > best) {
          best = value;
          label = c;
        }
      }
      labels[offset + col] = label;
    }
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
  if (width * height * classes <= BILINEAR_LOGIT_BUDGET) return { width, height, labels: bilinearArgmax(logits, classes, geometry), classes };
  const labels = new Uint16Array(width * height);
  const coarse = argmaxAtModelResolution(logits, classes, plane);
  const { x, y } = sourceTaps(geometry);
  const modelWidth = geometry.target.width;
  for (let row = 0; row < height; row++) {
    const modelRow = (y.w[row]! < 0.5 ? y.lo[row]! : y.hi[row]!) * modelWidth;
    for (let col = 0; col < width; col++) labels[row * width + col] = coarse[modelRow + (x.w[col]! < 0.5 ? x.lo[col]! : x.hi[col]!)]!;
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
