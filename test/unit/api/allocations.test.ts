import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../src/placement/snapshot.js';
import type { HttpAnswer, RequestOptions, TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';

const RP1 = '11111111-1111-4111-8111-111111111111';
const RP2 = '22222222-2222-4222-8222-222222222222';
const MISSING_RP = '99999999-9999-4999-8999-999999999999';
const C1 = 'c1c1c1c1-0000-4000-8000-000000000001';
const C2 = 'c2c2c2c2-0000-4000-8000-000000000002';
const C3 = 'c3c3c3c3-0000-4000-8000-000000000003';
const PROJECT = 'proj-a';
const USER = 'user-a';
const INCOMPLETE = '00000000-0000-0000-0000-000000000000';

let p: TestPlacement;

beforeEach(async () => {
  p = await startTestPlacement();
  // rp1: 8 VCPU, 2048 MEMORY_MB in steps of 256 (max 1024 at once); rp2: 4 VCPU, 100 DISK_GB.
  p.engine.createProvider({ name: 'rp1', uuid: RP1 });
  p.engine.createProvider({ name: 'rp2', uuid: RP2 });
  p.engine.setInventories(RP1, 0, { VCPU: { total: 8 }, MEMORY_MB: { total: 2048, stepSize: 256, maxUnit: 1024 } });
  p.engine.setInventories(RP2, 0, { VCPU: { total: 4 }, DISK_GB: { total: 100 } });
  p.engine.createResourceClass('CUSTOM_GPU');
});
afterEach(() => p.close());

interface ErrorEntry {
  status: number;
  title: string;
  detail: string;
  code?: string;
  request_id: string;
}

function errorOf(r: HttpAnswer): ErrorEntry {
  const errors = (r.body as { errors?: ErrorEntry[] }).errors;
  expect(errors).toHaveLength(1);
  return (errors as ErrorEntry[])[0] as ErrorEntry;
}

/** Asserts Placement's error shape; `code` null asserts its absence (before 1.23). */
function expectError(r: HttpAnswer, status: number, code: string | null, detail?: string): void {
  expect(r.status).toBe(status);
  const e = errorOf(r);
  expect(e.status).toBe(status);
  if (code === null) expect(e).not.toHaveProperty('code');
  else expect(e.code).toBe(code);
  if (detail !== undefined) expect(e.detail).toContain(detail);
}

const req = (method: string, path: string, o?: RequestOptions): Promise<HttpAnswer> => p.request(method, path, o);

/** A refused write must leave the engine exactly as it was. */
async function refused(method: string, path: string, o: RequestOptions, status: number, code: string | null, detail?: string): Promise<HttpAnswer> {
  const before = takeSnapshot(p.engine);
  const r = await req(method, path, o);
  expectError(r, status, code, detail);
  expect(takeSnapshot(p.engine)).toEqual(before);
  return r;
}

/** The dict-form body of 1.38. */
function body38(allocations: Record<string, Record<string, number>>, generation: number | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  for (const [rp, resources] of Object.entries(allocations)) a[rp] = { resources };
  return { allocations: a, project_id: PROJECT, user_id: USER, consumer_generation: generation, consumer_type: 'INSTANCE', ...extra };
}

const gen = (uuid: string): number => p.engine.requireProvider(uuid).generation;

describe('GET /allocations/{consumer_uuid}', () => {
  it('answers an empty dict for an unknown consumer, whatever the id looks like', async () => {
    for (const version of ['1.0', '1.12', '1.28', 'latest']) {
      const r = await req('GET', `/allocations/${C1}`, { version });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ allocations: {} });
    }
    const odd = await req('GET', '/allocations/not-a-uuid', { version: 'latest' });
    expect(odd.status).toBe(200);
    expect(odd.body).toEqual({ allocations: {} });
  });

  it('shows the dict form at every version, adding owner (1.12), generation (1.28) and type (1.38)', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 }, [RP2]: { DISK_GB: 10 } }, projectId: PROJECT, userId: USER });
    const allocations = {
      [RP1]: { resources: { VCPU: 2 }, generation: 2 },
      [RP2]: { resources: { DISK_GB: 10 }, generation: 2 },
    };
    for (const version of ['1.0', '1.11']) {
      expect((await req('GET', `/allocations/${C1}`, { version })).body).toEqual({ allocations });
    }
    expect((await req('GET', `/allocations/${C1}`, { version: '1.12' })).body).toEqual({ allocations, project_id: PROJECT, user_id: USER });
    expect((await req('GET', `/allocations/${C1}`, { version: '1.27' })).body).toEqual({ allocations, project_id: PROJECT, user_id: USER });
    expect((await req('GET', `/allocations/${C1}`, { version: '1.28' })).body).toEqual({ allocations, project_id: PROJECT, user_id: USER, consumer_generation: 1 });
    expect((await req('GET', `/allocations/${C1}`, { version: '1.37' })).body).not.toHaveProperty('consumer_type');
    // Written without a type: shown as "unknown".
    expect((await req('GET', `/allocations/${C1}`, { version: '1.38' })).body).toEqual({
      allocations,
      project_id: PROJECT,
      user_id: USER,
      consumer_generation: 1,
      consumer_type: 'unknown',
    });
  });

  it('sends last-modified and cache-control from 1.15 only', async () => {
    const old = await req('GET', `/allocations/${C1}`, { version: '1.14' });
    expect(old.headers.get('last-modified')).toBeNull();
    expect(old.headers.get('cache-control')).toBeNull();
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER });
    for (const path of [`/allocations/${C1}`, `/allocations/${C2}`]) {
      const r = await req('GET', path, { version: '1.15' });
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(Number.isNaN(Date.parse(r.headers.get('last-modified') ?? ''))).toBe(false);
    }
    const ok = await req('GET', `/allocations/${C1}`, { version: '1.15' });
    expect(ok.headers.get('openstack-api-version')).toBe('placement 1.15');
    expect(ok.headers.get('vary')).toBe('openstack-api-version');
    expect(ok.headers.get('content-type')).toBe('application/json');
  });

  it('needs a reader: 403 with the policy name, code from 1.23; a system reader may read', async () => {
    const no = await req('GET', `/allocations/${C1}`, { version: '1.22', token: 'someone' });
    expectError(no, 403, null, 'placement:allocations:list');
    expectError(await req('GET', `/allocations/${C1}`, { version: '1.23', token: 'someone' }), 403, 'placement.undefined_code');
    const reader = await req('GET', `/allocations/${C1}`, { version: 'latest', token: 'r', headers: { 'x-roles': 'reader', 'openstack-system-scope': 'all' } });
    expect(reader.status).toBe(200);
  });

  it('refuses an Accept without JSON with 406', async () => {
    const r = await req('GET', `/allocations/${C1}`, { version: 'latest', headers: { accept: 'text/html' } });
    expect(r.status).toBe(406);
  });
});

