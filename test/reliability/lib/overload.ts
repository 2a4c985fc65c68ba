import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type http from 'node:http';
import { prepareBurst, type BurstRecord, type ClientLoad } from '../../helpers/burst.js';
import { keepAliveAgent, type Shot } from './http-client.js';
import { closedLoop, measuredOpenLoop, quantile, tally, timed, type RequestRecord } from './load.js';
import { metricSum, scrape } from './metrics.js';
import { sampleMemory } from './server-process.js';
import { sleep } from './wait.js';
import { SHED_CAUSES } from '../../../src/inference/load-shedding.js';

export interface OverloadOptions {
  url: string;
  /** The server's pid, for its RSS. */
  pid: number;
  /** The request every client sends (a normal, valid request; the burst sends it as a keep-alive POST). */
  shot(): Shot;
  /**
   * A request the server refuses at arrival, before reading its body (e.g. the same one with a 1 ms budget):
   * measures how fast the server can refuse, the ceiling of what it can answer "at once" under overload.
   */
  refusalShot?(): Shot;
  task: string;
  /** The route template the shots hit (label of stitchserve_http_requests_total), e.g. /v1/segment. */
  route: string;
  /** The server's configured queue bound and maxBatch. */
  queueBound: number;
  maxBatch: number;
  /** Burst rate ÷ capacity (≥ 10). */
  factor: number;
  burstMs: number;
  /** Closed-loop capacity measurement: clients and duration. */
  capacityClients: number;
  capacityMs: number;
  /**
   * Connections of the closed-loop refusal probe (default: capacityClients). Refusals take the server ~0.1 ms,
   * so a few connections measure the client more than the server: use more than for capacity.
   */
  refusalClients?: number;
  /** The latency budget of the requests (ms): the server's default for the task. */
  budgetMs: number;
  /** How long after the burst to keep trying for a normal answer before giving up (ms). */
  recoveryTimeoutMs: number;
  /**
   * Send the burst from its own process (true) instead of this one (false). In this process the generator shares
   * its event loop with the scrapes, the RSS sampler and the recovery probes, falls behind under load and so
   * throttles its own arrivals; its own process sends at the full rate (see docs/reliability.md). Default false.
   */
  burstProcess?: boolean;
}

export interface OverloadReport {
  /** Requests/s the engine could run at its cheapest stitch and largest batch (from its warm-up profile). */
  engineCapacityPerS: number;
  /** Requests/s the whole service answered with 200 under closed-loop load (HTTP + decode + engine). */
  measuredCapacityPerS: number;
  /** min of the two: what the burst is a multiple of. */
  capacityPerS: number;
  /** Refusals/s the server answered to `refusalShot` under closed-loop load (NaN without one). */
  refusalCapacityPerS: number;
  targetRatePerS: number;
  achievedRatePerS: number;
  burst: {
    requests: number;
    answers: Record<string, number>;
    accepted: number;
    rejected429: number;
    /** 429s without a Retry-After header. */
    rejectedWithoutRetryAfter: number;
    rejectionMs: { p50: number; p99: number; max: number };
    acceptedMs: { p50: number; p99: number; max: number };
    /** Fraction of accepted (200) answers that report `x-deadline-met: true` (the server's clock). */
    acceptedMetDeadline: number;
    /** Fraction of accepted answers that arrived within the budget of the request being written (the client's clock). */
    acceptedMetDeadlineClient: number;
    /** The server's own total time of accepted requests (Server-Timing), for comparison with `acceptedMs`. */
    acceptedServerMs: { p50: number; p99: number; max: number };
    /** Answers that are neither 200 nor 429 (e.g. 504 DEADLINE_EXCEEDED), and requests with no answer. */
    other: number;
    /** Requests with no answer: `resets` (the connection was reset or closed under it) + `timedOut` (client gave up). */
    lost: number;
    resets: number;
    timedOut: number;
    /** The first few lost requests: when they were sent (ms after the burst began) and the transport error. */
    lostExamples: { sentMs: number; writtenMs: number; error: string | undefined }[];
    /** Where the burst came from, and its own load: its event-loop delay is the client's share of the times above. */
    process: 'own' | 'test';
    client: ClientLoad;
  };
  queue: { bound: number; maxDepth: number; maxInflight: number; samples: number };
  /**
   * The server's own books for the burst: answers it counted (http_requests_total delta), in-flight after it, and
   * its refusals at arrival by cause (shed_requests_total delta, burst and recovery probes).
   */
  server: { answersCounted: number; inflightAfter: number; shedByCause: Record<string, number> };
  memory: { baselineRssMB: number; peakRssMB: number };
  recovery: { ms: number; queueDepthAfter: number; normalStatus: number; normalDeadlineMet: boolean | undefined };
}

const MB = 2 ** 20;
const summary = (values: number[]) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: values.length === 0 ? Number.NaN : Math.max(...values) });

