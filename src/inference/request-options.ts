import type { DeadlineBoundsConfig } from '../config/index.js';
import { checkConstraints, parseQualityHint } from '../controller/hints.js';
import type { QualityHint, StitchConstraints } from '../controller/types.js';
import { ServiceError } from '../errors.js';

/** The request options shared by every task endpoint, as they arrive (strings from headers, numbers from queries). */
export interface RawRequestOptions {
  /** `X-Latency-Budget-Ms` header. */
  budgetHeader?: string | undefined;
  /** `sla_ms` query parameter (used when the header is absent). */
  slaMs?: number | undefined;
  quality?: string | undefined;
  stitch?: number | undefined;
  minAccuracy?: number | undefined;
  maxGflops?: number | undefined;
}

/** Validated request options. */
export interface RequestOptions {
  /** Latency budget (ms after arrival). */
  budgetMs: number;
  /** Absent: the configured default quality applies. */
  hint: QualityHint | undefined;
  constraints: StitchConstraints;
}

function parseBudget(raw: RawRequestOptions, bounds: DeadlineBoundsConfig): number {
  let budget: number;
  let source: string;
  if (raw.budgetHeader !== undefined) {
    source = 'X-Latency-Budget-Ms';
    budget = raw.budgetHeader.trim() === '' ? Number.NaN : Number(raw.budgetHeader);
  } else if (raw.slaMs !== undefined) {
    source = 'sla_ms';
    budget = raw.slaMs;
  } else {
    return bounds.defaultMs;
  }
  if (!Number.isFinite(budget) || budget < bounds.minMs || budget > bounds.maxMs) {
    throw new ServiceError(
      'INVALID_PARAMETER',
      `${source} must be a number of milliseconds in [${bounds.minMs}, ${bounds.maxMs}]; got '${raw.budgetHeader ?? raw.slaMs}'.`,
    );
  }
  return budget;
}

/**
 * Validates the deadline (header beats query; default and bounds per task from config), the quality hint and
 * the expert constraints. Throws INVALID_PARAMETER with a message that says what is accepted.
 */
export function parseRequestOptions(raw: RawRequestOptions, bounds: DeadlineBoundsConfig): RequestOptions {
  const constraints: StitchConstraints = {};
  if (raw.stitch !== undefined) constraints.stitch = raw.stitch;
  if (raw.minAccuracy !== undefined) constraints.minAccuracy = raw.minAccuracy;
  if (raw.maxGflops !== undefined) constraints.maxGflops = raw.maxGflops;
  return {
    budgetMs: parseBudget(raw, bounds),
    hint: raw.quality === undefined ? undefined : parseQualityHint(raw.quality),
    constraints: checkConstraints(constraints),
  };
}
