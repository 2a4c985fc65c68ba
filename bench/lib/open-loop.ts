import { performance } from 'node:perf_hooks';
import type { BenchClient, HttpSample } from './http-client.js';
import type { Trace } from './traces.js';

/** What the open-loop generator did for one trace. */
export interface OpenLoopRun {
  samples: HttpSample[];
  /** How late requests left the generator relative to their scheduled time, ms (p50 / p99 / max). */
  sendLagMs: { p50: number; p99: number; max: number };
  /** Wall time from the first scheduled arrival to the last answer, ms. */
  wallMs: number;
}

/**
 * Replays a trace open-loop: request i is sent at start + timesMs[i] whether or not earlier ones were
 * answered, and its latency is counted from that scheduled time (so a late send counts against the server's
 * side of the clock, never hides queueing: no coordinated omission). Each request carries the deadline
 * header; `timeoutMs` bounds the wait for the last answers.
 */
export async function replayTrace(
  client: BenchClient,
  trace: Trace,
  request: { path: string; body: Buffer; contentType: string; budgetMs: number; timeoutMs: number },
): Promise<OpenLoopRun> {
  const headers = { 'content-type': request.contentType, 'x-latency-budget-ms': String(request.budgetMs) };
  const pending: Promise<HttpSample>[] = [];
  const lags: number[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < trace.timesMs.length; ) {
    const now = performance.now();
    const due = start + trace.timesMs[i]!;
    if (due > now) {
      // Sleep until ~1 ms before the next arrival; timers are coarse, so the rest is fired when due.
      await new Promise((r) => setTimeout(r, Math.max(0, due - now - 1)));
      continue;
    }
    // Fire everything due by now (arrivals closer together than the timer resolution leave together).
    while (i < trace.timesMs.length && start + trace.timesMs[i]! <= performance.now()) {
      const scheduled = start + trace.timesMs[i]!;
      lags.push(performance.now() - scheduled);
      pending.push(client.post(request.path, request.body, headers, scheduled, request.timeoutMs));
      i++;
    }
  }
  const samples = await Promise.all(pending);
  lags.sort((a, b) => a - b);
  const at = (q: number) => (lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!);
  return { samples, sendLagMs: { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1] ?? 0 }, wallMs: performance.now() - start };
}
