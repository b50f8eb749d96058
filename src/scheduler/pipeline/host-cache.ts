/**
 * The scheduler's HostTable, kept as a cache of the placement engine by following its change log.
 *
 * The engine is the source of truth; the table is a cache of it, as struct-of-arrays over dense
 * host ids for the filters, weighers and the capacity index. One row per ROOT resource provider (a
 * compute node):
 * - capacity per dimension (HOST_DIMENSIONS) = Σ over the providers of the root's tree of
 *   (total − reserved) × allocation_ratio; used = Σ of their usages. Sharing providers outside the
 *   tree (a Ceph pool) are not in any host's row; a sharing root has a row of its own but is never
 *   a candidate host;
 * - enabled = the root lacks the trait COMPUTE_STATUS_DISABLED;
 * - traits and aggregates = the root's own, interned to dense ids (traitId / aggregateId, which an
 *   AggregateMetadata for the aggregate filters must use);
 * - the root's own min_unit, max_unit and step_size per dimension (unitsAllow), so that a request the
 *   table answers alone is held to placement's unit rules too.
 *
 * Following (engine.onChange, from construction until close()): every committed write updates the
 * rows it touches, so claims made by another scheduler, by the API or by a replica, inventory,
 * trait and aggregate changes and new or deleted providers are all seen without polling:
 * - allocation writes move usage by delta: the cache remembers what each consumer holds per host, so
 *   a rewrite or delete subtracts the old amounts and adds the new (O(providers of the write));
 * - inventory, trait and aggregate writes re-read the one tree they touch (the cache knows each
 *   tree's providers, so this never lists all providers);
 * - re-parenting and reshapes, which can move usage between trees, rebuild everything (rare).
 * refreshHost / refreshAll stay for callers that want to force a re-read.
 *
 * Ids are never reused: a root that is deleted (or gets a parent) keeps its id with capacity 0,
 * disabled, no traits and no aggregates, and is no longer listed by hostId.
 */
import type { PlacementEngine } from '../../placement/engine.js';
import type { ChangeEntry } from '../../placement/ops.js';
import type { Resources } from '../../placement/types.js';
import { HostTable } from '../hosts/host-table.js';
import { intern } from '../intern.js';

export const HOST_DIMENSIONS: readonly string[] = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'PCPU'];
export const DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED';
export const SHARES_TRAIT = 'MISC_SHARES_VIA_AGGREGATE';

const D = HOST_DIMENSIONS.length;
const DIM_OF = new Map(HOST_DIMENSIONS.map((rc, d) => [rc, d]));
const INT_MAX = 0x7fffffff;

/** What one consumer holds, per host row: hosts[i] holds amounts[i·D … i·D + D). */
interface Holding {
  readonly hosts: readonly number[];
  readonly amounts: Float64Array;
}

function growI32(a: Int32Array, size: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size).fill(fill);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}

export class HostCache {
  readonly table = new HostTable({ dimensions: HOST_DIMENSIONS });
  /** min_unit, max_unit, step_size of the root's own inventory at [h·D + d] (clamped to int32). */
  minUnit = new Int32Array(16 * D).fill(1);
  maxUnit = new Int32Array(16 * D).fill(INT_MAX);
  stepSize = new Int32Array(16 * D).fill(1);
  private readonly ids = new Map<string, number>();
  /** Every row's uuid, gone ones included (a root that comes back gets its old id). */
  private readonly everIds = new Map<string, number>();
  private readonly uuids: string[] = [];
  private readonly traitIds = new Map<string, number>();
  private readonly aggregateIds = new Map<string, number>();
  private readonly rootOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string | null>();
  private readonly members = new Map<string, Set<string>>();
  private readonly sharing = new Set<string>();
  private readonly holdings = new Map<string, Holding>();
  private children = 0;
  private readonly delta = new Float64Array(D);
  private readonly unsubscribe: (() => void) | undefined;
  /** Writes seen since construction (for tests and diagnostics). */
  changesSeen = 0;

  constructor(
    private readonly engine: PlacementEngine,
    options: { readonly follow?: boolean } = {},
  ) {
    this.rebuild();
    if (options.follow !== false) this.unsubscribe = engine.onChange((e) => this.apply(e));
  }

  /** Stops following the engine. */
  close(): void {
    this.unsubscribe?.();
  }

