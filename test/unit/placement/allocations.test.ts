import { describe, expect, it } from 'vitest';

import type { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementAllocationError } from '../../../src/placement/errors.js';
import type { ConsumerAllocationsWrite } from '../../../src/placement/types.js';
import { PROJECT, USER, addProvider, catchPlacementError, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const A = uuid(1);
const B = uuid(2);
const C1 = consumer(1);
const C2 = consumer(2);
const C3 = consumer(3);

/** Two compute hosts: VCPU 8 (max_unit 8), MEMORY_MB 4096 (min 256, step 256), DISK_GB 100. */
function twoHosts(): PlacementEngine {
  const e = newEngine();
  const inventories = {
    VCPU: { total: 8 },
    MEMORY_MB: { total: 4096, minUnit: 256, stepSize: 256 },
    DISK_GB: { total: 100 },
  };
  addProvider(e, 'hostA', { uuid: A, inventories });
  addProvider(e, 'hostB', { uuid: B, inventories });
  return e;
}

function write(c: string, allocations: ConsumerAllocationsWrite['allocations'], extra: Partial<ConsumerAllocationsWrite> = {}): ConsumerAllocationsWrite {
  return { consumerUuid: c, allocations, projectId: PROJECT, userId: USER, ...extra };
}

const gen = (e: PlacementEngine, u: string): number => e.requireProvider(u).generation;

describe('consumer generations (rules 54-56)', () => {
  it('creates a new consumer with consumerGeneration null; it is at generation 1 after the first write', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 2 } }, { consumerGeneration: null }));
    const c = e.getConsumerAllocations(C1);
    expect(c).toMatchObject({ consumerUuid: C1, consumerGeneration: 1, projectId: PROJECT, userId: USER, consumerType: 'unknown' });
    expect(c?.allocations).toEqual({ [A]: { generation: gen(e, A), resources: { VCPU: 2 } } });
  });

  it('increments the consumer generation on each write and requires the current one', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 2 } }, { consumerGeneration: null }));
    e.setAllocations(write(C1, { [A]: { VCPU: 3 } }, { consumerGeneration: 1 }));
    expect(e.getConsumerAllocations(C1)?.consumerGeneration).toBe(2);
    const err = expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 4 } }, { consumerGeneration: 1 })), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(err).toMatchObject({ expected: 1, actual: 2 });
    expect(e.getConsumerAllocations(C1)?.allocations[A]?.resources).toEqual({ VCPU: 3 });
  });

  it('refuses null for an existing consumer and a number for a new one (both concurrent_update)', () => {
    const e = twoHosts();
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: 0 })), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null }));
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 2 } }, { consumerGeneration: null })), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getProviderUsages(A).usages.VCPU).toBe(1);
  });

  it('skips the check when no generation is given (before microversion 1.28)', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }));
    e.setAllocations(write(C1, { [A]: { VCPU: 2 } }));
    expect(e.getConsumerAllocations(C1)?.consumerGeneration).toBe(2);
  });

  it('deletes the consumer when its allocations become empty; the next write must send null again', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null }));
    e.setAllocations(write(C1, {}, { consumerGeneration: 1 }));
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    expect(e.getProviderUsages(A).usages.VCPU).toBe(0);
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: 1 })), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
    });
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null }));
    expect(e.getConsumerAllocations(C1)?.consumerGeneration).toBe(1);
  });
});

describe('consumer project, user and type (rule 57)', () => {
  it('updates project, user and type of an existing consumer on a rewrite', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null, consumerType: 'INSTANCE' }));
    expect(e.getConsumerAllocations(C1)?.consumerType).toBe('INSTANCE');
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: 1, projectId: 'p2', userId: 'u2', consumerType: 'MIGRATION' }));
    expect(e.getConsumerAllocations(C1)).toMatchObject({ projectId: 'p2', userId: 'u2', consumerType: 'MIGRATION', consumerGeneration: 2 });
  });

  it('leaves the type of an existing consumer alone when the write names none (before 1.38)', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, { consumerType: 'INSTANCE' }));
    e.setAllocations(write(C1, { [A]: { VCPU: 2 } }));
    expect(e.getConsumerAllocations(C1)?.consumerType).toBe('INSTANCE');
  });

  it('gives a new consumer written without a type the type unknown', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }));
    expect(e.getConsumerAllocations(C1)?.consumerType).toBe('unknown');
  });

  it('refuses a malformed type, project or user (400)', () => {
    const e = twoHosts();
    for (const extra of [{ consumerType: 'instance' }, { consumerType: '' }, { projectId: '' }, { userId: 'u'.repeat(256) }]) {
      expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 1 } }, extra)), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    }
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
  });
});

