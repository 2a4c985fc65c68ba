import type { ErrorCode } from '../../../src/errors.js';
import type { Shot } from './http-client.js';

/** What the fuzz target serves and refuses: the generator sizes its abuse from these. */
export interface FuzzContext {
  /** KServe model name (the bundle name unless configured). */
  modelName: string;
  tasks: readonly string[];
  /** Largest valid stitch id (ids are not contiguous: some are excluded). */
  maxStitchId: number;
  limits: { bodyBytes: number; fieldBytes: number; parts: number; pixels: number };
}

/** The families of malformed requests. */
export type CaseFamily =
  | 'mutated-image'
  | 'claimed-bomb'
  | 'real-bomb'
  | 'content-type'
  | 'multipart'
  | 'params'
  | 'kserve'
  | 'http'
  | 'oversized'
  | 'slow';

/** What a correct server may answer. Every error must be a registry code with its registry status. */
export interface Expectation {
  /** A 200 is acceptable (the mutation still decodes, the parameters happen to be valid). */
  ok200: boolean;
  /** When set, the only error codes accepted. */
  codes?: readonly ErrorCode[];
  /**
   * The request asked for a valid but tight latency budget (< 1 s): a 504 DEADLINE_EXCEEDED is then a
   * documented answer on a loaded machine, not a fault. Counted separately in the report.
   */
  tightBudget?: boolean;
}

/** One generated request; regenerate it with `fuzzCase(ctx, seed, index)`. */
export interface FuzzCase {
  seed: number;
  index: number;
  family: CaseFamily;
  /** What was done, for failure reports (never the whole body). */
  label: string;
  shot: Shot;
  expect: Expectation;
}

/** What a family generator returns; the dispatcher adds seed, index and family. */
export type Generated = Omit<FuzzCase, 'seed' | 'index' | 'family'>;

/** Any 200 or documented 4xx. */
export const ANY: Expectation = { ok200: true };
