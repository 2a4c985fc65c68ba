/**
 * The overload run at a larger scale than the CI test: spawns the real server (tiny bundle, adaptive policy),
 * measures capacity, sends an open-loop burst at `--factor` × capacity for `--burst-ms`, prints the numbers and
 * writes them to bench/results/reliability-overload.json.
 *
 *   npm run overload                                  # 12.5× for 10 s, segment overlay, budget 1000 ms
 *   npm run overload -- --factor 20 --burst-ms 5000 --path /v1/classify --task classify --budget-ms 2000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { testConfig } from '../test/helpers/app.js';
import { fixtureImage } from '../test/helpers/images.js';
import { runOverload } from '../test/reliability/lib/overload.js';
import { REPO, spawnServer } from '../test/reliability/lib/server-process.js';

const { values } = parseArgs({
  options: {
    factor: { type: 'string', default: '12.5' },
    'burst-ms': { type: 'string', default: '10000' },
    path: { type: 'string', default: '/v1/segment?format=overlay' },
    task: { type: 'string', default: 'segment' },
    image: { type: 'string', default: 'sample.jpg' },
    'budget-ms': { type: 'string', default: '1000' },
    policy: { type: 'string', default: 'adaptive' },
    out: { type: 'string', default: 'bench/results/reliability-overload.json' },
  },
});
const task = values.task as 'classify' | 'segment' | 'depth' | 'detect';
const budgetMs = Number(values['budget-ms']);
const config = testConfig({ controller: { policy: values.policy, deadlines: { [task]: { defaultMs: budgetMs } } }, logging: { level: 'warn' } });
const image = fixtureImage(values.image);
const type = values.image.endsWith('.png') ? 'image/png' : 'image/jpeg';

const server = await spawnServer(config);
try {
  await server.waitFor('/readyz', 200, 180_000);
  const loadBefore = os.loadavg();
  const report = await runOverload({
    url: server.url,
    pid: server.child.pid!,
    shot: () => ({ method: 'POST', path: values.path, headers: { 'content-type': type }, body: image, transport: 'keepalive' }),
    refusalShot: () => ({ method: 'POST', path: values.path, headers: { 'content-type': type, 'x-latency-budget-ms': '1' }, body: image, transport: 'keepalive' }),
    task,
    route: values.path.split('?')[0]!,
    queueBound: config.controller.queueBound,
    maxBatch: config.engine.maxBatch,
    factor: Number(values.factor),
    burstMs: Number(values['burst-ms']),
    capacityClients: 16,
    capacityMs: 5_000,
    budgetMs,
    recoveryTimeoutMs: 60_000,
  });
  const result = {
    command: `npm run overload -- --factor ${values.factor} --burst-ms ${values['burst-ms']} --path ${values.path} --task ${task} --image ${values.image} --budget-ms ${budgetMs} --policy ${values.policy}`,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
    serverConfig: { bundle: path.relative(REPO, config.engine.bundle), queueBound: config.controller.queueBound, maxBatch: config.engine.maxBatch, policy: values.policy, budgetMs },
    ...report,
    factorAchieved: report.achievedRatePerS / report.capacityPerS,
  };
  mkdirSync(path.dirname(path.resolve(REPO, values.out)), { recursive: true });
  writeFileSync(path.resolve(REPO, values.out), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await server.kill();
}
