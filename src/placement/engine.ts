import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { ConsumerRecord } from './consumer-table.js';
import { ConsumerTable } from './consumer-table.js';
import type { CandidateList, CandidateQuery, CandidateResult, ProviderSummary } from './candidates.js';
import { findAllocationCandidates, listAllocationCandidates } from './candidates.js';
import { WriteRules } from './write-rules.js';
import { PlacementInvalidError, PlacementNotFoundError } from './errors.js';
import { InventoryTable } from './inventory-table.js';
import type { NameRegistry } from './names.js';
import { newResourceClassRegistry, newTraitRegistry } from './names.js';
import type { ChangeEntry, WriteOp } from './ops.js';
import { NO_PROVIDER, ProviderTable } from './provider-table.js';
import type {
  ConsumerAllocations,
  ConsumerAllocationsWrite,
  Inventory,
  InventoryInput,
  ProviderAllocations,
  ProviderFilter,
  ProviderInventories,
  ProviderUsages,
  ProviderView,
  ReshapeInput,
  Resources,
  UsageQuery,
  UsagesByConsumerType,
} from './types.js';
import { normalizeUuid } from './validate.js';

/** Where committed writes go before they are acknowledged (the journal, a replicated log…). */
export interface WriteSink {
  append(entry: ChangeEntry): void;
}

export interface PlacementEngineOptions {
  /** Where the engine reports what Placement would log (an inventory lowered below its usage). */
  logger?: Logger;
  /** Wall clock for created/updated stamps; injectable for deterministic tests. */
  now?: () => number;
  /** Called with each write after validation and before it is applied; if it throws, nothing changes. */
  sink?: WriteSink;
}

type Listener = (entry: ChangeEntry) => void;


/**
 * The placement engine: Placement's data model and rules in memory. Single-threaded and
 * synchronous; every write names the generation it expects exactly as the HTTP API does, so a
 * replicated store can apply the same ops as compare-and-swap.
 */
export class PlacementEngine {
  /** @internal */ readonly providers = new ProviderTable();
  /** @internal */ readonly inventories = new InventoryTable();
  /** @internal */ readonly consumers = new ConsumerTable();
  /** @internal */ readonly resourceClasses: NameRegistry = newResourceClassRegistry();
  /** @internal */ readonly traits: NameRegistry = newTraitRegistry();
  private readonly rules: WriteRules;
  /** @internal Provider summaries of candidates by slot, rebuilt when the provider's version moves. */
  readonly summaryCache: (ProviderSummary | undefined)[] = [];
  /** @internal The provider version each cached summary was built at. */
  readonly summaryCacheVersion: number[] = [];
  /** @internal Trait names per interned trait set (see ProviderTable.traitLists). */
  readonly traitNamesCache = new WeakMap<readonly number[], readonly string[]>();
  private readonly now: () => number;
  private sink: WriteSink | undefined;
  private readonly listeners = new Set<Listener>();
  private seqNo = 0;

  constructor(options: PlacementEngineOptions = {}) {
    this.now = options.now ?? Date.now;
    this.rules = new WriteRules(this, options.logger ?? silentLogger);
    this.sink = options.sink;
  }

  /** Number of writes committed so far (the position in the change log). */
  get seq(): number {
    return this.seqNo;
  }

  /** @internal Used by restore. */
  setSeq(seq: number): void {
    this.seqNo = seq;
  }

  setSink(sink: WriteSink | undefined): void {
    this.sink = sink;
  }

  /** Subscribes to committed writes, in commit order. Returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and commits one write op. This is the only path that changes state: the public
   * write methods build ops, and replicas or the journal replay them through here.
   */
  apply(op: WriteOp): unknown {
    const commit = this.rules.prepare(op);
    const entry: ChangeEntry = { seq: this.seqNo + 1, op };
    this.sink?.append(entry);
    const result = commit();
    this.seqNo = entry.seq;
    for (const listener of this.listeners) listener(entry);
    return result;
  }

  // ---------------------------------------------------------------- resource classes and traits

  listResourceClasses(): string[] {
    return this.resourceClasses.list();
  }

  hasResourceClass(name: string): boolean {
    return this.resourceClasses.has(name);
  }

