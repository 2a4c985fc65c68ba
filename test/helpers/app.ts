import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { validateConfig, type Config } from '../../src/config/index.js';

/** The tiny SN-Netv2 fixture family (all four tasks), absolute. */
export const TINY_BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tiny-v2');

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** A test config: the tiny bundle, no profile cache, one warm-up run, quiet logs; `overrides` deep-merged. */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base = {
    server: { host: '127.0.0.1', port: 0 },
    engine: { bundle: TINY_BUNDLE, profileCacheDir: null, warmup: { runs: 1 } },
    logging: { level: 'warn' },
  };
  return validateConfig(merge(base, overrides as Record<string, unknown>));
}

export interface RunningApp {
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Log lines written by the app (JSON objects), for assertions on logging. */
  logs: Record<string, unknown>[];
}

/**
 * Builds the real app (real engine worker, tiny bundle), loads and warms it, and listens on a loopback port.
 * Closed automatically after the test (or suite) `t`.
 */
export async function startApp(t: { after(fn: () => Promise<void> | void): void }, overrides: DeepPartial<Config> = {}, options: { start?: boolean } = {}): Promise<RunningApp> {
  const config = testConfig(overrides);
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: config.logging.level },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const app = await buildApp(config, { logger });
  t.after(() => app.close());
  if (options.start !== false) await app.services.runtime.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}`, logs };
}
