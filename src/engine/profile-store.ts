import type { StitchSpec } from '../bundle/manifest.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import type { EngineMetadata } from './engine-types.js';
import { completeProfile, type LatencyEntry } from './latency-profile.js';
import { ProfileCache, type ProfileIdentity, machineIdentity } from './profile-cache.js';
import {
  costModel,
  parseProfileKey,
  probeShape,
  profileKey,
  profilePlan,
  type ProfileShape,
  unmeasuredBatchShapes,
} from './profile-plan.js';
import { measureShapes, type ShapeRunner, warmShapes } from './profiler.js';
import type { EngineLogger } from './worker-host.js';

/** Weight of a new online observation in the moving average of a profile entry. */
const ONLINE_WEIGHT = 0.1;

/**
 * The engine's latency profile: planning which shapes to measure within the warm-up budget, measuring them or
 * reading them from the on-disk cache, interpolating the rest, and refreshing measured entries online from
 * real batches (exponential moving average).
 */
export class ProfileStore {
  private readonly identity: ProfileIdentity;
  private readonly cache: ProfileCache | null;
  private readonly served: readonly Readonly<StitchSpec>[];
  private measured = new Map<string, number>();
  private table = new Map<string, LatencyEntry>();

  constructor(
    private readonly opts: ResolvedEngineOptions,
    private readonly meta: EngineMetadata,
    bundleSha256: string,
    ortVersion: string,
  ) {
    this.served = meta.stitches.filter((s) => meta.servedStitchIds.includes(s.id));
    const { runs, maxShapes, sampleStitches, budgetMs } = opts.warmup;
    this.identity = {
      ...machineIdentity(),
      ortVersion,
      bundleSha256,
      device: meta.device,
      sessionOptions: opts.session,
      plan: { tasks: meta.tasks.map((t) => t.name), served: meta.servedStitchIds, batchSizes: meta.batchSizes, runs, maxShapes, sampleStitches, budgetMs },
    };
    this.cache = opts.profileCacheDir === null ? null : new ProfileCache(opts.profileCacheDir);
  }

  /**
   * Before ready. With a profile in memory (a restart) or in the cache: runs each measured shape once, untimed.
   * Otherwise: times the dearest shape first, plans within `warmup.budgetMs` from it (profilePlan), measures the
   * plan and writes the cache. With warm-up disabled it only reads the cache.
   */
  async warmUp(runShape: ShapeRunner, logger: EngineLogger): Promise<void> {
    const started = Date.now();
    const source = this.measured.size > 0 ? 'memory' : 'cache';
    const known = this.measured.size > 0 ? this.measured : await this.cache?.read(this.identity);
    if (!this.opts.warmup.enabled) return this.setMeasured(known ?? new Map());
    if (known) {
      const shapes = [...known.keys()].map(parseProfileKey).filter((s): s is ProfileShape => s !== null);
      shapes.push(...this.unmeasuredBatches(known));
      await warmShapes(shapes, runShape);
      this.setMeasured(known);
      logger.info(`engine: warmed ${shapes.length} shapes in ${Date.now() - started} ms (profile from ${source})`);
      return;
    }
    const { runs, maxShapes, sampleStitches, budgetMs } = this.opts.warmup;
    const base = { tasks: this.meta.tasks, stitches: this.served, batchSizes: this.meta.batchSizes };
    const probe = probeShape(base);
    const measured = await measureShapes([probe], runShape, runs);
    const probeMs = measured.get(profileKey(probe.task, probe.stitchId, probe.batch))!;
    const estimateMs = costModel(this.served, probe, probeMs);
    const plan = profilePlan({ ...base, maxShapes, sampleStitches, budgetMs, runsPerShape: runs + 1, estimateMs });
    const rest = plan.shapes.filter((s) => !(s.task === probe.task && s.stitchId === probe.stitchId && s.batch === probe.batch));
    for (const [key, ms] of await measureShapes(rest, runShape, runs)) measured.set(key, ms);
    await warmShapes(this.unmeasuredBatches(measured), runShape);
    this.setMeasured(measured);
    const kind = plan.complete ? 'every shape' : 'a representative subset, the rest interpolated';
    logger.info(`engine: profiled ${measured.size} shapes (${kind}) in ${Date.now() - started} ms`);
    await this.save().catch((err: Error) => logger.warn(`profile cache not written: ${err.message}`));
  }

  /** Folds one real batch's compute time into its profile entry (served stitches and profiled sizes only). */
  observe(task: string, stitchId: number, batch: number, computeMs: number): void {
    const key = profileKey(task, stitchId, batch);
    if (!this.table.has(key)) return;
    const previous = this.measured.get(key);
    const ms = previous === undefined ? computeMs : previous + ONLINE_WEIGHT * (computeMs - previous);
    this.measured.set(key, ms);
    this.table.set(key, { ms, source: 'measured' });
  }

  entries(): ReadonlyMap<string, LatencyEntry> {
    return this.table;
  }

  /** Writes the measured entries to the cache (no-op when the cache is disabled or nothing was measured). */
  async save(): Promise<void> {
    if (this.cache !== null && this.measured.size > 0) await this.cache.write(this.identity, this.measured);
  }

  private unmeasuredBatches(measured: ReadonlyMap<string, number>): ProfileShape[] {
    return unmeasuredBatchShapes(measured.keys(), this.meta.tasks.map((t) => t.name), this.served, this.meta.batchSizes);
  }

  private setMeasured(measured: ReadonlyMap<string, number>): void {
    this.measured = new Map(measured);
    this.table = completeProfile(this.measured, this.meta.tasks.map((t) => t.name), this.served, this.meta.batchSizes);
  }
}
