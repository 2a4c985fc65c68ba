import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ServiceError } from '../../src/errors.js';
import { errorOf, postImage, postJson, startApp, TINY_BUNDLE, type RunningApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';

/** Asserts a documented error answer: status, code, JSON body, Retry-After on 429/503, no internals. */
async function expectError(response: Response | Promise<Response>, status: number, code: string): Promise<string> {
  const r = await response;
  const text = await r.clone().text();
  assert.equal(r.status, status, `${code}: ${text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const error = await errorOf(r);
  assert.equal(error.code, code);
  assert.ok(error.message.length > 10, 'the message says what to fix');
  assert.doesNotMatch(text, /\/work\/|node_modules|\bat \w+ \(|\.ts:\d+/, 'no paths or stack traces');
  if (status === 429 || status === 503) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After on 429/503');
  return error.message;
}

function multipart(field: string, files = 1): FormData {
  const form = new FormData();
  for (let i = 0; i < files; i++) form.append(field, new Blob([new Uint8Array(fixtureImage('scene.jpg'))], { type: 'image/jpeg' }), `f${i}.jpg`);
  return form;
}

describe('request errors (limits: 4 KiB bodies, 1 s body timeout)', () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null, { limits: { bodyBytes: 4096 }, server: { bodyTimeoutMs: 1000 } });
  });
  after(() => s.app.close());
  const post = (path: string, body: Buffer, type = 'image/jpeg', headers: Record<string, string> = {}) => postImage(s.url, path, body, type, headers);

  test('400 INVALID_PARAMETER: schema violations and config-bounded values name the parameter', async () => {
    const jpg = fixtureImage('scene.jpg');
    assert.match(await expectError(post('/v1/classify?top_k=0', jpg), 400, 'INVALID_PARAMETER'), /top_k must be >= 1/);
    assert.match(await expectError(post('/v1/classify?topk=3', jpg), 400, 'INVALID_PARAMETER'), /unknown querystring parameter 'topk'/);
    assert.match(await expectError(post('/v1/classify?quality=turbo', jpg), 400, 'INVALID_PARAMETER'), /quality must be fast, balanced, accurate/);
    assert.match(await expectError(post('/v1/classify?sla_ms=99999999', jpg), 400, 'INVALID_PARAMETER'), /sla_ms must be a number of milliseconds in \[1, 60000\]/);
    assert.match(await expectError(post('/v1/classify', jpg, 'image/jpeg', { 'x-latency-budget-ms': 'soon' }), 400, 'INVALID_PARAMETER'), /X-Latency-Budget-Ms/);
    assert.match(await expectError(post('/v1/segment?format=svg', jpg), 400, 'INVALID_PARAMETER'), /format must be one of json, png, overlay/);
    assert.match(await expectError(post('/v1/detect?score_threshold=2', jpg), 400, 'INVALID_PARAMETER'), /score_threshold must be <= 1/);
    await expectError(fetch(`${s.url}/v1/stitches?task=poetry`), 400, 'INVALID_PARAMETER');
  });

  test('400 EMPTY_BODY, UNSUPPORTED_IMAGE and CORRUPT_IMAGE from real broken files; 413 IMAGE_TOO_LARGE from a bomb header', async () => {
    await expectError(post('/v1/classify', Buffer.alloc(0)), 400, 'EMPTY_BODY');
    await expectError(fetch(`${s.url}/v1/classify`, { method: 'POST' }), 400, 'EMPTY_BODY');
    await expectError(post('/v1/classify', fixtureImage('not-an-image.jpg')), 400, 'UNSUPPORTED_IMAGE');
    await expectError(post('/v1/classify', fixtureImage('vector.svg'), 'image/png'), 400, 'UNSUPPORTED_IMAGE');
    for (const name of ['truncated.jpg', 'truncated.png', 'truncated.webp', 'truncated.gif', 'corrupt-idat.png', 'corrupt-header.jpg', 'header-only.png']) {
      await expectError(post('/v1/segment', fixtureImage(name), 'application/octet-stream'), 400, 'CORRUPT_IMAGE');
    }
    assert.match(await expectError(post('/v1/classify', fixtureImage('bomb-60000x60000.png'), 'image/png'), 413, 'IMAGE_TOO_LARGE'), /60000×60000/);
  });

  test('413 BODY_TOO_LARGE for raw and multipart bodies; 415 UNSUPPORTED_MEDIA_TYPE; 400 for multipart misuse', async () => {
    await expectError(post('/v1/classify', Buffer.alloc(10_000, 1)), 413, 'BODY_TOO_LARGE');
    const big = new FormData();
    big.append('image', new Blob([new Uint8Array(10_000).fill(1)], { type: 'image/jpeg' }), 'big.jpg');
    await expectError(fetch(`${s.url}/v1/classify`, { method: 'POST', body: big }), 413, 'BODY_TOO_LARGE');
    await expectError(post('/v1/classify', Buffer.from('hello'), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(post('/v1/classify', Buffer.from('{"image": 1}'), 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(fetch(`${s.url}/v1/classify`, { method: 'POST', body: multipart('file') }), 400, 'MISSING_IMAGE_FIELD');
    assert.match(await expectError(fetch(`${s.url}/v1/classify`, { method: 'POST', body: multipart('image', 2) }), 400, 'BAD_REQUEST'), /exactly one file/);
    const garbage = Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc');
    await expectError(post('/v1/classify', garbage, 'multipart/form-data; boundary=XYZ'), 400, 'BAD_REQUEST');
  });

  test('400 UNKNOWN_STITCH and NO_STITCH_MATCHES; 406 NOT_ACCEPTABLE; 404 NOT_FOUND', async () => {
    const jpg = fixtureImage('scene.jpg');
    assert.match(await expectError(post('/v1/classify?stitch=999', jpg), 400, 'UNKNOWN_STITCH'), /999/);
    await expectError(post('/v1/classify?max_gflops=0.0000000001', jpg), 400, 'NO_STITCH_MATCHES');
    await expectError(post('/v1/classify?min_accuracy=0.5', jpg), 400, 'NO_STITCH_MATCHES');
    await expectError(post('/v1/classify', jpg, 'image/jpeg', { accept: 'image/png' }), 406, 'NOT_ACCEPTABLE');
    await expectError(post('/v1/segment?format=overlay', jpg, 'image/jpeg', { accept: 'application/json' }), 406, 'NOT_ACCEPTABLE');
    await expectError(fetch(`${s.url}/v1/nothing-here`), 404, 'NOT_FOUND');
    await expectError(fetch(`${s.url}/v1/classify`), 404, 'NOT_FOUND');
  });

  test('429 DEADLINE_UNMEETABLE when no stitch can meet a 1 ms budget (refused before decoding)', async () => {
    await expectError(post('/v1/classify?sla_ms=1', fixtureImage('scene.jpg')), 429, 'DEADLINE_UNMEETABLE');
    await expectError(post('/v1/classify', fixtureImage('scene.jpg'), 'image/jpeg', { 'x-latency-budget-ms': '1' }), 429, 'DEADLINE_UNMEETABLE');
  });

  test('KServe errors: 404 UNKNOWN_MODEL, 400 INVALID_TENSOR, 400 BAD_REQUEST, as {error, code}', async () => {
    const unknown = await fetch(`${s.url}/v2/models/nope`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(Object.keys((await unknown.json()) as object).sort(), ['code', 'error']);
    const version = await fetch(`${s.url}/v2/models/tiny-v2/versions/7`);
    assert.equal(((await version.json()) as { code: string }).code, 'UNKNOWN_MODEL');
    const infer = (body: unknown) => postJson(s.url, '/v2/models/tiny-v2/infer', body);
    const cases: [unknown, string, RegExp][] = [
      [{ inputs: [{ name: 'image', datatype: 'UINT8', shape: [2, 2, 3], data: [1, 2, 3] }] }, 'INVALID_TENSOR', /needs 12 values, got 3/],
      [{ inputs: [{ name: 'image', datatype: 'UINT8', shape: [1, 1, 3], data: [1, 2, 300] }] }, 'INVALID_TENSOR', /not a UINT8/],
      [{ inputs: [{ name: 'image', datatype: 'UINT8', shape: [2, 2], data: [1, 2, 3, 4] }] }, 'INVALID_TENSOR', /HWC image/],
      [{ inputs: [{ name: 'x', datatype: 'INT64', shape: [1], data: [1] }] }, 'INVALID_TENSOR', /datatype INT64/],
      [{ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, 8, 8], data: [] }] }, 'INVALID_TENSOR', /shape \[1, 3, 16, 16\]/],
      [{ inputs: [{ name: 'b', datatype: 'BYTES', shape: [1], data: ['%%%'] }] }, 'INVALID_TENSOR', /not base64/],
      [{ inputs: [{ name: 'b', datatype: 'BYTES', shape: [1], data: [fixtureImage('scene.jpg').toString('base64')] }], outputs: [{ name: 'nope' }] }, 'INVALID_TENSOR', /no output nope/],
      [{ inputs: [] }, 'INVALID_PARAMETER', /body.inputs must NOT have fewer than 1 items/],
      [{ inputs: [{ name: 'image', datatype: 'UINT8', shape: [100000, 100000, 3], data: [] }] }, 'IMAGE_TOO_LARGE', /limit/],
      [{ inputs: [{ name: 'b', datatype: 'BYTES', shape: [1], data: [fixtureImage('truncated.png').toString('base64')] }] }, 'CORRUPT_IMAGE', /corrupt/],
    ];
    for (const [body, code, message] of cases) {
      const response = await infer(body);
      const answer = (await response.json()) as { error: string; code: string };
      assert.equal(answer.code, code, JSON.stringify(answer));
      assert.match(answer.error, message);
      assert.ok(response.status >= 400 && response.status < 500);
    }
    const malformed = await fetch(`${s.url}/v2/models/tiny-v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' });
    assert.equal(((await malformed.json()) as { code: string }).code, 'BAD_REQUEST');
  });

  test('408 REQUEST_TIMEOUT when the body does not arrive in time (JSON answer on the raw socket)', async () => {
    const { port } = new URL(s.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\nabc');
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      setTimeout(() => socket.destroy(), 8000);
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /"code":"REQUEST_TIMEOUT"/);
  });
});

