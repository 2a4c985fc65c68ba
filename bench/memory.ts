/**
 * Memory (issue 8 item 3): resident memory of the server process with the whole family loaded (every stitch,
 * every task, in one route graph) against the family's unique weight bytes plus a measured runtime baseline
 * (the same server on the tiny-v2 fixture: 0.4 MB of weights, all four tasks), and against deploying each
 * frontier stitch as its own single-route model.
 *
 *   npm run bench:memory -- [--bundle real,demo] [--out bench/results]
 *
 * Goal: (RSS − baseline) ≤ 1.1 × unique weight bytes. Writes bench/results/memory.json and memory.svg.
 * Expected time: ~2 min (+ ~1 min for a first export of a single-route model).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Manifest, TaskName } from '../src/bundle/manifest.js';
import { BUNDLES, resolveBundle } from './lib/bench-config.js';
import { photoJpeg } from './lib/images.js';
import { memoryChart, memoryRows, type BundleMemory } from './lib/memory-report.js';
import { measureSeparateModels } from './lib/memory-separate.js';
import { measureServerMemory } from './lib/memory-server.js';
import { contextLine, finishContext, RESULTS_DIR, rounded, runContext, writeResult } from './lib/results.js';
import { prepareRuntime } from './lib/server-process.js';
import { table } from './lib/stats.js';
import { uniqueWeightBytes } from './lib/weight-bytes.js';

const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'real,demo' },
    'max-batch': { type: 'string', default: '8' },
    out: { type: 'string', default: RESULTS_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:memory -- [--bundle real|demo|tiny|DIR[,...]] [--max-batch 8] [--out DIR]');
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const readManifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;

async function main(): Promise<void> {
  const ctx = runContext();
  const { runtime, note: runtimeNote } = await prepareRuntime(log);
  const maxBatch = Number(args['max-batch']);
  const image = (await photoJpeg(224, 224)).bytes;
  const notes: string[] = [];
  if (runtimeNote !== '') notes.push(runtimeNote);
  log('baseline: the server on tiny-v2 (minimal graph, all tasks) ...');
  const tiny = readManifest(BUNDLES.tiny);
  const baseline = await measureServerMemory(BUNDLES.tiny, tiny, { allStitches: true, maxBatch, image }, log);
  const results: BundleMemory[] = [];
  for (const name of args.bundle.split(',')) {
    const dir = resolveBundle(name);
    if (!existsSync(path.join(dir, 'manifest.json'))) {
      notes.push(`${name}: no bundle at ${path.relative(process.cwd(), dir)}, skipped`);
      continue;
    }
    if (dir === BUNDLES.tiny && name !== 'tiny') notes.push('models/fmnist-s-l not built yet: the tiny-v2 fixture stands in for the demo (it is also the baseline)');
    const manifest = readManifest(dir);
    // Small families (< 100 MB of weights): every stitch exercised and every frontier model exported and
    // measured; real-size: anchors + frontier, and one separate model measured then extrapolated.
    const small = manifest.files.reduce((s, f) => s + f.bytes, 0) < 100e6;
    log(`${manifest.name}: server memory (${small ? 'every stitch' : 'anchors + frontier'}, every task) ...`);
    const server = await measureServerMemory(dir, manifest, { allStitches: small, maxBatch, image }, log);
    const weights = await uniqueWeightBytes(dir, manifest);
    const fileBytes = manifest.files.reduce((s, f) => s + f.bytes, 0);
    const task = (Object.keys(manifest.tasks) as TaskName[])[0]!;
    log(`${manifest.name}: separate single-route models of the ${task} frontier ...`);
    const separate = await measureSeparateModels(dir, manifest, task, server.frontier[task] ?? [], { measureAll: small, batches: [1, maxBatch], threads: 2 }, log);
    results.push({ bundle: manifest.name, uniqueWeightBytes: weights, fileBytes, server, separate });
  }
  finishContext(ctx);
  console.log(`memory — ${contextLine(ctx)}`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(table(...memoryRows(results, baseline)));
  const files = await writeResult(args.out, 'memory', ctx, rounded({ runtime, maxBatch, notes, baseline, results }), memoryChart(results, baseline, ctx));
  log(`wrote ${files.join(' and ')}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
