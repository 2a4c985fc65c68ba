import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';

test('thin slice: POST /v1/classify with a raw JPEG answers top-k from the tiny family', async (t) => {
  const { url } = await startApp(t);
  const response = await fetch(`${url}/v1/classify?top_k=3`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fixtureImage('scene.jpg') });
  const body = (await response.json()) as Record<string, unknown>;
  console.log(response.status, JSON.stringify(body), [...response.headers]);
  assert.equal(response.status, 200);
});
