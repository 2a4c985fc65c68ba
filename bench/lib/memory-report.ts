import type { SeparateModels } from './memory-separate.js';
import type { ServerMemory } from './memory-server.js';
import type { RunContext } from './results.js';
import { mib } from './stats.js';
import { barChart, type BarPanel } from './svg-bars.js';

/** Everything measured for one bundle. Bytes. */
export interface BundleMemory {
  bundle: string;
  /** Σ initializer bytes of the route graph (each weight once; file alignment padding excluded). */
  uniqueWeightBytes: number;
  /** Bytes of the bundle's graph files (family.onnx + family.weights). */
  fileBytes: number;
  server: ServerMemory;
  separate: SeparateModels;
}

/** The ratios the README reports, from one bundle and the baseline server. */
export function memoryRatios(r: BundleMemory, baseline: ServerMemory) {
  const after = r.server.afterExercise;
  const base = baseline.afterExercise;
  const shared = after.rss - base.rss;
  return {
    sharedDelta: shared,
    /** (RSS − baseline RSS) ÷ unique weights; goal ≤ 1.1. */
    overWeights: shared / r.uniqueWeightBytes,
    /** Private (anonymous) and file-backed (mmapped weights, shareable page cache) parts of that delta. */
    anonOverWeights: (after.anon - base.anon) / r.uniqueWeightBytes,
    fileOverWeights: (after.file - base.file) / r.uniqueWeightBytes,
    peakOverWeights: (after.peakRss - base.rss) / r.uniqueWeightBytes,
    /** Frontier as separate models ÷ the whole family in one graph (resident bytes above each baseline). */
    separateOverShared: r.separate.rssDelta / shared,
    /** Weight bytes alone: Σ frontier single-route weights ÷ unique family weights. */
    separateWeightsOverUnique: r.separate.totalWeightBytes / r.uniqueWeightBytes,
  };
}

const x = (v: number) => `${v.toFixed(2)}x`;

export function memoryRows(results: readonly BundleMemory[], baseline: ServerMemory): [string[], string[][]] {
  return [
    ['bundle', 'weights MiB', 'baseline MiB', 'server MiB', '(RSS−base)/weights', 'anon/w', 'file/w', 'peak/w', 'goal ≤1.10', 'frontier as separate models', 'separate/shared', 'weights only'],
    results.map((r) => {
      const q = memoryRatios(r, baseline);
      return [
        r.bundle,
        mib(r.uniqueWeightBytes).toFixed(1),
        mib(baseline.afterExercise.rss).toFixed(0),
        mib(r.server.afterExercise.rss).toFixed(0),
        x(q.overWeights),
        x(q.anonOverWeights),
        x(q.fileOverWeights),
        x(q.peakOverWeights),
        q.overWeights <= 1.1 ? 'ok' : 'MISSED',
        `${r.separate.frontier.length} models, ${mib(r.separate.rssDelta).toFixed(0)} MiB${r.separate.method.startsWith('measured one') ? ' (extrap.)' : ''}`,
        x(q.separateOverShared),
        x(q.separateWeightsOverUnique),
      ];
    }),
  ];
}

/** Per bundle: baseline, server (anon / file stacked), the goal line, and the frontier as separate models. */
export function memoryChart(results: readonly BundleMemory[], baseline: ServerMemory, ctx: RunContext): string {
  const base = mib(baseline.afterExercise.rss);
  const panels: BarPanel[] = results.map((r) => {
    const q = memoryRatios(r, baseline);
    const after = r.server.afterExercise;
    return {
      title: `${r.bundle}: resident memory (MiB), unique weights ${mib(r.uniqueWeightBytes).toFixed(0)} MiB`,
      unit: 'MiB',
      reference: { value: base + 1.1 * mib(r.uniqueWeightBytes), label: 'goal: baseline + 1.1 × weights' },
      bars: [
        { label: 'runtime baseline (tiny-v2)', value: base, segments: [{ label: 'runtime baseline', value: base }] },
        {
          label: 'server, whole family',
          value: mib(after.rss),
          segments: [
            { label: 'runtime baseline', value: base },
            { label: 'anonymous (private)', value: Math.max(0, mib(after.anon - baseline.afterExercise.anon)) },
            { label: 'file-backed (mmapped)', value: Math.max(0, mib(after.file - baseline.afterExercise.file)) },
          ],
          note: `${mib(after.rss).toFixed(0)} MiB = base + ${x(q.overWeights)} weights`,
        },
        {
          label: `frontier as ${r.separate.frontier.length} models`,
          value: base + mib(r.separate.rssDelta),
          segments: [
            { label: 'runtime baseline', value: base },
            { label: 'separate models', value: mib(r.separate.rssDelta) },
          ],
          note: `${(base + mib(r.separate.rssDelta)).toFixed(0)} MiB${r.separate.method.startsWith('measured one') ? ' (extrap.)' : ''}, ${x(q.separateOverShared)} shared`,
        },
      ],
    };
  });
  const load = ctx.loadBefore.map((v) => v.toFixed(1)).join('/');
  return barChart('Memory: one route graph vs weights and vs separate models', `${ctx.date.slice(0, 16)} · ${ctx.cpu} × ${ctx.cores} · load avg ${load} at start`, panels);
}
