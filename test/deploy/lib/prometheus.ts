/**
 * A real Prometheus server for tests: temporary config and storage, loopback only, a free port, stopped (and
 * its files removed) by `stop()`. Plus the prometheus-adapter's query templating, filled in the way the adapter
 * does for a per-pod request (`<<.Series>>`, `<<.LabelMatchers>>`, `<<.GroupBy>>`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

/** Where Debian's `prometheus` package installs the server; null when it is absent. */
export function prometheusBinary(): string | null {
  for (const candidate of ['/usr/bin/prometheus', '/usr/local/bin/prometheus']) if (existsSync(candidate)) return candidate;
  return null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One scrape target: `host:port` on loopback, with the labels Kubernetes service discovery would attach. */
export interface ScrapeTarget { address: string; labels: Record<string, string> }

export interface RunningPrometheus {
  url: string;
  /** Instant query (at `atS`, Unix seconds, default now); returns the result vector as (labels, value) pairs. */
  query(promql: string, atS?: number): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Resolves once every target has been scraped successfully (Prometheus applies discovery every ~5 s). */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  /** Series matching a selector (what prometheus-adapter's discovery sees). */
  series(selector: string): Promise<Record<string, string>[]>;
  stop(): Promise<void>;
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = await response.json() as { status: string; data: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? response.status}`);
  return body.data;
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr().slice(-2000)}`);
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus not ready after ${timeoutMs} ms: ${stderr().slice(-2000)}`);
}

/** Starts Prometheus scraping `targets` every `intervalS` seconds; resolves once it reports ready. */
export async function startPrometheus(binary: string, targets: ScrapeTarget[], intervalS = 1): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stitchserve-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify({
    global: { scrape_interval: `${intervalS}s`, evaluation_interval: `${intervalS}s` },
    scrape_configs: [{
      job_name: 'stitchserve',
      metrics_path: '/metrics',
      scrape_timeout: `${Math.round(Math.max(500, intervalS * 900))}ms`,
      static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })),
    }],
  }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [
    `--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-20_000); });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => stderr, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(promql, atS) {
      const at = atS === undefined ? '' : `&time=${atS}`;
      const data = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}${at}`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[])
        .map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    async waitForTargetsUp(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const data = await getJson(`${url}/api/v1/targets`) as { activeTargets: { health: string; lastError: string }[] };
        if (data.activeTargets.length === targets.length && data.activeTargets.every((t) => t.health === 'up')) return;
        last = JSON.stringify(data.activeTargets.map((t) => [t.health, t.lastError]));
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`targets not up after ${timeoutMs} ms: ${last}`);
    },
    async series(selector) {
      const now = Date.now() / 1000;
      return getJson(`${url}/api/v1/series?match[]=${encodeURIComponent(selector)}&start=${now - 300}&end=${now}`);
    },
    stop,
  };
}

/**
 * A prometheus-adapter `metricsQuery` as the adapter sends it when the HPA asks for `series` on `pods` in
 * `namespace`: LabelMatchers become `namespace="ns",pod=~"a|b"`, GroupBy the pod label.
 */
export function renderAdapterQuery(metricsQuery: string, series: string, namespace: string, pods: string[]): string {
  // Pod names are DNS labels (no regex or string metacharacters), which is why the adapter does not escape them.
  return metricsQuery
    .replaceAll('<<.Series>>', series)
    .replaceAll('<<.LabelMatchers>>', `namespace="${namespace}",pod=~"${pods.join('|')}"`)
    .replaceAll('<<.GroupBy>>', 'pod');
}
