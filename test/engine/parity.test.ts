import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import { fixtureDir, loadReferences, type Reference, relativeError, sliceBatch, startFixtureEngine } from './fixtures.js';

const TOLERANCE = 1e-4;

for (const name of ['tiny-v2', 'tiny-v1'] as const) {
  describe(`parity with the PyTorch references: ${name}`, () => {
    let engine: Engine;
    let references: Reference[];
    before(async () => {
      references = await loadReferences(fixtureDir(name));
      engine = await startFixtureEngine(name, { maxBatch: 4, batchSizes: [1, 4] });
    });
    after(() => engine.close());

    test('references cover every stitch, and every task head on every stitch kind, at batch 1 and > 1', () => {
      const { metadata } = engine;
      const covered = (refs: Reference[]) => refs.some((r) => r.batch === 1) && refs.some((r) => r.batch > 1);
      for (const stitch of metadata.stitches) {
        assert.ok(covered(references.filter((r) => r.stitchId === stitch.id)), `stitch ${stitch.id}`);
      }
      for (const { name: task } of metadata.tasks) {
        for (const kind of new Set(metadata.stitches.map((s) => s.kind))) {
          const ids = new Set(metadata.stitches.filter((s) => s.kind === kind).map((s) => s.id));
          assert.ok(covered(references.filter((r) => r.task === task && ids.has(r.stitchId))), `${task} × ${kind}`);
        }
      }
    });

    test(`every reference matches within ${TOLERANCE} relative`, async () => {
      let worst = { error: 0, where: '' };
      for (const ref of references) {
        const result = await engine.run({ task: ref.task, stitchId: ref.stitchId, batchSize: ref.batch, pixels: ref.input.slice() });
        assert.deepEqual(Object.keys(result.outputs), Object.keys(ref.outputs));
        for (const [output, expected] of Object.entries(ref.outputs)) {
          const actual = result.outputs[output]!;
          assert.deepEqual(actual.dims, expected.dims, `${ref.task} stitch ${ref.stitchId} b${ref.batch} ${output} dims`);
          const error = relativeError(actual.data, expected.data);
          const where = `${ref.task} stitch ${ref.stitchId} b${ref.batch} ${output}`;
          assert.ok(error <= TOLERANCE, `${where}: relative error ${error.toExponential(2)}`);
          if (error > worst.error) worst = { error, where };
        }
      }
      console.log(`# ${name}: ${references.length} references, worst relative error ${worst.error.toExponential(2)} (${worst.where})`);
    });

    test('a batch gives the same outputs as its items run one by one', async () => {
      for (const ref of references.filter((r) => r.batch > 1)) {
        const batched = await engine.run({ task: ref.task, stitchId: ref.stitchId, batchSize: ref.batch, pixels: ref.input.slice() });
        for (let item = 0; item < ref.batch; item++) {
          const single = await engine.run({ task: ref.task, stitchId: ref.stitchId, batchSize: 1, pixels: sliceBatch(ref.input, ref.batch, item, 1) });
          for (const [output, tensor] of Object.entries(single.outputs)) {
            const fromBatch = sliceBatch(batched.outputs[output]!.data, ref.batch, item, 1);
            const error = relativeError(tensor.data, fromBatch);
            assert.ok(error <= 1e-5, `${ref.task} stitch ${ref.stitchId} item ${item} ${output}: ${error.toExponential(2)}`);
          }
        }
      }
    });
  });
}
