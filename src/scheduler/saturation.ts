import type { LatencyEstimator, QueuedRequest, TaskName } from '../controller/types.js';

/**
 * Predicted time (ms) to drain `queue` of one task if every request ran at its preferred stitch (the last of
 * its list) in full batches of `maxBatch` per stitch: the load expressed at the quality clients asked for.
 */
export function preferredDrainMs(task: TaskName, queue: readonly QueuedRequest[], latency: LatencyEstimator, maxBatch: number): number {
  const perStitch = new Map<number, number>();
  for (const r of queue) {
    const preferred = r.stitches[r.stitches.length - 1]!;
    perStitch.set(preferred, (perStitch.get(preferred) ?? 0) + 1);
  }
  let ms = 0;
  for (const [stitchId, n] of perStitch) {
    const full = Math.floor(n / maxBatch);
    if (full > 0) ms += full * latency.predict(task, stitchId, maxBatch);
    if (n % maxBatch > 0) ms += latency.predict(task, stitchId, n % maxBatch);
  }
  return ms;
}

/** The running batch as `saturation` needs it. */
export interface RunningView {
  readonly task: TaskName;
  readonly startedMs: number;
  readonly predictedMs: number;
}

/**
 * `controller_saturation`: Σ over tasks of (predicted drain time at the preferred stitches ÷ the task's
 * default budget), plus the running batch's predicted remaining time ÷ its task's budget. 1.0 means the
 * backlog takes one whole default budget to serve at the quality asked for; > 1 means the controller must
 * degrade (or the deployment scale out). A task without a budget counts its drain in ms ÷ 1.
 */
export function saturation(
  queues: ReadonlyMap<TaskName, readonly QueuedRequest[]>,
  running: RunningView | undefined,
  nowMs: number,
  latency: LatencyEstimator,
  config: { maxBatch: number; defaultBudgetMs: Partial<Record<TaskName, number>> },
): number {
  const budget = (task: TaskName): number => config.defaultBudgetMs[task] ?? 1;
  let total = 0;
  for (const [task, queue] of queues) {
    if (queue.length > 0) total += preferredDrainMs(task, queue, latency, config.maxBatch) / budget(task);
  }
  if (running !== undefined) total += Math.max(0, running.startedMs + running.predictedMs - nowMs) / budget(running.task);
  return total;
}
