import { TstackError } from '../../../common/errors.js';
import type { FilterRunResult } from '../filters/stage.js';

/** What a NoValidHostError knows beyond its message (for callers and tests; the message says it all). */
export interface NoValidHostDetails {
  /** 0-based index of the instance that could not be placed. */
  readonly instance: number;
  /** Instances the request asked for. */
  readonly instances: number;
  /** Allocation requests placement returned for that instance. */
  readonly placementCandidates: number;
  /** The filter run on the hosts of those candidates (after avoidHosts). */
  readonly filterResult: FilterRunResult;
}

/**
 * No host can take (one instance of) the request; nothing the request claimed is left behind.
 * The message is the explanation: how many allocation candidates placement returned (with the query
 * when none), then explainNoValidHost's per-filter line, and any failed claims.
 * Code ERR_SCHEDULER_NO_VALID_HOST.
 */
export class NoValidHostError extends TstackError {
  readonly details: NoValidHostDetails;

  constructor(message: string, details: NoValidHostDetails, options?: { cause?: unknown }) {
    super('ERR_SCHEDULER_NO_VALID_HOST', message, options);
    this.details = details;
  }
}

/** A schedule request the scheduler refuses before asking placement (bad instance count, consumer uuids…). Code ERR_SCHEDULER_REQUEST. */
export class SchedulerRequestError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_REQUEST', message);
  }
}
