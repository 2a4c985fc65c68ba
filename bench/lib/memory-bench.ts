import path from 'node:path';
import type { Manifest } from '../../src/bundle/manifest.js';
import type { ProbeResult } from './memory-probe.js';
import { runProbe } from './run-probe.js';
import { mib, table } from './stats.js';
import { uniqueWeightBytes } from './weight-bytes.js';

export interface MemoryReport {
  /** Σ initializer bytes of the route graph (no alignment padding). */
  uniqueWeightBytes: number;
  /** Bytes of the bundle's files (family.onnx + family.weights, padding included), for reference. */
  fileBytes: number;
  baseline: ProbeResult;
  family: ProbeResult;
  /** (family RSS − baseline RSS) / unique weight bytes, after the runs. */
  ratio: number;
  /** The same right after session creation, before any run (weights only, no activations). */
  loadedRatio: number;
  lines: string[];
}

/**
 * Resident memory with the whole family loaded (every anchor, stitching layer and head: one session) after
 * running both anchors and the benchmark stitches at every batch size, against the unique weight bytes. The
 * runtime baseline is the same probe on the tiny-v2 fixture (Node + tsx + ORT + the engine worker + a session).
 * Unique weight bytes = Σ initializer bytes (weight-bytes.ts), not the file sizes: family.weights pads every
 * tensor to 64 KiB (~1.8 % on deit3-s-l), and those pages are never resident.
 */
export async function measureMemory(args: {
  repo: string;
  bundleDir: string;
  manifest: Readonly<Manifest>;
  task: string;
  batches: number[];
  threads: number;
  memArena: boolean;
  stitches: number[];
}): Promise<MemoryReport> {
  const anchors = args.manifest.stitches.filter((s) => s.kind === 'anchor').map((s) => s.id);
  const common = { task: args.task, batches: args.batches, reps: 1, threads: args.threads, prepacking: true, memArena: args.memArena };
  const fixtures = path.join(args.repo, 'test', 'fixtures');
  const baseline = await runProbe({ ...common, bundleDir: path.join(fixtures, 'tiny-v2'), modelRoot: fixtures, stitches: [0, 1, 9] });
  const family = await runProbe({ ...common, bundleDir: args.bundleDir, modelRoot: path.dirname(args.bundleDir), stitches: [...anchors, ...args.stitches] });
  const weights = await uniqueWeightBytes(args.bundleDir, args.manifest);
  const fileBytes = args.manifest.files.reduce((sum, f) => sum + f.bytes, 0);
  const ratio = (family.afterRuns.rss - baseline.afterRuns.rss) / weights;
  const loadedRatio = (family.afterLoad.rss - baseline.afterLoad.rss) / weights;
  const row = (name: string, r: ProbeResult) => [
    name, mib(r.afterLoad.rss).toFixed(0), mib(r.afterRuns.rss).toFixed(0), mib(r.afterRuns.peakRss).toFixed(0),
    mib(r.afterRuns.anon).toFixed(0), mib(r.afterRuns.file).toFixed(0), String(r.sessionMs),
  ];
  const lines = [
    `memory: whole family in one session, after running anchors + stitches ${args.stitches.join(', ')} at batch ${args.batches.join(', ')} (MiB)`,
    table(['process', 'rss loaded', 'rss after runs', 'peak', 'anon', 'file', 'session ms'], [
      row('baseline (tiny-v2)', baseline),
      row(args.manifest.name, family),
    ]),
    `unique weight bytes ${mib(weights).toFixed(0)} MiB (initializers; files ${mib(fileBytes).toFixed(0)} MiB with padding); ` +
      `(RSS − baseline) / weights: loaded ${loadedRatio.toFixed(3)}x, after runs ${ratio.toFixed(3)}x ` +
      `(goal ≤ 1.10x: ${ratio <= 1.1 ? 'ok' : 'OVER'}); peak (VmHWM − baseline) / weights = ` +
      `${((family.afterRuns.peakRss - baseline.afterRuns.rss) / weights).toFixed(3)}x`,
  ];
  return { uniqueWeightBytes: weights, fileBytes, baseline, family, ratio, loadedRatio, lines };
}

/** Session-option sweep behind the defaults: prepacking × arena, each in a fresh process. */
export async function sweepOptions(args: {
  bundleDir: string;
  modelRoot: string;
  task: string;
  threads: number;
  batches: number[];
  stitches: number[];
}): Promise<{ results: { prepacking: boolean; memArena: boolean; probe: ProbeResult }[]; lines: string[] }> {
  const results = [];
  for (const prepacking of [true, false]) {
    for (const memArena of [false, true]) {
      const probe = await runProbe({ ...args, reps: 3, prepacking, memArena });
      results.push({ prepacking, memArena, probe });
    }
  }
  const keys = Object.keys(results[0]!.probe.latency);
  const lines = [
    'session options sweep (fresh process each; latency = median of 2 runs after a first run, ms)',
    table(
      ['prepack', 'arena', 'session ms', 'rss MiB', 'peak MiB', ...keys.map((k) => `stitch:b ${k}`)],
      results.map(({ prepacking, memArena, probe }) => [
        prepacking ? 'on' : 'off', memArena ? 'on' : 'off', String(probe.sessionMs),
        mib(probe.afterRuns.rss).toFixed(0), mib(probe.afterRuns.peakRss).toFixed(0),
        ...keys.map((k) => probe.latency[k]!.toFixed(1)),
      ]),
    ),
  ];
  return { results, lines };
}
