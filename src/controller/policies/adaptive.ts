import type { Eligibility } from '../frontier-index.js';
import { mergeEdf, planDrain, type DrainPlan } from '../plan.js';
import type { Decision, LoadSnapshot, QueuedRequest } from '../types.js';
import { dispatchDecision, type Policy } from './policy.js';

/**
 * Ours: the most accurate quality *level* at which the whole queue still meets its deadlines. Level k runs each
 * request through the k-th stitch of its ladder (capped at its preferred stitch). For each candidate level the
 * policy plans the drain of every queued request (greedy largest batches that meet each head's deadline) and
 * keeps the highest level that misses no more requests than the all-fastest plan would; it then dispatches the
 * first batch of that plan. Unlike SlackFit, which sizes the batch from the head's slack alone, the batch
 * choice is checked against everything queued behind it, so a big accurate batch is not run when it would
 * doom later requests; and because accuracy is concave in cost along the frontier, one uniform level across
 * the queue serves more accuracy than a mix of high and low levels at the same total cost.
 */
export class AdaptivePolicy implements Policy {
  readonly name = 'adaptive';

  stitchesFor(eligibility: Eligibility): readonly number[] {
    return eligibility.ladder;
  }

  decide(snapshot: LoadSnapshot): Decision {
    const queue = mergeEdf(snapshot.queues);
    if (queue.length === 0) return { kind: 'idle' };
    let top = 0;
    for (const r of queue) top = Math.max(top, r.stitches.length - 1);
    const plan = (level: number): DrainPlan =>
      planDrain(queue, snapshot.nowMs, snapshot.latency, snapshot.maxBatch, (r) => atLevel(r, level));
    const floor = plan(0);
    let best = { level: 0, plan: floor };
    // Feasibility falls as the level rises (every batch gets dearer), so binary search the highest level.
    let lo = 1;
    let hi = top;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const candidate = plan(mid);
      if (candidate.misses <= floor.misses && candidate.first !== undefined) {
        best = { level: mid, plan: candidate };
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const first = best.plan.first;
    if (first === undefined) {
      // Every queued request is doomed; the scheduler drops them, this only keeps the decision total.
      const head = queue[0]!;
      const stitchId = head.stitches[0]!;
      return dispatchDecision(head.task, stitchId, [head], 'all doomed', snapshot.latency.predict(head.task, stitchId, 1));
    }
    const reason = `level ${best.level}/${top} b=${first.members.length} misses=${best.plan.misses}`;
    return dispatchDecision(first.task, first.stitchId, first.members, reason, first.predictedMs);
  }
}

/** The stitch a request runs at quality level `level`: the level-th of its ladder, capped at its preferred. */
export function atLevel(request: QueuedRequest, level: number): number {
  const s = request.stitches;
  return s[Math.min(level, s.length - 1)]!;
}
