/** Test helpers: the committed tiny bundles, their PyTorch references, and tensor comparison. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskName } from '../../src/bundle/manifest.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineOptions } from '../../src/engine/engine-types.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const fixtureDir = (name: 'tiny-v1' | 'tiny-v2') => path.join(FIXTURES, name);

export interface Reference {
  task: TaskName;
  stitchId: number;
  batch: number;
  input: Float32Array;
  inputDims: number[];
  outputs: Record<string, { dims: number[]; data: Float32Array }>;
}

interface IndexEntry {
  task: TaskName;
  stitchId: number;
  batch: number;
  input: string;
  outputs: Record<string, string>;
  dims: Record<string, number[]>;
}

/** Reads a little-endian float32 raw file into an array that owns its buffer. */
export async function readFloat32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Every reference of a fixture bundle (references/index.json), inputs and outputs loaded. */
export async function loadReferences(dir: string): Promise<Reference[]> {
  const refDir = path.join(dir, 'references');
  const index = JSON.parse(await readFile(path.join(refDir, 'index.json'), 'utf8')) as IndexEntry[];
  return Promise.all(
    index.map(async (entry) => {
      const outputs: Reference['outputs'] = {};
      for (const [name, file] of Object.entries(entry.outputs)) {
        outputs[name] = { dims: entry.dims[name]!, data: await readFloat32(path.join(refDir, file)) };
      }
      const inputDims = entry.dims.pixels ?? [entry.batch, 3];
      return { task: entry.task, stitchId: entry.stitchId, batch: entry.batch, input: await readFloat32(path.join(refDir, entry.input)), inputDims, outputs };
    }),
  );
}

/** max|actual − expected| / max|expected|: the error relative to the tensor's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

/** A private temporary directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `stitchserve-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts an engine on a fixture with small warm-up settings and a throw-away profile cache. */
export async function startFixtureEngine(name: 'tiny-v1' | 'tiny-v2', options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = new Engine({
    bundleDir: fixtureDir(name),
    modelRoot: FIXTURES,
    threads: 1,
    maxBatch: 4,
    batchSizes: [1, 4],
    warmup: { runs: 1 },
    profileCacheDir: null,
    ...options,
  });
  await engine.start();
  return engine;
}

/** Copies `count` items starting at `first` out of a [B, ...] tensor. */
export function sliceBatch(data: Float32Array, batch: number, first: number, count: number): Float32Array {
  const per = data.length / batch;
  return data.slice(first * per, (first + count) * per);
}
