import type { Logger } from '../../common/logger.js';
import type { ConsumerRecord, ConsumerTable } from './consumer-table.js';
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
import type { InventoryTable } from './inventory-table.js';
import type { NameRegistry } from './names.js';
import type { WriteOp } from './ops.js';
import type { ProviderTable } from './provider-table.js';
import { NO_PROVIDER } from './provider-table.js';
import type { ConsumerAllocationsWrite, Inventory, InventoryInput, ReshapeInput, Resources } from './types.js';
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

/** The engine's tables, as the write rules see them. */
export interface EngineTables {
  readonly providers: ProviderTable;
  readonly inventories: InventoryTable;
  readonly consumers: ConsumerTable;
  readonly resourceClasses: NameRegistry;
  readonly traits: NameRegistry;
}

/** A validated write, ready to apply. Validation never mutates; applying never fails. */
export type Commit = () => unknown;

/**
 * Placement's rules for every write op: `prepare` checks an op against the current state and
 * returns the commit that applies it, so that the engine can journal the op in between and a
 * refused write changes nothing.
 */
export class WriteRules {
  private readonly providers: ProviderTable;
  private readonly inventories: InventoryTable;
  private readonly consumers: ConsumerTable;
  private readonly resourceClasses: NameRegistry;
  private readonly traits: NameRegistry;

  constructor(
    tables: EngineTables,
    private readonly logger: Logger,
  ) {
    this.providers = tables.providers;
    this.inventories = tables.inventories;
    this.consumers = tables.consumers;
    this.resourceClasses = tables.resourceClasses;
    this.traits = tables.traits;
  }

  private slot(uuid: string): number {
    const slot = this.providers.slotOf(uuid);
    if (slot === undefined) throw new PlacementNotFoundError('resource_provider', uuid);
    return slot;
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

  prepare(op: WriteOp): Commit {
    switch (op.type) {
      case 'createResourceClass':
        return this.prepareCreateName(this.resourceClasses, op.name, 'Resource class');
      case 'createTrait':
        return this.prepareCreateName(this.traits, op.name, 'Trait');
      case 'deleteResourceClass':
        return this.prepareDeleteResourceClass(op.name);
      case 'renameResourceClass':
        return this.prepareRenameResourceClass(op.name, op.newName);
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
        return this.prepareSetAggregates(op.uuid, op.generation, op.aggregates, op.at, op.bumpGeneration ?? true);
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
      throw new PlacementConflictError(`Cannot delete resource class ${name}. Class is in use in inventory.`);
    }
    return () => this.resourceClasses.remove(name);
  }

  /** Placement's rename of a custom class (PUT /resource_classes/{name}, 1.2 – 1.6). */
  private prepareRenameResourceClass(name: string, newName: string): Commit {
    this.resourceClasses.require(name);
    if (this.resourceClasses.isStandard(name)) throw new PlacementInvalidError(`Cannot update standard resource class ${name}.`);
    this.resourceClasses.validateCustom(newName);
    if (newName !== name && this.resourceClasses.has(newName)) throw new PlacementConflictError(`Resource class already exists: ${newName}.`);
    const rc = this.resourceClasses.require(name);
    return () => {
      if (newName === name) return;
      this.resourceClasses.rename(name, newName);
      // Readers cache provider summaries by provider version; the class's name is in them.
      const col = this.inventories.column(rc);
      if (col !== undefined) for (let s = 0; s < this.providers.slots; s++) if (col.has[s] === 1) this.providers.bump(s);
    };
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

  private prepareSetAggregates(uuid: string, generation: number | null, aggregates: readonly string[], at: number, bump: boolean): Commit {
    const slot = this.slot(uuid);
    this.checkGeneration(slot, requireGeneration(generation, 'Resource provider'));
    if (!Array.isArray(aggregates)) throw new PlacementInvalidError('aggregates must be a list of UUIDs.');
    for (const a of aggregates) requireUuid(a, 'Aggregate');
    if (new Set(aggregates).size !== aggregates.length) throw new PlacementInvalidError('aggregates must not repeat a UUID.');
    return () => {
      this.providers.setAggregates(slot, aggregates);
      if (bump) this.touch(slot, at);
      else this.providers.updatedAt[slot] = at;
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
          throw new PlacementAllocationError(providerUuid, rcName, 'no_inventory', `Unable to allocate inventory: Inventory for '${rcName}' on resource provider '${providerUuid}' invalid.`);
        }
        if (amount < inv.minUnit || amount > inv.maxUnit || amount % inv.stepSize !== 0) {
          throw new PlacementAllocationError(
            providerUuid,
            rcName,
            'constraints',
            `Unable to allocate inventory: Unable to create allocation for '${rcName}' on resource provider '${providerUuid}'. The requested amount would violate inventory constraints.`,
          );
        }
        const used = (col?.used[slot] ?? 0) + (delta.get(key(slot, rc)) ?? 0);
        const capacity = (inv.total - inv.reserved) * inv.allocationRatio;
        if (used > capacity) {
          throw new PlacementAllocationError(
            providerUuid,
            rcName,
            'capacity',
            `Unable to allocate inventory: Unable to create allocation for '${rcName}' on resource provider '${providerUuid}'. The requested amount would exceed the capacity.`,
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

