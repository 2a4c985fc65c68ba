import type { ResolvedEngineOptions } from './engine-options.js';
import type { EngineMetadata } from './engine-types.js';
import { completeProfile, type LatencyEntry } from './latency-profile.js';
import { ProfileCache, type ProfileIdentity, machineIdentity } from './profile-cache.js';
import { profileKey, profilePlan, type ProfileShape } from './profile-plan.js';
import { measureShapes, type ShapeRunner, warmShapes } from './profiler.js';
import type { EngineLogger } from './worker-host.js';

/** Weight of a new online observation in the moving average of a profile entry. */
const ONLINE_WEIGHT = 0.1;

/**
 * The engine's latency profile: which shapes to warm up, measuring them or reading them from the on-disk cache,
 * interpolating the rest, and refreshing measured entries online from real batches (exponential moving average).
 */
export class ProfileStore {
  private readonly plan: { shapes: ProfileShape[]; complete: boolean };
  private readonly identity: ProfileIdentity;
  private readonly cache: ProfileCache | null;
  private measured = new Map<string, number>();
  private table = new Map<string, LatencyEntry>();

  constructor(
    private readonly opts: ResolvedEngineOptions,
    private readonly meta: EngineMetadata,
    bundleSha256: string,
    ortVersion: string,
  ) {
    const served = meta.stitches.filter((s) => meta.servedStitchIds.includes(s.id));
    this.plan = profilePlan({
      tasks: meta.tasks,
      stitches: served,
      batchSizes: meta.batchSizes,
      maxShapes: opts.warmup.maxShapes,
      sampleStitches: opts.warmup.sampleStitches,
    });
    this.identity = {
      ...machineIdentity(),
      ortVersion,
      bundleSha256,
      device: meta.device,
      sessionOptions: opts.session,
      plan: { shapes: this.plan.shapes.map((s) => profileKey(s.task, s.stitchId, s.batch)), runs: opts.warmup.runs },
    };
    this.cache = opts.profileCacheDir === null ? null : new ProfileCache(opts.profileCacheDir);
  }

  /** The planned shapes (all, or the representative subset) and whether they cover every shape. */
  get shapes(): { shapes: readonly ProfileShape[]; complete: boolean } {
    return this.plan;
  }

  /**
   * Before ready: with a cached profile, runs each planned shape once; otherwise measures each planned shape
   * and writes the cache. With warm-up disabled it only reads the cache.
   */
  async warmUp(runShape: ShapeRunner, logger: EngineLogger): Promise<void> {
    const started = Date.now();
    const cached = this.measured.size > 0 ? this.measured : await this.cache?.read(this.identity);
    if (!this.opts.warmup.enabled) {
      this.setMeasured(cached ?? new Map());
      return;
    }
    if (cached) {
      await warmShapes(this.plan.shapes, runShape);
      this.setMeasured(cached);
      logger.info(`engine: warmed ${this.plan.shapes.length} shapes in ${Date.now() - started} ms (profile from cache)`);
      return;
    }
    this.setMeasured(await measureShapes(this.plan.shapes, runShape, this.opts.warmup.runs));
    const kind = this.plan.complete ? 'every shape' : 'a representative subset, rest interpolated';
    logger.info(`engine: profiled ${this.plan.shapes.length} shapes (${kind}) in ${Date.now() - started} ms`);
    await this.save().catch((err: Error) => logger.warn(`profile cache not written: ${err.message}`));
  }

  /** Folds one real batch's compute time into its profile entry (served stitches and profiled sizes only). */
  observe(task: string, stitchId: number, batch: number, computeMs: number): void {
    const key = profileKey(task, stitchId, batch);
    const entry = this.table.get(key);
    if (entry === undefined) return;
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

  private setMeasured(measured: ReadonlyMap<string, number>): void {
    this.measured = new Map(measured);
    const served = this.meta.stitches.filter((s) => this.meta.servedStitchIds.includes(s.id));
    this.table = completeProfile(this.measured, this.meta.tasks.map((t) => t.name), served, this.meta.batchSizes);
  }
}
