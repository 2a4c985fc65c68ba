import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { BundleError } from '../../src/bundle/bundle-error.js';
import { loadBundle } from '../../src/bundle/load-bundle.js';
import type { Manifest } from '../../src/bundle/manifest.js';
import { FIXTURES, fixtureDir, tempDir } from '../engine/fixtures.js';

describe('loadBundle', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let bundle: string;

  before(async () => ({ dir: root, cleanup } = await tempDir('bundle')));
  after(() => cleanup());
  beforeEach(async () => {
    bundle = path.join(root, 'tiny-v2');
    await rm(bundle, { recursive: true, force: true });
    await cp(fixtureDir('tiny-v2'), bundle, { recursive: true });
  });

  async function editManifest(edit: (m: Manifest) => void): Promise<void> {
    const file = path.join(bundle, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    edit(manifest);
    await writeFile(file, JSON.stringify(manifest));
  }

  async function problemsOf(dir = bundle, modelRoot = root): Promise<readonly string[]> {
    const err = await loadBundle(dir, { modelRoot }).then(
      () => assert.fail('loadBundle accepted a bad bundle'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BundleError, String(err));
    assert.equal(err.code, 'BUNDLE_INVALID');
    return err.problems;
  }

  test('accepts both committed fixtures and returns real paths and the bundle hash', async () => {
    for (const name of ['tiny-v2', 'tiny-v1'] as const) {
      const loaded = await loadBundle(fixtureDir(name), { modelRoot: FIXTURES });
      assert.equal(loaded.manifest.name, name);
      assert.equal(loaded.graphPath, path.join(fixtureDir(name), 'family.onnx'));
      assert.equal(loaded.externalDataPath, name === 'tiny-v1' ? path.join(fixtureDir(name), 'family.weights') : null);
      const manifestBytes = await readFile(path.join(fixtureDir(name), 'manifest.json'));
      assert.equal(loaded.bundleSha256, createHash('sha256').update(manifestBytes).digest('hex'));
      assert.ok(Object.isFrozen(loaded.manifest.stitches[0]));
    }
  });

  test('schema violations are all reported, each naming the field', async () => {
    await editManifest((m) => {
      (m as unknown as Record<string, unknown>).formatVersion = 2;
      (m.stitches[1] as unknown as Record<string, unknown>).kind = 'diagonal';
      delete (m.anchors[0] as Partial<Manifest['anchors'][0]>).dim;
    });
    const problems = await problemsOf();
    assert.ok(problems.includes('manifest.json: formatVersion = 2 must be 1'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('manifest.json: stitches[1].kind = "diagonal" must be one of')), problems.join('\n'));
    assert.ok(problems.includes('manifest.json: anchors[0] is missing required property "dim"'), problems.join('\n'));
  });

  test('a wrong sha256 is refused before ONNX Runtime sees the file', async () => {
    const onnx = path.join(bundle, 'family.onnx');
    const bytes = await readFile(onnx);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(onnx, bytes);
    const [problem] = await problemsOf();
    assert.match(problem!, /^family\.onnx sha256 is [0-9a-f]{64}, manifest says [0-9a-f]{64}$/);
  });

  test('a truncated file is named by its size', async () => {
    const onnx = path.join(bundle, 'family.onnx');
    const bytes = await readFile(onnx);
    await writeFile(onnx, bytes.subarray(0, 100));
    assert.deepEqual(await problemsOf(), [`family.onnx has 100 bytes, manifest says ${bytes.length}`]);
  });

  test('a missing file is named', async () => {
    await rm(path.join(bundle, 'family.onnx'));
    assert.deepEqual(await problemsOf(), ['manifest.json: files[0].path = "family.onnx" does not exist']);
  });

  test('a traversal or absolute path is refused as such', async () => {
    await editManifest((m) => {
      m.files.push({ path: '../tiny-v2/family.onnx', sha256: m.files[0]!.sha256, bytes: m.files[0]!.bytes });
      m.files.push({ path: '/etc/passwd', sha256: m.files[0]!.sha256, bytes: 1 });
    });
    const problems = await problemsOf();
    assert.ok(problems.includes('manifest.json: files[1].path = "../tiny-v2/family.onnx" contains ".." (paths must stay inside the bundle)'), problems.join('\n'));
    assert.ok(problems.includes('manifest.json: files[2].path = "/etc/passwd" is absolute (paths must be relative to the bundle)'), problems.join('\n'));
  });

  test('a symlink escaping the bundle is refused', async () => {
    const outside = path.join(root, 'outside.onnx');
    await cp(path.join(bundle, 'family.onnx'), outside);
    await rm(path.join(bundle, 'family.onnx'));
    await symlink(outside, path.join(bundle, 'family.onnx'));
    const [problem] = await problemsOf();
    assert.equal(problem, `manifest.json: files[0].path = "family.onnx" resolves to ${outside}, outside the bundle directory`);
  });

  test('a bundle outside the model root is refused', async () => {
    const [problem] = await problemsOf(bundle, FIXTURES);
    assert.match(problem!, /^bundle directory .*tiny-v2 is outside the model root .*fixtures$/);
  });

  test('a stitch slot out of range is named with the graph condition count', async () => {
    let count = 0;
    await editManifest((m) => {
      m.stitches[3]!.slots[2] = 99;
      count = m.graph.conditions.length;
    });
    assert.deepEqual(await problemsOf(), [`manifest.json: stitches[3].slots[2] = 99 is out of range (graph has ${count} conditions)`]);
  });

  test('a missing manifest and invalid JSON are named', async () => {
    await writeFile(path.join(bundle, 'manifest.json'), '{"format": ');
    assert.match((await problemsOf())[0]!, /^manifest\.json is not valid JSON: /);
    await rm(path.join(bundle, 'manifest.json'));
    assert.deepEqual(await problemsOf(), ['manifest.json does not exist']);
  });
});
