import { Ajv, type ErrorObject } from 'ajv';
import { ConfigSchema, TASK_NAMES, type Config } from './schema.js';

/** Thrown when configuration is invalid; `violations` lists every problem found, one line each. */
export class ConfigError extends Error {
  readonly violations: readonly string[];

  constructor(source: string, violations: readonly string[]) {
    super(`invalid configuration (${source}):\n${violations.map((v) => `  - ${v}`).join('\n')}`);
    this.name = 'ConfigError';
    this.violations = violations;
  }
}

// allErrors: report every violation at once; useDefaults: the schema's `default`s fill missing settings.
const checkConfig = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(ConfigSchema);

/** Turns one schema error into a line a person can act on. */
function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return `${where === '(root)' ? '' : where}/${String(params['additionalProperty'])}: unknown setting (check the spelling)`;
  }
  if (error.keyword === 'enum') {
    const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
    return `${where}: must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  }
  return `${where}: ${error.message ?? 'is invalid'}`;
}

function crossFieldViolations(config: Config): string[] {
  const violations: string[] = [];
  for (const task of TASK_NAMES) {
    const d = config.controller.deadlines[task];
    if (d.minMs > d.maxMs) violations.push(`/controller/deadlines/${task}: minMs (${d.minMs}) exceeds maxMs (${d.maxMs})`);
    if (d.defaultMs < d.minMs || d.defaultMs > d.maxMs) {
      violations.push(`/controller/deadlines/${task}/defaultMs: ${d.defaultMs} is outside [minMs, maxMs] = [${d.minMs}, ${d.maxMs}]`);
    }
  }
  return violations;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}

/**
 * Fills defaults into `raw`, checks it against the schema and the cross-field rules, and returns a deeply
 * frozen Config. Every violation is collected before throwing one ConfigError; `raw` is not modified.
 */
export function validateConfig(raw: unknown, source = 'config'): Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, ['(root): must be a JSON object']);
  }
  const withDefaults = structuredClone(raw) as unknown;
  const violations = checkConfig(withDefaults) ? [] : (checkConfig.errors ?? []).map(describe);
  if (violations.length === 0) violations.push(...crossFieldViolations(withDefaults as Config));
  if (violations.length > 0) throw new ConfigError(source, [...new Set(violations)]);
  return deepFreeze(withDefaults as Config);
}