describe('PUT /allocations/{consumer_uuid}: body forms by microversion', () => {
  const listBody = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    allocations: [
      { resource_provider: { uuid: RP1 }, resources: { VCPU: 2 } },
      { resource_provider: { uuid: RP2 }, resources: { DISK_GB: 5 } },
    ],
    ...extra,
  });

  it('takes the list form before 1.8 and gives the consumer the incomplete project and user', async () => {
    const r = await req('PUT', `/allocations/${C1}`, { version: '1.0', body: listBody() });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('last-modified')).toBeNull();
    const c = p.engine.getConsumerAllocations(C1);
    expect(c).toMatchObject({ projectId: INCOMPLETE, userId: INCOMPLETE, consumerGeneration: 1, consumerType: 'unknown' });
    expect(c?.allocations).toEqual({ [RP1]: { generation: 2, resources: { VCPU: 2 } }, [RP2]: { generation: 2, resources: { DISK_GB: 5 } } });
  });

  it('refuses project_id and user_id before 1.8 and requires them from 1.8', async () => {
    await refused('PUT', `/allocations/${C1}`, { version: '1.7', body: listBody({ project_id: PROJECT, user_id: USER }) }, 400, null, 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.8', body: listBody() }, 400, null, 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.8', body: listBody({ project_id: PROJECT }) }, 400, null, 'JSON does not validate');
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.8', body: listBody({ project_id: PROJECT, user_id: USER }) })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)).toMatchObject({ projectId: PROJECT, userId: USER });
  });

  it('switches from the list form (to 1.11) to the dict form (from 1.12)', async () => {
    const dict = { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER };
    await refused('PUT', `/allocations/${C1}`, { version: '1.11', body: dict }, 400, null, 'JSON does not validate');
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.11', body: listBody({ project_id: PROJECT, user_id: USER }) })).status).toBe(204);
    await refused('PUT', `/allocations/${C2}`, { version: '1.12', body: listBody({ project_id: PROJECT, user_id: USER }) }, 400, null, 'JSON does not validate');
    expect((await req('PUT', `/allocations/${C2}`, { version: '1.12', body: dict })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C2)?.allocations).toEqual({ [RP1]: { generation: 3, resources: { VCPU: 1 } } });
  });

  it('keeps the last entry when the list form names a provider twice', async () => {
    const body = {
      allocations: [
        { resource_provider: { uuid: RP1 }, resources: { VCPU: 2 } },
        { resource_provider: { uuid: RP1 }, resources: { VCPU: 3 } },
      ],
    };
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.0', body })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)?.allocations[RP1]?.resources).toEqual({ VCPU: 3 });
  });

  it('accepts and ignores a provider generation in the dict form', async () => {
    const body = { allocations: { [RP1]: { resources: { VCPU: 1 }, generation: 999 } }, project_id: PROJECT, user_id: USER };
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.12', body })).status).toBe(204);
  });

  it('refuses empty allocations before 1.28 and removes the consumer with them from 1.28', async () => {
    const empty = { allocations: {}, project_id: PROJECT, user_id: USER };
    await refused('PUT', `/allocations/${C1}`, { version: '1.27', body: empty }, 400, 'placement.undefined_code', 'JSON does not validate');
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 } }, projectId: PROJECT, userId: USER });
    const before = gen(RP1);
    const r = await req('PUT', `/allocations/${C1}`, { version: '1.28', body: { ...empty, consumer_generation: 1 } });
    expect(r.status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)).toBeUndefined();
    expect(p.engine.getProviderUsages(RP1).usages['VCPU']).toBe(0);
    // Emptying a consumer bumps the providers it leaves.
    expect(gen(RP1)).toBe(before + 1);
    expect((await req('GET', `/allocations/${C1}`, { version: 'latest' })).body).toEqual({ allocations: {} });
    // Empty allocations for a consumer that does not exist: accepted, nothing to do.
    expect((await req('PUT', `/allocations/${C2}`, { version: '1.28', body: { ...empty, consumer_generation: null } })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C2)).toBeUndefined();
  });

  it('writes without a consumer generation check before 1.28 and refuses the field there', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 } }, projectId: PROJECT, userId: USER });
    const body = { allocations: { [RP1]: { resources: { VCPU: 3 } } }, project_id: PROJECT, user_id: USER };
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.27', body })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)?.consumerGeneration).toBe(2);
    await refused('PUT', `/allocations/${C1}`, { version: '1.27', body: { ...body, consumer_generation: 2 } }, 400, 'placement.undefined_code', 'JSON does not validate');
  });

  it('requires consumer_generation from 1.28 and checks it', async () => {
    const base = { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER };
    await refused('PUT', `/allocations/${C1}`, { version: '1.28', body: base }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.28', body: { ...base, consumer_generation: 'x' } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused(
      'PUT',
      `/allocations/${C1}`,
      { version: '1.28', body: { ...base, consumer_generation: 3 } },
      409,
      'placement.concurrent_update',
      'consumer generation conflict - expected null but got 3',
    );
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.28', body: { ...base, consumer_generation: null } })).status).toBe(204);
    await refused(
      'PUT',
      `/allocations/${C1}`,
      { version: '1.28', body: { ...base, consumer_generation: null } },
      409,
      'placement.concurrent_update',
      'consumer generation conflict - expected 1 but got None',
    );
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.28', body: { ...base, consumer_generation: 1 } })).status).toBe(204);
    await refused(
      'PUT',
      `/allocations/${C1}`,
      { version: '1.28', body: { ...base, consumer_generation: 1 } },
      409,
      'placement.concurrent_update',
      'consumer generation conflict - expected 2 but got 1',
    );
  });

  it('accepts and ignores mappings from 1.34 only', async () => {
    const body = { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER, consumer_generation: null, mappings: { '': [RP1] } };
    await refused('PUT', `/allocations/${C1}`, { version: '1.33', body }, 400, 'placement.undefined_code', 'JSON does not validate');
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.34', body })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)?.allocations).toEqual({ [RP1]: { generation: 2, resources: { VCPU: 1 } } });
    // A suffix must map to a non-empty list of uuids.
    const bad = { ...body, consumer_generation: 1, mappings: { _COMPUTE: [] } };
    await refused('PUT', `/allocations/${C1}`, { version: '1.34', body: bad }, 400, 'placement.undefined_code', 'JSON does not validate');
    const notUuid = { ...body, consumer_generation: 1, mappings: { _COMPUTE: ['nope'] } };
    await refused('PUT', `/allocations/${C1}`, { version: '1.37', body: notUuid }, 400, 'placement.undefined_code', 'JSON does not validate');
  });

  it('requires consumer_type from 1.38, refuses it before, and keeps it when written before 1.38', async () => {
    const base = { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER, consumer_generation: null };
    await refused('PUT', `/allocations/${C1}`, { version: '1.37', body: { ...base, consumer_type: 'INSTANCE' } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.38', body: base }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.38', body: { ...base, consumer_type: 'instance' } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('PUT', `/allocations/${C1}`, { version: '1.38', body: { ...base, consumer_type: '' } }, 400, 'placement.undefined_code', 'JSON does not validate');
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.38', body: { ...base, consumer_type: 'INSTANCE' } })).status).toBe(204);
    expect((await req('GET', `/allocations/${C1}`, { version: '1.38' })).body).toMatchObject({ consumer_type: 'INSTANCE', consumer_generation: 1 });
    // A write at 1.37 leaves the type alone.
    expect((await req('PUT', `/allocations/${C1}`, { version: '1.37', body: { ...base, consumer_generation: 1 } })).status).toBe(204);
    expect((await req('GET', `/allocations/${C1}`, { version: 'latest' })).body).toMatchObject({ consumer_type: 'INSTANCE', consumer_generation: 2 });
  });

  it('accepts a dash-less or upper-case consumer uuid in the path and stores it canonically', async () => {
    const dashless = C1.replaceAll('-', '').toUpperCase();
    expect((await req('PUT', `/allocations/${dashless}`, { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null) })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)).toBeDefined();
    expect((await req('GET', `/allocations/${C1}`, { version: 'latest' })).body).toMatchObject({ consumer_generation: 1 });
  });

  it('replaces all of the consumer allocations and bumps the generation of the providers written to', async () => {
    expect((await req('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP1]: { VCPU: 2 } }, null) })).status).toBe(204);
    expect([gen(RP1), gen(RP2)]).toEqual([2, 1]);
    expect((await req('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP2]: { VCPU: 4 } }, 1) })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)?.allocations).toEqual({ [RP2]: { generation: 2, resources: { VCPU: 4 } } });
    expect(p.engine.getProviderUsages(RP1).usages['VCPU']).toBe(0);
    // The provider only left is not bumped.
    expect([gen(RP1), gen(RP2)]).toEqual([2, 2]);
  });

  it('counts the consumer own old allocations as released when checking capacity', async () => {
    expect((await req('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP1]: { VCPU: 6 } }, null) })).status).toBe(204);
    expect((await req('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP1]: { VCPU: 8 } }, 1) })).status).toBe(204);
  });
});

describe('PUT /allocations/{consumer_uuid}: errors and their order', () => {
  it('refuses a malformed consumer uuid after policy and before the body', async () => {
    await refused('PUT', '/allocations/not-a-uuid', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null) }, 400, 'placement.undefined_code', 'Malformed consumer_uuid: not-a-uuid');
    await refused('PUT', '/allocations/not-a-uuid', { version: 'latest', body: { nonsense: true } }, 400, 'placement.undefined_code', 'Malformed consumer_uuid');
    await refused('PUT', '/allocations/not-a-uuid', { version: 'latest', raw: '{"broken' }, 400, 'placement.undefined_code', 'Malformed consumer_uuid');
    await refused('PUT', '/allocations/not-a-uuid', { version: 'latest', token: 'someone', body: {} }, 403, 'placement.undefined_code', 'placement:allocations:update');
  });

  it('answers 415 before 403, and 403 before body errors', async () => {
    await refused('PUT', `/allocations/${C1}`, { version: 'latest', token: 'someone', raw: '{}', headers: { 'content-type': 'text/plain' } }, 415, 'placement.undefined_code', 'text/plain');
    await refused('PUT', `/allocations/${C1}`, { version: 'latest', token: 'someone', raw: '{"broken' }, 403, 'placement.undefined_code', 'Policy does not allow placement:allocations:update');
    // A system reader may not write.
    await refused('PUT', `/allocations/${C1}`, { version: 'latest', token: 'r', headers: { 'x-roles': 'reader', 'openstack-system-scope': 'all' }, body: body38({ [RP1]: { VCPU: 1 } }, null) }, 403, 'placement.undefined_code');
  });

  it('checks providers, then the consumer generation, then resource classes, then capacity', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    const path = `/allocations/${C1}`;
    // Everything wrong: the missing provider wins (Placement looks providers up before the consumer).
    await refused('PUT', path, { version: 'latest', body: body38({ [MISSING_RP]: { CUSTOM_NOPE: 1 }, [RP1]: { VCPU: 99 } }, 5) }, 400, 'placement.undefined_code', `Allocation for resource provider '${MISSING_RP}' that does not exist.`);
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { CUSTOM_NOPE: 1 }, [RP2]: { VCPU: 99 } }, 5) }, 409, 'placement.concurrent_update', 'consumer generation conflict');
    // Empty allocations look up no provider: only the generation is checked.
    await refused('PUT', path, { version: 'latest', body: body38({}, 5) }, 409, 'placement.concurrent_update', 'consumer generation conflict');
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { VCPU: 99 }, [RP2]: { CUSTOM_NOPE: 1 } }, 1) }, 400, 'placement.undefined_code', `Unable to allocate inventory for consumer ${C1}: No such resource class CUSTOM_NOPE.`);
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { VCPU: 9 } }, 1) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
  });

  it('refuses with 409 a class the provider has no inventory of, and amounts outside min/max/step', async () => {
    const path = `/allocations/${C1}`;
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { CUSTOM_GPU: 1 } }, null) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { DISK_GB: 1 } }, null) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    // MEMORY_MB on rp1 has step_size 256 and max_unit 1024.
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { MEMORY_MB: 100 } }, null) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    await refused('PUT', path, { version: 'latest', body: body38({ [RP1]: { MEMORY_MB: 1280 } }, null) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    expect((await req('PUT', path, { version: 'latest', body: body38({ [RP1]: { MEMORY_MB: 1024 } }, null) })).status).toBe(204);
  });

  it('refuses capacity taken by other consumers, without touching anything', async () => {
    p.engine.setAllocations({ consumerUuid: C2, allocations: { [RP1]: { VCPU: 6 } }, projectId: PROJECT, userId: USER });
    await refused('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP2]: { VCPU: 1 }, [RP1]: { VCPU: 3 } }, null) }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    expect((await req('PUT', `/allocations/${C1}`, { version: 'latest', body: body38({ [RP1]: { VCPU: 2 } }, null) })).status).toBe(204);
  });

  it('shows no code before 1.23', async () => {
    await refused('PUT', `/allocations/${C1}`, { version: '1.22', body: { allocations: { [MISSING_RP]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER } }, 400, null, 'that does not exist');
  });

  describe('bad input writes nothing', () => {
    const path = `/allocations/${C1}`;
    const cases: [string, RequestOptions, number, string][] = [
      ['malformed JSON', { version: 'latest', raw: '{"allocations": ' }, 400, 'Malformed JSON'],
      ['an empty body', { version: 'latest', raw: '' , headers: { 'content-type': 'application/json' } }, 400, 'Malformed JSON'],
      ['a JSON array', { version: 'latest', body: [] }, 400, 'JSON does not validate'],
      ['a JSON string', { version: 'latest', body: 'x' }, 400, 'JSON does not validate'],
      ['an unknown field', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null, { colour: 'blue' }) }, 400, 'JSON does not validate'],
      ['an unknown field in a provider entry', { version: 'latest', body: { ...body38({}, null), allocations: { [RP1]: { resources: { VCPU: 1 }, extra: 1 } } } }, 400, 'JSON does not validate'],
      ['a dash-less provider key', { version: 'latest', body: body38({ [RP1.replaceAll('-', '')]: { VCPU: 1 } }, null) }, 400, 'JSON does not validate'],
      ['a provider key that is not hex', { version: 'latest', body: body38({ ['x'.repeat(36)]: { VCPU: 1 } }, null) }, 400, 'JSON does not validate'],
      ['a lower-case class', { version: 'latest', body: body38({ [RP1]: { vcpu: 1 } }, null) }, 400, 'JSON does not validate'],
      ['a zero amount', { version: 'latest', body: body38({ [RP1]: { VCPU: 0 } }, null) }, 400, 'JSON does not validate'],
      ['a negative amount', { version: 'latest', body: body38({ [RP1]: { VCPU: -1 } }, null) }, 400, 'JSON does not validate'],
      ['a fractional amount', { version: 'latest', body: body38({ [RP1]: { VCPU: 1.5 } }, null) }, 400, 'JSON does not validate'],
      ['a string amount', { version: 'latest', body: { ...body38({}, null), allocations: { [RP1]: { resources: { VCPU: '1' } } } } }, 400, 'JSON does not validate'],
      ['empty resources', { version: 'latest', body: body38({ [RP1]: {} }, null) }, 400, 'JSON does not validate'],
      ['resources missing', { version: 'latest', body: { ...body38({}, null), allocations: { [RP1]: { generation: 1 } } } }, 400, 'JSON does not validate'],
      ['allocations as a list at 1.38', { version: 'latest', body: { ...body38({}, null), allocations: [] } }, 400, 'JSON does not validate'],
      ['an empty project_id', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null, { project_id: '' }) }, 400, 'JSON does not validate'],
      ['a too long user_id', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null, { user_id: 'u'.repeat(256) }) }, 400, 'JSON does not validate'],
      ['a numeric project_id', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, null, { project_id: 5 }) }, 400, 'JSON does not validate'],
      ['a fractional consumer_generation', { version: 'latest', body: body38({ [RP1]: { VCPU: 1 } }, 0.5) }, 400, 'JSON does not validate'],
      ['a list-form entry without resource_provider', { version: '1.0', body: { allocations: [{ resources: { VCPU: 1 } }] } }, 400, 'JSON does not validate'],
      ['a list-form provider that is not a uuid', { version: '1.0', body: { allocations: [{ resource_provider: { uuid: 'nope' }, resources: { VCPU: 1 } }] } }, 400, 'JSON does not validate'],
      ['an empty list', { version: '1.0', body: { allocations: [] } }, 400, 'JSON does not validate'],
    ];
    for (const [name, options, status, detail] of cases) {
      it(`refuses ${name}`, async () => {
        await refused('PUT', path, options, status, options.version === '1.0' ? null : 'placement.undefined_code', detail);
      });
    }

    it('refuses a body that is not JSON with 415', async () => {
      await refused('PUT', path, { version: 'latest', raw: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'placement.undefined_code', 'use application/json');
    });

    it('refuses an oversized body with 413', async () => {
      const before = takeSnapshot(p.engine);
      const big = JSON.stringify(body38({ [RP1]: { VCPU: 1 } }, null, { project_id: 'p'.repeat(2 * 1024 * 1024) }));
      const r = await req('PUT', path, { version: 'latest', raw: big });
      expect(r.status).toBe(413);
      expect(takeSnapshot(p.engine)).toEqual(before);
    });
  });
});

