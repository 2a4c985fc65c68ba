import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/lib/../..). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Milestones of one server start, ms since spawn (performance.now() of this process). */
export interface StartTimes {
  /** The HTTP port is open (Fastify's "Server listening" line). */
  listeningMs: number;
  /** GET /readyz answered 200 (polled every `pollMs`, so late by up to that). */
  readyMs: number;
  /** Engine log lines with their own durations: session creation, warm-up / profiling. */
  sessionMs: number | null;
  warmupMs: number | null;
  warmupKind: 'profiled' | 'warmed from cache' | 'none' | null;
}

/** A stitchserve server running as a child process (`node dist/src/server.js --config <tmp>` or via tsx). */
export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly times: StartTimes;
  /** Log lines (pino JSON) the server wrote, when `keepLogs` was set. */
  readonly logs: string[];
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * How the server is run: `dist` = `node dist/src/server.js` after `tsc` (what production runs), `tsx` =
 * `node --import tsx src/server.ts` (compiles on load: seconds slower to boot, ~same speed once running).
 */
export type ServerRuntime = 'dist' | 'tsx';

let prepared: Promise<{ runtime: ServerRuntime; note: string }> | undefined;

/** Servers this process started and has not stopped: killed if the benchmark itself is interrupted. */
const live = new Set<ChildProcess>();
let handlersInstalled = false;

function killLiveOnExit(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Compiles the server once per process (`tsc -p tsconfig.json` into dist/, under a lock shared with other
 * builds) and returns 'dist'; falls back to 'tsx' with a note if the build fails (e.g. someone's work in
 * progress does not typecheck). Env STITCHSERVE_BENCH_RUNTIME=dist|tsx skips the build (run-all sets it).
 */
export function prepareRuntime(log: (l: string) => void): Promise<{ runtime: ServerRuntime; note: string }> {
  const preset = process.env['STITCHSERVE_BENCH_RUNTIME'];
  if (preset === 'dist' || preset === 'tsx') {
    prepared ??= Promise.resolve({ runtime: preset, note: preset === 'tsx' ? 'the server ran with tsx (not compiled)' : '' });
    return prepared;
  }
  prepared ??= new Promise((resolve) => {
    log('compiling the server (tsc → dist/) ...');
    const child = spawn('flock', ['/tmp/stitchserve-build.lock', process.execPath, path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', () => resolve({ runtime: 'tsx', note: 'tsc could not run: the server ran with tsx' }));
    child.on('exit', (code) => {
      if (code === 0) return resolve({ runtime: 'dist', note: '' });
      log(`tsc failed (exit ${code}); falling back to tsx:\n${out.slice(0, 600)}`);
      resolve({ runtime: 'tsx', note: 'the tree did not compile at run time: the server ran with tsx (slower boot, same steady-state code)' });
    });
  });
  return prepared;
}

export interface StartServerOptions {
  /** Partial server config (validated and defaulted by the server itself); host/port are forced to loopback:0. */
  config: Record<string, unknown>;
  /** Give up when not ready after this long (ms). */
  timeoutMs?: number;
  pollMs?: number;
  /** Keep every log line in memory (start-up analysis); otherwise only the engine lines are parsed. */
  keepLogs?: boolean;
  /** Default: the result of prepareRuntime() when it was called, else tsx. */
  runtime?: ServerRuntime;
}

/**
 * Spawns the real server on a temporary config file, bound to 127.0.0.1 on a free port, and resolves when
 * /readyz answers 200. The child's stdout (pino) is consumed so the pipe never blocks it; stderr is
 * forwarded. Rejects with the tail of the log if the process exits or times out first.
 */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stitchserve-bench-'));
  const configFile = path.join(dir, 'config.json');
  const port = await freePort();
  const config = { ...options.config, server: { ...(options.config['server'] as object | undefined), host: '127.0.0.1', port } };
  await writeFile(configFile, JSON.stringify(config));
  const t0 = performance.now();
  const runtime = options.runtime ?? (prepared ? (await prepared).runtime : 'tsx');
  const entry = runtime === 'dist' ? [path.join(REPO, 'dist', 'src', 'server.js')] : ['--import', 'tsx', path.join(REPO, 'src', 'server.ts')];
  const child = spawn(process.execPath, [...entry, '--config', configFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PORT: '', HOST: '' },
  });
  killLiveOnExit();
  live.add(child);
  child.once('exit', () => live.delete(child));
  const logs: string[] = [];
  const times: StartTimes = { listeningMs: NaN, readyMs: NaN, sessionMs: null, warmupMs: null, warmupKind: null };
  const url = `http://127.0.0.1:${port}`;
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (options.keepLogs || logs.length < 200) logs.push(line);
      parseLine(line, t0, times);
    }
  });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await waitReady(child, exited, url, times, t0, options.timeoutMs ?? 600_000, options.pollMs ?? 50);
  } catch (err) {
    await stopChild(child, exited, 5000);
    await cleanup();
    throw new Error(`${(err as Error).message}\n--- server log tail ---\n${logs.slice(-15).join('\n')}`);
  }
  if (!options.keepLogs) logs.length = 0;
  return {
    pid: child.pid!,
    url,
    times,
    logs,
    stop: async (graceMs = 30_000) => {
      await stopChild(child, exited, graceMs);
      await cleanup();
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it; the server binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Picks the start-up milestones out of one pino line (info level; absent at quieter levels). */
function parseLine(line: string, t0: number, times: StartTimes): void {
  if (!line.startsWith('{')) return;
  let msg: string;
  try {
    msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
  } catch {
    return;
  }
  if (msg.startsWith('Server listening at')) times.listeningMs = performance.now() - t0;
  const session = /session on \w+ in (\d+) ms/.exec(msg);
  if (session) times.sessionMs = Number(session[1]);
  const warmed = /engine: (warmed|profiled) \d+ shapes.* in (\d+) ms/.exec(msg);
  if (warmed) {
    times.warmupMs = Number(warmed[2]);
    times.warmupKind = warmed[1] === 'profiled' ? 'profiled' : 'warmed from cache';
  }
}

async function waitReady(
  child: ChildProcess,
  exited: Promise<number | null>,
  url: string,
  times: StartTimes,
  t0: number,
  timeoutMs: number,
  pollMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = t0 + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited with code ${exitCode} before it was ready`);
    if (performance.now() > deadline) throw new Error(`server not ready after ${timeoutMs} ms`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) {
      times.readyMs = performance.now() - t0;
      if (times.warmupKind === null) times.warmupKind = 'none';
      return;
    }
    await new Promise((r) => setTimeout(r, pollMs));
    if (child.killed) throw new Error('server was killed');
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