/** Engine capacity from GET /v1/stitches (predicted batch latency per stitch, from the warm-up profile). */
async function engineCapacity(url: string, task: string, maxBatch: number): Promise<number> {
  const response = await fetch(`${url}/v1/stitches?task=${task}`);
  const { stitches } = (await response.json()) as { stitches: { predictedMs: Record<string, number> }[] };
  return Math.max(...stitches.map((s) => (maxBatch * 1000) / (s.predictedMs[String(maxBatch)] ?? Number.POSITIVE_INFINITY)));
}

/** Scrapes queue depth and in-flight requests every `everyMs` until stopped. */
function watchQueue(url: string, everyMs: number): { stop(): Promise<{ maxDepth: number; maxInflight: number; samples: number }> } {
  let running = true;
  let maxDepth = 0;
  let maxInflight = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      try {
        const metrics = await scrape(url);
        maxDepth = Math.max(maxDepth, metricSum(metrics, 'stitchserve_queue_depth'));
        maxInflight = Math.max(maxInflight, metricSum(metrics, 'stitchserve_inflight_requests'));
        samples++;
      } catch {
        // a scrape that failed under load is just a missing sample
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxDepth, maxInflight, samples };
    },
  };
}

/**
 * From now (the burst's end), sends a normal request every 20 ms, one at a time, until one is answered 200 within
 * its deadline (the server's verdict) with the queue empty, or `recoveryTimeoutMs` passed.
 */
async function probeRecovery(origin: URL, agent: http.Agent, options: OverloadOptions): Promise<OverloadReport['recovery'] & { probesAnswered: number }> {
  const start = performance.now();
  let probesAnswered = 0;
  for (;;) {
    const normal = await timed(origin, agent, options.shot(), 30_000);
    if (normal.status !== 0) probesAnswered++;
    const depth = metricSum(await scrape(options.url), 'stitchserve_queue_depth');
    const elapsed = performance.now() - start;
    if ((normal.status === 200 && normal.deadlineMet === true && depth === 0) || elapsed > options.recoveryTimeoutMs) {
      return { ms: elapsed, queueDepthAfter: depth, normalStatus: normal.status, normalDeadlineMet: normal.deadlineMet, probesAnswered };
    }
    await sleep(20);
  }
}

type BurstRun = { records: BurstRecord[]; achievedRatePerS: number; client: ClientLoad };

/** Times of a record relative to `start` (ms), without its body. */
function relative({ body: _body, ...r }: RequestRecord, start: number): BurstRecord {
  return { ...r, sentAt: r.sentAt - start, writtenAt: r.writtenAt - start, doneAt: r.doneAt - start };
}

/** Prepares the open-loop burst (in its own process or in this one); the returned function starts it. */
async function burstStarter(options: OverloadOptions, ratePerS: number, origin: URL, agent: http.Agent): Promise<() => Promise<BurstRun>> {
  if (options.burstProcess !== true) {
    return async () => {
      const start = performance.now();
      const run = await measuredOpenLoop(origin, agent, ratePerS, options.burstMs, options.shot, 60_000);
      return { ...run, records: run.records.map((r) => relative(r, start)) };
    };
  }
  const shot = options.shot();
  if (shot.method !== 'POST' || shot.transport !== 'keepalive' || shot.body === undefined) throw new Error('a burst process sends keep-alive POSTs with a body');
  const client = await prepareBurst({
    url: new URL(shot.path, options.url).href,
    count: Math.round((ratePerS * options.burstMs) / 1000),
    ratePerS,
    headers: shot.headers,
    image: shot.body,
    record: true,
  });
  return async () => {
    const { records, client: load, achievedRatePerS } = await client.fireRecorded();
    if (records === undefined || load === undefined) throw new Error('the burst process reported no records');
    return { records, client: load, achievedRatePerS };
  };
}

/**
 * Measures capacity (closed loop), then sends an open-loop burst at `factor` × capacity for `burstMs`, and
 * measures how the server copes (answers, rejection latency, deadlines of accepted requests, queue depth, RSS)
 * and how long after the burst a normal request succeeds again with an empty queue.
 */
