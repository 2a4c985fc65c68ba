import { loadConfig } from '../../../src/config/index.js';
import { buildApp } from '../../../src/app.js';
const { config } = loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
const app = await buildApp(config);
await app.listen({ port: config.server.port, host: config.server.host });
await (app as any).services.runtime.start();
process.once('SIGTERM', async () => { await app.close(); process.exit(0); });
