import type { Geometry } from '../preprocess/geometry.js';

/**
 * Bilinear taps from every source pixel centre to the model-resolution grid, per axis: source pixel i reads
 * model cells lo[i] and lo[i]+1 (clamped) with weight w[i] on the upper one (align_corners = false semantics).
 */
interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  w: Float32Array;
}

function axisTaps(sourceLength: number, modelLength: number, scale: number, offset: number): AxisTaps {
  const lo = new Int32Array(sourceLength);
  const hi = new Int32Array(sourceLength);
  const w = new Float32Array(sourceLength);
  for (let i = 0; i < sourceLength; i++) {
    // Centre of source pixel i in model coordinates, then relative to model pixel centres.
    const u = Math.min(Math.max((i + 0.5) * scale + offset - 0.5, 0), modelLength - 1);
    const base = Math.floor(u);
    lo[i] = base;
    hi[i] = Math.min(base + 1, modelLength - 1);
    w[i] = u - base;
  }
  return { lo, hi, w };
}

/** Per-axis bilinear taps for mapping a model-resolution map back to the source image of `geometry`. */
export function sourceTaps(geometry: Geometry): { x: AxisTaps; y: AxisTaps } {
  const { source, target } = geometry;
  return {
    x: axisTaps(source.width, target.width, geometry.scaleX, geometry.offsetX),
    y: axisTaps(source.height, target.height, geometry.scaleY, geometry.offsetY),
  };
}

/**
 * Resamples one model-resolution plane (row-major, target.height × target.width, starting at `planeOffset`)
 * to the source image size with bilinear interpolation; edges are clamped (cropped areas take the nearest edge).
 */
export function resamplePlane(data: Float32Array, planeOffset: number, geometry: Geometry): Float32Array {
  const { x, y } = sourceTaps(geometry);
  const { width, height } = geometry.source;
  const modelWidth = geometry.target.width;
  const out = new Float32Array(width * height);
  for (let row = 0; row < height; row++) {
    const top = planeOffset + y.lo[row]! * modelWidth;
    const bottom = planeOffset + y.hi[row]! * modelWidth;
    const wy = y.w[row]!;
    for (let col = 0; col < width; col++) {
      const l = x.lo[col]!;
      const r = x.hi[col]!;
      const wx = x.w[col]!;
      const upper = data[top + l]! + (data[top + r]! - data[top + l]!) * wx;
      const lower = data[bottom + l]! + (data[bottom + r]! - data[bottom + l]!) * wx;
      out[row * width + col] = upper + (lower - upper) * wy;
    }
  }
  return out;
}
