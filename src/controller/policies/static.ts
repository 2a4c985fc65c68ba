import type { Eligibility } from '../frontier-index.js';
import { largestFittingBatch, mergeEdf } from '../plan.js';
import type { Decision, LoadSnapshot } from '../types.js';
import { dispatchDecision, type Policy } from './policy.js';

/**
 * Policies that run every request through one stitch chosen per request without looking at load:
 * `fixed:<id>` (that stitch whenever the constraints allow it), `fastest` (the cheapest allowed frontier
 * stitch) and `most-accurate` (the preferred stitch, i.e. the most accurate the hint allows). Batching is the
 * same for all: the EDF head plus as many same-stitch requests as still finish by the head's deadline.
 */
export class StaticPolicy implements Policy {
  private constructor(
    readonly name: string,
    private readonly pick: (e: Eligibility) => readonly number[],
  ) {}

  static fixed(stitchId: number): StaticPolicy {
    const only = Object.freeze([stitchId]);
    return new StaticPolicy(`fixed:${stitchId}`, (e) => (e.candidates.has(stitchId) ? only : []));
  }

  static fastest(): StaticPolicy {
    return new StaticPolicy('fastest', (e) => e.ladder.slice(0, 1));
  }

  static mostAccurate(): StaticPolicy {
    return new StaticPolicy('most-accurate', (e) => e.ladder.slice(-1));
  }

  stitchesFor(eligibility: Eligibility): readonly number[] {
    return this.pick(eligibility);
  }

  decide(snapshot: LoadSnapshot): Decision {
    const queue = mergeEdf(snapshot.queues);
    if (queue.length === 0) return { kind: 'idle' };
    const head = queue[0]!;
    const stitchId = head.stitches[head.stitches.length - 1]!;
    const batch = largestFittingBatch(queue, 0, stitchId, snapshot.nowMs, snapshot.latency, snapshot.maxBatch);
    // A head that cannot make it any more is dropped by the scheduler; run it alone if it is still queued.
    const members = batch.members.length > 0 ? batch.members : [head];
    const predictedMs = snapshot.latency.predict(head.task, stitchId, members.length);
    return dispatchDecision(head.task, stitchId, members, `${this.name} b=${members.length}`, predictedMs);
  }
}
