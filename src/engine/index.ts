/** The engine: the only owner of ONNX Runtime (in one worker thread). See docs/engine.md. */
export { Engine, createEngine } from './engine.js';
export type {
  EngineBatch,
  EngineEvents,
  EngineHealth,
  EngineMetadata,
  EngineOptions,
  EngineResult,
  EngineTensor,
} from './engine-types.js';
export type { LatencyEntry, LatencySource } from './latency-profile.js';
export { completeProfile, interpolate } from './latency-profile.js';
export { profileKey } from './profile-plan.js';
export { sessionOptionsFor, type DeviceSetting, type SessionChoice, type SessionConfig } from './session-options.js';
export type { EngineLogger } from './worker-host.js';
