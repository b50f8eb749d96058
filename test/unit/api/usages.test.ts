import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlacement } from '../../support/placement-http.js';
import { expectError, startTestPlacement } from '../../support/placement-http.js';

let p: TestPlacement;
let rp: string;
let other: string;
beforeAll(async () => {
  p = await startTestPlacement();
  rp = p.engine.createProvider({ name: 'usage-rp' }).uuid;
  other = p.engine.createProvider({ name: 'usage-rp-2' }).uuid;
  p.engine.setInventories(rp, 0, { VCPU: { total: 32 }, MEMORY_MB: { total: 65536 }, DISK_GB: { total: 1000 } });
  p.engine.setInventories(other, 0, { VCPU: { total: 32 } });
  const alloc = (project: string, user: string, resources: Record<string, number>, consumerType?: string, on = rp): void => {
    const write = { consumerUuid: randomUUID(), allocations: { [on]: resources }, projectId: project, userId: user };
    p.engine.setAllocations(consumerType === undefined ? write : { ...write, consumerType });
  };
  alloc('proj-a', 'alice', { VCPU: 2, MEMORY_MB: 1024 }, 'INSTANCE');
  alloc('proj-a', 'alice', { VCPU: 4 }, 'INSTANCE', other);
  alloc('proj-a', 'bob', { VCPU: 1, MEMORY_MB: 512 }, 'MIGRATION');
  alloc('proj-a', 'bob', { VCPU: 1 });
  alloc('proj-b', 'carol', { VCPU: 8 }, 'INSTANCE');
});
afterAll(() => p.close());

