import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig, validateConfig } from '../../src/config/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function violationsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.violations;
  }
  assert.fail('expected a ConfigError');
}

test('an empty object gets every default and is deeply frozen', () => {
  const config = validateConfig({});
  assert.equal(config.server.port, 8080);
  assert.equal(config.server.host, '0.0.0.0');
  assert.equal(config.engine.device, 'cpu');
  assert.equal(config.controller.deadlines.classify.defaultMs, 200);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.controller.deadlines.segment));
  assert.throws(() => {
    (config.server as { port: number }).port = 1;
  }, TypeError);
});

test('config/default.json is valid and equals the schema defaults plus the fallback bundle', () => {
  const raw = JSON.parse(readFileSync(path.join(repoRoot, DEFAULT_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  const fromFile = validateConfig(raw);
  const defaults = validateConfig({ engine: { fallbackBundle: 'test/fixtures/tiny-v2' } });
  assert.deepEqual(fromFile, defaults);
});

test('config/example.json is valid', () => {
  const raw = JSON.parse(readFileSync(path.join(repoRoot, 'config/example.json'), 'utf8')) as unknown;
  assert.doesNotThrow(() => validateConfig(raw));
});

test('every violation is reported at once, with its path', () => {
  const violations = violationsOf(() =>
    validateConfig({
      server: { port: 70000, hots: 'x' },
      limits: { bodyBytes: 'big' },
      engine: { device: 'tpu', threads: 0 },
      controller: { queueBound: -1, policy: 'random' },
      logging: { level: 'loud' },
      extra: true,
    }),
  );
  const expected = ['/server/port', '/server/hots', '/limits/bodyBytes', '/engine/device', '/engine/threads', '/controller/queueBound', '/controller/policy', '/logging/level', '/extra'];
  for (const where of expected) assert.ok(violations.some((v) => v.startsWith(`${where}:`)), `no violation for ${where} in\n${violations.join('\n')}`);
  assert.ok(violations.some((v) => v.includes('"cpu", "cuda", "auto"')), 'enum violations list the allowed values');
  assert.ok(violations.some((v) => v.includes('unknown setting')), 'unknown keys are named');
});

test('cross-field rules: deadline bounds must be ordered', () => {
  const violations = violationsOf(() =>
    validateConfig({ controller: { deadlines: { classify: { minMs: 50, maxMs: 10, defaultMs: 20 }, depth: { defaultMs: 90_000 } } } }),
  );
  assert.ok(violations.some((v) => v.includes('/controller/deadlines/classify: minMs (50) exceeds maxMs (10)')));
  assert.ok(violations.some((v) => v.startsWith('/controller/deadlines/depth/defaultMs')));
});

test('a non-object configuration is refused', () => {
  assert.deepEqual(violationsOf(() => validateConfig([1, 2])), ['(root): must be a JSON object']);
});

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'stitchserve-config-'));
}

test('loadConfig: --config beats STITCHSERVE_CONFIG, PORT/HOST override the file', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ server: { port: 1000 } }));
  writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ server: { port: 2000 } }));
  const fromArg = loadConfig({ argv: ['--config', 'a.json'], env: { STITCHSERVE_CONFIG: 'b.json' }, cwd: dir });
  assert.equal(fromArg.config.server.port, 1000);
  assert.equal(fromArg.file, path.join(dir, 'a.json'));
  const fromEnv = loadConfig({ argv: [], env: { STITCHSERVE_CONFIG: 'b.json', HOST: '127.0.0.1' }, cwd: dir });
  assert.equal(fromEnv.config.server.port, 2000);
  assert.equal(fromEnv.config.server.host, '127.0.0.1');
  const overridden = loadConfig({ argv: ['--config=a.json'], env: { PORT: '3000' }, cwd: dir });
  assert.equal(overridden.config.server.port, 3000);
});

test('loadConfig: a bad PORT and file violations are reported together', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ engine: { maxBatch: 0 } }));
  const violations = violationsOf(() => loadConfig({ argv: ['--config', 'c.json'], env: { PORT: 'eighty' }, cwd: dir }));
  assert.ok(violations.some((v) => v.startsWith('env PORT')));
  assert.ok(violations.some((v) => v.startsWith('/engine/maxBatch')));
});

test('loadConfig: unreadable and malformed files name the problem', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'broken.json'), '{ "server": ');
  assert.match(violationsOf(() => loadConfig({ argv: ['--config', 'missing.json'], env: {}, cwd: dir }))[0]!, /cannot read the file: ENOENT/);
  assert.match(violationsOf(() => loadConfig({ argv: ['--config', 'broken.json'], env: {}, cwd: dir }))[0]!, /not valid JSON/);
});

test('loadConfig: a missing bundle falls back to fallbackBundle with a warning; paths become absolute', () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'tiny'));
  writeFileSync(path.join(dir, 'f.json'), JSON.stringify({ engine: { bundle: 'not-there', fallbackBundle: 'tiny' } }));
  const loaded = loadConfig({ argv: ['--config', 'f.json'], env: {}, cwd: dir });
  assert.equal(loaded.config.engine.bundle, path.join(dir, 'tiny'));
  assert.equal(loaded.warnings.length, 1);
  assert.match(loaded.warnings[0]!, /does not exist; serving the fallback bundle/);

  mkdirSync(path.join(dir, 'real'));
  writeFileSync(path.join(dir, 'g.json'), JSON.stringify({ engine: { bundle: 'real', fallbackBundle: 'tiny' } }));
  const present = loadConfig({ argv: ['--config', 'g.json'], env: {}, cwd: dir });
  assert.equal(present.config.engine.bundle, path.join(dir, 'real'));
  assert.deepEqual(present.warnings, []);
});

test('loadConfig without arguments reads config/default.json from the working directory', () => {
  const loaded = loadConfig({ argv: [], env: {}, cwd: repoRoot });
  assert.equal(loaded.file, path.join(repoRoot, DEFAULT_CONFIG_FILE));
  assert.equal(loaded.config.server.port, 8080);
});