export async function runOverload(options: OverloadOptions): Promise<OverloadReport> {
  const origin = new URL(options.url);
  const agent = keepAliveAgent(Number.POSITIVE_INFINITY);
  try {
    const engineCapacityPerS = await engineCapacity(options.url, options.task, options.maxBatch);
    const capacityRun = closedLoop(origin, agent, options.capacityClients, options.shot, 30_000);
    const capacityStart = performance.now();
    await sleep(options.capacityMs);
    const capacityRecords = await capacityRun.stop();
    const measuredCapacityPerS = (capacityRecords.filter((r) => r.status === 200).length * 1000) / (performance.now() - capacityStart);
    const capacityPerS = Math.min(engineCapacityPerS, measuredCapacityPerS);
    let refusalCapacityPerS = Number.NaN;
    if (options.refusalShot !== undefined) {
      const refusalRun = closedLoop(origin, agent, options.refusalClients ?? options.capacityClients, options.refusalShot, 30_000);
      const refusalStart = performance.now();
      await sleep(1_000);
      const refused = (await refusalRun.stop()).filter((r) => r.status === 429).length;
      refusalCapacityPerS = (refused * 1000) / (performance.now() - refusalStart);
    }
    await sleep(500);

    const targetRatePerS = options.factor * capacityPerS;
    // The burst comes from its own process: a load generator sharing this process's event loop (with the
    // scrapes, the RSS sampler and the recovery probes) would add its own waits to every time it measures.
    // Set up before the watchers start: a burst process takes a second to start.
    const startBurst = await burstStarter(options, targetRatePerS, origin, agent);
    const baseline = sampleMemory(options.pid).stop().lastRss;
    const memory = sampleMemory(options.pid, 50);
    // Every 250 ms: a /metrics scrape costs the server's main thread 7-14 ms here, so scraping every 50 ms (as
    // before) took 15-30 % of it during the burst and showed up in the refusal and answer times being measured.
    const queue = watchQueue(options.url, 250);
    const onRoute = (labels: Record<string, string>) => labels['route'] === options.route;
    const burstAndRecovery = async () => {
      const before = await scrape(options.url);
      const countBefore = metricSum(before, 'stitchserve_http_requests_total', onRoute);
      const burstRun = startBurst();
      // Back to normal is timed from the moment the burst stops sending, while its answers may still be arriving.
      await sleep(options.burstMs);
      const recovery = await probeRecovery(origin, agent, options);
      const burst = await burstRun;
      const afterBurst = await scrape(options.url);
      const server = {
        // The recovery probes are answered on the same route; they are not part of the burst.
        answersCounted: metricSum(afterBurst, 'stitchserve_http_requests_total', onRoute) - countBefore - recovery.probesAnswered,
        inflightAfter: metricSum(afterBurst, 'stitchserve_inflight_requests'),
        shedByCause: Object.fromEntries(
          SHED_CAUSES.map((cause) => {
            const ofCause = (labels: Record<string, string>) => labels['cause'] === cause;
            return [cause, metricSum(afterBurst, 'stitchserve_shed_requests_total', ofCause) - metricSum(before, 'stitchserve_shed_requests_total', ofCause)];
          }),
        ),
      };
      return { burst, recovery, server };
    };
    const stopWatchers = async () => ({ queueStats: await queue.stop(), rss: memory.stop() });
    let measured: Awaited<ReturnType<typeof burstAndRecovery>>;
    try {
      measured = await burstAndRecovery();
    } catch (err) {
      // The watchers would otherwise keep this process (the test runner) alive after the failure.
      await stopWatchers();
      throw err;
    }
    const { queueStats, rss } = await stopWatchers();
    const { burst, recovery, server } = measured;

    const records = burst.records;
    // For diagnosis (see overload.test.ts): where in the burst the time went, request by request.
    const dump = process.env['OVERLOAD_DUMP'];
    if (dump !== undefined && dump !== '') writeFileSync(dump, JSON.stringify(records));
    const accepted = records.filter((r) => r.status === 200);
    const rejected = records.filter((r) => r.status === 429);
    return {
      engineCapacityPerS,
      measuredCapacityPerS,
      capacityPerS,
      refusalCapacityPerS,
      targetRatePerS,
      achievedRatePerS: burst.achievedRatePerS,
      burst: {
        requests: records.length,
        answers: tally(records),
        accepted: accepted.length,
        rejected429: rejected.length,
        rejectedWithoutRetryAfter: rejected.filter((r) => r.retryAfter === undefined || !(Number(r.retryAfter) >= 1)).length,
        rejectionMs: summary(rejected.map((r) => r.doneAt - r.writtenAt)),
        acceptedMs: summary(accepted.map((r) => r.doneAt - r.writtenAt)),
        acceptedMetDeadline: accepted.length === 0 ? Number.NaN : accepted.filter((r) => r.deadlineMet === true).length / accepted.length,
        acceptedMetDeadlineClient: accepted.length === 0 ? Number.NaN : accepted.filter((r) => r.doneAt - r.writtenAt <= options.budgetMs).length / accepted.length,
        acceptedServerMs: summary(accepted.flatMap((r) => (r.serverTotalMs === undefined ? [] : [r.serverTotalMs]))),
        other: records.filter((r) => r.status !== 200 && r.status !== 429 && r.status !== 0).length,
        lost: records.filter((r) => r.status === 0).length,
        resets: records.filter((r) => r.status === 0 && !r.error?.startsWith('no answer within')).length,
        timedOut: records.filter((r) => r.status === 0 && r.error?.startsWith('no answer within') === true).length,
        lostExamples: records
          .filter((r) => r.status === 0)
          .slice(0, 5)
          .map((r) => ({ sentMs: r.sentAt, writtenMs: r.writtenAt - r.sentAt, error: r.error })),
        process: options.burstProcess === true ? 'own' : 'test',
        client: burst.client,
      },
      queue: { bound: options.queueBound, ...queueStats },
      server,
      memory: { baselineRssMB: baseline / MB, peakRssMB: rss.peakRss / MB },
      recovery: { ms: recovery.ms, queueDepthAfter: recovery.queueDepthAfter, normalStatus: recovery.normalStatus, normalDeadlineMet: recovery.normalDeadlineMet },
    };
  } finally {
    agent.destroy();
  }
}
