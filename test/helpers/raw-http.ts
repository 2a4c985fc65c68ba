/**
 * A minimal HTTP/1.1 client over node:net for one job: sending the same pre-serialised request many times, as
 * cheaply as possible in the client's own CPU (a load generator that is busy itself adds its own delays to the
 * times it measures). No streams, no per-request listeners: each connection carries one parser and one set of
 * listeners for its whole life.
 *
 * Pool semantics match a keep-alive `http.Agent` with unlimited sockets: a request takes an idle kept-alive
 * connection when there is one (most recently freed first) and otherwise opens a new one; it never waits behind
 * another request. A connection is reused only after a complete answer that lets it stay open.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseParser, type RawAnswer } from './raw-http-parser.js';

export { ResponseParser, type RawAnswer } from './raw-http-parser.js';

/** What one request got: the answer, or a transport error when no complete answer arrived. */
export interface RawOutcome {
  answer: RawAnswer | undefined;
  /** Why there is no answer (an errno code such as ECONNRESET, or a timeout message). */
  error: string | undefined;
  /** When the request's bytes were handed to the kernel (performance.now(), ms); undefined if never. */
  writtenAt: number | undefined;
  /** The first attempt met a kept-alive connection the server had closed and was sent once more. */
  staleRetry: boolean;
}

/**
 * One request serialised once: request line, `Host`, the given headers, `Content-Length` and
 * `Connection: keep-alive`, then the body. Throws on a CR/LF in a header (it would split the request).
 */
