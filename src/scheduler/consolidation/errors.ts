import { TstackError } from '../../../common/errors.js';

/** Bad planner options (a budget that is not a positive integer…). Code ERR_SCHEDULER_CONSOLIDATION_REQUEST. */
export class ConsolidationRequestError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_CONSOLIDATION_REQUEST', message);
  }
}

/**
 * The scheduler cannot plan consolidation for this world: it only moves instances the host table
 * answers for alone (every tree one provider, no sharing provider). Code ERR_SCHEDULER_CONSOLIDATION_UNSUPPORTED.
 */
export class ConsolidationUnsupportedError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_CONSOLIDATION_UNSUPPORTED', message);
  }
}

/**
 * A move cannot start: the destination fails one of the instance's hard constraints now, or
 * placement refused the write (the world moved since the plan). Nothing changed. The message says
 * which constraint, as a NoValidHost explanation does. Code ERR_SCHEDULER_MOVE_REFUSED.
 */
export class MoveRefusedError extends TstackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SCHEDULER_MOVE_REFUSED', message, options);
  }
}

/**
 * A move asked of the wrong state: the consumer was not placed by this scheduler, is already being
 * moved, or the move was already completed or aborted. Nothing changed. Code ERR_SCHEDULER_MOVE_STATE.
 */
export class MoveStateError extends TstackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SCHEDULER_MOVE_STATE', message, options);
  }
}
