import { describe, expect, it } from 'vitest';

import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from '../../../src/placement/names.js';
import { PROJECT, USER, addProvider, agg, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const BAD_CUSTOM_NAMES: [string, string][] = [
  ['no CUSTOM_ prefix', 'FOO'],
  ['only the prefix', 'CUSTOM_'],
  ['lower case', 'CUSTOM_foo'],
  ['a dash', 'CUSTOM_FOO-BAR'],
  ['a space', 'CUSTOM_FOO BAR'],
  ['256 characters', 'CUSTOM_' + 'X'.repeat(249)],
];

describe('custom traits (rules 78, 79)', () => {
  it('creates a custom trait once: true when created, false when it existed', () => {
    const e = newEngine();
    expect(e.hasTrait('CUSTOM_FOO')).toBe(false);
    expect(e.ensureTrait('CUSTOM_FOO')).toBe(true);
    expect(e.ensureTrait('CUSTOM_FOO')).toBe(false);
    expect(e.hasTrait('CUSTOM_FOO')).toBe(true);
    expect(e.listTraits({ prefix: 'CUSTOM_' })).toEqual(['CUSTOM_FOO']);
  });

  it('accepts a 255-character custom name', () => {
    const e = newEngine();
    const name = 'CUSTOM_' + 'X'.repeat(248);
    expect(name).toHaveLength(255);
    expect(e.ensureTrait(name)).toBe(true);
  });

  it.each(BAD_CUSTOM_NAMES)('refuses a custom trait name with %s (400)', (_label, name) => {
    const e = newEngine();
    expectPlacementError(() => e.ensureTrait(name), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.hasTrait(name)).toBe(false);
  });

  it('refuses to PUT a standard trait name (rule 78)', () => {
    const e = newEngine();
    expectPlacementError(() => e.ensureTrait('HW_CPU_X86_AVX2'), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('knows every standard trait from the start', () => {
    const e = newEngine();
    expect(STANDARD_TRAITS).toContain('MISC_SHARES_VIA_AGGREGATE');
    for (const t of ['MISC_SHARES_VIA_AGGREGATE', 'HW_NUMA_ROOT', 'COMPUTE_VOLUME_MULTI_ATTACH', 'HW_CPU_X86_AVX2']) {
      expect(e.hasTrait(t)).toBe(true);
    }
    expect(e.listTraits()).toHaveLength(STANDARD_TRAITS.length);
  });

  it('refuses to delete a standard trait with a 400', () => {
    const e = newEngine();
    expectPlacementError(() => e.deleteTrait('HW_CPU_X86_AVX2'), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.hasTrait('HW_CPU_X86_AVX2')).toBe(true);
  });

  it('answers a delete of an unknown trait with a 404', () => {
    const e = newEngine();
    expectPlacementError(() => e.deleteTrait('CUSTOM_NOPE'), { code: 'ERR_PLACEMENT_NOT_FOUND', httpStatus: 404 });
  });

  it('refuses to delete a custom trait a provider carries (409), and deletes it once unused', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: uuid(1), traits: ['CUSTOM_FOO'] });
    expectPlacementError(() => e.deleteTrait('CUSTOM_FOO'), { code: 'ERR_PLACEMENT_CONFLICT', httpStatus: 409 });
    expect(e.hasTrait('CUSTOM_FOO')).toBe(true);
    e.deleteProviderTraits(uuid(1));
    e.deleteTrait('CUSTOM_FOO');
    expect(e.hasTrait('CUSTOM_FOO')).toBe(false);
    // Once gone, it can no longer be given to a provider.
    expectPlacementError(() => e.setProviderTraits(uuid(1), null, ['CUSTOM_FOO']), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('lists traits by prefix, by names and by association (rule 81)', () => {
    const e = newEngine();
    e.ensureTrait('CUSTOM_A');
    e.ensureTrait('CUSTOM_B');
    addProvider(e, 'cn', { uuid: uuid(1), traits: ['CUSTOM_A', 'HW_NUMA_ROOT'] });
    expect(e.listTraits({ prefix: 'CUSTOM_' }).sort()).toEqual(['CUSTOM_A', 'CUSTOM_B']);
    expect(e.listTraits({ names: ['CUSTOM_B', 'HW_NUMA_ROOT', 'CUSTOM_ZZZ'] }).sort()).toEqual(['CUSTOM_B', 'HW_NUMA_ROOT']);
    expect(e.listTraits({ associated: true }).sort()).toEqual(['CUSTOM_A', 'HW_NUMA_ROOT']);
    const unassociated = e.listTraits({ associated: false });
    expect(unassociated).toContain('CUSTOM_B');
    expect(unassociated).not.toContain('CUSTOM_A');
    expect(e.listTraits({ prefix: 'CUSTOM_', associated: false })).toEqual(['CUSTOM_B']);
  });
});

describe('custom resource classes (rule 82)', () => {
  it('creates a custom class (POST) and refuses a second POST of the same name with a 409', () => {
    const e = newEngine();
    e.createResourceClass('CUSTOM_GOLD');
    expect(e.hasResourceClass('CUSTOM_GOLD')).toBe(true);
    expectPlacementError(() => e.createResourceClass('CUSTOM_GOLD'), { code: 'ERR_PLACEMENT_CONFLICT', httpStatus: 409 });
    expect(e.listResourceClasses()).toHaveLength(STANDARD_RESOURCE_CLASSES.length + 1);
  });

  it('ensureResourceClass (PUT, 1.7) is true when created and false when the custom class exists', () => {
    const e = newEngine();
    expect(e.ensureResourceClass('CUSTOM_GOLD')).toBe(true);
    expect(e.ensureResourceClass('CUSTOM_GOLD')).toBe(false);
  });

  it.each(BAD_CUSTOM_NAMES)('refuses a custom class name with %s (400)', (_label, name) => {
    const e = newEngine();
    expectPlacementError(() => e.createResourceClass(name), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.ensureResourceClass(name), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.hasResourceClass(name)).toBe(false);
  });

  it('refuses to POST a standard class name (it does not match ^CUSTOM_)', () => {
    const e = newEngine();
    expectPlacementError(() => e.createResourceClass('VCPU'), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('refuses to PUT a standard class name (rule 82)', () => {
    const e = newEngine();
    expectPlacementError(() => e.ensureResourceClass('VCPU'), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('refuses to delete a standard class (400) or an unknown one (404)', () => {
    const e = newEngine();
    expectPlacementError(() => e.deleteResourceClass('VCPU'), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.deleteResourceClass('CUSTOM_NOPE'), { code: 'ERR_PLACEMENT_NOT_FOUND', httpStatus: 404 });
    expect(e.hasResourceClass('VCPU')).toBe(true);
  });

  it('refuses to delete a custom class any inventory uses (409), and deletes it once unused', () => {
    const e = newEngine();
    e.createResourceClass('CUSTOM_GOLD');
    addProvider(e, 'cn', { uuid: uuid(1), inventories: { CUSTOM_GOLD: { total: 4 } } });
    expectPlacementError(() => e.deleteResourceClass('CUSTOM_GOLD'), { code: 'ERR_PLACEMENT_CONFLICT', httpStatus: 409 });
    expect(e.getInventory(uuid(1), 'CUSTOM_GOLD').total).toBe(4);
    e.deleteInventories(uuid(1));
    e.deleteResourceClass('CUSTOM_GOLD');
    expect(e.hasResourceClass('CUSTOM_GOLD')).toBe(false);
    expectPlacementError(() => e.setInventories(uuid(1), null, { CUSTOM_GOLD: { total: 1 } }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
  });

  it('lets a custom class be stocked and allocated like a standard one', () => {
    const e = newEngine();
    e.createResourceClass('CUSTOM_GOLD');
    addProvider(e, 'cn', { uuid: uuid(1), inventories: { CUSTOM_GOLD: { total: 4 } } });
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [uuid(1)]: { CUSTOM_GOLD: 3 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    expect(e.getProviderUsages(uuid(1)).usages).toEqual({ CUSTOM_GOLD: 3 });
  });
});

describe('provider traits (rules 75, 80)', () => {
  it('replaces the trait set and bumps the generation only when the set changes', () => {
    const e = newEngine();
    e.ensureTrait('CUSTOM_FOO');
    e.createProvider({ name: 'cn', uuid: uuid(1) });
    expect(e.setProviderTraits(uuid(1), 0, ['HW_CPU_X86_AVX2', 'CUSTOM_FOO'])).toBe(1);
    expect(e.getProviderTraits(uuid(1)).traits.sort()).toEqual(['CUSTOM_FOO', 'HW_CPU_X86_AVX2']);
    // Same set, other order, a repeat: no change, no bump.
    expect(e.setProviderTraits(uuid(1), 1, ['CUSTOM_FOO', 'HW_CPU_X86_AVX2', 'CUSTOM_FOO'])).toBe(1);
    // Replace-all.
    expect(e.setProviderTraits(uuid(1), 1, ['HW_NUMA_ROOT'])).toBe(2);
    expect(e.getProviderTraits(uuid(1))).toEqual({ generation: 2, traits: ['HW_NUMA_ROOT'] });
  });

  it('refuses a stale generation with placement.concurrent_update', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: uuid(1), traits: ['HW_NUMA_ROOT'] });
    expectPlacementError(() => e.setProviderTraits(uuid(1), 0, ['HW_CPU_X86_AVX2']), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getProviderTraits(uuid(1))).toEqual({ generation: 1, traits: ['HW_NUMA_ROOT'] });
  });

  it('refuses an unknown trait (400) and changes nothing', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: uuid(1), traits: ['HW_NUMA_ROOT'] });
    expectPlacementError(() => e.setProviderTraits(uuid(1), 1, ['HW_NUMA_ROOT', 'CUSTOM_UNKNOWN']), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.getProviderTraits(uuid(1))).toEqual({ generation: 1, traits: ['HW_NUMA_ROOT'] });
  });

  it('deleteProviderTraits takes no generation, removes all, and bumps only if there was something', () => {
    const e = newEngine();
    e.createProvider({ name: 'cn', uuid: uuid(1) });
    expect(e.deleteProviderTraits(uuid(1))).toBe(0);
    e.setProviderTraits(uuid(1), 0, ['HW_NUMA_ROOT', 'STORAGE_DISK_SSD']);
    expect(e.deleteProviderTraits(uuid(1))).toBe(2);
    expect(e.getProviderTraits(uuid(1))).toEqual({ generation: 2, traits: [] });
  });

  it('answers trait reads and writes on an unknown provider with a 404', () => {
    const e = newEngine();
    expectPlacementError(() => e.getProviderTraits(uuid(5)), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
    expectPlacementError(() => e.setProviderTraits(uuid(5), 0, []), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
  });
});

describe('provider aggregates (rules 75, 76)', () => {
  it('replaces the aggregate set and always bumps the generation, even with the same set', () => {
    const e = newEngine();
    e.createProvider({ name: 'cn', uuid: uuid(1) });
    expect(e.setAggregates(uuid(1), 0, [agg(1), agg(2)])).toBe(1);
    expect(e.getAggregates(uuid(1)).aggregates.sort()).toEqual([agg(1), agg(2)]);
    expect(e.setAggregates(uuid(1), 1, [agg(2), agg(1)])).toBe(2);
    expect(e.setAggregates(uuid(1), 2, [agg(3)])).toBe(3);
    expect(e.getAggregates(uuid(1))).toEqual({ generation: 3, aggregates: [agg(3)] });
    expect(e.setAggregates(uuid(1), 3, [])).toBe(4);
    expect(e.getAggregates(uuid(1)).aggregates).toEqual([]);
  });

  it('refuses a stale generation with placement.concurrent_update', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: uuid(1), aggregates: [agg(1)] });
    expectPlacementError(() => e.setAggregates(uuid(1), 0, [agg(2)]), {
      code: 'ERR_PLACEMENT_CONCURRENT_UPDATE',
      placementCode: 'placement.concurrent_update',
      httpStatus: 409,
    });
    expect(e.getAggregates(uuid(1))).toEqual({ generation: 1, aggregates: [agg(1)] });
  });

  it('refuses a non-uuid or a repeated aggregate (400)', () => {
    const e = newEngine();
    e.createProvider({ name: 'cn', uuid: uuid(1) });
    expectPlacementError(() => e.setAggregates(uuid(1), 0, ['not-a-uuid']), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.setAggregates(uuid(1), 0, [agg(1), agg(1)]), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.getAggregates(uuid(1))).toEqual({ generation: 0, aggregates: [] });
  });

  it('creates aggregates implicitly and shares them between providers', () => {
    const e = newEngine();
    addProvider(e, 'a', { uuid: uuid(1), aggregates: [agg(1)] });
    addProvider(e, 'b', { uuid: uuid(2), aggregates: [agg(1), agg(2)] });
    expect(e.listProviders({ memberOf: [[agg(1)]] }).map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(e.listProviders({ memberOf: [[agg(1)], [agg(2)]] }).map((p) => p.name)).toEqual(['b']);
    expect(e.listProviders({ memberOf: [[agg(2), agg(9)]] }).map((p) => p.name)).toEqual(['b']);
  });
});
