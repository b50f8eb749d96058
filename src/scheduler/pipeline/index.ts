/**
 * The scheduling pipeline: placement candidates → filters → weighers → claim (see scheduler.ts).
 */
export { NoValidHostError, SchedulerRequestError, type NoValidHostDetails } from './errors.js';
export { DISABLED_TRAIT, HOST_DIMENSIONS, HostCache } from './host-cache.js';
export {
  Scheduler,
  defaultFilters,
  type ScheduleRequest,
  type ScheduleResult,
  type SchedulerOptions,
  type Selection,
} from './scheduler.js';
