import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** One HTTP answer as received. `ms`: from the first byte sent to the end of this answer. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  ms: number;
}

/** Everything a request got back: usually one answer; several when raw bytes carried pipelined requests. */
export interface Outcome {
  answers: Answer[];
  /** A transport failure (reset, timeout) when no complete answer arrived. */
  error?: string;
  ms: number;
  /** The first attempt hit a kept-alive socket the server had closed and was retried once. */
  staleRetry?: boolean;
  /** When the request was completely written to its socket (performance.now()); a client-side pool may delay it. */
  writtenAt?: number;
}

/**
 * How a request travels.
 * - `keepalive`: the shared keep-alive agent; the body is sent whole.
 * - `fresh`: its own connection, destroyed after the answer (bodies the server may refuse before reading them).
 * - `stall`: its own connection; only `sendBytes` of the body are written, then nothing (a slow body).
 * - `raw`: the exact bytes of `raw` on a new TCP connection (malformed HTTP), read until the server closes or
 *   the timeout; `halfClose: true` ends the client side after writing (Node's server then drops any request
 *   still being processed, so well-formed raw requests carry `Connection: close` instead).
 */
export interface Shot {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  transport: 'keepalive' | 'fresh' | 'stall' | 'raw';
  raw?: Buffer;
  halfClose?: boolean;
  sendBytes?: number;
}

/**
 * A keep-alive agent for `sockets` concurrent requests (loopback fuzzing and load). The `timeout` matters: only
 * with one set does Node's agent honour the server's `Keep-Alive: timeout=N` hint and retire idle sockets 1 s
 * before the server closes them (otherwise a reused socket can meet the server's close: ECONNRESET).
 */
export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: 120_000 });
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/**
 * Writes a large body in 64 KiB pieces, waiting for 'drain', and stops once an answer has started: a server
 * that refuses a body early (413) then closes, and writing on would turn its answer into EPIPE here.
 */
async function writeUntilAnswered(request: http.ClientRequest, body: Buffer, answered: () => boolean): Promise<void> {
  for (let at = 0; at < body.length && !answered() && !request.destroyed; at += 65_536) {
    if (!request.write(body.subarray(at, at + 65_536))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          request.off('drain', done).off('close', done);
          resolve();
        };
        request.on('drain', done).on('close', done);
      });
    }
  }
  if (!answered() && !request.destroyed) request.end();
}

function viaHttp(origin: URL, agent: http.Agent, shot: Shot, timeoutMs: number, retries = 1): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const own = shot.transport !== 'keepalive';
    let answered = false;
    let writtenAt: number | undefined;
    const finish = (outcome: Omit<Outcome, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (own) request.destroy();
      resolve({ ...outcome, ms: performance.now() - started, ...(writtenAt === undefined ? {} : { writtenAt }) });
    };
    const headers = { ...shot.headers };
    // Frame every body explicitly: Node sends a DELETE/OPTIONS body with neither Content-Length nor chunked
    // framing, which the server rightly reads as the start of the next request (then answering it on a socket
    // the agent has already reused), and a piecewise-written body would otherwise go chunked.
    if (shot.body !== undefined && headers['transfer-encoding'] === undefined) headers['content-length'] ??= String(shot.body.length);
    const request = http.request(
      { host: origin.hostname, port: origin.port, method: shot.method, path: shot.path, headers, agent: own ? false : agent },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = { status: response.statusCode ?? 0, headers: flatHeaders(response.headers), body: Buffer.concat(chunks), ms: performance.now() - started };
          finish({ answers: [answer] });
        });
        response.on('error', (err) => finish({ answers: [], error: `response: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
      },
    );
    request.on('finish', () => (writtenAt = performance.now()));
    request.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      // A kept-alive socket the server closed while idle fails before any answer: HTTP clients retry on a new
      // one (Node's documented `reusedSocket` pattern). Counted by the caller through `staleRetry`.
      if (!own && request.reusedSocket && !answered && !settled && retries > 0) {
        settled = true;
        clearTimeout(timer);
        resolve(viaHttp(origin, agent, shot, timeoutMs, retries - 1).then((o) => ({ ...o, staleRetry: true })));
        return;
      }
      finish({ answers: [], error: code });
    });
    const timer = setTimeout(() => finish({ answers: [], error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    if (shot.transport === 'stall') request.write(shot.body?.subarray(0, shot.sendBytes ?? 0) ?? Buffer.alloc(0));
    else if (shot.transport === 'fresh') void writeUntilAnswered(request, shot.body ?? Buffer.alloc(0), () => answered);
    else request.end(shot.body);
  });
}

/** Splits a byte stream into HTTP/1.1 answers (Content-Length or chunked bodies; otherwise the rest). */
export function parseAnswers(bytes: Buffer, ms: number): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine = '', ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (match === null) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = bytes.subarray(bodyStart, bodyStart + length);
      at = bodyStart + length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) break;
        const size = parseInt(bytes.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        if (!(size > 0)) {
          bodyStart = lineEnd + 4;
          break;
        }
        parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 4 + size;
      }
      body = Buffer.concat(parts);
      at = bodyStart;
    } else {
      body = bytes.subarray(bodyStart);
      at = bytes.length;
    }
    answers.push({ status: Number(match[1]), headers, body: Buffer.from(body), ms });
  }
  return answers;
}

function viaRaw(origin: URL, shot: Shot, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = performance.now() - started;
      const answers = parseAnswers(Buffer.concat(chunks), ms);
      resolve(answers.length > 0 || error === undefined ? { answers, ms } : { answers, error, ms });
    };
    const socket = net.connect(Number(origin.port), origin.hostname, () => {
      if (shot.halfClose === true) socket.end(shot.raw ?? Buffer.alloc(0));
      else socket.write(shot.raw ?? Buffer.alloc(0));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(chunks.length === 0 ? 'closed without an answer' : undefined));
    socket.on('error', (err) => finish((err as NodeJS.ErrnoException).code ?? err.message));
    // Raw exchanges end when the server closes; a kept-alive connection is cut after the timeout.
    const timer = setTimeout(() => finish(`no close within ${timeoutMs} ms`), timeoutMs);
  });
}

/** Sends one shot to `origin` (http://host:port) and collects what came back; never rejects. */
export function send(origin: URL, agent: http.Agent, shot: Shot, timeoutMs: number): Promise<Outcome> {
  return shot.transport === 'raw' ? viaRaw(origin, shot, timeoutMs) : viaHttp(origin, agent, shot, timeoutMs);
}
