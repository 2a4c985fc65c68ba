/**
 * Arrival rate estimate (requests per ms) as an exponentially decaying count: each arrival adds 1/τ and the
 * sum decays with time constant τ, so a steady rate λ converges to λ and a burst fades after a few τ.
 */
export class ArrivalRate {
  private value = 0;
  private lastMs: number | undefined;

  constructor(private readonly tauMs = 5000) {
    if (!(tauMs > 0)) throw new Error('ArrivalRate: tauMs must be positive');
  }

  arrive(nowMs: number): void {
    this.value = this.perMs(nowMs) + 1 / this.tauMs;
    this.lastMs = nowMs;
  }

  /** The estimate at `nowMs` (requests per ms). */
  perMs(nowMs: number): number {
    if (this.lastMs === undefined) return 0;
    return this.value * Math.exp(-Math.max(0, nowMs - this.lastMs) / this.tauMs);
  }
}
