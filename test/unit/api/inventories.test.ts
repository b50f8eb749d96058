import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, placementForFile } from '../../support/placement-http.js';

const p = placementForFile();

let counter = 0;
function provider(): string {
  return p.engine.createProvider({ name: `inv-rp-${++counter}` }).uuid;
}

function allocate(rp: string, resources: Record<string, number>): string {
  const consumer = randomUUID();
  p.engine.setAllocations({ consumerUuid: consumer, allocations: { [rp]: resources }, projectId: 'proj', userId: 'user' });
  return consumer;
}

const inv = (rp: string): string => `/resource_providers/${rp}/inventories`;
const DEFAULTS = { reserved: 0, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 1 };

describe('GET /resource_providers/{uuid}/inventories', () => {
  it('shows no inventory, with cache-control but no last-modified from 1.15 (Placement quirk)', async () => {
    const rp = provider();
    const r = await p.request('GET', inv(rp), { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ resource_provider_generation: 0, inventories: {} });
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('last-modified')).toBeNull();
    const old = await p.request('GET', inv(rp), { version: '1.14' });
    expect(old.headers.get('cache-control')).toBeNull();
  });

  it('shows every record with defaults filled in, and last-modified from 1.15 only', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8, allocationRatio: 16 }, MEMORY_MB: { total: 1024, reserved: 512, stepSize: 256 } });
    const r = await p.request('GET', inv(rp), { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      resource_provider_generation: 1,
      inventories: {
        VCPU: { ...DEFAULTS, total: 8, allocation_ratio: 16 },
        MEMORY_MB: { ...DEFAULTS, total: 1024, reserved: 512, step_size: 256 },
      },
    });
    // allocation_ratio is a float on the wire, as Python writes it (osc-placement prints it as given).
    expect(r.text).toContain('"allocation_ratio":16.0');
    expect(r.text).toContain('"allocation_ratio":1.0');
    expect(Number.isNaN(Date.parse(r.headers.get('last-modified') ?? ''))).toBe(false);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('vary')).toBe('openstack-api-version');
    const old = await p.request('GET', inv(rp), { version: '1.14' });
    expect(old.headers.get('last-modified')).toBeNull();
    expect(old.headers.get('cache-control')).toBeNull();
  });

  it('answers 404 for an unknown provider, with a code from 1.23 only', async () => {
    const missing = randomUUID();
    const e = expectError(await p.request('GET', inv(missing), { version: '1.23' }), 404, 'No resource provider', 'placement.undefined_code');
    expect(e.title).toBe('Not Found');
    const old = expectError(await p.request('GET', inv(missing), { version: '1.22' }), 404);
    expect(old).not.toHaveProperty('code');
  });
});

