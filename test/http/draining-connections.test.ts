/**
 * Connections during a graceful drain (R10): once draining, every answer carries `Connection: close`, so a client
 * reusing a kept-alive connection gets its answer (503 DRAINING, or 200 for probes) and then opens a new
 * connection instead of sending on one the server is about to close; connections idle since before the drain
 * are closed after the listener stops (a connection accepted just before is answered first), and new ones are
 * refused.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { stopAccepting } from '../../src/graceful-close.js';
import { startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';

interface Exchange {
  status: number;
  connection: string | undefined;
  code: string | undefined;
  /** The request went out on a kept-alive connection of the agent. */
  reused: boolean;
}

function exchange(url: string, agent: http.Agent, method: string, path: string, body?: Buffer): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'image/jpeg', 'content-length': String(body.length) };
    const request = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const code = response.statusCode === 200 ? undefined : (JSON.parse(text) as { error: { code: string } }).error.code;
        resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, code, reused: request.reusedSocket });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A raw connection: what the server sent, and how the connection ended ('closed' or the error code). */
function rawConnection(url: string): Promise<{ socket: Socket; received(): string; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    let received = '';
    let ending = 'closed';
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (ending = err.code ?? err.message));
    const closed = new Promise<string>((done) => socket.once('close', () => done(ending)));
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

test('R10: while draining every answer closes its connection; the listener stops, then idle connections close', async (t) => {
  const s = await startApp(t, { logging: { level: 'warn' } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());
  const jpeg = fixtureImage('scene.jpg');
  const parallel = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

  // Four kept-alive connections before the drain, and one more left idle on a raw socket.
  const warm = await parallel(4, () => exchange(s.url, agent, 'POST', '/v1/classify', jpeg));
  assert.deepEqual(warm.map((e) => [e.status, e.connection]), Array(4).fill([200, 'keep-alive']));
  const idle = connect(Number(new URL(s.url).port), '127.0.0.1');
  let idleReceived = '';
  idle.on('data', (chunk: Buffer) => (idleReceived += chunk.toString()));
  const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
  idle.on('error', () => undefined);
  idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  while (!idleReceived.includes('"status"')) await new Promise((r) => setTimeout(r, 5));
  assert.match(idleReceived, /^HTTP\/1\.1 200 [^]*Connection: keep-alive/i);

  await s.app.services.drain();
  // Requests on the kept-alive connections are answered (no reset), each with Connection: close.
  const refused = await parallel(4, () => exchange(s.url, agent, 'POST', '/v1/classify', jpeg));
  assert.ok(refused.every((e) => e.reused), 'sent on the connections kept alive before the drain');
  assert.deepEqual(refused.map((e) => [e.status, e.code, e.connection]), Array(4).fill([503, 'DRAINING', 'close']));
  // So the next requests go out on new connections, and probes are told to close too.
  const probes = await parallel(2, () => exchange(s.url, agent, 'GET', '/readyz'));
  assert.deepEqual(probes.map((e) => [e.status, e.code, e.connection, e.reused]), Array(2).fill([503, 'DRAINING', 'close', false]));
  const live = await exchange(s.url, agent, 'GET', '/healthz');
  assert.deepEqual([live.status, live.connection, live.reused], [200, 'close', false]);

  // The listener stops: the connection idle since before the drain is closed with nothing more written to it; one
  // accepted just before, whose request was still on its way, is answered (Connection: close) instead of reset;
  // new connections are refused.
  const late = await rawConnection(s.url);
  const stopping = stopAccepting(s.app.server, 50);
  while (s.app.server.listening) await new Promise((r) => setTimeout(r, 5));
  await idleClosed;
  late.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await late.closed, 'closed');
  await stopping;
  assert.match(late.received(), /^HTTP\/1\.1 503 [^]*Connection: close[^]*"code":"DRAINING"/i);
  assert.doesNotMatch(idleReceived.slice(idleReceived.indexOf('"status"')), /HTTP\/1\.1/, 'no other answer on the idle connection');
  await assert.rejects(exchange(s.url, agent, 'GET', '/healthz'), /ECONNREFUSED/);
});
