/**
 * The Dockerfile, parsed with dockerfile-ast and linted with dockerfile-utils (no Docker engine here), against
 * the rules in issue 9: multi-stage, pinned bases, onnxruntime install skip, pruning, non-root numeric USER
 * matching the pod's runAsUser, tini as PID 1, `node` (not npm) as the command, NODE_ENV=production, no remote
 * ADD, a CUDA 12 + cuDNN 9 GPU target with the CUDA provider, and the ports/paths the manifests rely on.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Copy } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import {
  baseImageOf, envValue, execForm, instructionsOf, parseDockerfile, splitImage, type Stage,
} from './lib/dockerfile.js';
import { REPO, appContainer, podSpec, render, serviceConfig } from './lib/rendered.js';

const text = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(text);
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  assert.ok(found, `stage ${name} exists`);
  return found;
};
const runtimeStages = ['runtime', 'runtime-gpu'].map(stage);
const runText = (s: Stage) => instructionsOf(s, 'RUN').map((i) => i.getArgumentsContent() ?? '').join('\n');
const packageJson = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('Dockerfile', () => {
  test('parses and lints clean (dockerfile-utils validator)', () => {
    const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(problems, []);
  });

  test('multi-stage; the default (last) target is the CPU runtime, the GPU runtime is a named target', () => {
    assert.ok(dockerfile.stages.length >= 3);
    assert.equal(dockerfile.stages.at(-1)!.name, 'runtime');
    for (const s of dockerfile.stages) {
      for (const copy of instructionsOf(s, 'COPY')) {
        const from = (copy as Copy).getFromFlag()?.getValue();
        if (from === undefined || from === null) continue;
        const at = dockerfile.stages.findIndex((x) => x.name === from);
        assert.ok(at >= 0 && at < dockerfile.stages.indexOf(s), `${s.name}: COPY --from=${from} names an earlier stage`);
      }
    }
  });

  test('base images are pinned: exact versions (or digests), never latest', () => {
    const external = new Set(dockerfile.stages.map((s) => baseImageOf(dockerfile, s)));
    for (const image of external) {
      const { tag, digest } = splitImage(image);
      assert.ok(digest !== undefined || (tag !== undefined && /^\d+\.\d+\.\d+/.test(tag)), `${image} is pinned to x.y.z or a digest`);
      assert.ok(!/latest/.test(image), image);
    }
  });

  test('CPU runtime: slim Debian Node LTS (even major ≥ 22); GPU runtime: CUDA 12.x with cuDNN, runtime flavour', () => {
    const node = splitImage(baseImageOf(dockerfile, stage('runtime')));
    assert.equal(node.repository, 'node');
    const [, major] = /^(\d+)\.\d+\.\d+-(bookworm|trixie)-slim$/.exec(node.tag ?? '') ?? [];
    assert.ok(major !== undefined && Number(major) >= 22 && Number(major) % 2 === 0, `${node.tag}: LTS Debian slim`);
    assert.equal(baseImageOf(dockerfile, stage('build')), baseImageOf(dockerfile, stage('runtime')), 'build and run on the same Node');
    const cuda = splitImage(baseImageOf(dockerfile, stage('runtime-gpu')));
    assert.equal(cuda.repository, 'nvidia/cuda');
    assert.match(cuda.tag ?? '', /^12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+$/);
  });

  test('build: npm ci with the onnxruntime install skip, tsc, prune dev deps, prune other platforms', () => {
    const build = stage('build');
    assert.equal(envValue(build, 'ONNXRUNTIME_NODE_INSTALL'), 'skip');
    assert.equal(packageJson.allowScripts?.['onnxruntime-node'], false, 'package.json allowScripts skips the postinstall too');
    const run = runText(build);
    assert.match(run, /\bnpm ci\b/);
    assert.doesNotMatch(run, /--omit[= ]optional|--no-optional/, 'sharp needs its optional prebuilt libvips');
    assert.match(run, /\bnpm run build\b/);
    assert.equal(packageJson.scripts.build.split(' ')[0], 'tsc');
    assert.match(run, /\bnpm prune --omit=dev\b/);
    assert.match(run, /prune-onnxruntime\.sh node_modules linux\/x64/);
    assert.ok(existsSync(path.join(REPO, 'scripts/docker/prune-onnxruntime.sh')));
    assert.match(run, /models\/fmnist-s-l/, 'the demo bundle is shipped');
  });

  test('GPU build fetches the CUDA provider on purpose and checks it links against the base image', () => {
    const gpuBuild = runText(stage('build-gpu'));
    assert.match(gpuBuild, /ONNXRUNTIME_NODE_INSTALL=cuda12[^\n]*\n?[^\n]*onnxruntime-node\/script\/install\.js/);
    assert.match(gpuBuild, /test -s libonnxruntime_providers_cuda\.so/);
    assert.match(runText(stage('runtime-gpu')), /ldd [^\n]*libonnxruntime_providers_cuda\.so/);
  });

  test('no ADD of remote URLs (nor any ADD), no secrets in ENV', () => {
    for (const s of dockerfile.stages) {
      for (const add of instructionsOf(s, 'ADD')) {
        assert.ok(!add.getArguments().some((a) => /^(https?|git):\/\/|\.git$/.test(a.getValue())), `${s.name}: ADD of a URL`);
      }
      for (const env of instructionsOf(s, 'ENV')) assert.doesNotMatch(env.getArgumentsContent() ?? '', /(TOKEN|PASSWORD|SECRET|API_KEY)\w*=/i);
    }
  });

  for (const s of runtimeStages) {
    test(`${s.name}: numeric non-root USER equal to the pod's runAsUser/runAsGroup`, () => {
      const users = instructionsOf(s, 'USER');
      assert.ok(users.length > 0, 'sets USER');
      const [uid, gid] = users.at(-1)!.getExpandedArguments()[0]!.getValue().split(':');
      assert.match(uid ?? '', /^\d+$/, 'numeric uid (runAsNonRoot can verify it)');
      assert.notEqual(Number(uid), 0);
      const pod = podSpec(render(s.name === 'runtime' ? 'overlays/cpu' : 'overlays/gpu'));
      assert.equal(Number(uid), pod.securityContext.runAsUser);
      assert.equal(Number(gid), pod.securityContext.runAsGroup);
    });

    test(`${s.name}: tini is PID 1 and runs \`node dist/src/server.js\` directly, NODE_ENV=production`, () => {
      const entrypoint = execForm(instructionsOf(s, 'ENTRYPOINT').at(-1)!);
      const cmd = execForm(instructionsOf(s, 'CMD').at(-1)!);
      assert.deepEqual(entrypoint, ['/usr/bin/tini', '--']);
      assert.deepEqual(cmd, ['node', packageJson.main]);
      assert.equal(packageJson.main, 'dist/src/server.js');
      assert.equal(envValue(s, 'NODE_ENV'), 'production');
      assert.match(s.name === 'runtime' ? runText(stage('node-runtime')) : text, /tini/);
    });

    test(`${s.name}: exposes the config port, healthcheck on /healthz, writable volumes match the pod's emptyDirs`, () => {
      const manifests = render(s.name === 'runtime' ? 'overlays/cpu' : 'overlays/gpu');
      const port = serviceConfig(manifests).server.port;
      assert.deepEqual(instructionsOf(s, 'EXPOSE').map((e) => e.getArgumentsContent()), [String(port)]);
      const healthcheck = instructionsOf(s, 'HEALTHCHECK').at(-1)?.getArgumentsContent() ?? '';
      assert.match(healthcheck, new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
      const volumes = execForm(instructionsOf(s, 'VOLUME').at(-1)!) ?? [];
      const emptyDirMounts = appContainer(manifests).volumeMounts
        .filter((m: any) => podSpec(manifests).volumes.find((v: any) => v.name === m.name).emptyDir !== undefined)
        .map((m: any) => m.mountPath);
      assert.deepEqual([...volumes].sort(), [...emptyDirMounts].sort());
    });
  }

  test('runtime images carry no npm (the command cannot drift to `npm start`)', () => {
    assert.match(runText(stage('node-runtime')), /rm -rf [^\n]*\/usr\/local\/bin\/npm\b/);
  });

  test('the image serves the demo bundle with no configuration: config/default.json points at it', () => {
    const defaults = JSON.parse(readFileSync(path.join(REPO, 'config/default.json'), 'utf8'));
    assert.equal(defaults.engine.bundle, 'models/fmnist-s-l');
    // The default profile cache (relative to the working directory /app) is a declared volume: `--read-only` works.
    const volumes = execForm(instructionsOf(stage('runtime'), 'VOLUME').at(-1)!) ?? [];
    assert.ok(volumes.includes(path.posix.resolve('/app', defaults.engine.profileCacheDir)), 'default profile cache is a volume');
    assert.match(runText(stage('build')), /cp -r models\/fmnist-s-l \/out\/app\/models\/fmnist-s-l/);
    assert.equal(instructionsOf(stage('runtime'), 'WORKDIR').at(-1)?.getArgumentsContent(), '/app');
  });
});
