import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { SlidingQuantile } from '../controller/sliding-quantile.js';

/** What the main thread looks like now; see `EventLoopMonitor`. */
export interface EventLoopSnapshot {
  /** How far behind the event loop runs (ms): the lateness of the last timer tick, or of the tick overdue now. */
  lagMs: number;
  /** Share of wall time the main thread was busy over the last `recentTicks` probe periods (0..1). */
  utilization: number;
  /**
   * Main-thread busy time per answered request (ms, a low quantile over the recent windows with at least
   * `minAnswers` answers and no refusal at arrival; kept through idle spells and overloads; 0 until first measured). Under a
   * closed-loop saturation this is the inverse of the served throughput, and `inflight × msPerRequest` bounds how
   * long the requests in flight still keep the main thread busy. Windows with refusals are skipped: their busy
   * time includes reading and refusing the excess, which would be charged to the few answered requests and
   * inflate the cost (a feedback loop: a higher cost refuses more, which raises the cost again).
   */
  msPerRequest: number;
  /** Some request was refused at arrival within the last `shedMemoryMs`: demand exceeds what is admitted. */
  shedding: boolean;
}

export interface EventLoopMonitorOptions {
  /** Period of the lag probe (ms). */
  tickMs: number;
  /**
   * Probe periods `utilization` averages over (~0.2 s). It gates admission only while requests are being
   * refused anyway, so it must react within a fraction of a budget: with ~0.5 s, a flood's first half second
   * was admitted at the service's full rate while reading the flood needed most of the main thread, and every
   * arrival of that half second waited ~1 s unread (overload test: 429 p99 0.7–1.2 s → 0.4–0.7 s).
   */
  recentTicks: number;
  /** Length of a cost window for `msPerRequest` (ms). */
  windowMs: number;
  /** Windows with at least this many answers update `msPerRequest` (fewer: too noisy, idle time dominates). */
  minAnswers: number;
  /** How long a refusal at arrival keeps `shedding` true (ms). */
  shedMemoryMs: number;
}

const DEFAULTS: EventLoopMonitorOptions = { tickMs: 20, recentTicks: 10, windowMs: 250, minAnswers: 2, shedMemoryMs: 1000 };
/** Cost windows `msPerRequest` is taken from (the most recent ones with answers and no refusal). */
const COST_SAMPLES = 16;
/**
 * Main-thread work that is not per request (start-up, the first requests' compilation, metrics scrapes, GC) only
 * ever adds to a window's busy time, so a low quantile of the per-window cost is the cost of a request and the
 * mean is not (measured on the demo family: 127, 33, 7, 9 ms in the first four windows after start-up).
 */
const COST_QUANTILE = 0.25;

/**
 * Watches the main thread, where HTTP parsing, routing and post-processing run: how late a periodic timer
 * fires (event-loop lag) and how much busy time each finished request costs. The load shedder reads it at
 * every arrival, so it costs O(1) per read. The timer is unref'd: it never keeps the process alive.
 */
export class EventLoopMonitor {
  readonly options: EventLoopMonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #dueMs = 0;
  #lastLagMs = 0;
  #windowStartMs = 0;
  #windowElu: EventLoopUtilization | undefined;
  #tickElu: EventLoopUtilization | undefined;
  /** Busy and total ms of the last `recentTicks` probe periods (ring). */
  #recent: Array<{ active: number; idle: number }> = [];
  #answeredInWindow = 0;
  #shedInWindow = 0;
  /** Busy ms per answer of the last COST_SAMPLES qualifying windows. */
  readonly #costSamples = new SlidingQuantile(COST_SAMPLES, COST_QUANTILE);
  #msPerRequest = 0;
  #lastShedMs = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<EventLoopMonitorOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Starts the probe (idempotent). */
  start(): void {
    if (this.#timer !== undefined) return;
    const now = performance.now();
    this.#dueMs = now + this.options.tickMs;
    this.#windowStartMs = now;
    this.#windowElu = performance.eventLoopUtilization();
    this.#tickElu = this.#windowElu;
    this.#timer = setInterval(() => this.#tick(), this.options.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One HTTP request was answered (any route), other than one shed at arrival. */
  requestAnswered(): void {
    this.#answeredInWindow++;
  }

  /** One request was refused at arrival (shed, or refused by the scheduler before its body was read). */
  requestShed(nowMs: number = performance.now()): void {
    this.#lastShedMs = nowMs;
    this.#shedInWindow++;
  }

  snapshot(nowMs: number = performance.now()): EventLoopSnapshot {
    // A tick that is overdue right now is lag the last tick could not see yet.
    const overdue = this.#timer === undefined ? 0 : Math.max(0, nowMs - this.#dueMs);
    let active = 0;
    let total = 0;
    for (const r of this.#recent) {
      active += r.active;
      total += r.active + r.idle;
    }
    // Time overdue now was busy (the loop did not get back to the timer), which the ring cannot know yet.
    const utilization = total + overdue === 0 ? 0 : (active + overdue) / (total + overdue);
    const shedding = nowMs - this.#lastShedMs <= this.options.shedMemoryMs;
    return { lagMs: Math.max(this.#lastLagMs, overdue), utilization, msPerRequest: this.#msPerRequest, shedding };
  }

  #tick(): void {
    const now = performance.now();
    this.#lastLagMs = Math.max(0, now - this.#dueMs);
    this.#dueMs = now + this.options.tickMs;
    const tick = performance.eventLoopUtilization(this.#tickElu);
    this.#tickElu = performance.eventLoopUtilization();
    this.#recent.push({ active: tick.active, idle: tick.idle });
    if (this.#recent.length > this.options.recentTicks) this.#recent.shift();
    if (now - this.#windowStartMs < this.options.windowMs) return;
    const window = performance.eventLoopUtilization(this.#windowElu);
    this.#windowElu = this.#tickElu;
    if (this.#answeredInWindow >= this.options.minAnswers && this.#shedInWindow === 0) {
      this.#costSamples.push(window.active / this.#answeredInWindow);
      this.#msPerRequest = this.#costSamples.value;
    }
    this.#answeredInWindow = 0;
    this.#shedInWindow = 0;
    this.#windowStartMs = now;
  }
}
