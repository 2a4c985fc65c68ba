import { performance } from 'node:perf_hooks';

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every `everyMs` until it holds; throws `what` after `timeoutMs`. Resolves with the time it held (ms). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return performance.now();
}

/** GETs `url` every `everyMs` until stopped and records (time, status); status 0 when no answer. */
export function probe(url: string, everyMs: number): { samples: { at: number; status: number; code?: string }[]; stop(): Promise<void> } {
  const samples: { at: number; status: number; code?: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
        samples.push({ at, status: response.status, ...(body?.error?.code === undefined ? {} : { code: body.error.code }) });
      } catch {
        samples.push({ at, status: 0 });
      }
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}
