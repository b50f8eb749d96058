/**
 * The scheduling pipeline: placement candidates → filters → weighers → claim (see scheduler.ts).
 */
export { NoValidHostError, SchedulerRequestError, type NoValidHostDetails } from './errors.js';
export { DISABLED_TRAIT, HOST_DIMENSIONS, HostCache, SHARES_TRAIT } from './host-cache.js';
export { buildQuery, tenantAggregates, type PrefilterOptions } from './prefilters.js';
export {
  Scheduler,
  defaultFilters,
  type ScheduleRequest,
  type ScheduleResult,
  type SchedulerOptions,
  type SchedulerMode,
  type Selection,
} from './scheduler.js';
