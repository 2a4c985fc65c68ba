import type { StitchSpec, TaskName, TaskSpec } from '../bundle/manifest.js';

/** One shape to time during warm-up. */
export interface ProfileShape {
  task: TaskName;
  stitchId: number;
  batch: number;
}

export interface ProfilePlanInput {
  tasks: readonly { name: TaskName; spec: Readonly<TaskSpec> }[];
  /** The served stitches. */
  stitches: readonly Readonly<StitchSpec>[];
  /** Allowed batch sizes, ascending. */
  batchSizes: readonly number[];
  /** Measure every shape when there are at most this many; otherwise a representative subset. */
  maxShapes: number;
  /** Size of the FLOPs-spread sample per task in the subset. */
  sampleStitches: number;
}

/** Profile key "task:stitchId:batch" (docs/contracts.md §2). */
export function profileKey(task: string, stitchId: number, batch: number): string {
  return `${task}:${stitchId}:${batch}`;
}

/** FLOPs of a stitch for a task; falls back to the parameter count when the toolchain gave no FLOPs. */
export function stitchCost(stitch: Readonly<StitchSpec>, task: TaskName): number {
  return stitch.flops[task] ?? stitch.params;
}

/**
 * Pure: the shapes to measure before ready. Every (task × stitch × batch) when that is at most `maxShapes`;
 * else, per task, a representative subset — the anchors, a FLOPs-spread sample (cheapest, dearest and evenly
 * spaced ranks between) and the accuracy/FLOPs frontier — at the smallest and largest batch size, capped so the
 * total stays within `maxShapes`. The rest is interpolated (see completeProfile).
 */
export function profilePlan(input: ProfilePlanInput): { shapes: ProfileShape[]; complete: boolean } {
  const { tasks, stitches, batchSizes } = input;
  const all = tasks.length * stitches.length * batchSizes.length;
  if (all <= input.maxShapes) {
    const shapes = tasks.flatMap(({ name }) =>
      stitches.flatMap((s) => batchSizes.map((batch) => ({ task: name, stitchId: s.id, batch }))),
    );
    return { shapes, complete: true };
  }
  const ends = [...new Set([batchSizes[0]!, batchSizes[batchSizes.length - 1]!])];
  const perTask = Math.max(2, Math.floor(input.maxShapes / (tasks.length * ends.length)));
  const shapes = tasks.flatMap(({ name, spec }) =>
    representativeStitches(stitches, name, spec, input.sampleStitches)
      .slice(0, perTask)
      .flatMap((id) => ends.map((batch) => ({ task: name, stitchId: id, batch }))),
  );
  return { shapes, complete: false };
}

/** Stitch ids in priority order: anchors, FLOPs-spread sample, then the frontier; no repeats. */
export function representativeStitches(
  stitches: readonly Readonly<StitchSpec>[],
  task: TaskName,
  spec: Readonly<TaskSpec>,
  sampleSize: number,
): number[] {
  const byCost = [...stitches].sort((a, b) => stitchCost(a, task) - stitchCost(b, task));
  const anchors = byCost.filter((s) => s.kind === 'anchor').map((s) => s.id);
  const spread: number[] = [];
  const k = Math.min(Math.max(sampleSize, 2), byCost.length);
  for (let i = 0; i < k; i++) spread.push(byCost[Math.round((i * (byCost.length - 1)) / (k - 1))]!.id);
  return [...new Set([...anchors, ...spread, ...frontier(byCost, task, spec)])];
}

/** Stitches no other stitch beats on both cost and the task's primary metric (only those with a metric). */
function frontier(byCost: readonly Readonly<StitchSpec>[], task: TaskName, spec: Readonly<TaskSpec>): number[] {
  const sign = spec.metric.higherIsBetter ? 1 : -1;
  const ids: number[] = [];
  let best = -Infinity;
  for (const s of byCost) {
    const value = s.metrics?.[task]?.[spec.metric.name];
    if (value === undefined) continue;
    if (sign * value > best) {
      best = sign * value;
      ids.push(s.id);
    }
  }
  return ids;
}
