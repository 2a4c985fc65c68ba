import sharp from 'sharp';
import type { PreprocessSpec } from '../../src/bundle/manifest.js';

/** A deterministic RGB test pattern (gradients + a bright square), interleaved uint8, width × height. */
export function pattern(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inSquare = x > width / 4 && x < width / 2 && y > height / 4 && y < (3 * height) / 4;
      data[i] = inSquare ? 250 : Math.round((255 * x) / width);
      data[i + 1] = inSquare ? 240 : Math.round((255 * y) / height);
      data[i + 2] = (x * 7 + y * 13) % 256;
    }
  }
  return data;
}

/** The pattern as a lossless PNG. */
export function patternPng(width: number, height: number): Promise<Buffer> {
  return sharp(pattern(width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** What preprocessing must produce for the pattern at its own size (no resize): planar [3, H, W] float32. */
export function patternPixels(width: number, height: number, spec: Pick<PreprocessSpec, 'mean' | 'std'>): Float32Array {
  const data = pattern(width, height);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) out[c * plane + i] = (data[i * 3 + c]! / 255 - spec.mean[c]!) / spec.std[c]!;
  return out;
}
