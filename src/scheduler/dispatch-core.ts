import { admit } from '../controller/admission.js';
import type { FrontierIndex } from '../controller/frontier-index.js';
import type { LatencyModel } from '../controller/latency-model.js';
import type { Policy } from '../controller/policies/policy.js';
import type { ControllerRequest, LoadSnapshot, QualityHint, QueuedRequest, TaskName } from '../controller/types.js';
import { ServiceError } from '../errors.js';
import { ArrivalRate } from './arrival-rate.js';
import { EdfQueue } from './edf-queue.js';
import { saturation } from './saturation.js';
import { StatsRecorder, type SchedulerStats } from './stats.js';

/** Static settings of a scheduler (validated by the caller's config schema). */
export interface CoreConfig {
  /** Largest batch the executor runs. */
  maxBatch: number;
  /** Most requests queued over all tasks; one more → QUEUE_FULL. */
  queueBound: number;
  /** Hint applied to requests that carry none. */
  defaultHint: QualityHint;
  /** Per-task default latency budget (ms), the unit of `saturation`. */
  defaultBudgetMs: Partial<Record<TaskName, number>>;
  /** Window of the effective-accuracy gauge (ms). */
  statsWindowMs: number;
}

/** The decision-making parts the core drives. */
export interface CoreParts {
  policy: Policy;
  frontier: FrontierIndex;
  latency: LatencyModel;
}

/** A queued request: the policy's view plus what the runtime needs back. `id` is internal and unique. */
export interface QueueEntry<P> extends QueuedRequest {
  stitches: readonly number[];
  /**
   * Admitted by an idle scheduler although the latency model predicted a miss, because the profile says it
   * fits (see `check`): it expires on the optimistic prediction, so it is run and refreshes the model.
   */
  probe?: boolean;
  readonly request: ControllerRequest;
  readonly payload: P;
}

/** A batch handed to the executor. */
export interface RunningBatch<P> {
  readonly task: TaskName;
  readonly stitchId: number;
  readonly entries: readonly QueueEntry<P>[];
  readonly startedMs: number;
  readonly predictedMs: number;
  readonly reason: string;
}

/** What `poll` asks the runtime to do. */
export interface PollResult<P> {
  /** Requests that can no longer meet their deadline: answer DEADLINE_EXCEEDED; they were never computed. */
  readonly expired: readonly QueueEntry<P>[];
  /** A batch to run now, if the executor was free and the policy dispatched. */
  readonly batch: RunningBatch<P> | undefined;
  /** Poll again at this time (ms) even if nothing else happens; undefined when nothing is pending. */
  readonly wakeAtMs: number | undefined;
}

/** 1 µs: a request is doomed strictly after its latest start time. */
const EXPIRY_EPSILON_MS = 1e-3;

export type Lifecycle = 'not-ready' | 'ready' | 'draining';

/**
 * The synchronous heart of the scheduler: admission, the EDF queue, expiry, policy calls and accounting, with
 * time passed in explicitly. No promises, timers or I/O: the async `Scheduler` and the trace simulator both
 * drive this same object. One executor: at most one batch runs at a time.
 */
export class DispatchCore<P> {
  lifecycle: Lifecycle = 'not-ready';
  private readonly queue = new EdfQueue<QueueEntry<P>>();
  private readonly stats: StatsRecorder;
  private readonly rates = new Map<TaskName, ArrivalRate>();
  private running: RunningBatch<P> | undefined;
  private seq = 0;
  private stitchesVersion: number;

  constructor(
    private readonly parts: CoreParts,
    readonly config: CoreConfig,
  ) {
    if (!(Number.isInteger(config.maxBatch) && config.maxBatch >= 1)) throw new Error('scheduler: maxBatch must be a positive integer');
    if (!(Number.isInteger(config.queueBound) && config.queueBound >= 1)) throw new Error('scheduler: queueBound must be a positive integer');
    this.stats = new StatsRecorder(config.statsWindowMs);
    this.stitchesVersion = parts.latency.version;
  }

  /** Requests waiting in the queue (not running). */
  get queued(): number {
    return this.queue.size;
  }

  /** Queued plus running requests. */
  get inflight(): number {
    return this.queue.size + (this.running?.entries.length ?? 0);
  }

  /** True when nothing is queued or running. */
  get idle(): boolean {
    return this.inflight === 0;
  }

  /**
   * Admission before preprocessing: throws the ServiceError the request would get, counting the predicted
   * preprocessing time. Lets the HTTP layer refuse before decoding. Preprocessing runs on other threads while
   * the executor works through the queue, so it delays the request's arrival in the plan (now + estimate)
   * instead of being added to the queue's drain time.
   */
  precheck(request: ControllerRequest, nowMs: number): void {
    this.advanceTo(nowMs);
    const readyAtMs = nowMs + this.parts.latency.preprocessMs(request.task, nowMs);
    const entry = this.entryFor({ ...request, arrivalMs: Math.max(request.arrivalMs, readyAtMs) }, undefined as P, 'precheck');
    const error = this.check(entry, nowMs);
    if (error !== undefined) throw error;
  }

