/**
 * Recent traffic of one task. Rate (requests per ms) as an exponentially decaying count: each arrival adds
 * 1/τ and the sum decays with time constant τ, so a steady rate λ converges to λ and a burst fades after a
 * few τ. Budget: exponentially weighted mean of the latency budgets (deadline − arrival) seen. Burst size:
 * how many requests tend to arrive within one budget of each other, from the last `BURST_HISTORY` arrivals.
 */
export class ArrivalRate {
  private value = 0;
  private lastMs: number | undefined;
  private budget: number | undefined;
  /** Arrival times of the last BURST_HISTORY requests (ring, oldest at `next` once full). */
  private readonly times: number[] = [];
  private next = 0;
  /** Arrivals so far, and the last burst estimate with what it was computed from (see burstCount). */
  private arrivals = 0;
  private burstMemo: { arrivals: number; windowMs: number; expired: number; value: number } | undefined;

  constructor(private readonly tauMs = 5000) {
    if (!(tauMs > 0)) throw new Error('ArrivalRate: tauMs must be positive');
  }

  arrive(nowMs: number, budgetMs: number): void {
    this.value = this.perMs(nowMs) + 1 / this.tauMs;
    this.lastMs = nowMs;
    this.arrivals++;
    if (budgetMs > 0 && Number.isFinite(budgetMs)) this.budget = this.budget === undefined ? budgetMs : 0.95 * this.budget + 0.05 * budgetMs;
    if (this.times.length < BURST_HISTORY) this.times.push(nowMs);
    else {
      this.times[this.next] = nowMs;
      this.next = (this.next + 1) % BURST_HISTORY;
    }
  }

  /** Typical latency budget (ms) of recent requests; undefined before any. */
  get budgetMs(): number | undefined {
    return this.budget;
  }

  /** The estimate at `nowMs` (requests per ms). */
  perMs(nowMs: number): number {
    if (this.lastMs === undefined) return 0;
    return this.value * Math.exp(-Math.max(0, nowMs - this.lastMs) / this.tauMs);
  }

  /**
   * The `BURST_QUANTILE` of, over the recorded arrivals of the last `BURST_HORIZON_WINDOWS` windows, how many
   * arrived within `windowMs` up to and including each one: the size of burst a request should expect to be
   * part of. Steady (Poisson) traffic gives about λ·window plus a few; bursty traffic (Gamma CV² 8, on/off) gives
   * the size of its clumps, which the mean rate hides. The horizon lets a quiet server forget an old burst
   * (else one burst would be expected again until 64 more requests came). 0 when nothing arrived recently.
   */
  burstCount(windowMs: number, nowMs: number): number {
    if (!(windowMs > 0)) return 0;
    const since = nowMs - BURST_HORIZON_WINDOWS * windowMs;
    // Arrivals are recorded in time order: chronological k is ring slot (next + k) mod length, and the ones
    // past the horizon are a prefix. The estimate depends only on which arrivals are recent and on the window,
    // so it is recomputed only when those change: every scheduler snapshot (each admission check) reads it.
    const length = this.times.length;
    let expired = 0;
    while (expired < length && this.times[(this.next + expired) % length]! < since) expired++;
    const memo = this.burstMemo;
    if (memo !== undefined && memo.arrivals === this.arrivals && memo.windowMs === windowMs && memo.expired === expired) return memo.value;
    const n = length - expired;
    let value = 0;
    if (n > 0) {
      const recent = (k: number) => this.times[(this.next + expired + k) % length]!;
      const counts: number[] = [];
      for (let i = 0, j = 0; i < n; i++) {
        while (recent(i) - recent(j) >= windowMs) j++;
        counts.push(i - j + 1);
      }
      counts.sort((a, b) => a - b);
      value = counts[Math.min(n - 1, Math.floor(BURST_QUANTILE * n))]!;
    }
    this.burstMemo = { arrivals: this.arrivals, windowMs, expired, value };
    return value;
  }
}

/** Arrivals the burst estimate remembers (per task). */
export const BURST_HISTORY = 64;
/** Quantile of the per-arrival window counts taken as the burst size. */
export const BURST_QUANTILE = 0.9;
/** How far back (in burst windows, i.e. typical budgets) arrivals count towards the burst estimate. */
export const BURST_HORIZON_WINDOWS = 20;
