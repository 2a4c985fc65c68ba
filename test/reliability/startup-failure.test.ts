/**
 * A bundle that must not be served stops the real server process at start-up (spawned `node --import tsx
 * src/server.ts`, config from STITCHSERVE_CONFIG): exit code ≠ 0, never ready, and the output names the problem.
 * These are also the security checks on bundle paths and integrity end to end: a file that does not match its
 * manifest sha256, a manifest path with "..", a bundle outside the configured model root (process) and a symlink
 * leaving the bundle (in process) are all refused before ONNX Runtime opens anything.
 */
import assert from 'node:assert/strict';
import { open, symlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/app.js';
import { scratchBundle, type ScratchBundle } from './lib/bundles.js';
import { spawnServer } from './lib/server-process.js';

interface Case {
  name: string;
  /** Breaks the scratch bundle and returns the engine config to start with. */
  arrange(bundle: ScratchBundle): Promise<{ bundle: string; modelRoot?: string }>;
  /** What the output must say. */
  names: RegExp;
}

/** Refused by the spawned server process. */
const PROCESS_CASES: Case[] = [
  {
    name: 'family.onnx altered after the manifest was written (one byte flipped)',
    async arrange(b) {
      const file = await open(path.join(b.dir, 'family.onnx'), 'r+');
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, 4096);
      byte[0]! ^= 0x01;
      await file.write(byte, 0, 1, 4096);
      await file.close();
      return { bundle: b.dir };
    },
    names: /family\.onnx sha256 is [0-9a-f]{64}, manifest says [0-9a-f]{64}/,
  },
  {
    name: 'manifest lists a file outside the bundle ("../")',
    async arrange(b) {
      await b.editManifest((m) => {
        m.files[0].path = '../tiny-v2/family.onnx';
      });
      return { bundle: b.dir };
    },
    names: /files\[0\]\.path = "\.\.\/tiny-v2\/family\.onnx" contains "\.\."/,
  },
  {
    name: 'a bundle outside the configured model root',
    async arrange(b) {
      return { bundle: b.dir, modelRoot: path.join(b.root, 'elsewhere') };
    },
    names: /model root .*elsewhere cannot be opened|outside the model root/,
  },
];

/** The same refusal path, checked in process (spawning costs seconds of CPU per case). */
const IN_PROCESS_CASES: Case[] = [
  {
    name: 'a symlink in the bundle pointing outside it',
    async arrange(b) {
      await rm(path.join(b.dir, 'family.onnx'));
      await symlink('/etc/hostname', path.join(b.dir, 'family.onnx'));
      return { bundle: b.dir };
    },
    names: /resolves to \/etc\/hostname, outside the bundle directory/,
  },
  {
    name: 'a bundle directory that does not exist',
    async arrange(b) {
      return { bundle: path.join(b.root, 'no-such-bundle') };
    },
    names: /bundle directory .*no-such-bundle cannot be opened \(ENOENT\)/,
  },
];

/** The messages of the process's error/fatal log lines (pino JSON), and any plain stderr text. */
function failureMessages(output: string): string {
  return output
    .split('\n')
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        return (entry.level ?? 0) >= 50 ? (entry.msg ?? '') : '';
      } catch {
        return line;
      }
    })
    .join('\n');
}

test('a bundle that fails to load ends the server process with exit code ≠ 0 and a message naming the problem', { timeout: 240_000, concurrency: PROCESS_CASES.length }, async (t) => {
  // The cases start their processes together: each spends most of its time starting Node and tsx.
  await Promise.all(PROCESS_CASES.map((c) =>
    t.test(c.name, async () => {
      const bundle = await scratchBundle();
      try {
        const engine = await c.arrange(bundle);
        const server = await spawnServer(testConfig({ engine, logging: { level: 'info' } }));
        try {
          const exited = await Promise.race([server.exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 120_000).unref())]);
          assert.notEqual(exited, 'timeout', `the process did not exit:\n${server.output().slice(-2000)}`);
          assert.notEqual((exited as { code: number | null }).code, 0, 'exit code ≠ 0');
          assert.notEqual((exited as { code: number | null }).code, null, 'it exited by itself');
          assert.match(failureMessages(server.output()), c.names);
          assert.doesNotMatch(server.output(), /runtime ready/, 'it never became ready');
        } finally {
          await server.kill();
        }
      } finally {
        await bundle.remove();
      }
    }),
  ));
});

test('the same refusals in process: start() rejects with BUNDLE_INVALID naming the problem, readiness stays false', async (t) => {
  for (const c of IN_PROCESS_CASES) {
    await t.test(c.name, async () => {
      const bundle = await scratchBundle();
      try {
        const engine = await c.arrange(bundle);
        const app = await buildApp(testConfig({ engine, logging: { level: 'silent' } }));
        try {
          await assert.rejects(app.services.start(), (err: Error & { code?: string }) => err.code === 'BUNDLE_INVALID' && c.names.test(err.message));
          assert.equal(app.services.runtime.ready, false);
        } finally {
          await app.close();
        }
      } finally {
        await bundle.remove();
      }
    });
  }
});
