/**
 * The consolidation world of a Scheduler: the instances it placed, re-placed through the very
 * filter of a new placement of them (Scheduler's indexed path: placement's capacity, unit, trait,
 * aggregate and disabled rules, then every filter stage — compute, image properties, server-group
 * affinity and anti-affinity, aggregate filters, the HCI and HA reserves when configured — and the
 * NUMA/PCI fit), with the hosts being drained put in maintenance in a private copy of the host
 * state: ComputeFilter refuses them, and the HA reserve counts neither their load nor their spare,
 * so the reserve must hold without them.
 *
 * A host whose allocations include a consumer the scheduler did not place (its constraints are
 * unknown) or a move in progress is not drained. Simulated moves change the table's usage, the NUMA
 * cells and devices and the group members, and are undone exactly (the source's NUMA claim is
 * restored as it was, not re-fitted).
 */
import type { PlacementEngine } from '../../placement/engine.js';
import type { HostFilter, HostFinder } from '../hosts/filter.js';
import type { HostTable } from '../hosts/host-table.js';
import { HostState } from '../filters/host-state.js';
import type { ServerGroupRequest } from '../filters/stage.js';
import { SchedulerTopologyError } from '../topology/errors.js';
import type { HostTopologies, TopologyClaim, TopologyPlan } from '../topology/host-topologies.js';
import type { HostStats } from '../weighers/host-stats.js';
import type { ConsolidationWorld } from './world.js';

/** What the scheduler knows of a consumer it placed. */
export interface PlacedView {
  readonly host: number;
  readonly need: Float64Array;
  readonly plan: TopologyPlan;
  readonly topology: TopologyClaim | undefined;
  readonly group: ServerGroupRequest | undefined;
  /** Being moved, or a migration consumer itself. */
  readonly inMove: boolean;
}

/** The scheduler's state the world works on (Scheduler builds it; not for other callers). */
export interface SchedulerInternals {
  readonly table: HostTable;
  readonly finder: HostFinder;
  readonly hostState: HostState;
  readonly stats: HostStats;
  readonly topologies: HostTopologies;
  readonly engine: PlacementEngine;
  hostUuid(host: number): string;
  record(consumerUuid: string): PlacedView | undefined;
  /** The re-placement filter of a placed consumer under `hostState`; undefined when the host table cannot answer its request. */
  replacementFilter(consumerUuid: string, hostState: HostState): HostFilter | undefined;
  /** Why none of `hosts` accepts the consumer: capacity, placement's rules, then the filter stages (explainNoValidHost). */
  explainReplacement(consumerUuid: string, hosts: Int32Array, hostState: HostState): string;
}

/** A copy of `base` sharing everything but `maintenance`, which is its own (hosts set with draining()). */
export class DrainingState {
  readonly state: HostState;

  constructor(base: HostState, hosts: number) {
    const copy = Object.assign(Object.create(HostState.prototype) as HostState, base);
    const m = new Uint8Array(Math.max(base.maintenance.length, hosts));
    m.set(base.maintenance);
    copy.maintenance = m;
    this.state = copy;
    this.original = base.maintenance;
  }

  private readonly original: Uint8Array;

  set(host: number, draining: boolean): void {
    this.state.maintenance[host] = draining ? 1 : (this.original[host] ?? 0);
  }
}

export class SchedulerWorld implements ConsolidationWorld<string> {
  readonly table: HostTable;
  readonly finder: HostFinder;
  private readonly draining: DrainingState;

  constructor(private readonly s: SchedulerInternals) {
    this.table = s.table;
    this.finder = s.finder;
    this.draining = new DrainingState(s.hostState, s.table.count);
  }

  sourceEligible(host: number): boolean {
    const st = this.s.hostState;
    return this.table.enabled[host] === 1 && st.isUp(host) && !st.inMaintenance(host) && this.inUse(host);
  }

  inUse(host: number): boolean {
    const D = this.table.dims;
    for (let d = 0; d < D; d++) if ((this.table.used[host * D + d] as number) > 0) return true;
    return false;
  }

  instances(host: number): readonly string[] | string {
    const uuid = this.s.hostUuid(host);
    const out: string[] = [];
    for (const c of Object.keys(this.s.engine.getProviderAllocations(uuid).allocations)) {
      const r = this.s.record(c);
      if (r === undefined) return `it holds consumer ${c}, which this scheduler did not place (its constraints are unknown)`;
      if (r.inMove) return `a move of consumer ${c} is in progress`;
      if (r.host !== host) return `consumer ${c} is recorded on another host`;
      out.push(c);
    }
    return out.sort();
  }

  need(consumer: string): ArrayLike<number> {
    return (this.s.record(consumer) as PlacedView).need;
  }

  label(consumer: string): string {
    return consumer;
  }

  setDraining(host: number, on: boolean): void {
    this.draining.set(host, on);
  }

  destinationFilter(consumer: string): HostFilter | string {
    return (
      this.s.replacementFilter(consumer, this.draining.state) ??
      'its request needs the placement path (resource classes outside the host table, or a trait no host has): consolidation moves only what the host table answers for'
    );
  }

  explainNoDestination(consumer: string, _from: number, hosts: Int32Array): string {
    return this.s.explainReplacement(consumer, hosts, this.draining.state);
  }

  apply(consumer: string, from: number, to: number): () => void {
    const r = this.s.record(consumer) as PlacedView;
    const { table, topologies, stats } = this.s;
    table.release(from, r.need);
    table.claim(to, r.need);
    const claimed = topologies.claim(to, r.plan);
    if (claimed === undefined) {
      table.release(to, r.need);
      table.claim(from, r.need);
      // The filter said it fits: a disagreement is a bug, not a refusal.
      throw new SchedulerTopologyError(`NUMA/PCI fit of ${consumer} on host ${to} passed the filter but the claim failed`);
    }
    if (r.topology !== undefined) topologies.release(r.topology);
    stats.setInstances(from, Math.max(0, (stats.instances[from] ?? 0) - 1));
    stats.setInstances(to, (stats.instances[to] ?? 0) + 1);
    if (r.group !== undefined) {
      stats.addGroupMember(r.group.id, from, -1);
      stats.addGroupMember(r.group.id, to, 1);
    }
    return () => {
      if (r.group !== undefined) {
        stats.addGroupMember(r.group.id, to, -1);
        stats.addGroupMember(r.group.id, from, 1);
      }
      stats.setInstances(to, Math.max(0, (stats.instances[to] ?? 0) - 1));
      stats.setInstances(from, (stats.instances[from] ?? 0) + 1);
      topologies.release(claimed);
      if (r.topology !== undefined) topologies.restore(r.topology);
      table.release(to, r.need);
      table.claim(from, r.need);
    };
  }
}
