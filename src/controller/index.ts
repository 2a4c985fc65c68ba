/** The controller: pure stitch-selection logic (types, latency model, frontiers, hints, admission, policies). */
export * from './types.js';
export { catalogFromManifest, type ManifestView, type StitchCatalog, type StitchPoint, type TaskCatalog } from './catalog.js';
export { FrontierIndex, type Eligibility } from './frontier-index.js';
export type { FrontierPoint } from './frontier.js';
export { checkConstraints, checkQualityHint, hintQuantile, NAMED_HINTS, parseQualityHint } from './hints.js';
export { LatencyModel, DEFAULT_LATENCY_OPTIONS, type LatencyModelOptions } from './latency-model.js';
export { flopsDerivedMs, flopsDerivedProfile, profileFromJson, profileKey, type LatencyProfile } from './latency-profile.js';
export { admit, type AdmitResult } from './admission.js';
export { createPolicy, POLICY_NAMES, AdaptivePolicy, SlackFitPolicy, StaticPolicy, type Policy } from './policies/index.js';
