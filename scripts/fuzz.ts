/**
 * The bad-input fuzz at scale (the CI test runs 10 000 cases): spawns the real server on the tiny bundle, sends
 * `--count` generated malformed requests, prints the numbers and writes them to bench/results/reliability-fuzz.json.
 *
 *   npm run fuzz                                   # 100 000 requests, seed 20261128
 *   npm run fuzz -- --count 20000 --seed 7 --concurrency 32
 *   npm run fuzz -- --seed 20261128 --case 9483 --case 12   # replay single cases, print the full answers
 *
 * Exit code 1 when any case fails (known, reported bugs excepted: see test/reliability/lib/known-bugs.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fuzzCase } from '../test/reliability/lib/fuzz-cases.js';
import { describeFailures, runFuzz } from '../test/reliability/lib/fuzz-run.js';
import { fuzzContext, fuzzServerConfig } from '../test/reliability/lib/fuzz-target.js';
import { keepAliveAgent, send } from '../test/reliability/lib/http-client.js';
import { KNOWN_BUGS } from '../test/reliability/lib/known-bugs.js';
import { REPO, sampleMemory, spawnServer } from '../test/reliability/lib/server-process.js';
import { judge } from '../test/reliability/lib/verdict.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '20261128' },
    concurrency: { type: 'string', default: '16' },
    'slow-cases': { type: 'string', default: '6' },
    case: { type: 'string', multiple: true },
    out: { type: 'string', default: 'bench/results/reliability-fuzz.json' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
const slowCases = Number(values['slow-cases']);
const MB = 2 ** 20;

const config = fuzzServerConfig();
const ctx = fuzzContext(config);
const server = await spawnServer(config);
try {
  await server.waitFor('/readyz', 200, 180_000);
  if (values.case !== undefined) {
    const agent = keepAliveAgent(1);
    for (const index of values.case.map(Number)) {
      const c = fuzzCase(ctx, seed, index, slowCases);
      const outcome = await send(server.origin, agent, c.shot, 60_000);
      console.log(`case ${index} [${c.family}] ${c.label}: ${c.shot.method} ${c.shot.path} ${JSON.stringify(c.shot.headers).slice(0, 300)}`);
      for (const a of outcome.answers) console.log(`  → ${a.status} ${JSON.stringify(a.headers)}\n    ${a.body.toString('utf8').slice(0, 2000)}`);
      if (outcome.error !== undefined) console.log(`  → transport: ${outcome.error}`);
      console.log(`  problems: ${JSON.stringify(judge(outcome, c.expect, c.shot))}`);
    }
    agent.destroy();
  } else {
    const loadBefore = os.loadavg();
    const memory = sampleMemory(server.child.pid!);
    const report = await runFuzz({
      origin: server.origin, ctx, seed, count, concurrency, slowCases, timeoutMs: 60_000, slowTimeoutMs: config.server.bodyTimeoutMs * 3 + 10_000,
      onProgress: (done) => done % 10_000 === 0 && console.log(`  ${done} / ${count}`),
    });
    const rss = memory.stop();
    const alive = server.child.exitCode === null;
    await server.waitFor('/readyz', 200, 10_000);
    const result = {
      command: `npm run fuzz -- --count ${count} --seed ${seed} --concurrency ${concurrency}`,
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
      server: { bundle: path.relative(REPO, config.engine.bundle), bodyBytes: config.limits.bodyBytes, pixels: config.limits.pixels, bodyTimeoutMs: config.server.bodyTimeoutMs },
      requests: report.requests,
      answers: report.answers,
      durationS: report.durationMs / 1000,
      requestsPerS: report.requests / (report.durationMs / 1000),
      ok200: report.ok200,
      serverErrors5xx: report.serverErrors,
      tightDeadlineMisses504: report.tightDeadlineMisses,
      staleKeepAliveRetries: report.staleRetries,
      failures: report.failureCount,
      knownBugHits: report.knownBugHits,
      knownBugs: Object.fromEntries(KNOWN_BUGS.map((b) => [b.id, b.summary])),
      peakRssMB: rss.peakRss / MB,
      finalRssMB: rss.lastRss / MB,
      processAlive: alive,
      byStatus: report.byStatus,
      byCode: report.byCode,
      byFamily: report.byFamily,
      failureExamples: describeFailures(report.failures).split('\n').filter((l) => l !== ''),
    };
    mkdirSync(path.dirname(path.resolve(REPO, values.out)), { recursive: true });
    writeFileSync(path.resolve(REPO, values.out), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify({ ...result, byFamily: undefined, failureExamples: result.failureExamples.slice(0, 20) }, null, 2));
    process.exitCode = report.failureCount === 0 && alive ? 0 : 1;
  }
} finally {
  await server.kill();
}
