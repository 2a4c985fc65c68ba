/**
 * Recent traffic of one task. Rate (requests per ms) as an exponentially decaying count: each arrival adds
 * 1/τ and the sum decays with time constant τ, so a steady rate λ converges to λ and a burst fades after a
 * few τ. Budget: exponentially weighted mean of the latency budgets (deadline − arrival) seen.
 */
export class ArrivalRate {
  private value = 0;
  private lastMs: number | undefined;
  private budget: number | undefined;

  constructor(private readonly tauMs = 5000) {
    if (!(tauMs > 0)) throw new Error('ArrivalRate: tauMs must be positive');
  }

  arrive(nowMs: number, budgetMs: number): void {
    this.value = this.perMs(nowMs) + 1 / this.tauMs;
    this.lastMs = nowMs;
    if (budgetMs > 0 && Number.isFinite(budgetMs)) this.budget = this.budget === undefined ? budgetMs : 0.95 * this.budget + 0.05 * budgetMs;
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
}
