/**
 * Serving overhead (issue 8 item 2): what HTTP + preprocessing + scheduling add on top of the engine.
 *
 *   npm run bench:serving -- [--bundle demo,real] [--rounds 3] [--quick] [--out bench/results]
 *
 * Per bundle, in one run and interleaved: sequential requests of a 224×224 JPEG and of a 4000×3000 photo
 * (end-to-end latency minus the Server-Timing `inference` time of the request's batch), the engine driven
 * directly at batch 1, and closed-loop peak throughput (autocannon) against the engine in a loop at the
 * maximum batch, same stitch. Goals: ≤ 1 ms p50 overhead on the small image; throughput ≥ 90 % of the loop.
 * Writes bench/results/serving.json and serving.svg. Expected time: ~2 min (demo), +~4 min with real.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Manifest, TaskName } from '../src/bundle/manifest.js';
import { BUNDLES, demoOrTiny } from './lib/bench-config.js';
import { photoJpeg } from './lib/images.js';
import { contextLine, finishContext, RESULTS_DIR, rounded, runContext, writeResult } from './lib/results.js';
import { anchorsOf, measureServing, type ServingBundleResult, type ServingPlan } from './lib/serving-run.js';
import { servingChart, servingTables } from './lib/serving-report.js';
import { prepareRuntime } from './lib/server-process.js';
import { table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'demo' },
    task: { type: 'string', default: 'classify' },
    stitch: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: RESULTS_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:serving -- [--bundle demo|tiny|real|DIR[,...]] [--task classify] [--stitch ID] [--rounds 3] [--quick] [--out DIR]');
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);

function planFor(name: string): ServingPlan {
  const demo = demoOrTiny();
  const dir = name === 'demo' ? demo.dir : name === 'tiny' ? BUNDLES.tiny : name === 'real' ? BUNDLES.real : path.resolve(name);
  if (!existsSync(path.join(dir, 'manifest.json'))) throw new Error(`no bundle at ${dir}${name === 'real' ? ' (build it: npm run models -- build --preset deit3-s-l --out models/build/deit3-s-l --with-official-metrics)' : ''}`);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const task = args.task as TaskName;
  const anchors = anchorsOf(manifest, task);
  // A real-size batch takes ~0.1–10 s: fewer, longer samples; the small families get many short ones.
  const realSize = manifest.stitches.some((s) => (s.flops[task] ?? 0) > 1e9);
  const stitchId = args.stitch !== undefined ? Number(args.stitch) : realSize ? anchors.small : anchors.large;
  const stitchWhy = args.stitch !== undefined ? 'given' : realSize ? 'S anchor: the cheapest real-size stitch, the hardest case for overhead' : 'L anchor: the dearest stitch of a small family';
  const quick = args.quick;
  return {
    bundleDir: dir,
    label: name === 'demo' ? demo.label : manifest.name,
    task,
    stitchId,
    stitchWhy,
    maxBatch: 8,
    rounds: quick ? 1 : Number(args.rounds),
    smallPerRound: realSize ? (quick ? 4 : 12) : quick ? 20 : 80,
    largePerRound: realSize ? (quick ? 1 : 3) : quick ? 3 : 8,
    seconds: realSize ? (quick ? 6 : 15) : quick ? 3 : 5,
    connections: 16,
  };
}

async function main(): Promise<void> {
  const ctx = runContext();
  const { runtime, note: runtimeNote } = await prepareRuntime(log);
  const small = await photoJpeg(224, 224);
  const large = await photoJpeg(4000, 3000);
  const results: ServingBundleResult[] = [];
  const notes: string[] = [];
  if (runtimeNote !== '') notes.push(runtimeNote);
  if (args.bundle.split(',').includes('demo') && demoOrTiny().note) notes.push(demoOrTiny().note);
  for (const name of args.bundle.split(',')) results.push(await measureServing(planFor(name), small, large, log));

  finishContext(ctx);
  console.log(`serving overhead — ${contextLine(ctx)}`);
  for (const note of notes) console.log(`note: ${note}`);
  const tables = servingTables(results);
  console.log(table(...tables.latency));
  console.log('');
  console.log(table(...tables.throughput));
  const svg = servingChart(results, ctx);
  const files = await writeResult(args.out, 'serving', ctx, rounded({ runtime, images: { small: { file: small.name, bytes: small.bytes.length }, large: { file: large.name, bytes: large.bytes.length } }, notes, results }), svg);
  log(`wrote ${files.join(' and ')}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
