import { ServiceError } from '../errors.js';
import type { QualityHint, StitchConstraints } from './types.js';

/** Quantile of each named hint on the quality range of the frontier. */
export const NAMED_HINTS = Object.freeze({ fast: 0, balanced: 0.5, accurate: 1 } as const);

/** The quantile q ∈ [0, 1] a hint stands for. */
export function hintQuantile(hint: QualityHint): number {
  return typeof hint === 'number' ? hint : NAMED_HINTS[hint];
}

/**
 * Parses the `quality` parameter (`fast|balanced|accurate` or a number in [0, 1]); throws INVALID_PARAMETER
 * with a message saying what is accepted.
 */
export function parseQualityHint(raw: string): QualityHint {
  const text = raw.trim();
  if (text in NAMED_HINTS) return text as keyof typeof NAMED_HINTS;
  const q = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(q) || q < 0 || q > 1) {
    throw new ServiceError('INVALID_PARAMETER', `quality must be fast, balanced, accurate or a number in [0, 1]; got '${raw}'.`);
  }
  return q;
}

/** Checks a hint given as a value (not a string); throws INVALID_PARAMETER. */
export function checkQualityHint(hint: QualityHint): QualityHint {
  if (typeof hint === 'number' ? !(hint >= 0 && hint <= 1) : !(hint in NAMED_HINTS)) {
    throw new ServiceError('INVALID_PARAMETER', `quality must be fast, balanced, accurate or a number in [0, 1]; got '${String(hint)}'.`);
  }
  return hint;
}

/** Checks expert constraints for well-formed values (not whether a stitch matches); throws INVALID_PARAMETER. */
export function checkConstraints(constraints: StitchConstraints): StitchConstraints {
  const { stitch, minAccuracy, maxGflops } = constraints;
  if (stitch !== undefined && !(Number.isInteger(stitch) && stitch >= 0)) {
    throw new ServiceError('INVALID_PARAMETER', `stitch must be a non-negative integer id; got '${stitch}'.`);
  }
  if (minAccuracy !== undefined && !(minAccuracy >= 0 && minAccuracy <= 1)) {
    throw new ServiceError('INVALID_PARAMETER', `min_accuracy must be a fraction in [0, 1]; got '${minAccuracy}'.`);
  }
  if (maxGflops !== undefined && !(maxGflops > 0 && Number.isFinite(maxGflops))) {
    throw new ServiceError('INVALID_PARAMETER', `max_gflops must be a positive number; got '${maxGflops}'.`);
  }
  return constraints;
}

/** A stable cache key for a (hint, constraints) pair. */
export function eligibilityKey(hint: QualityHint, constraints: StitchConstraints | undefined): string {
  const c = constraints ?? {};
  return `${hintQuantile(hint)}|${c.stitch ?? ''}|${c.minAccuracy ?? ''}|${c.maxGflops ?? ''}`;
}
