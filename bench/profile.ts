/**
 * npm run bench:profile -- [--bundle models/build/deit3-s-l] [--task classify] [--batches 1,2,4,8]
 *                          [--budget-ms 300000] [--sample 10] [--runs 2] [--threads 2] [--out FILE]
 *
 * Measures the engine's latency profile of a bundle on this machine — the engine's own warm-up (every shape
 * when that fits the budget, else a representative subset at the smallest and largest batch size, the rest
 * interpolated; docs/engine.md "Warm-up and latency profile") with a larger budget than a server start — and
 * writes it as `{"task:stitch:batch": ms}` (the format `npm run bench:controller` reads), default
 * bench/results/<bundle>.profile.json. A sidecar `<out>.meta.json` records which entries were measured, the
 * options, and the machine load before and after (this is a shared 2-core machine).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine.js';
import { finishContext, runContext } from './lib/results.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: path.join(REPO, 'models', 'build', 'deit3-s-l') },
    task: { type: 'string', default: 'classify' },
    batches: { type: 'string', default: '1,2,4,8' },
    'budget-ms': { type: 'string', default: '300000' },
    sample: { type: 'string', default: '10' },
    runs: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const bundleDir = path.resolve(args.bundle);
  if (!existsSync(path.join(bundleDir, 'manifest.json'))) throw new Error(`no bundle at ${bundleDir}`);
  const out = path.resolve(args.out ?? path.join(REPO, 'bench', 'results', `${path.basename(bundleDir)}.profile.json`));
  const batchSizes = args.batches.split(',').map(Number);
  const warmup = { enabled: true, runs: Number(args.runs), sampleStitches: Number(args.sample), budgetMs: Number(args['budget-ms']) };
  const ctx = runContext();
  const started = performance.now();
  // No profile cache: every entry marked measured was timed in this run.
  const engine = new Engine({
    bundleDir, threads: Number(args.threads), maxBatch: Math.max(...batchSizes), batchSizes,
    warmup, profileCacheDir: null, logger: { info: log, warn: log, error: log },
  });
  await engine.start();
  const entries = [...engine.profileEntries()].filter(([key]) => key.startsWith(`${args.task}:`));
  await engine.close();
  finishContext(ctx);
  const profile = Object.fromEntries(entries.map(([key, e]) => [key, Math.round(e.ms * 1000) / 1000]));
  const measured = entries.filter(([, e]) => e.source === 'measured').map(([key]) => key);
  await writeFile(out, `${JSON.stringify(profile, null, 1)}\n`);
  const meta = { context: ctx, bundle: path.basename(bundleDir), task: args.task, batchSizes, warmup, wallMs: Math.round(performance.now() - started), entries: entries.length, measured };
  await writeFile(out.replace(/\.json$/, '.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  log(`wrote ${out}: ${entries.length} entries, ${measured.length} measured (${measured.join(' ')})`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
