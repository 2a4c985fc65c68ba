import type { Manifest } from '../bundle/manifest.js';
import { manifestTasks } from '../bundle/manifest.js';
import type { RoutePlan } from './protocol.js';

/** Extracts from a validated manifest exactly what the worker needs to feed the route graph. */
export function routePlanFor(manifest: Readonly<Manifest>): RoutePlan {
  const tasks: RoutePlan['tasks'] = {};
  for (const task of manifestTasks(manifest as Manifest)) {
    const spec = manifest.tasks[task]!;
    tasks[task] = { condition: spec.condition, outputs: [...spec.outputs], height: spec.input.height, width: spec.input.width };
  }
  return {
    input: manifest.graph.input,
    conditions: [...manifest.graph.conditions],
    tasks,
    stitches: manifest.stitches.map((s) => ({ id: s.id, slots: [...s.slots] })),
  };
}

/** Map key of a (task, stitch) pair; also the prefix of the profile key "task:stitchId:batch". */
export function routeKey(task: string, stitchId: number): string {
  return `${task}:${stitchId}`;
}

/**
 * The value of every condition input for running `stitchId` on `task`, in graph.conditions order:
 * true for the task's condition and for each of the stitch's slots, false otherwise (docs/contracts.md §1).
 */
export function conditionMask(plan: RoutePlan, task: string, stitchId: number): boolean[] {
  const taskSpec = plan.tasks[task];
  const stitch = plan.stitches.find((s) => s.id === stitchId);
  if (taskSpec === undefined) throw new Error(`route plan has no task ${task}`);
  if (stitch === undefined) throw new Error(`route plan has no stitch ${stitchId}`);
  const mask = plan.conditions.map((name) => name === taskSpec.condition);
  for (const slot of stitch.slots) mask[slot] = true;
  return mask;
}
