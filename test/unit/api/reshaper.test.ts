import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../src/placement/snapshot.js';
import type { HttpAnswer, RequestOptions, TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';

const ROOT = '11111111-1111-4111-8111-111111111111';
const CHILD = '22222222-2222-4222-8222-222222222222';
const MISSING_RP = '99999999-9999-4999-8999-999999999999';
const C1 = 'c1c1c1c1-0000-4000-8000-000000000001';
const C2 = 'c2c2c2c2-0000-4000-8000-000000000002';
const PROJECT = 'proj-a';
const USER = 'user-a';
const UNDEFINED_CODE = 'placement.undefined_code';

let p: TestPlacement;

/**
 * A compute node (root) with 8 VCPU and 100 DISK_GB, and a NUMA child without inventory yet;
 * C1 holds 4 VCPU and 10 DISK_GB on the root (consumer generation 1), C2 holds 10 DISK_GB.
 */
beforeEach(async () => {
  p = await startTestPlacement();
  p.engine.createProvider({ name: 'cn', uuid: ROOT });
  p.engine.createProvider({ name: 'numa0', uuid: CHILD, parentUuid: ROOT });
  p.engine.setInventories(ROOT, 0, { VCPU: { total: 8 }, DISK_GB: { total: 100 } });
  p.engine.setAllocations({ consumerUuid: C1, allocations: { [ROOT]: { VCPU: 4, DISK_GB: 10 } }, projectId: PROJECT, userId: USER, consumerGeneration: null, consumerType: 'INSTANCE' });
  p.engine.setAllocations({ consumerUuid: C2, allocations: { [ROOT]: { DISK_GB: 10 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
});
afterEach(() => p.close());

interface ErrorEntry {
  status: number;
  detail: string;
  code?: string;
}

/** A refused reshape must leave the engine exactly as it was. */
async function refused(o: RequestOptions, status: number, code: string | null, detail?: string): Promise<HttpAnswer> {
  const before = takeSnapshot(p.engine);
  const r = await p.request('POST', '/reshaper', o);
  expect(r.status).toBe(status);
  const e = ((r.body as { errors: ErrorEntry[] }).errors[0]) as ErrorEntry;
  expect(e.status).toBe(status);
  if (code === null) expect(e).not.toHaveProperty('code');
  else expect(e.code).toBe(code);
  if (detail !== undefined) expect(e.detail).toContain(detail);
  expect(takeSnapshot(p.engine)).toEqual(before);
  return r;
}

const gen = (uuid: string): number => p.engine.requireProvider(uuid).generation;

function consumer(allocations: Record<string, Record<string, number>>, generation: number | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  for (const [rp, resources] of Object.entries(allocations)) a[rp] = { resources };
  return { allocations: a, project_id: PROJECT, user_id: USER, consumer_generation: generation, ...extra };
}

/** Moves VCPU from the root to the child, with C1's VCPU allocation. */
function moveVcpu(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inventories: {
      [ROOT]: { resource_provider_generation: gen(ROOT), inventories: { DISK_GB: { total: 100 } } },
      [CHILD]: { resource_provider_generation: gen(CHILD), inventories: { VCPU: { total: 8, max_unit: 4 } } },
    },
    allocations: { [C1]: consumer({ [ROOT]: { DISK_GB: 10 }, [CHILD]: { VCPU: 4 } }, 1, extra) },
  };
}

describe('POST /reshaper', () => {
  it('does not exist before 1.30 (404) and is POST only at every version (405)', async () => {
    const r = await refused({ version: '1.29', body: moveVcpu() }, 404, UNDEFINED_CODE);
    expect((r.body as { errors: ErrorEntry[] }).errors[0]?.detail).toBe('The resource could not be found.\n\n   ');
    await refused({ version: '1.22', body: moveVcpu() }, 404, null);
    for (const version of ['1.0', '1.30', 'latest']) {
      const wrong = await p.request('GET', '/reshaper', { version });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
    }
  });

  it('moves inventory and allocations to a child atomically', async () => {
    const [rootGen, childGen] = [gen(ROOT), gen(CHILD)];
    const r = await p.request('POST', '/reshaper', { version: '1.30', body: moveVcpu() });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('last-modified')).toBeNull();
    expect(Object.keys(p.engine.getInventories(ROOT).inventories)).toEqual(['DISK_GB']);
    expect(p.engine.getInventories(CHILD).inventories['VCPU']).toMatchObject({ total: 8, maxUnit: 4 });
    expect(p.engine.getConsumerAllocations(C1)?.allocations).toEqual({
      [ROOT]: { generation: gen(ROOT), resources: { DISK_GB: 10 } },
      [CHILD]: { generation: gen(CHILD), resources: { VCPU: 4 } },
    });
    expect(p.engine.getConsumerAllocations(C1)).toMatchObject({ consumerGeneration: 2, consumerType: 'INSTANCE' });
    expect(p.engine.getProviderUsages(CHILD).usages).toEqual({ VCPU: 4 });
    expect(p.engine.getProviderUsages(ROOT).usages).toEqual({ DISK_GB: 20 });
    // Each provider in inventories: +1 for the interim inventory, +1 for the final one; +1 more
    // for each provider the new allocations land on.
    expect(gen(ROOT)).toBe(rootGen + 3);
    expect(gen(CHILD)).toBe(childGen + 3);
    // C2 was not named and is untouched.
    expect(p.engine.getConsumerAllocations(C2)?.consumerGeneration).toBe(1);
  });

  it('changes only inventories when allocations is empty', async () => {
    const body = { inventories: { [CHILD]: { resource_provider_generation: 0, inventories: { CUSTOM_NOTHING: { total: 1 } } } }, allocations: {} };
    p.engine.createResourceClass('CUSTOM_NOTHING');
    const r = await p.request('POST', '/reshaper', { version: '1.30', body });
    expect(r.status).toBe(204);
    expect(Object.keys(p.engine.getInventories(CHILD).inventories)).toEqual(['CUSTOM_NOTHING']);
  });

  it('removes a consumer given empty allocations', async () => {
    const body = {
      inventories: { [ROOT]: { resource_provider_generation: gen(ROOT), inventories: { VCPU: { total: 8 }, DISK_GB: { total: 100 } } } },
      allocations: { [C2]: consumer({}, 1) },
    };
    expect((await p.request('POST', '/reshaper', { version: '1.30', body })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C2)).toBeUndefined();
  });

  it('accepts mappings from 1.34 and requires consumer_type from 1.38', async () => {
    await refused({ version: '1.33', body: moveVcpu({ mappings: { '': [ROOT] } }) }, 400, UNDEFINED_CODE, 'JSON does not validate');
    await refused({ version: '1.37', body: moveVcpu({ consumer_type: 'INSTANCE' }) }, 400, UNDEFINED_CODE, 'JSON does not validate');
    await refused({ version: '1.38', body: moveVcpu() }, 400, UNDEFINED_CODE, 'JSON does not validate');
    expect((await p.request('POST', '/reshaper', { version: '1.34', body: moveVcpu({ mappings: { '': [ROOT] } }) })).status).toBe(204);
    // Back again at 1.38, changing the consumer type.
    const back = {
      inventories: {
        [ROOT]: { resource_provider_generation: gen(ROOT), inventories: { VCPU: { total: 8 }, DISK_GB: { total: 100 } } },
        [CHILD]: { resource_provider_generation: gen(CHILD), inventories: {} },
      },
      allocations: { [C1]: consumer({ [ROOT]: { VCPU: 4, DISK_GB: 10 } }, 2, { consumer_type: 'MIGRATION' }) },
    };
    expect((await p.request('POST', '/reshaper', { version: '1.38', body: back })).status).toBe(204);
    expect(p.engine.getInventories(CHILD).inventories).toEqual({});
    expect(p.engine.getConsumerAllocations(C1)).toMatchObject({ consumerGeneration: 3, consumerType: 'MIGRATION' });
  });

  it('answers 415 before 403 and 403 before the body', async () => {
    await refused({ version: '1.30', token: 'someone', raw: '{}', headers: { 'content-type': 'text/plain' } }, 415, UNDEFINED_CODE, 'text/plain');
    await refused({ version: '1.30', token: 'someone', raw: '{"x' }, 403, UNDEFINED_CODE, 'Policy does not allow placement:reshaper:reshape to be performed.');
    await refused({ version: '1.30', token: 'r', headers: { 'x-roles': 'reader', 'openstack-system-scope': 'all' }, body: moveVcpu() }, 403, UNDEFINED_CODE);
  });

  describe('bad bodies write nothing', () => {
    const inv = (inventories: Record<string, unknown>, generation = 1): Record<string, unknown> => ({ [CHILD]: { resource_provider_generation: generation, inventories } });
    const cases: [string, () => unknown, string][] = [
      ['empty inventories', () => ({ inventories: {}, allocations: {} }), 'JSON does not validate'],
      ['missing allocations', () => ({ inventories: inv({}) }), 'JSON does not validate'],
      ['missing inventories', () => ({ allocations: {} }), 'JSON does not validate'],
      ['an unknown top-level field', () => ({ ...moveVcpu(), extra: 1 }), 'JSON does not validate'],
      ['a provider key that is not a uuid', () => ({ inventories: { nope: { resource_provider_generation: 1, inventories: {} } }, allocations: {} }), 'JSON does not validate'],
      ['a missing provider generation', () => ({ inventories: { [CHILD]: { inventories: {} } }, allocations: {} }), 'JSON does not validate'],
      ['a string provider generation', () => ({ inventories: inv({}, '1' as unknown as number), allocations: {} }), 'JSON does not validate'],
      ['an unknown field in a provider entry', () => ({ inventories: { [CHILD]: { resource_provider_generation: 1, inventories: {}, x: 1 } }, allocations: {} }), 'JSON does not validate'],
      ['an inventory without total', () => ({ inventories: inv({ VCPU: { reserved: 1 } }), allocations: {} }), 'JSON does not validate'],
      ['a zero total', () => ({ inventories: inv({ VCPU: { total: 0 } }), allocations: {} }), 'JSON does not validate'],
      ['a total too large', () => ({ inventories: inv({ VCPU: { total: 2147483648 } }), allocations: {} }), 'JSON does not validate'],
      ['an unknown inventory field', () => ({ inventories: inv({ VCPU: { total: 1, colour: 'red' } }), allocations: {} }), 'JSON does not validate'],
      ['a consumer key that is not a uuid', () => ({ inventories: inv({}), allocations: { nope: consumer({}, null) } }), 'JSON does not validate'],
      ['a consumer without consumer_generation', () => ({ inventories: inv({}), allocations: { [C1]: { allocations: {}, project_id: PROJECT, user_id: USER } } }), 'JSON does not validate'],
      ['a consumer without project_id', () => ({ inventories: inv({}), allocations: { [C1]: { allocations: {}, user_id: USER, consumer_generation: 1 } } }), 'JSON does not validate'],
      ['a zero amount', () => ({ inventories: inv({}), allocations: { [C1]: consumer({ [ROOT]: { VCPU: 0 } }, 1) } }), 'JSON does not validate'],
      ['an array body', () => [], 'JSON does not validate'],
    ];
    for (const [name, body, detail] of cases) {
      it(`refuses ${name}`, async () => {
        await refused({ version: '1.30', body: body() }, 400, UNDEFINED_CODE, detail);
      });
    }

    it('refuses malformed JSON and an empty body', async () => {
      await refused({ version: '1.30', raw: '{"inventories": {' }, 400, UNDEFINED_CODE, 'Malformed JSON');
      await refused({ version: '1.30', raw: '', headers: { 'content-type': 'application/json' } }, 400, UNDEFINED_CODE, 'Malformed JSON');
    });

    it('refuses an oversized body with 413', async () => {
      const before = takeSnapshot(p.engine);
      const r = await p.request('POST', '/reshaper', { version: '1.30', raw: JSON.stringify({ ...moveVcpu(), pad: 'x'.repeat(2 * 1024 * 1024) }) });
      expect(r.status).toBe(413);
      expect(takeSnapshot(p.engine)).toEqual(before);
    });
  });

  describe('errors', () => {
    it('refuses an unknown provider in inventories with 400 resource_provider.not_found', async () => {
      const body = moveVcpu();
      (body['inventories'] as Record<string, unknown>)[MISSING_RP] = { resource_provider_generation: 0, inventories: {} };
      await refused({ version: '1.30', body }, 400, 'placement.resource_provider.not_found', `Resource provider ${MISSING_RP} in inventories not found`);
    });

    it('refuses a stale provider generation with 409 concurrent_update', async () => {
      const body = moveVcpu();
      const entry = (body['inventories'] as Record<string, { resource_provider_generation: number }>)[CHILD] as { resource_provider_generation: number };
      entry.resource_provider_generation = 7;
      await refused({ version: '1.30', body }, 409, 'placement.concurrent_update', `resource provider generation conflict for provider ${CHILD}: actual: 0, given: 7`);
    });

    it('checks providers of inventories (in order) before consumer generations', async () => {
      const body = {
        inventories: {
          [CHILD]: { resource_provider_generation: 5, inventories: {} },
          [MISSING_RP]: { resource_provider_generation: 0, inventories: {} },
        },
        allocations: { [C1]: consumer({ [ROOT]: { VCPU: 1 } }, 9) },
      };
      await refused({ version: '1.30', body }, 409, 'placement.concurrent_update', 'resource provider generation conflict');
    });

    it('checks consumer generations, then providers of allocations, then classes', async () => {
      const inventories = { [CHILD]: { resource_provider_generation: 0, inventories: { VCPU: { total: 8 } } } };
      await refused(
        { version: '1.30', body: { inventories, allocations: { [C1]: consumer({ [MISSING_RP]: { CUSTOM_NOPE: 1 } }, 0) } } },
        409,
        'placement.concurrent_update',
        'consumer generation conflict - expected 1 but got 0',
      );
      await refused(
        { version: '1.30', body: { inventories, allocations: { [C1]: consumer({ [CHILD]: { CUSTOM_NOPE: 1 }, [MISSING_RP]: { VCPU: 1 } }, 1) } } },
        400,
        UNDEFINED_CODE,
        `Allocation for resource provider '${MISSING_RP}' that does not exist.`,
      );
      await refused(
        { version: '1.30', body: { inventories, allocations: { [C1]: consumer({ [CHILD]: { CUSTOM_NOPE: 1 } }, 1) } } },
        400,
        UNDEFINED_CODE,
        'No such resource class CUSTOM_NOPE',
      );
    });

    it('refuses an unknown resource class in inventories, whether or not it looks like a class name', async () => {
      await refused({ version: '1.30', body: { inventories: { [CHILD]: { resource_provider_generation: 0, inventories: { CUSTOM_NOPE: { total: 1 } } } }, allocations: {} } }, 400, UNDEFINED_CODE, 'No such resource class CUSTOM_NOPE');
      await refused({ version: '1.30', body: { inventories: { [CHILD]: { resource_provider_generation: 0, inventories: { vcpu: { total: 1 } } } }, allocations: {} } }, 400, UNDEFINED_CODE, 'No such resource class vcpu');
      await refused({ version: '1.30', body: { inventories: { [CHILD]: { resource_provider_generation: 0, inventories: { vcpu: 'x' } } }, allocations: {} } }, 400, UNDEFINED_CODE, 'Bad inventory vcpu');
    });

    it('refuses allocations that do not fit the new inventory with 409', async () => {
      const body = moveVcpu();
      const entry = (body['inventories'] as Record<string, { inventories: Record<string, unknown> }>)[CHILD] as { inventories: Record<string, unknown> };
      entry.inventories = { VCPU: { total: 2 } };
      await refused({ version: '1.30', body }, 409, UNDEFINED_CODE, 'Unable to allocate inventory');
    });

    it('refuses removing inventory still used by a consumer left alone, with 409 inventory.inuse', async () => {
      // Moves DISK_GB away from the root while C2 (not named) still holds some there.
      const body = {
        inventories: {
          [ROOT]: { resource_provider_generation: gen(ROOT), inventories: { VCPU: { total: 8 } } },
          [CHILD]: { resource_provider_generation: 0, inventories: { DISK_GB: { total: 100 } } },
        },
        allocations: { [C1]: consumer({ [ROOT]: { VCPU: 4 }, [CHILD]: { DISK_GB: 10 } }, 1) },
      };
      await refused({ version: '1.30', body }, 409, 'placement.inventory.inuse', 'update conflict');
      // Moving C2 as well makes it go through.
      (body.allocations as Record<string, unknown>)[C2] = consumer({ [CHILD]: { DISK_GB: 10 } }, 1);
      expect((await p.request('POST', '/reshaper', { version: '1.30', body })).status).toBe(204);
      expect(p.engine.getProviderUsages(CHILD).usages).toEqual({ DISK_GB: 20 });
    });
  });
});
