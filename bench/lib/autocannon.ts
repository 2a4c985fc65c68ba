import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './server-process.js';

/** What one closed-loop autocannon window measured. */
export interface CannonResult {
  /** 2xx answers ÷ the window's seconds. */
  okPerS: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Client-side latency percentiles, ms. */
  latencyP50: number;
  latencyP99: number;
  durationS: number;
}

/**
 * Runs autocannon in its own process (so its CPU use is not mixed with this process's event loop):
 * `connections` keep-alive connections, each sending the next request as soon as the last one answered
 * (closed loop), for `seconds`, POSTing `bodyFile` with `contentType`.
 */
export function autocannon(url: string, bodyFile: string, contentType: string, connections: number, seconds: number): Promise<CannonResult> {
  const entry = path.join(REPO, 'bench', 'lib', 'autocannon-child.ts');
  const args = ['--import', 'tsx', entry, JSON.stringify({ url, bodyFile, contentType, connections, seconds })];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-400)}`));
      try {
        const r = JSON.parse(out) as {
          requests: { total: number };
          '2xx': number;
          non2xx: number;
          errors: number;
          timeouts: number;
          latency: { p50: number; p99: number };
          duration: number;
        };
        resolve({
          okPerS: r['2xx'] / r.duration,
          total: r.requests.total,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          latencyP50: r.latency.p50,
          latencyP99: r.latency.p99,
          durationS: r.duration,
        });
      } catch {
        reject(new Error(`autocannon printed no JSON: ${out.slice(-400)} ${err.slice(-400)}`));
      }
    });
  });
}
