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
  /** Never plan more shapes than this. */
  maxShapes: number;
  /** Size of the FLOPs-spread sample per task in the subset. */
  sampleStitches: number;
  /** Runs per shape (untimed + timed), to turn a per-run estimate into a plan cost. */
  runsPerShape: number;
  /** Estimated ms of one run of a shape. */
  estimateMs: (shape: ProfileShape) => number;
  /** Wall-clock budget for measuring, ms. */
  budgetMs: number;
}

/** Profile key "task:stitchId:batch" (docs/contracts.md §2). */
export function profileKey(task: string, stitchId: number, batch: number): string {
  return `${task}:${stitchId}:${batch}`;
}

/** Parses a profile key; null when it is not "task:stitchId:batch". */
export function parseProfileKey(key: string): ProfileShape | null {
  const match = /^(\w+):(\d+):(\d+)$/.exec(key);
  return match ? { task: match[1] as TaskName, stitchId: Number(match[2]), batch: Number(match[3]) } : null;
}

/** FLOPs of a stitch for a task; falls back to the parameter count when the toolchain gave no FLOPs. */
export function stitchCost(stitch: Readonly<StitchSpec>, task: TaskName): number {
  return stitch.flops[task] ?? stitch.params;
}

/**
 * Pure: the shapes to measure before ready. Every (task × stitch × batch) when that fits both `maxShapes` and
 * the time budget; otherwise, per task, a representative subset at the smallest and largest batch size: the
 * cheapest and the dearest stitch always, then the anchors, a FLOPs-spread sample (even ranks) and the
 * accuracy/FLOPs frontier, added round-robin across tasks while the estimated time stays within the budget.
 * The rest is interpolated (see completeProfile).
 */
export function profilePlan(input: ProfilePlanInput): { shapes: ProfileShape[]; complete: boolean } {
  const { tasks, stitches, batchSizes } = input;
  const cost = (shapes: readonly ProfileShape[]) => shapes.reduce((sum, s) => sum + input.runsPerShape * input.estimateMs(s), 0);
  const all = tasks.flatMap(({ name }) => stitches.flatMap((s) => batchSizes.map((batch) => ({ task: name, stitchId: s.id, batch }))));
  if (all.length <= input.maxShapes && cost(all) <= input.budgetMs) return { shapes: all, complete: true };

  const ends = [...new Set([batchSizes[0]!, batchSizes[batchSizes.length - 1]!])];
  const shapesOf = (task: TaskName, stitchId: number) => ends.map((batch) => ({ task, stitchId, batch }));
  const queues = tasks.map(({ name, spec }) => ({ name, ids: representativeStitches(stitches, name, spec, input.sampleStitches) }));
  const shapes: ProfileShape[] = [];
  let spent = 0;
  // Cheapest and dearest of every task anchor the interpolation: always measured.
  for (const queue of queues) {
    for (const id of queue.ids.splice(0, 2)) {
      const added = shapesOf(queue.name, id);
      shapes.push(...added);
      spent += cost(added);
    }
  }
  for (let round = 0; queues.some((q) => round < q.ids.length); round++) {
    for (const queue of queues) {
      const id = queue.ids[round];
      if (id === undefined) continue;
      const added = shapesOf(queue.name, id);
      if (shapes.length + added.length > input.maxShapes || spent + cost(added) > input.budgetMs) continue;
      shapes.push(...added);
      spent += cost(added);
    }
  }
  return { shapes, complete: false };
}

/** Stitch ids in priority order: cheapest, dearest, anchors, FLOPs-spread sample, frontier; no repeats. */
export function representativeStitches(
  stitches: readonly Readonly<StitchSpec>[],
  task: TaskName,
  spec: Readonly<TaskSpec>,
  sampleSize: number,
): number[] {
  const byCost = [...stitches].sort((a, b) => stitchCost(a, task) - stitchCost(b, task));
  if (byCost.length === 0) return [];
  const extremes = [byCost[0]!.id, byCost[byCost.length - 1]!.id];
  const anchors = byCost.filter((s) => s.kind === 'anchor').map((s) => s.id);
  const spread: number[] = [];
  const k = Math.min(Math.max(sampleSize, 2), byCost.length);
  for (let i = 0; i < k; i++) spread.push(byCost[Math.round((i * (byCost.length - 1)) / (k - 1))]!.id);
  return [...new Set([...extremes, ...anchors, ...spread, ...frontier(byCost, task, spec)])];
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

/**
 * The probe shape timed first: the dearest served stitch of the first task at the largest batch size. Its time
 * scales the estimate of every other shape (see costModel).
 */
export function probeShape(input: Pick<ProfilePlanInput, 'tasks' | 'stitches' | 'batchSizes'>): ProfileShape {
  const task = input.tasks[0]!.name;
  const dearest = [...input.stitches].sort((a, b) => stitchCost(b, task) - stitchCost(a, task))[0]!;
  return { task, stitchId: dearest.id, batch: input.batchSizes[input.batchSizes.length - 1]! };
}

/** Estimate of one run of any shape: proportional to FLOPs × batch, scaled by the probe's measured time. */
export function costModel(
  stitches: readonly Readonly<StitchSpec>[],
  probe: ProfileShape,
  probeMs: number,
): (shape: ProfileShape) => number {
  const byId = new Map(stitches.map((s) => [s.id, s]));
  const probeWork = stitchCost(byId.get(probe.stitchId)!, probe.task) * probe.batch;
  return (shape) => (probeMs * stitchCost(byId.get(shape.stitchId)!, shape.task) * shape.batch) / probeWork;
}

/**
 * Shapes to run once, untimed, so that no allowed batch size meets its first run after ready: for each task,
 * every batch size without a measured shape gets one run of the task's dearest stitch (largest activations).
 */
export function unmeasuredBatchShapes(
  measuredKeys: Iterable<string>,
  tasks: readonly TaskName[],
  stitches: readonly Readonly<StitchSpec>[],
  batchSizes: readonly number[],
): ProfileShape[] {
  const seen = new Set<string>();
  for (const key of measuredKeys) {
    const shape = parseProfileKey(key);
    if (shape !== null) seen.add(`${shape.task}:${shape.batch}`);
  }
  return tasks.flatMap((task) => {
    const dearest = [...stitches].sort((a, b) => stitchCost(b, task) - stitchCost(a, task))[0];
    if (dearest === undefined) return [];
    return batchSizes.filter((b) => !seen.has(`${task}:${b}`)).map((batch) => ({ task, stitchId: dearest.id, batch }));
  });
}
