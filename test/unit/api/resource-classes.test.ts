import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, placementForFile } from '../../support/placement-http.js';

const p = placementForFile();

let counter = 0;
function rc(): string {
  const name = `CUSTOM_RC_${++counter}`;
  p.engine.createResourceClass(name);
  return name;
}
const fresh = (): string => `CUSTOM_FRESH_${++counter}`;

function stock(name: string): string {
  const rp = p.engine.createProvider({ name: `rc-rp-${++counter}` }).uuid;
  p.engine.setInventories(rp, 0, { [name]: { total: 4 } });
  return rp;
}

const rcJson = (name: string): unknown => ({ name, links: [{ rel: 'self', href: `/resource_classes/${name}` }] });

describe('resource class routes before 1.2', () => {
  it('do not exist at 1.1', async () => {
    for (const [method, path] of [
      ['GET', '/resource_classes'],
      ['POST', '/resource_classes'],
      ['GET', '/resource_classes/VCPU'],
      ['PUT', '/resource_classes/CUSTOM_X'],
      ['DELETE', '/resource_classes/CUSTOM_X'],
    ] as const) {
      const body = method === 'GET' ? undefined : { name: 'CUSTOM_X' };
      expectError(await p.request(method, path, { version: '1.1', body }), 404);
    }
    expect(p.engine.hasResourceClass('CUSTOM_X')).toBe(false);
  });
});

