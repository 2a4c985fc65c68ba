import type { Eligibility } from '../frontier-index.js';
import { upperHull } from '../frontier.js';
import { edfOrder, largestFittingBatch, mergeEdf, planDrain, type DrainPlan, type FormedBatch } from '../plan.js';
import type { Decision, LoadSnapshot, QueuedRequest, TaskName } from '../types.js';
import { dispatchDecision, type Policy } from './policy.js';

/**
 * Ours: the most accurate quality *level* at which the whole queue still meets its deadlines.
 *
 * - Levels are the vertices of the upper concave hull of each request's ladder (frontier up to its preferred
 *   stitch): a frontier point under the hull (e.g. deit3-s-l's 14–19 GFLOPs stitches, 3–4× the small anchor's
 *   cost for +0.1 pt) is beaten by time-sharing its hull neighbours, so it is never used.
 * - For each candidate level the policy plans the drain of every queued request (greedy largest batches that
 *   meet each head's deadline) and keeps the highest level that misses no more requests than the all-fastest
 *   plan; it dispatches that plan's first batch. Unlike SlackFit, which sizes the batch from the head's slack
 *   alone, every batch choice is checked against everything queued behind it.
 * - Look-ahead: the plan also holds the arrivals expected over the next `lookaheadBudgets` typical budgets
 *   (at the recent arrival rate, or the rest of a typical burst when that is more; evenly spaced, with the
 *   typical budget and the newest request's stitches), so the level is one the executor can sustain and that
 *   leaves room for a burst, not just one that clears today's queue.
 * - Time-sharing: the first batch alone may go one hull level higher when the rest of the plan still holds at
 *   the chosen level, which realises the points between two hull vertices over successive batches.
 */
export class AdaptivePolicy implements Policy {
  readonly name = 'adaptive';
  private readonly options: AdaptiveOptions;
  /** Eligibilities are cached objects (per latency version), so their hulls can be cached by identity. */
  private readonly hulls = new WeakMap<Eligibility, readonly number[]>();

  constructor(options: Partial<AdaptiveOptions> = {}) {
    this.options = { ...DEFAULT_ADAPTIVE_OPTIONS, ...options };
    if (!(this.options.lookaheadBudgets >= 0)) throw new Error('adaptive: lookaheadBudgets must be ≥ 0');
  }

  /** The upper concave hull of the request's ladder (its preferred stitch always included). */
  stitchesFor(eligibility: Eligibility): readonly number[] {
    let cached = this.hulls.get(eligibility);
    if (cached === undefined) this.hulls.set(eligibility, (cached = upperHull(eligibility.ladderPoints).map((p) => p.id)));
    return cached;
  }

  decide(snapshot: LoadSnapshot): Decision {
    const queued = mergeEdf(snapshot.queues);
    if (queued.length === 0) return { kind: 'idle' };
    const projected = projectArrivals(snapshot, this.options.lookaheadBudgets);
    const queue = projected.length === 0 ? queued : [...queued, ...projected].sort(edfOrder);
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
    const upgraded = this.upgradeFirst(queue, snapshot, best.level, floor.misses);
    const first = upgraded ?? best.plan.first;
    if (first === undefined) {
      // Every queued request is doomed; the scheduler drops them, this only keeps the decision total.
      const head = queued[0]!;
      const stitchId = head.stitches[0]!;
      return dispatchDecision(head.task, stitchId, [head], 'all doomed', snapshot.latency.predict(head.task, stitchId, 1));
    }
    const reason = `level ${best.level}${upgraded === undefined ? '' : '+'}/${top} b=${first.members.length} misses=${best.plan.misses}`;
    return dispatchDecision(first.task, first.stitchId, first.members, reason, first.predictedMs);
  }

  /**
   * Time-sharing between neighbouring hull levels: the first batch alone runs one level above `level` when the
   * rest of the plan still misses no more than `allowedMisses` at `level` after it; undefined when it does not
   * fit. (Larger jumps were tried: they win a little on steady traffic and lose more to bursts.)
   */
  private upgradeFirst(queue: readonly QueuedRequest[], snapshot: LoadSnapshot, level: number, allowedMisses: number): FormedBatch | undefined {
    const { nowMs, latency, maxBatch } = snapshot;
    const headIndex = queue.findIndex((r) => r.arrivalMs <= nowMs);
    if (headIndex === -1) return undefined;
    const head = queue[headIndex]!;
    if (level + 1 >= head.stitches.length) return undefined;
    const first = largestFittingBatch(queue, headIndex, atLevel(head, level + 1), nowMs, latency, maxBatch);
    if (first.members.length === 0) return undefined;
    const members = new Set(first.members);
    const rest = queue.filter((r) => !members.has(r));
    const plan = planDrain(rest, nowMs + first.predictedMs, latency, maxBatch, (r) => atLevel(r, level));
    return plan.misses <= allowedMisses ? first : undefined;
  }
}

/** The stitch a request runs at quality level `level`: the level-th of its ladder, capped at its preferred. */
export function atLevel(request: QueuedRequest, level: number): number {
  const s = request.stitches;
  return s[Math.min(level, s.length - 1)]!;
}

/** Tuning of `AdaptivePolicy`. */
export interface AdaptiveOptions {
  /** How far ahead projected arrivals reach, in typical budgets (0 = plan the queue only). */
  lookaheadBudgets: number;
}

export const DEFAULT_ADAPTIVE_OPTIONS: Readonly<AdaptiveOptions> = Object.freeze({ lookaheadBudgets: 1 });

/** Most projected arrivals per task, bounding the plan's cost under extreme rates. */
const MAX_PROJECTED = 256;

/**
 * Expected arrivals per task over the look-ahead window, evenly spaced over it: as many as the recent mean rate
 * brings, or, when more, the rest of a typical burst (`burstArrivals` per budget, less what is queued already).
 * Bursts matter because batches are not preempted: a dear batch started just before a clump arrives leaves the
 * clump too little of its budget (deit3-s-l, 3 s budget, Gamma CV² 8: with the mean rate alone 3-4 % of the
 * requests were refused at admission behind such batches, while the small anchor alone served them all). Their
 * ids start with a NUL character, which no client id does, and they never lead a first batch (they arrive
 * after now).
 */
export function projectArrivals(snapshot: LoadSnapshot, budgets: number): QueuedRequest[] {
  const out: QueuedRequest[] = [];
  if (budgets <= 0) return out;
  for (const [task, queue] of snapshot.queues) {
    const rate = snapshot.arrivalRatePerMs.get(task) ?? 0;
    const budget = snapshot.typicalBudgetMs.get(task);
    const template = queue[queue.length - 1];
    if (template === undefined || budget === undefined) continue;
    const windowMs = budget * budgets;
    const atMeanRate = rate > 0 ? Math.floor(rate * windowMs) : 0;
    // The rest of a typical burst that is not queued yet (bursty traffic: the mean rate hides the clumps).
    const restOfBurst = Math.max(0, Math.floor((snapshot.burstArrivals.get(task) ?? 0) * budgets) - queue.length);
    const count = Math.min(MAX_PROJECTED, Math.max(atMeanRate, restOfBurst));
    const spacingMs = windowMs / (count + 1);
    for (let k = 0; k < count; k++) out.push(projected(task, k, snapshot.nowMs + (k + 1) * spacingMs, budget, template.stitches));
  }
  return out;
}

function projected(task: TaskName, k: number, arrivalMs: number, budgetMs: number, stitches: readonly number[]): QueuedRequest {
  return { id: `\u0000${task}${k}`, task, arrivalMs, deadlineMs: arrivalMs + budgetMs, stitches };
}
