import { describe, expect, it } from 'vitest';

import type { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementConcurrentUpdateError, PlacementInventoryInUseError } from '../../../src/placement/errors.js';
import type { InventoryInput } from '../../../src/placement/types.js';
import { MAX_INT, MAX_RATIO } from '../../../src/placement/validate.js';
import { PROJECT, USER, addProvider, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const CN = uuid(1);

function withProvider(inventories?: Record<string, InventoryInput>): PlacementEngine {
  const e = newEngine();
  addProvider(e, 'cn1', { uuid: CN, inventories });
  return e;
}

function allocate(e: PlacementEngine, n: number, resources: Record<string, number>): void {
  e.setAllocations({ consumerUuid: consumer(n), allocations: { [CN]: resources }, projectId: PROJECT, userId: USER });
}

describe('inventory defaults and schema bounds (rule 41)', () => {
  it('fills Placement defaults: reserved 0, min_unit 1, max_unit 2147483647 (not total), step 1, ratio 1.0', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expect(e.getInventory(CN, 'VCPU')).toEqual({
      total: 8,
      reserved: 0,
      minUnit: 1,
      maxUnit: MAX_INT,
      stepSize: 1,
      allocationRatio: 1.0,
    });
  });

  it('keeps every field that is given', () => {
    const e = withProvider({ MEMORY_MB: { total: 4096, reserved: 512, minUnit: 256, maxUnit: 2048, stepSize: 256, allocationRatio: 1.5 } });
    expect(e.getInventories(CN)).toEqual({
      generation: 1,
      inventories: { MEMORY_MB: { total: 4096, reserved: 512, minUnit: 256, maxUnit: 2048, stepSize: 256, allocationRatio: 1.5 } },
    });
  });

  it.each<[string, InventoryInput]>([
    ['total 0', { total: 0 }],
    ['total above 2147483647', { total: MAX_INT + 1 }],
    ['fractional total', { total: 1.5 }],
    ['negative reserved', { total: 8, reserved: -1 }],
    ['reserved above 2147483647', { total: 8, reserved: MAX_INT + 1 }],
    ['min_unit 0', { total: 8, minUnit: 0 }],
    ['max_unit 0', { total: 8, maxUnit: 0 }],
    ['max_unit above 2147483647', { total: 8, maxUnit: MAX_INT + 1 }],
    ['step_size 0', { total: 8, stepSize: 0 }],
    ['allocation_ratio above 3.40282e38', { total: 8, allocationRatio: MAX_RATIO * 2 }],
    ['allocation_ratio NaN', { total: 8, allocationRatio: Number.NaN }],
  ])('refuses %s with a 400 and changes nothing', (_label, inventory) => {
    const e = withProvider({ DISK_GB: { total: 100 } });
    expectPlacementError(() => e.setInventories(CN, 1, { VCPU: inventory }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.addInventory(CN, 1, 'VCPU', inventory), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.updateInventory(CN, 1, 'DISK_GB', inventory), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.getInventories(CN)).toEqual({ generation: 1, inventories: { DISK_GB: expect.objectContaining({ total: 100 }) } });
  });

  it('accepts the upper bounds, and does not check min_unit <= max_unit or max_unit <= total', () => {
    const e = withProvider();
    e.setInventories(CN, 0, {
      VCPU: { total: MAX_INT, reserved: MAX_INT, minUnit: MAX_INT, maxUnit: MAX_INT, stepSize: MAX_INT, allocationRatio: MAX_RATIO },
      MEMORY_MB: { total: 1024, minUnit: 512, maxUnit: 256 },
      DISK_GB: { total: 10, maxUnit: 1000 },
    });
    expect(e.getInventory(CN, 'MEMORY_MB')).toMatchObject({ minUnit: 512, maxUnit: 256 });
    expect(e.getInventory(CN, 'DISK_GB')).toMatchObject({ total: 10, maxUnit: 1000 });
  });

  it('refuses an unknown resource class (400) and an unknown provider (404)', () => {
    const e = withProvider();
    expectPlacementError(() => e.setInventories(CN, 0, { CUSTOM_NOPE: { total: 1 } }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.addInventory(CN, 0, 'CUSTOM_NOPE', { total: 1 }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.setInventories(uuid(99), 0, { VCPU: { total: 1 } }), {
      code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND',
      httpStatus: 404,
    });
    expectPlacementError(() => e.getInventories(uuid(99)), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
    expect(e.getInventories(CN)).toEqual({ generation: 0, inventories: {} });
  });

  it('answers a read of a class the provider does not stock with a 404', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expectPlacementError(() => e.getInventory(CN, 'DISK_GB'), { code: 'ERR_PLACEMENT_NOT_FOUND', httpStatus: 404 });
  });
});

describe('capacity check on write (rule 42)', () => {
  it('allows reserved == total (capacity 0, as of 1.26)', () => {
    const e = withProvider();
    e.setInventories(CN, 0, { VCPU: { total: 8, reserved: 8 } });
    expect(e.getInventory(CN, 'VCPU')).toMatchObject({ total: 8, reserved: 8 });
  });

  it('refuses reserved > total on every write path', () => {
    const e = withProvider({ DISK_GB: { total: 10 } });
    expectPlacementError(() => e.setInventories(CN, 1, { VCPU: { total: 8, reserved: 9 } }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.addInventory(CN, 1, 'VCPU', { total: 8, reserved: 9 }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.updateInventory(CN, 1, 'DISK_GB', { total: 10, reserved: 11 }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.getInventories(CN)).toEqual({ generation: 1, inventories: { DISK_GB: expect.objectContaining({ total: 10, reserved: 0 }) } });
  });

  it('allows a zero ratio (capacity 0) and refuses a negative one (capacity below 0)', () => {
    const e = withProvider();
    e.setInventories(CN, 0, { VCPU: { total: 8, allocationRatio: 0 } });
    expect(e.getInventory(CN, 'VCPU').allocationRatio).toBe(0);
    expectPlacementError(() => e.setInventories(CN, 1, { VCPU: { total: 8, allocationRatio: -1 } }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.getInventory(CN, 'VCPU').allocationRatio).toBe(0);
  });

  it('uses the truncated capacity: a ratio giving -0.5 truncates to 0 and is allowed', () => {
    const e = withProvider();
    e.setInventories(CN, 0, { VCPU: { total: 1, allocationRatio: -0.5 } });
    expect(e.getInventory(CN, 'VCPU').allocationRatio).toBe(-0.5);
    expectPlacementError(() => e.setInventories(CN, 1, { VCPU: { total: 2, allocationRatio: -0.5 } }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('allows shrinking capacity below current usage; the allocations stay (rule 49)', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    allocate(e, 1, { VCPU: 6 });
    e.updateInventory(CN, 2, 'VCPU', { total: 4 });
    expect(e.getInventory(CN, 'VCPU').total).toBe(4);
    expect(e.getProviderUsages(CN).usages).toEqual({ VCPU: 6 });
    e.setInventories(CN, 3, { VCPU: { total: 2, reserved: 2 } });
    expect(e.getProviderUsages(CN).usages).toEqual({ VCPU: 6 });
    expect(e.getConsumerAllocations(consumer(1))?.allocations[CN]?.resources).toEqual({ VCPU: 6 });
  });
});

describe('replace-all: setInventories (rule 44)', () => {
  it('replaces the whole inventory: classes absent from the body are deleted', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    e.setInventories(CN, 1, { MEMORY_MB: { total: 1024 } });
    expect(Object.keys(e.getInventories(CN).inventories)).toEqual(['MEMORY_MB']);
  });

  it('refuses to remove a class in use with placement.inventory.inuse and changes nothing', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    allocate(e, 1, { VCPU: 1 });
    const before = e.getInventories(CN);
    const err = expectPlacementError(() => e.setInventories(CN, before.generation, { DISK_GB: { total: 50 } }), {
      code: 'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode: 'placement.inventory.inuse',
      httpStatus: 409,
    });
    expect(err).toBeInstanceOf(PlacementInventoryInUseError);
    expect((err as PlacementInventoryInUseError).resourceClasses).toEqual(['VCPU']);
    expect(e.getInventories(CN)).toEqual(before);
  });

  it('removes a class that has no allocations even while other classes are in use', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    allocate(e, 1, { VCPU: 1 });
    e.setInventories(CN, 2, { VCPU: { total: 8 } });
    expect(Object.keys(e.getInventories(CN).inventories)).toEqual(['VCPU']);
  });

  it('bumps the generation by one on every write, even when nothing changes', () => {
    const e = withProvider();
    expect(e.setInventories(CN, 0, { VCPU: { total: 8 } })).toBe(1);
    expect(e.setInventories(CN, 1, { VCPU: { total: 8 } })).toBe(2);
    expect(e.setInventories(CN, 2, {})).toBe(3);
    expect(e.setInventories(CN, 3, {})).toBe(4);
    expect(e.requireProvider(CN).generation).toBe(4);
  });

  it('refuses a stale generation with ERR_PLACEMENT_CONCURRENT_UPDATE and changes nothing', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    const err = expectPlacementError(() => e.setInventories(CN, 0, { VCPU: { total: 16 } }), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(err).toBeInstanceOf(PlacementConcurrentUpdateError);
    expect((err as PlacementConcurrentUpdateError).expected).toBe(0);
    expect((err as PlacementConcurrentUpdateError).actual).toBe(1);
    expect(e.getInventories(CN)).toEqual({ generation: 1, inventories: { VCPU: expect.objectContaining({ total: 8 }) } });
  });
});

describe('single-class writes (rules 45-48)', () => {
  it('updateInventory (PUT one class) changes the class, bumps the generation and checks it', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expect(e.updateInventory(CN, 1, 'VCPU', { total: 16, allocationRatio: 2 })).toBe(2);
    expect(e.getInventory(CN, 'VCPU')).toMatchObject({ total: 16, allocationRatio: 2, reserved: 0 });
    expectPlacementError(() => e.updateInventory(CN, 1, 'VCPU', { total: 4 }), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getInventory(CN, 'VCPU').total).toBe(16);
  });

  it('updateInventory of a class the provider does not stock is a 400 (ERR_PLACEMENT_INVALID)', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expectPlacementError(() => e.updateInventory(CN, 1, 'DISK_GB', { total: 100 }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.getInventories(CN)).toEqual({ generation: 1, inventories: { VCPU: expect.objectContaining({ total: 8 }) } });
  });

  it('addInventory (POST) adds a class, bumps the generation, and ignores the generation given', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expect(e.addInventory(CN, 0 /* stale, ignored */, 'DISK_GB', { total: 100 })).toBe(2);
    expect(e.addInventory(CN, null, 'MEMORY_MB', { total: 1024 })).toBe(3);
    expect(Object.keys(e.getInventories(CN).inventories).sort()).toEqual(['DISK_GB', 'MEMORY_MB', 'VCPU']);
  });

  it('addInventory of a class that exists is a 409 with placement.concurrent_update', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expectPlacementError(() => e.addInventory(CN, 1, 'VCPU', { total: 16 }), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getInventories(CN)).toEqual({ generation: 1, inventories: { VCPU: expect.objectContaining({ total: 8 }) } });
  });

  it('deleteInventory removes one class without a generation check and bumps the generation', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    expect(e.deleteInventory(CN, null, 'DISK_GB')).toBe(2);
    expect(Object.keys(e.getInventories(CN).inventories)).toEqual(['VCPU']);
  });

  it('deleteInventory of a class in use is a 409 carrying placement.concurrent_update (sic)', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    allocate(e, 1, { DISK_GB: 10 });
    const before = e.getInventories(CN);
    expectPlacementError(() => e.deleteInventory(CN, null, 'DISK_GB'), {
      code: 'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getInventories(CN)).toEqual(before);
  });

  it('deleteInventory of a class the provider does not stock is a 404', () => {
    const e = withProvider({ VCPU: { total: 8 } });
    expectPlacementError(() => e.deleteInventory(CN, null, 'DISK_GB'), { code: 'ERR_PLACEMENT_NOT_FOUND', httpStatus: 404 });
    expect(e.requireProvider(CN).generation).toBe(1);
  });

  it('deleteInventories removes every class and bumps; with a class in use it is placement.inventory.inuse', () => {
    const e = withProvider({ VCPU: { total: 8 }, DISK_GB: { total: 100 } });
    allocate(e, 1, { VCPU: 1 });
    expectPlacementError(() => e.deleteInventories(CN), {
      code: 'ERR_PLACEMENT_INVENTORY_IN_USE',
      placementCode: 'placement.inventory.inuse',
      httpStatus: 409,
    });
    expect(Object.keys(e.getInventories(CN).inventories).sort()).toEqual(['DISK_GB', 'VCPU']);
    e.deleteAllocations(consumer(1));
    const gen = e.requireProvider(CN).generation;
    expect(e.deleteInventories(CN)).toBe(gen + 1);
    expect(e.getInventories(CN).inventories).toEqual({});
  });

  it('counts one generation bump per inventory write of any kind', () => {
    const e = withProvider();
    e.addInventory(CN, null, 'VCPU', { total: 8 });
    e.updateInventory(CN, 1, 'VCPU', { total: 8 });
    e.setInventories(CN, 2, { VCPU: { total: 8 }, DISK_GB: { total: 1 } });
    e.deleteInventory(CN, null, 'DISK_GB');
    e.deleteInventories(CN);
    expect(e.requireProvider(CN).generation).toBe(5);
  });
});
