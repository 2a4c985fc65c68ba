import path from 'node:path';
import type { Manifest } from '../bundle/manifest.js';
import { BundleError } from '../bundle/bundle-error.js';
import type { EngineOptions } from './engine-types.js';
import type { SessionConfig } from './session-options.js';
import type { EngineLogger } from './worker-host.js';

/** EngineOptions with every default applied; frozen. */
export interface ResolvedEngineOptions {
  bundleDir: string;
  modelRoot: string;
  schemaPath: string | undefined;
  session: SessionConfig;
  maxBatch: number;
  batchSizes: number[];
  servedStitches: number[] | null;
  warmup: { enabled: boolean; runs: number; maxShapes: number; sampleStitches: number; budgetMs: number };
  profileCacheDir: string | null;
  restart: { initialDelayMs: number; maxDelayMs: number; stableAfterMs: number };
  logger: EngineLogger;
}

const silentLogger: EngineLogger = { info() {}, warn() {}, error() {} };

/** Applies defaults and checks ranges, reporting every violation at once (RangeError). */
export function resolveEngineOptions(options: EngineOptions): ResolvedEngineOptions {
  const problems: string[] = [];
  const maxBatch = options.maxBatch ?? 8;
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be an integer ≥ 1, got ${value}`);
  };
  positiveInt('maxBatch', maxBatch);
  const batchSizes = [...new Set(options.batchSizes ?? defaultBatchSizes(maxBatch))].sort((a, b) => a - b);
  for (const b of batchSizes) {
    positiveInt('batchSizes[]', b);
    if (b > maxBatch) problems.push(`batchSizes contains ${b} > maxBatch ${maxBatch}`);
  }
  if (batchSizes.length === 0) problems.push('batchSizes is empty');
  const resolved: ResolvedEngineOptions = {
    bundleDir: path.resolve(options.bundleDir),
    modelRoot: path.resolve(options.modelRoot ?? path.dirname(path.resolve(options.bundleDir))),
    schemaPath: options.schemaPath,
    session: {
      device: options.device ?? 'cpu',
      cudaDeviceId: options.cudaDeviceId ?? 0,
      intraOpThreads: options.threads ?? 2,
      memArena: options.memArena ?? true,
      memPattern: options.memPattern ?? true,
      prepacking: options.prepacking ?? true,
    },
    maxBatch,
    batchSizes,
    servedStitches: options.servedStitches ? [...options.servedStitches] : null,
    warmup: {
      enabled: options.warmup?.enabled ?? true,
      runs: options.warmup?.runs ?? 2,
      maxShapes: options.warmup?.maxShapes ?? 512,
      sampleStitches: options.warmup?.sampleStitches ?? 6,
      budgetMs: options.warmup?.budgetMs ?? 60_000,
    },
    profileCacheDir: options.profileCacheDir === undefined ? '.profile-cache' : options.profileCacheDir,
    restart: {
      initialDelayMs: options.restart?.initialDelayMs ?? 200,
      maxDelayMs: options.restart?.maxDelayMs ?? 10_000,
      stableAfterMs: options.restart?.stableAfterMs ?? 60_000,
    },
    logger: options.logger ?? silentLogger,
  };
  if (!['cpu', 'cuda', 'auto'].includes(resolved.session.device)) problems.push(`device must be cpu, cuda or auto, got ${resolved.session.device}`);
  positiveInt('threads', resolved.session.intraOpThreads);
  positiveInt('warmup.runs', resolved.warmup.runs);
  positiveInt('warmup.maxShapes', resolved.warmup.maxShapes);
  if (!(resolved.warmup.budgetMs >= 0)) problems.push(`warmup.budgetMs must be ≥ 0, got ${resolved.warmup.budgetMs}`);
  if (problems.length > 0) throw new RangeError(`invalid engine options:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(resolved);
}

/** 1, 2, 4, … below maxBatch, then maxBatch itself. */
export function defaultBatchSizes(maxBatch: number): number[] {
  const sizes: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) sizes.push(b);
  sizes.push(maxBatch);
  return sizes;
}

/** The served stitch ids: all when not configured; unknown configured ids are a BundleError naming them. */
export function servedStitchIds(manifest: Readonly<Manifest>, configured: readonly number[] | null): number[] {
  const all = manifest.stitches.map((s) => s.id);
  if (configured === null) return all;
  const unknown = configured.filter((id) => !all.includes(id));
  if (unknown.length > 0) {
    throw new BundleError([`servedStitches lists ${unknown.join(', ')}, not stitches of bundle ${manifest.name}`]);
  }
  return all.filter((id) => configured.includes(id));
}
