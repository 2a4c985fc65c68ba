import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Manifest } from '../../src/bundle/manifest.js';
import { Engine } from '../../src/engine/engine.js';
import { ServiceError } from '../../src/errors.js';
import { fixtureDir, tempDir } from './fixtures.js';

/** Graph/manifest mismatches only ONNX Runtime can see: the worker refuses them at start-up. */
describe('engine start-up refuses a bundle whose graph disagrees with its manifest', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await tempDir('bad-bundle')));
  after(() => cleanup());

  async function bundleWith(name: string, edit: (m: Manifest, dir: string) => Promise<void> | void): Promise<string> {
    const dir = path.join(root, name);
    await cp(fixtureDir('tiny-v2'), dir, { recursive: true });
    const file = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    await edit(manifest, dir);
    await writeFile(file, JSON.stringify(manifest));
    return dir;
  }

  async function startError(dir: string): Promise<ServiceError> {
    const engine = new Engine({ bundleDir: dir, modelRoot: root, profileCacheDir: null });
    const err = await engine.start().then(() => assert.fail('start() accepted the bundle'), (e: unknown) => e);
    assert.ok(err instanceof ServiceError && err.code === 'BUNDLE_INVALID', String(err));
    assert.equal(engine.ready, false);
    return err;
  }

  test('an output the graph lacks, and a condition that is not a graph input', async () => {
    const dir = await bundleWith('outputs', (m) => {
      m.tasks.classify!.outputs = ['classify.probs'];
      m.graph.conditions.push('a9.b9');
    });
    const err = await startError(dir);
    assert.match(err.message, /family\.onnx has no input "a9\.b9" \(graph\.conditions\)/);
    assert.match(err.message, /family\.onnx has no output "classify\.probs" \(tasks\.classify\.outputs\)/);
  });

  test('a graph input the manifest does not list', async () => {
    const dir = await bundleWith('inputs', (m) => {
      m.graph.conditions = m.graph.conditions.filter((c) => c !== 'tap0.l');
      for (const s of m.stitches) s.slots = [];
    });
    assert.match((await startError(dir)).message, /family\.onnx input "tap0\.l" is not in the manifest/);
  });

  test('a file ONNX Runtime cannot parse (sha256 consistent) is named', async () => {
    const dir = await bundleWith('corrupt', async (m, bundleDir) => {
      const bytes = Buffer.from('this is not an onnx model');
      await writeFile(path.join(bundleDir, 'family.onnx'), bytes);
      m.files[0] = { path: 'family.onnx', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    assert.match((await startError(dir)).message, /family\.onnx: ONNX Runtime cannot load it: /);
  });
});
