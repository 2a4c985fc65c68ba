import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, validateConfig } from './validate.js';
import type { Config } from './schema.js';

/** Where the configuration comes from; server.ts passes the real process values. */
export interface ConfigSources {
  /** Command-line arguments after the script name; `--config <file>` or `--config=<file>` names the file. */
  argv: readonly string[];
  /** Environment: STITCHSERVE_CONFIG (file), PORT and HOST (override server.port/host). */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory that relative paths (config file, bundle) resolve against. */
  cwd: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, absolute. */
  file: string;
  /** Things the operator should know (e.g. the fallback bundle in use); log them once a logger exists. */
  warnings: string[];
}

/** The configuration file used when neither `--config` nor STITCHSERVE_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = 'config/default.json';

function configFileArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
}

function applyEnvironment(raw: Record<string, unknown>, env: ConfigSources['env'], violations: string[]): void {
  const server = { ...((raw['server'] as Record<string, unknown> | undefined) ?? {}) };
  if (env['PORT'] !== undefined && env['PORT'] !== '') {
    const port = Number(env['PORT']);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) violations.push(`env PORT: "${env['PORT']}" is not a port number (0-65535)`);
    else server['port'] = port;
  }
  if (env['HOST'] !== undefined && env['HOST'] !== '') server['host'] = env['HOST'];
  raw['server'] = server;
}

/** Replaces a missing bundle directory by the configured fallback, with a warning; engine paths become absolute. */
function resolveBundle(raw: Record<string, unknown>, cwd: string, warnings: string[]): void {
  const engine = { ...((raw['engine'] as Record<string, unknown> | undefined) ?? {}) };
  const bundle = typeof engine['bundle'] === 'string' ? path.resolve(cwd, engine['bundle']) : undefined;
  const fallback = typeof engine['fallbackBundle'] === 'string' ? path.resolve(cwd, engine['fallbackBundle']) : undefined;
  if (bundle !== undefined && !existsSync(bundle) && fallback !== undefined) {
    warnings.push(`bundle ${bundle} does not exist; serving the fallback bundle ${fallback} instead`);
    engine['bundle'] = fallback;
  } else if (bundle !== undefined) {
    engine['bundle'] = bundle;
  }
  if (fallback !== undefined) engine['fallbackBundle'] = fallback;
  for (const key of ['modelRoot', 'profileCacheDir']) {
    if (typeof engine[key] === 'string') engine[key] = path.resolve(cwd, engine[key]);
  }
  raw['engine'] = engine;
}

/**
 * Reads the configuration file (`--config`, else STITCHSERVE_CONFIG, else config/default.json), applies the
 * PORT/HOST environment overrides, resolves the bundle directory and validates the result once.
 * Throws ConfigError listing every violation.
 */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const named = configFileArgument(sources.argv) ?? sources.env['STITCHSERVE_CONFIG'];
  const file = path.resolve(sources.cwd, named ?? DEFAULT_CONFIG_FILE);
  const raw = readJsonFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, ['(root): must be a JSON object']);
  const violations: string[] = [];
  const warnings: string[] = [];
  applyEnvironment(raw, sources.env, violations);
  resolveBundle(raw, sources.cwd, warnings);
  let config: Config;
  try {
    config = validateConfig(raw, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(file, [...violations, ...err.violations]);
    throw err;
  }
  if (violations.length > 0) throw new ConfigError(file, violations);
  return { config, file, warnings };
}
