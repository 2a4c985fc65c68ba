import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TaskName } from '../../src/bundle/manifest.js';
import { benchConfig } from './bench-config.js';
import { BenchClient } from './http-client.js';
import type { ServerProfile } from './live-sim.js';
import { quantiles } from './results.js';
import { startServer } from './server-process.js';

/** A stitch as GET /v1/stitches reports it. */
export interface StitchRow {
  id: number;
  kind: string;
  gflops: number;
  metric: number | null;
  onFrontier: boolean;
  predictedMs: Record<string, number>;
}

/** What the live benchmark learns from one profiling start of the server, before any policy runs. */
export interface Calibration {
  /** Directory holding the profile cache written by that start; copy it for each policy run. */
  cacheDir: string;
  profile: ServerProfile;
  stitches: StitchRow[];
  frontier: number[];
  largeAnchor: { id: number; batchMs: number; capacityPerS: number };
  /** Median of (end-to-end − engine batch) over sequential requests: decode, HTTP, scheduling. */
  outsideEngineMs: number;
  /** Time to ready of the profiling start (spawn → /readyz 200), ms. */
  readyMs: number;
  /** Whether that start profiled or warmed from a reused cache. */
  warmupKind: string | null;
}

/**
 * Starts the server once with warm-up and profiling into its own cache directory, reads its latency model
 * and frontier over HTTP, measures the time spent outside the engine with a few sequential requests, and
 * stops it. Every policy run then starts from a copy of that cache (warm-up off), so all policies see the
 * same profile, and no run's online refreshes (written back on close) leak into the next.
 */
export async function calibrate(
  settings: { bundle: string; task: TaskName; maxBatch: number; queueBound: number; image: Buffer; reuseProfileFrom: string | null },
  log: (l: string) => void,
): Promise<Calibration> {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-live-profile-'));
  // Seeding from the shared cache skips re-profiling (minutes on a real-size family) when an earlier
  // benchmark already profiled this bundle with the same options (the cache key checks that).
  if (settings.reuseProfileFrom !== null && existsSync(settings.reuseProfileFrom)) await cp(settings.reuseProfileFrom, cacheDir, { recursive: true });
  log(`calibration: starting the server (warm-up on, ${settings.reuseProfileFrom === null ? 'fresh profile' : 'profile cache reused if it matches'}) ...`);
  const server = await startServer({ config: benchConfig({ bundle: settings.bundle, policy: 'slackfit', maxBatch: settings.maxBatch, queueBound: settings.queueBound, profileCacheDir: cacheDir }) });
  const client = new BenchClient(server.url, 8);
  // Snapshot the cache now: on close the server writes it again with the online refreshes of our requests.
  const pristine = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-live-profile-'));
  await cp(cacheDir, pristine, { recursive: true });
  try {
    const { stitches } = await client.getJson<{ stitches: StitchRow[] }>(`/v1/stitches?task=${settings.task}&scope=all`);
    const profile: ServerProfile = {};
    for (const s of stitches) for (const [b, ms] of Object.entries(s.predictedMs)) profile[`${settings.task}:${s.id}:${b}`] = ms;
    const frontier = stitches.filter((s) => s.onFrontier).map((s) => s.id);
    const anchors = stitches.filter((s) => s.kind === 'anchor').sort((a, b) => a.gflops - b.gflops);
    const large = anchors[anchors.length - 1];
    if (large === undefined) throw new Error('the family has no anchor stitch');
    const batchMs = large.predictedMs[String(settings.maxBatch)]!;
    const outside: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await client.post(`/v1/${settings.task}`, settings.image, { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '600000' });
      if (i > 0 && s.status === 200) outside.push(s.latencyMs - (s.timing['inference'] ?? 0));
    }
    log(`calibration: ready in ${(server.times.readyMs / 1000).toFixed(1)} s (${server.times.warmupKind}); large anchor ${large.id} b${settings.maxBatch} ${batchMs.toFixed(1)} ms`);
    return {
      cacheDir: pristine,
      profile,
      stitches,
      frontier,
      largeAnchor: { id: large.id, batchMs, capacityPerS: (settings.maxBatch * 1000) / batchMs },
      outsideEngineMs: quantiles(outside).p50,
      readyMs: server.times.readyMs,
      warmupKind: server.times.warmupKind,
    };
  } finally {
    client.close();
    await server.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** A private copy of the calibrated profile cache for one policy run; remove it afterwards. */
export async function cacheCopy(calibration: Calibration): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-live-run-'));
  await cp(calibration.cacheDir, dir, { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
