import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Everything a measured latency depends on; the cache key is its sha256. */
export interface ProfileIdentity {
  cpuModel: string;
  cores: number;
  ortVersion: string;
  bundleSha256: string;
  device: 'cpu' | 'cuda';
  /** The exact ORT session options (threads, arena, prepacking, providers). */
  sessionOptions: unknown;
  /** What was profiled: served stitches, tasks, batch sizes, runs per shape, subset size. */
  plan: unknown;
}

/** The machine part of the identity, as seen from this process. */
export function machineIdentity(): { cpuModel: string; cores: number } {
  const cpus = os.cpus();
  return { cpuModel: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length };
}

/** sha256 of the identity in a canonical JSON form (object keys sorted). */
export function profileCacheKey(identity: ProfileIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

interface CacheFile {
  format: 'stitchserve-profile';
  version: 1;
  key: string;
  identity: ProfileIdentity;
  savedAt: string;
  /** Measured entries only: [profile key, ms]. */
  measured: [string, number][];
}

/**
 * On-disk cache of measured latencies, one JSON file per identity key in `dir`. Reads never throw (a missing,
 * corrupt or foreign file is a miss); writes go to a temp file then rename, so readers never see half a file.
 */
export class ProfileCache {
  constructor(private readonly dir: string) {}

  fileFor(key: string): string {
    return path.join(this.dir, `profile-${key.slice(0, 32)}.json`);
  }

  async read(identity: ProfileIdentity): Promise<Map<string, number> | null> {
    const key = profileCacheKey(identity);
    try {
      const file = JSON.parse(await readFile(this.fileFor(key), 'utf8')) as CacheFile;
      if (file.format !== 'stitchserve-profile' || file.version !== 1 || file.key !== key) return null;
      const entries = file.measured.filter(([k, ms]) => typeof k === 'string' && Number.isFinite(ms) && ms > 0);
      return new Map(entries);
    } catch {
      return null;
    }
  }

  async write(identity: ProfileIdentity, measured: ReadonlyMap<string, number>): Promise<string> {
    const key = profileCacheKey(identity);
    const target = this.fileFor(key);
    const body: CacheFile = {
      format: 'stitchserve-profile',
      version: 1,
      key,
      identity,
      savedAt: new Date().toISOString(),
      measured: [...measured],
    };
    await mkdir(this.dir, { recursive: true });
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, JSON.stringify(body, null, 1));
    await rename(temp, target);
    return target;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
