import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import type { SimReport } from '../../src/simulator/report.js';
import type { SimTable } from '../../src/simulator/table.js';
import { benchConfig } from './bench-config.js';
import { BenchClient } from './http-client.js';
import { cacheCopy, type Calibration } from './live-calibrate.js';
import { summariseLive, type LiveReport } from './live-outcomes.js';
import { predictTrace } from './live-sim.js';
import { replayTrace, type OpenLoopRun } from './open-loop.js';
import { startServer } from './server-process.js';
import type { Trace } from './traces.js';

export interface LiveSettings {
  bundle: string;
  task: TaskName;
  maxBatch: number;
  queueBound: number;
  budgetMs: number;
  image: Buffer;
  seed: number;
}

/** One policy on one trace: measured on the live server and predicted by the simulator. */
export interface TraceResult {
  trace: string;
  requests: number;
  live: LiveReport;
  sim: SimReport | null;
  sendLagMs: OpenLoopRun['sendLagMs'];
}

export interface PolicyRun {
  policy: string;
  /** Server start (warm-up off, profile from the calibration's cache), ms. */
  startMs: number;
  traces: TraceResult[];
}

/** Metric value of a stitch for the task (fraction); 0 when the bundle does not know it. */
export function accuracyOf(manifest: Readonly<Manifest>, task: TaskName): (id: number) => number {
  const metric = manifest.tasks[task]?.metric.name ?? 'top1';
  const byId = new Map(manifest.stitches.map((s) => [s.id, s.metrics?.[task]?.[metric] ?? 0]));
  return (id) => byId.get(id) ?? 0;
}

/**
 * Runs every trace against a server spawned with `policy` (config `controller.policy`), one after another
 * with a pause between them, after priming it with a few sequential requests; then predicts each trace with
 * the simulator on the server's own profile.
 */
export async function runPolicy(
  policy: string,
  traces: readonly Trace[],
  calibration: Calibration,
  table: SimTable,
  manifest: Readonly<Manifest>,
  s: LiveSettings,
  log: (l: string) => void,
): Promise<PolicyRun> {
  const cache = await cacheCopy(calibration);
  const server = await startServer({
    config: benchConfig({ bundle: s.bundle, policy, maxBatch: s.maxBatch, queueBound: s.queueBound, profileCacheDir: cache.dir, warmup: false }),
  });
  const client = new BenchClient(server.url, s.queueBound + 64);
  const accuracy = accuracyOf(manifest, s.task);
  const results: TraceResult[] = [];
  try {
    // Priming: first requests pay one-off costs (JIT, sockets, first ORT run per shape).
    for (let i = 0; i < 3; i++) await client.post(`/v1/${s.task}`, s.image, { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '600000' });
    for (const trace of traces) {
      if (trace.timesMs.length === 0) continue;
      const run = await replayTrace(client, trace, {
        path: `/v1/${s.task}`,
        body: s.image,
        contentType: 'image/jpeg',
        budgetMs: s.budgetMs,
        timeoutMs: s.budgetMs * 4 + 10_000,
      });
      const spanMs = trace.timesMs[trace.timesMs.length - 1]! - trace.timesMs[0]!;
      const live = summariseLive(run.samples, s.budgetMs, spanMs, accuracy);
      const sim = predictTrace(table, s.task, policy, trace, { budgetMs: s.budgetMs, maxBatch: s.maxBatch, queueBound: s.queueBound, seed: s.seed });
      results.push({ trace: trace.name, requests: trace.timesMs.length, live, sim, sendLagMs: run.sendLagMs });
      log(
        `  ${policy.padEnd(14)} ${trace.name.padEnd(16)} n=${String(trace.timesMs.length).padStart(4)}  ` +
          `SLO ${pct(live.sloAttainment)} (sim ${pct(sim?.sloAttainment)})  eff.acc ${pct(live.effectiveAccuracy)} (sim ${pct(sim?.effectiveAccuracy)})`,
      );
      // Let the machine settle between traces (the queue is empty: every request was answered).
      await new Promise((r) => setTimeout(r, 300));
    }
    return { policy, startMs: server.times.readyMs, traces: results };
  } finally {
    client.close();
    await server.stop();
    await cache.remove();
  }
}

function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '  —  ' : `${(100 * x).toFixed(1).padStart(5)}%`;
}