  /** POST /resource_classes: a conflict if it exists. */
  createResourceClass(name: string): void {
    this.apply({ type: 'createResourceClass', name });
  }

  /** PUT /resource_classes/{name} (1.7): creates it unless it exists; true when created. */
  ensureResourceClass(name: string): boolean {
    this.resourceClasses.validateCustom(name);
    if (this.resourceClasses.has(name)) return false;
    this.apply({ type: 'createResourceClass', name });
    return true;
  }

  /** PUT /resource_classes/{name} at 1.2 – 1.6: renames a custom class, inventories and all. */
  renameResourceClass(name: string, newName: string): void {
    this.apply({ type: 'renameResourceClass', name, newName });
  }

  deleteResourceClass(name: string): void {
    this.apply({ type: 'deleteResourceClass', name });
  }

  listTraits(filter: { prefix?: string; names?: readonly string[]; associated?: boolean } = {}): string[] {
    let names = this.traits.list();
    if (filter.prefix !== undefined) names = names.filter((n) => n.startsWith(filter.prefix as string));
    if (filter.names !== undefined) {
      const wanted = new Set(filter.names);
      names = names.filter((n) => wanted.has(n));
    }
    if (filter.associated !== undefined) {
      const want = filter.associated;
      names = names.filter((n) => this.providers.traitInUse(this.traits.id(n) as number) === want);
    }
    return names;
  }

  hasTrait(name: string): boolean {
    return this.traits.has(name);
  }

  /** PUT /traits/{name}: creates a custom trait unless it exists; true when created. */
  ensureTrait(name: string): boolean {
    this.traits.validateCustom(name);
    if (this.traits.has(name)) return false;
    this.apply({ type: 'createTrait', name });
    return true;
  }

  deleteTrait(name: string): void {
    this.apply({ type: 'deleteTrait', name });
  }

  // ---------------------------------------------------------------- providers

  /** POST /resource_providers. A dash-less uuid is accepted and stored in the dashed form. */
  createProvider(input: { name: string; uuid?: string; parentUuid?: string | null }): ProviderView {
    const uuid = input.uuid === undefined ? randomUUID() : (normalizeUuid(input.uuid) as string);
    const parentUuid = input.parentUuid === undefined || input.parentUuid === null ? null : (normalizeUuid(input.parentUuid) as string);
    this.apply({ type: 'createProvider', uuid, name: input.name, parentUuid, at: this.now() });
    return this.getProvider(uuid) as ProviderView;
  }

  /**
   * PUT /resource_providers/{uuid}: name and parent (re-parent or un-parent as of 1.37). An
   * omitted `parentUuid` keeps the current parent; `null` un-parents.
   */
  updateProvider(uuid: string, input: { name: string; parentUuid?: string | null }): ProviderView {
    const parentUuid =
      input.parentUuid === undefined ? this.requireProvider(uuid).parentUuid : input.parentUuid === null ? null : (normalizeUuid(input.parentUuid) as string);
    this.apply({ type: 'updateProvider', uuid, name: input.name, parentUuid, at: this.now() });
    return this.getProvider(uuid) as ProviderView;
  }

  deleteProvider(uuid: string): void {
    this.apply({ type: 'deleteProvider', uuid });
  }

  getProvider(uuid: string): ProviderView | undefined {
    const slot = this.providers.slotOf(uuid);
    return slot === undefined ? undefined : this.view(slot);
  }

  requireProvider(uuid: string): ProviderView {
    return this.view(this.slot(uuid));
  }

