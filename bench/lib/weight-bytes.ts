import path from 'node:path';
import type { Manifest } from '../../src/bundle/manifest.js';
import { runPython } from './child-json.js';

/**
 * Unique weight bytes of a bundle's route graph: Σ initializer data sizes (bench/lib/weight_bytes.py). For
 * external data the per-tensor lengths, so the 64 KiB alignment padding of family.weights (~24 MB on
 * deit3-s-l) is not counted — the denominator of every "RSS ÷ weights" ratio.
 */
export async function uniqueWeightBytes(dir: string, manifest: Readonly<Manifest>): Promise<number> {
  const r = await runPython<{ initializerBytes: number }>(['bench/lib/weight_bytes.py', path.join(dir, manifest.graph.file)]);
  return r.initializerBytes;
}