describe('server faults (5xx) hide internals', () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null, {}, {
      // Routes that fail like real faults: a plain Error with a path in its message, and an engine failure.
      extraRoutes: (app) => {
        app.get('/test/plain-error', async () => {
          throw new Error('ENOENT: /work/secret/model.onnx');
        });
        app.get('/test/engine-failed', async () => {
          throw new ServiceError('ENGINE_FAILED', 'ORT failed in /work/main/src/engine/worker.ts:12');
        });
      },
    });
  });
  after(() => s.app.close());

  test('500 INTERNAL and 500 ENGINE_FAILED answer only the registry title', async () => {
    const internal = await expectError(fetch(`${s.url}/test/plain-error`), 500, 'INTERNAL');
    assert.equal(internal, 'Internal server error.');
    const engine = await expectError(fetch(`${s.url}/test/engine-failed`), 500, 'ENGINE_FAILED');
    assert.equal(engine, 'The inference engine failed on this batch.');
    assert.ok(s.logs.some((l) => JSON.stringify(l).includes('/work/secret/model.onnx')), 'the log keeps the detail');
  });
});

describe('lifecycle errors', () => {
  test('503 NOT_READY before the bundle is loaded; 503 DRAINING once draining', async (t) => {
    const s = await startApp(t, {}, { start: false });
    await expectError(postImage(s.url, '/v1/classify', fixtureImage('scene.jpg')), 503, 'NOT_READY');
    await expectError(fetch(`${s.url}/readyz`), 503, 'NOT_READY');
    await expectError(fetch(`${s.url}/v1/models`), 503, 'NOT_READY');
    await s.app.services.start();
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
    await s.app.services.drain();
    await expectError(postImage(s.url, '/v1/classify', fixtureImage('scene.jpg')), 503, 'DRAINING');
    await expectError(fetch(`${s.url}/readyz`), 503, 'DRAINING');
    const kserve = await fetch(`${s.url}/v2/health/ready`);
    assert.equal(kserve.status, 503);
    assert.equal(((await kserve.json()) as { code: string }).code, 'DRAINING');
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200, 'still live while draining');
  });

  test('400 UNSUPPORTED_TASK for a task the family has no head for (tiny-v1: classify only)', async (t) => {
    const s = await startApp(t, { engine: { bundle: TINY_BUNDLE.replace(/tiny-v2$/, 'tiny-v1'), warmup: { enabled: false } } });
    assert.match(await expectError(postImage(s.url, '/v1/segment', fixtureImage('scene.jpg')), 400, 'UNSUPPORTED_TASK'), /no segment head/);
    const kserve = await postJson(s.url, '/v2/models/tiny-v1/infer', { parameters: { task: 'depth' }, inputs: [{ name: 'b', datatype: 'BYTES', shape: [1], data: ['AA=='] }] });
    assert.equal(kserve.status, 400);
    assert.equal(((await kserve.json()) as { code: string }).code, 'UNSUPPORTED_TASK');
    await expectError(fetch(`${s.url}/v1/stitches?task=detect`), 400, 'UNSUPPORTED_TASK');
  });
});

