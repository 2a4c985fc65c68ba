import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startApp } from '../helpers/app.js';

test('/docs/json is a valid OpenAPI 3 document generated from the route schemas; /docs serves Swagger UI offline', async (t) => {
  const s = await startApp(t, {}, { start: false });
  const response = await fetch(`${s.url}/docs/json`);
  assert.equal(response.status, 200);
  const document = (await response.json()) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>>;
  };
  const result = await new Validator().validate(document as unknown as Parameters<Validator['validate']>[0]);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
  assert.match(document.openapi, /^3\./);

  const expected: [string, string][] = [
    ['post', '/v1/classify'], ['post', '/v1/segment'], ['post', '/v1/depth'], ['post', '/v1/detect'],
    ['get', '/v1/models'], ['get', '/v1/stitches'], ['get', '/healthz'], ['get', '/readyz'], ['get', '/metrics'],
    ['get', '/v2'], ['get', '/v2/health/live'], ['get', '/v2/health/ready'], ['get', '/v2/models/{name}'],
    ['get', '/v2/models/{name}/ready'], ['post', '/v2/models/{name}/infer'], ['post', '/v2/models/{name}/versions/{version}/infer'],
  ];
  for (const [method, path] of expected) assert.ok(document.paths[path]?.[method] !== undefined, `${method.toUpperCase()} ${path} documented`);

  // The TypeBox schemas that validate requests are the ones documented: query options, defaults, bodies.
  const classify = document.paths['/v1/classify']!['post']!;
  const names = classify.parameters!.map((p) => `${p.in}:${p.name}`);
  for (const name of ['query:top_k', 'query:sla_ms', 'query:quality', 'query:stitch', 'query:min_accuracy', 'query:max_gflops', 'header:x-latency-budget-ms']) {
    assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  }
  assert.ok(classify.requestBody!.content['image/jpeg'] !== undefined && classify.requestBody!.content['multipart/form-data'] !== undefined);
  assert.ok(document.paths['/v1/segment']!['post']!.responses['200'] !== undefined);
  assert.ok(document.paths['/v2/models/{name}/infer']!['post']!.requestBody!.content['application/json'] !== undefined);

  const ui = await fetch(`${s.url}/docs/`);
  assert.equal(ui.status, 200);
  const html = await ui.text();
  assert.match(html, /swagger-ui/i);
  assert.doesNotMatch(html, /https?:\/\/(?!localhost)[a-z]/i, 'no external assets');
  const bundle = await fetch(`${s.url}/docs/static/swagger-ui-bundle.js`);
  assert.equal(bundle.status, 200, 'UI assets are served locally');
});
