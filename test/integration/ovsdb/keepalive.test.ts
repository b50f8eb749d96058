/**
 * Keepalive and reconnect against a real ovsdb-server: the server probes idle clients with echo
 * after 5 s and drops them 5 s later without an answer, so a client that stays connected through
 * 11 idle seconds answered it. After a server restart the client reconnects by itself, and a
 * request made while it is away waits for the new connection.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { OvsdbClient } from '../../../bindings/ovsdb/index.js';
import { itWithService } from '../../support/services.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');

describe('keepalive and reconnect', () => {
  let ovs: OvsInstance | undefined;
  beforeAll(async () => {
    if (ovsAvailable()) ovs = await startOvs({ portIndex: 3 });
  });
  afterAll(async () => {
    await ovs?.stop();
  });

  it('answers the server echo probes and stays connected while idle', async () => {
    // Our own probes off, so the only traffic is the server's.
    await using c = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs!.tcpPort}`, probeIntervalMs: 0 });
    const gen = c.connectionGeneration;
    let drops = 0;
    c.on('disconnect', () => drops++);
    await new Promise((r) => setTimeout(r, 11_000));
    expect(c.sessionStats.echoesAnswered).toBeGreaterThanOrEqual(1);
    expect(drops).toBe(0);
    expect(c.connectionGeneration).toBe(gen);
    expect(await c.listDbs()).toContain('Open_vSwitch');
  }, 30_000);

  it('reconnects after a restart; a request made while away waits for the new connection', async () => {
    await using c = await OvsdbClient.connect({ remote: `unix:${ovs!.dbSocket}`, backoff: { initialMs: 50, maxMs: 500 } });
    const before = await c.getServerId();
    const gen = c.connectionGeneration;
    const disconnected = new Promise((r) => c.once('disconnect', r));
    const connected = new Promise<void>((r) => c.once('connect', () => r()));
    await ovs!.restartOvsdb();
    await disconnected;
    const id = await c.getServerId({ timeoutMs: 20_000 });
    await connected;
    expect(c.connectionGeneration).toBe(gen + 1);
    // A standalone server gets a new id on each start.
    expect(id).not.toBe(before);
  });

  it('fails a request with ERR_OVSDB_TIMEOUT when no connection comes back in time', async () => {
    const c = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs!.tcpPort}`, backoff: { initialMs: 60_000 } });
    try {
      const disconnected = new Promise((r) => c.once('disconnect', r));
      await ovs!.restartOvsdb();
      await disconnected;
      await expect(c.listDbs({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'ERR_OVSDB_TIMEOUT' });
    } finally {
      await c.close();
    }
    await expect(c.listDbs()).rejects.toMatchObject({ code: 'ERR_OVSDB_CLOSED' });
  });
});