describe('provider generations on allocation writes (rule 64)', () => {
  it('bumps every provider the new allocations land on', () => {
    const e = twoHosts();
    const [a0, b0] = [gen(e, A), gen(e, B)];
    e.setAllocations(write(C1, { [A]: { VCPU: 1 }, [B]: { DISK_GB: 10 } }));
    expect([gen(e, A), gen(e, B)]).toEqual([a0 + 1, b0 + 1]);
  });

  it('does not bump a provider that only held the old allocations', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 } }));
    const [a0, b0] = [gen(e, A), gen(e, B)];
    e.setAllocations(write(C1, { [B]: { VCPU: 1 } }));
    expect([gen(e, A), gen(e, B)]).toEqual([a0, b0 + 1]);
    expect(e.getProviderUsages(A).usages.VCPU).toBe(0);
  });

  it('bumps the old providers when the allocations are emptied', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1 }, [B]: { VCPU: 1 } }));
    const [a0, b0] = [gen(e, A), gen(e, B)];
    e.setAllocations(write(C1, {}));
    expect([gen(e, A), gen(e, B)]).toEqual([a0 + 1, b0 + 1]);
  });

  it('deleteAllocations removes the consumer without bumping any provider (rule 53)', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 3 }, [B]: { DISK_GB: 5 } }));
    const [a0, b0] = [gen(e, A), gen(e, B)];
    e.deleteAllocations(C1);
    expect([gen(e, A), gen(e, B)]).toEqual([a0, b0]);
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    expect(e.getProviderUsages(A).usages.VCPU).toBe(0);
    expect(e.getProviderUsages(B).usages.DISK_GB).toBe(0);
  });

  it('answers deleteAllocations of a consumer without allocations with a 404', () => {
    const e = twoHosts();
    expectPlacementError(() => e.deleteAllocations(C1), { code: 'ERR_PLACEMENT_NOT_FOUND', httpStatus: 404 });
  });
});

