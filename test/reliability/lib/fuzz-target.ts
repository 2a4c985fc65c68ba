import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testConfig } from '../../helpers/app.js';
import type { Config } from '../../../src/config/index.js';
import type { FuzzContext } from './fuzz-types.js';

/**
 * Server settings of the fuzz target: the tiny bundle, a 1 MiB body limit and a 2 s body timeout (slow bodies).
 * Load shedding by main-thread lag and utilization is off: 16 closed-loop fuzz clients saturate the event loop by
 * design, and the fuzz judges answers to bad input, not to load (overload.test.ts does).
 */
export function fuzzServerConfig(): Config {
  return testConfig({
    server: { bodyTimeoutMs: 2_000, docs: true },
    limits: { bodyBytes: 1 << 20, eventLoopDelayMs: 600_000, eventLoopUtilization: 1 },
    logging: { level: 'warn' },
  });
}

/** What the generator needs to know about a server running `config`. */
export function fuzzContext(config: Config): FuzzContext {
  const manifest = JSON.parse(readFileSync(path.join(config.engine.bundle, 'manifest.json'), 'utf8')) as {
    name: string;
    tasks: Record<string, unknown>;
    stitches: { id: number }[];
  };
  return {
    modelName: config.server.modelName ?? manifest.name,
    tasks: Object.keys(manifest.tasks),
    maxStitchId: Math.max(...manifest.stitches.map((s) => s.id)),
    limits: { bodyBytes: config.limits.bodyBytes, fieldBytes: config.limits.multipart.fieldBytes, parts: config.limits.multipart.parts, pixels: config.limits.pixels },
  };
}
