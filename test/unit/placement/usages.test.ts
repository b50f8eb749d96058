import { describe, expect, it } from 'vitest';

import type { PlacementEngine } from '../../../src/placement/engine.js';
import type { ConsumerAllocationsWrite } from '../../../src/placement/types.js';
import { addProvider, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const A = uuid(1);
const B = uuid(2);

function setup(): PlacementEngine {
  const e = newEngine();
  addProvider(e, 'hostA', { uuid: A, inventories: { VCPU: { total: 32 }, MEMORY_MB: { total: 65536 }, DISK_GB: { total: 1000 } } });
  addProvider(e, 'hostB', { uuid: B, inventories: { VCPU: { total: 32 }, MEMORY_MB: { total: 65536 } } });
  return e;
}

function put(e: PlacementEngine, n: number, w: Omit<ConsumerAllocationsWrite, 'consumerUuid'>): void {
  e.setAllocations({ consumerUuid: consumer(n), ...w });
}

/**
 * project p1: consumer 1 (user u1, INSTANCE) 2 VCPU + 1024 MB on A, 1 VCPU on B;
 *             consumer 2 (user u2, INSTANCE) 4 VCPU on B;
 *             consumer 3 (user u1, MIGRATION) 1 VCPU + 10 GB on A;
 *             consumer 4 (user u1, no type) 512 MB on B.
 * project p2: consumer 5 (user u1, INSTANCE) 8 VCPU on A.
 */
function populated(): PlacementEngine {
  const e = setup();
  put(e, 1, { allocations: { [A]: { VCPU: 2, MEMORY_MB: 1024 }, [B]: { VCPU: 1 } }, projectId: 'p1', userId: 'u1', consumerType: 'INSTANCE' });
  put(e, 2, { allocations: { [B]: { VCPU: 4 } }, projectId: 'p1', userId: 'u2', consumerType: 'INSTANCE' });
  put(e, 3, { allocations: { [A]: { VCPU: 1, DISK_GB: 10 } }, projectId: 'p1', userId: 'u1', consumerType: 'MIGRATION' });
  put(e, 4, { allocations: { [B]: { MEMORY_MB: 512 } }, projectId: 'p1', userId: 'u1' });
  put(e, 5, { allocations: { [A]: { VCPU: 8 } }, projectId: 'p2', userId: 'u1', consumerType: 'INSTANCE' });
  return e;
}

describe('provider usages (rule 84)', () => {
  it('lists every stocked class, with 0 for unallocated ones, and the generation', () => {
    const e = setup();
    expect(e.getProviderUsages(A)).toEqual({ generation: 1, usages: { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 } });
    put(e, 1, { allocations: { [A]: { VCPU: 3 } }, projectId: 'p', userId: 'u' });
    put(e, 2, { allocations: { [A]: { VCPU: 2, DISK_GB: 7 } }, projectId: 'p', userId: 'u' });
    expect(e.getProviderUsages(A)).toEqual({ generation: 3, usages: { VCPU: 5, MEMORY_MB: 0, DISK_GB: 7 } });
    expect(e.getProviderUsages(B).usages).toEqual({ VCPU: 0, MEMORY_MB: 0 });
  });

  it('is empty for a provider without inventory and a 404 for an unknown provider', () => {
    const e = setup();
    e.createProvider({ name: 'bare', uuid: uuid(3) });
    expect(e.getProviderUsages(uuid(3))).toEqual({ generation: 0, usages: {} });
    expectPlacementError(() => e.getProviderUsages(uuid(99)), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
  });

  it('drops usage when allocations are deleted or replaced', () => {
    const e = populated();
    e.deleteAllocations(consumer(1));
    expect(e.getProviderUsages(A).usages).toEqual({ VCPU: 9, MEMORY_MB: 0, DISK_GB: 10 });
    put(e, 3, { allocations: { [B]: { VCPU: 1 } }, projectId: 'p1', userId: 'u1' });
    expect(e.getProviderUsages(A).usages).toEqual({ VCPU: 8, MEMORY_MB: 0, DISK_GB: 0 });
    expect(e.getProviderUsages(B).usages).toEqual({ VCPU: 5, MEMORY_MB: 512 });
  });
});

describe('project and user usages (rule 85)', () => {
  it("sums a project's allocations across providers and consumers", () => {
    const e = populated();
    expect(e.getUsages({ projectId: 'p1' })).toEqual({ VCPU: 8, MEMORY_MB: 1536, DISK_GB: 10 });
    expect(e.getUsages({ projectId: 'p2' })).toEqual({ VCPU: 8 });
  });

  it('narrows to one user of the project', () => {
    const e = populated();
    expect(e.getUsages({ projectId: 'p1', userId: 'u1' })).toEqual({ VCPU: 4, MEMORY_MB: 1536, DISK_GB: 10 });
    expect(e.getUsages({ projectId: 'p1', userId: 'u2' })).toEqual({ VCPU: 4 });
  });

  it('is empty for a project or user without allocations', () => {
    const e = populated();
    expect(e.getUsages({ projectId: 'p3' })).toEqual({});
    expect(e.getUsages({ projectId: 'p2', userId: 'u2' })).toEqual({});
  });

  it('follows a consumer that moves to another project', () => {
    const e = populated();
    put(e, 2, { allocations: { [B]: { VCPU: 4 } }, projectId: 'p2', userId: 'u2' });
    expect(e.getUsages({ projectId: 'p1' })).toEqual({ VCPU: 4, MEMORY_MB: 1536, DISK_GB: 10 });
    expect(e.getUsages({ projectId: 'p2' })).toEqual({ VCPU: 12 });
  });
});

describe('usages by consumer type (rule 86)', () => {
  it('filters to one consumer type, keyed by that type, counting distinct consumers', () => {
    const e = populated();
    expect(e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'INSTANCE' })).toEqual({
      INSTANCE: { consumerCount: 2, usages: { VCPU: 7, MEMORY_MB: 1024 } },
    });
    expect(e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'MIGRATION' })).toEqual({
      MIGRATION: { consumerCount: 1, usages: { VCPU: 1, DISK_GB: 10 } },
    });
    expect(e.getUsagesByConsumerType({ projectId: 'p1', userId: 'u2', consumerType: 'INSTANCE' })).toEqual({
      INSTANCE: { consumerCount: 1, usages: { VCPU: 4 } },
    });
  });

  it('filters to consumers without a type with unknown', () => {
    const e = populated();
    expect(e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'unknown' })).toEqual({
      unknown: { consumerCount: 1, usages: { MEMORY_MB: 512 } },
    });
  });

  it('is empty when nothing matches', () => {
    const e = populated();
    expect(e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'NOPE' })).toEqual({});
    expect(e.getUsagesByConsumerType({ projectId: 'p9' })).toEqual({});
    expect(e.getUsagesByConsumerType({ projectId: 'p9', consumerType: 'all' })).toEqual({});
  });

  it('reports the totals of every type under all when asked for all', () => {
    const e = populated();
    const out = e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'all' });
    expect(out.all).toEqual({ consumerCount: 4, usages: { VCPU: 8, MEMORY_MB: 1536, DISK_GB: 10 } });
  });

  it('reports each type present under its own key without a filter, untyped consumers under unknown', () => {
    const e = populated();
    const out = e.getUsagesByConsumerType({ projectId: 'p1' });
    expect(out).toMatchObject({
      INSTANCE: { consumerCount: 2, usages: { VCPU: 7, MEMORY_MB: 1024 } },
      MIGRATION: { consumerCount: 1, usages: { VCPU: 1, DISK_GB: 10 } },
      unknown: { consumerCount: 1, usages: { MEMORY_MB: 512 } },
    });
  });

  it('has no all key when no consumer type is given (rule 86)', () => {
    const e = populated();
    expect(Object.keys(e.getUsagesByConsumerType({ projectId: 'p1' })).sort()).toEqual(['INSTANCE', 'MIGRATION', 'unknown']);
  });

  it('has only the all key when consumer type all is given (rule 86)', () => {
    const e = populated();
    expect(e.getUsagesByConsumerType({ projectId: 'p1', consumerType: 'all' })).toEqual({
      all: { consumerCount: 4, usages: { VCPU: 8, MEMORY_MB: 1536, DISK_GB: 10 } },
    });
  });
});
