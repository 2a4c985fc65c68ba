import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ServiceError } from '../../src/errors.js';
import { FIXTURES, fixtureDir, loadReferences, type Reference, relativeError, startFixtureEngine } from './fixtures.js';

const classifyPixels = (batch = 1) => new Float32Array(batch * 3 * 16 * 16);

describe('engine: boundary validation and metadata', () => {
  let engine: Engine;
  before(async () => (engine = await startFixtureEngine('tiny-v2', { maxBatch: 4, batchSizes: [1, 4] })));
  after(() => engine.close());

  test('metadata, ready, health and a complete measured profile', () => {
    const { metadata } = engine;
    assert.equal(metadata.manifest.name, 'tiny-v2');
    assert.deepEqual(metadata.tasks.map((t) => t.name), ['classify', 'segment', 'depth', 'detect']);
    assert.equal(metadata.stitches.length, 14);
    assert.deepEqual(metadata.batchSizes, [1, 4]);
    assert.equal(metadata.device, 'cpu');
    assert.equal(engine.ready, true);
    assert.deepEqual(engine.health(), { ready: true, live: true, restarts: 0, inFlight: 0, lastError: null });
    const profile = engine.profile();
    assert.equal(profile.size, 4 * 14 * 2);
    assert.ok([...profile.values()].every((ms) => ms > 0));
    assert.ok([...engine.profileEntries().values()].every((e) => e.source === 'measured'));
    assert.ok(profile.has('detect:14:4'));
  });

  test('bad batches are refused with a precise ServiceError', async () => {
    const cases: [Parameters<Engine['run']>[0], string, RegExp][] = [
      [{ task: 'pose' as never, stitchId: 0, batchSize: 1, pixels: classifyPixels() }, 'UNSUPPORTED_TASK', /task "pose" is not served by bundle tiny-v2/],
      [{ task: 'classify', stitchId: 5, batchSize: 1, pixels: classifyPixels() }, 'UNKNOWN_STITCH', /stitch 5 does not exist in bundle tiny-v2/],
      [{ task: 'classify', stitchId: 0, batchSize: 5, pixels: classifyPixels(5) }, 'INVALID_TENSOR', /batchSize 5 must be an integer in \[1, 4\]/],
      [{ task: 'classify', stitchId: 0, batchSize: 0, pixels: classifyPixels() }, 'INVALID_TENSOR', /batchSize 0/],
      [{ task: 'classify', stitchId: 0, batchSize: 2, pixels: classifyPixels(1) }, 'INVALID_TENSOR', /pixels has 768 floats, expected 1536 = 2×3×16×16 for task classify/],
      [{ task: 'segment', stitchId: 0, batchSize: 1, pixels: classifyPixels() }, 'INVALID_TENSOR', /expected 3072 = 1×3×32×32 for task segment/],
      [{ task: 'classify', stitchId: 0, batchSize: 1, pixels: [] as never }, 'INVALID_TENSOR', /pixels must be a Float32Array/],
    ];
    for (const [batch, code, message] of cases) {
      await assert.rejects(engine.run(batch), (err: unknown) => err instanceof ServiceError && err.code === code && message.test(err.message));
    }
  });

  test('pixels are transferred (detached) and views into larger buffers are copied, not detached', async () => {
    const owned = classifyPixels();
    await engine.run({ task: 'classify', stitchId: 0, batchSize: 1, pixels: owned });
    assert.equal(owned.length, 0, 'the transferred array is detached');
    const big = new Float32Array(2 * 3 * 16 * 16);
    await engine.run({ task: 'classify', stitchId: 0, batchSize: 1, pixels: big.subarray(0, 3 * 16 * 16) });
    assert.equal(big.length, 2 * 3 * 16 * 16, 'a view is copied, its buffer stays usable');
  });

  test('the main thread event loop keeps running during inference', async () => {
    // Batch 64 makes one inference long (~0.1 s) compared with a 2 ms timer; had run() blocked this thread,
    // the largest gap between ticks inside the call would be at least the inference time.
    const big = await startFixtureEngine('tiny-v2', { maxBatch: 64, batchSizes: [1], servedStitches: [1] });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    try {
      let slowest = { computeMs: 0, inside: 0, maxGap: Infinity };
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const { computeMs } = await big.run({ task: 'segment', stitchId: 1, batchSize: 64, pixels: new Float32Array(64 * 3 * 32 * 32) });
        const inside = [started, ...ticks.filter((t) => t > started), performance.now()];
        const maxGap = Math.max(...inside.slice(1).map((t, k) => t - inside[k]!));
        if (computeMs > slowest.computeMs) slowest = { computeMs, inside: inside.length - 2, maxGap };
      }
      assert.ok(slowest.inside >= 2, `timer fired ${slowest.inside} times during a ${slowest.computeMs.toFixed(0)} ms inference`);
      assert.ok(slowest.maxGap < slowest.computeMs, `largest timer gap ${slowest.maxGap.toFixed(0)} ms ≥ inference ${slowest.computeMs.toFixed(0)} ms`);
    } finally {
      clearInterval(timer);
      await big.close();
    }
  });

  test('run before start() is NOT_READY; after close() ENGINE_UNAVAILABLE', async () => {
    const fresh = new Engine({ bundleDir: fixtureDir('tiny-v2'), modelRoot: FIXTURES, profileCacheDir: null });
    await assert.rejects(fresh.run({ task: 'classify', stitchId: 0, batchSize: 1, pixels: classifyPixels() }), { code: 'NOT_READY' });
    await fresh.close();
    await assert.rejects(fresh.run({ task: 'classify', stitchId: 0, batchSize: 1, pixels: classifyPixels() }), { code: 'ENGINE_UNAVAILABLE' });
  });
});

