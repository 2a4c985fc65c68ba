/**
 * Process entry: load config → build app → listen → load and warm the bundle → serve; graceful close on
 * SIGTERM/SIGINT (readiness false and new work 503 DRAINING with `Connection: close` first, accepted requests
 * finish, then the listener stops and idle connections close; exit 0 within server.shutdownGraceMs, else exit
 * 1). A bundle that fails to load ends the process with exit code 1 and a message naming the problem. The only module that reads process.env and argv.
 */
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { closeGracefully } from './graceful-close.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`stitchserve: ${err.message}\n`);
    process.exit(2);
  }
  const { config, file, warnings } = loaded;
  const logger = pino({ level: config.logging.level });
  logger.info({ config: file }, 'configuration loaded');
  for (const warning of warnings) logger.warn(warning);

  const app = await buildApp(config, { logger });
  closeWithGrace({ delay: config.server.shutdownGraceMs, logger }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'fatal error; shutting down');
    logger.info({ signal, inflight: app.services.inflight.count }, 'draining: readiness off, new work refused, finishing accepted requests');
    await closeGracefully(app);
    logger.info('drained; bye');
  });

  // Listen first so liveness answers while the bundle loads; readiness turns true once it is warm.
  // A deep accept queue: Node's default (511) overflows in the first ~0.5 s of a flood of new connections
  // (measured: 13 000 listen overflows in one overload test run), and the kernel then silently drops the
  // handshakes; clients retransmit after 1, 3, 7 s, so those requests reach the server seconds late and
  // every refusal or answer to them is late by the client's clock. Queued connections cost a few hundred bytes.
  await app.listen({ host: config.server.host, port: config.server.port, backlog: config.server.listenBacklog });
  try {
    await app.services.start();
  } catch (err) {
    logger.fatal({ err }, `the bundle ${config.engine.bundle} could not be loaded: ${(err as Error).message}`);
    await app.close().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`stitchserve: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
