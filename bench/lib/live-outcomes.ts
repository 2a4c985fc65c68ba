import { percentile } from '../../src/simulator/report.js';
import type { HttpSample } from './http-client.js';

/**
 * One policy on one trace, measured at the client. Same definitions as the simulator's SimReport: a request
 * meets its SLO when it was answered 200 within its budget (client clock, from its scheduled send time);
 * rejected (429), dropped (deadline exceeded), late and failed requests are misses, and wrong for effective
 * accuracy. Fractions in [0, 1], times in ms.
 */
export interface LiveReport {
  requests: number;
  sloAttainment: number;
  effectiveAccuracy: number;
  /** On-time answers per second of trace (first to last scheduled arrival, as the simulator counts). */
  goodputPerS: number;
  meanAccuracyServed: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  met: number;
  late: number;
  rejected: number;
  /** Dropped by the server after queueing, never computed (504 DEADLINE_EXCEEDED). */
  expired: number;
  /** Anything else: socket errors, client timeouts, unexpected statuses (should be 0). */
  failed: number;
  meanBatch: number;
  stitchHistogram: Record<string, number>;
  /** Error code → count over the non-200 answers (e.g. DEADLINE_UNMEETABLE, QUEUE_FULL, DEADLINE_EXCEEDED). */
  errorCodes: Record<string, number>;
  /** Share of 200 answers whose own x-deadline-met verdict disagreed with the client's. */
  verdictDisagreement: number;
}

/** Reduces client samples to a report; `accuracy(stitchId)` is the task metric of a stitch (fraction). */
export function summariseLive(samples: readonly HttpSample[], budgetMs: number, traceMs: number, accuracy: (id: number) => number): LiveReport {
  let met = 0;
  let late = 0;
  let rejected = 0;
  let expired = 0;
  let failed = 0;
  let onTimeAcc = 0;
  let servedAcc = 0;
  let batches = 0;
  let disagree = 0;
  const served: number[] = [];
  const histogram: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  for (const s of samples) {
    if (s.error !== null) errorCodes[s.error] = (errorCodes[s.error] ?? 0) + 1;
    if (s.status === 200 && s.stitchId !== null) {
      const acc = accuracy(s.stitchId);
      const onTime = s.latencyMs <= budgetMs;
      served.push(s.latencyMs);
      servedAcc += acc;
      // Each request of a batch of b carries 1/b of that batch: Σ 1/b counts batches, as the simulator does.
      batches += 1 / (s.batchSize ?? 1);
      histogram[s.stitchId] = (histogram[s.stitchId] ?? 0) + 1;
      if (s.serverDeadlineMet !== null && s.serverDeadlineMet !== onTime) disagree++;
      if (onTime) {
        met++;
        onTimeAcc += acc;
      } else late++;
    } else if (s.status === 429) rejected++;
    else if (s.status === 504) expired++;
    else failed++;
  }
  served.sort((a, b) => a - b);
  const n = samples.length;
  return {
    requests: n,
    sloAttainment: n === 0 ? 1 : met / n,
    effectiveAccuracy: n === 0 ? 0 : onTimeAcc / n,
    goodputPerS: traceMs > 0 ? (met * 1000) / traceMs : 0,
    meanAccuracyServed: served.length === 0 ? NaN : servedAcc / served.length,
    latencyP50Ms: percentile(served, 0.5),
    latencyP99Ms: percentile(served, 0.99),
    met,
    late,
    rejected,
    expired,
    failed,
    meanBatch: batches === 0 ? 0 : served.length / batches,
    stitchHistogram: histogram,
    errorCodes,
    verdictDisagreement: served.length === 0 ? 0 : disagree / served.length,
  };
}
