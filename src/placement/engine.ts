import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type { ConsumerRecord } from './consumer-table.js';
import { ConsumerTable } from './consumer-table.js';
import type { CandidateQuery, CandidateResult, ProviderSummary } from './candidates.js';
import { findAllocationCandidates } from './candidates.js';
import {
  PlacementAllocationError,
  PlacementCannotDeleteParentError,
  PlacementConcurrentUpdateError,
  PlacementConflictError,
  PlacementDuplicateNameError,
  PlacementInvalidError,
  PlacementInventoryInUseError,
  PlacementNotFoundError,
  PlacementProviderInUseError,
  PlacementReshapeProviderNotFoundError,
} from './errors.js';
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
import { DEFAULT_CONSUMER_TYPE } from './types.js';
import {
  normalizeInventory,
  normalizeUuid,
  requireAmount,
  requireConsumerType,
  requireGeneration,
  requireIdString,
  requireProviderName,
  requireUuid,
} from './validate.js';

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

/** A validated write, ready to apply. Validation never mutates; applying never fails. */
type Commit = () => unknown;

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
  /** @internal Provider summaries of candidates by slot, rebuilt when the provider's version moves. */
  readonly summaryCache: (ProviderSummary | undefined)[] = [];
  /** @internal The provider version each cached summary was built at. */
  readonly summaryCacheVersion: number[] = [];
  /** @internal Trait names per interned trait set (see ProviderTable.traitLists). */
  readonly traitNamesCache = new WeakMap<readonly number[], readonly string[]>();
  private readonly now: () => number;
  private readonly logger: Logger;
  private sink: WriteSink | undefined;
  private readonly listeners = new Set<Listener>();
  private seqNo = 0;

  constructor(options: PlacementEngineOptions = {}) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
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
    const commit = this.prepare(op);
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
    if (filter.uuid !== undefined) {
      const s = p.slotOf(filter.uuid);
      slots = s === undefined ? [] : [s];
    } else if (filter.name !== undefined) {
      const s = p.byName.get(filter.name);
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
      if (id === undefined) throw new PlacementInvalidError(`No such trait(s): ${t}.`);
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
        if (rc === undefined) throw new PlacementInvalidError(`Invalid resource class in resources parameter: ${name}.`);
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

  setAggregates(uuid: string, generation: number | null, aggregates: readonly string[]): number {
    this.apply({ type: 'setAggregates', uuid, generation, aggregates: [...aggregates], at: this.now() });
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

  /**
   * Lowering capacity below current usage is allowed, as in Placement: the provider is then
   * over-committed and refuses new allocations until usage falls. Placement logs it; so do we.
   */
  private warnIfOvercommitted(slot: number, classes: Iterable<number>): void {
    for (const rc of classes) {
      const col = this.inventories.column(rc);
      if (col !== undefined && (col.used[slot] as number) > col.capacity(slot)) {
        this.logger.warn(
          { provider: this.providers.uuid[slot], resourceClass: this.resourceClasses.name(rc), used: col.used[slot], capacity: col.capacity(slot) },
          'inventory capacity is now below usage',
        );
      }
    }
  }

  private checkGeneration(slot: number, expected: number | null): void {
    const actual = this.providers.generation[slot] as number;
    if (expected !== null && expected !== actual) {
      throw new PlacementConcurrentUpdateError(`Resource provider ${this.providers.uuid[slot] as string}`, expected, actual);
    }
  }

  private touch(slot: number, at: number): void {
    this.providers.generation[slot] = (this.providers.generation[slot] as number) + 1;
    this.providers.updatedAt[slot] = at;
    this.providers.bump(slot);
  }

  // ---------------------------------------------------------------- validation of each op

  private prepare(op: WriteOp): Commit {
    switch (op.type) {
      case 'createResourceClass':
        return this.prepareCreateName(this.resourceClasses, op.name, 'Resource class');
      case 'createTrait':
        return this.prepareCreateName(this.traits, op.name, 'Trait');
      case 'deleteResourceClass':
        return this.prepareDeleteResourceClass(op.name);
      case 'deleteTrait':
        return this.prepareDeleteTrait(op.name);
      case 'createProvider':
        return this.prepareCreateProvider(op);
      case 'updateProvider':
        return this.prepareUpdateProvider(op);
      case 'deleteProvider':
        return this.prepareDeleteProvider(op.uuid);
      case 'setInventories':
        return this.prepareSetInventories(op.uuid, op.generation, op.inventories, op.at);
      case 'addInventory':
      case 'updateInventory':
        return this.prepareOneInventory(op.type, op.uuid, op.generation, op.resourceClass, op.inventory, op.at);
      case 'deleteInventory':
        return this.prepareDeleteInventory(op.uuid, op.generation, op.resourceClass, op.at);
      case 'setAggregates':
        return this.prepareSetAggregates(op.uuid, op.generation, op.aggregates, op.at);
      case 'setProviderTraits':
        return this.prepareSetProviderTraits(op.uuid, op.generation, op.traits, op.at);
      case 'writeAllocations':
        return this.prepareWriteAllocations(op.consumers, op.at);
      case 'deleteAllocations':
        return this.prepareDeleteAllocations(op.consumerUuid);
      case 'reshape':
        return this.prepareReshape(op.inventories, op.allocations, op.at);
      default:
        throw new PlacementInvalidError(`Unknown write op ${JSON.stringify((op as { type?: unknown }).type)}.`);
    }
  }

  private prepareCreateName(registry: NameRegistry, name: string, what: string): Commit {
    registry.validateCustom(name);
    if (registry.has(name)) throw new PlacementConflictError(`${what} ${name} already exists.`);
    return () => registry.add(name);
  }

  private prepareDeleteResourceClass(name: string): Commit {
    const rc = this.resourceClasses.require(name);
    if (this.resourceClasses.isStandard(name)) throw new PlacementInvalidError(`Cannot delete standard resource class ${name}.`);
    if (this.inventories.classInUse(rc)) {
      throw new PlacementConflictError(`Unable to delete resource class ${name}: it is in use in inventory.`);
    }
    return () => this.resourceClasses.remove(name);
  }

  private prepareDeleteTrait(name: string): Commit {
    const t = this.traits.require(name);
    if (this.traits.isStandard(name)) throw new PlacementInvalidError(`Cannot delete standard trait ${name}.`);
    if (this.providers.traitInUse(t)) throw new PlacementConflictError(`The trait ${name} is in use by a resource provider.`);
    return () => this.traits.remove(name);
  }

  private prepareCreateProvider(op: Extract<WriteOp, { type: 'createProvider' }>): Commit {
    const uuid = requireUuid(op.uuid, 'Resource provider uuid');
    const name = requireProviderName(op.name);
    if (this.providers.slotOf(uuid) !== undefined) {
      throw new PlacementDuplicateNameError(`Conflicting resource provider uuid: ${uuid} already exists.`);
    }
    if (this.providers.byName.has(name)) {
      throw new PlacementDuplicateNameError(`Conflicting resource provider name: ${name} already exists.`);
    }
    if (op.parentUuid === uuid) throw new PlacementInvalidError('A resource provider cannot be its own parent.');
    const parent = op.parentUuid === null ? NO_PROVIDER : this.parentSlot(op.parentUuid);
    return () => {
      const slot = this.providers.add(uuid, name, parent, op.at);
      this.inventories.columns.forEach((col) => col?.ensure(slot + 1));
      return slot;
    };
  }

  private parentSlot(parentUuid: string): number {
    requireUuid(parentUuid, 'parent_provider_uuid');
    const parent = this.providers.slotOf(parentUuid);
    if (parent === undefined) throw new PlacementInvalidError(`parent provider UUID ${parentUuid} does not exist.`);
    return parent;
  }

  private prepareUpdateProvider(op: Extract<WriteOp, { type: 'updateProvider' }>): Commit {
    const slot = this.slot(op.uuid);
    const name = requireProviderName(op.name);
    const other = this.providers.byName.get(name);
    if (other !== undefined && other !== slot) {
      throw new PlacementDuplicateNameError(`Conflicting resource provider name: ${name} already exists.`);
    }
    const parent = op.parentUuid === null ? NO_PROVIDER : this.parentSlot(op.parentUuid);
    // A provider can move anywhere except under itself or its own descendants (1.37).
    if (parent !== NO_PROVIDER && this.providers.isAncestorOrSelf(slot, parent)) {
      throw new PlacementInvalidError('Creating a loop in the resource provider tree is not allowed.');
    }
    return () => {
      if (this.providers.name[slot] !== name) this.providers.rename(slot, name);
      if (this.providers.parent[slot] !== parent) this.providers.setParent(slot, parent);
      // Placement does not bump the generation for a name or parent change.
      this.providers.updatedAt[slot] = op.at;
    };
  }

  private prepareDeleteProvider(uuid: string): Commit {
    const slot = this.slot(uuid);
    if (this.providers.hasChildren(slot)) throw new PlacementCannotDeleteParentError(uuid);
    if (this.consumers.hasAllocationsOn(slot)) throw new PlacementProviderInUseError(uuid);
    return () => {
      for (const col of this.inventories.columns) col?.remove(slot);
      this.consumers.clearProvider(slot);
      this.providers.remove(slot);
    };
  }

  private resolveInventories(providerUuid: string, inventories: Record<string, InventoryInput>): Map<number, Inventory> {
    if (typeof inventories !== 'object' || inventories === null) throw new PlacementInvalidError('inventories must be an object.');
    const out = new Map<number, Inventory>();
    for (const [name, input] of Object.entries(inventories)) {
      const rc = this.resourceClasses.id(name);
      if (rc === undefined) {
        throw new PlacementInvalidError(`Unknown resource class in inventory for resource provider ${providerUuid}: ${name}.`);
      }
      out.set(rc, normalizeInventory(name, input));
    }
    return out;
  }

  /** Classes the provider would lose that still carry allocations. */
  private classesInUse(slot: number, removing: Iterable<number>): string[] {
    const inUse: string[] = [];
    for (const rc of removing) {
      if ((this.inventories.column(rc)?.used[slot] ?? 0) > 0) inUse.push(this.resourceClasses.name(rc));
    }
    return inUse;
  }

  private prepareSetInventories(uuid: string, generation: number | null, inventories: Record<string, InventoryInput>, at: number): Commit {
    const slot = this.slot(uuid);
    this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    const next = this.resolveInventories(uuid, inventories);
    const removed = this.inventories.classesOf(slot).filter((rc) => !next.has(rc));
    const inUse = this.classesInUse(slot, removed);
    if (inUse.length > 0) throw new PlacementInventoryInUseError(uuid, inUse);
    return () => {
      for (const rc of removed) this.inventories.column(rc)?.remove(slot);
      for (const [rc, inv] of next) this.inventories.ensureColumn(rc).set(slot, inv);
      this.inventories.columns.forEach((col) => col?.ensure(this.providers.slots));
      this.touch(slot, at);
      this.warnIfOvercommitted(slot, next.keys());
    };
  }

  private prepareOneInventory(
    kind: 'addInventory' | 'updateInventory',
    uuid: string,
    generation: number | null,
    resourceClass: string,
    input: InventoryInput,
    at: number,
  ): Commit {
    const slot = this.slot(uuid);
    // Placement's POST of one inventory takes no generation; its PUT of one checks it.
    if (kind === 'updateInventory') this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    const rc = this.resourceClasses.id(resourceClass);
    if (rc === undefined) throw new PlacementInvalidError(`No such resource class ${resourceClass}.`);
    const inv = normalizeInventory(resourceClass, input);
    const exists = this.inventories.has(slot, rc);
    if (kind === 'addInventory' && exists) {
      throw new PlacementConcurrentUpdateError(`Inventory for ${resourceClass} on resource provider ${uuid} already exists;`, null, null);
    }
    if (kind === 'updateInventory' && !exists) {
      throw new PlacementInvalidError(`No inventory record with resource class ${resourceClass} for resource provider ${uuid}.`);
    }
    return () => {
      const col = this.inventories.ensureColumn(rc);
      col.ensure(this.providers.slots);
      col.set(slot, inv);
      this.touch(slot, at);
      this.warnIfOvercommitted(slot, [rc]);
    };
  }

  private prepareDeleteInventory(uuid: string, generation: number | null, resourceClass: string, at: number): Commit {
    const slot = this.slot(uuid);
    this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    const rc = this.resourceClasses.id(resourceClass);
    if (rc === undefined || !this.inventories.has(slot, rc)) {
      throw new PlacementNotFoundError('inventory', resourceClass, `No inventory of class ${resourceClass} found for delete on resource provider ${uuid}.`);
    }
    const inUse = this.classesInUse(slot, [rc]);
    // Placement answers this one case with placement.concurrent_update rather than inventory.inuse.
    if (inUse.length > 0) throw new PlacementInventoryInUseError(uuid, inUse, 'placement.concurrent_update');
    return () => {
      this.inventories.column(rc)?.remove(slot);
      this.touch(slot, at);
    };
  }

  private prepareSetAggregates(uuid: string, generation: number | null, aggregates: readonly string[], at: number): Commit {
    const slot = this.slot(uuid);
    this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    if (!Array.isArray(aggregates)) throw new PlacementInvalidError('aggregates must be a list of UUIDs.');
    for (const a of aggregates) requireUuid(a, 'Aggregate');
    if (new Set(aggregates).size !== aggregates.length) throw new PlacementInvalidError('aggregates must not repeat a UUID.');
    return () => {
      this.providers.setAggregates(slot, aggregates);
      this.touch(slot, at);
    };
  }

  private prepareSetProviderTraits(uuid: string, generation: number | null, traits: readonly string[], at: number): Commit {
    const slot = this.slot(uuid);
    this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    if (!Array.isArray(traits)) throw new PlacementInvalidError('traits must be a list of trait names.');
    const missing = traits.filter((t) => !this.traits.has(t));
    if (missing.length > 0) throw new PlacementInvalidError(`No such trait(s): ${missing.join(', ')}.`);
    const ids = [...new Set(traits.map((t) => this.traits.id(t) as number))].sort((a, b) => a - b);
    const current = this.providers.traitsOf(slot);
    const changed = current.length !== ids.length || current.some((t, i) => t !== ids[i]);
    return () => {
      if (!changed) return;
      this.providers.setTraits(slot, ids);
      this.touch(slot, at);
    };
  }

  // ---------------------------------------------------------------- allocation writes

  /**
   * Validates a set of consumer writes as one unit. Usage is counted as if the written consumers'
   * current allocations were already gone (Placement replaces them in the same transaction), so a
   * consumer can move or resize within its own footprint.
   */
  private resolveAllocationWrites(writes: readonly ConsumerAllocationsWrite[]): ResolvedWrite[] {
    if (!Array.isArray(writes)) throw new PlacementInvalidError('allocations must be a list of consumer writes.');
    const seen = new Set<string>();
    const resolved: ResolvedWrite[] = [];
    for (const w of writes) {
      const consumerUuid = requireUuid(normalizeUuid(w.consumerUuid), 'Consumer uuid');
      if (seen.has(consumerUuid)) throw new PlacementInvalidError(`Consumer ${consumerUuid} appears twice in one write.`);
      seen.add(consumerUuid);
      const existing = this.consumers.get(consumerUuid);
      if (w.consumerGeneration !== undefined) {
        const expected = requireGeneration(w.consumerGeneration, 'Consumer');
        const actual = existing === undefined ? null : existing.generation;
        if (expected !== actual) throw new PlacementConcurrentUpdateError(`Consumer ${consumerUuid}`, expected, actual);
      }
      const projectId = requireIdString(w.projectId, 'project_id');
      const userId = requireIdString(w.userId, 'user_id');
      const consumerType = w.consumerType === undefined ? (existing?.consumerType ?? DEFAULT_CONSUMER_TYPE) : requireConsumerType(w.consumerType);
      if (typeof w.allocations !== 'object' || w.allocations === null) throw new PlacementInvalidError('allocations must be an object.');
      const entries: number[] = [];
      for (const providerUuid in w.allocations) {
        const slot = this.providers.slotOf(providerUuid);
        if (slot === undefined) {
          throw new PlacementInvalidError(`Allocation for resource provider ${providerUuid} that does not exist.`);
        }
        const resources = w.allocations[providerUuid] as Resources;
        if (typeof resources !== 'object' || resources === null) throw new PlacementInvalidError('resources must be an object.');
        let any = false;
        for (const rcName in resources) {
          const rc = this.resourceClasses.id(rcName);
          if (rc === undefined) throw new PlacementInvalidError(`Unknown resource class in allocation: ${rcName}.`);
          entries.push(slot, rc, requireAmount(resources[rcName], rcName, providerUuid));
          any = true;
        }
        if (!any) throw new PlacementInvalidError(`Allocation for resource provider ${providerUuid} names no resources.`);
      }
      resolved.push({ consumerUuid, existing, projectId, userId, consumerType, entries });
    }
    return resolved;
  }

  /** Checks the new amounts against inventory, unit constraints and capacity. */
  private checkFit(resolved: readonly ResolvedWrite[], inventoriesOverride?: Map<number, Map<number, Inventory>>): void {
    // Net change of usage per (slot, rc) from releasing the old and taking the new allocations.
    const delta = new Map<number, number>();
    const key = (slot: number, rc: number): number => slot * 4096 + rc;
    for (const r of resolved) {
      const old = r.existing?.entries;
      if (old !== undefined) for (let i = 0; i < old.length; i += 3) {
        const k = key(old[i] as number, old[i + 1] as number);
        delta.set(k, (delta.get(k) ?? 0) - (old[i + 2] as number));
      }
    }
    for (const r of resolved) {
      const e = r.entries;
      for (let i = 0; i < e.length; i += 3) {
        const k = key(e[i] as number, e[i + 1] as number);
        delta.set(k, (delta.get(k) ?? 0) + (e[i + 2] as number));
      }
    }
    for (const r of resolved) {
      const e = r.entries;
      for (let i = 0; i < e.length; i += 3) {
        const slot = e[i] as number;
        const rc = e[i + 1] as number;
        const amount = e[i + 2] as number;
        const providerUuid = this.providers.uuid[slot] as string;
        const rcName = this.resourceClasses.name(rc);
        const col = this.inventories.column(rc);
        const override = inventoriesOverride?.get(slot);
        const inv = override?.get(rc) ?? (col !== undefined && col.has[slot] === 1 ? col.get(slot) : null);
        if (inv === null) {
          throw new PlacementAllocationError(providerUuid, rcName, 'no_inventory', `Unable to allocate inventory: resource provider ${providerUuid} has no inventory of ${rcName}.`);
        }
        if (amount < inv.minUnit || amount > inv.maxUnit || amount % inv.stepSize !== 0) {
          throw new PlacementAllocationError(
            providerUuid,
            rcName,
            'constraints',
            `Unable to allocate inventory: ${amount} of ${rcName} on resource provider ${providerUuid} violates min_unit ${inv.minUnit}, max_unit ${inv.maxUnit} or step_size ${inv.stepSize}.`,
          );
        }
        const used = (col?.used[slot] ?? 0) + (delta.get(key(slot, rc)) ?? 0);
        const capacity = (inv.total - inv.reserved) * inv.allocationRatio;
        if (used > capacity) {
          throw new PlacementAllocationError(
            providerUuid,
            rcName,
            'capacity',
            `Unable to allocate inventory: ${rcName} on resource provider ${providerUuid} would be used ${used} of capacity ${capacity}.`,
          );
        }
      }
    }
  }

  private prepareWriteAllocations(writes: readonly ConsumerAllocationsWrite[], at: number): Commit {
    const resolved = this.resolveAllocationWrites(writes);
    this.checkFit(resolved);
    return () => this.commitAllocations(resolved, at);
  }

  private commitAllocations(resolved: readonly ResolvedWrite[], at: number): void {
    const touched = new Set<number>();
    for (const r of resolved) if (r.existing !== undefined) this.release(r.existing);
    for (const r of resolved) {
      if (r.entries.length === 0) {
        // Emptying a consumer bumps the providers it leaves, unlike DELETE /allocations.
        if (r.existing !== undefined) {
          for (let i = 0; i < r.existing.entries.length; i += 3) touched.add(r.existing.entries[i] as number);
          this.consumers.byUuid.delete(r.consumerUuid);
        }
        continue;
      }
      const c: ConsumerRecord = r.existing ?? {
        uuid: r.consumerUuid,
        projectId: r.projectId,
        userId: r.userId,
        consumerType: r.consumerType,
        generation: 0,
        entries: [],
        createdAt: at,
        updatedAt: at,
      };
      c.projectId = r.projectId;
      c.userId = r.userId;
      c.consumerType = r.consumerType;
      c.generation++;
      c.updatedAt = at;
      c.entries = r.entries;
      for (let i = 0; i < r.entries.length; i += 3) {
        const slot = r.entries[i] as number;
        const col = this.inventories.column(r.entries[i + 1] as number) as NonNullable<ReturnType<InventoryTable['column']>>;
        col.used[slot] = (col.used[slot] as number) + (r.entries[i + 2] as number);
        touched.add(slot);
      }
      this.consumers.link(c);
      if (r.existing === undefined) this.consumers.byUuid.set(c.uuid, c);
    }
    // Placement bumps the generation of every provider the new allocations land on, which is
    // how two schedulers racing for the same provider find out.
    for (const slot of touched) this.touch(slot, at);
  }

  private release(c: ConsumerRecord): void {
    this.consumers.unlink(c);
    for (let i = 0; i < c.entries.length; i += 3) {
      const slot = c.entries[i] as number;
      const col = this.inventories.column(c.entries[i + 1] as number);
      if (col !== undefined) col.used[slot] = (col.used[slot] as number) - (c.entries[i + 2] as number);
      // Usage changes without a generation bump on DELETE /allocations; readers' caches must see it.
      this.providers.bump(slot);
    }
  }

  private prepareDeleteAllocations(consumerUuid: string): Commit {
    const c = this.consumers.get(consumerUuid);
    if (c === undefined) throw new PlacementNotFoundError('consumer', consumerUuid, `No allocations for consumer ${consumerUuid}.`);
    return () => {
      this.release(c);
      this.consumers.byUuid.delete(consumerUuid);
    };
  }

  private prepareReshape(
    inventories: ReshapeInput['inventories'],
    allocations: readonly ConsumerAllocationsWrite[],
    at: number,
  ): Commit {
    if (typeof inventories !== 'object' || inventories === null || Object.keys(inventories).length === 0) {
      throw new PlacementInvalidError('A reshape names at least one provider in inventories.');
    }
    const plans: { slot: number; next: Map<number, Inventory>; removed: number[] }[] = [];
    // Placement checks the new allocations against the interim inventory (old records overlaid
    // with the new ones, nothing removed yet), then removes the classes left out.
    const interim = new Map<number, Map<number, Inventory>>();
    for (const [uuid, entry] of Object.entries(inventories)) {
      const slot = this.providers.slotOf(uuid);
      if (slot === undefined) throw new PlacementReshapeProviderNotFoundError(uuid);
      this.checkGeneration(slot, requireGeneration(entry.generation, 'Resource provider'));
      const next = this.resolveInventories(uuid, entry.inventories);
      const removed = this.inventories.classesOf(slot).filter((rc) => !next.has(rc));
      interim.set(slot, next);
      plans.push({ slot, next, removed });
    }
    const resolved = this.resolveAllocationWrites(allocations);
    this.checkFit(resolved, interim);
    // Every allocation left afterwards, new or kept, must still have its inventory.
    const rewritten = new Set(resolved.map((r) => r.consumerUuid));
    for (const plan of plans) {
      if (plan.removed.length === 0) continue;
      const inUse = (entries: readonly number[]): void => {
        for (let i = 0; i < entries.length; i += 3) {
          if (entries[i] === plan.slot && plan.removed.includes(entries[i + 1] as number)) {
            throw new PlacementInventoryInUseError(this.providers.uuid[plan.slot] as string, [this.resourceClasses.name(entries[i + 1] as number)]);
          }
        }
      };
      for (const r of resolved) inUse(r.entries);
      for (const c of this.consumers.consumersOn(plan.slot) ?? []) if (!rewritten.has(c.uuid)) inUse(c.entries);
    }
    return () => {
      // Inventories first, so that the moved allocations land on the new shape; commitAllocations
      // releases the rewritten consumers' old allocations before taking the new ones.
      for (const plan of plans) {
        for (const rc of plan.removed) this.inventories.column(rc)?.remove(plan.slot);
        for (const [rc, inv] of plan.next) {
          const col = this.inventories.ensureColumn(rc);
          col.ensure(this.providers.slots);
          col.set(plan.slot, inv);
        }
        // Placement writes the interim inventory (when there is any) and then the final one.
        if (plan.next.size > 0) this.touch(plan.slot, at);
        this.touch(plan.slot, at);
      }
      this.commitAllocations(resolved, at);
    };
  }
}

interface ResolvedWrite {
  consumerUuid: string;
  existing: ConsumerRecord | undefined;
  projectId: string;
  userId: string;
  consumerType: string;
  entries: number[];
}

function matchesUsageQuery(c: ConsumerRecord, q: UsageQuery): boolean {
  if (c.projectId !== q.projectId) return false;
  if (q.userId !== undefined && c.userId !== q.userId) return false;
  if (q.consumerType !== undefined && q.consumerType !== 'all' && c.consumerType !== q.consumerType) return false;
  return true;
}
