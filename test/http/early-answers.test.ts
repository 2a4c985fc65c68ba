/**
 * Early answers (sent before the request body was read) and their connections: a declared length over the limit
 * is refused with 413 at once even when the client then stalls (R9, it used to be read for up to 2 s first, so a
 * stalled client met the body timeout: 408), a client still sending after the answer reads it before the
 * server closes (lingering close, R5), and a refusal with a small unread body keeps its connection alive.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { startApp, type RunningApp } from '../helpers/app.js';
import { parseAnswers, type Answer } from '../reliability/lib/http-client.js';

const LIMIT = 65_536;
const BODY_TIMEOUT_MS = 10_000;

/** A raw client connection that collects what the server sends and when. */
interface RawClient {
  socket: Socket;
  /** Answers received so far (parsed from every byte received). */
  answers(): Answer[];
  /** Resolves once `count` complete answers arrived, with the time of the last byte (performance.now()). */
  waitForAnswers(count: number, timeoutMs: number): Promise<number>;
  /** Resolves when the server closed or reset the connection: the error code, or 'closed'. */
  closed: Promise<string>;
  /** Resolves when the server ended its side (FIN). */
  ended: Promise<void>;
}

function rawClient(url: string, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
  const port = Number(new URL(url).port);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let lastByteAt = 0;
    let error = 'closed';
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
    const closed = new Promise<string>((done) => socket.once('close', () => done(error)));
    const ended = new Promise<void>((done) => socket.once('end', done));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      lastByteAt = performance.now();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    const answers = () => parseAnswers(Buffer.concat(chunks), 0).filter((a) => a.headers['content-length'] === undefined || a.body.length === Number(a.headers['content-length']));
    const waitForAnswers = async (count: number, timeoutMs: number): Promise<number> => {
      const deadline = performance.now() + timeoutMs;
      while (answers().length < count) {
        if (performance.now() > deadline || socket.destroyed) throw new Error(`${answers().length} of ${count} answers (${error}): ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      return lastByteAt;
    };
    socket.once('connect', () => resolve({ socket, answers, waitForAnswers, closed, ended }));
    socket.once('error', reject);
  });
}

function head(path: string, contentLength: number, type = 'image/jpeg'): string {
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

function codeOf(answer: Answer): string | undefined {
  const body = JSON.parse(answer.body.toString()) as { error: { code: string } | string; code?: string };
  return typeof body.error === 'string' ? body.code : body.error.code;
}

describe(`early answers (${LIMIT} B bodies, ${BODY_TIMEOUT_MS / 1000} s body timeout)`, () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null, { limits: { bodyBytes: LIMIT }, server: { bodyTimeoutMs: BODY_TIMEOUT_MS }, logging: { level: 'warn' } });
  });
  after(() => s.app.close());

  test('R9: a stalled client that declares too much gets 413 BODY_TOO_LARGE at once, then the connection closes', async () => {
    const cases: [string, number, string][] = [
      ['/v1/classify', LIMIT + 1, 'image/jpeg'],
      ['/v1/segment', 10 * LIMIT, 'image/png'],
      ['/v1/classify', 2 ** 40, 'image/jpeg'],
      ['/v2/models/tiny-v2/infer', Number.MAX_SAFE_INTEGER, 'application/json'],
    ];
    for (const [path, declared, type] of cases) {
      const client = await rawClient(s.url);
      const sentAt = performance.now();
      client.socket.write(`${head(path, declared, type)}${'x'.repeat(100)}`);
      const answeredAt = await client.waitForAnswers(1, BODY_TIMEOUT_MS);
      const [answer] = client.answers();
      assert.equal(answer!.status, 413, `${path} declaring ${declared}`);
      assert.equal(codeOf(answer!), 'BODY_TOO_LARGE');
      assert.equal(answer!.headers['connection'], 'close');
      // Before the fix the answer came after the 2 s drain (or a 408 when the body timeout came first).
      assert.ok(answeredAt - sentAt < BODY_TIMEOUT_MS / 10, `answered after ${(answeredAt - sentAt).toFixed(0)} ms, not at once`);
      assert.equal(await client.closed, 'closed', 'the server closes cleanly (this client half-closes on its FIN)');
    }
  });

  test('lingering close: after its 413 and FIN the server still reads what the client sends (no reset), up to a bound', async () => {
    const chunk = Buffer.alloc(16_384, 1);
    for (let attempt = 0; attempt < 3; attempt++) {
      // Half-open: this client keeps sending after the server's FIN, as one streaming a large upload does.
      const client = await rawClient(s.url, { allowHalfOpen: true });
      client.socket.write(head('/v1/classify', 100 * LIMIT));
      await client.waitForAnswers(1, BODY_TIMEOUT_MS);
      await client.ended;
      assert.equal(client.answers()[0]!.status, 413);
      // Up to the limit more: a server that closed at once would answer these bytes with a reset (EPIPE here).
      for (let sent = 0; sent < LIMIT; sent += chunk.length) client.socket.write(chunk);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(client.socket.destroyed, false, `attempt ${attempt}: the server read on instead of resetting`);
      // Then on and on: the server stops reading after a bounded amount (2 × the limit) and closes.
      let sent = LIMIT;
      while (!client.socket.destroyed && sent < 100 * LIMIT) {
        if (!client.socket.write(chunk)) await new Promise((r) => client.socket.once('drain', r).once('close', r));
        sent += chunk.length;
      }
      await client.closed;
      assert.ok(sent < 100 * LIMIT, `attempt ${attempt}: the server stopped reading (${sent} bytes sent)`);
    }
  });

  test('an early refusal with a small unread body is answered at once and keeps its connection alive', async (t) => {
    // Not started: task requests are refused at arrival (503 NOT_READY) before their body is read.
    const idle = await startApp(t, { limits: { bodyBytes: LIMIT }, server: { bodyTimeoutMs: BODY_TIMEOUT_MS } }, { start: false });
    const client = await rawClient(idle.url);
    const sentAt = performance.now();
    client.socket.write(`${head('/v1/classify', 1000)}${'x'.repeat(100)}`);
    const answeredAt = await client.waitForAnswers(1, BODY_TIMEOUT_MS);
    assert.ok(answeredAt - sentAt < BODY_TIMEOUT_MS / 10, 'answered before the rest of the body was sent');
    const [refusal] = client.answers();
    assert.equal(refusal!.status, 503);
    assert.equal(codeOf(refusal!), 'NOT_READY');
    assert.equal(refusal!.headers['connection'], 'keep-alive');
    // The rest of the body, then a second request on the same connection.
    client.socket.write(`${'x'.repeat(900)}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    await client.waitForAnswers(2, BODY_TIMEOUT_MS);
    assert.equal(client.answers()[1]!.status, 200, 'the connection served the next request');
    client.socket.destroy();
  });
});
