import { TstackError } from '../../../common/errors.js';

/**
 * Input the weighers refuse: a non-finite multiplier or raw weight, a candidate id outside the host
 * table, a negative or non-integer per-host statistic. Code ERR_SCHEDULER_WEIGHER.
 */
export class SchedulerWeigherError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_WEIGHER', message);
  }
}
