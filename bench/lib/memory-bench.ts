import path from 'node:path';
import type { Manifest } from '../../src/bundle/manifest.js';
import type { ProbeResult } from './memory-probe.js';
import { runProbe } from './run-probe.js';
import { mib, table } from './stats.js';

export interface MemoryReport {
  uniqueWeightBytes: number;
  baseline: ProbeResult;
  family: ProbeResult;
  /** (family RSS − baseline RSS) / unique weight bytes, after the runs. */
  ratio: number;
  lines: string[];
}

/**
 * Resident memory with the whole family loaded (every anchor, stitching layer and head: one session) after
 * running both anchors and the benchmark stitches at every batch size, against the unique weight bytes. The
 * runtime baseline is the same probe on the tiny-v2 fixture (Node + tsx + ORT + the engine worker + a session).
 * Unique weight bytes = the bundle's file bytes (family.onnx + family.weights; graph structure is < 0.1 %).
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
  const uniqueWeightBytes = args.manifest.files.reduce((sum, f) => sum + f.bytes, 0);
  const ratio = (family.afterRuns.rss - baseline.afterRuns.rss) / uniqueWeightBytes;
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
    `unique weight bytes ${mib(uniqueWeightBytes).toFixed(0)} MiB; (RSS − baseline) / weights = ${ratio.toFixed(3)}x ` +
      `(goal ≤ 1.10x: ${ratio <= 1.1 ? 'ok' : 'OVER'}); peak (VmHWM − baseline) / weights = ` +
      `${((family.afterRuns.peakRss - baseline.afterRuns.rss) / uniqueWeightBytes).toFixed(3)}x`,
  ];
  return { uniqueWeightBytes, baseline, family, ratio, lines };
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
