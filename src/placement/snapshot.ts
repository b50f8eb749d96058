import type { ConsumerRecord } from './consumer-table.js';
import { PlacementEngine } from './engine.js';
import type { PlacementEngineOptions } from './engine.js';
import { PlacementInvalidError } from './errors.js';
import { NO_PROVIDER } from './provider-table.js';
import type { Inventory } from './types.js';

/**
 * The whole engine state as plain JSON. Restoring it gives back the same providers at the same
 * slots (so candidate order is unchanged), the same generations and the same change-log position.
 */
export interface PlacementSnapshot {
  format: 1;
  seq: number;
  customResourceClasses: string[];
  customTraits: string[];
  /** Every aggregate uuid ever seen, in id order (keeps aggregate listings in the same order). */
  aggregates: string[];
  providers: SnapshotProvider[];
  consumers: SnapshotConsumer[];
}

export interface SnapshotProvider {
  slot: number;
  uuid: string;
  name: string;
  parentUuid: string | null;
  generation: number;
  createdAt: number;
  updatedAt: number;
  inventories: Record<string, Inventory>;
  traits: string[];
  aggregates: string[];
}

export interface SnapshotConsumer {
  uuid: string;
  projectId: string;
  userId: string;
  consumerType: string;
  generation: number;
  createdAt: number;
  updatedAt: number;
  /** [provider uuid, resource class, amount] */
  allocations: [string, string, number][];
}

export function takeSnapshot(engine: PlacementEngine): PlacementSnapshot {
  const p = engine.providers;
  const rcs = engine.resourceClasses;
  const traits = engine.traits;
  const providers: SnapshotProvider[] = [];
  for (let slot = 0; slot < p.slots; slot++) {
    if (!p.alive(slot)) continue;
    const view = engine.view(slot);
    providers.push({
      slot,
      uuid: view.uuid,
      name: view.name,
      parentUuid: view.parentUuid,
      generation: view.generation,
      createdAt: view.createdAt,
      updatedAt: view.updatedAt,
      inventories: engine.getInventories(view.uuid).inventories,
      traits: p.traitsOf(slot).map((t) => traits.name(t)),
      aggregates: p.aggregateUuidsOf(slot),
    });
  }
  const consumers: SnapshotConsumer[] = [];
  for (const c of engine.consumers.byUuid.values()) {
    const allocations: [string, string, number][] = [];
    for (let i = 0; i < c.entries.length; i += 3) {
      allocations.push([p.uuid[c.entries[i] as number] as string, rcs.name(c.entries[i + 1] as number), c.entries[i + 2] as number]);
    }
    consumers.push({
      uuid: c.uuid,
      projectId: c.projectId,
      userId: c.userId,
      consumerType: c.consumerType,
      generation: c.generation,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      allocations,
    });
  }
  return {
    format: 1,
    seq: engine.seq,
    customResourceClasses: rcs.list().filter((n) => !rcs.isStandard(n)),
    customTraits: traits.list().filter((n) => !traits.isStandard(n)),
    aggregates: [...p.aggregateUuids],
    providers,
    consumers,
  };
}

/**
 * Rebuilds an engine from a snapshot. The state is loaded directly (not replayed as writes), so
 * restoring 100,000 providers takes one pass; the snapshot is trusted to come from takeSnapshot.
 */
export function restoreSnapshot(snapshot: PlacementSnapshot, options: PlacementEngineOptions = {}): PlacementEngine {
  if (snapshot === null || typeof snapshot !== 'object' || snapshot.format !== 1) {
    throw new PlacementInvalidError('Unsupported placement snapshot format.');
  }
  const engine = new PlacementEngine({ ...options, sink: undefined });
  for (const name of snapshot.customResourceClasses) engine.resourceClasses.add(name);
  for (const name of snapshot.customTraits) engine.traits.add(name);
  const p = engine.providers;
  for (const agg of snapshot.aggregates) p.aggregateId(agg);
  // Roots first at their own slots, then links: a re-parented provider may sit below its parent.
  for (const sp of snapshot.providers) p.add(sp.uuid, sp.name, NO_PROVIDER, sp.createdAt, sp.slot);
  for (const sp of snapshot.providers) {
    const slot = sp.slot;
    if (sp.parentUuid !== null) p.setParent(slot, p.slotOf(sp.parentUuid) as number);
    p.generation[slot] = sp.generation;
    p.updatedAt[slot] = sp.updatedAt;
    p.setTraits(slot, sp.traits.map((t) => engine.traits.require(t)));
    p.setAggregates(slot, sp.aggregates);
    for (const [rc, inv] of Object.entries(sp.inventories)) {
      const col = engine.inventories.ensureColumn(engine.resourceClasses.require(rc));
      col.set(slot, inv);
    }
  }
  for (const col of engine.inventories.columns) col?.ensure(p.slots);
  for (const sc of snapshot.consumers) {
    const entries: number[] = [];
    for (const [uuid, rc, amount] of sc.allocations) {
      const slot = p.slotOf(uuid) as number;
      const rcId = engine.resourceClasses.require(rc);
      entries.push(slot, rcId, amount);
      const col = engine.inventories.ensureColumn(rcId);
      col.used[slot] = (col.used[slot] as number) + amount;
    }
    const c: ConsumerRecord = {
      uuid: sc.uuid,
      projectId: sc.projectId,
      userId: sc.userId,
      consumerType: sc.consumerType,
      generation: sc.generation,
      entries,
      createdAt: sc.createdAt,
      updatedAt: sc.updatedAt,
    };
    engine.consumers.byUuid.set(c.uuid, c);
    engine.consumers.link(c);
  }
  engine.setSeq(snapshot.seq);
  if (options.sink !== undefined) engine.setSink(options.sink);
  return engine;
}
