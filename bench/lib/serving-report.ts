import type { RunContext } from './results.js';
import type { ServingBundleResult } from './serving-run.js';
import { barChart, type BarPanel } from './svg-bars.js';

type Table = [string[], string[][]];
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

/** Latency rows (one per bundle × image) and throughput rows (one per bundle). */
export function servingTables(results: readonly ServingBundleResult[]): { latency: Table; throughput: Table } {
  const latency: Table = [
    ['bundle', 'stitch', 'image', 'n', 'e2e p50', 'engine batch p50', 'overhead p50', 'overhead p99', 'w/o decode p50', 'decode+resize p50', 'overhead/engine', 'goal ≤1 ms'],
    results.flatMap((r) =>
      [r.latency.small, r.latency.large].map((l) => [
        r.bundle,
        String(r.stitchId),
        l.image === 'small' ? '224² JPEG' : '4000×3000',
        String(l.requests - l.failed),
        ms(l.e2e.p50),
        ms(l.inference.p50),
        ms(l.overhead.p50),
        ms(l.overhead.p99),
        ms(l.overheadWithoutPreprocess.p50),
        ms(l.stages.preprocess),
        `${(l.overhead.p50 / l.inference.p50).toFixed(2)}x`,
        l.image === 'small' ? (l.overhead.p50 <= 1 ? 'ok' : 'MISSED') : '(no goal)',
      ]),
    ),
  ];
  const throughput: Table = [
    ['bundle', 'stitch', 'server ok/s', 'mean batch', 'engine loop items/s', 'server/loop (median of rounds)', 'goal ≥0.90', 'engine b1 wall/compute'],
    results.map((r) => [
      r.bundle,
      String(r.stitchId),
      r.throughput.serverPerS.toFixed(1),
      (r.throughput.rounds.reduce((s, x) => s + x.server.meanBatch, 0) / r.throughput.rounds.length).toFixed(2),
      r.throughput.directPerS.toFixed(1),
      r.throughput.medianRatio.toFixed(3),
      r.throughput.medianRatio >= 0.9 ? 'ok' : 'MISSED',
      `${ms(r.latency.direct.wall.p50)} / ${ms(r.latency.direct.compute.p50)}`,
    ]),
  ];
  return { latency, throughput };
}

/** Stacked p50 latency per image (engine batch + the server's stages + outside the handler) and throughput bars. */
export function servingChart(results: readonly ServingBundleResult[], ctx: RunContext): string {
  const panels: BarPanel[] = [];
  for (const r of results) {
    for (const l of [r.latency.small, r.latency.large]) {
      const segments = [
        { label: 'engine batch', value: l.inference.p50 },
        { label: 'decode+resize', value: l.stages.preprocess },
        { label: 'queue', value: l.stages.queue },
        { label: 'postprocess', value: l.stages.postprocess },
        { label: 'HTTP outside handler', value: Math.max(0, l.stages.outsideHandler) },
      ];
      panels.push({
        title: `${r.bundle}, stitch ${r.stitchId}, ${l.image === 'small' ? '224×224' : '4000×3000'} JPEG: p50 per stage, sequential requests`,
        unit: 'ms',
        bars: [
          { label: 'served over HTTP', value: segments.reduce((s, x) => s + x.value, 0), segments, note: `e2e ${ms(l.e2e.p50)} ms, overhead ${ms(l.overhead.p50)} ms` },
          { label: 'engine alone (b1 wall)', value: r.latency.direct.wall.p50, segments: [{ label: 'engine batch', value: r.latency.direct.wall.p50 }] },
        ],
      });
    }
    panels.push({
      title: `${r.bundle}, stitch ${r.stitchId}: closed-loop throughput ÷ engine loop (per round)`,
      unit: '',
      reference: { value: 0.9, label: 'goal 0.90' },
      bars: r.throughput.rounds.map((round, i) => ({
        label: `round ${i + 1}`,
        value: round.ratio,
        note: `${round.ratio.toFixed(3)} (${round.server.okPerS.toFixed(1)} vs ${round.directPerS.toFixed(1)} /s)`,
      })),
    });
  }
  const load = ctx.loadBefore.map((x) => x.toFixed(1)).join('/');
  return barChart('Serving overhead: HTTP server vs the engine alone', `${ctx.date.slice(0, 16)} · ${ctx.cpu} × ${ctx.cores} · load avg ${load} at start`, panels);
}
