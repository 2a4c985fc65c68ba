import { ServiceError } from '../errors.js';
import { taskCatalog, type StitchCatalog, type StitchPoint } from './catalog.js';
import { paretoFrontier, preferredIndex, type FrontierPoint } from './frontier.js';
import { eligibilityKey, hintQuantile } from './hints.js';
import type { AccuracyLookup, LatencyEstimator, QualityHint, StitchConstraints, TaskName } from './types.js';

/** What one (task, hint, constraints) allows. */
export interface Eligibility {
  readonly task: TaskName;
  /** Every stitch satisfying the hard constraints (hints ignored). */
  readonly candidates: ReadonlySet<number>;
  /**
   * The Pareto frontier of the candidates, cheapest first, cut after the hint's preferred stitch (the last
   * element). Never empty.
   */
  readonly ladder: readonly number[];
  /** The frontier points of `ladder`, same order. */
  readonly ladderPoints: readonly FrontierPoint[];
}

/**
 * Per-task Pareto frontiers and per-(hint, constraints) ladders, ranked by the latency model's prediction at
 * `referenceBatch`. Everything is recomputed lazily when the latency model's `version` changes.
 */
export class FrontierIndex implements AccuracyLookup {
  private builtFor = -1;
  private frontiers = new Map<TaskName, readonly FrontierPoint[]>();
  private ladders = new Map<string, Eligibility>();

  constructor(
    readonly catalog: StitchCatalog,
    private readonly latency: LatencyEstimator,
    private readonly referenceBatch = 1,
  ) {}

  /** The task's frontier over all its stitches, cheapest first; UNSUPPORTED_TASK if absent. */
  frontier(task: TaskName): readonly FrontierPoint[] {
    this.refresh();
    let frontier = this.frontiers.get(task);
    if (frontier === undefined) {
      frontier = this.build(task, taskCatalog(this.catalog, task).stitches.values());
      this.frontiers.set(task, frontier);
    }
    return frontier;
  }

  /**
   * Resolves a request's hint and constraints. Throws UNSUPPORTED_TASK, UNKNOWN_STITCH (a pinned id that is
   * not in the family) or NO_STITCH_MATCHES (constraints exclude every stitch).
   */
  eligibility(task: TaskName, hint: QualityHint, constraints?: StitchConstraints): Eligibility {
    this.refresh();
    const key = `${task}|${eligibilityKey(hint, constraints)}`;
    const cached = this.ladders.get(key);
    if (cached !== undefined) return cached;
    const candidates = this.candidates(task, constraints ?? {});
    const frontier = this.build(task, candidates);
    const ladderPoints = frontier.slice(0, preferredIndex(frontier, hintQuantile(hint)) + 1);
    const result: Eligibility = {
      task,
      candidates: new Set(candidates.map((p) => p.id)),
      ladder: ladderPoints.map((p) => p.id),
      ladderPoints,
    };
    this.ladders.set(key, result);
    return result;
  }

  /** Known accuracy of a stitch for a task (fraction); 0 when unknown, so unknown never counts as correct. */
  accuracy(task: TaskName, stitchId: number): number {
    return this.catalog.get(task)?.stitches.get(stitchId)?.accuracy ?? 0;
  }

  private candidates(task: TaskName, constraints: StitchConstraints): StitchPoint[] {
    const stitches = taskCatalog(this.catalog, task).stitches;
    const { stitch, minAccuracy, maxGflops } = constraints;
    if (stitch !== undefined && !stitches.has(stitch)) {
      throw new ServiceError('UNKNOWN_STITCH', `Stitch ${stitch} does not exist for task '${task}' in this family.`);
    }
    const pool = stitch === undefined ? [...stitches.values()] : [stitches.get(stitch)!];
    const matching = pool.filter(
      (p) =>
        (minAccuracy === undefined || (p.accuracy !== undefined && p.accuracy >= minAccuracy)) &&
        (maxGflops === undefined || p.gflops <= maxGflops),
    );
    if (matching.length === 0) {
      throw new ServiceError('NO_STITCH_MATCHES', `No stitch for task '${task}' satisfies ${describe(constraints)}.`);
    }
    return matching;
  }

  private build(task: TaskName, points: Iterable<StitchPoint>): readonly FrontierPoint[] {
    return Object.freeze(paretoFrontier(points, (id) => this.latency.predict(task, id, this.referenceBatch)));
  }

  private refresh(): void {
    if (this.builtFor === this.latency.version) return;
    this.builtFor = this.latency.version;
    this.frontiers = new Map();
    this.ladders = new Map();
  }
}

function describe(c: StitchConstraints): string {
  const parts = [
    c.stitch !== undefined ? `stitch=${c.stitch}` : '',
    c.minAccuracy !== undefined ? `min_accuracy=${c.minAccuracy}` : '',
    c.maxGflops !== undefined ? `max_gflops=${c.maxGflops}` : '',
  ].filter(Boolean);
  return parts.join(', ');
}
