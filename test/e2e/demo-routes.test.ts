import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { publicDir } from '../../routes/demo.js';
import { startApp, type RunningApp } from '../helpers/app.js';

/** Every file under public/, as URL paths. */
function publicFiles(dir = publicDir(), prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? publicFiles(path.join(dir, entry.name), `${prefix}/${entry.name}`) : [`${prefix}/${entry.name}`]);
}

describe('demo routes before the model is ready (app built, bundle not loaded)', () => {
  let server: RunningApp;
  const closers: Array<() => Promise<void> | void> = [];
  before(async () => {
    server = await startApp({ after: (fn) => void closers.push(fn) }, { logging: { level: 'warn' } }, { start: false });
  });
  after(async () => {
    for (const close of closers) await close();
  });

  test('the page and every asset are served at once, with nosniff; the HTML carries the CSP', async () => {
    const files = publicFiles();
    assert.ok(files.includes('/index.html') && files.includes('/js/main.js'));
    for (const file of ['/', ...files]) {
      const response = await fetch(`${server.url}${file}`);
      assert.equal(response.status, 200, file);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', file);
      const html = file === '/' || file.endsWith('.html');
      assert.equal(response.headers.get('content-security-policy') !== null, html, `CSP only on HTML: ${file}`);
      await response.arrayBuffer();
    }
  });

  test('/demo/settings and /demo/stats answer 503 NOT_READY until the bundle is loaded; unknown files 404', async () => {
    for (const route of ['/demo/settings', '/demo/stats']) {
      const response = await fetch(`${server.url}${route}`);
      assert.equal(response.status, 503, route);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'NOT_READY');
    }
    const missing = await fetch(`${server.url}/js/missing.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});
