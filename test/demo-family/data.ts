/** Test data for the demo-family re-check: Fashion-MNIST test images and the committed scene subset. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_DIR = path.join(REPO, 'models', 'fmnist-s-l');
export const FIXTURE_DIR = path.join(REPO, 'test', 'demo-family', 'fixtures');
export const FMNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The fixture's description (written by models/toolchain/stitchkit/demo/fixture.py). */
export interface SubsetMeta {
  classifyImages: number;
  evalImages: number;
  evalScenes: number;
  scenes: number;
  sceneSize: number;
  z: number;
  depthRange: [number, number];
  detectionsPerImage: number;
  boxes: number[][][];
  boxLabels: number[][];
  stitches: number[];
  tolerances: Record<string, Record<string, number>>;
}

export interface Scene {
  image: Uint8Array; // [S, S, 3] RGB
  segment: Uint8Array; // [S, S], 0 = background, 1..10 = class + 1
  depth: Float32Array; // [S, S] metres
  boxes: number[][]; // [x0, y0, x1, y1] pixels
  labels: number[];
}

export function readSubsetMeta(): SubsetMeta {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'subset.json'), 'utf8')) as SubsetMeta;
}

/** The scenes of `scenes.bin.gz` (per scene: image, segment, depth float32 LE). */
export function readScenes(meta: SubsetMeta): Scene[] {
  const raw = gunzipSync(readFileSync(path.join(FIXTURE_DIR, 'scenes.bin.gz')));
  const s = meta.sceneSize;
  const per = s * s * 3 + s * s + s * s * 4;
  if (raw.byteLength !== per * meta.scenes) throw new Error(`scenes.bin holds ${raw.byteLength} bytes, expected ${per * meta.scenes}`);
  const out: Scene[] = [];
  for (let i = 0; i < meta.scenes; i++) {
    const base = i * per;
    const depth = new Float32Array(s * s);
    new Uint8Array(depth.buffer).set(raw.subarray(base + s * s * 4, base + per));
    out.push({
      image: raw.subarray(base, base + s * s * 3),
      segment: raw.subarray(base + s * s * 3, base + s * s * 4),
      depth,
      boxes: meta.boxes[i]!,
      labels: meta.boxLabels[i]!,
    });
  }
  return out;
}

/** Decodes a gzipped IDX file: [dims...] and its uint8 payload. */
function readIdxGz(file: string): { dims: number[]; data: Uint8Array } {
  const raw = gunzipSync(readFileSync(file));
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) throw new Error(`${file} is not a uint8 IDX file`);
  const dims = Array.from({ length: raw[3]! }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: raw.subarray(4 + 4 * dims.length) };
}

export const hasFashionMnist = () => existsSync(path.join(FMNIST_DIR, 't10k-images-idx3-ubyte.gz'));

/** The first `count` Fashion-MNIST test images (uint8 28×28 each) and their labels. */
export function readFashionMnistTest(count: number): { images: Uint8Array[]; labels: number[] } {
  const images = readIdxGz(path.join(FMNIST_DIR, 't10k-images-idx3-ubyte.gz'));
  const labels = readIdxGz(path.join(FMNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
  const side = images.dims[1]! * images.dims[2]!;
  return {
    images: Array.from({ length: count }, (_, i) => images.data.subarray(i * side, (i + 1) * side)),
    labels: Array.from(labels.data.subarray(0, count)),
  };
}

/**
 * Grey 28×28 → normalised [3, size, size] planes exactly as the toolchain evaluates: bilinear resize with
 * half-pixel centres (torch `align_corners=False`), then (v/255 − 0.5)/0.5 on every channel.
 */
export function classifyPixels(gray: Uint8Array, inSide: number, size: number, out: Float32Array, offset: number): void {
  const scale = inSide / size;
  const taps = Array.from({ length: size }, (_, d) => {
    const src = Math.max((d + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSide - 1);
    return { lo, hi: Math.min(lo + 1, inSide - 1), t: src - lo };
  });
  for (let y = 0; y < size; y++) {
    const ty = taps[y]!;
    for (let x = 0; x < size; x++) {
      const tx = taps[x]!;
      const top = gray[ty.lo * inSide + tx.lo]! * (1 - tx.t) + gray[ty.lo * inSide + tx.hi]! * tx.t;
      const bottom = gray[ty.hi * inSide + tx.lo]! * (1 - tx.t) + gray[ty.hi * inSide + tx.hi]! * tx.t;
      const v = ((top * (1 - ty.t) + bottom * ty.t) / 255 - 0.5) / 0.5;
      for (let c = 0; c < 3; c++) out[offset + c * size * size + y * size + x] = v;
    }
  }
}

/** RGB [S, S, 3] uint8 → normalised planar [3, S, S] written at `offset`. */
export function scenePixels(image: Uint8Array, side: number, out: Float32Array, offset: number): void {
  const plane = side * side;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * plane + i] = (image[i * 3 + c]! / 255 - 0.5) / 0.5;
  }
}