describe('GET /resource_classes', () => {
  it('lists standard and custom classes with self links, last-modified from 1.15', async () => {
    const name = rc();
    const r = await p.request('GET', '/resource_classes', { version: '1.15' });
    expect(r.status).toBe(200);
    const list = (r.body as { resource_classes: unknown[] }).resource_classes;
    expect(list).toContainEqual(rcJson('VCPU'));
    expect(list).toContainEqual(rcJson(name));
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect((await p.request('GET', '/resource_classes', { version: '1.2' })).headers.get('last-modified')).toBeNull();
  });

  it('ignores query parameters', async () => {
    expect((await p.request('GET', '/resource_classes?foo=1', { version: 'latest' })).status).toBe(200);
  });

  it('answers 405 with Allow: GET, POST', async () => {
    const r = await p.request('PUT', '/resource_classes', { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET, POST');
  });
});

describe('GET /resource_classes/{name}', () => {
  it('shows one class, last-modified from 1.15', async () => {
    const name = rc();
    const r = await p.request('GET', `/resource_classes/${name}`, { version: '1.15' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(rcJson(name));
    expect(r.headers.get('last-modified')).not.toBeNull();
    expect((await p.request('GET', '/resource_classes/VCPU', { version: '1.2' })).body).toEqual(rcJson('VCPU'));
  });

  it('answers 404 for an unknown class', async () => {
    expectError(await p.request('GET', '/resource_classes/CUSTOM_NONE', { version: 'latest' }), 404, 'No such resource class CUSTOM_NONE.', 'placement.undefined_code');
  });

  it('needs a reader', async () => {
    expectError(await p.request('GET', '/resource_classes/VCPU', { version: 'latest', token: 'nobody' }), 403, 'placement:resource_classes:show');
    expectError(await p.request('GET', '/resource_classes', { version: 'latest', token: 'nobody' }), 403, 'placement:resource_classes:list');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expect((await p.request('GET', '/resource_classes/VCPU', { version: 'latest', token: 'r', headers: reader })).status).toBe(200);
  });
});

describe('POST /resource_classes', () => {
  it('creates with 201, an absolute Location and no body or last-modified', async () => {
    const name = fresh();
    const r = await p.request('POST', '/resource_classes', { version: '1.15', body: { name } });
    expect(r.status).toBe(201);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('location')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/resource_classes/${name}$`));
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('refuses a duplicate with 409', async () => {
    const name = rc();
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', body: { name } }), 409, `Conflicting resource class already exists: ${name}`, 'placement.undefined_code');
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', body: { name: 'VCPU' } }), 400, 'JSON does not validate');
  });

  it.each([
    ['no name', {}, "'name' is a required property"],
    ['a standard-looking name', { name: 'VCPU2' }, "'VCPU2' does not match '^CUSTOM_[A-Z0-9_]+$'"],
    ['a lower-case name', { name: 'CUSTOM_abc' }, "'CUSTOM_abc' does not match '^CUSTOM_[A-Z0-9_]+$'"],
    ['a numeric name', { name: 5 }, "5 is not of type 'string'"],
    ['a long name', { name: `CUSTOM_${'A'.repeat(249)}` }, `'CUSTOM_${'A'.repeat(249)}' is too long`],
    ['an extra field', { name: 'CUSTOM_OK', x: 1 }, 'Additional properties are not allowed'],
    ['a list', ['CUSTOM_OK'], "['CUSTOM_OK'] is not of type 'object'"],
  ])('refuses %s with 400, creating nothing', async (_what, body, message) => {
    const before = p.engine.listResourceClasses().length;
    const e = expectError(await p.request('POST', '/resource_classes', { version: 'latest', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.listResourceClasses().length).toBe(before);
  });

  it('checks the media type, then policy, then the body', async () => {
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', raw: '{', headers: { 'content-type': 'text/plain' }, token: 'nobody' }), 415);
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', raw: '{', token: 'nobody' }), 403, 'placement:resource_classes:create');
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', raw: '{' }), 400, 'Malformed JSON');
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expectError(await p.request('POST', '/resource_classes', { version: 'latest', token: 'r', headers: reader, body: { name: 'CUSTOM_BY_READER' } }), 403);
    expect(p.engine.hasResourceClass('CUSTOM_BY_READER')).toBe(false);
  });
});

describe('PUT /resource_classes/{name} at 1.2–1.6 (rename)', () => {
  it('renames an unused custom class and answers the new class', async () => {
    const name = rc();
    const next = fresh();
    const r = await p.request('PUT', `/resource_classes/${name}`, { version: '1.6', body: { name: next } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(rcJson(next));
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.hasResourceClass(name)).toBe(false);
    expect(p.engine.hasResourceClass(next)).toBe(true);
  });

  it('answers 200 for a rename to the same name', async () => {
    const name = rc();
    const r = await p.request('PUT', `/resource_classes/${name}`, { version: '1.2', body: { name } });
    expect(r.status).toBe(200);
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('refuses a standard class (400), an unknown one (404) and an existing target (409)', async () => {
    expectError(await p.request('PUT', '/resource_classes/VCPU', { version: '1.2', body: { name: fresh() } }), 400, 'Cannot update standard resource class VCPU');
    expectError(await p.request('PUT', '/resource_classes/CUSTOM_UNKNOWN', { version: '1.2', body: { name: fresh() } }), 404, 'No such resource class CUSTOM_UNKNOWN');
    const a = rc();
    const b = rc();
    expectError(await p.request('PUT', `/resource_classes/${a}`, { version: '1.2', body: { name: b } }), 409, `Resource class already exists: ${b}`);
    expect(p.engine.hasResourceClass(a) && p.engine.hasResourceClass(b)).toBe(true);
  });

  it('renames a class that has inventory in place: the inventory follows the new name', async () => {
    const name = rc();
    const rp = stock(name);
    const next = fresh();
    const r = await p.request('PUT', `/resource_classes/${name}`, { version: '1.2', body: { name: next } });
    expect(r.status).toBe(200);
    expect(p.engine.hasResourceClass(name)).toBe(false);
    expect(p.engine.getInventories(rp).inventories[next]?.total).toBe(4);
    const summaries = p.engine.getAllocationCandidates({ groups: [{ suffix: '', resources: { [next]: 1 } }] }).providerSummaries;
    expect(Object.keys(summaries[rp]?.resources ?? {})).toEqual([next]);
  });

  it.each([
    ['no name', {}, "'name' is a required property"],
    ['a standard target', { name: 'VCPU' }, "'VCPU' does not match '^CUSTOM_[A-Z0-9_]+$'"],
    ['an extra field', { name: 'CUSTOM_OK', x: 1 }, 'Additional properties are not allowed'],
  ])('refuses %s with 400', async (_what, body, message) => {
    const name = rc();
    const e = expectError(await p.request('PUT', `/resource_classes/${name}`, { version: '1.6', body }), 400, 'JSON does not validate');
    expect(e.detail).toContain(message);
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('checks the media type, policy, then the body before the class', async () => {
    expectError(
      await p.request('PUT', '/resource_classes/CUSTOM_UNKNOWN', { version: '1.6', raw: '{', headers: { 'content-type': 'text/plain' }, token: 'nobody' }),
      415,
    );
    expectError(await p.request('PUT', '/resource_classes/CUSTOM_UNKNOWN', { version: '1.6', raw: '{', token: 'nobody' }), 403, 'placement:resource_classes:update');
    expectError(await p.request('PUT', '/resource_classes/CUSTOM_UNKNOWN', { version: '1.6', raw: '{' }), 400, 'Malformed JSON');
    expectError(await p.request('PUT', '/resource_classes/CUSTOM_UNKNOWN', { version: '1.6', body: { name: 'CUSTOM_Z' } }), 404);
  });
});

describe('PUT /resource_classes/{name} from 1.7 (create or confirm)', () => {
  it('creates with 201 and confirms with 204, both with Location and no body or last-modified', async () => {
    const name = fresh();
    const created = await p.request('PUT', `/resource_classes/${name}`, { version: '1.15' });
    expect(created.status).toBe(201);
    expect(created.text).toBe('');
    expect(created.headers.get('location')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/resource_classes/${name}$`));
    expect(created.headers.get('last-modified')).toBeNull();
    const again = await p.request('PUT', `/resource_classes/${name}`, { version: '1.7' });
    expect(again.status).toBe(204);
    expect(again.headers.get('location')).toMatch(new RegExp(`/resource_classes/${name}$`));
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('ignores the body: no rename, no 415', async () => {
    const name = fresh();
    const r = await p.request('PUT', `/resource_classes/${name}`, { version: '1.7', raw: 'not json', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(201);
    const other = fresh();
    const again = await p.request('PUT', `/resource_classes/${name}`, { version: 'latest', body: { name: other } });
    expect(again.status).toBe(204);
    expect(p.engine.hasResourceClass(other)).toBe(false);
  });

  it.each([['VCPU'], ['CUSTOM_lower'], ['CUSTOM_'], [`CUSTOM_${'A'.repeat(249)}`]])('refuses the path name %s with 400', async (name) => {
    expectError(await p.request('PUT', `/resource_classes/${name}`, { version: 'latest' }), 400, 'JSON does not validate', 'placement.undefined_code');
  });

  it('needs the admin role', async () => {
    const name = fresh();
    expectError(await p.request('PUT', `/resource_classes/${name}`, { version: 'latest', token: 'nobody' }), 403, 'placement:resource_classes:update');
    expect(p.engine.hasResourceClass(name)).toBe(false);
  });
});

describe('DELETE /resource_classes/{name}', () => {
  it('removes an unused custom class, no body, no last-modified', async () => {
    const name = rc();
    const r = await p.request('DELETE', `/resource_classes/${name}`, { version: '1.15' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('last-modified')).toBeNull();
    expect(p.engine.hasResourceClass(name)).toBe(false);
    expectError(await p.request('GET', `/resource_classes/${name}`, { version: 'latest' }), 404);
  });

  it('answers 404 unknown, 400 standard, 409 in use by inventory', async () => {
    expectError(await p.request('DELETE', '/resource_classes/CUSTOM_NOT_HERE', { version: 'latest' }), 404, 'No such resource class CUSTOM_NOT_HERE');
    expectError(
      await p.request('DELETE', '/resource_classes/VCPU', { version: 'latest' }),
      400,
      'Error in delete resource class: Cannot delete standard resource class VCPU.',
      'placement.undefined_code',
    );
    expect(p.engine.hasResourceClass('VCPU')).toBe(true);
    const name = rc();
    stock(name);
    expectError(await p.request('DELETE', `/resource_classes/${name}`, { version: 'latest' }), 409, 'Error in delete resource class', 'placement.undefined_code');
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('needs the admin role', async () => {
    const name = rc();
    const reader = { 'x-roles': 'reader', 'openstack-system-scope': 'all' };
    expectError(await p.request('DELETE', `/resource_classes/${name}`, { version: 'latest', token: 'r', headers: reader }), 403, 'placement:resource_classes:delete');
    expect(p.engine.hasResourceClass(name)).toBe(true);
  });

  it('answers 405 with Allow: GET, PUT, DELETE', async () => {
    const r = await p.request('POST', `/resource_classes/${randomUUID()}`, { version: 'latest' });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe('GET, PUT, DELETE');
  });
});
