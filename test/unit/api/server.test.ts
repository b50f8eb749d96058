import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DurablePlacement } from '../../../src/store/durable-placement.js';
import type { HttpAnswer, TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';

let p: TestPlacement;
beforeAll(async () => {
  p = await startTestPlacement();
});
afterAll(() => p.close());

describe('version discovery and negotiation', () => {
  it('serves the version document at / without a token', async () => {
    const r = await p.request('GET', '/', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      versions: [{ id: 'v1.0', max_version: '1.39', min_version: '1.0', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }],
    });
  });

  it('answers with the negotiated version and Vary', async () => {
    const r = await p.request('GET', '/resource_providers', { version: '1.20' });
    expect(r.status).toBe(200);
    expect(r.headers.get('openstack-api-version')).toBe('placement 1.20');
    expect(r.headers.get('vary')).toBe('openstack-api-version');
    const latest = await p.request('GET', '/resource_providers', { version: 'latest' });
    expect(latest.headers.get('openstack-api-version')).toBe('placement 1.39');
    const none = await p.request('GET', '/resource_providers');
    expect(none.headers.get('openstack-api-version')).toBe('placement 1.0');
  });

  it('refuses versions it does not serve with 406 and malformed ones with 400', async () => {
    expect((await p.request('GET', '/resource_providers', { version: '1.40' })).status).toBe(406);
    expect((await p.request('GET', '/resource_providers', { version: '2.0' })).status).toBe(406);
    expect((await p.request('GET', '/resource_providers', { version: '1.x' })).status).toBe(400);
  });

  it('needs a token everywhere but / and answers 401 with an error body', async () => {
    const r = await p.request('GET', '/resource_providers', { token: null });
    expect(r.status).toBe(401);
    // noauth2's own body, not Placement's error format, and no version headers.
    expect(r.body).toMatchObject({ code: '401 Unauthorized', title: 'Unauthorized' });
    expect(r.headers.get('openstack-api-version')).toBeNull();
  });

  it('gives every answer a request id', async () => {
    const r = await p.request('GET', '/resource_providers');
    expect(r.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('answers 404 for unknown paths and 405 with Allow for known paths', async () => {
    expect((await p.request('GET', '/nope', { version: 'latest' })).status).toBe(404);
    const r = await p.request('PATCH', '/resource_providers', { version: 'latest' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST');
  });

  it('shows error codes from 1.23 only', async () => {
    const missing = '/resource_providers/00000000-0000-4000-8000-000000000009';
    const old = await p.request('GET', missing, { version: '1.22' });
    expect(old.status).toBe(404);
    expect((old.body as { errors: Record<string, unknown>[] }).errors[0]).not.toHaveProperty('code');
    const current = await p.request('GET', missing, { version: '1.23' });
    expect((current.body as { errors: Record<string, unknown>[] }).errors[0]).toMatchObject({ code: 'placement.undefined_code' });
  });

  it('refuses malformed JSON, a wrong content type and an oversized body, writing nothing', async () => {
    expect((await p.request('POST', '/resource_providers', { raw: '{"name": ' })).status).toBe(400);
    expect((await p.request('POST', '/resource_providers', { raw: '{"name":"x"}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
    expect((await p.request('POST', '/resource_providers', { raw: big })).status).toBe(413);
    expect(p.engine.listProviders()).toEqual([]);
  });

  it('negotiates the version at / as on any path, with no token needed', async () => {
    const none = await p.request('GET', '/', { token: null });
    expect(none.headers.get('openstack-api-version')).toBe('placement 1.0');
    expect(none.headers.get('vary')).toBe('openstack-api-version');
    expect(none.headers.get('cache-control')).toBeNull();
    const v15 = await p.request('GET', '/', { token: null, version: '1.15' });
    expect(v15.headers.get('cache-control')).toBe('no-cache');
    expect(v15.headers.get('last-modified')).not.toBeNull();
    for (const v of ['0.5', '1.40', '2.0']) {
      const r = await p.request('GET', '/', { token: null, version: v });
      expect(r.status).toBe(406);
      expect((r.body as { errors: Record<string, unknown>[] }).errors[0]).toMatchObject({ max_version: '1.39', min_version: '1.0' });
    }
    for (const v of ['pony.horse', '1.a']) expect((await p.request('GET', '/', { token: null, version: v })).status).toBe(400);
    // Other methods: 405 with Allow, token or not.
    for (const token of [null, 'admin']) {
      const r = await p.request('POST', '/', { token, version: '1.30', raw: '' });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET');
      expect(r.headers.get('openstack-api-version')).toBe('placement 1.30');
    }
    expect((await p.request('GET', '/', { token: null, headers: { accept: 'text/html' } })).status).toBe(406);
  });

  it('puts the version header, but not Vary, on errors raised past the handlers', async () => {
    const missing = await p.request('GET', '/nope', { version: '1.30' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('openstack-api-version')).toBe('placement 1.30');
    expect(missing.headers.get('vary')).toBeNull();
    expect((missing.body as { errors: Record<string, unknown>[] }).errors[0]).toMatchObject({ code: 'placement.undefined_code' });
    // A 405 comes back as a response, with Vary; a policy refusal is raised, without.
    const notAllowed = await p.request('PATCH', '/resource_providers', { version: '1.30' });
    expect(notAllowed.headers.get('openstack-api-version')).toBe('placement 1.30');
    expect(notAllowed.headers.get('vary')).toBe('openstack-api-version');
    const forbidden = await p.request('GET', '/resource_providers', { version: '1.30', token: 'someone' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('vary')).toBeNull();
    // The version is settled before the body's content type is looked at.
    const untyped = { raw: '{}', headers: { 'content-type': '' } };
    expect((await p.request('POST', '/resource_providers', { version: '1.40', ...untyped })).status).toBe(406);
    const typeless = await p.request('POST', '/resource_providers', { version: '1.30', ...untyped });
    expect(typeless.status).toBe(400);
    expect(typeless.headers.get('openstack-api-version')).toBe('placement 1.30');
  });

  it('skips a placement entry without a version in the version header', async () => {
    const r = await p.request('GET', '/resource_providers', { headers: { 'openstack-api-version': 'placement 1.5, placement' } });
    expect(r.headers.get('openstack-api-version')).toBe('placement 1.5');
  });

  it('serves a health endpoint', async () => {
    const r = await p.request('GET', '/healthcheck', { token: null });
    expect(r.status).toBe(200);
    expect(r.text).toBe('OK');
  });
});

describe('resource providers', () => {
  it('creates with 201 and a location before 1.20, with 200 and the provider from 1.20', async () => {
    const old = await p.request('POST', '/resource_providers', { version: '1.19', body: { name: 'rp-old' } });
    expect(old.status).toBe(201);
    expect(old.text).toBe('');
    expect(old.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/resource_providers\/[0-9a-f-]{36}$/);
    const now = await p.request('POST', '/resource_providers', { version: '1.20', body: { name: 'rp-new' } });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ name: 'rp-new', generation: 0, parent_provider_uuid: null });
  });

  it('shows parent and root from 1.14 and the last-modified headers from 1.15', async () => {
    const created = await p.request('POST', '/resource_providers', { version: 'latest', body: { name: 'rp-show' } });
    const uuid = (created.body as { uuid: string }).uuid;
    const v13 = await p.request('GET', `/resource_providers/${uuid}`, { version: '1.13' });
    expect(v13.body).not.toHaveProperty('root_provider_uuid');
    expect(v13.headers.get('last-modified')).toBeNull();
    const v15 = await p.request('GET', `/resource_providers/${uuid}`, { version: '1.15' });
    expect(v15.body).toMatchObject({ root_provider_uuid: uuid });
    expect(v15.headers.get('cache-control')).toBe('no-cache');
    expect(v15.headers.get('last-modified')).not.toBeNull();
  });

  it('validates bodies against the schema of the version', async () => {
    const r = await p.request('POST', '/resource_providers', { version: '1.13', body: { name: 'x', parent_provider_uuid: null } });
    expect(r.status).toBe(400);
    const unknown = await p.request('POST', '/resource_providers', { version: 'latest', body: { name: 'x', colour: 'blue' } });
    expect(unknown.status).toBe(400);
  });

  it('refuses re-parenting before 1.37 and allows it from 1.37', async () => {
    const mk = async (name: string, parent?: string): Promise<string> => {
      const body: Record<string, unknown> = { name };
      if (parent !== undefined) body['parent_provider_uuid'] = parent;
      const r = await p.request('POST', '/resource_providers', { version: 'latest', body });
      return (r.body as { uuid: string }).uuid;
    };
    const a = await mk('tree-a');
    const b = await mk('tree-b');
    const child = await mk('tree-child', a);
    const refused = await p.request('PUT', `/resource_providers/${child}`, { version: '1.36', body: { name: 'tree-child', parent_provider_uuid: b } });
    expect(refused.status).toBe(400);
    const moved = await p.request('PUT', `/resource_providers/${child}`, { version: '1.37', body: { name: 'tree-child', parent_provider_uuid: b } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ parent_provider_uuid: b, root_provider_uuid: b });
  });

  it('maps engine errors to Placement status and code', async () => {
    await p.request('POST', '/resource_providers', { version: 'latest', body: { name: 'dup' } });
    const dup = await p.request('POST', '/resource_providers', { version: 'latest', body: { name: 'dup' } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ errors: [{ code: 'placement.duplicate_name' }] });
  });
});

describe('query rules shared by the list endpoints', () => {
  it('refuses a repeated member_of before 1.24 and ANDs it from 1.24', async () => {
    const a = '00000000-0000-4000-8000-00000000aaa1';
    const b = '00000000-0000-4000-8000-00000000aaa2';
    const q = `/resource_providers?member_of=${a}&member_of=${b}`;
    const old = await p.request('GET', q, { version: '1.23' });
    expect(old.status).toBe(400);
    expect((old.body as { errors: { detail: string }[] }).errors[0]?.detail).toContain('Multiple member_of parameters are not supported');
    expect((await p.request('GET', q, { version: '1.24' })).status).toBe(200);
  });

  it('keeps a request group suffix named __proto__ in the mappings', async () => {
    const rp = (await p.request('POST', '/resource_providers', { version: 'latest', body: { name: 'proto-host' } })).body as { uuid: string };
    p.engine.setInventories(rp.uuid, 0, { VCPU: { total: 4 } });
    const r = await p.request('GET', '/allocation_candidates?resources__proto__=VCPU:1&in_tree__proto__=' + rp.uuid, { version: 'latest' });
    expect(r.status).toBe(200);
    const first = (r.body as { allocation_requests: { mappings: Record<string, string[]> }[] }).allocation_requests[0];
    expect(Object.prototype.hasOwnProperty.call(first?.mappings, '__proto__')).toBe(true);
  });
});

describe('graceful close', () => {
  it('answers a request still uploading its body before close() resolves', async () => {
    const q = await startTestPlacement();
    const { request } = await import('node:http');
    const url = new URL(q.base);
    const body = JSON.stringify({ name: 'late-node' });
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/resource_providers', method: 'POST', headers: { 'x-auth-token': 'admin', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'openstack-api-version': 'placement 1.20' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest after close() has begun.
      req.write(body.slice(0, 5));
      setTimeout(() => {
        closing = q.close();
        setTimeout(() => req.end(body.slice(5)), 50);
      }, 50);
    });
    let closing: Promise<void> | undefined;
    expect(await answer).toBe(200);
    await closing;
    expect(q.engine.listProviders().map((p) => p.name)).toEqual(['late-node']);
  });
});

/** Writes `bytes` on one connection and reads until the server closes it. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });
}

/** Splits a stream of answers with Content-Length bodies. */
function answers(text: string): { status: number; head: string; body: string }[] {
  const out = [];
  let rest = text;
  while (rest !== '') {
    const end = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const body = head.startsWith('HEAD') ? '' : rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(head.split(' ')[1]), head, body });
    rest = rest.slice(end + 4 + body.length);
  }
  return out;
}

describe('the HTTP layer under the API', () => {
  const admin = 'x-auth-token: admin\r\nopenstack-api-version: placement latest\r\n';

  it('reports its address and connections', () => {
    expect(p.server.address()?.port).toBe(Number(new URL(p.base).port));
    expect(p.server.http.connectionCount).toBeGreaterThanOrEqual(0);
  });

  it('answers pipelined requests in order on one connection, a chunked body included', async () => {
    const port = Number(new URL(p.base).port);
    const text = await rawExchange(
      port,
      `POST /resource_providers HTTP/1.1\r\nHost: h\r\n${admin}content-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8;ext\r\n{"name":\r\nF\r\n"pipe-chunked"}\r\n0\r\n\r\n` +
        `GET /resource_providers?name=pipe-chunked HTTP/1.1\r\nHost: h\r\n${admin}\r\n` +
        `HEAD /healthcheck HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
    );
    const [created, listed, health] = answers(text);
    expect(created?.status).toBe(200);
    expect(JSON.parse(created?.body ?? '')).toMatchObject({ name: 'pipe-chunked' });
    expect(JSON.parse(listed?.body ?? '')).toMatchObject({ resource_providers: [{ name: 'pipe-chunked' }] });
    expect(health?.status).toBe(200);
    expect(health?.head).toMatch(/content-length: 2\r\n/);
    expect(health?.head).toMatch(/Connection: close$/);
  });

  it('answers an oversized body with Placement’s 413 without reading it, then closes', async () => {
    const q = await startTestPlacement({ maxBodyBytes: 100 });
    try {
      const text = await rawExchange(
        Number(new URL(q.base).port),
        `POST /resource_providers HTTP/1.1\r\nHost: h\r\n${admin}content-type: application/json\r\ncontent-length: 1000000\r\n\r\n{"name": "x`,
      );
      const [answer, ...more] = answers(text);
      expect(more).toEqual([]);
      expect(answer?.status).toBe(413);
      expect(answer?.head).toMatch(/Connection: close/);
      expect(JSON.parse(answer?.body ?? '')).toMatchObject({ errors: [{ status: 413, title: 'Payload Too Large' }] });
      expect(q.engine.listProviders()).toEqual([]);
    } finally {
      await q.close();
    }
  });
});

describe('answers held until the writes they show are durable', () => {
  it('sends nothing before the store calls back, and a 500 when it cannot make them durable', async () => {
    const held: ((error?: Error) => void)[] = [];
    const q = await startTestPlacement({ durability: { afterDurable: (callback) => held.push(callback) } });
    try {
      let answered = false;
      const pending = q.request('POST', '/resource_providers', { version: 'latest', body: { name: 'held' } }).then((r) => ((answered = true), r));
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(answered).toBe(false);
      held.shift()?.();
      expect((await pending).status).toBe(200);
      const failing = q.request('GET', '/resource_providers', { version: 'latest' });
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      held.shift()?.(Object.assign(new Error('journal sync failed'), { code: 'ERR_JOURNAL_WRITE' }));
      const r = await failing;
      expect(r.status).toBe(500);
      expect((r.body as { errors: Record<string, unknown>[] }).errors[0]).toMatchObject({ status: 500, code: 'placement.undefined_code' });
      expect(r.text).not.toContain('journal sync failed');
    } finally {
      held.splice(0).forEach((cb) => cb());
      await q.close();
    }
  });
});

describe('a journal with group commit behind the server', () => {
  it('holds a read that shows an unsynced write until the fsync that covers it is done', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstack-gc-'));
    const durable = DurablePlacement.open(path.join(dir, 'j'), { groupCommit: true });
    const pendingFsyncs: (() => void)[] = [];
    const real = fs.fsync;
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      pendingFsyncs.push(() => real(fd, cb));
    }) as typeof fs.fsync);
    const q = await startTestPlacement({ engine: durable.engine, durability: durable });
    try {
      const order: string[] = [];
      const track = (what: string, p: Promise<HttpAnswer>): Promise<HttpAnswer> => p.then((r) => (order.push(what), r));
      const wait = async (): Promise<void> => {
        while (pendingFsyncs.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      const first = track('first', q.request('POST', '/resource_providers', { version: 'latest', body: { name: 'first' } }));
      await wait();
      // The provider is in the engine, but no answer may show it yet: not even a read's.
      expect(durable.engine.listProviders().map((p) => p.name)).toEqual(['first']);
      const read = track('read', q.request('GET', '/resource_providers', { version: 'latest' }));
      // Answers are held, not the handlers: the read is computed as soon as it arrives.
      await new Promise((resolve) => setTimeout(resolve, 30));
      // A write made while that fsync runs needs the next one.
      const second = track('second', q.request('POST', '/resource_providers', { version: 'latest', body: { name: 'second' } }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(order).toEqual([]);
      pendingFsyncs.shift()?.();
      expect((await first).status).toBe(200);
      const shown = (await read).body as { resource_providers: { name: string }[] };
      expect(shown.resource_providers.map((p) => p.name)).toEqual(['first']);
      await wait();
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(order).toEqual(['first', 'read']);
      pendingFsyncs.shift()?.();
      expect((await second).status).toBe(200);
    } finally {
      vi.restoreAllMocks();
      pendingFsyncs.splice(0).forEach((f) => f());
      await q.close();
      durable.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
