import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeRequest, ProbeResult } from './memory-probe.js';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-probe.ts');

/** Runs memory-probe.ts in a fresh Node process (with tsx) and returns its JSON result. */
export function runProbe(request: ProbeRequest): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PROBE, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...request.env },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`memory probe exited with ${code}`));
      try {
        resolve(JSON.parse(line) as ProbeResult);
      } catch {
        reject(new Error(`memory probe printed no result: ${out.slice(-500)}`));
      }
    });
  });
}
