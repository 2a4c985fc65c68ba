import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The page's modules are plain browser ES modules (no types, no build); the pure ones load in Node as they are.
const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/js');
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(JS, file)).href)) as T;

interface Scale { at(v: number): number; ticks(): number[] }
const scale = await load<{
  makeScale(lo: number, hi: number, from: number, to: number, log: boolean): Scale;
  linearTicks(lo: number, hi: number): number[];
  logTicks(lo: number, hi: number): number[];
}>('scale.js');
const burst = await load<{
  BURST_LIMITS: { maxCount: number; maxRatePerSecond: number };
  clampBurst(count: number, rate: number): { count: number; ratePerSecond: number };
  runBurst(options: { count: number; ratePerSecond: number; send: (i: number) => Promise<number>; onAnswer: (a: number, i: number) => void; signal: AbortSignal }): Promise<number>;
}>('burst.js');
const stats = await load<{
  attainment(before: Record<string, number>, after: Record<string, number>): number | undefined;
  meanQuality(before: Record<string, number>, after: Record<string, number>, q: (id: number) => number | undefined): number | undefined;
}>('live-stats.js');
const segment = await load<{ paintRle(rgba: Uint8ClampedArray, mask: { size: [number, number]; counts: number[] }, rgb: number[]): void }>('results/segment.js');
const colours = await load<{ depthColour(m: number, near: number, far: number): number[]; textOn(rgb: number[]): string }>('colours.js');

describe('demo page logic (pure modules of public/js)', () => {
  test('axes: round linear ticks, 1-2-5 log ticks, scales map the range onto pixels and clamp', () => {
    assert.deepEqual(scale.linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(scale.logTicks(1, 100), [1, 2, 5, 10, 20, 50, 100]);
    const x = scale.makeScale(1, 100, 0, 200, true);
    assert.equal(x.at(1), 0);
    assert.equal(x.at(10), 100);
    assert.equal(x.at(1000), 200, 'clamped to the range');
  });

  test('bursts: limits clamp the request, the open loop sends every request and stops on abort', async () => {
    assert.deepEqual(burst.clampBurst(10_000, 0), { count: burst.BURST_LIMITS.maxCount, ratePerSecond: 1 });
    assert.deepEqual(burst.clampBurst(Number.NaN, 1e9), { count: 1, ratePerSecond: burst.BURST_LIMITS.maxRatePerSecond });
    const answered: number[] = [];
    const sent = await burst.runBurst({ count: 5, ratePerSecond: 100, send: async (i) => i * 2, onAnswer: (a) => answered.push(a), signal: new AbortController().signal });
    assert.equal(sent, 5);
    assert.deepEqual(answered.sort((a, b) => a - b), [0, 2, 4, 6, 8]);
    const stop = new AbortController();
    const partial = await burst.runBurst({ count: 50, ratePerSecond: 20, send: async (i) => { if (i === 1) stop.abort(); return i; }, onAnswer: () => undefined, signal: stop.signal });
    assert.ok(partial >= 2 && partial < 50, `stopped after ${partial}`);
  });

  test('live series: attainment and mean quality come from differences of cumulative counters', () => {
    assert.equal(stats.attainment({ met: 5, missed: 1, rejected: 0 }, { met: 8, missed: 2, rejected: 2 }), 0.5);
    assert.equal(stats.attainment({ met: 5 }, { met: 5 }), undefined, 'nothing finished in the window');
    const quality = (id: number) => ({ 1: 0.9, 2: 0.5 })[id];
    assert.equal(stats.meanQuality({ 1: 10 }, { 1: 11, 2: 3 }, quality), (0.9 + 3 * 0.5) / 4);
  });

  test('segmentation: COCO RLE runs are column-major and start with background', () => {
    const [height, width] = [2, 3];
    const rgba = new Uint8ClampedArray(width * height * 4);
    // column-major: (x0,y0)=0 (x0,y1)=1 (x1,y0)=1 (x1,y1)=0 (x2,y0)=0 (x2,y1)=1
    segment.paintRle(rgba, { size: [height, width], counts: [1, 2, 2, 1] }, [10, 20, 30]);
    const alpha = Array.from({ length: width * height }, (_, i) => rgba[i * 4 + 3]);
    assert.deepEqual(alpha, [0, 255, 0, 255, 0, 255], 'row-major alpha: row 0 = x1, row 1 = x0 and x2');
  });

  test('colours: near depths are bright, far ones dark; label text picks the readable ink', () => {
    const luminance = (rgb: number[]) => rgb[0]! + rgb[1]! + rgb[2]!;
    assert.ok(luminance(colours.depthColour(1, 1, 10)) > luminance(colours.depthColour(10, 1, 10)));
    assert.equal(colours.textOn([255, 200, 25]), '#000');
    assert.equal(colours.textOn([0, 0, 128]), '#fff');
  });
});
