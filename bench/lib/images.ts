import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/simulator/prng.js';
import { BENCH_OUT } from './bench-config.js';

/** A generated benchmark input. */
export interface BenchImage {
  name: string;
  file: string;
  bytes: Buffer;
  width: number;
  height: number;
}

/**
 * A photo-like JPEG (quality 85): smooth colour gradients and a few shapes under low-amplitude seeded noise,
 * so it compresses like a photograph rather than like a flat fill (decode cost depends on the entropy).
 * Deterministic for a given size; cached under bench/out/images.
 */
export async function photoJpeg(width: number, height: number): Promise<BenchImage> {
  const name = `photo-${width}x${height}.jpg`;
  const file = path.join(BENCH_OUT, 'images', name);
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await renderPhoto(width, height));
  }
  return { name, file, bytes: await readFile(file), width, height };
}

async function renderPhoto(width: number, height: number): Promise<Buffer> {
  const rng = new Rng(width * 31 + height);
  const raw = Buffer.alloc(width * height * 3);
  const cx = width * 0.6;
  const cy = height * 0.4;
  const r2 = (Math.min(width, height) * 0.25) ** 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r2;
      const stripe = Math.floor((x + y) / Math.max(8, width / 40)) % 2 === 0;
      const noise = (rng.uniform() - 0.5) * 24;
      raw[i] = clamp((inDisc ? 200 : (255 * x) / width) + noise);
      raw[i + 1] = clamp((stripe ? 140 : 90) + (80 * y) / height + noise);
      raw[i + 2] = clamp((inDisc ? 60 : 255 - (255 * y) / height) + noise);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}
