import { toSource, type Geometry } from '../preprocess/geometry.js';
import { labelOf } from './classify.js';

/** One detected object; the box is in source-image pixel coordinates (left/top edge = 0), clipped to the image. */
export interface Detection {
  index: number;
  label: string;
  /** Heatmap peak score in [0, 1]. */
  score: number;
  box: { xMin: number; yMin: number; xMax: number; yMax: number };
}

/** The three CenterNet outputs of one item at the heatmap resolution h × w. */
export interface CenterNetOutputs {
  /** [C, h, w] sigmoid scores. */
  heatmap: Float32Array;
  /** [2, h, w]: box width and height in model-input pixels. */
  size: Float32Array;
  /** [2, h, w]: sub-cell x and y offsets of the centre, in cells. */
  offset: Float32Array;
  classes: number;
  height: number;
  width: number;
}

export interface DetectOptions {
  scoreThreshold: number;
  maxDetections: number;
  /** Model-input pixels per heatmap cell (the manifest's `stride`). */
  stride: number;
  labels?: readonly string[];
}

/** True when cell (y, x) of plane `base` is the maximum of its 3×3 neighbourhood (ties keep the first cell). */
function isPeak(heatmap: Float32Array, base: number, width: number, height: number, y: number, x: number): boolean {
  const value = heatmap[base + y * width + x]!;
  for (let dy = -1; dy <= 1; dy++) {
    const ny = y + dy;
    if (ny < 0 || ny >= height) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
      const other = heatmap[base + ny * width + nx]!;
      // Plateaus: the earlier cell in scan order wins, so one object yields one peak.
      if (other > value || (other === value && (dy < 0 || (dy === 0 && dx < 0)))) return false;
    }
  }
  return true;
}

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/**
 * CenterNet decoding: heatmap peaks (3×3 max suppression) with score ≥ threshold, box centre
 * = (cell + offset) · stride, size from the size head, then mapped back to the source image and clipped.
 * Returns at most `maxDetections`, highest score first.
 */
export function decodeCenterNet(outputs: CenterNetOutputs, geometry: Geometry, options: DetectOptions): Detection[] {
  const { heatmap, size, offset, classes, height, width } = outputs;
  const plane = height * width;
  if (heatmap.length !== classes * plane || size.length !== 2 * plane || offset.length !== 2 * plane) {
    throw new RangeError(`CenterNet outputs do not match ${classes}×${height}×${width}`);
  }
  const peaks: { index: number; cell: number; score: number }[] = [];
  for (let c = 0; c < classes; c++) {
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const score = heatmap[base + y * width + x]!;
        if (score >= options.scoreThreshold && isPeak(heatmap, base, width, height, y, x)) peaks.push({ index: c, cell: y * width + x, score });
      }
    }
  }
  peaks.sort((a, b) => b.score - a.score || a.cell - b.cell || a.index - b.index);
  const { width: imageWidth, height: imageHeight } = geometry.source;
  return peaks.slice(0, options.maxDetections).map(({ index, cell, score }) => {
    const cx = (cell % width + offset[cell]!) * options.stride;
    const cy = (Math.floor(cell / width) + offset[plane + cell]!) * options.stride;
    const halfW = size[cell]! / 2;
    const halfH = size[plane + cell]! / 2;
    const [x0, y0] = toSource(geometry, cx - halfW, cy - halfH);
    const [x1, y1] = toSource(geometry, cx + halfW, cy + halfH);
    return {
      index,
      label: labelOf(options.labels, index),
      score,
      box: { xMin: clamp(x0, 0, imageWidth), yMin: clamp(y0, 0, imageHeight), xMax: clamp(x1, 0, imageWidth), yMax: clamp(y1, 0, imageHeight) },
    };
  });
}
