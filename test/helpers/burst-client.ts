/**
 * An open-loop burst from a separate process: POSTs one image `count` times at `ratePerS` to `url` and prints one
 * JSON line with every answer. Run by test/helpers/burst.ts. Out of process because a client sharing the server's
 * main thread throttles its own arrivals and inflates the server's measured main-thread cost per request, so
 * arrival-time load shedding would see a load no real client produces.
 *
 * Protocol: argv[2] is a JSON `BurstSpec`; the client prints `ready` once set up, waits for a line on stdin (the
 * go signal, so the caller can time the burst's start precisely), then prints the JSON array of answers.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { once } from 'node:events';

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

async function send(spec: BurstSpec, body: Uint8Array): Promise<BurstAnswer> {
  try {
    const response = await fetch(spec.url, { method: 'POST', headers: spec.headers, body });
    const json = (await response.json()) as { stitch?: { id: number; gflops: number }; error?: { code: string } };
    return { status: response.status, stitchId: json.stitch?.id, gflops: json.stitch?.gflops, code: json.error?.code };
  } catch (err) {
    return { status: 0, stitchId: undefined, gflops: undefined, code: (err as Error).message };
  }
}

const spec = JSON.parse(process.argv[2] ?? '{}') as BurstSpec;
const body = Uint8Array.from(Buffer.from(spec.imageBase64, 'base64'));
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const gapMs = 1000 / spec.ratePerS;
const answers = await Promise.all(Array.from({ length: spec.count }, (_, i) => delay(i * gapMs).then(() => send(spec, body))));
process.stdout.write(`${JSON.stringify(answers)}\n`);
process.exit(0);
