import type { ControllerRequest, TaskName } from '../controller/types.js';
import { ERRORS, ServiceError, isServiceError, type ErrorCode } from '../errors.js';
import { systemClock, type Clock } from './clock.js';
import { DispatchCore, type CoreConfig, type CoreParts, type QueueEntry, type RunningBatch } from './dispatch-core.js';
import type { SchedulerStats } from './stats.js';

/** One batch as the executor receives it: one task, one stitch, requests in EDF order. */
export interface ExecutorBatch<P> {
  readonly task: TaskName;
  readonly stitchId: number;
  readonly requests: ReadonlyArray<{ readonly id: string; readonly payload: P }>;
}

/**
 * Runs a batch and resolves with one result per request, in order. Rejecting with a ServiceError (or an
 * error carrying a registry `code`, such as the engine's ENGINE_UNAVAILABLE) fails exactly that batch.
 */
export type BatchExecutor<P, R> = (batch: ExecutorBatch<P>) => Promise<readonly R[]>;

/** What `submit` resolves with. Times in ms. */
export interface Served<R> {
  readonly result: R;
  readonly stitchId: number;
  readonly batchSize: number;
  /** The policy's reason for this batch (e.g. `level 7/23 b=4 misses=0`). */
  readonly reason: string;
  /** From submission to the start of its batch. */
  readonly queuedMs: number;
  /** Wall time of its batch, and what the latency model predicted for it. */
  readonly batchMs: number;
  readonly predictedMs: number;
  readonly deadlineMet: boolean;
}

/** A finished batch, for logs and metrics (`batch_size`, `inference_duration_seconds`, predicted vs actual). */
export interface BatchRecord {
  readonly task: TaskName;
  readonly stitchId: number;
  readonly batchSize: number;
  readonly reason: string;
  readonly predictedMs: number;
  readonly actualMs: number;
  /** Client request ids in the batch. */
  readonly requestIds: readonly string[];
  readonly error: ServiceError | undefined;
}

/** Optional hooks; exceptions thrown by them are swallowed so they can never lose a request. */
export interface SchedulerObserver {
  onBatch?(record: BatchRecord): void;
  /** A request answered with an error by the scheduler (rejected, expired, cancelled or failed). */
  onError?(task: TaskName, code: ErrorCode, requestId: string): void;
}

export interface SchedulerOptions<P, R> {
  parts: CoreParts;
  config: CoreConfig;
  executor: BatchExecutor<P, R>;
  clock?: Clock;
  observer?: SchedulerObserver;
  /**
   * The executor's own compute time (ms) of a batch, from its results, so that the latency model can learn the
   * per-batch overhead around it. Default: `reportedComputeMs` (a numeric `computeMs` on the first result, as
   * the engine executor's results carry).
   */
  computeMsOf?: (results: readonly R[]) => number | undefined;
}

