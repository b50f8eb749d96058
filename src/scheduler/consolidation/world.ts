/**
 * What the consolidation planner needs of a world, so that one planner serves the scheduler (the
 * pipeline's filters, NUMA/PCI fit, server groups, reserves: scheduler-world.ts) and a bare host
 * table (capacity only: table-world.ts, for the packing bench and quick tests).
 *
 * The planner simulates its moves on the world itself (apply → undo) and undoes every one of them
 * before it returns: planning changes nothing. Everything is synchronous, so no other write can
 * interleave with a simulation.
 */
import type { HostFilter, HostFinder } from '../hosts/filter.js';
import type { HostTable } from '../hosts/host-table.js';

export interface ConsolidationWorld<I> {
  readonly table: HostTable;
  /** Answers bestFit over `table` (the capacity index, or a reference scan). */
  readonly finder: HostFinder;
  /** Whether the host is worth draining: in use, enabled, up and not in maintenance. */
  sourceEligible(host: number): boolean;
  /** Whether the host runs something (only such hosts receive moves: a move never opens a host). */
  inUse(host: number): boolean;
  /** The instances on the host, or why the host cannot be drained (something on it cannot be moved or is unknown). */
  instances(host: number): readonly I[] | string;
  /** The instance's amounts per table dimension. */
  need(instance: I): ArrayLike<number>;
  /** A stable name for messages and ordering ties (a consumer uuid, a VM number). */
  label(instance: I): string;
  /**
   * Marks a host as being drained (or no longer): it must not receive instances, and the reserves
   * must be computed as if it were gone (the HA reserve counts neither its load nor its spare).
   */
  setDraining(host: number, on: boolean): void;
  /**
   * The hard constraints of re-placing `instance`, taken off `from`, as a host filter (the same
   * rules as a new placement of it, bound to the world's current state: bind, search, apply, in
   * that order), or why it cannot be moved at all.
   */
  destinationFilter(instance: I, from: number): HostFilter | string;
  /** Why none of `hosts` (the in-use hosts not being drained) accepts the instance: per rule, how many it refused and why. */
  explainNoDestination(instance: I, from: number, hosts: Int32Array): string;
  /** Moves the instance in the world's state (usage, NUMA cells and devices, group members); returns the undo. */
  apply(instance: I, from: number, to: number): () => void;
}
