import { catalogFromManifest, type ManifestView } from '../controller/catalog.js';
import { FrontierIndex } from '../controller/frontier-index.js';
import { LatencyModel, type LatencyModelOptions } from '../controller/latency-model.js';
import type { LatencyProfile } from '../controller/latency-profile.js';
import { createPolicy, type Policy } from '../controller/policies/index.js';
import type { QualityHint, TaskName } from '../controller/types.js';
import type { Clock } from './clock.js';
import { Scheduler, type BatchExecutor, type SchedulerObserver } from './scheduler.js';

/** Everything needed to build a scheduler for one loaded bundle. */
export interface SchedulerSetup<P, R> {
  /** The bundle manifest (the loader's `Manifest` fits). */
  manifest: ManifestView;
  /** The engine's start-up profile (`engine.profile()`); empty until warm-up, then `latency.setProfile`. */
  profile?: LatencyProfile;
  /** Policy config string: `adaptive` | `slackfit` | `fixed:<id>` | `fastest` | `most-accurate`. */
  policy: string;
  maxBatch: number;
  queueBound: number;
  /** Per-task default budget (ms), as in the config's `controller.deadlines[task].defaultMs`. */
  defaultBudgetMs: Partial<Record<TaskName, number>>;
  /** Hint for requests without one; default `accurate`. */
  defaultHint?: QualityHint;
  latencyOptions?: Partial<LatencyModelOptions>;
  /** Window of the effective-accuracy gauge (ms); default 60 s. */
  statsWindowMs?: number;
  executor: BatchExecutor<P, R>;
  clock?: Clock;
  observer?: SchedulerObserver;
}

/** What `createScheduler` builds; `latency` is kept so the caller can install the engine's profile later. */
export interface SchedulerParts<P, R> {
  scheduler: Scheduler<P, R>;
  latency: LatencyModel;
  frontier: FrontierIndex;
  policy: Policy;
}

/**
 * The composition root of the controller: catalog from the manifest, latency model, frontiers, policy and the
 * runtime scheduler (not ready until `scheduler.setReady(true)`). Throws an Error for a bad policy string.
 */
export function createScheduler<P, R>(setup: SchedulerSetup<P, R>): SchedulerParts<P, R> {
  const catalog = catalogFromManifest(setup.manifest);
  const clock = setup.clock;
  // The model stamps observations reported without a time (the HTTP layer's) on the scheduler's clock.
  const latencyOptions = clock === undefined ? setup.latencyOptions : { now: () => clock.now(), ...setup.latencyOptions };
  const latency = new LatencyModel(catalog, setup.profile ?? new Map(), latencyOptions);
  const frontier = new FrontierIndex(catalog, latency);
  const policy = createPolicy(setup.policy, catalog);
  const scheduler = new Scheduler<P, R>({
    parts: { policy, latency, frontier },
    config: {
      maxBatch: setup.maxBatch,
      queueBound: setup.queueBound,
      defaultHint: setup.defaultHint ?? 'accurate',
      defaultBudgetMs: setup.defaultBudgetMs,
      statsWindowMs: setup.statsWindowMs ?? 60_000,
    },
    executor: setup.executor,
    ...(clock === undefined ? {} : { clock }),
    ...(setup.observer === undefined ? {} : { observer: setup.observer }),
  });
  return { scheduler, latency, frontier, policy };
}
