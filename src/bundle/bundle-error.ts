import { ServiceError } from '../errors.js';

/**
 * A bundle that must not be served. `problems` lists every violation found (each names the file or manifest
 * field); `message` joins them so a start-up log line shows all of them at once.
 */
export class BundleError extends ServiceError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    const message =
      problems.length === 1
        ? `invalid bundle: ${problems[0]}`
        : `invalid bundle (${problems.length} problems):\n  - ${problems.join('\n  - ')}`;
    super('BUNDLE_INVALID', message, options);
    this.name = 'BundleError';
    this.problems = Object.freeze([...problems]);
  }
}

/** Throws a BundleError when `problems` is not empty. */
export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new BundleError(problems);
}
