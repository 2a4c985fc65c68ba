import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import type { TaskName } from '../src/bundle/manifest.js';
import { ErrorSchema } from './v1/schemas.js';

/**
 * The page's own Content-Security-Policy: everything from this origin only (no CDN fonts or scripts can load
 * even by mistake); `blob:`/`data:` images for the user's own uploads and canvas snapshots.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The directory of the page's static assets: `public/` at the repository root, found from this module both
 * when run from source (routes/demo.ts) and after `npm run build` (dist/routes/demo.js).
 */
export function publicDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../public'), path.resolve(here, '../../public')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (found === undefined) throw new Error(`demo page: no public/index.html in ${candidates.join(' or ')}`);
  return found;
}

const Deadline = Type.Object({ defaultMs: Type.Integer(), minMs: Type.Integer(), maxMs: Type.Integer() });

const SettingsSchema = Type.Object({
  policy: Type.String({ description: 'the stitch-selection policy in use' }),
  defaultQuality: Type.Union([Type.String(), Type.Number()], { description: 'hint applied to requests that name none' }),
  maxBatch: Type.Integer({ description: 'largest batch the engine runs' }),
  queueBound: Type.Integer({ description: 'most queued requests over all tasks' }),
  deadlines: Type.Record(Type.String(), Deadline, { description: 'per task: default and bounds of the latency budget (ms)' }),
});

const TaskStats = Type.Object({
  queueDepth: Type.Integer({ description: 'requests waiting now' }),
  selections: Type.Record(Type.String(), Type.Integer(), { description: 'stitch id → requests served (cumulative)' }),
  outcomes: Type.Object({ met: Type.Integer(), missed: Type.Integer(), rejected: Type.Integer() }, { description: 'deadline outcomes (cumulative)' }),
  effectiveAccuracy: Type.Union([Type.Number(), Type.Null()], { description: 'windowed effective accuracy, null with no sample' }),
});

const StatsSchema = Type.Object({
  atMs: Type.Number({ description: 'server wall clock (ms since the epoch) when the numbers were read' }),
  ready: Type.Boolean(),
  inflight: Type.Integer({ description: 'accepted and not yet answered (queued + running)' }),
  saturation: Type.Number({ description: 'predicted queue drain time at the preferred stitches ÷ the default budget' }),
  batches: Type.Integer({ description: 'batches run (cumulative)' }),
  tasks: Type.Record(Type.String(), TaskStats),
});

/**
 * The demo page: `public/` served at `/` (one route per file found at start-up, so unknown URLs still reach the
 * app's not-found handler), and two small JSON endpoints the page polls: `GET /demo/settings` (budgets and
 * controller settings) and `GET /demo/stats` (the scheduler's live counters — the same source as /metrics).
 */
export default async function demoRoutes(app: FastifyInstance) {
  const { runtime, config } = app.services;
  const tags = ['demo'];

  await app.register(fastifyStatic, {
    root: publicDir(),
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // swagger-ui registers @fastify/static too; only one registration may decorate the reply.
    decorateReply: false,
    dotfiles: 'ignore',
    // Short cache: the assets change with the service version and are tiny.
    maxAge: 60_000,
    setHeaders: (reply: FastifyReply, filePath: string) => {
      reply.header('x-content-type-options', 'nosniff');
      if (filePath.endsWith('.html')) reply.header('content-security-policy', PAGE_CSP);
    },
  });

  app.get('/demo/settings', { schema: { tags, summary: 'Latency-budget bounds per task and controller settings for the demo page', response: { 200: SettingsSchema, '5xx': ErrorSchema } } }, async () => {
    const { controller } = config;
    // runtime.parts answers NOT_READY (503) until the bundle is loaded and warmed.
    const tasks = Object.keys(runtime.parts.manifest.tasks) as TaskName[];
    return {
      policy: controller.policy,
      defaultQuality: controller.defaultQuality,
      maxBatch: runtime.engine.metadata.maxBatch,
      queueBound: controller.queueBound,
      deadlines: Object.fromEntries(tasks.map((task) => [task, controller.deadlines[task]])),
    };
  });

  app.get('/demo/stats', { schema: { tags, summary: "The scheduler's live counters per task (what the load panel plots)", response: { 200: StatsSchema, '5xx': ErrorSchema } } }, async () => {
    const stats = runtime.parts.scheduler.stats();
    const tasks: Record<string, Type.Static<typeof TaskStats>> = {};
    for (const task of runtime.tasks()) {
      tasks[task] = {
        queueDepth: stats.queueDepth[task] ?? 0,
        selections: { ...stats.selections[task] },
        outcomes: stats.outcomes[task] ?? { met: 0, missed: 0, rejected: 0 },
        effectiveAccuracy: stats.effectiveAccuracy[task] ?? null,
      };
    }
    return { atMs: Date.now(), ready: runtime.ready, inflight: stats.inflight, saturation: stats.saturation, batches: stats.batches, tasks };
  });
}
