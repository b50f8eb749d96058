import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticTokenAuth } from '../../../src/api/auth.js';
import type { TestPlacement } from '../../support/placement-http.js';
import { placementForFile, startTestPlacement } from '../../support/placement-http.js';

/**
 * Who the caller is, as Placement 8.0's noauth2 middleware and oslo.policy (its defaults) decide:
 * role names compared case-insensitively, a project for every token, the system scope header read
 * exactly. Static tokens carry roles as Keystone's would, implied ones included.
 */
const p = placementForFile();
const usages = (options: { token: string; headers?: Record<string, string> }) => p.request('GET', '/usages?project_id=p1', { version: '1.9', ...options });

describe('noauth2', () => {
  it('compares role names case-insensitively', async () => {
    expect((await p.request('GET', '/resource_providers', { version: 'latest', token: 'foo:p1', headers: { 'x-roles': 'Admin' } })).status).toBe(200);
    expect((await usages({ token: 'foo:p1', headers: { 'x-roles': 'READER' } })).status).toBe(200);
  });

  it('takes the user as the project when the token names none, or an empty one', async () => {
    expect((await usages({ token: 'p1', headers: { 'x-roles': 'reader' } })).status).toBe(200);
    expect((await usages({ token: 'p1:', headers: { 'x-roles': 'reader' } })).status).toBe(200);
  });

  it('makes a system-scoped caller only of OpenStack-System-Scope: all, and drops the project for any value', async () => {
    const read = (scope: string) => p.request('GET', '/resource_providers', { version: 'latest', token: 'foo:p1', headers: { 'x-roles': 'reader', 'openstack-system-scope': scope } });
    expect((await read('all')).status).toBe(200);
    expect((await read('All')).status).toBe(403);
    expect((await usages({ token: 'foo:p1', headers: { 'x-roles': 'reader', 'openstack-system-scope': 'foo' } })).status).toBe(403);
  });
});

describe('static tokens', () => {
  let s: TestPlacement;
  beforeAll(async () => {
    s = await startTestPlacement({
      auth: new StaticTokenAuth([
        { token: 'ops-token', roles: ['Admin'] },
        { token: 'member-token', roles: ['member'], projectId: 'p1' },
      ]),
    });
  });
  afterAll(() => s.close());

  it('gives admin to an Admin role and reader to a member, as Keystone implies roles', async () => {
    expect((await s.request('PUT', '/traits/CUSTOM_X', { version: 'latest', token: 'ops-token' })).status).toBe(201);
    expect((await s.request('GET', '/usages?project_id=p1', { version: '1.9', token: 'member-token' })).status).toBe(200);
    expect((await s.request('GET', '/usages?project_id=p2', { version: '1.9', token: 'member-token' })).status).toBe(403);
  });
});

/** The status of one raw request: fetch would normalise the path before sending it. */
function rawStatus(target: string, token: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(p.base);
    const socket = net.connect(Number(url.port), url.hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m !== null) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    const auth = token === null ? '' : `x-auth-token: ${token}\r\n`;
    socket.write(`GET ${target} HTTP/1.1\r\nhost: h\r\n${auth}openstack-api-version: placement latest\r\n\r\n`);
  });
}

describe('paths as sent', () => {
  it('routes //, dot segments and a trailing slash as Placement does, never with a 500', async () => {
    expect(await rawStatus('//', null)).toBe(401);
    expect(await rawStatus('//', 'admin')).toBe(404);
    expect(await rawStatus('/resource_providers/..', null)).toBe(401);
    expect(await rawStatus('/resource_providers/', 'admin')).toBe(404);
    expect(await rawStatus('/./', 'admin')).toBe(404);
  });
});
