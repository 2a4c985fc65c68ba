import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { METRIC_PREFIX, ServiceMetrics } from '../../src/metrics/index.js';
import { postImage, startApp } from '../helpers/app.js';
import { fixtureImage } from '../helpers/images.js';
import { readmeTable } from '../helpers/readme.js';

const PROMTOOL = '/usr/bin/promtool';

test('the README Metrics table lists exactly the service metrics, with their types and labels', async () => {
  const metrics = new ServiceMetrics();
  const registered = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith(METRIC_PREFIX));
  const rows = readmeTable('Metrics');
  assert.deepEqual(rows.map(([name]) => name).sort(), registered.map((m) => m.name).sort());
  for (const [name, type, labels, meaning] of rows) {
    const metric = registered.find((m) => m.name === name)!;
    assert.equal(type, metric.type, name);
    const declared = ((metrics.registry.getSingleMetric(name!) as unknown as { labelNames: string[] }).labelNames ?? []).join(', ');
    assert.equal(labels === '—' ? '' : labels, declared, `${name} labels`);
    assert.equal(meaning, metric.help, `${name} help`);
  }
});

test('the contract metrics (docs/contracts.md §5) all exist', async () => {
  const names = new Set((await new ServiceMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  const contract = [
    'http_requests_total', 'http_request_duration_seconds', 'request_failures_total', 'queue_depth', 'inflight_requests',
    'queue_duration_seconds', 'batch_size', 'inference_duration_seconds', 'stitch_selections_total', 'deadline_outcomes_total',
    'effective_accuracy', 'controller_saturation', 'engine_restarts_total', 'ready',
  ];
  for (const name of contract) assert.ok(names.has(`${METRIC_PREFIX}${name}`), name);
  assert.ok(names.has('process_cpu_seconds_total') && names.has('nodejs_eventloop_lag_seconds'), 'default process metrics');
});

test('two apps keep separate registries', async () => {
  const a = new ServiceMetrics();
  const b = new ServiceMetrics();
  a.failures.inc({ reason: 'QUEUE_FULL' });
  assert.match(await a.exposition(), /request_failures_total\{reason="QUEUE_FULL"\} 1/);
  assert.doesNotMatch(await b.exposition(), /reason="QUEUE_FULL"/);
});

test('the live exposition after real traffic passes promtool check metrics and reflects the traffic', async (t) => {
  const s = await startApp(t);
  assert.equal((await postImage(s.url, '/v1/classify', fixtureImage('scene.jpg'))).status, 200);
  assert.equal((await postImage(s.url, '/v1/segment', fixtureImage('truncated.jpg'))).status, 400);
  assert.equal((await postImage(s.url, '/v1/detect', fixtureImage('scene.png'), 'image/png')).status, 200);
  const response = await fetch(`${s.url}/metrics`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /stitchserve_http_requests_total\{route="\/v1\/classify",task="classify",status="200"\} 1/);
  assert.match(text, /stitchserve_request_failures_total\{reason="CORRUPT_IMAGE"\} 1/);
  assert.match(text, /stitchserve_stitch_selections_total\{task="detect",stitch="\d+"\} 1/);
  assert.match(text, /stitchserve_deadline_outcomes_total\{task="classify",outcome="met"\} 1/);
  assert.match(text, /stitchserve_batch_size_count\{task="classify"\} 1/);
  assert.match(text, /stitchserve_ready 1/);
  assert.match(text, /stitchserve_inflight_requests 0/);
  if (!existsSync(PROMTOOL)) {
    t.skip(`${PROMTOOL} is absent (apt-get install prometheus): exposition not linted`);
    return;
  }
  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(lint.status, 0, `promtool check metrics failed:\n${lint.stdout}${lint.stderr}`);
});
