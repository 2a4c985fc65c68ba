/**
 * scripts/docker/prune-onnxruntime.sh, run on a hard-linked copy of the installed onnxruntime-node (no data
 * copied): it keeps linux/x64 only, the pruned package still loads its native binding, and a layout it does not
 * recognise fails the build instead of shipping an image without ORT.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO } from './lib/rendered.js';

const SCRIPT = path.join(REPO, 'scripts/docker/prune-onnxruntime.sh');
const INSTALLED = path.join(REPO, 'node_modules/onnxruntime-node');
// Inside node_modules, so the hard links stay on one filesystem.
const cacheDir = path.join(REPO, 'node_modules/.cache');
mkdirSync(cacheDir, { recursive: true });
const scratch = mkdtempSync(path.join(cacheDir, 'deploy-prune-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function hardLinkedInstall(name: string): string {
  const modules = path.join(scratch, name, 'node_modules');
  mkdirSync(modules, { recursive: true });
  execFileSync('cp', ['-al', INSTALLED, path.join(modules, 'onnxruntime-node')]);
  symlinkSync(path.join(REPO, 'node_modules/onnxruntime-common'), path.join(modules, 'onnxruntime-common'));
  return modules;
}

describe('prune-onnxruntime.sh', () => {
  test('keeps linux/x64 only, and the pruned package still loads its binding', () => {
    const modules = hardLinkedInstall('ok');
    const bin = path.join(modules, 'onnxruntime-node/bin/napi-v6');
    assert.ok(readdirSync(bin).length > 1, 'the npm package ships several platforms');
    const run = spawnSync('sh', [SCRIPT, modules, 'linux/x64'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(readdirSync(bin), ['linux']);
    assert.deepEqual(readdirSync(path.join(bin, 'linux')), ['x64']);
    assert.ok(existsSync(path.join(bin, 'linux/x64/onnxruntime_binding.node')));
    assert.ok(existsSync(path.join(INSTALLED, 'bin/napi-v6/win32')), 'the original install is untouched');
    const load = spawnSync(process.execPath, ['-e', "console.log(JSON.stringify(require('onnxruntime-node').listSupportedBackends()))"],
      { cwd: path.dirname(modules), encoding: 'utf8', timeout: 20_000 });
    assert.equal(load.status, 0, load.stderr);
    assert.ok((JSON.parse(load.stdout) as { name: string }[]).some((b) => b.name === 'cpu'));
  });

  test('a platform the package does not ship fails loudly and deletes nothing', () => {
    const modules = hardLinkedInstall('unknown');
    const run = spawnSync('sh', [SCRIPT, modules, 'linux/riscv64'], { encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /linux\/riscv64 not found/);
    assert.ok(readdirSync(path.join(modules, 'onnxruntime-node/bin/napi-v6')).length > 1);
  });

  test('a missing onnxruntime-node fails loudly', () => {
    const run = spawnSync('sh', [SCRIPT, path.join(scratch, 'nowhere')], { encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /not found/);
  });
});
