import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One PyTorch reference case of a bundle (docs/contracts.md §1, references/index.json). */
export interface ReferenceCase {
  task: 'classify' | 'segment' | 'depth' | 'detect';
  stitchId: number;
  batch: number;
  /** Preprocessed pixels [B, 3, H, W]. */
  input: Float32Array;
  inputDims: number[];
  /** Output name → expected tensor (row-major). */
  outputs: Record<string, { dims: number[]; data: Float32Array }>;
}

function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Reads every reference case of a bundle directory. */
export function readReferences(bundleDir: string): ReferenceCase[] {
  const dir = path.join(bundleDir, 'references');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    task: ReferenceCase['task'];
    stitchId: number;
    batch: number;
    input: string;
    outputs: Record<string, string>;
    dims: Record<string, number[]>;
  }[];
  return index.map((entry) => ({
    task: entry.task,
    stitchId: entry.stitchId,
    batch: entry.batch,
    input: readFloats(path.join(dir, entry.input)),
    inputDims: entry.dims['pixels']!,
    outputs: Object.fromEntries(Object.entries(entry.outputs).map(([name, file]) => [name, { dims: entry.dims[name]!, data: readFloats(path.join(dir, file)) }])),
  }));
}

/** Item `i` of a batched tensor [B, ...]. */
export function item(data: Float32Array, batch: number, i: number): Float32Array {
  const size = data.length / batch;
  return data.subarray(i * size, (i + 1) * size);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
