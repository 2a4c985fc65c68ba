/**
 * npm run bench:kernels -- [--bundle models/build/deit3-s-l] [--stitches 7,19,119] [--batches 1,8] [--threads 2]
 *
 * Why the route graph costs what it costs, independent of machine load: the kernels ONNX Runtime actually
 * executed for one run of a stitch in the engine's route graph and in the monolithic single-route graph of the
 * same stitch (ORT profiling, same session options, the run after an untimed one), grouped by operator type:
 * how many and their summed time. Counts do not depend on load; times do (both sides are disturbed alike only
 * when they run close together, so read time columns as indicative). `If` is left out of the time sums (its
 * time contains its branch's kernels); `Identity` is the route graph's pass-through copy of skipped slots.
 * Writes bench/results/engine-kernels.json and engine-kernels.txt (default stitches: the bench:engine picks).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '../src/bundle/load-bundle.js';
import type { TaskName } from '../src/bundle/manifest.js';
import { resolveEngineOptions } from '../src/engine/engine-options.js';
import { routePlanFor } from '../src/engine/route-plan.js';
import { sessionOptionsFor } from '../src/engine/session-options.js';
import { WorkerHost } from '../src/engine/worker-host.js';
import { inside, type ProfileEvent, takeOrtProfile } from './lib/ort-profile.js';
import { pickStitches } from './lib/pick-stitches.js';
import { startSingleRouteHost } from './lib/route-session.js';
import { ensureSingleRoute } from './lib/single-route.js';
import { table } from './lib/stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: path.join(REPO, 'models', 'build', 'deit3-s-l') },
    task: { type: 'string', default: 'classify' },
    stitches: { type: 'string' },
    batches: { type: 'string', default: '1,8' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string', default: path.join(REPO, 'bench', 'results') },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = { info: log, warn: log, error: log };

/** Per operator type: kernels executed and their summed time (µs) in one run. */
type OpTally = Record<string, { count: number; us: number }>;

/** Kernel events of the `index`-th model_run of a profile, tallied by operator type. */
function tally(profile: { runs: ProfileEvent[]; nodes: ProfileEvent[] }, index: number): { runUs: number; ops: OpTally } {
  const run = profile.runs[index];
  if (run === undefined) throw new Error(`profile has ${profile.runs.length} runs, wanted run ${index}`);
  const ops: OpTally = {};
  for (const e of profile.nodes) {
    if (!e.name.endsWith('_kernel_time') || !inside(run, e)) continue;
    const op = e.args.op_name ?? '?';
    const entry = (ops[op] ??= { count: 0, us: 0 });
    entry.count++;
    entry.us += e.dur;
  }
  return { runUs: run.dur, ops };
}

async function main(): Promise<void> {
  const bundleDir = path.resolve(args.bundle);
  const task = args.task as TaskName;
  const batches = args.batches.split(',').map(Number);
  const bundle = await loadBundle(bundleDir, { modelRoot: path.dirname(bundleDir) });
  const spec = bundle.manifest.tasks[task];
  if (spec === undefined) throw new Error(`bundle has no task ${task}`);
  const ids = args.stitches ? args.stitches.split(',').map(Number) : pickStitches(bundle.manifest, task).map((p) => p.stitch.id);
  const session = { ...resolveEngineOptions({ bundleDir, threads: Number(args.threads) }).session, device: 'cpu' as const };
  const base = sessionOptionsFor(session, ['cpu']).options;
  const outDir = path.join(REPO, 'bench', 'out');
  await mkdir(outDir, { recursive: true });
  const dims = (batch: number) => [batch, 3, spec.input.height, spec.input.width];
  const pixels = (batch: number) => new Float32Array(dims(batch).reduce((a, b) => a * b, 1));

  // Route graph: every (stitch, batch) twice; the second run of each pair is the one compared.
  const routePrefix = path.join(outDir, `kernels-route-${process.pid}`);
  log('route graph (profiling on) ...');
  const { host: route } = await WorkerHost.start(
    () => ({ type: 'init', graphPath: bundle.graphPath, device: 'cpu', fallbackOptions: null, plan: routePlanFor(bundle.manifest), sessionOptions: { ...base, enableProfiling: true, profileFilePrefix: routePrefix } }),
    logger,
  );
  try {
    for (const id of ids) for (const b of batches) for (let i = 0; i < 2; i++) await route.run(task, id, dims(b), pixels(b));
  } finally {
    await route.close();
  }
  const routeProfile = await takeOrtProfile(routePrefix);

  const rows: { stitchId: number; batch: number; route: ReturnType<typeof tally>; mono: ReturnType<typeof tally> }[] = [];
  let routeRun = 0;
  for (const id of ids) {
    const monoPath = await ensureSingleRoute(REPO, bundleDir, id, task);
    const monoPrefix = path.join(outDir, `kernels-mono-${id}-${process.pid}`);
    log(`single-route graph of stitch ${id} (profiling on) ...`);
    const mono = await startSingleRouteHost(monoPath, task, spec, id, { ...base, enableProfiling: true, profileFilePrefix: monoPrefix }, logger);
    try {
      for (const b of batches) for (let i = 0; i < 2; i++) await mono.run(task, id, dims(b), pixels(b));
    } finally {
      await mono.close();
    }
    const monoProfile = await takeOrtProfile(monoPrefix);
    batches.forEach((batch, j) => {
      rows.push({ stitchId: id, batch, route: tally(routeProfile, routeRun + 2 * j + 1), mono: tally(monoProfile, 2 * j + 1) });
    });
    routeRun += 2 * batches.length;
  }

  const lines = [`kernels executed per run, route graph vs single-route graph (ORT profiling), ${bundle.manifest.name}, load avg ${os.loadavg().map((l) => l.toFixed(1)).join('/')}`];
  for (const r of rows) {
    const ops = [...new Set([...Object.keys(r.route.ops), ...Object.keys(r.mono.ops)])].sort();
    const get = (t: OpTally, op: string) => t[op] ?? { count: 0, us: 0 };
    const computeUs = (t: OpTally) => Object.entries(t).filter(([op]) => op !== 'If' && op !== 'Identity').reduce((s, [, v]) => s + v.us, 0);
    lines.push(
      '',
      `stitch ${r.stitchId}, batch ${r.batch}: run ${(r.route.runUs / 1000).toFixed(1)} vs ${(r.mono.runUs / 1000).toFixed(1)} ms; ` +
        `compute kernels (no If/Identity) ${(computeUs(r.route.ops) / 1000).toFixed(1)} vs ${(computeUs(r.mono.ops) / 1000).toFixed(1)} ms`,
      table(
        ['op', 'route n', 'mono n', 'Δn', 'route ms', 'mono ms'],
        ops.map((op) => {
          const a = get(r.route.ops, op);
          const b = get(r.mono.ops, op);
          return [op, String(a.count), String(b.count), String(a.count - b.count), (a.us / 1000).toFixed(2), (b.us / 1000).toFixed(2)];
        }),
      ),
    );
  }
  const report = lines.join('\n');
  process.stdout.write(`${report}\n`);
  await writeFile(path.join(args.out, 'engine-kernels.json'), JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), bundle: bundle.manifest.name, rows }, null, 1));
  await writeFile(path.join(args.out, 'engine-kernels.txt'), `${report}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
