/**
 * Closed-loop load for the deploy tests: `concurrency` clients each POST an image to a task endpoint, back to
 * back, until `stop()` — enough to keep requests in flight on a loopback server. Bounded by time and by the
 * caller; counts answers by HTTP status.
 */
export interface LoadRun {
  /** Ends the loop and resolves with the number of answers per status code. */
  stop(): Promise<Map<number, number>>;
}

/** Starts the clients; each request carries `body` as `contentType` and a latency budget of `budgetMs`. */
export function startLoad(url: string, body: Buffer, contentType: string, concurrency: number, budgetMs: number): LoadRun {
  const statuses = new Map<number, number>();
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': contentType, 'x-latency-budget-ms': String(budgetMs) },
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        // A rejected request (429/503) comes back at once: pause briefly instead of spinning on the CPU.
        if (response.status !== 200) await new Promise((r) => setTimeout(r, 20));
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      return statuses;
    },
  };
}
