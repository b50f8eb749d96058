/**
 * The scheduler's HostTable, kept as a cache of the placement engine.
 *
 * The engine is the source of truth; the table is a cache of it, as struct-of-arrays over dense
 * host ids for the filters and weighers. One row per ROOT resource provider (a compute node):
 * - capacity per dimension (VCPU, MEMORY_MB, DISK_GB) = Σ over the providers of the root's tree of
 *   (total − reserved) × allocation_ratio; used = Σ of their usages. Sharing providers outside the
 *   tree (a Ceph pool) are not in any host's row; a sharing root has a row of its own but is never
 *   a candidate host;
 * - enabled = the root lacks the trait COMPUTE_STATUS_DISABLED;
 * - traits and aggregates = the root's own, interned to dense ids (traitId / aggregateId, which an
 *   AggregateMetadata for the aggregate filters must use).
 *
 * refreshHost(uuid) re-reads one root's row, refreshAll() every root (new roots get new ids). Ids are
 * never reused: a root that is deleted (or gets a parent) keeps its id with capacity 0, disabled,
 * no traits and no aggregates, and is no longer listed by hostId.
 */
import type { PlacementEngine } from '../../placement/engine.js';
import { HostTable } from '../hosts/host-table.js';

export const HOST_DIMENSIONS: readonly string[] = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
export const DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED';

export class HostCache {
  readonly table = new HostTable({ dimensions: HOST_DIMENSIONS });
  private readonly ids = new Map<string, number>();
  private readonly uuids: string[] = [];
  private readonly traitIds = new Map<string, number>();
  private readonly aggregateIds = new Map<string, number>();

  constructor(private readonly engine: PlacementEngine) {
    this.refreshAll();
  }

  /** Dense host id of a root provider, or −1 when it is not a (live) host of the table. */
  hostId(providerUuid: string): number {
    return this.ids.get(providerUuid) ?? -1;
  }

  /** Provider uuid of a host id (also of a gone host). */
  hostUuid(host: number): string {
    const u = this.uuids[host];
    if (u === undefined) throw new RangeError(`no host ${host}`);
    return u;
  }

  /** Dense id of a trait name in the table's trait bit sets (interned on first use). */
  traitId(name: string): number {
    return intern(this.traitIds, name);
  }

  /** Dense id of an aggregate uuid in the table's aggregate bit sets (interned on first use). */
  aggregateId(uuid: string): number {
    return intern(this.aggregateIds, uuid);
  }

  /** Re-reads every root provider: new roots are added, gone ones emptied. */
  refreshAll(): void {
    const roots = new Set<string>();
    for (const p of this.engine.listProviders()) if (p.parentUuid === null) roots.add(p.uuid);
    for (const uuid of [...this.ids.keys()]) if (!roots.has(uuid)) this.refreshHost(uuid);
    for (const uuid of roots) this.refreshHost(uuid);
  }

  /**
   * Re-reads one root provider's row from the engine (adds it when it is a new root; empties it when
   * it is no longer a root). Returns its host id, or −1 when it is not a host.
   */
  refreshHost(providerUuid: string): number {
    const view = this.engine.getProvider(providerUuid);
    const isRoot = view !== undefined && view.parentUuid === null;
    let host = this.ids.get(providerUuid) ?? -1;
    if (!isRoot) {
      if (host >= 0) {
        this.setRow(host, [0, 0, 0], [0, 0, 0]);
        this.table.setEnabled(host, false);
        for (const id of this.traitIds.values()) this.table.setTrait(host, id, false);
        for (const id of this.aggregateIds.values()) this.table.setAggregate(host, id, false);
        this.ids.delete(providerUuid);
      }
      return -1;
    }
    const capacity = [0, 0, 0];
    const used = [0, 0, 0];
    for (const p of this.engine.listProviders({ inTree: providerUuid })) {
      const inv = this.engine.getInventories(p.uuid).inventories;
      const usages = this.engine.getProviderUsages(p.uuid).usages;
      HOST_DIMENSIONS.forEach((rc, d) => {
        const i = inv[rc];
        if (i === undefined) return;
        capacity[d] = (capacity[d] as number) + Math.max(0, (i.total - i.reserved) * i.allocationRatio);
        used[d] = (used[d] as number) + (usages[rc] ?? 0);
      });
    }
    if (host < 0) {
      host = this.uuids.indexOf(providerUuid);
      if (host < 0) {
        host = this.table.addHost({ capacity, used });
        this.uuids.push(providerUuid);
      } else this.setRow(host, capacity, used);
      this.ids.set(providerUuid, host);
    } else this.setRow(host, capacity, used);
    const traits = new Set(this.engine.getProviderTraits(providerUuid).traits);
    const aggregates = new Set(this.engine.getAggregates(providerUuid).aggregates);
    this.table.setEnabled(host, !traits.has(DISABLED_TRAIT));
    for (const t of traits) this.traitId(t);
    for (const a of aggregates) this.aggregateId(a);
    for (const [name, id] of this.traitIds) this.table.setTrait(host, id, traits.has(name));
    for (const [uuid, id] of this.aggregateIds) this.table.setAggregate(host, id, aggregates.has(uuid));
    return host;
  }

  /**
   * Sets a row's capacity and usage through the table's own writes (so that attached listeners, a
   * CapacityIndex, hear of it): usage may exceed capacity (an inventory lowered below its usage), so
   * capacity is first raised to cover the new usage, usage moved by release/claim, then capacity set.
   */
  private setRow(host: number, capacity: readonly number[], used: readonly number[]): void {
    const t = this.table;
    const D = t.dims;
    const down = new Float64Array(D);
    const up = new Float64Array(D);
    const room = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      const delta = (used[d] as number) - (t.used[host * D + d] as number);
      if (delta < 0) down[d] = -delta;
      else up[d] = delta;
      room[d] = Math.max(capacity[d] as number, used[d] as number);
    }
    t.setCapacity(host, room);
    t.release(host, down);
    t.claim(host, up);
    t.setCapacity(host, capacity);
  }
}

function intern(map: Map<string, number>, key: string): number {
  let id = map.get(key);
  if (id === undefined) {
    id = map.size;
    map.set(key, id);
  }
  return id;
}
