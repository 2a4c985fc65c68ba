import { edfInsertIndex, mergeEdf, planDrain } from './plan.js';
import type { LoadSnapshot, QueuedRequest } from './types.js';

/** Admission verdict (docs/contracts.md §3). */
export type AdmitResult = { ok: true } | { ok: false; reject: 'DEADLINE_UNMEETABLE'; retryAfterMs: number };

const fastest = (r: QueuedRequest): number => r.stitches[0]!;

/**
 * Admits `request` (not yet queued) when a drain of the queue plus it, every request at its cheapest allowed
 * stitch in greedy largest batches after the running batch, finishes it by its deadline without making any
 * queued request miss that would otherwise have made it. This is the optimistic bound: if even this plan
 * misses, no policy can do better, so the request is refused now instead of failing later.
 * `retryAfterMs` estimates when the present backlog will have drained (≥ 1 ms).
 */
export function admit(snapshot: LoadSnapshot, request: QueuedRequest): AdmitResult {
  const { latency, maxBatch } = snapshot;
  const startMs = Math.max(snapshot.nowMs, snapshot.executorFreeAtMs);
  const queued = mergeEdf(snapshot.queues);
  const withNew = insertEdf(queued, request);
  const plan = planDrain(withNew, startMs, latency, maxBatch, fastest, request.id);
  const baseline = queued.length === 0 ? undefined : planDrain(queued, startMs, latency, maxBatch, fastest);
  const newMisses = plan.trackedFinishMs === Number.POSITIVE_INFINITY;
  const othersDoomed = plan.misses - (newMisses ? 1 : 0) > (baseline?.misses ?? 0);
  if (!newMisses && !othersDoomed) return { ok: true };
  const backlogEndMs = baseline?.endMs ?? startMs;
  return { ok: false, reject: 'DEADLINE_UNMEETABLE', retryAfterMs: Math.max(1, backlogEndMs - snapshot.nowMs) };
}

/** A copy of `queue` (EDF order) with `request` inserted at its EDF position. */
function insertEdf(queue: readonly QueuedRequest[], request: QueuedRequest): QueuedRequest[] {
  const at = edfInsertIndex(queue, request);
  return [...queue.slice(0, at), request, ...queue.slice(at)];
}
