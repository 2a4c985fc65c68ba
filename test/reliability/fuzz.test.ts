/**
 * Bad-input fuzzing against the real server process (src/server.ts, tiny bundle): ≥ 10 000 malformed requests
 * (mutated JPEG/PNG/WebP/GIF/TIFF/AVIF files, decompression bombs, wrong content types, multipart abuse, absurd
 * parameters, KServe JSON abuse, malformed HTTP, oversized and slow bodies) over 16 keep-alive connections.
 * Every answer must be a 200 or a documented 4xx (registry code with its registry status), with no stack trace
 * or internal path; the process must stay up, ready and serving, with bounded memory.
 * Reproduce a failure: `npm run fuzz -- --seed <seed> --case <index>` (printed with each failure).
 * Scale: RELIABILITY_FUZZ_COUNT (default 10 000), RELIABILITY_FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postImage } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { fuzzContext, fuzzServerConfig } from './lib/fuzz-target.js';
import { describeFailures, runFuzz } from './lib/fuzz-run.js';
import { KNOWN_BUGS } from './lib/known-bugs.js';
import { metricSum, scrape } from './lib/metrics.js';
import { sampleMemory, spawnServer } from './lib/server-process.js';

const COUNT = Number(process.env['RELIABILITY_FUZZ_COUNT'] ?? 10_000);
const SEED = Number(process.env['RELIABILITY_FUZZ_SEED'] ?? 20_261_128);
/** Server RSS bound over the run (bytes): the tiny bundle idles at ~0.25 GB; the decode of one in-limit bomb is 75 MB. */
const PEAK_RSS_BOUND = 1.5 * 2 ** 30;
const MB = 2 ** 20;

test(`fuzz: ${COUNT} malformed requests get only 200 or documented 4xx answers, no 5xx, no leaks; the server survives`, { timeout: 300_000 }, async (t) => {
  const config = fuzzServerConfig();
  const server = await spawnServer(config);
  t.after(() => server.kill());
  await server.waitFor('/readyz', 200, 120_000);

  // The 503s of /readyz while the server was warming up are not the fuzz's: count from here.
  const count5xx = async () => metricSum(await scrape(server.url), 'stitchserve_http_requests_total', (l) => l['status']!.startsWith('5'));
  const before5xx = await count5xx();
  const memory = sampleMemory(server.child.pid!);
  const report = await runFuzz({
    origin: server.origin,
    ctx: fuzzContext(config),
    seed: SEED,
    count: COUNT,
    concurrency: 16,
    slowCases: 6,
    timeoutMs: 30_000,
    slowTimeoutMs: config.server.bodyTimeoutMs * 3 + 10_000,
  });
  const rss = memory.stop();

  t.diagnostic(`seed ${SEED}: ${report.requests} requests, ${report.answers} answers in ${(report.durationMs / 1000).toFixed(1)} s (${((report.requests * 1000) / report.durationMs).toFixed(0)}/s); 200: ${report.ok200}; 5xx: ${report.serverErrors}; stale keep-alive retries: ${report.staleRetries}; peak RSS ${(rss.peakRss / MB).toFixed(0)} MB`);
  t.diagnostic(`status counts ${JSON.stringify(report.byStatus)}; codes ${JSON.stringify(report.byCode)}`);
  for (const bug of KNOWN_BUGS) {
    const hits = report.knownBugHits[bug.id] ?? 0;
    t.diagnostic(`known bug ${bug.id} (${bug.summary}): ${hits} case(s)${hits === 0 ? ' — none this run; remove the entry if it is fixed' : ''}`);
  }
  if (report.knownBugExamples.length > 0) t.diagnostic(`known-bug examples:\n${describeFailures(report.knownBugExamples)}`);

  assert.equal(report.requests, COUNT, 'every case was sent and answered or failed');
  assert.equal(report.failureCount, 0, `${report.failureCount} case(s) failed:\n${describeFailures(report.failures)}`);
  assert.ok(report.ok200 > 0 && report.ok200 < report.answers, 'some mutations still decode, most do not');

  // The process survived, still serves, and its own books agree: no 5xx beyond the known bugs' ones.
  assert.equal(server.child.exitCode, null, 'the server process is alive');
  await server.waitFor('/healthz', 200, 5_000);
  await server.waitFor('/readyz', 200, 5_000);
  const normal = await postImage(server.url, '/v1/classify', fixtureImage('scene.jpg'));
  assert.equal(normal.status, 200, 'a normal request succeeds after the fuzz');
  await normal.arrayBuffer();
  assert.equal((await count5xx()) - before5xx, report.serverErrors + report.tightDeadlineMisses, 'the server counted the same 5xx answers as the client');
  assert.ok(rss.peakRss < PEAK_RSS_BOUND, `peak RSS ${(rss.peakRss / MB).toFixed(0)} MB ≥ ${PEAK_RSS_BOUND / MB} MB`);
});
