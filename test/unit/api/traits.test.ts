import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HttpAnswer } from '../../support/placement-http.js';
import { expectError, placementForFile } from '../../support/placement-http.js';

const p = placementForFile();

let counter = 0;
function provider(): string {
  return p.engine.createProvider({ name: `trait-rp-${++counter}` }).uuid;
}
function trait(): string {
  const name = `CUSTOM_T${++counter}`;
  p.engine.ensureTrait(name);
  return name;
}

const rpTraits = (rp: string): string => `/resource_providers/${rp}/traits`;
const traitsOf = (r: HttpAnswer): string[] => [...(r.body as { traits: string[] }).traits].sort();
const INVALID = 'The trait is invalid. A valid trait must be no longer than 255 characters';

describe('trait routes before 1.6', () => {
  it('do not exist at 1.5', async () => {
    const rp = provider();
    for (const [method, path] of [
      ['GET', '/traits'],
      ['GET', '/traits/CUSTOM_X'],
      ['PUT', '/traits/CUSTOM_X'],
      ['DELETE', '/traits/CUSTOM_X'],
      ['GET', rpTraits(rp)],
      ['PUT', rpTraits(rp)],
      ['DELETE', rpTraits(rp)],
    ] as const) {
      expectError(await p.request(method, path, { version: '1.5' }), 404, 'The resource could not be found.');
    }
    expect(p.engine.hasTrait('CUSTOM_X')).toBe(false);
  });
});

