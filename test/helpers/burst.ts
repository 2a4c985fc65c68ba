import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BurstAnswer, BurstOutput, BurstSpec } from './burst-client.js';

export type { BurstAnswer, BurstOutput, BurstRecord, ClientLoad } from './burst-client.js';

const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'burst-client.ts');

/**
 * A burst client process, set up and waiting: `fire(atStart)` runs `atStart`, starts the burst at once and
 * resolves with its answers; `fireRecorded` does the same and resolves with everything the client printed
 * (with `record: true` in the spec: every request's times and the client's own load).
 */
export interface ReadyBurst {
  fire(atStart?: () => void): Promise<BurstAnswer[]>;
  fireRecorded(atStart?: () => void): Promise<BurstOutput>;
}

/**
 * Starts an open-loop burst client in its own process (see burst-client.ts) and resolves once it is ready to
 * fire, so process start-up never delays the burst relative to what the caller does at its start.
 */
export async function prepareBurst(spec: Omit<BurstSpec, 'imageBase64'> & { image: Uint8Array }): Promise<ReadyBurst> {
  const { image, ...rest } = spec;
  const full: BurstSpec = { ...rest, imageBase64: Buffer.from(image).toString('base64') };
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(full)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  // 'close', not 'exit': the process can exit before its last output has been read from the pipe.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: string): void => {
      out += chunk;
      if (out.includes('ready\n')) {
        out = out.slice(out.indexOf('ready\n') + 'ready\n'.length);
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`burst client exited (${code}) before it was ready`)));
  });
  const fireRecorded = async (atStart?: () => void): Promise<BurstOutput> => {
    child.stdout.on('data', (chunk: string) => (out += chunk));
    atStart?.();
    child.stdin.write('go\n');
    const code = await exited;
    if (code !== 0) throw new Error(`burst client exited with ${code}`);
    return JSON.parse(out.trim()) as BurstOutput;
  };
  return { fireRecorded, fire: async (atStart) => (await fireRecorded(atStart)).answers };
}
