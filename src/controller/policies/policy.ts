import type { Eligibility } from '../frontier-index.js';
import type { Decision, DispatchDecision, LoadSnapshot, QueuedRequest, TaskName } from '../types.js';

/**
 * A stitch-selection policy: pure and synchronous, snapshot in, decision out. It is called only when the
 * executor is free and the queues are not all empty; it never mutates the snapshot.
 */
export interface Policy {
  /** The config string that built it, e.g. `adaptive` or `fixed:12`. */
  readonly name: string;
  /**
   * The stitches this policy may run for a request with `eligibility`, cheapest first (the last is the
   * request's preferred stitch under this policy); empty when the policy can serve none of them.
   */
  stitchesFor(eligibility: Eligibility): readonly number[];
  decide(snapshot: LoadSnapshot): Decision;
}

/** A dispatch decision for `members` (EDF order, all of `task`). */
export function dispatchDecision(
  task: TaskName,
  stitchId: number,
  members: readonly QueuedRequest[],
  reason: string,
  predictedMs: number,
): DispatchDecision {
  return { kind: 'dispatch', task, stitchId, requestIds: members.map((r) => r.id), reason, predictedMs };
}
