import type { LatencyEstimator, QueuedRequest, TaskName } from './types.js';

/** A batch formed from the head of a queue. */
export interface FormedBatch {
  readonly task: TaskName;
  readonly stitchId: number;
  /** EDF order; the first is the head. */
  readonly members: readonly QueuedRequest[];
  readonly predictedMs: number;
}

/** Whether `request` may run through `stitchId` (its own list, or a shared ladder by reference). */
export function allows(request: QueuedRequest, stitchId: number, sameLadderAs?: QueuedRequest): boolean {
  return (sameLadderAs !== undefined && request.stitches === sameLadderAs.stitches) || request.stitches.includes(stitchId);
}

/**
 * The largest batch led by `items[from]` through `stitchId` that finishes, started at `startMs`, by the head's
 * deadline: the head plus the next requests (EDF order) of the same task that allow the stitch, have arrived
 * by `startMs` and are not marked in `taken`, at most `maxBatch`. Since the queue is in EDF order the head's
 * deadline is the batch's earliest. Returns an empty batch when even the head alone would be late.
 */
export function largestFittingBatch(
  items: readonly QueuedRequest[],
  from: number,
  stitchId: number,
  startMs: number,
  latency: LatencyEstimator,
  maxBatch: number,
  taken?: Uint8Array,
): FormedBatch {
  const head = items[from]!;
  const members: QueuedRequest[] = [];
  let predictedMs = 0;
  for (let j = from; j < items.length && members.length < maxBatch; j++) {
    const r = items[j]!;
    if ((taken !== undefined && taken[j] === 1) || r.arrivalMs > startMs || r.task !== head.task || !allows(r, stitchId, head)) continue;
    const ms = latency.predict(head.task, stitchId, members.length + 1);
    if (startMs + ms > head.deadlineMs) break;
    members.push(r);
    predictedMs = ms;
  }
  return { task: head.task, stitchId, members, predictedMs };
}

/** Outcome of a planned drain of a queue. */
export interface DrainPlan {
  /** Requests the plan cannot finish by their deadline (they are assumed dropped, costing no time). */
  readonly misses: number;
  /** When the last planned batch finishes (ms). */
  readonly endMs: number;
  /** The first batch of the plan if it starts at `startMs` (so only of requests already arrived by then). */
  readonly first: FormedBatch | undefined;
  /** Finish time of the request named by `track`, Infinity when it misses, undefined when not tracked. */
  readonly trackedFinishMs: number | undefined;
}

/**
 * Simulates serving `items` (EDF order) from `startMs` on one executor: repeatedly the earliest-deadline
 * request that has arrived leads the largest batch, through `stitchOf(head)`, that still meets the head's
 * deadline; when none has arrived the executor idles until the next arrival. Items may lie in the future
 * (projected arrivals). Greedy largest batches are what sub-additive batch costs reward.
 * O(n · (maxBatch + future items)) predictions.
 */
export function planDrain(
  items: readonly QueuedRequest[],
  startMs: number,
  latency: LatencyEstimator,
  maxBatch: number,
  stitchOf: (request: QueuedRequest) => number,
  track?: string,
): DrainPlan {
  const n = items.length;
  const taken = new Uint8Array(n);
  let t = startMs;
  let misses = 0;
  let first: FormedBatch | undefined;
  let trackedFinishMs: number | undefined;
  for (let lo = 0; ; ) {
    while (lo < n && taken[lo] === 1) lo++;
    if (lo === n) break;
    let i = lo;
    let nextArrival = Number.POSITIVE_INFINITY;
    for (; i < n && (taken[i] === 1 || items[i]!.arrivalMs > t); i++) {
      if (taken[i] === 0) nextArrival = Math.min(nextArrival, items[i]!.arrivalMs);
    }
    if (i === n) {
      t = nextArrival;
      continue;
    }
    const head = items[i]!;
    const batch = largestFittingBatch(items, i, stitchOf(head), t, latency, maxBatch, taken);
    if (batch.members.length === 0) {
      misses++;
      taken[i] = 1;
      if (head.id === track) trackedFinishMs = Number.POSITIVE_INFINITY;
      continue;
    }
    // A batch of projected arrivals (after the real ones all missed) cannot be dispatched now.
    if (t === startMs) first ??= batch;
    t += batch.predictedMs;
    for (let j = i, k = 0; j < n && k < batch.members.length; j++) {
      if (items[j] === batch.members[k]) {
        taken[j] = 1;
        k++;
        if (items[j]!.id === track) trackedFinishMs = t;
      }
    }
  }
  return { misses, endMs: t, first, trackedFinishMs };
}

/** All queues merged into one EDF order (deadline, then arrival); returns the only queue itself when one. */
export function mergeEdf(queues: ReadonlyMap<TaskName, readonly QueuedRequest[]>): readonly QueuedRequest[] {
  const nonEmpty = [...queues.values()].filter((q) => q.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  return nonEmpty.flat().sort(edfOrder);
}

/** EDF comparison: earlier deadline first, then earlier arrival, then id. */
export function edfOrder(a: QueuedRequest, b: QueuedRequest): number {
  return a.deadlineMs - b.deadlineMs || a.arrivalMs - b.arrivalMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The index at which `request` goes into `queue` (EDF order) to keep it ordered; after equal entries. */
export function edfInsertIndex(queue: readonly QueuedRequest[], request: QueuedRequest): number {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edfOrder(queue[mid]!, request) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
