/**
 * After a slow spell the server must admit work again once it is idle (issue 10: "back to normal within 2 s").
 * The engine's stall hook makes five batches take 1.5 s each, which the latency model learns; then the server
 * is left idle. Deterministic repro of bug R7 (.notes/reliability.md), fixed: an idle scheduler admits what the
 * profile says fits (a probe that refreshes the model), and old observations fade toward the profile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postImage, startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { sleep } from './lib/wait.js';

test('after a slow spell, an idle server admits and serves a normal request again within 2 s', { timeout: 120_000 }, async (t) => {
  const { app, url } = await startApp(t, { controller: { deadlines: { classify: { defaultMs: 1_000 } } }, logging: { level: 'silent' } });
  const png = fixtureImage('fmnist-0-9-boot.png');
  const classify = async () => {
    const response = await postImage(url, '/v1/classify', png, 'image/png');
    await response.arrayBuffer();
    return response.status;
  };
  assert.equal(await classify(), 200);
  const during: number[] = [];
  for (let i = 0; i < 5; i++) {
    app.services.runtime.engine.simulateCrash('stall', 1_500);
    during.push(await classify());
  }
  t.diagnostic(`answers during the slow spell: ${during.join(' ')}`);
  await sleep(2_000);
  assert.equal(await classify(), 200, '2 s after the slow spell, idle, a normal request is served');
});
