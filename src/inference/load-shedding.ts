import { ServiceError } from '../errors.js';
import type { EventLoopSnapshot } from './event-loop-monitor.js';

/** Limits of the arrival check (config `limits.inflight`, `.eventLoopDelayMs`, `.eventLoopUtilization`). */
export interface SheddingLimits {
  /** Most task requests between arrival and answer; the next one is refused OVERLOADED. */
  inflight: number;
  /**
   * Most of those in the front end (being read, decoded, run or rendered: not waiting in the scheduler's queue);
   * the next one is refused OVERLOADED.
   */
  frontInflight: number;
  /** Event-loop lag (ms) above which new task requests are refused OVERLOADED. */
  eventLoopDelayMs: number;
  /** Main-thread busy share (0..1, last ~0.2 s) above which new task requests are refused OVERLOADED; 1: never. */
  eventLoopUtilization: number;
}

/** Why a request was shed at arrival: the values of the `cause` label of `stitchserve_shed_requests_total`. */
export const SHED_CAUSES = ['inflight_limit', 'front_limit', 'event_loop_delay', 'event_loop_utilization', 'deadline'] as const;
export type ShedCause = (typeof SHED_CAUSES)[number];

/** The state a new task request arrives into. */
export interface ArrivalLoad {
  /** Task requests already in flight (not counting the new one). */
  inflight: number;
  /**
   * Of those, the ones waiting in the scheduler's queue: read and decoded, their deadlines judged by the
   * scheduler's admission. The others are the front end's: being read or decoded, in the running batch, or
   * having their answer rendered (all main-thread or decoder work still to come).
   */
  queued: number;
  loop: EventLoopSnapshot;
}

/** A refusal at arrival: the error to answer and the cause to count. */
export interface Shed {
  cause: ShedCause;
  error: ServiceError;
}

/**
 * Share of a request's budget the main-thread backlog may take. The rest is for what the backlog estimate
 * does not see: the request's own decode, queue and engine time, and arrivals still unread in socket buffers.
 * (0.25 shed ~4× more of an engine-bound classification burst at the door, before the controller's queue could
 * grow and degrade it: test/controller/live-switching.test.ts.)
 */
export const BACKLOG_BUDGET_SHARE = 0.5;

/**
 * The utilization and backlog checks apply from this many requests in flight: with none in flight, accepted
 * work is not what keeps the main thread busy (a single large image, a GC pause or a co-located client can),
 * refusing would relieve nothing, and one request is always let in, so service progresses under any flood.
 * It was 4: under a flood of a front-end-bound workload (JPEG in, PNG overlay out: ~7 ms of main thread per
 * answer, ~50 ms in flight), four requests always in flight were ~80 admissions/s, more than half the main
 * thread, while refusing the flood took the rest; new connections then waited seconds in the kernel's accept
 * queue (1 300 deep) before the server saw them (429 p99 2.9 s by the client's clock).
 */
export const SHED_MIN_INFLIGHT = 1;

/** Seconds to suggest in Retry-After for a backlog of `ms` (≥ 1 s). */
const retryAfter = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * Runs `make` with stack-trace capture off. Refusals are load answers, never logged with a stack, and capturing
 * one costs ~12 µs of main thread here (more than the rest of the verdict): errors created inside have `stack`
 * with the message only. Synchronous, so nothing else runs while the limit is 0.
 */
export function withoutStackTrace<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const overloaded = (cause: ShedCause, message: string, retryAfterSeconds = 1): Shed => ({
  cause,
  error: withoutStackTrace(() => new ServiceError('OVERLOADED', message, { retryAfterSeconds })),
});

