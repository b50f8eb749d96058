import { describe, expect, it } from 'vitest';

import type { PlacementEngine } from '../../../src/placement/engine.js';
import type { ConsumerAllocationsWrite, ReshapeInput } from '../../../src/placement/types.js';
import { PROJECT, USER, addProvider, catchPlacementError, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const CN = uuid(1);
const NUMA0 = uuid(2);
const NUMA1 = uuid(3);
const OTHER = uuid(4);
const X = consumer(1);
const Y = consumer(2);
const Z = consumer(3);

/**
 * A compute node that reports VCPU and MEMORY_MB on its root, with two instances on it, and two
 * freshly created (empty) NUMA children that the inventory should move to:
 *   cn     VCPU 8, MEMORY_MB 8192, DISK_GB 100   X: 2 VCPU, 1024 MB, 10 GB   Y: 1 VCPU, 512 MB
 *   numa0  (no inventory)
 *   numa1  (no inventory)
 *   other  VCPU 8 (an unrelated host)
 */
function setup(): PlacementEngine {
  const e = newEngine();
  addProvider(e, 'cn', { uuid: CN, inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 8192 }, DISK_GB: { total: 100 } } });
  addProvider(e, 'other', { uuid: OTHER, inventories: { VCPU: { total: 8 } } });
  e.setAllocations(w(X, { [CN]: { VCPU: 2, MEMORY_MB: 1024, DISK_GB: 10 } }, null));
  e.setAllocations(w(Y, { [CN]: { VCPU: 1, MEMORY_MB: 512 } }, null));
  e.createProvider({ name: 'numa0', uuid: NUMA0, parentUuid: CN });
  e.createProvider({ name: 'numa1', uuid: NUMA1, parentUuid: CN });
  return e;
}

function w(c: string, allocations: ConsumerAllocationsWrite['allocations'], consumerGeneration: number | null): ConsumerAllocationsWrite {
  return { consumerUuid: c, allocations, projectId: PROJECT, userId: USER, consumerGeneration };
}

const gen = (e: PlacementEngine, u: string): number => e.requireProvider(u).generation;

/** The reshape that moves VCPU and MEMORY_MB from cn to its NUMA children. */
function moveToNuma(e: PlacementEngine): ReshapeInput {
  return {
    inventories: {
      [CN]: { generation: gen(e, CN), inventories: { DISK_GB: { total: 100 } } },
      [NUMA0]: { generation: gen(e, NUMA0), inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } } },
      [NUMA1]: { generation: gen(e, NUMA1), inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } } },
    },
    allocations: [
      w(X, { [CN]: { DISK_GB: 10 }, [NUMA0]: { VCPU: 2, MEMORY_MB: 1024 } }, 1),
      w(Y, { [NUMA1]: { VCPU: 1, MEMORY_MB: 512 } }, 1),
    ],
  };
}

/** Everything a reshape may touch, for before/after comparison. */
function snapshot(e: PlacementEngine): unknown {
  const providers = [CN, NUMA0, NUMA1, OTHER].map((u) => ({
    provider: e.requireProvider(u),
    inventories: e.getInventories(u),
    usages: e.getProviderUsages(u),
    allocations: e.getProviderAllocations(u),
  }));
  const consumers = [X, Y, Z].map((c) => e.getConsumerAllocations(c) ?? null);
  return { providers, consumers, seq: e.seq };
}

describe('reshape: moving inventory and allocations to new children (rules 87-95)', () => {
  it('moves VCPU/MEMORY_MB inventory and the allocations on them from the root to NUMA children in one step', () => {
    const e = setup();
    expect(gen(e, CN)).toBe(3);
    e.reshape(moveToNuma(e));

    expect(Object.keys(e.getInventories(CN).inventories)).toEqual(['DISK_GB']);
    expect(e.getInventories(NUMA0).inventories).toMatchObject({ VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } });
    expect(e.getProviderUsages(CN).usages).toEqual({ DISK_GB: 10 });
    expect(e.getProviderUsages(NUMA0).usages).toEqual({ VCPU: 2, MEMORY_MB: 1024 });
    expect(e.getProviderUsages(NUMA1).usages).toEqual({ VCPU: 1, MEMORY_MB: 512 });
    expect(e.getConsumerAllocations(X)).toMatchObject({
      consumerGeneration: 2,
      allocations: { [CN]: { resources: { DISK_GB: 10 } }, [NUMA0]: { resources: { VCPU: 2, MEMORY_MB: 1024 } } },
    });
    expect(e.getConsumerAllocations(Y)).toMatchObject({ consumerGeneration: 2, allocations: { [NUMA1]: { resources: { VCPU: 1, MEMORY_MB: 512 } } } });
  });

  it('bumps each inventory provider twice (interim and final) and each allocation provider once more (rule 95)', () => {
    const e = setup();
    const before = { cn: gen(e, CN), n0: gen(e, NUMA0), n1: gen(e, NUMA1), other: gen(e, OTHER) };
    const input = moveToNuma(e);
    // X also takes a VCPU on the unrelated host, which is not in `inventories`.
    input.allocations[0] = w(X, { [CN]: { DISK_GB: 10 }, [NUMA0]: { VCPU: 2, MEMORY_MB: 1024 }, [OTHER]: { VCPU: 1 } }, 1);
    e.reshape(input);
    expect(gen(e, CN)).toBe(before.cn + 3);
    expect(gen(e, NUMA0)).toBe(before.n0 + 3);
    expect(gen(e, NUMA1)).toBe(before.n1 + 3);
    expect(gen(e, OTHER)).toBe(before.other + 1);
  });

  it('succeeds where a plain inventory replace fails with inventory.inuse (rule 94)', () => {
    const e = setup();
    expectPlacementError(() => e.setInventories(CN, gen(e, CN), { DISK_GB: { total: 100 } }), {
      code: 'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode: 'placement.inventory.inuse',
    });
    e.reshape(moveToNuma(e));
    expect(Object.keys(e.getInventories(CN).inventories)).toEqual(['DISK_GB']);
  });

  it('deletes all inventory of a provider given {} and bumps it once (rules 88, 95)', () => {
    const e = setup();
    const g = gen(e, OTHER);
    e.reshape({ inventories: { [OTHER]: { generation: g, inventories: {} } }, allocations: [] });
    expect(e.getInventories(OTHER)).toEqual({ generation: g + 1, inventories: {} });
  });

  it('leaves every consumer alone with no allocations, and deletes a consumer given empty allocations (rule 89)', () => {
    const e = setup();
    const x = e.getConsumerAllocations(X);
    const g = gen(e, OTHER);
    e.reshape({ inventories: { [OTHER]: { generation: g, inventories: { VCPU: { total: 16 } } } }, allocations: [] });
    expect(gen(e, OTHER)).toBe(g + 2);
    expect(e.getConsumerAllocations(X)).toMatchObject({ consumerGeneration: x?.consumerGeneration, allocations: { [CN]: expect.anything() } });
    e.reshape({ inventories: { [OTHER]: { generation: g + 2, inventories: { VCPU: { total: 16 } } } }, allocations: [w(Y, {}, 1)] });
    expect(e.getConsumerAllocations(Y)).toBeUndefined();
    expect(e.getProviderUsages(CN).usages).toMatchObject({ VCPU: 2, MEMORY_MB: 1024 });
  });
});

