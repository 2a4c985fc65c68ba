import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { connect } from 'node:net';
import { fixtureImage } from '../helpers/images.js';
import { TEST_PROFILE_CACHE, TINY_BUNDLE } from '../helpers/app.js';

const REPO = path.resolve(import.meta.dirname, '../..');

interface ServerProcess {
  child: ChildProcess;
  /** Parsed JSON log lines and raw stderr, as they arrive. */
  logs: Record<string, unknown>[];
  stderr: string[];
  exit: Promise<number | null>;
}

/** Runs `src/server.ts` as a child process with a config file written from `config`. */
function runServer(config: unknown): ServerProcess {
  const dir = mkdtempSync(path.join(tmpdir(), 'stitchserve-server-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', '--config', path.join(dir, 'config.json')], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, logs, stderr, exit };
}

async function waitForLog(server: ServerProcess, match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = server.logs.find(match);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`log line not seen in ${timeoutMs} ms; stderr: ${server.stderr.join('')}`);
    await sleep(50);
  }
}

/** Sends a multipart request for /v1/classify in two halves; the second half only when `finish()` is called. */
function holdMultipartUpload(url: string, image: Buffer): { finish(): void; response: Promise<string> } {
  const { hostname, port } = new URL(url);
  const boundary = 'stitchserve-test-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const body = Buffer.concat([head, image, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const half = head.length + Math.floor(image.length / 2);
  const socket = connect(Number(port), hostname);
  socket.write(
    `POST /v1/classify HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.subarray(0, half));
  const response = new Promise<string>((resolve, reject) => {
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  return { finish: () => void socket.write(body.subarray(half)), response };
}

const baseConfig = {
  engine: { bundle: TINY_BUNDLE, profileCacheDir: TEST_PROFILE_CACHE, warmup: { runs: 1 } },
  controller: { deadlines: { classify: { defaultMs: 30_000 } } },
  server: { shutdownGraceMs: 20_000 },
};

test('SIGTERM under load: readiness off first, new work 503 DRAINING, every accepted request completes, exit 0', async (t) => {
  const server = runServer(baseConfig);
  t.after(() => void server.child.kill('SIGKILL'));
  const listening = await waitForLog(server, (l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('Server listening at'), 60_000);
  const url = (listening['msg'] as string).replace('Server listening at ', '');
  await waitForLog(server, (l) => l['msg'] === 'runtime ready', 60_000);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  // An accepted request held open deterministically: a multipart upload whose handler is already running and
  // waiting for the rest of the file when SIGTERM arrives.
  const held = holdMultipartUpload(url, fixtureImage('scene.jpg'));
  await waitForLog(server, () => server.logs.filter((l) => l['msg'] === 'incoming request').length >= 2, 10_000);
  await sleep(200);
  server.child.kill('SIGTERM');
  await waitForLog(server, (l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('draining'), 30_000);

  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 503, 'readiness is off while draining');
  const late = await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(fixtureImage('scene.jpg')) });
  assert.equal(late.status, 503);
  assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'DRAINING');

  held.finish();
  const answer = await held.response;
  assert.match(answer, /^HTTP\/1\.1 200 /, `the accepted request completed: ${answer.slice(-300)}`);
  assert.match(answer, /"task":"classify"/);
  assert.equal(await server.exit, 0);
  assert.ok(server.logs.some((l) => l['msg'] === 'drained; bye'));
});

test('a bundle that fails to load ends the process with exit code 1 and a message naming the problem', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stitchserve-badbundle-'));
  writeFileSync(path.join(dir, 'manifest.json'), '{"format": "stitchserve-bundle", "formatVersion": 99}');
  const server = runServer({ ...baseConfig, engine: { ...baseConfig.engine, bundle: dir } });
  t.after(() => void server.child.kill('SIGKILL'));
  assert.equal(await server.exit, 1);
  const fatal = server.logs.find((l) => l['level'] === 60);
  assert.ok(fatal !== undefined, 'a fatal log line');
  assert.match(String(fatal['msg']), /could not be loaded: .*formatVersion/s);
});

test('an invalid config file ends the process with exit code 2 listing every violation', async (t) => {
  const server = runServer({ server: { port: 'eighty' }, engine: { device: 'tpu' }, surprise: 1 });
  t.after(() => void server.child.kill('SIGKILL'));
  assert.equal(await server.exit, 2);
  const text = server.stderr.join('');
  assert.match(text, /\/engine\/device: must be one of "cpu", "cuda", "auto"/);
  assert.match(text, /\/surprise: unknown setting/);
});