describe('hostile requests found by the reliability fuzz (R1-R6) get documented answers', () => {
  let s: RunningApp;
  before(async () => {
    s = await startApp(null, { limits: { bodyBytes: 65_536 } });
  });
  after(() => s.app.close());

  /** Writes raw bytes on a fresh connection and returns everything the server answers until it closes. */
  function raw(request: Buffer | string): Promise<string> {
    const { port } = new URL(s.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
  }

  test('R1/R2: deeply nested tensor data and out-of-range FP32 values are 400 INVALID_TENSOR, not 500', async () => {
    let nested = '1';
    for (let i = 0; i < 20_000; i++) nested = `[${nested}]`;
    const deep = await fetch(`${s.url}/v2/models/tiny-v2/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"inputs":[{"name":"image","shape":[1,1,3],"datatype":"UINT8","data":${nested}}]}`,
    });
    assert.equal(deep.status, 400);
    assert.match(((await deep.json()) as { error: string }).error, /nests deeper than its 3-dimensional shape/);
    const huge = Array.from({ length: 768 }, (_, i) => (i === 5 ? 1e308 : 0));
    const range = await postJson(s.url, '/v2/models/tiny-v2/infer', { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 3, 16, 16], data: huge }] });
    assert.equal(range.status, 400);
    assert.equal(((await range.json()) as { code: string }).code, 'INVALID_TENSOR');
  });

  test('R3: malformed %-encoding and over-long path parameters get the documented BAD_REQUEST body', async () => {
    await expectError(fetch(`${s.url}/%e/x`), 400, 'BAD_REQUEST');
    const long = await fetch(`${s.url}/v2/models/${'a'.repeat(300)}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":[]}' });
    assert.equal(long.status, 400);
    assert.equal(((await long.json()) as { code: string }).code, 'BAD_REQUEST');
    const named = await fetch(`${s.url}/v2/models/${'a'.repeat(200)}`);
    assert.equal(named.status, 404, 'a long but plausible name is an unknown model');
  });

  test('R4: an HTTP/1.1 request without Host is served', async () => {
    assert.match(await raw('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });

  test('R5: early refusals (413 before reading, 415) reach the client every time (lingering close)', async () => {
    const tooBig = Buffer.alloc(70_000, 7);
    for (let i = 0; i < 10; i++) {
      const answer = await raw(Buffer.concat([Buffer.from(`POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${tooBig.length}\r\n\r\n`), tooBig]));
      assert.match(answer, /^HTTP\/1\.1 413 /, `attempt ${i}`);
      assert.match(answer, /"code":"BODY_TOO_LARGE"/);
      const untyped = await raw(Buffer.concat([Buffer.from(`POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n`), Buffer.alloc(4096, 1)]));
      assert.match(untyped, /^HTTP\/1\.1 415 /, `attempt ${i}`);
    }
  });

  test('R6: idle keep-alive connections outlive a load balancer idle timeout (72 s, not Node\'s 5 s)', async () => {
    const response = await fetch(`${s.url}/healthz`);
    assert.equal(response.headers.get('keep-alive'), 'timeout=72');
  });
});
