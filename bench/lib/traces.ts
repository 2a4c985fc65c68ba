import { generateArrivals, type ArrivalSpec } from '../../src/simulator/arrivals.js';
import { Rng } from '../../src/simulator/prng.js';

/** The open-loop arrival processes of the live benchmark. */
export type ArrivalKind = 'poisson' | 'gamma-cv2-8' | 'onoff';

/** One load scenario: an arrival process at a multiple of the large anchor's capacity. */
export interface Scenario {
  kind: ArrivalKind;
  /** Mean rate ÷ the large anchor's capacity at the maximum batch. */
  load: number;
}

/** A precomputed trace: arrival times (ms from the start, ascending) and what produced them. */
export interface Trace extends Scenario {
  name: string;
  ratePerS: number;
  /** True when the rate was lowered to the generator's limit (`maxRatePerS`). */
  clipped: boolean;
  seed: number;
  spec: ArrivalSpec;
  timesMs: number[];
}

/** Every scenario at every load: the full matrix. */
export function fullScenarios(loads: readonly number[]): Scenario[] {
  return (['poisson', 'gamma-cv2-8', 'onoff'] as const).flatMap((kind) => loads.map((load) => ({ kind, load })));
}

/**
 * The default matrix, sized for a ~10 min run on a real-size family: Poisson at every load (the sweep),
 * plus the two bursty processes at 2× (bursts far above capacity, with lulls to recover in).
 */
export function defaultScenarios(loads: readonly number[]): Scenario[] {
  return [
    ...loads.map((load) => ({ kind: 'poisson' as const, load })),
    ...(loads.includes(2) ? [{ kind: 'gamma-cv2-8' as const, load: 2 }, { kind: 'onoff' as const, load: 2 }] : []),
  ];
}

/** On/off bursts: Poisson at 2× the mean rate for `periodMs/2`, then silence, repeating. */
function specFor(kind: ArrivalKind, ratePerS: number, periodMs: number): ArrivalSpec {
  switch (kind) {
    case 'poisson':
      return { kind: 'poisson', ratePerS };
    case 'gamma-cv2-8':
      return { kind: 'gamma', ratePerS, cv2: 8 };
    case 'onoff':
      return { kind: 'onoff', onRatePerS: 2 * ratePerS, offRatePerS: 0, onMs: periodMs / 2, offMs: periodMs / 2 };
  }
}

/** Stable small seed per scenario, so every policy replays the very same arrivals. */
function seedOf(s: Scenario, base: number): number {
  const kindIndex = ['poisson', 'gamma-cv2-8', 'onoff'].indexOf(s.kind);
  return base * 1000 + kindIndex * 100 + Math.round(s.load * 10);
}

/**
 * Draws a trace with H4's seeded generators: the arrivals of `durationS` seconds at the scenario's rate, at
 * most `maxRequests` (the trace is cut at whichever bound comes first), the rate clipped to `maxRatePerS`.
 */
export function makeTrace(
  s: Scenario,
  capacityPerS: number,
  bounds: { durationS: number; maxRequests: number; maxRatePerS: number; burstPeriodMs: number; seed: number },
): Trace {
  const wanted = s.load * capacityPerS;
  const ratePerS = Math.min(wanted, bounds.maxRatePerS);
  const seed = seedOf(s, bounds.seed);
  const spec = specFor(s.kind, ratePerS, bounds.burstPeriodMs);
  // Draw generously (bursty processes vary a lot around the mean), then cut at the time bound.
  const expected = Math.ceil(ratePerS * bounds.durationS);
  const drawn = generateArrivals(spec, Math.max(1, Math.min(bounds.maxRequests, 3 * expected + 10)), new Rng(seed));
  const horizon = bounds.durationS * 1000;
  const timesMs = [...drawn].filter((t) => t <= horizon).slice(0, bounds.maxRequests);
  return { ...s, name: `${s.kind} ${s.load}x`, ratePerS, clipped: ratePerS < wanted, seed, spec, timesMs };
}
