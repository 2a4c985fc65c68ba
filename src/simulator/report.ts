/** Fate of one simulated request. */
export const Outcome = Object.freeze({
  Pending: 0,
  /** Answered by its deadline. */
  Met: 1,
  /** Answered after its deadline. */
  Late: 2,
  /** Refused at admission (DEADLINE_UNMEETABLE or QUEUE_FULL). */
  Rejected: 3,
  /** Dropped while queued once it could no longer make its deadline (DEADLINE_EXCEEDED, never computed). */
  Expired: 4,
} as const);
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Results of one simulation. Fractions in [0, 1], times in ms. */
export interface SimReport {
  readonly policy: string;
  readonly requests: number;
  /** On-time answers ÷ all requests (rejections and drops count as misses). */
  readonly sloAttainment: number;
  /** Σ accuracy of on-time answers ÷ all requests (late, rejected or dropped = wrong). */
  readonly effectiveAccuracy: number;
  /** On-time answers per second of trace. */
  readonly goodputPerS: number;
  /** Mean accuracy over every computed answer, on time or late; NaN when none. */
  readonly meanAccuracyServed: number;
  /** End-to-end latency percentiles over computed answers; NaN when none. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly met: number;
  readonly late: number;
  readonly rejected: number;
  readonly expired: number;
  readonly meanBatch: number;
  /** Requests served per stitch id (computed answers). */
  readonly stitchHistogram: Record<string, number>;
}

export interface RunRecords {
  policy: string;
  outcome: Uint8Array;
  latencyMs: Float64Array;
  stitchOf: Int32Array;
  accuracy: (stitchId: number) => number;
  durationMs: number;
  batches: number;
  batchedRequests: number;
}

/** Reduces per-request records to a report. */
export function summarise(run: RunRecords): SimReport {
  const n = run.outcome.length;
  const counts = [0, 0, 0, 0, 0];
  const histogram: Record<string, number> = {};
  const served: number[] = [];
  let onTimeAccuracy = 0;
  let servedAccuracy = 0;
  for (let i = 0; i < n; i++) {
    const o = run.outcome[i]!;
    counts[o]!++;
    if (o !== Outcome.Met && o !== Outcome.Late) continue;
    const stitch = run.stitchOf[i]!;
    const acc = run.accuracy(stitch);
    histogram[stitch] = (histogram[stitch] ?? 0) + 1;
    served.push(run.latencyMs[i]!);
    servedAccuracy += acc;
    if (o === Outcome.Met) onTimeAccuracy += acc;
  }
  served.sort((a, b) => a - b);
  const met = counts[Outcome.Met]!;
  return {
    policy: run.policy,
    requests: n,
    sloAttainment: n === 0 ? 1 : met / n,
    effectiveAccuracy: n === 0 ? 0 : onTimeAccuracy / n,
    goodputPerS: run.durationMs > 0 ? (met * 1000) / run.durationMs : 0,
    meanAccuracyServed: served.length === 0 ? Number.NaN : servedAccuracy / served.length,
    latencyP50Ms: percentile(served, 0.5),
    latencyP99Ms: percentile(served, 0.99),
    met,
    late: counts[Outcome.Late]!,
    rejected: counts[Outcome.Rejected]!,
    expired: counts[Outcome.Expired]! + counts[Outcome.Pending]!,
    meanBatch: run.batches === 0 ? 0 : run.batchedRequests / run.batches,
    stitchHistogram: histogram,
  };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
