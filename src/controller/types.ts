/**
 * Vocabulary of the controller: requests as the controller sees them, the load snapshot a policy reads and
 * the decision it returns. Everything here is plain data; times are milliseconds on one monotonic clock
 * (the scheduler's `Clock`), and deadlines are absolute times on that clock.
 */

/** The task heads a family may carry (same literal set as the bundle's `TaskName`). */
export type TaskName = 'classify' | 'segment' | 'depth' | 'detect';

/**
 * A quality/speed hint: a named level or a number q in [0, 1]. `fast` = 0, `balanced` = 0.5, `accurate` = 1.
 * q picks the *preferred* stitch on the task's Pareto frontier (see `eligibility.ts`): the cheapest frontier
 * point whose accuracy reaches `min + q·(max − min)`. The controller never runs a request above its preferred
 * stitch; under load it may go below it.
 */
export type QualityHint = 'fast' | 'balanced' | 'accurate' | number;

/** Hard constraints from expert clients; every one must hold or the request is refused (400). */
export interface StitchConstraints {
  /** Run exactly this stitch (upstream id). */
  stitch?: number;
  /** Only stitches whose known task metric is ≥ this fraction. */
  minAccuracy?: number;
  /** Only stitches with at most this many GFLOPs (fvcore MACs / 1e9) for the task. */
  maxGflops?: number;
}

/** A request as submitted to the controller, after the HTTP layer validated its parameters. */
export interface ControllerRequest {
  /** Unique among requests alive in one scheduler. */
  id: string;
  task: TaskName;
  /** When the request arrived (ms, scheduler clock). */
  arrivalMs: number;
  /** Absolute deadline (ms, scheduler clock): the answer must be complete by then. */
  deadlineMs: number;
  hint?: QualityHint;
  constraints?: StitchConstraints;
}

/**
 * A queued request as a policy sees it. `stitches` are the stitches the active policy may run it with,
 * ascending in predicted cost (and accuracy); the last one is its preferred stitch. Never empty.
 */
export interface QueuedRequest {
  readonly id: string;
  readonly task: TaskName;
  readonly arrivalMs: number;
  readonly deadlineMs: number;
  readonly stitches: readonly number[];
}

/** Predicted batch latency, read-only view of the latency model. */
export interface LatencyEstimator {
  /** Predicted wall time (ms) of one batch of `batch` requests of `task` through stitch `stitchId`. */
  predict(task: TaskName, stitchId: number, batch: number): number;
  /**
   * Predicted preprocessing time (ms) of one request of `task` arriving at `nowMs` (default: the estimator's
   * own clock) before it can be queued. Preprocessing runs on other threads than inference, so it delays the
   * request's arrival in the queue; it overlaps the batches already queued or running.
   */
  preprocessMs(task: TaskName, nowMs?: number): number;
  /** Increases whenever predictions changed enough that frontiers must be recomputed. */
  readonly version: number;
}

/** Accuracy lookup (task metric as a fraction) used for reporting and by policies that rank stitches. */
export interface AccuracyLookup {
  accuracy(task: TaskName, stitchId: number): number;
}

/**
 * Everything a policy may read to decide. Queues are per task, each in EDF order (deadline ascending, ties
 * by arrival); they are live views owned by the scheduler, valid only during the `decide` call.
 */
export interface LoadSnapshot {
  readonly nowMs: number;
  /** When the executor is predicted to be free (≤ nowMs when it is free now). */
  readonly executorFreeAtMs: number;
  readonly queues: ReadonlyMap<TaskName, readonly QueuedRequest[]>;
  readonly latency: LatencyEstimator;
  readonly quality: AccuracyLookup;
  /** Largest batch the executor runs. */
  readonly maxBatch: number;
  /** Recent arrival rate per task (requests per ms); absent when unknown. */
  readonly arrivalRatePerMs: ReadonlyMap<TaskName, number>;
  /** Typical latency budget (deadline − arrival, ms) of recent requests per task; absent when unknown. */
  readonly typicalBudgetMs: ReadonlyMap<TaskName, number>;
  /**
   * Per task, how many requests tend to arrive within one typical budget of each other (a high quantile over
   * recent arrivals; see ArrivalRate.burstCount); absent when unknown.
   */
  readonly burstArrivals: ReadonlyMap<TaskName, number>;
}

/** Run `requestIds` (all of `task`, EDF order) as one batch through `stitchId`. */
export interface DispatchDecision {
  readonly kind: 'dispatch';
  readonly task: TaskName;
  readonly stitchId: number;
  readonly requestIds: readonly string[];
  /** Short machine-readable reason, e.g. `level 7/23` or `bucket 4 b=8`; logged and exported. */
  readonly reason: string;
  /** Predicted batch wall time (ms). */
  readonly predictedMs: number;
}

/** Dispatch nothing now; ask again at `untilMs` (or earlier, when a request arrives). */
export interface WaitDecision {
  readonly kind: 'wait';
  readonly untilMs: number;
  readonly reason: string;
}

export interface IdleDecision {
  readonly kind: 'idle';
}

export type Decision = DispatchDecision | WaitDecision | IdleDecision;
