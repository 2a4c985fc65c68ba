import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProfileCache, type ProfileIdentity, profileCacheKey } from '../../src/engine/profile-cache.js';
import { startFixtureEngine, tempDir } from './fixtures.js';

const identity: ProfileIdentity = {
  cpuModel: 'test cpu', cores: 2, ortVersion: '1.30.0', bundleSha256: 'ab'.repeat(32), device: 'cpu',
  sessionOptions: { intraOpThreads: 2, prepacking: true }, plan: { shapes: ['classify:0:1'], runs: 2 },
};

describe('profile cache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir('profile')));
  after(() => cleanup());

  test('round-trips measured entries; any identity change is a different key', async () => {
    const cache = new ProfileCache(path.join(dir, 'unit'));
    assert.equal(await cache.read(identity), null);
    await cache.write(identity, new Map([['classify:0:1', 1.5]]));
    assert.deepEqual(await cache.read(identity), new Map([['classify:0:1', 1.5]]));
    assert.equal(await cache.read({ ...identity, ortVersion: '1.31.0' }), null);
    assert.notEqual(profileCacheKey(identity), profileCacheKey({ ...identity, sessionOptions: { intraOpThreads: 1, prepacking: true } }));
    // Key order does not matter.
    assert.equal(profileCacheKey(identity), profileCacheKey({ ...identity, sessionOptions: { prepacking: true, intraOpThreads: 2 } }));
  });

  test('a corrupt file is a miss, not an error', async () => {
    const cache = new ProfileCache(path.join(dir, 'unit'));
    await writeFile(cache.fileFor(profileCacheKey(identity)), '{ not json');
    assert.equal(await cache.read(identity), null);
  });

  test('a second engine start reads the profile from the cache instead of measuring', async () => {
    const cacheDir = path.join(dir, 'engine');
    const options = { profileCacheDir: cacheDir, batchSizes: [1, 4], servedStitches: [0, 2, 9] };
    const first = await startFixtureEngine('tiny-v2', options);
    const measured = first.profile();
    await first.close();
    assert.equal((await readdir(cacheDir)).filter((f) => f.endsWith('.json')).length, 1);
    const second = await startFixtureEngine('tiny-v2', options);
    assert.deepEqual(second.profile(), measured);
    await second.close();
  });

  test('large plans profile a subset and interpolate the rest', async () => {
    const engine = await startFixtureEngine('tiny-v2', { batchSizes: [1, 2, 4], warmup: { runs: 1, maxShapes: 24, sampleStitches: 3 } });
    try {
      const entries = engine.profileEntries();
      assert.equal(entries.size, 4 * 14 * 3, 'every served stitch × task × batch size has a figure');
      const measured = [...entries].filter(([, e]) => e.source === 'measured');
      assert.ok(measured.length <= 24 && measured.length > 0, `${measured.length} measured`);
      assert.ok(measured.every(([key]) => !key.endsWith(':2')), 'only the end batch sizes are measured');
      assert.ok([...entries.values()].every((e) => Number.isFinite(e.ms) && e.ms > 0));
    } finally {
      await engine.close();
    }
  });
});
