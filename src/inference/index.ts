export { engineExecutor, type ItemOutputs, type QueuedPixels } from './executor.js';
export { EventLoopMonitor, type EventLoopSnapshot } from './event-loop-monitor.js';
export { InflightTracker } from './inflight.js';
export { shedAtArrival, type ArrivalLoad, type Shed, type ShedCause, type SheddingLimits } from './load-shedding.js';
export { parseRequestOptions, type RawRequestOptions, type RequestOptions } from './request-options.js';
export { InferenceRuntime, type RuntimeOptions } from './runtime.js';
export { InferenceService, type InferenceOutcome, type InferenceRequest, type StageTiming, type StitchSummary } from './service.js';
export {
  classifyAnswer,
  depthAnswer,
  DEPTH_FORMATS,
  detectAnswer,
  segmentAnswer,
  SEGMENT_FORMATS,
  type DepthFormat,
  type SegmentFormat,
  type TaskAnswer,
} from './results.js';
export { createServices, type Services } from './services.js';
