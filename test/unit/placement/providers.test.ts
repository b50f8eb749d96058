import { describe, expect, it } from 'vitest';

import { PlacementError } from '../../../src/placement/errors.js';
import { MAX_PROVIDER_NAME } from '../../../src/placement/validate.js';
import { PROJECT, USER, addProvider, agg, catchPlacementError, consumer, expectPlacementError, newEngine, uuid } from './fixtures.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('creating providers (rules 69, 70)', () => {
  it('creates a root provider at generation 0 whose root is itself', () => {
    const e = newEngine();
    const rp = e.createProvider({ name: 'cn1', uuid: uuid(1) });
    expect(rp).toMatchObject({ uuid: uuid(1), name: 'cn1', generation: 0, parentUuid: null, rootUuid: uuid(1) });
    expect(e.getProvider(uuid(1))).toEqual(rp);
  });

  it('generates a dashed lower-case uuid when none is given', () => {
    const e = newEngine();
    const rp = e.createProvider({ name: 'anon' });
    expect(rp.uuid).toMatch(UUID_RE);
    expect(e.requireProvider(rp.uuid).name).toBe('anon');
  });

  it('gives a child the root of its parent, at any depth', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    const child = e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    const grandchild = e.createProvider({ name: 'grandchild', uuid: uuid(3), parentUuid: uuid(2) });
    expect(child).toMatchObject({ parentUuid: uuid(1), rootUuid: uuid(1), generation: 0 });
    expect(grandchild).toMatchObject({ parentUuid: uuid(2), rootUuid: uuid(1), generation: 0 });
  });

  it('does not bump the parent generation when a child is created', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    expect(e.requireProvider(uuid(1)).generation).toBe(0);
  });

  it('accepts names of 1 to 200 characters and refuses empty or longer ones', () => {
    const e = newEngine();
    const long = 'n'.repeat(MAX_PROVIDER_NAME);
    expect(e.createProvider({ name: long }).name).toBe(long);
    expectPlacementError(() => e.createProvider({ name: '' }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expectPlacementError(() => e.createProvider({ name: 'n'.repeat(MAX_PROVIDER_NAME + 1) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.listProviders()).toHaveLength(1);
  });

  it('refuses a uuid that is not a uuid', () => {
    const e = newEngine();
    expectPlacementError(() => e.createProvider({ name: 'x', uuid: 'not-a-uuid' }), { code: 'ERR_PLACEMENT_INVALID', httpStatus: 400 });
    expect(e.listProviders()).toHaveLength(0);
  });

  it('accepts a dash-less uuid and normalises it (rule 69)', () => {
    const e = newEngine();
    const rp = e.createProvider({ name: 'x', uuid: uuid(7).replace(/-/g, '') });
    expect(rp.uuid).toBe(uuid(7));
  });

  it('refuses a duplicate uuid with placement.duplicate_name', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    expectPlacementError(() => e.createProvider({ name: 'b', uuid: uuid(1) }), {
      code: 'ERR_PLACEMENT_DUPLICATE_NAME',
      placementCode: 'placement.duplicate_name',
      httpStatus: 409,
    });
    expect(e.listProviders().map((p) => p.name)).toEqual(['a']);
  });

  it('refuses a duplicate name with placement.duplicate_name', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    expectPlacementError(() => e.createProvider({ name: 'a', uuid: uuid(2) }), {
      code: 'ERR_PLACEMENT_DUPLICATE_NAME',
      placementCode: 'placement.duplicate_name',
      httpStatus: 409,
    });
    expect(e.getProvider(uuid(2))).toBeUndefined();
  });

  it('refuses a provider that is its own parent, or a parent that does not exist (400)', () => {
    const e = newEngine();
    expectPlacementError(() => e.createProvider({ name: 'self', uuid: uuid(1), parentUuid: uuid(1) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expectPlacementError(() => e.createProvider({ name: 'orphan', uuid: uuid(2), parentUuid: uuid(99) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.listProviders()).toHaveLength(0);
  });
});

describe('updating providers (rules 71, 72)', () => {
  it('renames a provider, and refuses a name another provider has with placement.duplicate_name', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    e.createProvider({ name: 'b', uuid: uuid(2) });
    expect(e.updateProvider(uuid(1), { name: 'a2' }).name).toBe('a2');
    // Keeping one's own name is no conflict.
    expect(e.updateProvider(uuid(1), { name: 'a2' }).name).toBe('a2');
    expectPlacementError(() => e.updateProvider(uuid(1), { name: 'b' }), {
      code: 'ERR_PLACEMENT_DUPLICATE_NAME',
      placementCode: 'placement.duplicate_name',
      httpStatus: 409,
    });
    expect(e.requireProvider(uuid(1)).name).toBe('a2');
    // The old name is free again.
    expect(e.createProvider({ name: 'a', uuid: uuid(3) }).name).toBe('a');
  });

  it('refuses an update of an unknown provider with a 404', () => {
    const e = newEngine();
    expectPlacementError(() => e.updateProvider(uuid(1), { name: 'x' }), {
      code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND',
      httpStatus: 404,
    });
  });

  it('sets a parent on a root provider (null -> X) and re-roots its subtree', () => {
    const e = newEngine();
    e.createProvider({ name: 'top', uuid: uuid(1) });
    e.createProvider({ name: 'mid', uuid: uuid(2) });
    e.createProvider({ name: 'leaf', uuid: uuid(3), parentUuid: uuid(2) });
    const mid = e.updateProvider(uuid(2), { name: 'mid', parentUuid: uuid(1) });
    expect(mid).toMatchObject({ parentUuid: uuid(1), rootUuid: uuid(1) });
    expect(e.requireProvider(uuid(3))).toMatchObject({ parentUuid: uuid(2), rootUuid: uuid(1) });
  });

  it('re-parents a subtree into another tree (X -> Y) and updates the root of every moved provider', () => {
    const e = newEngine();
    e.createProvider({ name: 'treeA', uuid: uuid(1) });
    e.createProvider({ name: 'treeB', uuid: uuid(2) });
    e.createProvider({ name: 'b-child', uuid: uuid(3), parentUuid: uuid(2) });
    e.createProvider({ name: 'moving', uuid: uuid(4), parentUuid: uuid(1) });
    e.createProvider({ name: 'moving-child', uuid: uuid(5), parentUuid: uuid(4) });
    e.createProvider({ name: 'moving-grandchild', uuid: uuid(6), parentUuid: uuid(5) });

    e.updateProvider(uuid(4), { name: 'moving', parentUuid: uuid(3) });

    expect(e.requireProvider(uuid(4))).toMatchObject({ parentUuid: uuid(3), rootUuid: uuid(2) });
    expect(e.requireProvider(uuid(5))).toMatchObject({ parentUuid: uuid(4), rootUuid: uuid(2) });
    expect(e.requireProvider(uuid(6))).toMatchObject({ parentUuid: uuid(5), rootUuid: uuid(2) });
    expect(e.listProviders({ inTree: uuid(1) }).map((p) => p.name)).toEqual(['treeA']);
    expect(e.listProviders({ inTree: uuid(2) }).map((p) => p.name).sort()).toEqual(
      ['b-child', 'moving', 'moving-child', 'moving-grandchild', 'treeB'].sort(),
    );
    // The old parent has no children left and can be deleted.
    e.deleteProvider(uuid(1));
    expect(e.getProvider(uuid(1))).toBeUndefined();
  });

  it('un-parents a provider (X -> null): it becomes the root of its own subtree', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    e.createProvider({ name: 'grandchild', uuid: uuid(3), parentUuid: uuid(2) });
    const child = e.updateProvider(uuid(2), { name: 'child', parentUuid: null });
    expect(child).toMatchObject({ parentUuid: null, rootUuid: uuid(2) });
    expect(e.requireProvider(uuid(3))).toMatchObject({ parentUuid: uuid(2), rootUuid: uuid(2) });
    expect(e.listProviders({ inTree: uuid(1) }).map((p) => p.name)).toEqual(['root']);
  });

  it('refuses to make a provider its own parent or a child of its descendant (loop), leaving the tree as it was', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    e.createProvider({ name: 'grandchild', uuid: uuid(3), parentUuid: uuid(2) });
    expectPlacementError(() => e.updateProvider(uuid(2), { name: 'child', parentUuid: uuid(2) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expectPlacementError(() => e.updateProvider(uuid(2), { name: 'child', parentUuid: uuid(3) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expectPlacementError(() => e.updateProvider(uuid(1), { name: 'root', parentUuid: uuid(3) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.requireProvider(uuid(1))).toMatchObject({ parentUuid: null, rootUuid: uuid(1) });
    expect(e.requireProvider(uuid(2))).toMatchObject({ parentUuid: uuid(1), rootUuid: uuid(1) });
    expect(e.requireProvider(uuid(3))).toMatchObject({ parentUuid: uuid(2), rootUuid: uuid(1) });
  });

  it('refuses a parent that does not exist (400)', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    expectPlacementError(() => e.updateProvider(uuid(1), { name: 'a', parentUuid: uuid(42) }), {
      code: 'ERR_PLACEMENT_INVALID',
      httpStatus: 400,
    });
    expect(e.requireProvider(uuid(1)).parentUuid).toBeNull();
  });

  it('never bumps the generation on rename, re-parent or un-parent', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'other', uuid: uuid(2) });
    const u = addProvider(e, 'child', { uuid: uuid(3), parent: uuid(1), inventories: { VCPU: { total: 4 } } });
    expect(e.requireProvider(u).generation).toBe(1);
    e.updateProvider(u, { name: 'renamed', parentUuid: uuid(1) });
    e.updateProvider(u, { name: 'renamed', parentUuid: uuid(2) });
    e.updateProvider(u, { name: 'renamed', parentUuid: null });
    expect(e.requireProvider(u).generation).toBe(1);
    expect(e.requireProvider(uuid(1)).generation).toBe(0);
    expect(e.requireProvider(uuid(2)).generation).toBe(0);
  });

  it('keeps the allocations of a moved provider (they are not re-validated)', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    addProvider(e, 'child', { uuid: uuid(2), parent: uuid(1), inventories: { VCPU: { total: 4 } } });
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [uuid(2)]: { VCPU: 3 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    e.updateProvider(uuid(2), { name: 'child', parentUuid: null });
    expect(e.getProviderUsages(uuid(2)).usages).toEqual({ VCPU: 3 });
  });

  it('keeps the parent when an update omits parentUuid (rule 71)', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    const child = e.updateProvider(uuid(2), { name: 'child-renamed' });
    expect(child).toMatchObject({ name: 'child-renamed', parentUuid: uuid(1), rootUuid: uuid(1) });
  });
});

describe('deleting providers (rule 73)', () => {
  it('refuses to delete a parent with cannot_delete_parent, checked before allocations', () => {
    const e = newEngine();
    addProvider(e, 'root', { uuid: uuid(1), inventories: { VCPU: { total: 8 } } });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [uuid(1)]: { VCPU: 1 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    expectPlacementError(() => e.deleteProvider(uuid(1)), {
      code: 'ERR_PLACEMENT_CANNOT_DELETE_PARENT',
      placementCode: 'placement.resource_provider.cannot_delete_parent',
      httpStatus: 409,
    });
    expect(e.getProvider(uuid(1))).toBeDefined();
  });

  it('refuses to delete a provider with allocations with resource_provider.inuse, then allows it once they are gone', () => {
    const e = newEngine();
    addProvider(e, 'cn', { uuid: uuid(1), inventories: { VCPU: { total: 8 } } });
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [uuid(1)]: { VCPU: 2 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    expectPlacementError(() => e.deleteProvider(uuid(1)), {
      code: 'ERR_PLACEMENT_PROVIDER_IN_USE',
      placementCode: 'placement.resource_provider.inuse',
      httpStatus: 409,
    });
    expect(e.getInventories(uuid(1)).inventories.VCPU?.total).toBe(8);
    e.deleteAllocations(consumer(1));
    e.deleteProvider(uuid(1));
    expect(e.getProvider(uuid(1))).toBeUndefined();
  });

  it('deletes a leaf child, after which its parent can be deleted', () => {
    const e = newEngine();
    e.createProvider({ name: 'root', uuid: uuid(1) });
    e.createProvider({ name: 'child', uuid: uuid(2), parentUuid: uuid(1) });
    e.deleteProvider(uuid(2));
    e.deleteProvider(uuid(1));
    expect(e.listProviders()).toEqual([]);
  });

  it('removes the inventories, trait links and aggregate links of a deleted provider', () => {
    const e = newEngine();
    e.createResourceClass('CUSTOM_GOLD');
    addProvider(e, 'cn', {
      uuid: uuid(1),
      inventories: { CUSTOM_GOLD: { total: 1 } },
      traits: ['CUSTOM_FAST'],
      aggregates: [agg(1)],
    });
    e.deleteProvider(uuid(1));
    // Nothing refers to the custom names any more, so they can go.
    e.deleteTrait('CUSTOM_FAST');
    e.deleteResourceClass('CUSTOM_GOLD');
    expect(e.listProviders({ memberOf: [[agg(1)]] })).toEqual([]);
    // The name and uuid are free again, and the new provider starts from scratch.
    const again = e.createProvider({ name: 'cn', uuid: uuid(1) });
    expect(again.generation).toBe(0);
    expect(e.getInventories(uuid(1)).inventories).toEqual({});
    expect(e.getProviderTraits(uuid(1)).traits).toEqual([]);
    expect(e.getAggregates(uuid(1)).aggregates).toEqual([]);
  });

  it('answers a delete of an unknown provider with a 404', () => {
    const e = newEngine();
    const err = expectPlacementError(() => e.deleteProvider(uuid(9)), { code: 'ERR_PLACEMENT_PROVIDER_NOT_FOUND', httpStatus: 404 });
    expect(err).toBeInstanceOf(PlacementError);
  });

  it('labels a 404 for an unknown provider with the default code (rule 68)', () => {
    const e = newEngine();
    const err = catchPlacementError(() => e.requireProvider(uuid(9)));
    expect(err.httpStatus).toBe(404);
    expect(err.placementCode).toBe('placement.undefined_code');
  });
});

describe('listing providers (rule 77)', () => {
  it('filters by name, uuid, in_tree, member_of (the provider itself), traits and resources', () => {
    const e = newEngine();
    const A = agg(1);
    addProvider(e, 'root', { uuid: uuid(1), aggregates: [A], traits: ['HW_CPU_X86_AVX2'] });
    addProvider(e, 'child', { uuid: uuid(2), parent: uuid(1), inventories: { VCPU: { total: 4 } } });
    addProvider(e, 'other', { uuid: uuid(3), inventories: { VCPU: { total: 2 } } });
    expect(e.listProviders({ name: 'child' }).map((p) => p.uuid)).toEqual([uuid(2)]);
    expect(e.listProviders({ uuid: uuid(3) }).map((p) => p.name)).toEqual(['other']);
    expect(e.listProviders({ inTree: uuid(2) }).map((p) => p.name).sort()).toEqual(['child', 'root']);
    // member_of is about the provider itself: the root's aggregate does not cover its child.
    expect(e.listProviders({ memberOf: [[A]] }).map((p) => p.name)).toEqual(['root']);
    expect(e.listProviders({ forbiddenAggregates: [A] }).map((p) => p.name).sort()).toEqual(['child', 'other']);
    expect(e.listProviders({ required: [['HW_CPU_X86_AVX2']] }).map((p) => p.name)).toEqual(['root']);
    expect(e.listProviders({ forbidden: ['HW_CPU_X86_AVX2'] }).map((p) => p.name).sort()).toEqual(['child', 'other']);
    expect(e.listProviders({ resources: { VCPU: 3 } }).map((p) => p.name)).toEqual(['child']);
  });

  it('applies min_unit, max_unit and step_size in the resources filter (rules 77, 0.3)', () => {
    const e = newEngine();
    addProvider(e, 'bigMin', { uuid: uuid(1), inventories: { MEMORY_MB: { total: 4096, minUnit: 1024 } } });
    addProvider(e, 'smallMax', { uuid: uuid(2), inventories: { MEMORY_MB: { total: 4096, maxUnit: 256 } } });
    addProvider(e, 'step', { uuid: uuid(3), inventories: { MEMORY_MB: { total: 4096, stepSize: 384 } } });
    addProvider(e, 'plain', { uuid: uuid(4), inventories: { MEMORY_MB: { total: 4096 } } });
    expect(e.listProviders({ resources: { MEMORY_MB: 512 } }).map((p) => p.name)).toEqual(['plain']);
  });

  it('refuses unknown classes and traits in the filters with a 400 (rule 77)', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    expect(catchPlacementError(() => e.listProviders({ resources: { CUSTOM_NOPE: 1 } })).httpStatus).toBe(400);
    expect(catchPlacementError(() => e.listProviders({ required: [['CUSTOM_NOPE']] })).httpStatus).toBe(400);
  });

  it('answers an unknown in_tree with an empty list (rule 77)', () => {
    const e = newEngine();
    e.createProvider({ name: 'a', uuid: uuid(1) });
    expect(e.listProviders({ inTree: uuid(99) })).toEqual([]);
  });
});
