/**
 * The open-loop burst of `load.ts` (`measuredOpenLoop`: same schedule, same records, same client-load measures)
 * sent through the cheap raw HTTP client (raw-http.ts) instead of node:http, so the load generator's own CPU
 * adds less to the times it measures.
 */
import { performance } from 'node:perf_hooks';
import { recordOf, withClientLoad, type ClientLoad, type RequestRecord } from '../reliability/lib/load.js';
import { RawHttpClient, type RawOutcome } from './raw-http.js';

/** The record of one raw outcome, as load.ts fills it for node:http answers. */
function recordOfRaw(sentAt: number, outcome: RawOutcome): RequestRecord {
  const answer = outcome.answer === undefined ? undefined : { ...outcome.answer, ms: performance.now() - sentAt };
  return recordOf(sentAt, answer, outcome.writtenAt, outcome.error);
}

/**
 * Sends `request` (serialised, see `serializeRequest`) to `origin` at `ratePerS` for `durationMs`, never waiting
 * for answers: each tick sends every request that is due (at most `maxCount` in all). Resolves once every answer
 * is in, with the records in sending order and the rate achieved.
 */
export function rawOpenLoop(origin: URL, request: Buffer, ratePerS: number, durationMs: number, maxCount: number, timeoutMs: number): Promise<{ records: RequestRecord[]; achievedRatePerS: number }> {
  const client = new RawHttpClient(origin, timeoutMs);
  const records: RequestRecord[] = [];
  const interval = 1000 / ratePerS;
  const start = performance.now();
  let sent = 0;
  let answered = 0;
  let achievedRatePerS = Number.NaN;
  return new Promise((resolve) => {
    const finishIfDone = (): void => {
      if (Number.isNaN(achievedRatePerS) || answered < sent) return;
      client.close();
      resolve({ records, achievedRatePerS });
    };
    const sendOne = (index: number): void => {
      const sentAt = performance.now();
      client.send(request, (outcome) => {
        records[index] = recordOfRaw(sentAt, outcome);
        answered++;
        finishIfDone();
      });
    };
    const tick = (): void => {
      const elapsed = performance.now() - start;
      if (elapsed >= durationMs) {
        achievedRatePerS = (sent * 1000) / elapsed;
        finishIfDone();
        return;
      }
      const due = Math.min(maxCount, Math.floor(elapsed / interval) + 1);
      for (; sent < due; sent++) sendOne(sent);
      setTimeout(tick, Math.max(1, interval));
    };
    tick();
  });
}

/** `rawOpenLoop`, also measuring the client's own load exactly as load.ts's `measuredOpenLoop` (`withClientLoad`). */
export function rawMeasuredOpenLoop(
  origin: URL,
  request: Buffer,
  ratePerS: number,
  count: number,
  timeoutMs: number,
): Promise<{ records: RequestRecord[]; achievedRatePerS: number; client: ClientLoad }> {
  return withClientLoad(ratePerS, () => rawOpenLoop(origin, request, ratePerS, (1000 * count) / ratePerS, count, timeoutMs));
}