describe('fit checks (rules 59-63)', () => {
  it('refuses more than the capacity with ERR_PLACEMENT_CAPACITY_EXCEEDED (409)', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 6 } }));
    const err = expectPlacementError(() => e.setAllocations(write(C2, { [A]: { VCPU: 3 } })), {
      code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED',
      httpStatus: 409,
    });
    expect(err).toBeInstanceOf(PlacementAllocationError);
    expect(err).toMatchObject({ provider: A, resourceClass: 'VCPU', reason: 'capacity' });
    e.setAllocations(write(C2, { [A]: { VCPU: 2 } }));
    expect(e.getProviderUsages(A).usages.VCPU).toBe(8);
  });

  it('computes capacity as (total - reserved) * allocation_ratio', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: A, inventories: { VCPU: { total: 10, reserved: 2, allocationRatio: 1.5 } } });
    e.setAllocations(write(C1, { [A]: { VCPU: 12 } }));
    expectPlacementError(() => e.setAllocations(write(C2, { [A]: { VCPU: 1 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    const e2 = newEngine();
    // (3 - 0) * 1.5 = 4.5: 4 fits, 5 does not (compared unrounded).
    addProvider(e2, 'cn', { uuid: A, inventories: { VCPU: { total: 3, allocationRatio: 1.5 } } });
    expectPlacementError(() => e2.setAllocations(write(C1, { [A]: { VCPU: 5 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    e2.setAllocations(write(C1, { [A]: { VCPU: 4 } }));
  });

  it('refuses an amount below min_unit, above max_unit, or off step_size with ERR_PLACEMENT_ALLOCATION_CONSTRAINTS', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: A, inventories: { MEMORY_MB: { total: 8192, minUnit: 512, maxUnit: 2048, stepSize: 256 } } });
    for (const amount of [256, 2304, 768 + 1]) {
      const err = expectPlacementError(() => e.setAllocations(write(C1, { [A]: { MEMORY_MB: amount } })), {
        code: 'ERR_PLACEMENT_ALLOCATION_CONSTRAINTS',
        httpStatus: 409,
      });
      expect(err).toMatchObject({ reason: 'constraints', resourceClass: 'MEMORY_MB' });
    }
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    for (const amount of [512, 768, 2048]) e.setAllocations(write(C1, { [A]: { MEMORY_MB: amount } }));
  });

  it('refuses a class the provider does not stock with ERR_PLACEMENT_NO_INVENTORY (409)', () => {
    const e = twoHosts();
    const err = expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VGPU: 1 } })), {
      code: 'ERR_PLACEMENT_NO_INVENTORY',
      httpStatus: 409,
    });
    expect(err).toMatchObject({ reason: 'no_inventory', resourceClass: 'VGPU', provider: A });
  });

  it('refuses an unknown provider, an unknown class, a bad amount or a bad consumer uuid with a 400', () => {
    const e = twoHosts();
    const bad: ConsumerAllocationsWrite[] = [
      write(C1, { [uuid(99)]: { VCPU: 1 } }),
      write(C1, { [A]: { CUSTOM_NOPE: 1 } }),
      write(C1, { [A]: { VCPU: 0 } }),
      write(C1, { [A]: { VCPU: 1.5 } }),
      write(C1, { [A]: {} }),
      write('not-a-uuid', { [A]: { VCPU: 1 } }),
    ];
    for (const w of bad) expectPlacementError(() => e.setAllocations(w), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.getProviderUsages(A).usages).toEqual({ VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 });
  });

  it('does not grandfather an over-capacity provider: rewriting the same allocation fails (rule 63)', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 6 } }));
    e.setAllocations(write(C2, { [A]: { VCPU: 2 } }));
    e.updateInventory(A, gen(e, A), 'VCPU', { total: 4 });
    // Re-writing C1 unchanged is refused: used by others (2) + 6 > 4.
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 6 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    // Even shrinking C2 is refused while the provider stays over capacity: 6 + 1 > 4.
    expectPlacementError(() => e.setAllocations(write(C2, { [A]: { VCPU: 1 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    // Only (provider, class) pairs in the new allocations are checked: C2 can leave A for B.
    e.setAllocations(write(C2, { [B]: { VCPU: 2 } }));
    expect(e.getProviderUsages(A).usages.VCPU).toBe(6);
    // C1 alone is still over the new capacity, so even its unchanged rewrite fails.
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 6 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    e.setAllocations(write(C1, { [A]: { VCPU: 4 } }));
    expect(e.getProviderUsages(A).usages.VCPU).toBe(4);
  });

  it('labels a capacity conflict with the default code placement.undefined_code (rules 62, 68)', () => {
    const e = twoHosts();
    const err = catchPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 9 } })));
    expect(err.httpStatus).toBe(409);
    expect(err.placementCode).toBe('placement.undefined_code');
  });
});