describe('engine: worker failure and restart', () => {
  let engine: Engine;
  let reference: Reference;
  before(async () => {
    reference = (await loadReferences(fixtureDir('tiny-v2'))).find((r) => r.task === 'classify' && r.stitchId === 9 && r.batch === 1)!;
    engine = await startFixtureEngine('tiny-v2', { batchSizes: [1], servedStitches: [0, 9], restart: { initialDelayMs: 20 } });
  });
  after(() => engine.close());

  async function servesCorrectly(): Promise<void> {
    const result = await engine.run({ task: 'classify', stitchId: 9, batchSize: 1, pixels: reference.input.slice() });
    assert.ok(relativeError(result.outputs['classify.logits']!.data, reference.outputs['classify.logits']!.data) <= 1e-4);
  }

  for (const [mode, expectedRestarts] of [['exit', 1], ['throw', 2], ['terminate', 3]] as const) {
    test(`worker ${mode}: in-flight calls reject ENGINE_UNAVAILABLE, ready goes false, it restarts and serves again`, async () => {
      await servesCorrectly();
      const down = once(engine, 'down');
      const restarted = once(engine, 'restarted');
      // Block the worker so the next run is surely in flight (queued in the worker) when the crash happens.
      await engine.simulateCrash('stall', mode === 'terminate' ? 10_000 : 300);
      if (mode !== 'terminate') engine.simulateCrash(mode);
      const inFlight = engine.run({ task: 'classify', stitchId: 9, batchSize: 1, pixels: reference.input.slice() });
      if (mode === 'terminate') engine.simulateCrash('terminate');
      await assert.rejects(inFlight, (err: unknown) => err instanceof ServiceError && err.code === 'ENGINE_UNAVAILABLE' && err.status === 503);
      const [error] = (await down) as [ServiceError];
      assert.equal(error.code, 'ENGINE_UNAVAILABLE');
      assert.equal(engine.restarts, expectedRestarts);
      if (!engine.ready) {
        assert.equal(engine.health().ready, false);
        assert.equal(engine.health().live, true);
        await assert.rejects(engine.run({ task: 'classify', stitchId: 0, batchSize: 1, pixels: classifyPixels() }), { code: 'ENGINE_UNAVAILABLE' });
      }
      const [restarts] = await restarted;
      assert.equal(restarts, expectedRestarts);
      assert.equal(engine.ready, true);
      assert.match(engine.health().lastError!, /engine worker exited with code/);
      await servesCorrectly();
    });
  }
});

describe('engine: bad bundles are refused at start-up', () => {
  test('start() rejects with BUNDLE_INVALID naming the problem, and the engine is not ready', async () => {
    const engine = new Engine({ bundleDir: fixtureDir('tiny-v2'), modelRoot: fixtureDir('tiny-v1'), profileCacheDir: null });
    await assert.rejects(engine.start(), (err: unknown) => err instanceof ServiceError && err.code === 'BUNDLE_INVALID' && /outside the model root/.test(err.message));
    assert.equal(engine.ready, false);
  });

  test('servedStitches naming unknown stitches is refused', async () => {
    const engine = new Engine({ bundleDir: fixtureDir('tiny-v2'), modelRoot: FIXTURES, servedStitches: [0, 5, 99], profileCacheDir: null });
    await assert.rejects(engine.start(), /servedStitches lists 5, 99, not stitches of bundle tiny-v2/);
  });
});