/**
 * Decides, before a task request's body is read, whether to refuse it at once (429 + Retry-After) because the
 * process is overloaded, so that excess load costs almost nothing and what is accepted is answered in time.
 * The main thread (HTTP parsing, routing, post-processing) must keep spare time: when accepted work saturates
 * it, new connections wait unseen in the kernel's accept queue, refusals come late and the queue overflows
 * (resets). A refusal costs a fraction of a millisecond, an accepted request tens of them, so the server keeps
 * headroom by accepting only while the main thread is not too busy. Checks, cheapest first:
 * - the in-flight bound (OVERLOADED): requests being uploaded, decoded, queued, run and rendered;
 * - once SHED_MIN_INFLIGHT requests are in flight:
 *   - the front end's bound (OVERLOADED): requests in flight but not waiting in the scheduler's queue. At a
 *     flood's start nothing has been refused yet, so the open-loop checks below are off, and the backlog check
 *     admits half a budget of main-thread work; a front end that full runs few event-loop iterations a second,
 *     and Node accepts one new connection per iteration, so the flood waited unseen in the accept queue
 *     (docs/reliability.md). Queued requests are not counted: the controller serves a queue with cheaper stitches;
 *   - while requests are being refused anyway (`loop.shedding`: demand exceeds what is admitted, the sign of an
 *     open-loop overload; a closed loop of clients may saturate the main thread but waits for its answers and
 *     builds no hidden queue, so it is not refused for that):
 *     - event-loop lag above `eventLoopDelayMs` (OVERLOADED): the main thread is already behind;
 *     - main-thread utilization (over the last ~0.2 s) above `eventLoopUtilization` (OVERLOADED), while the
 *       front end (`inflight − queued`: reading, decoding, running, rendering) holds at least as many requests
 *       as the scheduler's queue: accepted work then saturates the front end and no headroom is left to read
 *       and refuse the excess. When most wait in the queue instead, the engine is the bottleneck: the
 *       scheduler's deadline admission decides, serving the burst with cheaper stitches, and refusing here
 *       would only trade degraded answers for refusals that cost the main thread just as much;
 *   - the main-thread time the front end's requests and this one still need, plus the lag,
 *     `lag + (front + 1) × msPerRequest`, above BACKLOG_BUDGET_SHARE of the request's budget
 *     (DEADLINE_UNMEETABLE): it would be answered late. This acts before utilization rises, e.g. at the start
 *     of a burst while the first requests are still decoding. Requests waiting in the queue are the
 *     scheduler's to judge (charging them too refused bursts before the queue could grow, so the controller
 *     never degraded). `budgetMs` undefined (not known before the body) skips it.
 * Pure: the caller supplies the load and counts the outcome. Returns undefined to accept.
 */
export function shedAtArrival(load: ArrivalLoad, limits: SheddingLimits, budgetMs: number | undefined): Shed | undefined {
  const { inflight, queued, loop } = load;
  if (inflight >= limits.inflight) return overloaded('inflight_limit', `${inflight} requests are in progress (limit ${limits.inflight}); retry later.`);
  if (inflight < SHED_MIN_INFLIGHT) return undefined;
  const front = Math.max(0, inflight - queued);
  if (front >= limits.frontInflight) {
    return overloaded('front_limit', `${front} requests are being read, decoded, run or answered (limit ${limits.frontInflight}); retry later.`);
  }
  if (loop.shedding && loop.lagMs > limits.eventLoopDelayMs) {
    return overloaded('event_loop_delay', `The server is ${Math.round(loop.lagMs)} ms behind (limit ${limits.eventLoopDelayMs} ms); retry later.`, retryAfter(loop.lagMs));
  }
  if (loop.shedding && front >= queued && loop.utilization > limits.eventLoopUtilization) {
    const percent = (x: number) => Math.round(100 * x);
    return overloaded('event_loop_utilization', `The server is ${percent(loop.utilization)} % busy (limit ${percent(limits.eventLoopUtilization)} %); retry later.`);
  }
  if (budgetMs === undefined) return undefined;
  const predictedMs = loop.lagMs + (front + 1) * loop.msPerRequest;
  if (predictedMs <= BACKLOG_BUDGET_SHARE * budgetMs) return undefined;
  const backlog = front === 1 ? 'The 1 request being read, decoded or answered keeps' : `The ${front} requests being read, decoded or answered keep`;
  const message = `${backlog} the server busy for about ${Math.round(predictedMs)} ms, too much of the ${budgetMs} ms budget; retry later.`;
  const error = withoutStackTrace(() => new ServiceError('DEADLINE_UNMEETABLE', message, { retryAfterSeconds: retryAfter(predictedMs) }));
  return { cause: 'deadline', error };
}
