import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './server-process.js';

/** Where benchmarks keep generated inputs and caches (git-ignored). */
export const BENCH_OUT = path.join(REPO, 'bench', 'out');

/** Bundles the benchmarks know by name. */
export const BUNDLES = {
  demo: path.join(REPO, 'models', 'fmnist-s-l'),
  tiny: path.join(REPO, 'test', 'fixtures', 'tiny-v2'),
  real: path.join(REPO, 'models', 'build', 'deit3-s-l'),
} as const;

/** The demo bundle when it has been built (H7 trains it), else the tiny fixture; with the reason. */
export function demoOrTiny(): { dir: string; label: string; note: string } {
  if (existsSync(path.join(BUNDLES.demo, 'manifest.json'))) return { dir: BUNDLES.demo, label: 'fmnist-s-l (demo)', note: '' };
  return { dir: BUNDLES.tiny, label: 'tiny-v2 (fixture)', note: 'models/fmnist-s-l not built yet: the tiny-v2 test fixture stands in for the demo bundle' };
}

/** Resolves a --bundle argument: a known name (demo, tiny, real) or a directory. */
export function resolveBundle(arg: string): string {
  const known = (BUNDLES as Record<string, string>)[arg];
  if (known !== undefined) return arg === 'demo' ? demoOrTiny().dir : known;
  return path.resolve(arg);
}

export interface BenchServerSettings {
  bundle: string;
  policy?: string;
  maxBatch?: number;
  threads?: number;
  queueBound?: number;
  warmup?: boolean;
  /** null disables the profile cache; default: bench/out/profile-cache (shared by the benchmarks). */
  profileCacheDir?: string | null;
  logLevel?: string;
  /** Deadline bounds for every task (ms). */
  maxDeadlineMs?: number;
}

/**
 * A partial server config for a benchmark: the bundle under its own parent as model root, no docs, the
 * benchmark's policy/batch/queue settings; everything else is the server's default (logging at info, as
 * shipped, unless `logLevel` says otherwise).
 */
export function benchConfig(s: BenchServerSettings): Record<string, unknown> {
  const deadline = { defaultMs: 1000, minMs: 1, maxMs: s.maxDeadlineMs ?? 600_000 };
  return {
    server: { docs: false, shutdownGraceMs: 60_000 },
    engine: {
      bundle: s.bundle,
      modelRoot: path.dirname(s.bundle),
      threads: s.threads ?? 2,
      maxBatch: s.maxBatch ?? 8,
      profileCacheDir: s.profileCacheDir === undefined ? path.join(BENCH_OUT, 'profile-cache') : s.profileCacheDir,
      warmup: { enabled: s.warmup ?? true },
    },
    controller: {
      policy: s.policy ?? 'slackfit',
      queueBound: s.queueBound ?? 64,
      deadlines: { classify: deadline, segment: deadline, depth: deadline, detect: deadline },
    },
    logging: { level: s.logLevel ?? 'info' },
  };
}
