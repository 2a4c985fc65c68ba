import type { Geometry } from '../preprocess/geometry.js';
import { rampColour } from './colour.js';
import { grayPng16, rgbPng } from './png.js';
import { resamplePlane } from './resample.js';

/** A depth map at the source image size, in metres, row-major. */
export interface DepthMap {
  width: number;
  height: number;
  metres: Float32Array;
}

/** Metres per unit of the 16-bit PNG (millimetres: 0 … 65.535 m). */
export const DEPTH_PNG_METRES_PER_UNIT = 0.001;

/** Longest side of the downsampled array in JSON depth answers. */
export const DEPTH_JSON_MAX_SIDE = 64;

/** Bilinear resampling of one item's depth [1, h, w] (metres) back to the source image size. */
export function depthMap(depth: Float32Array, geometry: Geometry): DepthMap {
  const plane = geometry.target.width * geometry.target.height;
  if (depth.length !== plane) throw new RangeError(`depth holds ${depth.length} values, expected ${plane}`);
  return { width: geometry.source.width, height: geometry.source.height, metres: resamplePlane(depth, 0, geometry) };
}

/** 16-bit grayscale PNG in millimetres (values clamped to 0 … 65535). */
export function depthPng16(map: DepthMap): Promise<Buffer> {
  const units = new Uint16Array(map.metres.length);
  for (let i = 0; i < units.length; i++) {
    units[i] = Math.min(65_535, Math.max(0, Math.round(map.metres[i]! / DEPTH_PNG_METRES_PER_UNIT)));
  }
  return grayPng16(units, map.width, map.height);
}

/** Colourised PNG over the bundle's depth range: near = yellow, far = dark purple. */
export function depthColourPng(map: DepthMap, range: readonly [number, number]): Promise<Buffer> {
  const [near, far] = range;
  const span = far - near || 1;
  const out = new Uint8Array(map.metres.length * 3);
  for (let i = 0; i < map.metres.length; i++) {
    const colour = rampColour((far - map.metres[i]!) / span);
    out.set(colour, i * 3);
  }
  return rgbPng(out, map.width, map.height);
}

/** Summary of a depth map plus a box-filtered copy whose longest side is at most DEPTH_JSON_MAX_SIDE. */
export interface DepthSummary {
  unit: 'm';
  width: number;
  height: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  downsampled: { width: number; height: number; data: number[][] };
}

/** Rounds metres to millimetres for JSON (keeps answers compact). */
const mm = (metres: number) => Math.round(metres * 1000) / 1000;

function boxDownsample(map: DepthMap, maxSide: number): DepthSummary['downsampled'] {
  const factor = Math.max(1, Math.max(map.width, map.height) / maxSide);
  const width = Math.max(1, Math.round(map.width / factor));
  const height = Math.max(1, Math.round(map.height / factor));
  const data: number[][] = [];
  for (let row = 0; row < height; row++) {
    const y0 = Math.floor((row * map.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((row + 1) * map.height) / height));
    const line: number[] = [];
    for (let col = 0; col < width; col++) {
      const x0 = Math.floor((col * map.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((col + 1) * map.width) / width));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += map.metres[y * map.width + x]!;
      line.push(mm(sum / ((y1 - y0) * (x1 - x0))));
    }
    data.push(line);
  }
  return { width, height, data };
}

/** Statistics (metres) and a downsampled array for JSON answers. */
export function depthSummary(map: DepthMap, maxSide = DEPTH_JSON_MAX_SIDE): DepthSummary {
  const sorted = Float32Array.from(map.metres).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    unit: 'm',
    width: map.width,
    height: map.height,
    min: mm(sorted[0]!),
    max: mm(sorted[sorted.length - 1]!),
    mean: mm(sum / sorted.length),
    median: mm(median),
    downsampled: boxDownsample(map, maxSide),
  };
}
