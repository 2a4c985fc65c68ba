/** The scheduler: the runtime that queues requests and runs the policy's batches on an injected executor. */
export { systemClock, type Clock } from './clock.js';
export { createScheduler, type SchedulerParts, type SchedulerSetup } from './create.js';
export { DispatchCore, type CoreConfig, type CoreParts, type Lifecycle } from './dispatch-core.js';
export {
  Scheduler,
  toServiceError,
  type BatchExecutor,
  type BatchRecord,
  type ExecutorBatch,
  type SchedulerObserver,
  type Served,
} from './scheduler.js';
export type { DeadlineOutcome, SchedulerStats } from './stats.js';
