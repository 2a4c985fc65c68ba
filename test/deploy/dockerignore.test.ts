/**
 * The Docker build context, computed from .dockerignore with Docker's own matching rules (@balena/dockerignore,
 * a port of Docker's Go implementation): everything the Dockerfile's build stage reads is in it, and the
 * heavy or private parts of the work tree are not.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import dockerignoreModule from '@balena/dockerignore';
import type { Copy } from 'dockerfile-ast';
import { instructionsOf, parseDockerfile } from './lib/dockerfile.js';
import { REPO } from './lib/rendered.js';

// A CommonJS module whose function is both module.exports and its .default; the types declare only .default.
const dockerignore = dockerignoreModule.default;

const rules = dockerignore().add(readFileSync(path.join(REPO, '.dockerignore'), 'utf8'));
const inContext = (file: string) => !rules.ignores(file);
/** Files git knows here (tracked, or untracked and not git-ignored): what a fresh clone plus new work holds. */
const workTree = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
  .split('\n').filter((f) => f !== '');

describe('.dockerignore (build context)', () => {
  test('holds what the build stage compiles and ships', () => {
    const needed = [
      'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'config/default.json', 'models/bundle.schema.json',
      'scripts/docker/prune-onnxruntime.sh', 'models/fmnist-s-l/manifest.json', 'models/fmnist-s-l/family.onnx',
      'models/fmnist-s-l/family.weights', 'src/server.ts', 'src/app.ts', 'src/engine/worker.ts', 'routes/classify.ts',
    ];
    for (const file of needed) assert.ok(inContext(file), `${file} is in the context`);
  });

  test('every source file tsc compiles (tsconfig include) is in the context', () => {
    const tsconfig = JSON.parse(readFileSync(path.join(REPO, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const roots = tsconfig.include.map((pattern) => pattern.split('/')[0]!);
    const sources = workTree.filter((f) => roots.some((r) => f.startsWith(`${r}/`)) && f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(sources.length > 0);
    for (const file of sources) assert.ok(inContext(file), `${file} is in the context`);
  });

  test('every context path the Dockerfile COPYs exists in the context', () => {
    for (const stage of parseDockerfile(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8')).stages) {
      for (const copy of instructionsOf(stage, 'COPY')) {
        if ((copy as Copy).getFromFlag() !== null) continue;
        const sources = copy.getArguments().map((a) => a.getValue()).slice(0, -1);
        for (const source of sources) if (source !== '.') assert.ok(inContext(source), `${stage.name}: COPY ${source}`);
      }
    }
  });

  test('keeps out dependencies, build output, VCS data, tests, the toolchain, references and notes', () => {
    const excluded = [
      'node_modules/fastify/package.json', 'dist/src/server.js', '.git/HEAD', '.git/config', 'test/deploy/dockerfile.test.ts',
      'test/fixtures/tiny-v2/manifest.json', 'models/toolchain/stitchkit/__init__.py', 'models/build/x/family.onnx',
      'models/checkpoints/deit3.pth', 'models/fmnist-s-l/references/index.json', '.notes/deploy.md', 'k8s/base/deployment.yaml',
      'bench/out/result.json', '.profile-cache/profile-x.json', '.env', 'src/engine/engine.test.ts', 'npm-debug.log',
    ];
    for (const file of excluded) assert.ok(!inContext(file), `${file} stays out`);
  });

  test('the context is small: no work-tree file outside the allow-list sneaks in', () => {
    const allowedRoots = ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'src/', 'routes/', 'config/', 'public/',
      'scripts/docker/', 'models/bundle.schema.json', 'models/fmnist-s-l/'];
    for (const file of workTree.filter(inContext)) {
      assert.ok(allowedRoots.some((r) => file === r || file.startsWith(r)), `${file} is in the context`);
    }
  });
});