  /** True when every tree is a single provider and no provider shares: rows are then exactly what placement allocates from. */
  get flat(): boolean {
    return this.children === 0 && this.sharing.size === 0;
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

  /** The root provider of any provider the cache knows, or undefined. */
  rootUuid(providerUuid: string): string | undefined {
    return this.rootOf.get(providerUuid);
  }

  /** Whether a provider shares its inventory (MISC_SHARES_VIA_AGGREGATE). */
  isSharing(providerUuid: string): boolean {
    return this.sharing.has(providerUuid);
  }

  /** Dense id of a trait name in the table's trait bit sets (interned on first use). */
  traitId(name: string): number {
    return intern(this.traitIds, name);
  }

  /** Dense id of a trait, or −1 when no host has ever had it (no host has it now either). */
  knownTraitId(name: string): number {
    return this.traitIds.get(name) ?? -1;
  }

  /** Dense id of an aggregate uuid in the table's aggregate bit sets (interned on first use). */
  aggregateId(uuid: string): number {
    return intern(this.aggregateIds, uuid);
  }

  /** The aggregate uuid of a dense aggregate id, or undefined. */
  aggregateUuid(id: number): string | undefined {
    for (const [uuid, i] of this.aggregateIds) if (i === id) return uuid;
    return undefined;
  }

  /** Placement's unit rules (min_unit ≤ n ≤ max_unit, n a multiple of step_size) for `need` on the host's own inventory. No allocation. */
  unitsAllow(host: number, need: ArrayLike<number>): boolean {
    const base = host * D;
    for (let d = 0; d < D; d++) {
      const n = need[d] as number;
      if (!(n > 0)) continue;
      if (n < (this.minUnit[base + d] as number) || n > (this.maxUnit[base + d] as number) || n % (this.stepSize[base + d] as number) !== 0) return false;
    }
    return true;
  }

  /** Re-reads every provider, tree and consumer holding (new roots get new ids, gone ones are emptied). */
  refreshAll(): void {
    this.rebuild();
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
        this.setRow(host, new Float64Array(D), new Float64Array(D));
        this.table.setEnabled(host, false);
        for (const id of this.traitIds.values()) this.table.setTrait(host, id, false);
        for (const id of this.aggregateIds.values()) this.table.setAggregate(host, id, false);
        this.ids.delete(providerUuid);
      }
      return -1;
    }
    if (!this.members.has(providerUuid)) this.adopt(providerUuid, null);
    const capacity = new Float64Array(D);
    const used = new Float64Array(D);
    const units: [number, number, number][] = HOST_DIMENSIONS.map(() => [1, INT_MAX, 1]);
    for (const p of this.members.get(providerUuid) ?? [providerUuid]) {
      if (this.engine.getProvider(p) === undefined) continue;
      const inv = this.engine.getInventories(p).inventories;
      const usages = this.engine.getProviderUsages(p).usages;
      for (let d = 0; d < D; d++) {
        const rc = HOST_DIMENSIONS[d] as string;
        const i = inv[rc];
        if (i === undefined) continue;
        capacity[d] = (capacity[d] as number) + Math.max(0, (i.total - i.reserved) * i.allocationRatio);
        used[d] = (used[d] as number) + (usages[rc] ?? 0);
        if (p === providerUuid) units[d] = [Math.min(i.minUnit, INT_MAX), Math.min(i.maxUnit, INT_MAX), Math.max(1, Math.min(i.stepSize, INT_MAX))];
      }
    }
    if (host < 0) {
      host = this.everIds.get(providerUuid) ?? -1;
      if (host < 0) {
        host = this.table.addHost({ capacity, used });
        this.uuids.push(providerUuid);
        this.everIds.set(providerUuid, host);
      } else this.setRow(host, capacity, used);
      this.ids.set(providerUuid, host);
    } else this.setRow(host, capacity, used);
    this.ensureUnits(host);
    for (let d = 0; d < D; d++) {
      const [mn, mx, st] = units[d] as [number, number, number];
      this.minUnit[host * D + d] = mn;
      this.maxUnit[host * D + d] = mx;
      this.stepSize[host * D + d] = st;
    }
    const traits = new Set(this.engine.getProviderTraits(providerUuid).traits);
    const aggregates = new Set(this.engine.getAggregates(providerUuid).aggregates);
    this.table.setEnabled(host, !traits.has(DISABLED_TRAIT));
    for (const t of traits) this.traitId(t);
    for (const a of aggregates) this.aggregateId(a);
    for (const [name, id] of this.traitIds) this.table.setTrait(host, id, traits.has(name));
    for (const [uuid, id] of this.aggregateIds) this.table.setAggregate(host, id, aggregates.has(uuid));
    return host;
  }

  // ------------------------------------------------------------------------------ following

  private apply(entry: ChangeEntry): void {
    this.changesSeen++;
    try {
      this.applyOp(entry);
    } catch {
      // A write this cache did not foresee: the engine is right, so read it all again.
      this.rebuild();
    }
  }

  private applyOp(entry: ChangeEntry): void {
    const op = entry.op;
    switch (op.type) {
      case 'createProvider': {
        this.adopt(op.uuid, op.parentUuid);
        this.refreshHost(this.rootOf.get(op.uuid) as string);
        return;
      }
      case 'updateProvider': {
        if ((this.parentOf.get(op.uuid) ?? null) !== op.parentUuid) this.rebuild();
        return;
      }
      case 'deleteProvider': {
        const root = this.rootOf.get(op.uuid);
        const parent = this.parentOf.get(op.uuid) ?? null;
        this.rootOf.delete(op.uuid);
        this.parentOf.delete(op.uuid);
        this.sharing.delete(op.uuid);
        if (root === undefined) return;
        this.members.get(root)?.delete(op.uuid);
        if (parent !== null) this.children--;
        if (root === op.uuid) this.members.delete(root);
        this.refreshHost(root);
        return;
      }
      case 'setProviderTraits':
        if (op.traits.includes(SHARES_TRAIT)) this.sharing.add(op.uuid);
        else this.sharing.delete(op.uuid);
        this.refreshTreeOf(op.uuid);
        return;
      case 'setInventories':
      case 'addInventory':
      case 'updateInventory':
      case 'deleteInventory':
      case 'setAggregates':
        this.refreshTreeOf(op.uuid);
        return;
      case 'writeAllocations':
        for (const c of op.consumers) this.hold(c.consumerUuid, c.allocations);
        return;
      case 'deleteAllocations':
        this.hold(op.consumerUuid, {});
        return;
      case 'reshape':
        this.rebuild();
        return;
      default:
        // Resource classes and traits themselves: no row changes.
        return;
    }
  }

  private refreshTreeOf(providerUuid: string): void {
    const root = this.rootOf.get(providerUuid);
    if (root !== undefined) this.refreshHost(root);
  }

  /** Replaces what a consumer holds: the old amounts leave their rows, the new ones arrive, one net delta per row. */
  private hold(consumerUuid: string, allocations: Readonly<Record<string, Resources>>): void {
    const old = this.holdings.get(consumerUuid);
    const hosts: number[] = [];
    let amounts = new Float64Array(D);
    for (const rp in allocations) {
      const root = this.rootOf.get(rp);
      const h = root === undefined ? -1 : this.hostId(root);
      if (h < 0) continue;
      const resources = allocations[rp] as Resources;
      let i = -1;
      for (const rc in resources) {
        const d = DIM_OF.get(rc);
        const amount = resources[rc] as number;
        if (d === undefined || amount === 0) continue;
        if (i < 0) {
          i = hosts.indexOf(h);
          if (i < 0) {
            i = hosts.length;
            hosts.push(h);
            if (amounts.length < hosts.length * D) {
              const a = new Float64Array(hosts.length * 2 * D);
              a.set(amounts);
              amounts = a;
            }
          }
        }
        amounts[i * D + d] = (amounts[i * D + d] as number) + amount;
      }
    }
    const delta = this.delta;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i] as number;
      const j = old === undefined ? -1 : old.hosts.indexOf(h);
      for (let d = 0; d < D; d++) delta[d] = (amounts[i * D + d] as number) - (j >= 0 ? ((old as Holding).amounts[j * D + d] as number) : 0);
      this.move(h, delta);
    }
    if (old !== undefined) {
      for (let j = 0; j < old.hosts.length; j++) {
        const h = old.hosts[j] as number;
        if (hosts.includes(h)) continue;
        for (let d = 0; d < D; d++) delta[d] = -(old.amounts[j * D + d] as number);
        this.move(h, delta);
      }
    }
    if (hosts.length === 0) this.holdings.delete(consumerUuid);
    else this.holdings.set(consumerUuid, { hosts, amounts: amounts.length === hosts.length * D ? amounts : amounts.slice(0, hosts.length * D) });
  }

  private move(host: number, delta: Float64Array): void {
    for (let d = 0; d < D; d++) {
      if (delta[d] !== 0) {
        this.table.addUsage(host, delta);
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------ building

  private adopt(uuid: string, parentUuid: string | null): void {
    const root = parentUuid === null ? uuid : (this.rootOf.get(parentUuid) ?? this.engine.getProvider(uuid)?.rootUuid ?? uuid);
    this.rootOf.set(uuid, root);
    this.parentOf.set(uuid, parentUuid);
    if (parentUuid !== null) this.children++;
    let tree = this.members.get(root);
    if (tree === undefined) {
      tree = new Set();
      this.members.set(root, tree);
    }
    tree.add(uuid);
  }

  /** Reads every provider, tree, row and consumer holding from the engine (ids of known roots are kept). */
  private rebuild(): void {
    this.rootOf.clear();
    this.parentOf.clear();
    this.members.clear();
    this.sharing.clear();
    this.holdings.clear();
    this.children = 0;
    const providers = this.engine.listProviders();
    for (const p of providers) {
      this.rootOf.set(p.uuid, p.rootUuid);
      this.parentOf.set(p.uuid, p.parentUuid);
      if (p.parentUuid !== null) this.children++;
      let tree = this.members.get(p.rootUuid);
      if (tree === undefined) {
        tree = new Set();
        this.members.set(p.rootUuid, tree);
      }
      tree.add(p.uuid);
      if (this.engine.getProviderTraits(p.uuid).traits.includes(SHARES_TRAIT)) this.sharing.add(p.uuid);
    }
    for (const uuid of [...this.ids.keys()]) if (!this.members.has(uuid) || this.parentOf.get(uuid) !== null) this.refreshHost(uuid);
    for (const p of providers) if (p.parentUuid === null) this.refreshHost(p.uuid);
    // What each consumer holds per row, so that later writes move usage by delta.
    const per = new Map<string, Record<string, Resources>>();
    for (const p of providers) {
      for (const [consumer, a] of Object.entries(this.engine.getProviderAllocations(p.uuid).allocations)) {
        let m = per.get(consumer);
        if (m === undefined) {
          m = {};
          per.set(consumer, m);
        }
        m[p.uuid] = a.resources;
      }
    }
    for (const [consumer, allocations] of per) this.remember(consumer, allocations);
  }

  /** Records a consumer's holding without touching usage (the rows already include it). */
  private remember(consumerUuid: string, allocations: Readonly<Record<string, Resources>>): void {
    const hosts: number[] = [];
    const amounts: number[] = [];
    for (const [rp, resources] of Object.entries(allocations)) {
      const root = this.rootOf.get(rp);
      const h = root === undefined ? -1 : this.hostId(root);
      if (h < 0) continue;
      let i = hosts.indexOf(h);
      if (i < 0) {
        i = hosts.length;
        hosts.push(h);
        for (let d = 0; d < D; d++) amounts.push(0);
      }
      for (const [rc, amount] of Object.entries(resources)) {
        const d = DIM_OF.get(rc);
        if (d !== undefined) amounts[i * D + d] = (amounts[i * D + d] as number) + amount;
      }
    }
    if (hosts.length > 0) this.holdings.set(consumerUuid, { hosts, amounts: Float64Array.from(amounts) });
  }

  private ensureUnits(host: number): void {
    if ((host + 1) * D <= this.minUnit.length) return;
    let size = this.minUnit.length;
    while (size < (host + 1) * D) size *= 2;
    this.minUnit = growI32(this.minUnit, size, 1);
    this.maxUnit = growI32(this.maxUnit, size, INT_MAX);
    this.stepSize = growI32(this.stepSize, size, 1);
  }

  /**
   * Sets a row's capacity and usage through the table's own writes (so that attached listeners, a
   * CapacityIndex, hear of it): usage may exceed capacity (an inventory lowered below its usage), so
   * capacity is first raised to cover the new usage, usage moved by release/claim, then capacity set.
   */
  private setRow(host: number, capacity: ArrayLike<number>, used: ArrayLike<number>): void {
    const t = this.table;
    let same = true;
    for (let d = 0; d < D; d++) {
      if (t.capacity[host * D + d] !== capacity[d] || t.used[host * D + d] !== used[d]) same = false;
    }
    if (same) return;
    const down = new Float64Array(D);
    const up = new Float64Array(D);
    const room = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      const delta = (used[d] as number) - (t.used[host * D + d] as number);
      if (delta < 0) down[d] = -delta;
      else up[d] = delta;
      room[d] = Math.max(capacity[d] as number, used[d] as number, t.used[host * D + d] as number);
    }
    t.setCapacity(host, room);
    t.release(host, down);
    t.claim(host, up);
    t.setCapacity(host, capacity);
  }
}
