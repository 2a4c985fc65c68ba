import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '../../src/errors.js';
import { engineExecutor, InflightTracker } from '../../src/inference/index.js';
import { asServiceError, errorBody } from '../../routes/plugins/error-handler.js';

test('engineExecutor packs [B,3,H,W] in request order and hands each request its own slice of every output', async () => {
  const seen: { batchSize: number; pixels: number[] }[] = [];
  // A stand-in engine (pure logic under test): output item i = 10·i + pixel sum, in two outputs.
  const executor = engineExecutor({
    async run(batch) {
      seen.push({ batchSize: batch.batchSize, pixels: Array.from(batch.pixels) });
      const a = new Float32Array(batch.batchSize * 2);
      for (let i = 0; i < batch.batchSize; i++) a.set([i, batch.pixels[i * 3]!], i * 2);
      return { outputs: { a: { dims: [batch.batchSize, 2], data: a }, b: { dims: [batch.batchSize], data: Float32Array.from({ length: batch.batchSize }, (_, i) => 10 * i) } }, computeMs: 4 };
    },
  });
  const requests = [1, 2, 3].map((v) => ({ id: String(v), payload: { pixels: Float32Array.from([v, v, v]) } }));
  const results = await executor({ task: 'classify', stitchId: 0, requests });
  assert.deepEqual(seen, [{ batchSize: 3, pixels: [1, 1, 1, 2, 2, 2, 3, 3, 3] }]);
  assert.deepEqual(results.map((r) => Array.from(r.outputs['a']!.data)), [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(results.map((r) => r.outputs['a']!.dims), [[1, 2], [1, 2], [1, 2]]);
  assert.deepEqual(results.map((r) => Array.from(r.outputs['b']!.data)), [[0], [10], [20]]);
  assert.ok(results.every((r) => r.computeMs === 4));
});

test('engineExecutor refuses outputs whose batch axis does not match (ENGINE_FAILED)', async () => {
  const executor = engineExecutor({ run: async () => ({ outputs: { a: { dims: [1, 2], data: new Float32Array(2) } }, computeMs: 1 }) });
  const requests = [1, 2].map((v) => ({ id: String(v), payload: { pixels: new Float32Array(3) } }));
  await assert.rejects(executor({ task: 'classify', stitchId: 0, requests }), (err: ServiceError) => err.code === 'ENGINE_FAILED');
});

test('InflightTracker counts work until it settles, waits for idle, refuses new work once closed', async () => {
  const counts: number[] = [];
  const tracker = new InflightTracker((n) => counts.push(n));
  let release!: () => void;
  const work = tracker.track(() => new Promise<string>((resolve) => (release = () => resolve('done'))));
  assert.equal(tracker.count, 1);
  let idle = false;
  const waiting = tracker.idle().then(() => (idle = true));
  tracker.close();
  await assert.rejects(tracker.track(async () => 'late'), (err: ServiceError) => err.code === 'DRAINING');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(idle, false);
  release();
  assert.equal(await work, 'done');
  await waiting;
  assert.equal(tracker.count, 0);
  assert.deepEqual(counts, [1, 0]);
  await assert.rejects(tracker.track(async () => { throw new Error('x'); }), ServiceError);
});

test('asServiceError maps framework errors to registry codes; errorBody hides 5xx messages', () => {
  const framework = (code: string, statusCode: number, message = 'm') => Object.assign(new Error(message), { code, statusCode });
  assert.equal(asServiceError(framework('FST_ERR_CTP_BODY_TOO_LARGE', 413)).code, 'BODY_TOO_LARGE');
  assert.equal(asServiceError(framework('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).code, 'UNSUPPORTED_MEDIA_TYPE');
  assert.equal(asServiceError(framework('FST_REQ_FILE_TOO_LARGE', 413)).code, 'BODY_TOO_LARGE');
  assert.equal(asServiceError(framework('FST_FILES_LIMIT', 413)).code, 'BAD_REQUEST');
  assert.equal(asServiceError(framework('SOMETHING_ELSE', 418)).code, 'BAD_REQUEST');
  assert.equal(asServiceError(new TypeError('boom at /work/x.ts:1')).code, 'INTERNAL');
  const validation = Object.assign(framework('FST_ERR_VALIDATION', 400), {
    validationContext: 'querystring',
    validation: [{ keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'foo' }, message: 'x' }],
  });
  assert.equal(asServiceError(validation).message, "Invalid parameter: unknown querystring parameter 'foo'.");
  const internal = new ServiceError('ENGINE_FAILED', 'ORT failed reading /work/model.onnx');
  assert.deepEqual(errorBody(internal, false), { error: { code: 'ENGINE_FAILED', message: 'The inference engine failed on this batch.' } });
  assert.deepEqual(errorBody(new ServiceError('QUEUE_FULL', 'busy'), true), { error: 'busy', code: 'QUEUE_FULL' });
});
