/**
 * The end of a graceful shutdown: new work is refused (503 DRAINING, every answer with `Connection: close`, see
 * app.ts) while accepted work finishes, then the listener stops and idle connections close (R10).
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

/** How long connections get to be accepted after the drain, before the listener stops (ms). */
export const SETTLE_MS = 25;

/**
 * Stops accepting connections and resolves once every open connection has ended. First waits `settleMs`, so that
 * connections that queued while the last accepted work kept the event loop busy are accepted and answered:
 * closing the listener resets every connection still in the kernel's accept queue. Node's close then also
 * closes the kept-alive connections idle at that moment (unused since before the drain: every answer since
 * closed its own); connections accepted but not yet read are served first. No-op when not listening.
 */
export async function stopAccepting(server: Server, settleMs = SETTLE_MS): Promise<void> {
  if (!server.listening) return;
  await sleep(settleMs);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * The whole graceful close: drain the services (readiness off, new work refused, accepted requests finish),
 * stop accepting (`stopAccepting`), then close the app (engine worker).
 */
export async function closeGracefully(app: FastifyInstance, settleMs = SETTLE_MS): Promise<void> {
  await app.services.drain();
  await stopAccepting(app.server, settleMs);
  await app.close();
}
