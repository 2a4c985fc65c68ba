/**
 * The real server entry point (src/server.ts) as a child process, configured with the ConfigMap's config from
 * a rendered overlay. Only what cannot be the same on a test machine changes: loopback host, a free port, the
 * tiny fixture bundle instead of the demo bundle, a temporary profile cache and a quieter log. So the test
 * serves exactly the settings the cluster would, and exercises the same config loading (STITCHSERVE_CONFIG).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './prometheus.js';
import { REPO } from './rendered.js';

export const SERVER_ENTRY = path.join(REPO, 'src/server.ts');
export const TINY_BUNDLE = path.join(REPO, 'test/fixtures/tiny-v2');

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout/stderr so far (last 50 kB). */
  output(): string;
  /** Polls `path` until it answers `status`, or throws after `timeoutMs`. */
  waitFor(path: string, status: number, timeoutMs: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code (null if killed) and how long the exit took (ms). */
  terminate(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; ms: number }>;
}

/** Replaces what differs on a test machine; every other setting of the ConfigMap's config is kept. */
export function testConfig(clusterConfig: any, port: number, profileDir: string): any {
  const config = structuredClone(clusterConfig);
  config.server = { ...config.server, host: '127.0.0.1', port };
  config.engine = { ...config.engine, bundle: TINY_BUNDLE, threads: 1, profileCacheDir: profileDir };
  delete config.engine.modelRoot;
  delete config.engine.fallbackBundle;
  config.logging = { ...config.logging, level: 'warn' };
  return config;
}

/** Starts src/server.ts (via tsx) with `clusterConfig` adapted by {@link testConfig}, on `port` (default: a free one). */
export async function startServer(clusterConfig: any, port?: number): Promise<RunningServer> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} does not exist yet`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stitchserve-deploy-'));
  port ??= await freePort();
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(testConfig(clusterConfig, port, path.join(dir, 'profile-cache'))));
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', STITCHSERVE_CONFIG: configFile };
  delete env['PORT'];
  delete env['HOST'];
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-50_000); };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;

  return {
    url, port, child, output: () => output,
    async waitFor(route, status, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output.slice(-3000)}`);
        try {
          const response = await fetch(`${url}${route}`, { signal: AbortSignal.timeout(2_000) });
          if (response.status === status) return;
          last = `HTTP ${response.status}`;
        } catch (err) { last = (err as Error).message; }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${route} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${output.slice(-3000)}`);
    },
    async terminate(signal = 'SIGTERM', timeoutMs = 30_000) {
      const start = Date.now();
      if (child.exitCode !== null) return { code: child.exitCode, ms: 0 };
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return { code, ms: Date.now() - start };
    },
  };
}
