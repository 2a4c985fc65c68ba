/**
 * An incremental parser of HTTP/1.1 answers on one connection: status line, headers, and a body framed by
 * Content-Length, chunked transfer encoding, or the connection's close. Bytes may arrive split anywhere.
 */

/** One complete answer. Header names are lower-case; repeated headers are joined with ", ". */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The connection may carry another request after this answer (HTTP/1.1 without `Connection: close`, ...). */
  keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=N` (s): how long it keeps the idle connection open. */
  idleTimeoutS: number | undefined;
}

/** Longest status line + headers accepted (bytes), as Node's default header limit. */
const MAX_HEAD_BYTES = 16 * 1024;
const EMPTY = Buffer.alloc(0);

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; remaining: number; at: 'size' | 'data' | 'data-end' | 'trailer' } | { kind: 'close' };

type Head = Omit<RawAnswer, 'body'>;

function parseHead(text: string): { head: Head; framing: Framing } {
  const lines = text.split('\r\n');
  const match = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (match === null) throw new Error(`bad status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const status = Number(match[2]);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const connection = (headers['connection'] ?? '').toLowerCase();
  let keepAlive = match[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  let framing: Framing;
  if (status < 200 || status === 204 || status === 304) framing = { kind: 'length', remaining: 0 };
  else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) framing = { kind: 'chunked', remaining: 0, at: 'size' };
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`bad Content-Length ${JSON.stringify(headers['content-length'])}`);
    framing = { kind: 'length', remaining: length };
  } else {
    framing = { kind: 'close' };
    keepAlive = false;
  }
  const timeout = /\btimeout=(\d+)/.exec(headers['keep-alive'] ?? '');
  return { head: { status, headers, keepAlive, idleTimeoutS: timeout === null ? undefined : Number(timeout[1]) }, framing };
}

/** Parses the answers of one connection from its bytes, in order. */
export class ResponseParser {
  private buffered: Buffer = EMPTY;
  private head: Head | undefined;
  private framing: Framing = { kind: 'close' };
  private parts: Buffer[] = [];

  /** Some bytes of an answer not yet complete have arrived (or unparsed bytes are waiting). */
  get midAnswer(): boolean {
    return this.head !== undefined || this.buffered.length > 0;
  }

  /** Feeds the connection's next bytes; returns the answers they completed. Throws on malformed HTTP. */
  push(chunk: Buffer): RawAnswer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const answers: RawAnswer[] = [];
    for (;;) {
      const answer = this.step();
      if (answer === 'more') break;
      if (answer !== 'progress') answers.push(answer);
    }
    return answers;
  }

  /** The connection closed: the answer framed by that close, if one was being read; otherwise undefined. */
  end(): RawAnswer | undefined {
    if (this.head === undefined || this.framing.kind !== 'close') return undefined;
    this.parts.push(this.buffered);
    this.buffered = EMPTY;
    return this.complete();
  }

  /** One parsing step: an answer completed, some progress, or 'more' when more bytes are needed. */
  private step(): RawAnswer | 'progress' | 'more' {
    if (this.head === undefined) {
      if (this.buffered.length === 0) return 'more';
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffered.length > MAX_HEAD_BYTES) throw new Error(`head longer than ${MAX_HEAD_BYTES} bytes`);
        return 'more';
      }
      const { head, framing } = parseHead(this.buffered.toString('latin1', 0, end));
      this.buffered = this.buffered.subarray(end + 4);
      // Interim answers (100 Continue) are not the answer: skip them.
      if (head.status < 200 && head.status !== 101) return 'progress';
      this.head = head;
      this.framing = framing;
      return 'progress';
    }
    const framing = this.framing;
    if (framing.kind === 'close') {
      if (this.buffered.length === 0) return 'more';
      this.parts.push(this.buffered);
      this.buffered = EMPTY;
      return 'more';
    }
    if (framing.kind === 'length') {
      const take = Math.min(framing.remaining, this.buffered.length);
      if (take > 0) this.parts.push(this.buffered.subarray(0, take));
      this.buffered = this.buffered.subarray(take);
      framing.remaining -= take;
      return framing.remaining === 0 ? this.complete() : 'more';
    }
    return this.stepChunked(framing);
  }

  private stepChunked(framing: Extract<Framing, { kind: 'chunked' }>): RawAnswer | 'progress' | 'more' {
    if (framing.at === 'data') {
      const take = Math.min(framing.remaining, this.buffered.length);
      if (take === 0) return 'more';
      this.parts.push(this.buffered.subarray(0, take));
      this.buffered = this.buffered.subarray(take);
      framing.remaining -= take;
      if (framing.remaining === 0) framing.at = 'data-end';
      return 'progress';
    }
    const lineEnd = this.buffered.indexOf('\r\n');
    if (lineEnd < 0) {
      if (this.buffered.length > MAX_HEAD_BYTES) throw new Error('chunk line too long');
      return 'more';
    }
    const line = this.buffered.toString('latin1', 0, lineEnd);
    this.buffered = this.buffered.subarray(lineEnd + 2);
    if (framing.at === 'data-end') {
      if (line !== '') throw new Error('chunk data longer than its size');
      framing.at = 'size';
      return 'progress';
    }
    if (framing.at === 'size') {
      const size = parseInt(line.split(';')[0]!.trim(), 16);
      if (!Number.isSafeInteger(size) || size < 0 || !/^[0-9a-f]+$/i.test(line.split(';')[0]!.trim())) throw new Error(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
      framing.remaining = size;
      framing.at = size === 0 ? 'trailer' : 'data';
      return 'progress';
    }
    // Trailer section: header lines until an empty one ends the answer.
    return line === '' ? this.complete() : 'progress';
  }

  private complete(): RawAnswer {
    const head = this.head!;
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.head = undefined;
    this.parts = [];
    this.framing = { kind: 'close' };
    return { ...head, body };
  }
}
