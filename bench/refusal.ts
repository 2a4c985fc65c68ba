/**
 * How cheaply the server refuses (issue 10, overload): closed-loop refusal throughput of the real app next to a
 * bare Fastify server answering the same 429 JSON, in one run, on the same machine, in alternating windows.
 *
 *   npm run bench:refusal -- [--rounds 6] [--seconds 3] [--connections 16] [--out bench/results]
 *
 * The real app is the spawned `src/server.ts` on the tiny family with the overload test's settings; every
 * request is the overload test's refusal shot (a 224×224 JPEG for a segmentation overlay with a 1 ms budget),
 * which it refuses at arrival, before reading the body. The bare server is Fastify with one route and an
 * `onRequest` hook answering that same 429 body and Retry-After (no logger, metrics, admission or drain): the
 * floor of what answering a request costs here. The machine is shared and noisy, so absolute rates mean little:
 * the result is the ratio app ÷ bare per pair of adjacent windows (ABBA order), and its median, both for
 * refusals per second and for server CPU time per refusal (/proc utime + stime of the server process).
 * Writes `<out>/refusal.json`.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { contextLine, finishContext, RESULTS_DIR, runContext } from './lib/results.js';
import { median } from './lib/stats.js';
import { testConfig } from '../test/helpers/app.js';
import { fixtureImage } from '../test/helpers/images.js';
import { spawnServer } from '../test/reliability/lib/server-process.js';

const ROUTE = '/v1/segment';
const PATH = `${ROUTE}?format=overlay`;
const HEADERS = { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '1' };

/** Child mode: a bare Fastify server answering every POST on ROUTE with the given 429 answer; prints its port. */
async function serveBare(answer: { body: string; retryAfter: string; contentType: string }): Promise<void> {
  const app = Fastify({ logger: false });
  app.post(ROUTE, { onRequest: (_request, reply) => void reply.code(429).header('retry-after', answer.retryAfter).type(answer.contentType).send(answer.body) }, async () => 'unreachable');
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${new URL(address).port}\n`);
}

/** Starts this file in bare-server mode; resolves with its URL and pid. */
async function spawnBare(answer: { body: string; retryAfter: string; contentType: string }): Promise<{ url: string; pid: number; kill(): void }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve-bare', JSON.stringify(answer)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, kill: () => void child.kill('SIGKILL') };
}

/** CPU time (user + system) a process has used so far, ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after "pid (comm) "), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

type Autocannon = (opts: { url: string; connections: number; duration: number; method: string; headers: Record<string, string>; body: Buffer }) => Promise<{
  duration: number;
  errors: number;
  resets?: number;
  statusCodeStats: Record<string, { count: number }>;
}>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** One closed-loop window against `url`: 429s per second and the server's CPU ms per 429. */
async function window(target: { url: string; pid: number }, connections: number, seconds: number, body: Buffer) {
  const cpuBefore = cpuMs(target.pid);
  const result = await autocannon({ url: target.url + PATH, connections, duration: seconds, method: 'POST', headers: HEADERS, body });
  const cpu = cpuMs(target.pid) - cpuBefore;
  const refused = result.statusCodeStats['429']?.count ?? 0;
  const answered = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0);
  return { refusedPerS: refused / result.duration, cpuMsPerRefusal: cpu / Math.max(1, refused), other: answered - refused, errors: result.errors };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      rounds: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      out: { type: 'string', default: RESULTS_DIR },
    },
  });
  const rounds = Number(args.rounds);
  const seconds = Number(args.seconds);
  const connections = Number(args.connections);
  const ctx = runContext();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const body = fixtureImage('sample.jpg');

  // The overload test's server settings (tests/reliability/overload.test.ts).
  const config = testConfig({ controller: { policy: 'adaptive', deadlines: { segment: { defaultMs: 1000 } } }, logging: { level: 'warn' } });
  const app = await spawnServer(config);
  let bare: Awaited<ReturnType<typeof spawnBare>> | undefined;
  try {
    await app.waitFor('/readyz', 200, 120_000);
    // The bare server replays the app's own refusal: same status, body, content type and Retry-After.
    const sample = await fetch(app.url + PATH, { method: 'POST', headers: HEADERS, body });
    const answer = { body: await sample.text(), retryAfter: sample.headers.get('retry-after') ?? '', contentType: sample.headers.get('content-type') ?? '' };
    if (sample.status !== 429 || answer.retryAfter === '') throw new Error(`the app did not refuse the shot: ${sample.status} ${answer.body}`);
    bare = await spawnBare(answer);
    log(`refusal answer (both servers): 429, Retry-After ${answer.retryAfter}, ${answer.body}`);
    const targets = { app: { url: app.url, pid: app.child.pid! }, bare: { url: bare.url, pid: bare.pid } };
    // Warm-up (JIT, the latency model settling after its first refusals): two windows each.
    for (let i = 0; i < 2; i++) for (const target of Object.values(targets)) await window(target, connections, 2, body);

    const pairs: { app: Awaited<ReturnType<typeof window>>; bare: Awaited<ReturnType<typeof window>> }[] = [];
    for (let round = 0; round < rounds; round++) {
      // ABBA order: drifts in the machine's load hit both servers alike.
      const order = round % 2 === 0 ? (['app', 'bare'] as const) : (['bare', 'app'] as const);
      const pair: Partial<(typeof pairs)[number]> = {};
      for (const name of order) pair[name] = await window(targets[name], connections, seconds, body);
      pairs.push(pair as (typeof pairs)[number]);
      const p = pairs.at(-1)!;
      log(`round ${round + 1}: app ${p.app.refusedPerS.toFixed(0)}/s (${p.app.cpuMsPerRefusal.toFixed(3)} ms CPU each), bare ${p.bare.refusedPerS.toFixed(0)}/s (${p.bare.cpuMsPerRefusal.toFixed(3)} ms), ratio ${(p.app.refusedPerS / p.bare.refusedPerS).toFixed(2)}`);
    }
    finishContext(ctx);
    const result = {
      command: `npm run bench:refusal -- --rounds ${rounds} --seconds ${seconds} --connections ${connections}`,
      shot: { method: 'POST', path: PATH, headers: HEADERS, bodyBytes: body.length },
      answer,
      medians: {
        appRefusedPerS: median(pairs.map((p) => p.app.refusedPerS)),
        bareRefusedPerS: median(pairs.map((p) => p.bare.refusedPerS)),
        throughputRatio: median(pairs.map((p) => p.app.refusedPerS / p.bare.refusedPerS)),
        appCpuMsPerRefusal: median(pairs.map((p) => p.app.cpuMsPerRefusal)),
        bareCpuMsPerRefusal: median(pairs.map((p) => p.bare.cpuMsPerRefusal)),
        cpuRatio: median(pairs.map((p) => p.app.cpuMsPerRefusal / p.bare.cpuMsPerRefusal)),
      },
      pairs,
    };
    const m = result.medians;
    console.log(contextLine(ctx));
    console.log(`refusals/s, median of ${rounds} ABBA pairs × ${seconds} s, ${connections} connections: app ${m.appRefusedPerS.toFixed(0)}, bare Fastify ${m.bareRefusedPerS.toFixed(0)}; app ÷ bare ${m.throughputRatio.toFixed(2)}`);
    console.log(`server CPU per refusal: app ${m.appCpuMsPerRefusal.toFixed(3)} ms, bare ${m.bareCpuMsPerRefusal.toFixed(3)} ms; app ÷ bare ${m.cpuRatio.toFixed(2)}`);
    const problems = pairs.flatMap((p) => [p.app, p.bare]).filter((w) => w.other > 0 || w.errors > 0);
    if (problems.length > 0) console.log(`WARNING: ${problems.length} windows had non-429 answers or transport errors: ${JSON.stringify(problems)}`);
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'refusal.json'), `${JSON.stringify({ benchmark: 'refusal', context: ctx, ...result }, null, 1)}\n`);
  } finally {
    bare?.kill();
    await app.kill();
  }
}

if (process.argv[2] === '--serve-bare') await serveBare(JSON.parse(process.argv[3] ?? '{}') as { body: string; retryAfter: string; contentType: string });
else await main();