describe('PUT /resource_providers/{uuid}/inventories', () => {
  it('replaces all records, bumps the generation, and answers the new state with last-modified', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { DISK_GB: { total: 100 } });
    const r = await p.request('PUT', inv(rp), {
      version: '1.15',
      body: { resource_provider_generation: 1, inventories: { VCPU: { total: 4, max_unit: 4 }, MEMORY_MB: { total: 2048, allocation_ratio: 1.5 } } },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      resource_provider_generation: 2,
      inventories: { VCPU: { ...DEFAULTS, total: 4, max_unit: 4 }, MEMORY_MB: { ...DEFAULTS, total: 2048, allocation_ratio: 1.5 } },
    });
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(Object.keys(p.engine.getInventories(rp).inventories).sort()).toEqual(['MEMORY_MB', 'VCPU']);
    const old = await p.request('PUT', inv(rp), { version: '1.14', body: { resource_provider_generation: 2, inventories: {} } });
    expect(old.status).toBe(200);
    expect(old.body).toEqual({ resource_provider_generation: 3, inventories: {} });
    expect(old.headers.get('last-modified')).toBeNull();
  });

  it('takes a record that carries the provider generation (ignored), as Placement\'s record schema does', async () => {
    const rp = provider();
    const r = await p.request('PUT', inv(rp), { body: { resource_provider_generation: 0, inventories: { VCPU: { total: 4, resource_provider_generation: 99 } } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resource_provider_generation: 1, inventories: { VCPU: { total: 4 } } });
    const wrong = await p.request('PUT', inv(rp), { body: { resource_provider_generation: 1, inventories: { VCPU: { total: 4, generation: 1 } } } });
    expect(wrong.status).toBe(400);
  });

  it('bumps the generation even when nothing changes', async () => {
    const rp = provider();
    const body = { resource_provider_generation: 0, inventories: { VCPU: { total: 2 } } };
    expect((await p.request('PUT', inv(rp), { body })).status).toBe(200);
    const again = await p.request('PUT', inv(rp), { body: { ...body, resource_provider_generation: 1 } });
    expect(again.body).toMatchObject({ resource_provider_generation: 2 });
  });

  it('refuses a stale generation with 409 placement.concurrent_update, writing nothing', async () => {
    const rp = provider();
    const r = await p.request('PUT', inv(rp), { version: '1.23', body: { resource_provider_generation: 5, inventories: { VCPU: { total: 1 } } } });
    expectError(r, 409, 'resource provider generation conflict', 'placement.concurrent_update');
    expect(p.engine.getInventories(rp)).toEqual({ generation: 0, inventories: {} });
    const negative = await p.request('PUT', inv(rp), { version: '1.23', body: { resource_provider_generation: -1, inventories: {} } });
    expectError(negative, 409, undefined, 'placement.concurrent_update');
  });

  it('refuses unknown classes, whether or not they look like class names', async () => {
    const rp = provider();
    const unknown = await p.request('PUT', inv(rp), {
      version: 'latest',
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 1 }, CUSTOM_NOPE: { total: 1 } } },
    });
    expectError(unknown, 400, 'Unknown resource class in inventory', 'placement.undefined_code');
    // Keys that are not class-shaped skip the schema, as in Placement, and fail as unknown classes.
    const odd = await p.request('PUT', inv(rp), { version: 'latest', body: { resource_provider_generation: 0, inventories: { vcpu: { total: 'x' } } } });
    expectError(odd, 400, 'No such resource class vcpu');
    expect(p.engine.getInventories(rp)).toEqual({ generation: 0, inventories: {} });
  });

  it.each([
    ['missing generation', { inventories: {} }, "'resource_provider_generation' is a required property"],
    ['missing inventories', { resource_provider_generation: 0 }, "'inventories' is a required property"],
    ['unknown top-level field', { resource_provider_generation: 0, inventories: {}, x: 1 }, 'Additional properties are not allowed'],
    ['generation as a string', { resource_provider_generation: '0', inventories: {} }, "'0' is not of type 'integer'"],
    ['inventories as a list', { resource_provider_generation: 0, inventories: [] }, "[] is not of type 'object'"],
    ['record without total', { resource_provider_generation: 0, inventories: { VCPU: { reserved: 0 } } }, "'total' is a required property"],
    ['total 0', { resource_provider_generation: 0, inventories: { VCPU: { total: 0 } } }, '0 is less than the minimum of 1'],
    ['total too big', { resource_provider_generation: 0, inventories: { VCPU: { total: 2147483648 } } }, '2147483648 is greater than the maximum of 2147483647'],
    ['total as a string', { resource_provider_generation: 0, inventories: { VCPU: { total: '4' } } }, "'4' is not of type 'integer'"],
    ['total fractional', { resource_provider_generation: 0, inventories: { VCPU: { total: 1.5 } } }, "1.5 is not of type 'integer'"],
    ['negative reserved', { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: -1 } } }, '-1 is less than the minimum of 0'],
    ['min_unit 0', { resource_provider_generation: 0, inventories: { VCPU: { total: 4, min_unit: 0 } } }, '0 is less than the minimum of 1'],
    ['step_size 0', { resource_provider_generation: 0, inventories: { VCPU: { total: 4, step_size: 0 } } }, '0 is less than the minimum of 1'],
    ['ratio as a string', { resource_provider_generation: 0, inventories: { VCPU: { total: 4, allocation_ratio: '2' } } }, "'2' is not of type 'number'"],
    ['unknown record field', { resource_provider_generation: 0, inventories: { VCPU: { total: 4, colour: 'red' } } }, 'Additional properties are not allowed'],
  ])('refuses a body with %s (400, nothing written)', async (_what, body, message) => {
    const rp = provider();
    const r = await p.request('PUT', inv(rp), { version: 'latest', body });
    const e = expectError(r, 400, 'JSON does not validate', 'placement.undefined_code');
    expect(e.detail).toContain(message);
    expect(p.engine.getInventories(rp)).toEqual({ generation: 0, inventories: {} });
  });

  it('takes min_unit above max_unit and max_unit above total (not validated, as in Placement)', async () => {
    const rp = provider();
    const r = await p.request('PUT', inv(rp), {
      version: 'latest',
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 2, min_unit: 8, max_unit: 4 } } },
    });
    expect(r.status).toBe(200);
  });

  it('refuses reserved equal to total before 1.26 and takes it from 1.26', async () => {
    const rp = provider();
    const full = { VCPU: { total: 4, reserved: 4 } };
    const old = await p.request('PUT', inv(rp), { version: '1.25', body: { resource_provider_generation: 0, inventories: full } });
    expectError(old, 400, 'The reserved value is greater than or equal to total', 'placement.undefined_code');
    expect(p.engine.getInventories(rp).generation).toBe(0);
    const zeroRatio = await p.request('PUT', inv(rp), {
      version: '1.25',
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 4, allocation_ratio: 0 } } },
    });
    expectError(zeroRatio, 400, 'greater than or equal to total');
    const now = await p.request('PUT', inv(rp), { version: '1.26', body: { resource_provider_generation: 0, inventories: full } });
    expect(now.status).toBe(200);
    const over = await p.request('PUT', inv(rp), {
      version: 'latest',
      body: { resource_provider_generation: 1, inventories: { VCPU: { total: 4, reserved: 5 } } },
    });
    expectError(over, 400, 'The reserved value is greater than total');
    expect(p.engine.getInventories(rp).generation).toBe(1);
  });

  it('refuses to drop a class that has allocations: 409 placement.inventory.inuse, nothing changed', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 }, DISK_GB: { total: 10 } });
    allocate(rp, { VCPU: 2 });
    const generation = p.engine.getInventories(rp).generation;
    const r = await p.request('PUT', inv(rp), { version: 'latest', body: { resource_provider_generation: generation, inventories: { DISK_GB: { total: 20 } } } });
    expectError(r, 409, 'VCPU', 'placement.inventory.inuse');
    expect(p.engine.getInventories(rp).generation).toBe(generation);
    expect(p.engine.getInventories(rp).inventories['DISK_GB']?.total).toBe(10);
    // Lowering capacity below usage is allowed (R49).
    const lowered = await p.request('PUT', inv(rp), {
      version: 'latest',
      body: { resource_provider_generation: generation, inventories: { VCPU: { total: 1 }, DISK_GB: { total: 10 } } },
    });
    expect(lowered.status).toBe(200);
  });

  it('checks the media type first, then policy, then the provider, then the body', async () => {
    const rp = provider();
    const missing = randomUUID();
    const text = await p.request('PUT', inv(missing), { version: 'latest', raw: '{', headers: { 'content-type': 'text/plain' }, token: 'nobody' });
    expectError(text, 415, 'The media type text/plain is not supported');
    const forbidden = await p.request('PUT', inv(missing), { version: 'latest', raw: '{', token: 'nobody' });
    expectError(forbidden, 403, 'placement:resource_providers:inventories:update');
    expectError(await p.request('PUT', inv(missing), { version: 'latest', raw: '{' }), 404);
    expectError(await p.request('PUT', inv(rp), { version: 'latest', raw: '{' }), 400, 'Malformed JSON');
    expectError(await p.request('PUT', inv(rp), { version: 'latest', raw: '' , headers: { 'content-type': 'application/json' } }), 400, 'Malformed JSON');
    expect(p.engine.getInventories(rp)).toEqual({ generation: 0, inventories: {} });
  });

  it('takes application/json with parameters', async () => {
    const rp = provider();
    const r = await p.request('PUT', inv(rp), {
      raw: JSON.stringify({ resource_provider_generation: 0, inventories: { VCPU: { total: 1 } } }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(r.status).toBe(200);
  });
});

describe('POST /resource_providers/{uuid}/inventories', () => {
  it('adds one class: 201, absolute Location, the record and the new generation', async () => {
    const rp = provider();
    const r = await p.request('POST', inv(rp), { version: '1.15', body: { resource_class: 'VCPU', total: 8, reserved: 1 } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/resource_providers/${rp}/inventories/VCPU$`));
    expect(r.body).toEqual({ ...DEFAULTS, total: 8, reserved: 1, resource_provider_generation: 1 });
    expect(r.headers.get('last-modified')).not.toBeNull();
    const old = await p.request('POST', inv(rp), { version: '1.14', body: { resource_class: 'DISK_GB', total: 8 } });
    expect(old.status).toBe(201);
    expect(old.headers.get('last-modified')).toBeNull();
  });

  it('ignores the generation in the body', async () => {
    const rp = provider();
    const r = await p.request('POST', inv(rp), { version: 'latest', body: { resource_class: 'VCPU', total: 8, resource_provider_generation: 99 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ resource_provider_generation: 1 });
  });

  it('refuses an existing class with 409 placement.concurrent_update', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 2 } });
    const r = await p.request('POST', inv(rp), { version: 'latest', body: { resource_class: 'VCPU', total: 8 } });
    expectError(r, 409, 'Update conflict', 'placement.concurrent_update');
    expect(p.engine.getInventories(rp)).toMatchObject({ generation: 1, inventories: { VCPU: { total: 2 } } });
  });

  it('refuses an unknown class with 400', async () => {
    const rp = provider();
    const r = await p.request('POST', inv(rp), { version: 'latest', body: { resource_class: 'CUSTOM_NOPE', total: 8 } });
    expectError(r, 400, 'No such resource class CUSTOM_NOPE', 'placement.undefined_code');
    expect(p.engine.getInventories(rp).generation).toBe(0);
  });

  it.each([
    ['no resource_class', { total: 1 }, "'resource_class' is a required property"],
    ['no total', { resource_class: 'VCPU' }, "'total' is a required property"],
    ['a lower-case class', { resource_class: 'vcpu', total: 1 }, "'vcpu' does not match '^[A-Z0-9_]+$'"],
    ['a numeric class', { resource_class: 5, total: 1 }, "5 is not of type 'string'"],
    ['an unknown field', { resource_class: 'VCPU', total: 1, foo: 1 }, 'Additional properties are not allowed'],
    ['a string generation', { resource_class: 'VCPU', total: 1, resource_provider_generation: 'x' }, "'x' is not of type 'integer'"],
  ])('refuses a body with %s', async (_what, body, message) => {
    const rp = provider();
    const e = expectError(await p.request('POST', inv(rp), { version: 'latest', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.getInventories(rp).generation).toBe(0);
  });

  it('applies the capacity check of the version', async () => {
    const rp = provider();
    expectError(await p.request('POST', inv(rp), { version: '1.25', body: { resource_class: 'VCPU', total: 2, reserved: 2 } }), 400, 'greater than or equal to total');
    expect((await p.request('POST', inv(rp), { version: '1.26', body: { resource_class: 'VCPU', total: 2, reserved: 2 } })).status).toBe(201);
    expectError(await p.request('POST', inv(rp), { version: 'latest', body: { resource_class: 'DISK_GB', total: 2, reserved: 3 } }), 400, 'greater than total');
  });

  it('answers 404 for an unknown provider and 415 for a non-JSON body', async () => {
    expectError(await p.request('POST', inv(randomUUID()), { version: 'latest', body: { resource_class: 'VCPU', total: 1 } }), 404);
    const rp = provider();
    expectError(await p.request('POST', inv(rp), { version: 'latest', raw: 'x', headers: { 'content-type': 'text/plain' } }), 415);
    expectError(await p.request('POST', inv(rp), { version: 'latest', raw: '{"total": 1,' }), 400, 'Malformed JSON');
    expect(p.engine.getInventories(rp).generation).toBe(0);
  });
});

describe('DELETE /resource_providers/{uuid}/inventories', () => {
  it('is a 405 without Allow before 1.5', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 2 } });
    const r = await p.request('DELETE', inv(rp), { version: '1.4' });
    expectError(r, 405, 'The method DELETE is not allowed for this resource.');
    expect(r.headers.get('allow')).toBeNull();
    expect(p.engine.getInventories(rp).generation).toBe(1);
  });

  it('removes everything from 1.5 and bumps the generation, without a body or last-modified', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 2 }, DISK_GB: { total: 2 } });
    const r = await p.request('DELETE', inv(rp), { version: '1.15' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.getInventories(rp)).toEqual({ generation: 2, inventories: {} });
  });

  it('refuses while any class has allocations: 409 placement.inventory.inuse', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 }, DISK_GB: { total: 8 } });
    allocate(rp, { DISK_GB: 1 });
    const before = p.engine.getInventories(rp);
    expectError(await p.request('DELETE', inv(rp), { version: 'latest' }), 409, 'DISK_GB', 'placement.inventory.inuse');
    expect(p.engine.getInventories(rp)).toEqual(before);
  });

  it('answers 404 for an unknown provider and 403 without the admin role', async () => {
    expectError(await p.request('DELETE', inv(randomUUID()), { version: 'latest' }), 404);
    const rp = provider();
    expectError(await p.request('DELETE', inv(rp), { version: 'latest', token: 'someone' }), 403, 'placement:resource_providers:inventories:delete');
  });
});

describe('/resource_providers/{uuid}/inventories/{resource_class}', () => {
  it('GET shows one record with the generation and last-modified', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8, maxUnit: 4 } });
    const r = await p.request('GET', `${inv(rp)}/VCPU`, { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...DEFAULTS, total: 8, max_unit: 4, resource_provider_generation: 1 });
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect((await p.request('GET', `${inv(rp)}/VCPU`, { version: '1.14' })).headers.get('last-modified')).toBeNull();
  });

  it('GET answers 404 for a class without inventory, an unknown class and an unknown provider', async () => {
    const rp = provider();
    expectError(await p.request('GET', `${inv(rp)}/MEMORY_MB`, { version: 'latest' }), 404, `No inventory of class MEMORY_MB for ${rp}`);
    expectError(await p.request('GET', `${inv(rp)}/CUSTOM_NOPE`, { version: 'latest' }), 404, 'No inventory of class CUSTOM_NOPE');
    expectError(await p.request('GET', `${inv(randomUUID())}/VCPU`, { version: 'latest' }), 404, 'No resource provider');
  });

  it('PUT updates one record, bumps the generation, answers it with last-modified', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 }, DISK_GB: { total: 5 } });
    const r = await p.request('PUT', `${inv(rp)}/VCPU`, { version: '1.15', body: { resource_provider_generation: 1, total: 16, allocation_ratio: 2.5 } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...DEFAULTS, total: 16, allocation_ratio: 2.5, resource_provider_generation: 2 });
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect(p.engine.getInventories(rp).inventories['DISK_GB']?.total).toBe(5);
  });

  it('PUT refuses a stale generation (409), a known class without inventory (400), an unknown class (404)', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 } });
    expectError(
      await p.request('PUT', `${inv(rp)}/VCPU`, { version: 'latest', body: { resource_provider_generation: 0, total: 1 } }),
      409,
      'generation conflict',
      'placement.concurrent_update',
    );
    expectError(
      await p.request('PUT', `${inv(rp)}/DISK_GB`, { version: 'latest', body: { resource_provider_generation: 1, total: 1 } }),
      400,
      'No inventory record with resource class for resource provider',
    );
    expectError(
      await p.request('PUT', `${inv(rp)}/CUSTOM_NOPE`, { version: 'latest', body: { resource_provider_generation: 1, total: 1 } }),
      404,
      'No such resource class CUSTOM_NOPE',
    );
    expect(p.engine.getInventories(rp)).toMatchObject({ generation: 1, inventories: { VCPU: { total: 8 } } });
  });

  it.each([
    ['no generation', { total: 1 }, "'resource_provider_generation' is a required property"],
    ['no total', { resource_provider_generation: 1 }, "'total' is a required property"],
    ['resource_class', { resource_provider_generation: 1, total: 1, resource_class: 'VCPU' }, 'Additional properties are not allowed'],
    ['a boolean total', { resource_provider_generation: 1, total: true }, "True is not of type 'integer'"],
    ['a huge ratio', { resource_provider_generation: 1, total: 1, allocation_ratio: 1e39 }, '1e+39 is greater than the maximum of 3.40282e+38'],
  ])('PUT refuses a body with %s', async (_what, body, message) => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 } });
    const e = expectError(await p.request('PUT', `${inv(rp)}/VCPU`, { version: 'latest', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.getInventories(rp)).toMatchObject({ generation: 1, inventories: { VCPU: { total: 8 } } });
  });

  it('PUT applies the capacity check of the version', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 } });
    expectError(
      await p.request('PUT', `${inv(rp)}/VCPU`, { version: '1.25', body: { resource_provider_generation: 1, total: 4, reserved: 4 } }),
      400,
      'The reserved value is greater than or equal to total.',
    );
    expect((await p.request('PUT', `${inv(rp)}/VCPU`, { version: '1.26', body: { resource_provider_generation: 1, total: 4, reserved: 4 } })).status).toBe(200);
  });

  it('PUT answers 404 for an unknown provider, before reading the body', async () => {
    expectError(await p.request('PUT', `${inv(randomUUID())}/VCPU`, { version: 'latest', raw: 'nope' }), 404);
  });

  it('DELETE removes one record and bumps the generation, without a generation check', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 }, DISK_GB: { total: 5 } });
    const r = await p.request('DELETE', `${inv(rp)}/VCPU`, { version: 'latest' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(p.engine.getInventories(rp)).toEqual({ generation: 2, inventories: { DISK_GB: expect.objectContaining({ total: 5 }) } });
  });

  it('DELETE answers 404 when absent and 409 placement.concurrent_update when in use', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 } });
    expectError(await p.request('DELETE', `${inv(rp)}/DISK_GB`, { version: 'latest' }), 404, 'No inventory of class DISK_GB found for delete');
    expectError(await p.request('DELETE', `${inv(rp)}/CUSTOM_NOPE`, { version: 'latest' }), 404, 'No inventory of class CUSTOM_NOPE');
    expectError(await p.request('DELETE', `${inv(randomUUID())}/VCPU`, { version: 'latest' }), 404, 'No resource provider');
    allocate(rp, { VCPU: 1 });
    const before = p.engine.getInventories(rp);
    expectError(await p.request('DELETE', `${inv(rp)}/VCPU`, { version: 'latest' }), 409, 'Unable to delete inventory of class VCPU', 'placement.concurrent_update');
    expect(p.engine.getInventories(rp)).toEqual(before);
  });
});

describe('inventory routes and policy', () => {
  it('answers 405 with Allow in Placement order', async () => {
    const rp = provider();
    const all = await p.request('PATCH', inv(rp), { version: 'latest' });
    expectError(all, 405);
    expect(all.headers.get('allow')).toBe('GET, POST, PUT, DELETE');
    const one = await p.request('POST', `${inv(rp)}/VCPU`, { version: 'latest' });
    expectError(one, 405);
    expect(one.headers.get('allow')).toBe('GET, PUT, DELETE');
  });

  it('lets a system reader read but not write, and refuses a caller without roles', async () => {
    const rp = provider();
    p.engine.setInventories(rp, 0, { VCPU: { total: 8 } });
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', inv(rp), { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
    expect((await p.request('GET', `${inv(rp)}/VCPU`, { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
    expectError(
      await p.request('PUT', `${inv(rp)}/VCPU`, { version: 'latest', token: 'r', headers: reader, body: { resource_provider_generation: 1, total: 1 } }),
      403,
      'placement:resource_providers:inventories:update',
    );
    expectError(await p.request('GET', inv(rp), { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:inventories:list');
    expectError(await p.request('GET', `${inv(rp)}/VCPU`, { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:inventories:show');
    expectError(
      await p.request('POST', inv(rp), { version: 'latest', token: 'nobody', body: { resource_class: 'DISK_GB', total: 1 } }),
      403,
      'placement:resource_providers:inventories:create',
    );
    expectError(await p.request('DELETE', `${inv(rp)}/VCPU`, { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:inventories:delete');
    expect(p.engine.getInventories(rp).generation).toBe(1);
  });

  it('answers 406 to a GET that does not accept JSON', async () => {
    const rp = provider();
    const r = await p.request('GET', inv(rp), { version: 'latest', headers: { accept: 'text/plain' } });
    expect(r.status).toBe(406);
  });
});
