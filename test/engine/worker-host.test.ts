import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadBundle } from '../../src/bundle/load-bundle.js';
import { routePlanFor } from '../../src/engine/route-plan.js';
import { sessionOptionsFor } from '../../src/engine/session-options.js';
import { WorkerHost } from '../../src/engine/worker-host.js';
import { ServiceError } from '../../src/errors.js';
import { FIXTURES, fixtureDir } from './fixtures.js';

const quiet = { info() {}, warn() {}, error() {} };

describe('worker host: the protocol directly', () => {
  let host: WorkerHost;
  let hello: Awaited<ReturnType<typeof WorkerHost.start>>['hello'];
  before(async () => {
    const bundle = await loadBundle(fixtureDir('tiny-v2'), { modelRoot: FIXTURES });
    const config = { device: 'auto' as const, cudaDeviceId: 0, intraOpThreads: 1, memArena: true, memPattern: true, prepacking: true };
    ({ host, hello } = await WorkerHost.start((h) => {
      const choice = sessionOptionsFor(config, h.backends.filter((b) => b.bundled || b.installed).map((b) => b.name));
      return { type: 'init', graphPath: bundle.graphPath, device: choice.device, sessionOptions: choice.options, fallbackOptions: choice.fallback, plan: routePlanFor(bundle.manifest) };
    }, quiet));
  });
  after(() => host.close());

  test('hello reports the ORT version and backends; CUDA is listed but not installed here', () => {
    assert.match(hello.ortVersion, /^\d+\.\d+\.\d+$/);
    const cpu = hello.backends.find((b) => b.name === 'cpu');
    assert.deepEqual(cpu, { name: 'cpu', bundled: true, installed: true });
    const cuda = hello.backends.find((b) => b.name === 'cuda');
    if (cuda !== undefined) assert.equal(cuda.installed, cuda.bundled || cuda.installed);
  });

  test('an ORT failure on one batch rejects ENGINE_FAILED and the worker keeps serving', async () => {
    // Four channels pass the host (it does not validate; Engine.run does) and ORT refuses them.
    await assert.rejects(host.run('classify', 0, [1, 4, 16, 16], new Float32Array(1024)), (err: unknown) => err instanceof ServiceError && err.code === 'ENGINE_FAILED' && /dimensions|shape/i.test(err.message));
    assert.equal(host.alive, true);
    const reply = await host.run('classify', 0, [1, 3, 16, 16], new Float32Array(768));
    assert.deepEqual(reply.outputs['classify.logits']!.dims, [1, 10]);
    assert.ok(reply.computeMs > 0);
  });

  test('runs are answered in order and the result buffers arrive whole', async () => {
    const replies = await Promise.all([0, 2, 9, 13].map((id) => host.run('detect', id, [2, 3, 32, 32], new Float32Array(2 * 3 * 32 * 32))));
    for (const reply of replies) {
      assert.deepEqual(Object.keys(reply.outputs), ['detect.heatmap', 'detect.size', 'detect.offset']);
      const size = reply.outputs['detect.size']!;
      assert.equal(size.data.length, size.dims.reduce((a, b) => a * b, 1));
      assert.equal(size.data.byteLength, size.data.buffer.byteLength);
    }
  });
});
