import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The real process entry point, run from source with tsx exactly as `npm run dev` does (without watch). */
export const SERVER_ENTRY = path.join(REPO, 'src/server.ts');

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resident memory of a Linux process from /proc (bytes): current and peak (VmHWM). */
export function processMemory(pid: number): { rss: number; peakRss: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export interface ServerProcess {
  url: string;
  origin: URL;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout + stderr so far (the last `outputLimit` characters, default 200 k). */
  output(): string;
  /** Polls GET `route` until it answers `status`; throws (with the output tail) after `timeoutMs` or if the process exits. */
  waitFor(route: string, status: number, timeoutMs: number): Promise<void>;
  /** Sends SIGKILL if still running and removes the temp directory. Safe to call twice. */
  kill(): Promise<void>;
}

/**
 * Spawns `node --import tsx src/server.ts` with `config` written to a temp file (STITCHSERVE_CONFIG), on
 * loopback. `config.server.port` is replaced by a free port unless `keepPort`. Nothing is awaited but the spawn:
 * use `waitFor('/readyz', 200, ...)` for readiness, or `exited` for start-up failures.
 */
export async function spawnServer(
  config: Record<string, any>,
  options: { keepPort?: boolean; env?: NodeJS.ProcessEnv; outputLimit?: number; nodeArgs?: string[] } = {},
): Promise<ServerProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-rel-'));
  const port = options.keepPort === true ? (config['server']?.port as number) : await freePort();
  const full = { ...config, server: { ...config['server'], host: '127.0.0.1', port } };
  const configFile = path.join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(full));
  const env: NodeJS.ProcessEnv = { ...process.env, STITCHSERVE_CONFIG: configFile, ...options.env };
  delete env['PORT'];
  delete env['HOST'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', SERVER_ENTRY], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const limit = options.outputLimit ?? 200_000;
  const append = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-limit));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  let cleaned = false;
  return {
    url,
    origin: new URL(url),
    child,
    exited,
    output: () => output,
    async waitFor(route, status, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`);
        try {
          const response = await fetch(`${url}${route}`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          if (response.status === status) return;
          last = `HTTP ${response.status}`;
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${route} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${output.slice(-3000)}`);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (!cleaned) {
        cleaned = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Samples a process's RSS every `everyMs` until stopped; `stop()` returns the samples' peak and the kernel's VmHWM. */
export function sampleMemory(pid: number, everyMs = 200): { stop(): { peakRss: number; lastRss: number; samples: number } } {
  let peak = 0;
  let last = 0;
  let samples = 0;
  const take = () => {
    const m = processMemory(pid);
    if (m === undefined) return;
    samples++;
    last = m.rss;
    peak = Math.max(peak, m.rss, m.peakRss);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { peakRss: peak, lastRss: last, samples };
    },
  };
}
