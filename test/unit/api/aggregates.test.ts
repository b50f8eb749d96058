import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, placementForFile } from '../../support/placement-http.js';

const p = placementForFile();

let counter = 0;
function provider(): string {
  return p.engine.createProvider({ name: `agg-rp-${++counter}` }).uuid;
}

const aggs = (rp: string): string => `/resource_providers/${rp}/aggregates`;
const sorted = (v: unknown): string[] => [...(v as string[])].sort();

describe('GET /resource_providers/{uuid}/aggregates', () => {
  it('does not exist at 1.0', async () => {
    const rp = provider();
    expectError(await p.request('GET', aggs(rp), { version: '1.0' }), 404);
    expectError(await p.request('GET', aggs(rp)), 404);
    expectError(await p.request('PUT', aggs(rp), { version: '1.0', body: [] }), 404);
  });

  it('is a bare list before 1.19 and carries the generation from 1.19', async () => {
    const rp = provider();
    const a = randomUUID();
    const b = randomUUID();
    p.engine.setAggregates(rp, 0, [a, b]);
    const old = await p.request('GET', aggs(rp), { version: '1.18' });
    expect(old.status).toBe(200);
    expect(Object.keys(old.body as object)).toEqual(['aggregates']);
    expect(sorted((old.body as { aggregates: string[] }).aggregates)).toEqual([a, b].sort());
    const now = await p.request('GET', aggs(rp), { version: '1.19' });
    expect(now.body).toMatchObject({ resource_provider_generation: 1 });
    expect(sorted((now.body as { aggregates: string[] }).aggregates)).toEqual([a, b].sort());
  });

  it('sends last-modified from 1.15 only', async () => {
    const rp = provider();
    const v14 = await p.request('GET', aggs(rp), { version: '1.14' });
    expect(v14.body).toEqual({ aggregates: [] });
    expect(v14.headers.get('last-modified')).toBeNull();
    const v15 = await p.request('GET', aggs(rp), { version: '1.15' });
    expect(Number.isNaN(Date.parse(v15.headers.get('last-modified') ?? ''))).toBe(false);
    expect(v15.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 for an unknown provider and 403 without a role', async () => {
    expectError(await p.request('GET', aggs(randomUUID()), { version: 'latest' }), 404, 'No resource provider', 'placement.undefined_code');
    const rp = provider();
    expectError(await p.request('GET', aggs(rp), { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:aggregates:list');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', aggs(rp), { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
  });
});

describe('PUT /resource_providers/{uuid}/aggregates before 1.19 (bare list)', () => {
  it('replaces the aggregates and echoes the request list in order', async () => {
    const rp = provider();
    const list = [randomUUID(), randomUUID(), randomUUID()];
    const r = await p.request('PUT', aggs(rp), { version: '1.1', body: list });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ aggregates: list });
    expect(r.headers.get('last-modified')).toBeNull();
    expect(sorted(p.engine.getAggregates(rp).aggregates)).toEqual([...list].sort());
    const fewer = await p.request('PUT', aggs(rp), { version: '1.18', body: [list[1]] });
    expect(fewer.body).toEqual({ aggregates: [list[1]] });
    expect(fewer.headers.get('last-modified')).not.toBeNull();
    expect(p.engine.getAggregates(rp).aggregates).toEqual([list[1]]);
  });

  it('normalises dash-less and upper-case uuids', async () => {
    const rp = provider();
    const a = randomUUID();
    const r = await p.request('PUT', aggs(rp), { version: '1.1', body: [a.replace(/-/g, '').toUpperCase()] });
    expect(r.status).toBe(200);
    expect(p.engine.getAggregates(rp).aggregates).toEqual([a]);
  });

  // R75/R76: before 1.19 Placement does not bump the generation on PUT; from 1.19 it does.
  it('bumps the provider generation from 1.19 only', async () => {
    const rp = provider();
    const before = p.engine.requireProvider(rp).generation;
    expect((await p.request('PUT', aggs(rp), { version: '1.18', body: [randomUUID()] })).status).toBe(200);
    expect(p.engine.requireProvider(rp).generation).toBe(before);
    const r = await p.request('PUT', aggs(rp), { version: '1.19', body: { aggregates: [randomUUID()], resource_provider_generation: before } });
    expect(r.status).toBe(200);
    expect(p.engine.requireProvider(rp).generation).toBe(before + 1);
  });

  it.each([
    ['an object', { aggregates: [] }, "{'aggregates': []} is not of type 'array'"],
    ['a non-uuid', ['nope'], "'nope' is not a 'uuid'"],
    ['a number', [5], "5 is not of type 'string'"],
    ['a repeated uuid', ['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'], "['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'] has non-unique elements"],
  ])('refuses %s with 400, writing nothing', async (_what, body, message) => {
    const rp = provider();
    const before = p.engine.getAggregates(rp);
    const e = expectError(await p.request('PUT', aggs(rp), { version: '1.18', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.getAggregates(rp)).toEqual(before);
  });
});

describe('PUT /resource_providers/{uuid}/aggregates from 1.19', () => {
  it('checks and bumps the generation and answers the new one', async () => {
    const rp = provider();
    const a = randomUUID();
    const r = await p.request('PUT', aggs(rp), { version: '1.19', body: { aggregates: [a], resource_provider_generation: 0 } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ aggregates: [a], resource_provider_generation: 1 });
    expect(r.headers.get('last-modified')).not.toBeNull();
    // Always bumps, even for the same set.
    const again = await p.request('PUT', aggs(rp), { version: 'latest', body: { aggregates: [a], resource_provider_generation: 1 } });
    expect(again.body).toEqual({ aggregates: [a], resource_provider_generation: 2 });
    const cleared = await p.request('PUT', aggs(rp), { version: 'latest', body: { aggregates: [], resource_provider_generation: 2 } });
    expect(cleared.body).toEqual({ aggregates: [], resource_provider_generation: 3 });
    expect(p.engine.getAggregates(rp)).toEqual({ generation: 3, aggregates: [] });
  });

  it('refuses a stale generation with 409 placement.concurrent_update, writing nothing', async () => {
    const rp = provider();
    const r = await p.request('PUT', aggs(rp), { version: 'latest', body: { aggregates: [randomUUID()], resource_provider_generation: 3 } });
    expectError(r, 409, "Resource provider's generation already changed", 'placement.concurrent_update');
    expect(p.engine.getAggregates(rp)).toEqual({ generation: 0, aggregates: [] });
    const old = await p.request('PUT', aggs(rp), { version: '1.22', body: { aggregates: [], resource_provider_generation: 3 } });
    expect(expectError(old, 409)).not.toHaveProperty('code');
  });

  it.each([
    ['a bare list', [], "[] is not of type 'object'"],
    ['no generation', { aggregates: [] }, "'resource_provider_generation' is a required property"],
    ['no aggregates', { resource_provider_generation: 0 }, "'aggregates' is a required property"],
    ['an extra field', { aggregates: [], resource_provider_generation: 0, x: 1 }, 'Additional properties are not allowed'],
    ['a non-uuid', { aggregates: ['x'], resource_provider_generation: 0 }, "'x' is not a 'uuid'"],
    ['a string generation', { aggregates: [], resource_provider_generation: '0' }, "'0' is not of type 'integer'"],
    [
      'a repeated uuid',
      { aggregates: ['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'], resource_provider_generation: 0 },
      "['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'] has non-unique elements",
    ],
  ])('refuses %s with 400, writing nothing', async (_what, body, message) => {
    const rp = provider();
    const e = expectError(await p.request('PUT', aggs(rp), { version: 'latest', body }), 400, 'JSON does not validate', 'placement.undefined_code');
    expect(e.detail).toContain(message);
    expect(p.engine.getAggregates(rp)).toEqual({ generation: 0, aggregates: [] });
  });

  it('checks the media type, then policy, then the provider, then the body', async () => {
    const missing = randomUUID();
    expectError(await p.request('PUT', aggs(missing), { version: 'latest', raw: '[]', headers: { 'content-type': 'text/plain' }, token: 'nobody' }), 415);
    expectError(await p.request('PUT', aggs(missing), { version: 'latest', raw: '{', token: 'nobody' }), 403, 'placement:resource_providers:aggregates:update');
    expectError(await p.request('PUT', aggs(missing), { version: 'latest', raw: '{' }), 404);
    const rp = provider();
    expectError(await p.request('PUT', aggs(rp), { version: 'latest', raw: '{' }), 400, 'Malformed JSON');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expectError(
      await p.request('PUT', aggs(rp), { version: 'latest', token: 'r', headers: reader, body: { aggregates: [], resource_provider_generation: 0 } }),
      403,
    );
    expect(p.engine.getAggregates(rp)).toEqual({ generation: 0, aggregates: [] });
  });

  it('answers 405 with Allow for other methods', async () => {
    const r = await p.request('DELETE', aggs(provider()), { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET, PUT');
  });
});
