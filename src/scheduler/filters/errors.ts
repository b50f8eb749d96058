import { TstackError } from '../../../common/errors.js';

/**
 * Input the filters refuse: a candidate id outside the host table, an out-of-range id in the host
 * state (architecture, machine type), a negative or non-finite reserve, a bad server-group rule.
 * Code ERR_SCHEDULER_FILTER.
 */
export class SchedulerFilterError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_FILTER', message);
  }
}
