import { ServiceError } from '../errors.js';
import type { TaskName } from './types.js';

/** One stitch as the controller sees it for one task. */
export interface StitchPoint {
  /** Upstream stitch id. */
  readonly id: number;
  /** fvcore multiply-adds at the task's input size, in units of 1e9. */
  readonly gflops: number;
  /** The task's primary metric as a fraction (higher is better); undefined when unknown. */
  readonly accuracy: number | undefined;
}

/** All active stitches of one task. */
export interface TaskCatalog {
  readonly task: TaskName;
  /** Name of the primary metric (e.g. `top1`). */
  readonly metric: string;
  /** Keyed by stitch id; every active stitch that has a FLOP count for this task. */
  readonly stitches: ReadonlyMap<number, StitchPoint>;
}

/** Per-task stitch catalogs of one family. */
export type StitchCatalog = ReadonlyMap<TaskName, TaskCatalog>;

/**
 * The parts of a bundle manifest (docs/contracts.md §1) the controller reads. The bundle loader's
 * `Manifest` type satisfies it structurally.
 */
export interface ManifestView {
  tasks: Partial<Record<TaskName, { metric: { name: string; higherIsBetter: boolean } }>>;
  stitches: ReadonlyArray<{
    id: number;
    flops: Partial<Record<TaskName, number>>;
    metrics?: Partial<Record<TaskName, Record<string, number>>>;
  }>;
}

/**
 * Builds the catalog from a manifest. A metric that is lower-is-better is not usable as accuracy, so such
 * tasks get no accuracies (the frontier then ranks by FLOPs, see `frontier.ts`).
 */
export function catalogFromManifest(manifest: ManifestView): StitchCatalog {
  const catalog = new Map<TaskName, TaskCatalog>();
  for (const [task, spec] of Object.entries(manifest.tasks) as [TaskName, ManifestView['tasks'][TaskName]][]) {
    if (spec === undefined) continue;
    const stitches = new Map<number, StitchPoint>();
    for (const stitch of manifest.stitches) {
      const flops = stitch.flops[task];
      if (flops === undefined) continue;
      const value = stitch.metrics?.[task]?.[spec.metric.name];
      const accuracy = spec.metric.higherIsBetter ? value : undefined;
      stitches.set(stitch.id, { id: stitch.id, gflops: flops / 1e9, accuracy });
    }
    catalog.set(task, { task, metric: spec.metric.name, stitches });
  }
  return catalog;
}

/** The catalog of `task`, or UNSUPPORTED_TASK. */
export function taskCatalog(catalog: StitchCatalog, task: TaskName): TaskCatalog {
  const found = catalog.get(task);
  if (found === undefined || found.stitches.size === 0) {
    throw new ServiceError('UNSUPPORTED_TASK', `The loaded family has no stitches for task '${task}'.`);
  }
  return found;
}
