import { performance } from 'node:perf_hooks';
import type { TaskName } from '../../src/bundle/manifest.js';
import type { Engine } from '../../src/engine/engine.js';
import type { BenchClient, HttpSample } from './http-client.js';
import type { BenchImage } from './images.js';
import { quantiles, type Quantiles } from './results.js';

/** Sequential (one at a time) HTTP requests for one image, and what they add on top of the engine batch. */
export interface HttpLatency {
  image: string;
  requests: number;
  failed: number;
  /** Client-measured end-to-end latency. */
  e2e: Quantiles;
  /** Server-Timing `inference`: wall time of the request's engine batch (worker round trip included). */
  inference: Quantiles;
  /** Per request e2e − inference: everything serving adds (HTTP, body, decode + resize, queue, postprocess). */
  overhead: Quantiles;
  /** Per request e2e − inference − preprocess: the overhead without image decoding and resizing. */
  overheadWithoutPreprocess: Quantiles;
  /** Medians of the server's stages and of e2e − Server-Timing total (HTTP parsing, routing, reply, loopback). */
  stages: { preprocess: number; queue: number; postprocess: number; outsideHandler: number };
}

/** The engine driven directly, one batch-1 run at a time, in this process (no HTTP, no scheduler, no decoding). */
export interface DirectLatency {
  requests: number;
  /** engine.run() wall time: main thread → worker → main thread. */
  wall: Quantiles;
  /** session.run() inside the worker. */
  compute: Quantiles;
}

/** Accumulates samples across interleaved rounds. */
export class LatencySamples {
  readonly http = new Map<string, HttpSample[]>();
  readonly directWall: number[] = [];
  readonly directCompute: number[] = [];

  addHttp(image: string, samples: HttpSample[]): void {
    this.http.set(image, [...(this.http.get(image) ?? []), ...samples]);
  }

  httpSummary(image: string): HttpLatency {
    const all = this.http.get(image) ?? [];
    const ok = all.filter((s) => s.status === 200 && s.timing['inference'] !== undefined);
    const t = (s: HttpSample, k: string) => s.timing[k] ?? 0;
    const med = (f: (s: HttpSample) => number) => quantiles(ok.map(f)).p50;
    return {
      image,
      requests: all.length,
      failed: all.length - ok.length,
      e2e: quantiles(ok.map((s) => s.latencyMs)),
      inference: quantiles(ok.map((s) => t(s, 'inference'))),
      overhead: quantiles(ok.map((s) => s.latencyMs - t(s, 'inference'))),
      overheadWithoutPreprocess: quantiles(ok.map((s) => s.latencyMs - t(s, 'inference') - t(s, 'preprocess'))),
      stages: {
        preprocess: med((s) => t(s, 'preprocess')),
        queue: med((s) => t(s, 'queue')),
        postprocess: med((s) => t(s, 'postprocess')),
        outsideHandler: med((s) => s.latencyMs - t(s, 'total')),
      },
    };
  }

  directSummary(): DirectLatency {
    return { requests: this.directWall.length, wall: quantiles(this.directWall), compute: quantiles(this.directCompute) };
  }
}

/** `count` sequential POSTs of one image to /v1/<task> (each waits for the previous answer). */
export async function sequentialHttp(client: BenchClient, task: TaskName, image: BenchImage, count: number): Promise<HttpSample[]> {
  const out: HttpSample[] = [];
  for (let i = 0; i < count; i++) {
    out.push(await client.post(`/v1/${task}`, image.bytes, { 'content-type': 'image/jpeg', 'x-latency-budget-ms': '600000' }));
  }
  return out;
}

/** `count` sequential batch-1 runs of the engine; pushes wall and compute ms into `samples`. */
export async function sequentialEngine(
  engine: Engine,
  task: TaskName,
  stitchId: number,
  itemSize: number,
  count: number,
  samples: LatencySamples,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { computeMs } = await engine.run({ task, stitchId, batchSize: 1, pixels: new Float32Array(itemSize) });
    samples.directWall.push(performance.now() - started);
    samples.directCompute.push(computeMs);
  }
}