export function serializeRequest(origin: URL, method: string, path: string, headers: Record<string, string>, body: Buffer = Buffer.alloc(0)): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`];
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!given.has('host')) lines.push(`Host: ${origin.host}`);
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n:]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${JSON.stringify(name)} has a line break or colon in it`);
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'connection') continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`, 'Connection: keep-alive', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** Called once per request, with its outcome. */
type Done = (outcome: RawOutcome) => void;

/** A request on its way: what to send, and whom to tell. */
interface Exchange {
  request: Buffer;
  done: Done;
  writtenAt: number | undefined;
  timer: NodeJS.Timeout;
  retriesLeft: number;
  staleRetry: boolean;
  /** The connection carrying it now. */
  connection: Connection | undefined;
}

/** Idle kept-alive connections are retired this long before the server's announced idle timeout (as Agent does). */
const IDLE_MARGIN_MS = 1000;

/** One TCP connection with its parser; carries at most one exchange at a time. */
class Connection {
  readonly socket: net.Socket;
  readonly parser = new ResponseParser();
  exchange: Exchange | undefined;
  /** Complete answers received on this connection. */
  served = 0;
  /** Reuse only before this (performance.now() ms), from the server's `Keep-Alive: timeout=N`. */
  reusableUntil = Number.POSITIVE_INFINITY;
  closed = false;
  private socketError: string | undefined;

  constructor(
    private readonly pool: RawHttpClient,
    host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.socketError = err.code ?? err.message));
    this.socket.on('close', () => this.onClose());
  }

  start(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.socket.write(exchange.request, (err) => {
      if (err === undefined || err === null) exchange.writtenAt = performance.now();
    });
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    // Bytes on an idle connection (say, a timeout answer) belong to no request, and it cannot be reused.
    if (exchange === undefined) {
      this.socket.destroy();
      return;
    }
    let answers: RawAnswer[];
    try {
      answers = this.parser.push(chunk);
    } catch (err) {
      this.fail(`malformed answer: ${(err as Error).message}`);
      return;
    }
    if (answers.length === 0) return;
    const [answer] = answers as [RawAnswer];
    // Bytes nobody asked for (a second answer) leave the connection in an unknown state: do not reuse it.
    if (answers.length > 1 || this.parser.midAnswer) this.socket.destroy();
    this.served++;
    this.exchange = undefined;
    if (!this.socket.destroyed && answer.keepAlive) {
      if (answer.idleTimeoutS !== undefined) this.reusableUntil = performance.now() + answer.idleTimeoutS * 1000 - IDLE_MARGIN_MS;
      this.pool.release(this);
    } else {
      this.socket.destroy();
    }
    this.pool.settle(exchange, { answer, error: undefined, writtenAt: exchange.writtenAt, staleRetry: exchange.staleRetry });
  }

  private onClose(): void {
    this.closed = true;
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    const last = this.parser.end();
    if (last !== undefined) {
      this.pool.settle(exchange, { answer: last, error: undefined, writtenAt: exchange.writtenAt, staleRetry: exchange.staleRetry });
      return;
    }
    // A kept-alive connection the server closed while it was idle fails before any answer byte: send once more
    // on another connection (Node's `reusedSocket` rule, as the node:http client in http-client.ts does).
    if (this.served > 0 && !this.parser.midAnswer && exchange.retriesLeft > 0) {
      this.pool.retry(exchange);
      return;
    }
    // node:http reports a close before the answer ("socket hang up") as ECONNRESET; keep the same label.
    this.pool.settle(exchange, { answer: undefined, error: this.socketError ?? 'ECONNRESET', writtenAt: exchange.writtenAt, staleRetry: exchange.staleRetry });
  }

  /** Ends the exchange with `error` and drops the connection. */
  fail(error: string): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    if (exchange !== undefined) this.pool.settle(exchange, { answer: undefined, error, writtenAt: exchange.writtenAt, staleRetry: exchange.staleRetry });
  }
}

/** A pool of keep-alive connections to one origin (http only). */
export class RawHttpClient {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;
  /** Connections opened so far (for tests and diagnostics). */
  connectionsOpened = 0;

  /** `timeoutMs`: a request without a complete answer this long after it was sent fails (its connection is dropped). */
  constructor(
    origin: URL,
    private readonly timeoutMs: number,
  ) {
    if (origin.protocol !== 'http:') throw new Error(`raw-http speaks plain http only, not ${origin.protocol}`);
    this.host = origin.hostname;
    this.port = Number(origin.port || 80);
  }

  /** Sends `request` (a complete serialised request, see `serializeRequest`); `done` is called exactly once. */
  send(request: Buffer, done: Done): void {
    const exchange: Exchange = { request, done, writtenAt: undefined, timer: undefined as unknown as NodeJS.Timeout, retriesLeft: 1, staleRetry: false, connection: undefined };
    exchange.timer = setTimeout(() => this.timeOut(exchange), this.timeoutMs);
    this.connectionFor().start(exchange);
  }

  /** `send` as a promise. */
  request(request: Buffer): Promise<RawOutcome> {
    return new Promise((resolve) => this.send(request, resolve));
  }

  /** Destroys every connection; requests still in flight fail. */
  close(): void {
    for (const connection of this.open) connection.fail('client closed');
    this.idle.length = 0;
  }

  /** @internal A connection finished its answer and may carry the next request. */
  release(connection: Connection): void {
    this.idle.push(connection);
  }

  /** @internal Reports an exchange's outcome once. */
  settle(exchange: Exchange, outcome: RawOutcome): void {
    clearTimeout(exchange.timer);
    exchange.done(outcome);
  }

  /** @internal Sends an exchange once more, counting the retry. */
  retry(exchange: Exchange): void {
    exchange.retriesLeft--;
    exchange.staleRetry = true;
    exchange.writtenAt = undefined;
    this.connectionFor().start(exchange);
  }

  private connectionFor(): Connection {
    const now = performance.now();
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (connection.closed || connection.socket.destroyed) continue;
      if (now < connection.reusableUntil) return connection;
      connection.socket.destroy();
    }
    const connection = new Connection(this, this.host, this.port);
    this.connectionsOpened++;
    this.open.add(connection);
    connection.socket.once('close', () => this.open.delete(connection));
    return connection;
  }

  private timeOut(exchange: Exchange): void {
    if (exchange.connection?.exchange === exchange) exchange.connection.fail(`no answer within ${this.timeoutMs} ms`);
  }
}