  /** GET /resource_providers with its filters, in slot order. */
  listProviders(filter: ProviderFilter = {}): ProviderView[] {
    const p = this.providers;
    let slots: number[];
    if (filter.uuid !== undefined || filter.name !== undefined) {
      // Both filters apply when both are given.
      const byUuid = filter.uuid === undefined ? undefined : p.slotOf(filter.uuid);
      const byName = filter.name === undefined ? undefined : p.byName.get(filter.name);
      const s = filter.uuid === undefined ? byName : filter.name === undefined || byName === byUuid ? byUuid : undefined;
      slots = s === undefined ? [] : [s];
    } else {
      slots = [];
      for (let s = 0; s < p.slots; s++) if (p.alive(s)) slots.push(s);
    }
    if (filter.inTree !== undefined) {
      const tree = p.slotOf(filter.inTree);
      if (tree === undefined) return [];
      const root = p.root[tree] as number;
      slots = slots.filter((s) => p.root[s] === root);
    }
    const memberOf = (filter.memberOf ?? []).map((anyOf) => anyOf.map((u) => p.aggregateIds.get(u) ?? -1));
    const notIn = (filter.forbiddenAggregates ?? []).map((u) => p.aggregateIds.get(u) ?? -1);
    if (memberOf.length > 0 || notIn.length > 0) {
      slots = slots.filter(
        (s) => memberOf.every((anyOf) => anyOf.some((a) => p.inAggregate(s, a))) && !notIn.some((a) => p.inAggregate(s, a)),
      );
    }
    // Unknown names in a filter are the caller's mistake: 400, as Placement's list handler answers.
    const trait = (t: string): number => {
      const id = this.traits.id(t);
      if (id === undefined) throw new PlacementInvalidError(`Invalid trait(s) in "required" parameter: No such trait(s): ${t}.`);
      return id;
    };
    if (filter.required !== undefined || filter.forbidden !== undefined) {
      const required = (filter.required ?? []).map((anyOf) => anyOf.map(trait));
      const forbidden = (filter.forbidden ?? []).map(trait);
      slots = slots.filter(
        (s) => required.every((anyOf) => anyOf.some((t) => p.hasTrait(s, t))) && !forbidden.some((t) => p.hasTrait(s, t)),
      );
    }
    if (filter.resources !== undefined) {
      const wanted = Object.entries(filter.resources).map(([name, amount]) => {
        const rc = this.resourceClasses.id(name);
        if (rc === undefined) throw new PlacementInvalidError(`Invalid resource class in resources parameter: No such resource class ${name}.`);
        return [rc, amount] as const;
      });
      slots = slots.filter((s) =>
        wanted.every(([rc, amount]) => {
          const col = this.inventories.column(rc);
          return col !== undefined && col.fits(s, amount);
        }),
      );
    }
    return slots.map((s) => this.view(s));
  }

  // ---------------------------------------------------------------- inventories

  getInventories(uuid: string): ProviderInventories {
    const slot = this.slot(uuid);
    const inventories: Record<string, Inventory> = {};
    for (const rc of this.inventories.classesOf(slot)) {
      inventories[this.resourceClasses.name(rc)] = (this.inventories.column(rc) as NonNullable<ReturnType<InventoryTable['column']>>).get(slot);
    }
    return { generation: this.providers.generation[slot] as number, inventories };
  }

  getInventory(uuid: string, resourceClass: string): Inventory {
    const slot = this.slot(uuid);
    const rc = this.resourceClasses.require(resourceClass);
    const col = this.inventories.column(rc);
    if (col === undefined || col.has[slot] !== 1) {
      throw new PlacementNotFoundError('inventory', resourceClass, `No inventory of class ${resourceClass} found for resource provider ${uuid}.`);
    }
    return col.get(slot);
  }

  /** PUT /resource_providers/{uuid}/inventories: replaces all; returns the new generation. */
  setInventories(uuid: string, generation: number | null, inventories: Record<string, InventoryInput>): number {
    this.apply({ type: 'setInventories', uuid, generation, inventories, at: this.now() });
    return this.generationOf(uuid);
  }

  /** POST /resource_providers/{uuid}/inventories: adds one class; a conflict if present. */
  addInventory(uuid: string, generation: number | null, resourceClass: string, inventory: InventoryInput): number {
    this.apply({ type: 'addInventory', uuid, generation, resourceClass, inventory, at: this.now() });
    return this.generationOf(uuid);
  }

  /** PUT /resource_providers/{uuid}/inventories/{rc}: creates or updates one class. */
  updateInventory(uuid: string, generation: number | null, resourceClass: string, inventory: InventoryInput): number {
    this.apply({ type: 'updateInventory', uuid, generation, resourceClass, inventory, at: this.now() });
    return this.generationOf(uuid);
  }

