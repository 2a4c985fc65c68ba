/**
 * An open-loop burst from a separate process: POSTs one image `count` times at `ratePerS` to `url` and prints one
 * JSON line with every answer. Run by test/helpers/burst.ts. Out of process because a client sharing the server's
 * main thread throttles its own arrivals and inflates the server's measured main-thread cost per request, so
 * arrival-time load shedding would see a load no real client produces; and because a client sharing a test
 * runner's event loop adds its own waits to every time it measures.
 *
 * Protocol: argv[2] is a JSON `BurstSpec`; the client prints `ready` once set up, waits for a line on stdin (the
 * go signal, so the caller can time the burst's start precisely), then prints one JSON `BurstOutput`.
 *
 * Requests travel through the raw HTTP client (raw-http.ts), which costs the client about half the CPU per request
 * of node:http (and a third of the event-loop busy time), so its own delays add less to the times it stamps. BURST_HTTP=node in the
 * environment sends them through node:http's keep-alive agent instead (to compare the two).
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { keepAliveAgent } from '../reliability/lib/http-client.js';
import { measuredOpenLoop, type ClientLoad, type RequestRecord } from '../reliability/lib/load.js';
import { serializeRequest } from './raw-http.js';
import { rawMeasuredOpenLoop } from './raw-open-loop.js';

export type { ClientLoad } from '../reliability/lib/load.js';

/** What to send: the image travels base64-encoded in the spec. */
export interface BurstSpec {
  url: string;
  count: number;
  ratePerS: number;
  headers: Record<string, string>;
  imageBase64: string;
  /** Also report every request's times and the client's own event-loop delay (`BurstOutput.records`, `.client`). */
  record?: boolean;
}

/** One answer: its status, and the stitch (id, GFLOPs) or the error code of the JSON body. */
export interface BurstAnswer {
  status: number;
  stitchId: number | undefined;
  gflops: number | undefined;
  code: string | undefined;
}

/** A request as the client saw it, times in ms after the burst's start (the go signal); no body. */
export type BurstRecord = Omit<RequestRecord, 'body'>;

export interface BurstOutput {
  answers: BurstAnswer[];
  records?: BurstRecord[];
  client?: ClientLoad;
  achievedRatePerS: number;
}

const ANSWER_TIMEOUT_MS = 60_000;

function answerOf(record: RequestRecord): BurstAnswer {
  let stitch: { id: number; gflops: number } | undefined;
  try {
    stitch = (JSON.parse(record.body?.toString('utf8') ?? '{}') as { stitch?: { id: number; gflops: number } }).stitch;
  } catch {
    stitch = undefined;
  }
  return { status: record.status, stitchId: stitch?.id, gflops: stitch?.gflops, code: record.code ?? record.error };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as BurstSpec;
const url = new URL(spec.url);
const body = Buffer.from(spec.imageBase64, 'base64');
const viaNodeHttp = process.env['BURST_HTTP'] === 'node';
const agent = keepAliveAgent(spec.count);
const request = serializeRequest(url, 'POST', url.pathname + url.search, spec.headers, body);
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const start = performance.now();
const cpuBefore = process.cpuUsage();
const shot = () => ({ method: 'POST', path: url.pathname + url.search, headers: spec.headers, body, transport: 'keepalive' as const });
const { records, achievedRatePerS, client } = viaNodeHttp
  ? await measuredOpenLoop(url, agent, spec.ratePerS, (1000 * spec.count) / spec.ratePerS, shot, ANSWER_TIMEOUT_MS)
  : await rawMeasuredOpenLoop(url, request, spec.ratePerS, spec.count, ANSWER_TIMEOUT_MS);
if (process.env['BURST_CPU'] === '1') {
  // For comparing clients: CPU the whole client process spent on the burst (all threads), per request sent.
  const { user, system } = process.cpuUsage(cpuBefore);
  const loop = client.loopDelayMs;
  process.stderr.write(`# burst client cpu (${viaNodeHttp ? 'node:http' : 'raw'}): ${((user + system) / records.length).toFixed(0)} µs/request (user ${(user / records.length).toFixed(0)}, system ${(system / records.length).toFixed(0)}) over ${records.length} requests, ${(100 * client.utilization).toFixed(0)} % busy, loop delay p50 ${loop.p50.toFixed(1)} / p99 ${loop.p99.toFixed(1)} ms\n`);
}
const output: BurstOutput = { answers: records.map(answerOf), achievedRatePerS };
if (spec.record === true) {
  output.client = client;
  output.records = records.map(({ body: _body, ...r }) => ({ ...r, sentAt: r.sentAt - start, writtenAt: r.writtenAt - start, doneAt: r.doneAt - start }));
}
// Exit only once the output is written: a large one does not fit the pipe at once, and exit would cut it.
process.stdout.write(`${JSON.stringify(output)}\n`, () => process.exit(0));
