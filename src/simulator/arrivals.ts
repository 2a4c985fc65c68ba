import type { Rng } from './prng.js';

/** Open-loop arrival processes; rates in requests per second, durations in ms. */
export type ArrivalSpec =
  | { kind: 'poisson'; ratePerS: number }
  /** Renewal process with Gamma inter-arrival times of squared coefficient of variation `cv2` (1 = Poisson). */
  | { kind: 'gamma'; ratePerS: number; cv2: number }
  /** Alternating Poisson phases: `onRatePerS` for `onMs`, then `offRatePerS` for `offMs`. */
  | { kind: 'onoff'; onRatePerS: number; offRatePerS: number; onMs: number; offMs: number }
  /** Poisson whose rate moves linearly from `fromPerS` to `toPerS` over `durationMs`, then stays. */
  | { kind: 'ramp'; fromPerS: number; toPerS: number; durationMs: number }
  /** Replays given arrival times (ms, any order; sorted here), cycling them if more requests are asked for. */
  | { kind: 'replay'; timesMs: readonly number[] };

/** `count` arrival times (ms from 0, ascending) drawn from `spec` with `rng`. */
export function generateArrivals(spec: ArrivalSpec, count: number, rng: Rng): Float64Array {
  if (!(Number.isInteger(count) && count >= 0)) throw new Error('arrivals: count must be a non-negative integer');
  const out = new Float64Array(count);
  let t = 0;
  switch (spec.kind) {
    case 'poisson':
    case 'gamma': {
      const meanMs = 1000 / positive(spec.ratePerS, 'ratePerS');
      const cv2 = spec.kind === 'gamma' ? positive(spec.cv2, 'cv2') : 1;
      // Gamma with shape k = 1/cv2 and scale mean·cv2 has the wanted mean and CV².
      for (let i = 0; i < count; i++) out[i] = t += cv2 === 1 ? rng.exponential(meanMs) : rng.gamma(1 / cv2, meanMs * cv2);
      return out;
    }
    case 'onoff': {
      const period = positive(spec.onMs, 'onMs') + positive(spec.offMs, 'offMs');
      const rateAt = (now: number): number => (now % period < spec.onMs ? spec.onRatePerS : spec.offRatePerS);
      return thinnedPoisson(out, rng, rateAt, Math.max(spec.onRatePerS, spec.offRatePerS));
    }
    case 'ramp': {
      const duration = positive(spec.durationMs, 'durationMs');
      const rateAt = (now: number): number => spec.fromPerS + (spec.toPerS - spec.fromPerS) * Math.min(1, now / duration);
      return thinnedPoisson(out, rng, rateAt, Math.max(spec.fromPerS, spec.toPerS));
    }
    case 'replay': {
      const times = [...spec.timesMs].sort((a, b) => a - b);
      if (times.length === 0 || times.some((x) => !Number.isFinite(x))) throw new Error('arrivals: replay needs finite times');
      const span = times[times.length - 1]! - times[0]! + (times.length > 1 ? (times[times.length - 1]! - times[0]!) / (times.length - 1) : 1);
      for (let i = 0; i < count; i++) out[i] = times[i % times.length]! - times[0]! + Math.floor(i / times.length) * span;
      return out;
    }
  }
}

/** Non-homogeneous Poisson by thinning: candidates at `maxRatePerS`, kept with probability rate(t)/max. */
function thinnedPoisson(out: Float64Array, rng: Rng, rateAt: (nowMs: number) => number, maxRatePerS: number): Float64Array {
  const max = positive(maxRatePerS, 'the peak rate');
  let t = 0;
  for (let i = 0; i < out.length; ) {
    t += rng.exponential(1000 / max);
    if (rng.uniform() * max < rateAt(t)) out[i++] = t;
  }
  return out;
}

function positive(value: number, name: string): number {
  if (!(value > 0 && Number.isFinite(value))) throw new Error(`arrivals: ${name} must be a positive number`);
  return value;
}
