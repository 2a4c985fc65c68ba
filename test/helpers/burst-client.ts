/**
 * An open-loop burst from a separate process: POSTs one image `count` times at `ratePerS` to `url` and prints one
 * JSON line with every answer. Run by test/helpers/burst.ts. Out of process because a client sharing the server's
 * main thread throttles its own arrivals and inflates the server's measured main-thread cost per request, so
 * arrival-time load shedding would see a load no real client produces.
 *
 * Protocol: argv[2] is a JSON `BurstSpec`; the client prints `ready` once set up, waits for a line on stdin (the
 * go signal, so the caller can time the burst's start precisely), then prints the JSON array of answers.
 */
import { once } from 'node:events';
import { keepAliveAgent } from '../reliability/lib/http-client.js';
import { openLoop, type RequestRecord } from '../reliability/lib/load.js';

/** What to send: the image travels base64-encoded in the spec. */
export interface BurstSpec {
  url: string;
  count: number;
  ratePerS: number;
  headers: Record<string, string>;
  imageBase64: string;
}

/** One answer: its status, and the stitch (id, GFLOPs) or the error code of the JSON body. */
export interface BurstAnswer {
  status: number;
  stitchId: number | undefined;
  gflops: number | undefined;
  code: string | undefined;
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
const agent = keepAliveAgent(spec.count);
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const shot = () => ({ method: 'POST', path: url.pathname + url.search, headers: spec.headers, body, transport: 'keepalive' as const });
const { records } = await openLoop(url, agent, spec.ratePerS, (1000 * spec.count) / spec.ratePerS, shot, ANSWER_TIMEOUT_MS);
process.stdout.write(`${JSON.stringify(records.map(answerOf))}\n`);
process.exit(0);
