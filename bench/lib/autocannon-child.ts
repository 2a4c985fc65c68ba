/**
 * Child-process entry for one autocannon window: POSTs a binary body file (the autocannon CLI reads `-i` files
 * as UTF-8 text, which corrupts JPEGs, so the library is driven here with a Buffer). Prints autocannon's
 * result as one JSON line. Usage: tsx bench/lib/autocannon-child.ts '{"url","bodyFile","contentType","connections","seconds"}'
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Options {
  url: string;
  bodyFile: string;
  contentType: string;
  connections: number;
  seconds: number;
}

/** The part of autocannon's (untyped) API used here. */
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}) => Promise<unknown>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const options = JSON.parse(process.argv[2] ?? '{}') as Options;
autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  method: 'POST',
  // A generous deadline: this measures peak throughput, so nothing may be refused for lateness.
  headers: { 'content-type': options.contentType, 'x-latency-budget-ms': '600000' },
  body: readFileSync(options.bodyFile),
}).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
