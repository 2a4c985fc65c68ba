import type { Manifest, TaskName } from '../../src/bundle/manifest.js';
import type { SimReport } from '../../src/simulator/report.js';
import { simulate } from '../../src/simulator/simulate.js';
import { tableFromBundle, type SimTable } from '../../src/simulator/table.js';
import type { Trace } from './traces.js';

/** The server's own latency model at start-up: `task:stitch:batch` → ms, as GET /v1/stitches?scope=all reports it. */
export type ServerProfile = Record<string, number>;

/**
 * The simulator's table for the live run: the bundle's catalog and the SERVER's profile (its warm-up
 * measurements, interpolated, read back over HTTP before any traffic), plus a fixed per-request time outside
 * the engine batch (decode, HTTP, scheduling) measured on the same server.
 */
export function liveTable(manifest: Readonly<Manifest>, profile: ServerProfile, task: TaskName, outsideEngineMs: number): SimTable {
  const table = tableFromBundle(manifest, profile);
  return { ...table, latencySource: 'measured (the live server profile)', preprocessMs: { [task]: outsideEngineMs } };
}

/** The simulator's prediction for exactly the arrivals the live run replays (same budget, batch, queue bound). */
export function predictTrace(
  table: SimTable,
  task: TaskName,
  policy: string,
  trace: Trace,
  settings: { budgetMs: number; maxBatch: number; queueBound: number; seed: number },
): SimReport | null {
  if (trace.timesMs.length === 0) return null;
  return simulate({
    table,
    task,
    policy,
    arrivals: { kind: 'replay', timesMs: trace.timesMs },
    requests: trace.timesMs.length,
    budgetMs: settings.budgetMs,
    maxBatch: settings.maxBatch,
    queueBound: settings.queueBound,
    seed: settings.seed,
  });
}