describe('reshape failures leave everything unchanged (rules 90-92)', () => {
  it('refuses a stale provider generation with placement.concurrent_update', () => {
    const e = setup();
    const input = moveToNuma(e);
    (input.inventories[NUMA1] as { generation: number }).generation = 5;
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(snapshot(e)).toEqual(before);
  });

  it('refuses a stale consumer generation with placement.concurrent_update', () => {
    const e = setup();
    const input = moveToNuma(e);
    input.allocations[1] = w(Y, { [NUMA1]: { VCPU: 1, MEMORY_MB: 512 } }, 4);
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), { code: 'ERR_PLACEMENT_CONCURRENT_UPDATE', placementCode: 'placement.concurrent_update' });
    expect(snapshot(e)).toEqual(before);
  });

  it('refuses allocations that do not fit the new inventory (409) and rolls back new consumers too', () => {
    const e = setup();
    const input = moveToNuma(e);
    (input.inventories[NUMA0] as { inventories: object }).inventories = { VCPU: { total: 1 }, MEMORY_MB: { total: 4096 } };
    input.allocations.push(w(Z, { [NUMA1]: { VCPU: 1 } }, null));
    const before = snapshot(e);
    const err = expectPlacementError(() => e.reshape(input), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED', httpStatus: 409 });
    expect(err).toMatchObject({ provider: NUMA0, resourceClass: 'VCPU' });
    expect(snapshot(e)).toEqual(before);
    expect(e.getConsumerAllocations(Z)).toBeUndefined();
  });

  it('refuses to remove a class that a consumer left out of the reshape still uses (placement.inventory.inuse)', () => {
    const e = setup();
    const input = moveToNuma(e);
    input.allocations = input.allocations.filter((a) => a.consumerUuid !== Y);
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), {
      code: 'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode: 'placement.inventory.inuse',
      httpStatus: 409,
    });
    expect(snapshot(e)).toEqual(before);
  });

  it('refuses a provider in inventories that does not exist with a 400 placement.resource_provider.not_found (rule 90)', () => {
    const e = setup();
    const input = moveToNuma(e);
    input.inventories[uuid(99)] = { generation: 0, inventories: { VCPU: { total: 1 } } };
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), {
      code: 'ERR_PLACEMENT_RESHAPE_PROVIDER_NOT_FOUND',
      placementCode: 'placement.resource_provider.not_found',
      httpStatus: 400,
    });
    expect(snapshot(e)).toEqual(before);
  });

  it('refuses an allocation on a provider that does not exist with a 400', () => {
    const e = setup();
    const input = moveToNuma(e);
    input.allocations.push(w(Z, { [uuid(98)]: { VCPU: 1 } }, null));
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(snapshot(e)).toEqual(before);
  });

  it('refuses an invalid inventory in the reshape with a 400', () => {
    const e = setup();
    const input = moveToNuma(e);
    (input.inventories[NUMA0] as { inventories: object }).inventories = { VCPU: { total: 0 } };
    const before = snapshot(e);
    expectPlacementError(() => e.reshape(input), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(snapshot(e)).toEqual(before);
  });

  it('reports a rewritten consumer still on a removed class as placement.inventory.inuse (rule 91)', () => {
    const e = setup();
    const input = moveToNuma(e);
    input.allocations[1] = w(Y, { [CN]: { VCPU: 1, MEMORY_MB: 512 } }, 1);
    const before = snapshot(e);
    const err = catchPlacementError(() => e.reshape(input));
    expect(snapshot(e)).toEqual(before);
    expect(err.httpStatus).toBe(409);
    expect(err.placementCode).toBe('placement.inventory.inuse');
  });
});
