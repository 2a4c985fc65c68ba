/**
 * Measures the demo bundle's latency per stitch and task at batch 1 with the real engine (onnxruntime-node worker,
 * 1 intra-op thread) and writes models/fmnist-s-l/plots/latency-profile.json ("task:stitch:batch" → ms), which the
 * toolchain's export turns into the latency frontier plot. Only measured entries are written (no interpolation).
 *
 *   node --import tsx test/demo-family/measure-latency.ts [runs]
 *
 * The numbers are medians of `runs` timed runs on whatever machine this runs on; on a loaded machine they are
 * noisy but their ordering across stitches is what the plot shows.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { BUNDLE_DIR } from './data.js';

const runs = Number(process.argv[2] ?? 5);
const engine = new Engine({
  bundleDir: BUNDLE_DIR,
  modelRoot: path.dirname(BUNDLE_DIR),
  threads: 1,
  maxBatch: 1,
  batchSizes: [1],
  warmup: { enabled: true, runs, maxShapes: 100_000, sampleStitches: 100_000, budgetMs: 3_600_000 },
  profileCacheDir: null,
});
await engine.start();
const measured = Object.fromEntries([...engine.profileEntries()].filter(([, e]) => e.source !== 'interpolated').map(([k, e]) => [k, e.ms]));
await engine.close();
const out = path.join(BUNDLE_DIR, 'plots', 'latency-profile.json');
writeFileSync(out, JSON.stringify(measured, null, 1) + '\n');
console.log(`${Object.keys(measured).length} measured entries → ${out}`);
