/**
 * Rehearses the Dockerfile without a Docker engine: runs the `build` stage's own instructions (COPY from the
 * .dockerignore-filtered context, ENV, WORKDIR, RUN) in a temporary directory with /src and /out mapped into it,
 * then starts the assembled /out/app the way the `runtime` stage does — `node dist/src/server.js`,
 * NODE_ENV=production, as uid/gid 10001 over root-owned files (so code and bundle are read-only to it, as in the
 * image) — and checks /healthz, /readyz, /metrics, one classification and a clean SIGTERM exit.
 *
 * Not covered: the base images, apt, and the GPU stages. Needs the npm registry (npm ci) and root (setpriv).
 * Usage: npx tsx scripts/docker/rehearse-build.ts [--keep] [--demo-bundle <dir>]    (about 1–2 minutes)
 * --demo-bundle puts <dir> into the rehearsal's context as models/fmnist-s-l (e.g. test/fixtures/tiny-v2 while the
 * demo bundle is not built yet); the repository itself is never modified.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { instructionsOf, parseDockerfile } from '../../test/deploy/lib/dockerfile.js';
import { freePort } from '../../test/deploy/lib/prometheus.js';

// A CommonJS module whose function is both module.exports and its .default; the types declare only .default.
const dockerignore = dockerignoreModule.default;

const REPO = path.resolve(import.meta.dirname, '../..');
const APP_UID = 10001;
const keep = process.argv.includes('--keep');
const demoBundleAt = process.argv.indexOf('--demo-bundle');
const demoBundle = demoBundleAt > 0 ? path.resolve(process.argv[demoBundleAt + 1] ?? '') : undefined;
const log = (message: string) => console.log(`[rehearse] ${message}`);

/** Context files as [path in the context, absolute source], after .dockerignore. */
function contextFiles(): [string, string][] {
  const rules = dockerignore().add(readFileSync(path.join(REPO, '.dockerignore'), 'utf8'));
  const listed = (cwd: string) => execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '.'], { cwd, encoding: 'utf8' })
    .split('\n').filter((f) => f !== '');
  const files = listed(REPO).map((f): [string, string] => [f, path.join(REPO, f)]);
  const bundle = demoBundle === undefined ? [] : listed(demoBundle).map((f): [string, string] => [`models/fmnist-s-l/${f}`, path.join(demoBundle, f)]);
  return [...files.filter(([f]) => demoBundle === undefined || !f.startsWith('models/fmnist-s-l/')), ...bundle]
    .filter(([f]) => !rules.ignores(f));
}

/** Maps the image paths the build stage uses (/src, /out) into `root`. */
const mapPaths = (text: string, root: string) => text.replace(/(?<![\w.-])\/(src|out)\b/g, `${root}/$1`);

function runBuildStage(root: string): void {
  const stage = parseDockerfile(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8')).stages.find((s) => s.name === 'build');
  if (stage === undefined) throw new Error('no build stage');
  const files = contextFiles();
  const env: NodeJS.ProcessEnv = { ...process.env };
  let cwd = root;
  for (const instruction of stage.instructions) {
    const keyword = instruction.getKeyword();
    if (keyword === 'WORKDIR') {
      cwd = mapPaths(instruction.getArgumentsContent() ?? '', root);
      mkdirSync(cwd, { recursive: true });
    } else if (keyword === 'ENV') {
      for (const arg of instruction.getExpandedArguments()) {
        const [key, ...value] = arg.getValue().split('=');
        env[key!] = value.join('=');
      }
    } else if (keyword === 'COPY') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const destination = path.resolve(cwd, args.at(-1)!);
      for (const source of args.slice(0, -1)) {
        const selected = source === '.' ? files : files.filter(([f]) => f === source || f.startsWith(`${source}/`));
        if (selected.length === 0) throw new Error(`COPY ${source}: not in the build context`);
        for (const [file, from] of selected) cpSync(from, path.join(destination, source === '.' ? file : path.basename(file)));
      }
      log(`COPY ${args.slice(0, -1).join(' ')} (${files.length} context files)`);
    } else if (keyword === 'RUN') {
      const command = mapPaths((instruction.getArgumentsContent() ?? '').replace(/^(--\S+\s+)+/, ''), root);
      log(`RUN ${command.split('\n')[0]!.slice(0, 100)}…`);
      const run = spawnSync('sh', ['-ec', command.replace(/\\\n/g, ' ')], { cwd, env, stdio: 'inherit' });
      if (run.status !== 0) throw new Error(`RUN failed with exit code ${run.status}`);
    } else {
      throw new Error(`the build stage uses ${keyword}, which this rehearsal does not implement`);
    }
  }
}

async function check(url: string, route: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(`${url}${route}`, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

async function smokeRuntime(app: string): Promise<void> {
  // As in the image: everything root-owned and read-only to the app user, except the profile cache.
  const cache = path.join(app, '.profile-cache');
  mkdirSync(cache, { recursive: true });
  chownSync(cache, APP_UID, APP_UID);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('setpriv', [`--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', process.execPath, 'dist/src/server.js'], {
    cwd: app, stdio: 'inherit',
    env: { PATH: process.env['PATH'], NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', TMPDIR: os.tmpdir() },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try { await check(url, '/readyz'); break; } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await check(url, '/healthz');
    const metrics = await (await check(url, '/metrics')).text();
    for (const name of ['stitchserve_controller_saturation', 'stitchserve_inflight_requests']) {
      if (!metrics.includes(`\n${name} `)) throw new Error(`/metrics lacks ${name}`);
    }
    const image = readFileSync(path.join(REPO, 'test/fixtures/images/fmnist-0-9-boot.png'));
    const answer = await (await check(url, '/v1/classify', { method: 'POST', body: image, headers: { 'content-type': 'image/png' } })).json();
    log(`classify → ${JSON.stringify(answer).slice(0, 160)}`);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`SIGTERM: exit code ${code}, expected 0`);
  log('SIGTERM → exit code 0');
}

const root = mkdtempSync(path.join(os.tmpdir(), 'stitchserve-rehearse-'));
chmodSync(root, 0o755);
try {
  runBuildStage(root);
  const app = path.join(root, 'out/app');
  const devOnly = ['typescript', 'tsx', 'kubernetes-models'].filter((m) => spawnSync('test', ['-e', path.join(app, 'node_modules', m)]).status === 0);
  if (devOnly.length > 0) throw new Error(`dev dependencies shipped: ${devOnly.join(', ')}`);
  log(`/out/app is ${execFileSync('du', ['-sh', app], { encoding: 'utf8' }).split('\t')[0]}`);
  await smokeRuntime(app);
  log('build stage and runtime rehearsal passed');
} finally {
  if (keep) log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
