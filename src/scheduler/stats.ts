import type { TaskName } from '../controller/types.js';

/** Deadline outcome of one request (docs/contracts.md §5 `deadline_outcomes_total`). */
export type DeadlineOutcome = 'met' | 'missed' | 'rejected';

/** Cumulative counters and windowed gauges of one scheduler; plain data for metrics and tests. */
export interface SchedulerStats {
  readonly queueDepth: Partial<Record<TaskName, number>>;
  /** Accepted and not yet answered (queued + running): the autoscaler's per-pod signal. */
  readonly inflight: number;
  /** Predicted drain time of the queue (+ the running batch) at the preferred stitches ÷ the default budget. */
  readonly saturation: number;
  /** Requests served per task and stitch id (cumulative). */
  readonly selections: Partial<Record<TaskName, Record<number, number>>>;
  readonly outcomes: Partial<Record<TaskName, Record<DeadlineOutcome, number>>>;
  /** Sum of accuracies of on-time answers ÷ all finished or rejected requests, over the sliding window. */
  readonly effectiveAccuracy: Partial<Record<TaskName, number>>;
  /** Requests dropped because their client went away (cumulative). */
  readonly cancelled: number;
  /** Batches run, and batches whose executor call failed (cumulative). */
  readonly batches: number;
  readonly failedBatches: number;
}

/** One finished request in the effective-accuracy window. */
interface WindowSample {
  atMs: number;
  value: number;
}

/** Accumulates outcomes; effective accuracy over the last `windowMs` (ms). Owned by one `DispatchCore`. */
export class StatsRecorder {
  readonly selections = new Map<TaskName, Map<number, number>>();
  readonly outcomes = new Map<TaskName, Record<DeadlineOutcome, number>>();
  private readonly windows = new Map<TaskName, { samples: WindowSample[]; head: number; sum: number }>();
  cancelled = 0;
  batches = 0;
  failedBatches = 0;

  constructor(private readonly windowMs: number) {
    if (!(windowMs > 0)) throw new Error('stats: windowMs must be positive');
  }

  /** Counts one outcome; `accuracy` is what the answer was worth (0 unless met on time). */
  outcome(task: TaskName, outcome: DeadlineOutcome, nowMs: number, accuracy = 0): void {
    let counts = this.outcomes.get(task);
    if (counts === undefined) this.outcomes.set(task, (counts = { met: 0, missed: 0, rejected: 0 }));
    counts[outcome]++;
    let window = this.windows.get(task);
    if (window === undefined) this.windows.set(task, (window = { samples: [], head: 0, sum: 0 }));
    const value = outcome === 'met' ? accuracy : 0;
    window.samples.push({ atMs: nowMs, value });
    window.sum += value;
    this.prune(task, nowMs);
  }

  selected(task: TaskName, stitchId: number, count: number): void {
    let byStitch = this.selections.get(task);
    if (byStitch === undefined) this.selections.set(task, (byStitch = new Map()));
    byStitch.set(stitchId, (byStitch.get(stitchId) ?? 0) + count);
  }

  /** Effective accuracy of `task` over the window ending at `nowMs`; undefined with no sample. */
  effectiveAccuracy(task: TaskName, nowMs: number): number | undefined {
    this.prune(task, nowMs);
    const window = this.windows.get(task);
    const n = window === undefined ? 0 : window.samples.length - window.head;
    return n === 0 ? undefined : window!.sum / n;
  }

  private prune(task: TaskName, nowMs: number): void {
    const window = this.windows.get(task);
    if (window === undefined) return;
    const { samples } = window;
    while (window.head < samples.length && samples[window.head]!.atMs < nowMs - this.windowMs) {
      window.sum -= samples[window.head]!.value;
      window.head++;
    }
    // Compact once the dead prefix dominates, keeping pushes amortised O(1).
    if (window.head > 1024 && window.head * 2 > samples.length) {
      window.samples = samples.slice(window.head);
      window.head = 0;
      window.sum = window.samples.reduce((s, x) => s + x.value, 0);
    }
  }
}