describe('many consumers at once (rule 52)', () => {
  it('is atomic: one failing consumer leaves every consumer and usage untouched', () => {
    const e = twoHosts();
    e.setAllocations(write(C3, { [A]: { VCPU: 2 } }, { consumerGeneration: null }));
    const before = {
      c3: e.getConsumerAllocations(C3),
      a: e.getProviderUsages(A),
      b: e.getProviderUsages(B),
    };
    expectPlacementError(
      () =>
        e.setAllocationsMany([
          write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null }),
          write(C3, { [B]: { VCPU: 4 } }, { consumerGeneration: 1 }),
          write(C2, { [B]: { VCPU: 9 } }, { consumerGeneration: null }),
        ]),
      { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED', httpStatus: 409 },
    );
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    expect(e.getConsumerAllocations(C2)).toBeUndefined();
    expect(e.getConsumerAllocations(C3)).toEqual(before.c3);
    expect(e.getProviderUsages(A)).toEqual(before.a);
    expect(e.getProviderUsages(B)).toEqual(before.b);
  });

  it('is atomic on a generation conflict of any one consumer', () => {
    const e = twoHosts();
    e.setAllocations(write(C3, { [A]: { VCPU: 2 } }, { consumerGeneration: null }));
    expectPlacementError(
      () =>
        e.setAllocationsMany([
          write(C1, { [A]: { VCPU: 1 } }, { consumerGeneration: null }),
          write(C3, { [A]: { VCPU: 1 } }, { consumerGeneration: 7 }),
        ]),
      { code: 'ERR_PLACEMENT_CONCURRENT_UPDATE', placementCode: 'placement.concurrent_update' },
    );
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
    expect(e.getProviderUsages(A).usages.VCPU).toBe(2);
  });

  it('sums the amounts of several consumers on the same provider and class against capacity (rule 62)', () => {
    const e = twoHosts();
    expectPlacementError(
      () => e.setAllocationsMany([write(C1, { [A]: { VCPU: 5 } }), write(C2, { [A]: { VCPU: 4 } })]),
      { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' },
    );
    e.setAllocationsMany([write(C1, { [A]: { VCPU: 4 } }), write(C2, { [A]: { VCPU: 4 } })]);
    expect(e.getProviderUsages(A).usages.VCPU).toBe(8);
  });

  it('refuses the same consumer twice in one write (400)', () => {
    const e = twoHosts();
    expectPlacementError(() => e.setAllocationsMany([write(C1, { [A]: { VCPU: 1 } }), write(C1, { [B]: { VCPU: 1 } })]), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
  });

  it("moves a consumer's allocation between providers within its own footprint (migration)", () => {
    const e = twoHosts();
    // The instance fills host A completely.
    e.setAllocations(write(C1, { [A]: { VCPU: 8, MEMORY_MB: 4096 } }, { consumerGeneration: null, consumerType: 'INSTANCE' }));
    const [a0, b0] = [gen(e, A), gen(e, B)];
    // Move: the migration record takes over the source, the instance moves to the destination.
    e.setAllocationsMany([
      write(C1, { [B]: { VCPU: 8, MEMORY_MB: 4096 } }, { consumerGeneration: 1, consumerType: 'INSTANCE' }),
      write(C2, { [A]: { VCPU: 8, MEMORY_MB: 4096 } }, { consumerGeneration: null, consumerType: 'MIGRATION' }),
    ]);
    expect(e.getConsumerAllocations(C1)?.allocations).toEqual({ [B]: { generation: b0 + 1, resources: { VCPU: 8, MEMORY_MB: 4096 } } });
    expect(e.getConsumerAllocations(C2)?.allocations).toEqual({ [A]: { generation: a0 + 1, resources: { VCPU: 8, MEMORY_MB: 4096 } } });
    expect(e.getProviderUsages(A).usages).toMatchObject({ VCPU: 8, MEMORY_MB: 4096 });
    expect(e.getProviderUsages(B).usages).toMatchObject({ VCPU: 8, MEMORY_MB: 4096 });
    // Confirming the migration: the migration record goes away, source is free again.
    e.setAllocations(write(C2, {}, { consumerGeneration: 1 }));
    expect(e.getProviderUsages(A).usages).toMatchObject({ VCPU: 0, MEMORY_MB: 0 });
  });

  it('lets a consumer resize in place on a full provider within its own footprint', () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 6 } }));
    e.setAllocations(write(C2, { [A]: { VCPU: 2 } }));
    e.setAllocations(write(C1, { [A]: { VCPU: 6, DISK_GB: 10 } }));
    e.setAllocations(write(C1, { [A]: { VCPU: 5 } }));
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 7 } })), { code: 'ERR_PLACEMENT_CAPACITY_EXCEEDED' });
    expect(e.getProviderUsages(A).usages).toMatchObject({ VCPU: 7, DISK_GB: 0 });
  });
});

describe('consumer uuids (rule 51)', () => {
  it('accepts a dash-less consumer uuid and stores it in the dashed form', () => {
    const e = twoHosts();
    e.setAllocations(write(C1.replace(/-/g, ''), { [A]: { VCPU: 1 } }, { consumerGeneration: null }));
    expect(e.getConsumerAllocations(C1)?.allocations[A]?.resources).toEqual({ VCPU: 1 });
    expect(Object.keys(e.getProviderAllocations(A).allocations)).toEqual([C1]);
    // The same consumer named dashed is the existing one.
    expectPlacementError(() => e.setAllocations(write(C1, { [A]: { VCPU: 2 } }, { consumerGeneration: null })), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
    });
  });
});

describe('allocation reads (rules 66, 67)', () => {
  it("lists a provider's allocations by consumer", () => {
    const e = twoHosts();
    e.setAllocations(write(C1, { [A]: { VCPU: 1, DISK_GB: 5 }, [B]: { VCPU: 2 } }));
    e.setAllocations(write(C2, { [A]: { MEMORY_MB: 512 } }));
    expect(e.getProviderAllocations(A)).toEqual({
      generation: gen(e, A),
      allocations: { [C1]: { resources: { VCPU: 1, DISK_GB: 5 } }, [C2]: { resources: { MEMORY_MB: 512 } } },
    });
    expect(e.getProviderAllocations(B).allocations).toEqual({ [C1]: { resources: { VCPU: 2 } } });
    expectPlacementError(() => e.getProviderAllocations(uuid(99)), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
  });

  it('reads an unknown consumer as undefined', () => {
    const e = twoHosts();
    expect(e.getConsumerAllocations(C1)).toBeUndefined();
  });
});
