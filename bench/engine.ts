/**
 * npm run bench:engine -- [--bundle models/build/deit3-s-l] [--batches 1,8] [--reps 1:15,8:5] [--threads 2]
 *                          [--stitches 12,40,90] [--skip-latency] [--skip-memory] [--sweep]
 *
 * 1. Latency: the engine's route graph (one session, all `If`s) against a monolithic single-route ONNX of the
 *    same subnetwork (exported by the toolchain), same ORT options, same worker code, interleaved runs, for an
 *    S→L, an L→S and a two-way stitch at each batch size. Goal: ratio ≤ 1.03.
 * 2. Memory (unless --skip-memory): resident memory of a process with the whole family loaded and every stitch
 *    kind run at each batch size, against the unique weight bytes plus the runtime baseline (the same probe on
 *    the tiny-v2 fixture). Goal: (RSS − baseline) ≤ 1.1 × weights.
 * 3. --sweep: the session-option measurements behind the engine defaults (prepacking × arena).
 * Writes bench/results/engine.json and bench/results/engine.txt.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '../src/bundle/load-bundle.js';
import { Engine } from '../src/engine/engine.js';
import { resolveEngineOptions } from '../src/engine/engine-options.js';
import type { InferenceSession } from 'onnxruntime-node';
import type { StitchSpec, TaskName, TaskSpec } from '../src/bundle/manifest.js';
import { type SessionConfig, sessionOptionsFor } from '../src/engine/session-options.js';
import { measureIfOverhead } from './lib/if-overhead.js';
import { compareStitch, type PairResult } from './lib/latency-compare.js';
import { measureMemory, sweepOptions } from './lib/memory-bench.js';
import { pickStitches } from './lib/pick-stitches.js';
import { ensureSingleRoute } from './lib/single-route.js';
import { table } from './lib/stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    bundle: { type: 'string', default: path.join(REPO, 'models', 'build', 'deit3-s-l') },
    task: { type: 'string', default: 'classify' },
    batches: { type: 'string', default: '1,8' },
    // Rounds per batch size ("1:15,8:5"), or one number for every size: batch 1 is cheap, so more rounds.
    reps: { type: 'string', default: '1:15,8:5' },
    threads: { type: 'string', default: '2' },
    stitches: { type: 'string' },
    'skip-memory': { type: 'boolean', default: false },
    'skip-latency': { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(REPO, 'bench', 'results') },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = { info: log, warn: log, error: log };

async function main(): Promise<void> {
  const bundleDir = path.resolve(args.bundle);
  if (!existsSync(path.join(bundleDir, 'manifest.json'))) {
    log(`no bundle at ${bundleDir}; build it with:\n  npm run models -- build --preset deit3-s-l --out models/build/deit3-s-l`);
    process.exit(2);
  }
  const task = args.task as TaskName;
  const batches = args.batches.split(',').map(Number);
  const reps = parseReps(args.reps);
  const loadBefore = os.loadavg();
  const threads = Number(args.threads);
  const modelRoot = path.dirname(bundleDir);
  log(`validating ${bundleDir} (sha256 of every file) ...`);
  const bundle = await loadBundle(bundleDir, { modelRoot });
  const manifest = bundle.manifest;
  const spec = manifest.tasks[task];
  if (spec === undefined) throw new Error(`bundle ${manifest.name} has no task ${task}`);
  const picked = args.stitches
    ? args.stitches.split(',').map((id) => ({ label: `stitch ${id}`, stitch: manifest.stitches.find((s) => s.id === Number(id))! }))
    : pickStitches(manifest, task);
  // The engine's own defaults (arena, memory pattern, prepacking, spinning off), on CPU.
  const session = { ...resolveEngineOptions({ bundleDir, threads }).session, device: 'cpu' as const };
  const sessionOptions = sessionOptionsFor(session, ['cpu']).options;

  const monoPaths = new Map<number, string>();
  for (const { stitch } of args['skip-latency'] ? [] : picked) {
    log(`single-route graph of stitch ${stitch.id} (${stitch.kind}) ...`);
    monoPaths.set(stitch.id, await ensureSingleRoute(REPO, bundleDir, stitch.id, task));
  }

  const latency = args['skip-latency']
    ? []
    : await timeStitches({ bundleDir, modelRoot, picked, monoPaths, task, spec, batches, reps, threads, session, sessionOptions });
  log('profiling the route graph machinery (ORT profiling, one run per shape) ...');
  const overhead = args['skip-latency']
    ? null
    : await measureIfOverhead({ bundle, task, stitches: picked.map((p) => p.stitch.id), batches, sessionOptions, outDir: path.join(REPO, 'bench', 'out'), logger });
  const memory = args['skip-memory']
    ? null
    : await measureMemory({ repo: REPO, bundleDir, manifest, task, batches, threads, memArena: session.memArena, stitches: picked.map((p) => p.stitch.id) });
  const sweep = args.sweep
    ? await sweepOptions({ bundleDir, modelRoot, task, threads, batches, stitches: picked.map((p) => p.stitch.id) })
    : null;

  const report = renderReport(manifest.name, threads, latency, overhead, memory, sweep);
  process.stdout.write(`${report}\n`);
  await mkdir(args.out, { recursive: true });
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadBefore, load: os.loadavg() };
  const repsPerBatch = Object.fromEntries(batches.map((b) => [b, reps(b)]));
  await writeFile(path.join(args.out, 'engine.json'), JSON.stringify({ date: new Date().toISOString(), machine, bundle: manifest.name, threads, reps: repsPerBatch, latency, overhead, memory, sweep }, null, 1));
  await writeFile(path.join(args.out, 'engine.txt'), `${report}\n`);
  log(`wrote ${path.join(args.out, 'engine.json')} and engine.txt`);
}

type LatencyRow = PairResult & { label: string; kind: string };

/** "15" → 15 rounds at every batch size; "1:15,8:5" → per batch size (others: the last size's count). */
function parseReps(spec: string): (batch: number) => number {
  if (/^\d+$/.test(spec)) return () => Number(spec);
  const pairs = spec.split(',').map((p) => p.split(':').map(Number) as [number, number]);
  if (pairs.some(([b, n]) => !(b >= 1) || !(n >= 1))) throw new Error(`--reps: want N or batch:N,... got '${spec}'`);
  const table = new Map(pairs);
  return (batch) => table.get(batch) ?? pairs[pairs.length - 1]![1];
}

