export { ConfigSchema, TASK_NAMES } from './schema.js';
export type {
  Config,
  ControllerConfig,
  DeadlineBoundsConfig,
  EngineConfig,
  LimitsConfig,
  LoggingConfig,
  ServerConfig,
  TaskName,
} from './schema.js';
export { ConfigError, validateConfig } from './validate.js';
export { DEFAULT_CONFIG_FILE, loadConfig, type ConfigSources, type LoadedConfig } from './load.js';