  deleteInventory(uuid: string, generation: number | null, resourceClass: string): number {
    this.apply({ type: 'deleteInventory', uuid, generation, resourceClass, at: this.now() });
    return this.generationOf(uuid);
  }

  /** DELETE /resource_providers/{uuid}/inventories (1.5). */
  deleteInventories(uuid: string, generation: number | null = null): number {
    return this.setInventories(uuid, generation, {});
  }

  // ---------------------------------------------------------------- aggregates and traits

  getAggregates(uuid: string): { generation: number; aggregates: string[] } {
    const slot = this.slot(uuid);
    return { generation: this.providers.generation[slot] as number, aggregates: this.providers.aggregateUuidsOf(slot) };
  }

  /** `bumpGeneration: false` is Placement before 1.19, where this write left the generation alone. */
  setAggregates(uuid: string, generation: number | null, aggregates: readonly string[], options: { bumpGeneration?: boolean } = {}): number {
    const op: WriteOp = { type: 'setAggregates', uuid, generation, aggregates: [...aggregates], at: this.now() };
    if (options.bumpGeneration === false) op.bumpGeneration = false;
    this.apply(op);
    return this.generationOf(uuid);
  }

  getProviderTraits(uuid: string): { generation: number; traits: string[] } {
    const slot = this.slot(uuid);
    return {
      generation: this.providers.generation[slot] as number,
      traits: this.providers.traitsOf(slot).map((t) => this.traits.name(t)),
    };
  }

  setProviderTraits(uuid: string, generation: number | null, traits: readonly string[]): number {
    this.apply({ type: 'setProviderTraits', uuid, generation, traits: [...traits], at: this.now() });
    return this.generationOf(uuid);
  }

  /** DELETE /resource_providers/{uuid}/traits: no generation check, as in Placement. */
  deleteProviderTraits(uuid: string): number {
    return this.setProviderTraits(uuid, null, []);
  }

  // ---------------------------------------------------------------- allocations and usages

  /** PUT /allocations/{consumer}. An empty `allocations` removes the consumer. */
  setAllocations(write: ConsumerAllocationsWrite): void {
    this.apply({ type: 'writeAllocations', consumers: [write], at: this.now() });
  }

  /** POST /allocations: several consumers at once, all or nothing (moves, migrations). */
  setAllocationsMany(writes: readonly ConsumerAllocationsWrite[]): void {
    this.apply({ type: 'writeAllocations', consumers: [...writes], at: this.now() });
  }

  /** DELETE /allocations/{consumer}. */
  deleteAllocations(consumerUuid: string): void {
    this.apply({ type: 'deleteAllocations', consumerUuid, at: this.now() });
  }

