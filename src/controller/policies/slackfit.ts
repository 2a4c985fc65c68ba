import type { Eligibility } from '../frontier-index.js';
import { allows, mergeEdf } from '../plan.js';
import type { Decision, LoadSnapshot, QueuedRequest } from '../types.js';
import { dispatchDecision, type Policy } from './policy.js';

/** SlackFit tuning. */
export interface SlackFitOptions {
  /** Equal-width latency buckets between the cheapest (b=1) and dearest (b=maxBatch) configuration. */
  buckets: number;
}

/**
 * SuperServe's SlackFit (NSDI'25, as reconstructed in serving.md): EDF queue; when the executor is free take
 * the head's slack = deadline − now; among configurations (frontier stitch allowed for the head × batch size
 * ≤ the requests that can join) whose latency fits the slack, find the largest latency bucket, and inside it
 * the largest batch (ties: the most accurate stitch). Run that batch from the head. When nothing fits, the
 * cheapest configuration at batch 1 runs (SlackFit has no admission control of its own).
 */
export class SlackFitPolicy implements Policy {
  readonly name = 'slackfit';
  private readonly options: SlackFitOptions;

  constructor(options: Partial<SlackFitOptions> = {}) {
    this.options = { buckets: 16, ...options };
    if (!(Number.isInteger(this.options.buckets) && this.options.buckets >= 1)) throw new Error('slackfit: buckets must be a positive integer');
  }

  stitchesFor(eligibility: Eligibility): readonly number[] {
    return eligibility.ladder;
  }

  decide(snapshot: LoadSnapshot): Decision {
    const queue = mergeEdf(snapshot.queues);
    if (queue.length === 0) return { kind: 'idle' };
    const head = queue[0]!;
    const { latency, maxBatch, nowMs } = snapshot;
    const slack = head.deadlineMs - nowMs;
    const stitches = head.stitches;
    const lo = latency.predict(head.task, stitches[0]!, 1);
    const hi = latency.predict(head.task, stitches[stitches.length - 1]!, maxBatch);
    const width = Math.max((hi - lo) / this.options.buckets, 1e-9);
    let best: { stitchId: number; members: QueuedRequest[]; ms: number; bucket: number; rank: number } | undefined;
    for (let rank = 0; rank < stitches.length; rank++) {
      const stitchId = stitches[rank]!;
      const joinable = joiners(queue, head, stitchId, maxBatch);
      for (let b = 1; b <= joinable.length; b++) {
        const ms = latency.predict(head.task, stitchId, b);
        if (ms > slack) break;
        const bucket = Math.min(this.options.buckets - 1, Math.floor((ms - lo) / width));
        const better =
          best === undefined ||
          bucket > best.bucket ||
          (bucket === best.bucket && (b > best.members.length || (b === best.members.length && rank > best.rank)));
        if (better) best = { stitchId, members: joinable.slice(0, b), ms, bucket, rank };
      }
    }
    if (best === undefined) {
      const stitchId = stitches[0]!;
      return dispatchDecision(head.task, stitchId, [head], 'no config fits the slack', latency.predict(head.task, stitchId, 1));
    }
    return dispatchDecision(head.task, best.stitchId, best.members, `bucket ${best.bucket} b=${best.members.length}`, best.ms);
  }
}

/** The head and the following same-task requests that allow `stitchId`, at most `maxBatch`, EDF order. */
function joiners(queue: readonly QueuedRequest[], head: QueuedRequest, stitchId: number, maxBatch: number): QueuedRequest[] {
  const out: QueuedRequest[] = [];
  for (let j = 0; j < queue.length && out.length < maxBatch; j++) {
    const r = queue[j]!;
    if (r.task === head.task && allows(r, stitchId, head)) out.push(r);
  }
  return out;
}