  /** Admits and queues a (preprocessed) request, or returns the error to answer it with (counted as rejected). */
  offer(request: ControllerRequest, payload: P, nowMs: number): { ok: true; entry: QueueEntry<P> } | { ok: false; error: ServiceError } {
    this.rate(request.task).arrive(nowMs, request.deadlineMs - request.arrivalMs);
    this.advanceTo(nowMs);
    let entry: QueueEntry<P>;
    try {
      entry = this.entryFor(request, payload, String(++this.seq));
    } catch (error) {
      return { ok: false, error: error as ServiceError };
    }
    const error = this.check(entry, nowMs);
    if (error !== undefined) {
      this.stats.outcome(request.task, 'rejected', nowMs);
      return { ok: false, error };
    }
    this.queue.push(entry);
    return { ok: true, entry };
  }

  /** Removes a queued request whose client went away; undefined if it is not queued (running or answered). */
  withdraw(id: string): QueueEntry<P> | undefined {
    const [entry] = this.queue.take([id]);
    if (entry !== undefined) this.stats.cancelled++;
    return entry;
  }

  /** Drops doomed requests and, when the executor is free, asks the policy for the next batch. */
  poll(nowMs: number): PollResult<P> {
    this.advanceTo(nowMs);
    const { latency } = this.parts;
    const doomAt = (e: QueueEntry<P>): number => e.deadlineMs - (e.probe === true ? latency.optimistic : latency).predict(e.task, e.stitches[0]!, 1);
    const expired = this.queue.removeWhere((e) => doomAt(e) < nowMs);
    for (const e of expired) this.stats.outcome(e.task, 'missed', nowMs);
    let wakeAtMs: number | undefined;
    let batch: RunningBatch<P> | undefined;
    if (this.running === undefined && this.queue.size > 0) {
      const decision = this.parts.policy.decide(this.snapshot(nowMs));
      if (decision.kind === 'dispatch') {
        const entries = this.queue.take(decision.requestIds);
        if (entries.length === 0) throw new Error(`policy ${this.parts.policy.name} dispatched no queued request`);
        batch = { task: decision.task, stitchId: decision.stitchId, entries, startedMs: nowMs, predictedMs: decision.predictedMs, reason: decision.reason };
        this.running = batch;
        this.parts.latency.batchStarted(nowMs);
        this.stats.batches++;
        this.stats.selected(batch.task, batch.stitchId, entries.length);
      } else if (decision.kind === 'wait') wakeAtMs = Math.max(decision.untilMs, nowMs);
    }
    // Wake just after the earliest doom time (it expires strictly after it) to answer that request at once.
    for (const e of this.queue) wakeAtMs = Math.min(wakeAtMs ?? Infinity, Math.max(nowMs, doomAt(e) + EXPIRY_EPSILON_MS));
    return { expired, batch, wakeAtMs };
  }

  /**
   * Records the end of the running batch at `nowMs`: `ok` feeds the latency model (with the executor's own
   * compute time of the batch, `computeMs`, when it reported one) and counts each request met or missed; a
   * failure counts them missed. Returns, per entry, whether it met its deadline.
   */
  complete(batch: RunningBatch<P>, nowMs: number, ok: boolean, computeMs?: number): boolean[] {
    if (this.running !== batch) throw new Error('scheduler: completing a batch that is not running');
    this.running = undefined;
    this.parts.latency.batchEnded(nowMs);
    if (ok) this.parts.latency.observe(batch.task, batch.stitchId, batch.entries.length, nowMs - batch.startedMs, nowMs, computeMs);
    else this.stats.failedBatches++;
    const accuracy = this.parts.frontier.accuracy(batch.task, batch.stitchId);
    return batch.entries.map((e) => {
      const met = ok && nowMs <= e.deadlineMs;
      this.stats.outcome(e.task, met ? 'met' : 'missed', nowMs, accuracy);
      return met;
    });
  }

  /** The current counters and gauges. */
  statsAt(nowMs: number): SchedulerStats {
    const queueDepth: SchedulerStats['queueDepth'] = {};
    const effectiveAccuracy: SchedulerStats['effectiveAccuracy'] = {};
    for (const task of this.parts.frontier.catalog.keys()) {
      queueDepth[task] = this.queue.depth(task);
      const ea = this.stats.effectiveAccuracy(task, nowMs);
      if (ea !== undefined) effectiveAccuracy[task] = ea;
    }
    const selections: SchedulerStats['selections'] = {};
    for (const [task, byStitch] of this.stats.selections) selections[task] = Object.fromEntries(byStitch);
    return {
      queueDepth,
      inflight: this.inflight,
      saturation: saturation(this.queue.queues, this.running, nowMs, this.parts.latency, this.config),
      selections,
      outcomes: Object.fromEntries([...this.stats.outcomes].map(([t, o]) => [t, { ...o }])),
      effectiveAccuracy,
      cancelled: this.stats.cancelled,
      batches: this.stats.batches,
      failedBatches: this.stats.failedBatches,
    };
  }