describe('DELETE /allocations/{consumer_uuid}', () => {
  it('removes the allocations without bumping provider generations, then answers 404', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 } }, projectId: PROJECT, userId: USER });
    const before = gen(RP1);
    const r = await req('DELETE', `/allocations/${C1}`, { version: '1.0' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('last-modified')).toBeNull();
    expect(gen(RP1)).toBe(before);
    expect(p.engine.getProviderUsages(RP1).usages['VCPU']).toBe(0);
    expect((await req('GET', `/allocations/${C1}`, { version: 'latest' })).body).toEqual({ allocations: {} });
    await refused('DELETE', `/allocations/${C1}`, { version: 'latest' }, 404, 'placement.undefined_code', `No allocations for consumer '${C1}'`);
    await refused('DELETE', '/allocations/whatever', { version: '1.22' }, 404, null, "No allocations for consumer 'whatever'");
  });

  it('needs the admin: 403 with the policy name', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 } }, projectId: PROJECT, userId: USER });
    await refused('DELETE', `/allocations/${C1}`, { version: 'latest', token: 'someone' }, 403, 'placement.undefined_code', 'placement:allocations:delete');
  });
});

describe('POST /allocations', () => {
  const entry = (allocations: Record<string, Record<string, number>>, generation: number | null, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    body38(allocations, generation, extra);

  it('does not exist before 1.13 (404) and is POST only at every version (405)', async () => {
    const body = { [C1]: { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER } };
    const r = await refused('POST', '/allocations', { version: '1.12', body }, 404, null);
    expect(errorOf(r).detail).toBe('The resource could not be found.\n\n   ');
    for (const version of ['1.0', '1.13', 'latest']) {
      const wrong = await req('GET', '/allocations', { version });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
    }
    expect((await req('POST', '/allocations', { version: '1.13', body })).status).toBe(204);
  });

  it('writes several consumers at once at 1.13, removing those given empty allocations', async () => {
    p.engine.setAllocations({ consumerUuid: C3, allocations: { [RP2]: { DISK_GB: 10 } }, projectId: PROJECT, userId: USER });
    const body = {
      [C1]: { allocations: { [RP1]: { resources: { VCPU: 2 } } }, project_id: PROJECT, user_id: USER },
      [C2]: { allocations: { [RP1]: { resources: { VCPU: 1 } }, [RP2]: { resources: { DISK_GB: 5 } } }, project_id: 'other', user_id: 'other' },
      [C3]: { allocations: {}, project_id: PROJECT, user_id: USER },
    };
    const r = await req('POST', '/allocations', { version: '1.13', body });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(p.engine.getConsumerAllocations(C1)?.allocations[RP1]?.resources).toEqual({ VCPU: 2 });
    expect(p.engine.getConsumerAllocations(C2)).toMatchObject({ projectId: 'other', userId: 'other' });
    expect(p.engine.getConsumerAllocations(C3)).toBeUndefined();
    expect(p.engine.getProviderUsages(RP1).usages).toMatchObject({ VCPU: 3 });
    expect(p.engine.getProviderUsages(RP2).usages).toMatchObject({ DISK_GB: 5 });
  });

  it('refuses consumer_generation before 1.28, requires it from 1.28, mappings from 1.34, consumer_type from 1.38', async () => {
    const plain = { allocations: { [RP1]: { resources: { VCPU: 1 } } }, project_id: PROJECT, user_id: USER };
    await refused('POST', '/allocations', { version: '1.27', body: { [C1]: { ...plain, consumer_generation: null } } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('POST', '/allocations', { version: '1.28', body: { [C1]: plain } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('POST', '/allocations', { version: '1.33', body: { [C1]: { ...plain, consumer_generation: null, mappings: { '': [RP1] } } } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('POST', '/allocations', { version: '1.37', body: { [C1]: { ...plain, consumer_generation: null, consumer_type: 'INSTANCE' } } }, 400, 'placement.undefined_code', 'JSON does not validate');
    await refused('POST', '/allocations', { version: '1.38', body: { [C1]: { ...plain, consumer_generation: null } } }, 400, 'placement.undefined_code', 'JSON does not validate');
    expect((await req('POST', '/allocations', { version: '1.28', body: { [C1]: { ...plain, consumer_generation: null } } })).status).toBe(204);
    expect((await req('POST', '/allocations', { version: '1.34', body: { [C1]: { ...plain, consumer_generation: 1, mappings: { '': [RP1] } } } })).status).toBe(204);
    expect((await req('POST', '/allocations', { version: '1.38', body: { [C1]: { ...plain, consumer_generation: 2, consumer_type: 'MIGRATION' } } })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)).toMatchObject({ consumerGeneration: 3, consumerType: 'MIGRATION' });
  });

  it('writes without generation checks before 1.28', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER });
    const body = { [C1]: { allocations: { [RP1]: { resources: { VCPU: 4 } } }, project_id: PROJECT, user_id: USER } };
    expect((await req('POST', '/allocations', { version: '1.27', body })).status).toBe(204);
    expect(p.engine.getConsumerAllocations(C1)?.consumerGeneration).toBe(2);
  });

  it('moves a consumer between providers atomically (a migration)', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 4 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    const body = {
      [C1]: entry({ [RP2]: { VCPU: 4 } }, 1),
      [C2]: entry({ [RP1]: { VCPU: 8 } }, null, { consumer_type: 'MIGRATION' }),
    };
    expect((await req('POST', '/allocations', { version: 'latest', body })).status).toBe(204);
    expect(p.engine.getProviderAllocations(RP1).allocations).toEqual({ [C2]: { resources: { VCPU: 8 } } });
    expect(p.engine.getProviderAllocations(RP2).allocations).toEqual({ [C1]: { resources: { VCPU: 4 } } });
  });

  it('fails on its last consumer and leaves every consumer untouched', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    // C1 rewritten, C2 new, C3 new but over capacity on rp2 (4 VCPU).
    const body = {
      [C1]: entry({ [RP1]: { VCPU: 4 } }, 1),
      [C2]: entry({ [RP1]: { VCPU: 1 }, [RP2]: { DISK_GB: 10 } }, null),
      [C3]: entry({ [RP2]: { VCPU: 5 } }, null),
    };
    await refused('POST', '/allocations', { version: 'latest', body }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
    expect(p.engine.getConsumerAllocations(C1)?.allocations).toEqual({ [RP1]: { generation: 2, resources: { VCPU: 2 } } });
    expect(p.engine.getConsumerAllocations(C1)?.consumerGeneration).toBe(1);
    expect(p.engine.getConsumerAllocations(C2)).toBeUndefined();
    expect(p.engine.getConsumerAllocations(C3)).toBeUndefined();

    // The same with a stale generation on the last consumer.
    await refused('POST', '/allocations', { version: 'latest', body: { ...body, [C3]: entry({ [RP2]: { VCPU: 1 } }, 7) } }, 409, 'placement.concurrent_update', 'consumer generation conflict - expected null but got 7');
    // And with an unknown provider on the last consumer.
    await refused('POST', '/allocations', { version: 'latest', body: { ...body, [C3]: entry({ [MISSING_RP]: { VCPU: 1 } }, null) } }, 400, 'placement.undefined_code', 'that does not exist');
    // Fixed, it goes through.
    expect((await req('POST', '/allocations', { version: 'latest', body: { ...body, [C3]: entry({ [RP2]: { VCPU: 4 } }, null) } })).status).toBe(204);
  });

  it('counts several consumers on the same provider and class together', async () => {
    const body = { [C1]: entry({ [RP2]: { VCPU: 3 } }, null), [C2]: entry({ [RP2]: { VCPU: 2 } }, null) };
    await refused('POST', '/allocations', { version: 'latest', body }, 409, 'placement.undefined_code', 'Unable to allocate inventory');
  });

  it('checks every consumer generation before any provider, then classes', async () => {
    p.engine.setAllocations({ consumerUuid: C2, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    // C1 names a missing provider, but C2's stale generation is found first.
    const stale = { [C1]: entry({ [MISSING_RP]: { VCPU: 1 } }, null), [C2]: entry({ [RP1]: { VCPU: 1 } }, 0) };
    await refused('POST', '/allocations', { version: 'latest', body: stale }, 409, 'placement.concurrent_update', 'expected 1 but got 0');
    // C1 names an unknown class, C2 a missing provider: the provider is found first.
    const both = { [C1]: entry({ [RP1]: { CUSTOM_NOPE: 1 } }, null), [C2]: entry({ [MISSING_RP]: { VCPU: 1 } }, 1) };
    await refused('POST', '/allocations', { version: 'latest', body: both }, 400, 'placement.undefined_code', `Allocation for resource provider '${MISSING_RP}' that does not exist.`);
    const unknownClass = { [C1]: entry({ [RP1]: { VCPU: 99 } }, null), [C2]: entry({ [RP1]: { CUSTOM_NOPE: 1 } }, 1) };
    await refused('POST', '/allocations', { version: 'latest', body: unknownClass }, 400, 'placement.undefined_code', 'Unable to allocate inventory No such resource class CUSTOM_NOPE.');
  });

  it('refuses bad bodies, writing nothing', async () => {
    const ok = entry({ [RP1]: { VCPU: 1 } }, null);
    const cases: [RequestOptions, number, string][] = [
      [{ version: 'latest', body: {} }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: [] }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: { 'not-a-uuid': ok } }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: { [C1.replaceAll('-', '')]: ok } }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: { [C1]: { ...ok, extra: 1 } } }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: { [C1]: { ...ok, project_id: undefined } } }, 400, 'JSON does not validate'],
      [{ version: 'latest', body: { [C1]: entry({ [RP1]: { VCPU: 0 } }, null) } }, 400, 'JSON does not validate'],
      [{ version: 'latest', raw: '{"x":' }, 400, 'Malformed JSON'],
    ];
    for (const [options, status, detail] of cases) await refused('POST', '/allocations', options, status, 'placement.undefined_code', detail);
    await refused('POST', '/allocations', { version: 'latest', raw: '{}', headers: { 'content-type': 'text/plain' } }, 415, 'placement.undefined_code');
    await refused('POST', '/allocations', { version: 'latest', token: 'someone', raw: '{"x":' }, 403, 'placement.undefined_code', 'placement:allocations:manage');
  });
});

