import { performance } from 'node:perf_hooks';
import type { TaskName } from '../../src/bundle/manifest.js';
import type { Engine } from '../../src/engine/engine.js';
import { autocannon, type CannonResult } from './autocannon.js';
import { histogramMeanBetween, scrape } from './prom.js';

/** One interleaved round: the server under autocannon, then the engine in a loop, for the same time. */
export interface ThroughputRound {
  server: CannonResult & { meanBatch: number };
  /** Items per second of the direct engine loop (batches of `batch`, one in flight, like the scheduler). */
  directPerS: number;
  directBatches: number;
  /** server.okPerS ÷ directPerS. */
  ratio: number;
}

export interface ThroughputSettings {
  url: string;
  task: TaskName;
  stitchId: number;
  bodyFile: string;
  connections: number;
  seconds: number;
  batch: number;
  itemSize: number;
}

/** The server's closed-loop peak (answers/s) with the mean batch size it formed, read from its own metrics. */
export async function serverWindow(s: ThroughputSettings): Promise<ThroughputRound['server']> {
  const before = await scrape(s.url);
  const result = await autocannon(`${s.url}/v1/${s.task}`, s.bodyFile, 'image/jpeg', s.connections, s.seconds);
  const after = await scrape(s.url);
  return { ...result, meanBatch: histogramMeanBetween(before, after, 'stitchserve_batch_size', `{task="${s.task}"}`) };
}

/**
 * The engine driven directly for `seconds`: back-to-back runs of `batch` items of the same stitch, each
 * awaited before the next (the scheduler also keeps one batch in flight), fresh input buffers as the
 * executor allocates. Returns items per second.
 */
export async function directWindow(engine: Engine, s: ThroughputSettings): Promise<{ perS: number; batches: number }> {
  const started = performance.now();
  const end = started + s.seconds * 1000;
  let items = 0;
  let batches = 0;
  while (performance.now() < end) {
    await engine.run({ task: s.task, stitchId: s.stitchId, batchSize: s.batch, pixels: new Float32Array(s.itemSize * s.batch) });
    items += s.batch;
    batches++;
  }
  return { perS: (items * 1000) / (performance.now() - started), batches };
}

/** `rounds` interleaved (server, direct) pairs, alternating which goes first so load drift hits both alike. */
export async function throughputRounds(engine: Engine, s: ThroughputSettings, rounds: number, log: (l: string) => void): Promise<ThroughputRound[]> {
  const out: ThroughputRound[] = [];
  for (let r = 0; r < rounds; r++) {
    let server: ThroughputRound['server'];
    let direct: { perS: number; batches: number };
    if (r % 2 === 0) {
      server = await serverWindow(s);
      direct = await directWindow(engine, s);
    } else {
      direct = await directWindow(engine, s);
      server = await serverWindow(s);
    }
    const round = { server, directPerS: direct.perS, directBatches: direct.batches, ratio: server.okPerS / direct.perS };
    log(`  round ${r + 1}/${rounds}: server ${server.okPerS.toFixed(1)}/s (mean batch ${server.meanBatch.toFixed(2)}, non-2xx ${server.non2xx}), direct ${direct.perS.toFixed(1)}/s → ${round.ratio.toFixed(3)}`);
    out.push(round);
  }
  return out;
}