  /** Counts a request refused before it reached `offer` (e.g. by `precheck`) as rejected. */
  countRejected(task: TaskName, nowMs: number): void {
    this.stats.outcome(task, 'rejected', nowMs);
  }

  private entryFor(request: ControllerRequest, payload: P, id: string): QueueEntry<P> {
    const stitches = this.stitchesOf(request);
    return { id, task: request.task, arrivalMs: request.arrivalMs, deadlineMs: request.deadlineMs, stitches, request, payload };
  }

  private stitchesOf(request: ControllerRequest): readonly number[] {
    const eligibility = this.parts.frontier.eligibility(request.task, request.hint ?? this.config.defaultHint, request.constraints);
    const stitches = this.parts.policy.stitchesFor(eligibility);
    if (stitches.length === 0) {
      throw new ServiceError('NO_STITCH_MATCHES', `Policy '${this.parts.policy.name}' runs no stitch that satisfies the request's constraints.`);
    }
    return stitches;
  }

  private check(entry: QueueEntry<P>, nowMs: number): ServiceError | undefined {
    if (this.lifecycle === 'not-ready') return new ServiceError('NOT_READY', undefined, { retryAfterSeconds: 1 });
    if (this.lifecycle === 'draining') return new ServiceError('DRAINING');
    const snapshot = this.snapshot(nowMs);
    if (this.queue.size >= this.config.queueBound) {
      const drainMs = saturation(this.queue.queues, this.running, nowMs, this.parts.latency, { ...this.config, defaultBudgetMs: {} });
      return new ServiceError('QUEUE_FULL', undefined, { retryAfterSeconds: toSeconds(drainMs) });
    }
    const verdict = admit(snapshot, entry);
    if (verdict.ok) return undefined;
    // An idle scheduler never refuses what the profile says fits: refusals add no observation, so after a slow
    // spell a pessimistic model would otherwise refuse for ever. The request runs as a probe and refreshes it.
    if (this.idle && admit({ ...snapshot, latency: this.parts.latency.optimistic }, entry).ok) {
      entry.probe = true;
      return undefined;
    }
    return new ServiceError(
      'DEADLINE_UNMEETABLE',
      `No stitch can finish this request within its deadline given the current load; retry in about ${toSeconds(verdict.retryAfterMs)} s.`,
      { retryAfterSeconds: toSeconds(verdict.retryAfterMs) },
    );
  }

  private snapshot(nowMs: number): LoadSnapshot {
    const arrivalRatePerMs = new Map<TaskName, number>();
    const typicalBudgetMs = new Map<TaskName, number>();
    const burstArrivals = new Map<TaskName, number>();
    for (const [task, rate] of this.rates) {
      arrivalRatePerMs.set(task, rate.perMs(nowMs));
      if (rate.budgetMs === undefined) continue;
      typicalBudgetMs.set(task, rate.budgetMs);
      burstArrivals.set(task, rate.burstCount(rate.budgetMs, nowMs));
    }
    const running = this.running;
    return {
      nowMs,
      executorFreeAtMs: running === undefined ? nowMs : Math.max(nowMs, running.startedMs + running.predictedMs),
      queues: this.queue.queues,
      latency: this.parts.latency,
      quality: this.parts.frontier,
      maxBatch: this.config.maxBatch,
      arrivalRatePerMs,
      typicalBudgetMs,
      burstArrivals,
    };
  }

  /**
   * Moves the latency model's time (old observations age out even when every request is refused and no
   * batch runs), then re-resolves queued ladders if predictions changed.
   */
  private advanceTo(nowMs: number): void {
    this.parts.latency.advanceTo(nowMs);
    this.refreshStitches();
  }

  /** Ladders depend on the frontier, which follows the latency model: re-resolve them when it changed. */
  private refreshStitches(): void {
    if (this.stitchesVersion === this.parts.latency.version) return;
    this.stitchesVersion = this.parts.latency.version;
    for (const entry of this.queue) entry.stitches = this.stitchesOf(entry.request);
  }

  private rate(task: TaskName): ArrivalRate {
    let rate = this.rates.get(task);
    if (rate === undefined) this.rates.set(task, (rate = new ArrivalRate()));
    return rate;
  }
}

/** Retry-After seconds for a wait of `ms` (at least 1). */
function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