describe('GET /resource_providers/{uuid}/allocations', () => {
  it('lists consumers and what they hold there, with consumer generations from 1.28', async () => {
    p.engine.setAllocations({ consumerUuid: C1, allocations: { [RP1]: { VCPU: 2, MEMORY_MB: 512 }, [RP2]: { DISK_GB: 1 } }, projectId: PROJECT, userId: USER });
    p.engine.setAllocations({ consumerUuid: C2, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER });
    p.engine.setAllocations({ consumerUuid: C2, allocations: { [RP1]: { VCPU: 1 } }, projectId: PROJECT, userId: USER });
    const old = await req('GET', `/resource_providers/${RP1}/allocations`, { version: '1.27' });
    expect(old.status).toBe(200);
    expect(old.body).toEqual({
      allocations: { [C1]: { resources: { VCPU: 2, MEMORY_MB: 512 } }, [C2]: { resources: { VCPU: 1 } } },
      resource_provider_generation: gen(RP1),
    });
    expect(old.text.indexOf('"allocations"')).toBeLessThan(old.text.indexOf('"resource_provider_generation"'));
    const now = await req('GET', `/resource_providers/${RP1}/allocations`, { version: '1.28' });
    expect(now.body).toEqual({
      allocations: { [C1]: { resources: { VCPU: 2, MEMORY_MB: 512 }, consumer_generation: 1 }, [C2]: { resources: { VCPU: 1 }, consumer_generation: 2 } },
      resource_provider_generation: gen(RP1),
    });
  });

  it('answers an empty dict for a provider without allocations, with last-modified from 1.15', async () => {
    const r = await req('GET', `/resource_providers/${RP2}/allocations`, { version: '1.15' });
    expect(r.body).toEqual({ allocations: {}, resource_provider_generation: 1 });
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect((await req('GET', `/resource_providers/${RP2}/allocations`, { version: '1.14' })).headers.get('last-modified')).toBeNull();
  });

  it('answers 404 for an unknown provider and 403 for a non-reader', async () => {
    const r = await req('GET', `/resource_providers/${MISSING_RP}/allocations`, { version: 'latest' });
    expectError(r, 404, 'placement.undefined_code', `Resource provider '${MISSING_RP}' not found`);
    expectError(await req('GET', `/resource_providers/${RP1}/allocations`, { version: '1.0', token: 'someone' }), 403, null, 'placement:resource_providers:allocations:list');
    expect((await req('GET', `/resource_providers/${RP1}/allocations`, { version: '1.0', headers: { accept: 'text/plain' } })).status).toBe(406);
  });
});

describe('routing', () => {
  it('answers 405 with the Allow list of each path', async () => {
    const cases: [string, string, string][] = [
      ['PATCH', `/allocations/${C1}`, 'GET, PUT, DELETE'],
      ['POST', `/allocations/${C1}`, 'GET, PUT, DELETE'],
      ['DELETE', '/allocations', 'POST'],
      ['PUT', `/resource_providers/${RP1}/allocations`, 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await req(method, path, { version: 'latest' });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
    }
  });

  it('does not route a trailing slash or extra segments', async () => {
    expect((await req('GET', `/allocations/${C1}/`, { version: 'latest' })).status).toBe(404);
    expect((await req('GET', `/allocations/${C1}/x`, { version: 'latest' })).status).toBe(404);
  });
});
