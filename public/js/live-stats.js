// Polls GET /demo/stats (the scheduler's counters, the same numbers /metrics exports) and derives windowed
// series for one task: queue depth, in flight, deadline attainment and the quality of the stitches served.
import { getJson } from './api.js';

/** Samples kept (at the fast rate, about 30 s). */
const HISTORY = 120;

export class LiveStats {
  /**
   * @param {(samples: ReturnType<LiveStats['series']>) => void} onUpdate called after every successful poll
   */
  constructor(onUpdate) {
    this.onUpdate = onUpdate;
    /** @type {{atMs: number, stats: any}[]} oldest first */
    this.history = [];
    this.polls = 0;
    this.fastUntilMs = 0;
    this.timer = undefined;
    this.task = 'classify';
    /** @type {(id: number) => number | undefined} quality of a stitch for the current task (metric or GFLOPs) */
    this.qualityOf = () => undefined;
    document.addEventListener('visibilitychange', () => this.#schedule(0));
  }

  start() {
    this.#schedule(0);
  }

  /** Polls every 250 ms for the next `ms` (a burst and its tail), else every 2 s. */
  fastFor(ms) {
    this.fastUntilMs = Math.max(this.fastUntilMs, performance.now() + ms);
    this.#schedule(0);
  }

  #schedule(delayMs) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#poll(), delayMs);
  }

  async #poll() {
    if (document.visibilityState === 'hidden') return; // resumed by visibilitychange
    try {
      const stats = await getJson('/demo/stats');
      this.polls++;
      this.history.push({ atMs: performance.now(), stats });
      if (this.history.length > HISTORY) this.history.shift();
      this.onUpdate(this.series());
    } catch {
      // Not ready yet or restarting: the next poll tries again.
    }
    this.#schedule(performance.now() < this.fastUntilMs ? 250 : 2000);
  }

  /**
   * Per sample, for `this.task`: queue depth, in flight (all tasks), saturation, and over the trailing
   * `windowMs`: deadline attainment (met ÷ met + missed + rejected) and the mean quality of the stitches served.
   * @param {number} [windowMs]
   */
  series(windowMs = 2000) {
    const task = this.task;
    return this.history.map((sample, i) => {
      const t = sample.stats.tasks[task];
      let j = i;
      while (j > 0 && sample.atMs - this.history[j - 1].atMs <= windowMs) j--;
      const before = j < i ? this.history[j].stats.tasks[task] : undefined;
      return {
        atMs: sample.atMs,
        queueDepth: t?.queueDepth,
        inflight: sample.stats.inflight,
        saturation: sample.stats.saturation,
        attainment: t === undefined || before === undefined ? undefined : attainment(before.outcomes, t.outcomes),
        quality: t === undefined || before === undefined ? undefined : meanQuality(before.selections, t.selections, this.qualityOf),
      };
    });
  }
}

/** met ÷ (met + missed + rejected) between two cumulative outcome counts; undefined when nothing finished. */
export function attainment(before, after) {
  const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
  const total = d('met') + d('missed') + d('rejected');
  return total > 0 ? d('met') / total : undefined;
}

/** Mean quality of the requests served between two cumulative selection counts; undefined when none. */
export function meanQuality(before, after, qualityOf) {
  let n = 0;
  let sum = 0;
  for (const [id, count] of Object.entries(after)) {
    const served = count - (before[id] ?? 0);
    const q = qualityOf(Number(id));
    if (served > 0 && q !== undefined) {
      n += served;
      sum += served * q;
    }
  }
  return n > 0 ? sum / n : undefined;
}