  /** GET /allocations/{consumer}; a consumer with no allocations reads as empty, as in Placement. */
  getConsumerAllocations(consumerUuid: string): ConsumerAllocations | undefined {
    const c = this.consumers.get(consumerUuid);
    if (c === undefined) return undefined;
    const allocations: ConsumerAllocations['allocations'] = {};
    const p = this.providers;
    for (let i = 0; i < c.entries.length; i += 3) {
      const slot = c.entries[i] as number;
      const uuid = p.uuid[slot] as string;
      let entry = allocations[uuid];
      if (entry === undefined) {
        entry = { generation: p.generation[slot] as number, resources: {} };
        allocations[uuid] = entry;
      }
      entry.resources[this.resourceClasses.name(c.entries[i + 1] as number)] = c.entries[i + 2] as number;
    }
    return {
      consumerUuid: c.uuid,
      projectId: c.projectId,
      userId: c.userId,
      consumerType: c.consumerType,
      consumerGeneration: c.generation,
      allocations,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  }

  getProviderAllocations(uuid: string): ProviderAllocations {
    const slot = this.slot(uuid);
    const allocations: ProviderAllocations['allocations'] = {};
    for (const c of this.consumers.consumersOn(slot) ?? []) {
      const resources: Resources = {};
      for (let i = 0; i < c.entries.length; i += 3) {
        if (c.entries[i] === slot) resources[this.resourceClasses.name(c.entries[i + 1] as number)] = c.entries[i + 2] as number;
      }
      allocations[c.uuid] = { resources };
    }
    return { generation: this.providers.generation[slot] as number, allocations };
  }

  /** GET /resource_providers/{uuid}/usages: every stocked class, zero included. */
  getProviderUsages(uuid: string): ProviderUsages {
    const slot = this.slot(uuid);
    const usages: Resources = {};
    for (const rc of this.inventories.classesOf(slot)) {
      usages[this.resourceClasses.name(rc)] = this.inventories.column(rc)?.used[slot] as number;
    }
    return { generation: this.providers.generation[slot] as number, usages };
  }

  /** GET /usages: a project's (and optionally a user's) totals, across all providers. */
  getUsages(query: UsageQuery): Resources {
    const out: Resources = {};
    for (const c of this.consumers.byUuid.values()) {
      if (!matchesUsageQuery(c, query)) continue;
      for (let i = 0; i < c.entries.length; i += 3) {
        const rc = this.resourceClasses.name(c.entries[i + 1] as number);
        out[rc] = (out[rc] ?? 0) + (c.entries[i + 2] as number);
      }
    }
    return out;
  }

  /** GET /usages at 1.38: the same totals grouped by consumer type, plus `all`. */
  getUsagesByConsumerType(query: UsageQuery): UsagesByConsumerType {
    const out: UsagesByConsumerType = {};
    const add = (type: string, c: ConsumerRecord): void => {
      let bucket = out[type];
      if (bucket === undefined) {
        bucket = { consumerCount: 0, usages: {} };
        out[type] = bucket;
      }
      bucket.consumerCount++;
      for (let i = 0; i < c.entries.length; i += 3) {
        const rc = this.resourceClasses.name(c.entries[i + 1] as number);
        bucket.usages[rc] = (bucket.usages[rc] ?? 0) + (c.entries[i + 2] as number);
      }
    };
    // No filter: one bucket per type; `all`: everything in one bucket; a type: that bucket.
    for (const c of this.consumers.byUuid.values()) {
      if (!matchesUsageQuery(c, query)) continue;
      add(query.consumerType === 'all' ? 'all' : c.consumerType, c);
    }
    return out;
  }

  // ---------------------------------------------------------------- allocation candidates

  /** GET /allocation_candidates. Pure read: nothing is claimed. */
  getAllocationCandidates(query: CandidateQuery): CandidateResult {
    return findAllocationCandidates(this, query);
  }

  /** The same answer as a CandidateList: cheaper for a caller that serialises it at once. */
  listAllocationCandidates(query: CandidateQuery): CandidateList {
    return listAllocationCandidates(this, query);
  }

  // ---------------------------------------------------------------- reshaper

  /** POST /reshaper (1.30): new inventories and allocations for a changed tree, atomically. */
  reshape(input: ReshapeInput): void {
    this.apply({ type: 'reshape', inventories: input.inventories, allocations: input.allocations, at: this.now() });
  }

  // ---------------------------------------------------------------- internals shared with candidates

  /** @internal */
  slot(uuid: string): number {
    const slot = this.providers.slotOf(uuid);
    if (slot === undefined) throw new PlacementNotFoundError('resource_provider', uuid);
    return slot;
  }

  /** @internal */
  view(slot: number): ProviderView {
    const p = this.providers;
    const parent = p.parent[slot] as number;
    return {
      uuid: p.uuid[slot] as string,
      name: p.name[slot] as string,
      generation: p.generation[slot] as number,
      parentUuid: parent === NO_PROVIDER ? null : (p.uuid[parent] as string),
      rootUuid: p.uuid[p.root[slot] as number] as string,
      createdAt: p.createdAt[slot] as number,
      updatedAt: p.updatedAt[slot] as number,
    };
  }

  private generationOf(uuid: string): number {
    return this.providers.generation[this.slot(uuid)] as number;
  }

}

function matchesUsageQuery(c: ConsumerRecord, q: UsageQuery): boolean {
  if (c.projectId !== q.projectId) return false;
  if (q.userId !== undefined && c.userId !== q.userId) return false;
  if (q.consumerType !== undefined && q.consumerType !== 'all' && c.consumerType !== q.consumerType) return false;
  return true;
}
