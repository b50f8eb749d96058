/**
 * One live migration as Placement records it (Nova's move semantics since Queens): while the guest
 * moves, the instance consumer holds its allocation on the destination and a migration consumer
 * holds the source's, both written in one multi-consumer allocation write (atomic). Completing the
 * move deletes the migration consumer's allocations (the source is released); aborting it writes
 * the source back to the instance and empties the migration consumer, again in one write.
 * Scheduler.startMove / completeMove / abortMove do those writes.
 */
import type { Resources } from '../../placement/types.js';

export interface Move {
  /** The instance being moved. */
  readonly consumerUuid: string;
  /** The consumer that holds the source until the move completes or is aborted. */
  readonly migrationUuid: string;
  readonly from: number;
  readonly to: number;
  readonly fromUuid: string;
  readonly toUuid: string;
  /** What the instance held before (provider uuid → resources): the migration consumer's now. */
  readonly source: Readonly<Record<string, Resources>>;
  /** What the instance holds on the destination. */
  readonly destination: Readonly<Record<string, Resources>>;
}

export interface StartMoveOptions {
  /** The migration consumer's uuid (default: a random one); must not hold allocations. */
  readonly migrationUuid?: string;
  /**
   * Hosts (root provider uuids) being drained by the same plan: never a destination, and counted as
   * gone by the reserves (the HA reserve must hold without them).
   */
  readonly draining?: readonly string[];
}