/** Starts the engine on the route graph and compares each picked stitch with its single-route graph. */
async function timeStitches(a: {
  bundleDir: string;
  modelRoot: string;
  picked: { label: string; stitch: Readonly<StitchSpec> }[];
  monoPaths: Map<number, string>;
  task: TaskName;
  spec: Readonly<TaskSpec>;
  batches: number[];
  reps: (batch: number) => number;
  threads: number;
  session: SessionConfig;
  sessionOptions: InferenceSession.SessionOptions;
}): Promise<LatencyRow[]> {
  log('starting the engine on the route graph ...');
  const engine = new Engine({
    bundleDir: a.bundleDir, modelRoot: a.modelRoot, threads: a.threads,
    memArena: a.session.memArena, memPattern: a.session.memPattern, prepacking: a.session.prepacking,
    maxBatch: Math.max(...a.batches), batchSizes: a.batches, servedStitches: a.picked.map((p) => p.stitch.id),
    warmup: { enabled: false }, profileCacheDir: null, logger,
  });
  await engine.start();
  const rows: LatencyRow[] = [];
  try {
    for (const { label, stitch } of a.picked) {
      log(`timing ${label} stitch ${stitch.id}: interleaved rounds ${a.batches.map((b) => `${a.reps(b)} at batch ${b}`).join(', ')} ...`);
      const results = await compareStitch({
        engine, monoPath: a.monoPaths.get(stitch.id)!, task: a.task, spec: a.spec, stitchId: stitch.id,
        batches: a.batches, reps: a.reps, sessionOptions: a.sessionOptions, logger,
      });
      rows.push(...results.map((r) => ({ ...r, label, kind: stitch.kind })));
    }
  } finally {
    await engine.close();
  }
  return rows;
}

function renderReport(
  bundle: string,
  threads: number,
  latency: LatencyRow[],
  overhead: Awaited<ReturnType<typeof measureIfOverhead>> | null,
  memory: Awaited<ReturnType<typeof measureMemory>> | null,
  sweep: Awaited<ReturnType<typeof sweepOptions>> | null,
): string {
  const parts = [
    `engine bench: ${bundle}, ${threads} intra-op threads, CPU ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ` +
      `load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    ...(os.loadavg()[0]! > os.cpus().length ? ['WARNING: the machine was busier than its core count; wall times are disturbed (read the cpu columns)'] : []),
    '',
    'latency: route graph (engine) vs monolithic single-route graph, worker-measured session.run, median ms;',
    'cpu = process CPU ms per run (all ORT threads): the work done, far less disturbed by other processes on the cores;',
    'paired = median over rounds of engine_i / mono_i (the two ran back to back); goal ≤ 1.03x',
    table(
      ['stitch', 'kind', 'id', 'batch', 'rounds', 'engine ms', 'mono ms', 'ratio', 'paired', 'min/min', 'cpu engine', 'cpu mono', 'cpu ratio', 'cpu paired', 'goal (cpu paired)'],
      latency.map((r) => [
        r.label, r.kind, String(r.stitchId), String(r.batch), String(r.engineMs.length), r.engineMedianMs.toFixed(1), r.monoMedianMs.toFixed(1),
        `${r.ratio.toFixed(3)}x`, `${r.pairedRatio.toFixed(3)}x`, `${r.minRatio.toFixed(3)}x`,
        r.engineCpuMs.toFixed(1), r.monoCpuMs.toFixed(1), `${r.cpuRatio.toFixed(3)}x`, `${r.pairedCpuRatio.toFixed(3)}x`,
        r.pairedCpuRatio <= 1.03 ? 'ok' : 'OVER',
      ]),
    ),
  ];
  if (overhead !== null) parts.push('', ...overhead.lines);
  if (memory !== null) parts.push('', ...memory.lines);
  if (sweep !== null) parts.push('', ...sweep.lines);
  return parts.join('\n');
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
