/**
 * The placement-http suite's C load client (bench/c/placeload.c, built here with gcc) against the
 * Node client it stands in for: the same requests must build the same world, and failures must be
 * counted, not hidden.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { placeload } from '../../../bench/http-client.js';
import { StaticTokenAuth } from '../../../src/api/auth.js';
import { CPlaceload, placeloadTemplate } from '../../../bench/placeload-c.js';
import { LeanEndpoint } from '../../../bench/placement-http-lean.js';
import { startTestPlacement, type TestPlacement } from '../../support/placement-http.js';

let dir = '';
let client: CPlaceload | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstack-placeload-c-'));
  client = CPlaceload.build(dir, (line) => {
    throw new Error(line);
  });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Each provider as inventories, aggregate count and traits, sorted: the world's shape without its uuids. */
async function worldShape(p: TestPlacement): Promise<string[]> {
  const list = (await p.request('GET', '/resource_providers', { version: 'latest' })).body as { resource_providers: { uuid: string }[] };
  const shapes: string[] = [];
  for (const { uuid } of list.resource_providers) {
    const inv = (await p.request('GET', `/resource_providers/${uuid}/inventories`, { version: 'latest' })).body as { inventories: Record<string, { total: number }> };
    const agg = (await p.request('GET', `/resource_providers/${uuid}/aggregates`, { version: 'latest' })).body as { aggregates: string[] };
    const tr = (await p.request('GET', `/resource_providers/${uuid}/traits`, { version: 'latest' })).body as { traits: string[] };
    const totals = Object.entries(inv.inventories).map(([rc, r]) => `${rc}=${r.total}`).sort();
    shapes.push(JSON.stringify([totals, [...agg.aggregates].sort(), [...tr.traits].sort()]));
  }
  return shapes.sort();
}

describe('bench/c/placeload.c', () => {
  it('writes a template of the four steps of each of the three cycles', () => {
    const lines = placeloadTemplate().trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines.map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual(
      Array.from({ length: 3 }, () => ['POST create', 'PUT inventories', 'PUT aggregates', 'PUT traits']).flat(),
    );
    for (const l of lines) expect(l).toContain('{uuid}');
  });

  it('builds the same world as the Node client, every answer 200, one keep-alive connection per thread', async () => {
    const [viaC, viaNode] = await Promise.all([startTestPlacement(), startTestPlacement()]);
    try {
      const c = await (client as CPlaceload).run('127.0.0.1', (viaC.server.address() as { port: number }).port, 9, 3);
      expect(c.load).toMatchObject({ providers: 9, requests: 36, errorCount: 0, retries: 0, connections: 3, errors: {} });
      expect(c.load.seconds).toBeGreaterThan(0);
      expect(c.cpuSeconds).toBeGreaterThanOrEqual(0);
      const lean = new LeanEndpoint('node', '127.0.0.1', (viaNode.server.address() as { port: number }).port);
      const n = await placeload(lean, 9, 3);
      lean.destroy();
      expect(n.errorCount).toBe(0);
      const shape = await worldShape(viaC);
      expect(shape).toHaveLength(9);
      expect(shape).toEqual(await worldShape(viaNode));
    } finally {
      await Promise.all([viaC.close(), viaNode.close()]);
    }
  });

  it('counts what a server refuses, per step and status, and stops that provider there', async () => {
    // Its token is not "admin": every provider's first request is answered 401.
    const p = await startTestPlacement({ auth: new StaticTokenAuth([{ token: 'not-the-bench-token', roles: ['admin'] }]) });
    const port = (p.server.address() as { port: number }).port;
    try {
      const refused = await (client as CPlaceload).run('127.0.0.1', port, 5, 2);
      expect(refused.load).toMatchObject({ requests: 5, errorCount: 5, retries: 0, errors: { 'POST create 401': 5 } });
      expect(await p.request('GET', '/resource_providers', { token: 'not-the-bench-token' })).toMatchObject({ status: 200, body: { resource_providers: [] } });
    } finally {
      await p.close();
    }
    // A server that cannot be reached at all: failures below HTTP, counted the same way.
    const unreachable = await (client as CPlaceload).run('127.0.0.1', port, 4, 2);
    expect(unreachable.load).toMatchObject({ requests: 4, errorCount: 4, errors: { 'POST create failed': 4 } });
  });
});
