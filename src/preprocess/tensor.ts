import type { PreprocessSpec } from '../bundle/manifest.js';

/**
 * Converts interleaved 8-bit pixels (1 or 3 channels, H×W) to a planar RGB float32 tensor [3, H, W]:
 * value = ((v / 255) − mean[c]) / std[c]; a single (luminance) channel is replicated to R, G and B.
 * Writes into `out` at `offset` (in floats) so batches can be filled in place; returns `out`.
 */
export function toPlanarTensor(
  pixels: Uint8Array,
  channels: 1 | 3,
  spec: Pick<PreprocessSpec, 'mean' | 'std'>,
  out: Float32Array,
  offset = 0,
): Float32Array {
  const plane = pixels.length / channels;
  if (!Number.isInteger(plane) || out.length < offset + 3 * plane) {
    throw new RangeError(`tensor of ${out.length} floats cannot hold 3×${plane} values at offset ${offset}`);
  }
  for (let c = 0; c < 3; c++) {
    // Fold the affine map into one multiply-add per value: (v/255 − m)/s = v·(1/(255 s)) − m/s.
    const scale = 1 / (255 * spec.std[c]!);
    const shift = spec.mean[c]! / spec.std[c]!;
    const source = channels === 1 ? 0 : c;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = pixels[i * channels + source]! * scale - shift;
  }
  return out;
}
