/**
 * The raw HTTP client of the burst process (raw-http.ts, raw-http-parser.ts) against a real node:http server on
 * loopback: keep-alive reuse, `Connection: close`, chunked bodies, answers split into pieces, a reset in the
 * middle of an answer, a kept-alive connection the server closed while idle, and the parser on split bytes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RawHttpClient, ResponseParser, serializeRequest } from './raw-http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('raw HTTP client against node:http', () => {
  let server: http.Server;
  let origin: URL;
  const seen: { path: string; body: string; socket: net.Socket }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ path: req.url ?? '', body, socket: req.socket });
        const path = req.url ?? '';
        if (path === '/close') {
          res.writeHead(429, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' });
          res.end(JSON.stringify({ error: { code: 'QUEUE_FULL' } }));
        } else if (path === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('hello, ');
          setTimeout(() => res.end('chunked world'), 20);
        } else if (path === '/split') {
          // Head and body in separate pieces, the body in two, with pauses so they arrive apart.
          const payload = Buffer.from(JSON.stringify({ stitch: { id: 3, gflops: 1.5 }, echo: body }));
          res.writeHead(200, { 'content-length': payload.length, 'server-timing': 'total;dur=12.5' });
          res.flushHeaders();
          setTimeout(() => res.write(payload.subarray(0, 5)), 20);
          setTimeout(() => res.end(payload.subarray(5)), 40);
        } else if (path === '/reset') {
          res.writeHead(200, { 'content-length': 100 });
          res.write('only part of it');
          setTimeout(() => req.socket.destroy(), 20);
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'x-deadline-met': 'true' });
          res.end(JSON.stringify({ ok: true, path, body }));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const post = (path: string, body = 'payload') => serializeRequest(origin, 'POST', path, { 'content-type': 'text/plain', 'x-deadline-ms': '500' }, Buffer.from(body));

  test('sends the request whole and reuses the kept-alive connection for the next one', async () => {
    const client = new RawHttpClient(origin, 5_000);
    const first = await client.request(post('/a', 'one'));
    const second = await client.request(post('/b', 'two'));
    client.close();
    for (const [outcome, path, body] of [[first, '/a', 'one'], [second, '/b', 'two']] as const) {
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.answer?.status, 200);
      assert.deepEqual(JSON.parse(outcome.answer!.body.toString('utf8')), { ok: true, path, body });
      assert.equal(outcome.answer?.headers['x-deadline-met'], 'true');
      assert.ok(outcome.writtenAt !== undefined && outcome.writtenAt > 0);
    }
    assert.equal(client.connectionsOpened, 1);
    assert.equal(seen.at(-1)!.socket, seen.at(-2)!.socket, 'same server-side socket');
  });

  test('never queues: concurrent requests each get their own connection', async () => {
    const client = new RawHttpClient(origin, 5_000);
    const outcomes = await Promise.all([1, 2, 3, 4].map((i) => client.request(post(`/c${i}`))));
    client.close();
    assert.deepEqual(outcomes.map((o) => o.answer?.status), [200, 200, 200, 200]);
    assert.equal(client.connectionsOpened, 4);
  });

  test('does not reuse a connection the server answered with Connection: close', async () => {
    const client = new RawHttpClient(origin, 5_000);
    const refused = await client.request(post('/close'));
    assert.equal(refused.answer?.status, 429);
    assert.equal(refused.answer?.keepAlive, false);
    assert.equal(refused.answer?.headers['retry-after'], '1');
    const next = await client.request(post('/after-close'));
    client.close();
    assert.equal(next.answer?.status, 200);
    assert.equal(client.connectionsOpened, 2);
  });

  test('reads chunked bodies and answers split across packets', async () => {
    const client = new RawHttpClient(origin, 5_000);
    const chunked = await client.request(post('/chunked'));
    const split = await client.request(post('/split', 'xyz'));
    client.close();
    assert.equal(chunked.answer?.body.toString('utf8'), 'hello, chunked world');
    assert.equal(chunked.answer?.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(JSON.parse(split.answer!.body.toString('utf8')), { stitch: { id: 3, gflops: 1.5 }, echo: 'xyz' });
    assert.equal(split.answer?.headers['server-timing'], 'total;dur=12.5');
    assert.equal(client.connectionsOpened, 1, 'both answers were complete, so the connection was reused');
  });

  test('a reset in the middle of an answer is an error with no answer', async () => {
    const client = new RawHttpClient(origin, 5_000);
    const outcome = await client.request(post('/reset'));
    client.close();
    assert.equal(outcome.answer, undefined);
    assert.match(outcome.error ?? '', /^E[A-Z]+$/);
    assert.equal(outcome.staleRetry, false);
  });

  test('a kept-alive connection closed by the server while idle is retried once on a new one', async () => {
    const client = new RawHttpClient(origin, 5_000);
    await client.request(post('/warm'));
    seen.at(-1)!.socket.destroy();
    await sleep(50);
    // The idle connection saw its close and is skipped; kill the next one just before it is reused instead.
    const warm = await client.request(post('/warm2'));
    assert.equal(warm.answer?.status, 200);
    assert.equal(warm.staleRetry, false);
    const stale = client.request(post('/stale'));
    seen.at(-1)!.socket.destroy();
    const outcome = await stale;
    client.close();
    assert.equal(outcome.answer?.status, 200);
    assert.equal(outcome.answer?.body.toString('utf8').includes('/stale'), true);
    assert.equal(outcome.staleRetry, true);
  });

  test('a request without an answer in time fails with a timeout', async () => {
    const silent = http.createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentOrigin = new URL(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
    const client = new RawHttpClient(silentOrigin, 100);
    const outcome = await client.request(serializeRequest(silentOrigin, 'POST', '/', {}, Buffer.from('x')));
    silent.closeAllConnections();
    silent.close();
    assert.equal(outcome.error, 'no answer within 100 ms');
  });
});

describe('ResponseParser', () => {
  const wire = Buffer.from(
    'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=72\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\nhello' +
      'HTTP/1.1 204 No Content\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n' +
      'HTTP/1.0 200 OK\r\n\r\nuntil close',
  );

  test('gives the same answers however the bytes are split', () => {
    for (let size = 1; size <= wire.length; size += size < 8 ? 1 : 7) {
      const parser = new ResponseParser();
      const answers = [];
      for (let at = 0; at < wire.length; at += size) answers.push(...parser.push(wire.subarray(at, at + size)));
      const last = parser.end();
      assert.ok(last !== undefined, `split ${size}`);
      answers.push(last);
      assert.deepEqual(
        answers.map((a) => [a.status, a.body.toString('latin1'), a.keepAlive]),
        [
          [200, 'hello', true],
          [204, '', true],
          [200, 'abcde', true],
          [200, 'until close', false],
        ],
        `split ${size}`,
      );
      assert.equal(answers[0]!.idleTimeoutS, 72);
      assert.equal(answers[0]!.headers['set-cookie'], 'a, b');
    }
  });

  test('refuses what is not HTTP', () => {
    assert.throws(() => new ResponseParser().push(Buffer.from('SSH-2.0-x\r\n\r\n')), /bad status line/);
    assert.throws(() => new ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')), /bad Content-Length/);
    assert.throws(() => new ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), /bad chunk size/);
  });

  test('serializeRequest refuses header injection', () => {
    assert.throws(() => serializeRequest(new URL('http://h:1'), 'POST', '/', { 'x-a': 'b\r\nx-evil: 1' }), /line break/);
  });
});
