/**
 * Security properties at the HTTP boundary, in process (the fuzz test scans thousands more answers; bundle
 * integrity and path checks at start-up are in startup-failure.test.ts; the container's non-root user and
 * read-only root filesystem are checked by test/deploy/dockerfile.test.ts and test/deploy/manifests.test.ts).
 * `npm audit` needs the registry's advisory endpoint: opt in with RELIABILITY_NPM_AUDIT=1 (CI with network).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { postImage, startApp, type RunningApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { REPO } from './lib/server-process.js';
import { errorCodeOf, leaksIn } from './lib/verdict.js';

type Probe = { name: string; send(url: string): Promise<Response>; status: number; code: string };

const jpeg = fixtureImage('scene.jpg');
const PROBES: Probe[] = [
  { name: 'unknown route', send: (u) => fetch(`${u}/v1/nope`), status: 404, code: 'NOT_FOUND' },
  { name: 'invalid query parameter', send: (u) => postImage(u, '/v1/classify?top_k=0', jpeg), status: 400, code: 'INVALID_PARAMETER' },
  { name: 'unknown query parameter', send: (u) => postImage(u, '/v1/classify?debug=1', jpeg), status: 400, code: 'INVALID_PARAMETER' },
  { name: 'unsupported media type', send: (u) => postImage(u, '/v1/classify', jpeg, 'text/plain'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'not an image', send: (u) => postImage(u, '/v1/classify', fixtureImage('not-an-image.jpg')), status: 400, code: 'UNSUPPORTED_IMAGE' },
  { name: 'corrupt image', send: (u) => postImage(u, '/v1/classify', fixtureImage('truncated.jpg')), status: 400, code: 'CORRUPT_IMAGE' },
  { name: 'SVG (never decoded)', send: (u) => postImage(u, '/v1/classify', fixtureImage('vector.svg'), 'application/octet-stream'), status: 400, code: 'UNSUPPORTED_IMAGE' },
  { name: 'pixel limit (60000² PNG header)', send: (u) => postImage(u, '/v1/classify', fixtureImage('bomb-60000x60000.png'), 'image/png'), status: 413, code: 'IMAGE_TOO_LARGE' },
  { name: 'body limit', send: (u) => postImage(u, '/v1/classify', Buffer.alloc(64 * 1024 + 1)), status: 413, code: 'BODY_TOO_LARGE' },
  { name: 'unknown stitch', send: (u) => postImage(u, '/v1/classify?stitch=5', jpeg), status: 400, code: 'UNKNOWN_STITCH' },
  { name: 'KServe: unknown model', send: (u) => fetch(`${u}/v2/models/other/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":[{"name":"i","shape":[1,1,3],"datatype":"UINT8","data":[1,2,3]}]}' }), status: 404, code: 'UNKNOWN_MODEL' },
  { name: 'KServe: invalid JSON', send: (u) => fetch(`${u}/v2/models/tiny-v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'KServe: prototype pollution attempt', send: (u) => fetch(`${u}/v2/models/tiny-v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"x":1},"inputs":[]}' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'static files: traversal out of /docs', send: (u) => fetch(`${u}/docs/static/..%2f..%2f..%2fpackage.json`), status: 404, code: 'NOT_FOUND' },
];

describe('security at the HTTP boundary', () => {
  let running: RunningApp;
  before(async () => {
    running = await startApp(null, { limits: { bodyBytes: 64 * 1024 }, logging: { level: 'silent' } });
  });
  after(() => running.app.close());

  for (const probe of PROBES) {
    test(`${probe.name}: ${probe.status} ${probe.code}, the documented body, nothing internal`, async () => {
      const response = await probe.send(running.url);
      const body = Buffer.from(await response.arrayBuffer());
      const headers = Object.fromEntries(response.headers);
      const answer = { status: response.status, headers, body, ms: 0 };
      assert.equal(response.status, probe.status, body.toString());
      assert.equal(errorCodeOf(answer), probe.code);
      assert.deepEqual(leaksIn(answer), [], body.toString());
      assert.equal(headers['x-powered-by'], undefined);
      assert.equal(headers['server'], undefined, 'no server software banner');
    });
  }

  test('a client request id is reused only when plain; anything else is replaced', async () => {
    const plain = await fetch(`${running.url}/healthz`, { headers: { 'x-request-id': 'trace-42.a:b' } });
    assert.equal(plain.headers.get('x-request-id'), 'trace-42.a:b');
    for (const hostile of ['../../etc/passwd', '<script>alert(1)</script>', 'a'.repeat(200), 'x y']) {
      const response = await fetch(`${running.url}/healthz`, { headers: { 'x-request-id': hostile } });
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, `replaced: ${hostile.slice(0, 20)}`);
    }
  });

  test('500 answers carry only the registry title (no message, stack or path)', async () => {
    // A deeply nested KServe tensor currently ends in a 500 (bug R1); whatever the cause, the body stays generic.
    const data = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const response = await fetch(`${running.url}/v2/models/tiny-v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"inputs":[{"name":"i","shape":[1,1,3],"datatype":"UINT8","data":${data}}]}` });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status >= 500) assert.deepEqual(JSON.parse(body.toString()), { error: 'Internal server error.', code: 'INTERNAL' });
    assert.deepEqual(leaksIn({ status: response.status, headers: Object.fromEntries(response.headers), body, ms: 0 }), []);
  });
});

test('npm audit --omit=dev: no known vulnerability in production dependencies', { skip: process.env['RELIABILITY_NPM_AUDIT'] !== '1' && 'needs the registry advisory endpoint: set RELIABILITY_NPM_AUDIT=1' }, async () => {
  const run = promisify(execFile);
  let stdout: string;
  try {
    ({ stdout } = await run('npm', ['audit', '--omit=dev', '--json'], { cwd: REPO, timeout: 120_000 }));
  } catch (err) {
    // npm audit exits 1 when it finds something; its JSON is still on stdout.
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  const report = JSON.parse(stdout) as { metadata?: { vulnerabilities?: Record<string, number> }; message?: string };
  assert.ok(report.metadata?.vulnerabilities !== undefined, `no audit result: ${report.message ?? stdout.slice(0, 300)}`);
  const found = Object.entries(report.metadata.vulnerabilities).filter(([level, n]) => level !== 'total' && level !== 'info' && n > 0);
  assert.deepEqual(found, [], `vulnerabilities: ${JSON.stringify(report.metadata.vulnerabilities)}`);
});