describe('GET /resource_providers/{uuid}/usages', () => {
  it('shows the usage of every stocked class, zero included, from 1.0', async () => {
    const r = await p.request('GET', `/resource_providers/${rp}/usages`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      resource_provider_generation: p.engine.getProviderUsages(rp).generation,
      usages: { VCPU: 12, MEMORY_MB: 1536, DISK_GB: 0 },
    });
    expect(r.headers.get('openstack-api-version')).toBe('placement 1.0');
    expect(r.headers.get('last-modified')).toBeNull();
  });

  it('shows an empty map for a provider without inventory, last-modified from 1.15, query ignored', async () => {
    const bare = p.engine.createProvider({ name: 'usage-bare' }).uuid;
    const r = await p.request('GET', `/resource_providers/${bare}/usages?anything=1`, { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ resource_provider_generation: 0, usages: {} });
    expect(Number.isNaN(Date.parse(r.headers.get('last-modified') ?? ''))).toBe(false);
    expect(r.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 for an unknown provider', async () => {
    expectError(await p.request('GET', `/resource_providers/${randomUUID()}/usages`, { version: 'latest' }), 404, 'No resource provider', 'placement.undefined_code');
  });

  it('needs a reader', async () => {
    expectError(await p.request('GET', `/resource_providers/${rp}/usages`, { version: 'latest', token: 'nobody' }), 403, 'placement:resource_providers:usages');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', `/resource_providers/${rp}/usages`, { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
  });

  it('answers 405 with Allow: GET', async () => {
    const r = await p.request('PUT', `/resource_providers/${rp}/usages`, { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET');
  });
});

describe('GET /usages before 1.38', () => {
  it('does not exist before 1.9', async () => {
    expectError(await p.request('GET', '/usages?project_id=proj-a', { version: '1.8' }), 404);
  });

  it("sums a project's usage across providers", async () => {
    const r = await p.request('GET', '/usages?project_id=proj-a', { version: '1.9' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ usages: { VCPU: 8, MEMORY_MB: 1536 } });
    expect(r.headers.get('last-modified')).toBeNull();
  });

  it("narrows to a user, and answers {} for a project without usage, last-modified from 1.15", async () => {
    const r = await p.request('GET', '/usages?project_id=proj-a&user_id=bob', { version: '1.15' });
    expect(r.body).toEqual({ usages: { VCPU: 2, MEMORY_MB: 512 } });
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const none = await p.request('GET', '/usages?project_id=proj-z', { version: '1.37' });
    expect(none.body).toEqual({ usages: {} });
  });

  it('uses the last of repeated parameters', async () => {
    const r = await p.request('GET', '/usages?project_id=proj-z&project_id=proj-b', { version: '1.9' });
    expect(r.body).toEqual({ usages: { VCPU: 8 } });
  });

  it.each([
    ['no project_id', '', "'project_id' is a required property"],
    ['an empty project_id', '?project_id=', 'too short'],
    ['a long project_id', `?project_id=${'p'.repeat(256)}`, 'too long'],
    ['an empty user_id', '?project_id=proj-a&user_id=', 'too short'],
    ['an unknown parameter', '?project_id=proj-a&foo=1', 'Additional properties are not allowed'],
    ['consumer_type before 1.38', '?project_id=proj-a&consumer_type=INSTANCE', 'Additional properties are not allowed'],
  ])('refuses %s with 400', async (_what, query, message) => {
    const e = expectError(await p.request('GET', `/usages${query}`, { version: '1.37' }), 400, 'Invalid query string parameters', 'placement.undefined_code');
    expect(e.detail).toContain(message);
  });
});

describe('GET /usages from 1.38', () => {
  it('groups by consumer type, with a distinct consumer count; untyped consumers are unknown', async () => {
    const r = await p.request('GET', '/usages?project_id=proj-a', { version: '1.38' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      usages: {
        INSTANCE: { VCPU: 6, MEMORY_MB: 1024, consumer_count: 2 },
        MIGRATION: { VCPU: 1, MEMORY_MB: 512, consumer_count: 1 },
        unknown: { VCPU: 1, consumer_count: 1 },
      },
    });
  });

  it('filters by one type, by unknown, and puts everything under all', async () => {
    const one = await p.request('GET', '/usages?project_id=proj-a&consumer_type=MIGRATION', { version: 'latest' });
    expect(one.body).toEqual({ usages: { MIGRATION: { VCPU: 1, MEMORY_MB: 512, consumer_count: 1 } } });
    const unknown = await p.request('GET', '/usages?project_id=proj-a&consumer_type=unknown', { version: 'latest' });
    expect(unknown.body).toEqual({ usages: { unknown: { VCPU: 1, consumer_count: 1 } } });
    const all = await p.request('GET', '/usages?project_id=proj-a&consumer_type=all', { version: 'latest' });
    expect(all.body).toEqual({ usages: { all: { VCPU: 8, MEMORY_MB: 1536, consumer_count: 4 } } });
    const user = await p.request('GET', '/usages?project_id=proj-a&user_id=alice&consumer_type=all', { version: 'latest' });
    expect(user.body).toEqual({ usages: { all: { VCPU: 6, MEMORY_MB: 1024, consumer_count: 2 } } });
  });

  it('answers {} when nothing matches, including the allx quirk of the schema', async () => {
    expect((await p.request('GET', '/usages?project_id=proj-z', { version: 'latest' })).body).toEqual({ usages: {} });
    expect((await p.request('GET', '/usages?project_id=proj-a&consumer_type=NOPE', { version: 'latest' })).body).toEqual({ usages: {} });
    expect((await p.request('GET', '/usages?project_id=proj-a&consumer_type=allx', { version: 'latest' })).body).toEqual({ usages: {} });
  });

  it('refuses a malformed consumer_type', async () => {
    expectError(await p.request('GET', '/usages?project_id=proj-a&consumer_type=instance', { version: 'latest' }), 400, 'Invalid query string parameters');
    expectError(await p.request('GET', '/usages?project_id=proj-a&consumer_type=', { version: 'latest' }), 400, 'Invalid query string parameters');
  });
});

describe('GET /usages policy', () => {
  const projectReader = { 'x-roles': 'reader' };

  it("lets a project reader read its own project's usages only", async () => {
    const own = await p.request('GET', '/usages?project_id=proj-b', { version: 'latest', token: 'carol:proj-b', headers: projectReader });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ usages: { INSTANCE: { VCPU: 8, consumer_count: 1 } } });
    expectError(await p.request('GET', '/usages?project_id=proj-a', { version: 'latest', token: 'carol:proj-b', headers: projectReader }), 403, 'placement:usages');
  });

  it('checks policy before validating the query', async () => {
    expectError(await p.request('GET', '/usages', { version: 'latest', token: 'carol:proj-b', headers: projectReader }), 403);
    expectError(await p.request('GET', '/usages?project_id=proj-b&foo=1', { version: 'latest', token: 'nobody' }), 403);
    expectError(await p.request('GET', '/usages?project_id=proj-b&foo=1', { version: 'latest', token: 'carol:proj-b', headers: projectReader }), 400);
  });

  it('lets a system reader read any project and refuses a caller without roles', async () => {
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', '/usages?project_id=proj-a', { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
    expectError(await p.request('GET', '/usages?project_id=nobody', { version: 'latest', token: 'nobody' }), 403, 'placement:usages');
  });

  it('answers 405 with Allow: GET', async () => {
    const r = await p.request('POST', '/usages', { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET');
  });
});
