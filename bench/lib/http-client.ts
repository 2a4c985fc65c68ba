import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** One answered HTTP request as a benchmark sees it. Times in ms. */
export interface HttpSample {
  status: number;
  /** performance.now() when the request was due (open loop) or sent (closed loop). */
  sentAt: number;
  /** From `sentAt` to the last byte of the response. */
  latencyMs: number;
  /** Server-Timing entries (preprocess, queue, inference, postprocess, total), ms; empty on errors. */
  timing: Record<string, number>;
  /** x-stitch-id, x-batch-size, x-deadline-met when present. */
  stitchId: number | null;
  batchSize: number | null;
  serverDeadlineMet: boolean | null;
  /** The error code of a non-200 JSON answer, or the socket error. */
  error: string | null;
}

/** `preprocess;dur=1.20, queue;dur=0.01` → { preprocess: 1.2, queue: 0.01 }. */
export function parseServerTiming(header: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*([\w-]+)\s*;.*dur=([\d.]+)/.exec(part);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

/**
 * POSTs bodies to one server over keep-alive connections (loopback). `maxSockets` bounds the connections;
 * an open-loop generator must give it enough for every request that can be outstanding at once.
 */
export class BenchClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 256) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /**
   * Sends one request; `sentAt` defaults to now (pass the scheduled time to avoid coordinated omission).
   * With `timeoutMs` > 0 a request still unanswered after that long is abandoned (error CLIENT_TIMEOUT).
   */
  post(pathAndQuery: string, body: Buffer, headers: Record<string, string>, sentAt = performance.now(), timeoutMs = 0): Promise<HttpSample> {
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method: 'POST',
          path: pathAndQuery,
          agent: this.agent,
          headers: { 'content-length': String(body.length), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const latencyMs = performance.now() - sentAt;
            const status = res.statusCode ?? 0;
            const num = (name: string) => (res.headers[name] === undefined ? null : Number(res.headers[name]));
            const met = res.headers['x-deadline-met'];
            resolve({
              status,
              sentAt,
              latencyMs,
              timing: parseServerTiming(res.headers['server-timing'] as string | undefined),
              stitchId: num('x-stitch-id'),
              batchSize: num('x-batch-size'),
              serverDeadlineMet: met === undefined ? null : met === 'true',
              error: status === 200 ? null : errorCode(Buffer.concat(chunks)),
            });
          });
        },
      );
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'CLIENT_TIMEOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) =>
        resolve({ status: 0, sentAt, latencyMs: performance.now() - sentAt, timing: {}, stitchId: null, batchSize: null, serverDeadlineMet: null, error: err.code ?? err.message }),
      );
      req.end(body);
    });
  }

  async getJson<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(new URL(pathAndQuery, this.base));
    if (!res.ok) throw new Error(`GET ${pathAndQuery}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

function errorCode(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code ?? 'HTTP_ERROR');
  } catch {
    return 'HTTP_ERROR';
  }
}