describe('GET /traits', () => {
  it('lists standard and custom traits, with last-modified from 1.15', async () => {
    const t = trait();
    const r = await p.request('GET', '/traits', { version: '1.15' });
    expect(r.status).toBe(200);
    const names = (r.body as { traits: string[] }).traits;
    expect(names).toContain('HW_CPU_X86_AVX2');
    expect(names).toContain(t);
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect((await p.request('GET', '/traits', { version: '1.14' })).headers.get('last-modified')).toBeNull();
  });

  it('filters by name=in: and name=startswith:', async () => {
    const a = trait();
    const b = trait();
    const r = await p.request('GET', `/traits?name=in:${a},${b},CUSTOM_NEVER`, { version: '1.6' });
    expect(traitsOf(r)).toEqual([a, b].sort());
    const prefix = await p.request('GET', '/traits?name=startswith:HW_CPU_X86_AVX', { version: '1.6' });
    expect(traitsOf(prefix).length).toBeGreaterThan(1);
    expect(traitsOf(prefix).every((n) => n.startsWith('HW_CPU_X86_AVX'))).toBe(true);
  });

  it('applies no filter for an unknown operator and refuses a value without one', async () => {
    const all = await p.request('GET', '/traits', { version: '1.6' });
    const other = await p.request('GET', '/traits?name=endswith:X', { version: '1.6' });
    expect(traitsOf(other)).toEqual(traitsOf(all));
    expectError(await p.request('GET', '/traits?name=CUSTOM_X', { version: 'latest' }), 400, 'Badly formatted name parameter', 'placement.undefined_code');
  });

  it('filters by associated (case-insensitive) and refuses other values', async () => {
    const used = trait();
    const unused = trait();
    const rp = provider();
    p.engine.setProviderTraits(rp, 0, [used]);
    const yes = await p.request('GET', `/traits?associated=TRUE&name=in:${used},${unused}`, { version: '1.6' });
    expect(traitsOf(yes)).toEqual([used]);
    const no = await p.request('GET', `/traits?associated=false&name=in:${used},${unused}`, { version: '1.6' });
    expect(traitsOf(no)).toEqual([unused]);
    expectError(await p.request('GET', '/traits?associated=maybe', { version: 'latest' }), 400, 'The query parameter "associated" only accepts "true" or "false"');
  });

  it('refuses unknown query parameters', async () => {
    expectError(await p.request('GET', '/traits?colour=red', { version: 'latest' }), 400, 'Invalid query string parameters');
  });

  it('needs a reader', async () => {
    expectError(await p.request('GET', '/traits', { version: 'latest', token: 'nobody' }), 403, 'placement:traits:list');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', '/traits', { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
  });

  it('answers 405 with Allow: GET for other methods', async () => {
    const r = await p.request('POST', '/traits', { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET');
  });
});

describe('/traits/{name}', () => {
  it('GET answers 204 without a body for an existing trait, last-modified from 1.15', async () => {
    const t = trait();
    const r = await p.request('GET', `/traits/${t}`, { version: '1.15' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('last-modified')).not.toBeNull();
    const std = await p.request('GET', '/traits/HW_CPU_X86_AVX2', { version: '1.6' });
    expect(std.status).toBe(204);
    expect(std.headers.get('last-modified')).toBeNull();
  });

  it('GET answers 404 for an unknown trait', async () => {
    expectError(await p.request('GET', '/traits/CUSTOM_NOT_THERE', { version: 'latest' }), 404, 'No such trait(s): CUSTOM_NOT_THERE.', 'placement.undefined_code');
  });

  it('PUT creates with 201, confirms with 204, both with Location and last-modified from 1.15', async () => {
    const name = `CUSTOM_NEW_${++counter}`;
    const created = await p.request('PUT', `/traits/${name}`, { version: '1.15' });
    expect(created.status).toBe(201);
    expect(created.text).toBe('');
    expect(created.headers.get('location')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/traits/${name}$`));
    expect(created.headers.get('last-modified')).not.toBeNull();
    expect(p.engine.hasTrait(name)).toBe(true);
    const again = await p.request('PUT', `/traits/${name}`, { version: '1.6' });
    expect(again.status).toBe(204);
    expect(again.headers.get('location')).toMatch(new RegExp(`/traits/${name}$`));
    expect(again.headers.get('last-modified')).toBeNull();
  });

  it('PUT reads no body, so a non-JSON body is no 415', async () => {
    const name = `CUSTOM_BODY_${++counter}`;
    const r = await p.request('PUT', `/traits/${name}`, { version: 'latest', raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(201);
  });

  it.each([['HW_CPU_X86_AVX2'], ['CUSTOM_lower'], ['custom_x'], ['CUSTOM_'], ['CUSTOM-DASH'], [`CUSTOM_${'A'.repeat(249)}`]])(
    'PUT refuses the name %s with 400',
    async (name) => {
      expectError(await p.request('PUT', `/traits/${name}`, { version: 'latest' }), 400, INVALID, 'placement.undefined_code');
      if (!name.startsWith('HW_')) expect(p.engine.hasTrait(name)).toBe(false);
    },
  );

  it('PUT takes a name of exactly 255 characters', async () => {
    const name = `CUSTOM_${'B'.repeat(248)}`;
    expect((await p.request('PUT', `/traits/${name}`, { version: 'latest' })).status).toBe(201);
  });

  it('DELETE removes a custom trait', async () => {
    const t = trait();
    const r = await p.request('DELETE', `/traits/${t}`, { version: '1.15' });
    expect(r.status).toBe(204);
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.hasTrait(t)).toBe(false);
  });

  it('DELETE answers 404 unknown, 400 standard, 409 in use', async () => {
    expectError(await p.request('DELETE', '/traits/CUSTOM_GONE', { version: 'latest' }), 404, 'No such trait(s): CUSTOM_GONE');
    expectError(await p.request('DELETE', '/traits/HW_CPU_X86_AVX2', { version: 'latest' }), 400, 'Cannot delete standard trait HW_CPU_X86_AVX2.');
    expect(p.engine.hasTrait('HW_CPU_X86_AVX2')).toBe(true);
    const t = trait();
    const rp = provider();
    p.engine.setProviderTraits(rp, 0, [t]);
    expectError(await p.request('DELETE', `/traits/${t}`, { version: 'latest' }), 409, `The trait ${t} is in use by a resource provider.`, 'placement.undefined_code');
    expect(p.engine.hasTrait(t)).toBe(true);
  });

  it('writes need the admin role', async () => {
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expectError(await p.request('PUT', '/traits/CUSTOM_NOPE_R', { version: 'latest', token: 'r', headers: reader }), 403, 'placement:traits:update');
    expect(p.engine.hasTrait('CUSTOM_NOPE_R')).toBe(false);
    const t = trait();
    expectError(await p.request('DELETE', `/traits/${t}`, { version: 'latest', token: 'nobody' }), 403, 'placement:traits:delete');
    expectError(await p.request('GET', `/traits/${t}`, { version: 'latest', token: 'nobody' }), 403, 'placement:traits:show');
    expect(p.engine.hasTrait(t)).toBe(true);
  });

  it('answers 405 with Allow for other methods', async () => {
    const r = await p.request('POST', '/traits/CUSTOM_X', { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET, PUT, DELETE');
  });
});

describe('/resource_providers/{uuid}/traits', () => {
  it('GET shows the traits and the generation, last-modified from 1.15', async () => {
    const rp = provider();
    const t = trait();
    p.engine.setProviderTraits(rp, 0, [t, 'HW_CPU_X86_AVX2']);
    const r = await p.request('GET', rpTraits(rp), { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resource_provider_generation: 1 });
    expect(traitsOf(r)).toEqual([t, 'HW_CPU_X86_AVX2'].sort());
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect((await p.request('GET', rpTraits(rp), { version: '1.14' })).headers.get('last-modified')).toBeNull();
  });

  it('GET answers 404 for an unknown provider', async () => {
    expectError(await p.request('GET', rpTraits(randomUUID()), { version: 'latest' }), 404, 'No resource provider');
  });

  it('PUT replaces the traits and bumps the generation when they change', async () => {
    const rp = provider();
    const a = trait();
    const b = trait();
    const r = await p.request('PUT', rpTraits(rp), { version: '1.15', body: { traits: [a, 'HW_CPU_X86_AVX2'], resource_provider_generation: 0 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resource_provider_generation: 1 });
    expect(traitsOf(r)).toEqual([a, 'HW_CPU_X86_AVX2'].sort());
    expect(r.headers.get('last-modified')).not.toBeNull();
    const replaced = await p.request('PUT', rpTraits(rp), { version: 'latest', body: { traits: [b], resource_provider_generation: 1 } });
    expect(replaced.body).toEqual({ traits: [b], resource_provider_generation: 2 });
    expect(p.engine.getProviderTraits(rp)).toEqual({ generation: 2, traits: [b] });
    // R75: the same set again does not move the generation.
    const same = await p.request('PUT', rpTraits(rp), { version: 'latest', body: { traits: [b], resource_provider_generation: 2 } });
    expect(same.body).toEqual({ traits: [b], resource_provider_generation: 2 });
  });

  it('PUT refuses a stale generation (409) and unknown traits (400), writing nothing', async () => {
    const rp = provider();
    const t = trait();
    expectError(
      await p.request('PUT', rpTraits(rp), { version: 'latest', body: { traits: [t], resource_provider_generation: 1 } }),
      409,
      "Resource provider's generation already changed",
      'placement.concurrent_update',
    );
    const unknown = await p.request('PUT', rpTraits(rp), {
      version: 'latest',
      body: { traits: [t, 'CUSTOM_MISSING_1', 'CUSTOM_MISSING_2'], resource_provider_generation: 0 },
    });
    const e = expectError(unknown, 400, 'No such trait', 'placement.undefined_code');
    expect(e.detail).toContain('CUSTOM_MISSING_1');
    expect(e.detail).toContain('CUSTOM_MISSING_2');
    expect(p.engine.getProviderTraits(rp)).toEqual({ generation: 0, traits: [] });
  });

  it.each([
    ['no generation', { traits: [] }, "'resource_provider_generation' is a required property"],
    ['no traits', { resource_provider_generation: 0 }, "'traits' is a required property"],
    ['an extra field', { traits: [], resource_provider_generation: 0, x: 1 }, 'Additional properties are not allowed'],
    ['traits as a string', { traits: 'HW_CPU_X86_AVX2', resource_provider_generation: 0 }, "'HW_CPU_X86_AVX2' is not of type 'array'"],
    ['a numeric trait', { traits: [5], resource_provider_generation: 0 }, "5 is not of type 'string'"],
    ['an empty trait', { traits: [''], resource_provider_generation: 0 }, "'' is too short"],
    ['a string generation', { traits: [], resource_provider_generation: '0' }, "'0' is not of type 'integer'"],
  ])('PUT refuses %s with 400', async (_what, body, message) => {
    const rp = provider();
    const e = expectError(await p.request('PUT', rpTraits(rp), { version: 'latest', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.getProviderTraits(rp)).toEqual({ generation: 0, traits: [] });
  });

  it('PUT checks media type, policy, then the body before the provider', async () => {
    const missing = randomUUID();
    expectError(await p.request('PUT', rpTraits(missing), { version: 'latest', raw: '{', headers: { 'content-type': 'text/plain' }, token: 'nobody' }), 415);
    expectError(await p.request('PUT', rpTraits(missing), { version: 'latest', raw: '{', token: 'nobody' }), 403, 'placement:resource_providers:traits:update');
    expectError(await p.request('PUT', rpTraits(missing), { version: 'latest', raw: '{' }), 400, 'Malformed JSON');
    expectError(await p.request('PUT', rpTraits(missing), { version: 'latest', body: { traits: [] } }), 400, 'JSON does not validate');
    expectError(await p.request('PUT', rpTraits(missing), { version: 'latest', body: { traits: [], resource_provider_generation: 0 } }), 404);
  });

  it('DELETE removes all traits without a generation check', async () => {
    const rp = provider();
    const t = trait();
    p.engine.setProviderTraits(rp, 0, [t]);
    const r = await p.request('DELETE', rpTraits(rp), { version: '1.15' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.getProviderTraits(rp)).toEqual({ generation: 2, traits: [] });
  });

  it('DELETE answers 404 for an unknown provider and 403 without the admin role', async () => {
    expectError(await p.request('DELETE', rpTraits(randomUUID()), { version: 'latest' }), 404);
    const rp = provider();
    const t = trait();
    p.engine.setProviderTraits(rp, 0, [t]);
    expectError(await p.request('DELETE', rpTraits(rp), { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:traits:delete');
    expectError(await p.request('GET', rpTraits(rp), { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:traits:list');
    expect(p.engine.getProviderTraits(rp).traits).toEqual([t]);
  });

  it('answers 405 with Allow for other methods', async () => {
    const r = await p.request('POST', rpTraits(provider()), { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET, PUT, DELETE');
  });
});
