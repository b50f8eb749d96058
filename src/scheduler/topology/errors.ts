import { TstackError } from '../../../common/errors.js';

/**
 * A NUMA topology or PCI pool the scheduler refuses (too many cells or hugepage sizes, a bad count),
 * a guest NUMA request that is malformed, or a release of what was not claimed. Code ERR_SCHEDULER_TOPOLOGY.
 */
export class SchedulerTopologyError extends TstackError {
  constructor(message: string) {
    super('ERR_SCHEDULER_TOPOLOGY', message);
  }
}