/** The `computeMs` field of the first result when it is a positive finite number (the engine's convention). */
export function reportedComputeMs(results: readonly unknown[]): number | undefined {
  const first = results[0];
  const ms = typeof first === 'object' && first !== null ? (first as { computeMs?: unknown }).computeMs : undefined;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

interface Pending<R> {
  resolve(value: Served<R>): void;
  reject(error: ServiceError): void;
  detach(): void;
}

/**
 * The runtime around `DispatchCore`: promises per request, the wake-up timer, client aborts, the executor
 * call, readiness and draining. Every accepted request settles exactly once: served, DEADLINE_EXCEEDED,
 * CLIENT_CLOSED, or the executor's error. Single-threaded: all state changes happen on the event loop.
 */
export class Scheduler<P, R> {
  readonly clock: Clock;
  private readonly core: DispatchCore<P>;
  private readonly pending = new Map<string, Pending<R>>();
  private readonly drainWaiters: Array<() => void> = [];
  private cancelTimer: (() => void) | undefined;
  private timerAtMs: number | undefined;
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly options: SchedulerOptions<P, R>) {
    this.clock = options.clock ?? systemClock;
    this.core = new DispatchCore<P>(options.parts, options.config);
  }

  get lifecycle(): DispatchCore<P>['lifecycle'] {
    return this.core.lifecycle;
  }

  /** Requests queued, waiting for a batch (not counting the running one). */
  get queued(): number {
    return this.core.queued;
  }

  /** Opens (true) or closes (false: NOT_READY) admission; ignored once draining. */
  setReady(ready: boolean): void {
    if (this.core.lifecycle !== 'draining') this.core.lifecycle = ready ? 'ready' : 'not-ready';
  }

  /** Throws the ServiceError a request arriving now would be refused with, counting preprocessing time. */
  precheck(request: ControllerRequest): void {
    try {
      this.core.precheck(request, this.clock.now());
    } catch (error) {
      if (isServiceError(error) && ERRORS[error.code].status !== 400) this.core.countRejected(request.task, this.clock.now());
      throw error;
    }
  }

  /**
   * Queues a preprocessed request. Rejects at once with the admission error (NOT_READY, DRAINING, QUEUE_FULL,
   * DEADLINE_UNMEETABLE with retryAfterSeconds, UNKNOWN_STITCH, NO_STITCH_MATCHES, UNSUPPORTED_TASK); later
   * with DEADLINE_EXCEEDED, CLIENT_CLOSED (after `signal` aborted while queued) or the executor's error.
   */
  submit(request: ControllerRequest, payload: P, signal?: AbortSignal): Promise<Served<R>> {
    if (signal?.aborted === true) return Promise.reject(this.fail(request, 'CLIENT_CLOSED'));
    const offered = this.core.offer(request, payload, this.clock.now());
    if (!offered.ok) {
      this.notifyError(request.task, offered.error.code, request.id);
      return Promise.reject(offered.error);
    }
    const { entry } = offered;
    return new Promise<Served<R>>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.core.withdraw(entry.id) === undefined) return; // already running: the answer is just discarded
        this.settleError(entry, 'CLIENT_CLOSED');
        this.pump();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(entry.id, { resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) });
      this.pump();
    });
  }

  /** Stops admitting (DRAINING) and resolves once every accepted request is answered. */
  drain(): Promise<void> {
    this.core.lifecycle = 'draining';
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
  }

  stats(): SchedulerStats {
    return this.core.statsAt(this.clock.now());
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const { expired, batch, wakeAtMs } = this.core.poll(this.clock.now());
        for (const entry of expired) this.settleError(entry, 'DEADLINE_EXCEEDED', 'The request could no longer meet its deadline; it was not computed.');
        if (batch !== undefined) this.run(batch);
        this.arm(wakeAtMs);
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.checkDrained();
  }

  private run(batch: RunningBatch<P>): void {
    const requests = batch.entries.map((e) => ({ id: e.request.id, payload: e.payload }));
    Promise.resolve()
      .then(() => this.options.executor({ task: batch.task, stitchId: batch.stitchId, requests }))
      .then(
        (results) => {
          if (!Array.isArray(results) || results.length !== requests.length) {
            throw new ServiceError('ENGINE_FAILED', `The executor returned ${Array.isArray(results) ? results.length : 'no'} results for ${requests.length} requests.`);
          }
          this.finish(batch, results, undefined);
        },
      )
      .catch((error: unknown) => this.finish(batch, undefined, toServiceError(error)));
  }

  private finish(batch: RunningBatch<P>, results: readonly R[] | undefined, error: ServiceError | undefined): void {
    const now = this.clock.now();
    const computeMs = results === undefined ? undefined : (this.options.computeMsOf ?? reportedComputeMs)(results);
    const met = this.core.complete(batch, now, error === undefined, computeMs);
    const actualMs = now - batch.startedMs;
    batch.entries.forEach((entry, i) => {
      if (error !== undefined) return this.settleError(entry, error.code, error.message);
      const pending = this.pending.get(entry.id);
      this.pending.delete(entry.id);
      pending?.detach();
      pending?.resolve({
        result: results![i]!,
        stitchId: batch.stitchId,
        batchSize: batch.entries.length,
        reason: batch.reason,
        queuedMs: batch.startedMs - entry.request.arrivalMs,
        batchMs: actualMs,
        predictedMs: batch.predictedMs,
        deadlineMet: met[i]!,
      });
    });
    const record: BatchRecord = {
      task: batch.task,
      stitchId: batch.stitchId,
      batchSize: batch.entries.length,
      reason: batch.reason,
      predictedMs: batch.predictedMs,
      actualMs,
      requestIds: batch.entries.map((e) => e.request.id),
      error,
    };
    safely(() => this.options.observer?.onBatch?.(record));
    this.pump();
  }

  private settleError(entry: QueueEntry<P>, code: ErrorCode, message?: string): void {
    const pending = this.pending.get(entry.id);
    this.pending.delete(entry.id);
    pending?.detach();
    pending?.reject(this.fail(entry.request, code, message));
  }

  private fail(request: ControllerRequest, code: ErrorCode, message?: string): ServiceError {
    this.notifyError(request.task, code, request.id);
    return new ServiceError(code, message);
  }

  private notifyError(task: TaskName, code: ErrorCode, requestId: string): void {
    safely(() => this.options.observer?.onError?.(task, code, requestId));
  }

  private arm(wakeAtMs: number | undefined): void {
    if (wakeAtMs === this.timerAtMs) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAtMs = wakeAtMs;
    if (wakeAtMs === undefined) return;
    this.cancelTimer = this.clock.setTimer(wakeAtMs, () => {
      this.cancelTimer = undefined;
      this.timerAtMs = undefined;
      this.pump();
    });
  }

  private checkDrained(): void {
    if (this.core.lifecycle !== 'draining' || !this.core.idle) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

/** Maps anything an executor may throw to a registry error (codes it carries are kept; else ENGINE_FAILED). */
export function toServiceError(error: unknown): ServiceError {
  if (isServiceError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : undefined;
  if (typeof code === 'string' && code in ERRORS) return new ServiceError(code as ErrorCode, message, { cause: error });
  return new ServiceError('ENGINE_FAILED', undefined, { cause: error });
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Observers are for logs and metrics; their failure must not break the request path.
  }
}
