import { TstackError } from '../../../common/errors.js';

/** A claim that does not fit: usage would exceed capacity in `dimension`. Nothing was changed. */
export class SchedulerCapacityError extends TstackError {
  constructor(
    readonly host: number,
    readonly dimension: string,
    readonly requested: number,
    readonly free: number,
  ) {
    super('ERR_SCHEDULER_CAPACITY', `host ${host}: ${dimension} ${requested} requested, ${free} free`);
  }
}

/** Input the host table refuses: unknown host id, wrong number of amounts, negative or non-finite amount, release of more than is used. */
export class SchedulerHostError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_HOST', message);
  }
}
