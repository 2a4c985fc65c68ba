import { tmpdir } from 'node:os';
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

/** Default latency budget of every task in test apps (ms). */
export const TEST_BUDGET_MS = 20_000;

/** Warm-up profiles shared by the test apps (the engine keys the cache by bundle and ORT version). */
export const TEST_PROFILE_CACHE = path.join(tmpdir(), 'stitchserve-test-profile-cache');

/** A test config: the tiny bundle, a shared profile cache, one warm-up run, info logs (to memory); `overrides` deep-merged. */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base = {
    server: { host: '127.0.0.1', port: 0 },
    engine: { bundle: TINY_BUNDLE, profileCacheDir: TEST_PROFILE_CACHE, warmup: { runs: 1 } },
    // Generous default budgets: on a shared 2-core machine a request may wait for CPU; tests that are about
    // deadlines set their own.
    controller: { deadlines: Object.fromEntries(['classify', 'segment', 'depth', 'detect'].map((task) => [task, { defaultMs: TEST_BUDGET_MS }])) },
    logging: { level: 'info' },
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
 * Closed automatically after the test `t`; pass null inside a suite's `before` and close `app` in its `after`.
 */
export async function startApp(
  t: { after(fn: () => Promise<void> | void): void } | null,
  overrides: DeepPartial<Config> = {},
  options: { start?: boolean; extraRoutes?: (app: FastifyInstance) => void } = {},
): Promise<RunningApp> {
  const config = testConfig(overrides);
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: config.logging.level },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const app = await buildApp(config, { logger });
  t?.after(() => app.close());
  options.extraRoutes?.(app);
  if (options.start !== false) await app.services.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}`, logs };
}

/** POSTs `body` to `url + path` with the given content type (and extra headers). */
export function postImage(url: string, path: string, body: Buffer | Uint8Array, contentType = 'image/jpeg', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: Uint8Array.from(body) });
}

/** POSTs a JSON document. */
export function postJson(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The `{error: {code, message}}` body of a failed answer, checked for shape. */
export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error as { code: string; message: string };
}
