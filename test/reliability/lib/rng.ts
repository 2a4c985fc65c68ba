import { Rng } from '../../../src/simulator/prng.js';

/**
 * The simulator's seeded PRNG with the draws a fuzzer needs. Every fuzz case gets its own generator, seeded
 * from (run seed, case index), so any single case can be regenerated alone from the two numbers a failure prints.
 */
export class FuzzRng extends Rng {
  /** Integer uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty array');
    return items[Math.floor(this.uniform() * items.length)]!;
  }

  /** One key of `weights`, drawn with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.uniform() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = (this.uniform() * 256) | 0;
    return out;
  }
}

/** The generator of case `index` in run `seed` (splitmix-style mixing so neighbouring cases are unrelated). */
export function caseRng(seed: number, index: number): FuzzRng {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  return new FuzzRng((z ^ (z >>> 12)) >>> 0);
}
