/**
 * The replica (IDL) against a real ovsdb-server: initial load, change events, indexes, verified
 * transactions that conflict and retry, and resynchronisation after ovsdb-server restarts (with
 * changes made while the replica was away: no lost, no phantom rows).
 */
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import {
  OvsdbClient,
  Replica,
  type ChangeEvent,
  type OpenVSwitchTables,
  type Row,
} from '../../../bindings/ovsdb/index.js';
import { itWithService } from '../../support/services.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const DB = 'Open_vSwitch';

/** Every row of `tables` as the server has it now, through a fresh connection. */
export async function freshDump(remote: string, tables: Record<string, string[]>): Promise<Map<string, Map<string, Row>>> {
  const c = await OvsdbClient.connect({ remote, reconnect: false });
  try {
    const o = await c.operations(DB);
    const names = Object.keys(tables);
    for (const t of names) o.select(t, [], ['_uuid', ...(tables[t] as string[])]);
    const r = await c.transact(o);
    const out = new Map<string, Map<string, Row>>();
    names.forEach((t, i) => out.set(t, new Map((r[i] as { rows: Row[] }).rows.map((row) => [row._uuid, row]))));
    return out;
  } finally {
    await c.close();
  }
}

export function replicaDump(r: Replica, tables: Record<string, string[]>): Map<string, Map<string, Row>> {
  const out = new Map<string, Map<string, Row>>();
  for (const t of Object.keys(tables)) {
    const m = new Map<string, Row>();
    for (const row of r.table(t)) {
      const copy: Row = { _uuid: row._uuid };
      for (const c of tables[t] as string[]) copy[c] = row[c] as Row[string];
      m.set(row._uuid, copy);
    }
    out.set(t, m);
  }
  return out;
}

describe('replica against ovsdb-server', () => {
  let ovs: OvsInstance | undefined;
  let writer: OvsdbClient;
  const TABLES = { Queue: ['dscp', 'other_config', 'external_ids'], QoS: ['type', 'queues', 'external_ids'] };

  beforeAll(async () => {
    if (!ovsAvailable()) return;
    ovs = await startOvs({ portIndex: 2 });
    writer = await OvsdbClient.connect({ remote: `unix:${ovs.dbSocket}` });
  });
  beforeEach(async () => {
    if (!writer) return;
    const o = await writer.operations(DB);
    o.delete('QoS', []);
    o.delete('Queue', []);
    await writer.transact(o);
  });
  afterAll(async () => {
    await writer?.close();
    await ovs?.stop();
  });

  async function insertQueue(dscp: number, ids: Record<string, string> = {}): Promise<string> {
    const o = await writer.operations(DB);
    o.insert('Queue', { dscp, external_ids: new Map(Object.entries(ids)) });
    return ((await writer.transact(o)) as [{ uuid: string }])[0].uuid;
  }

  it('loads, follows changes with events, and keeps indexes', async () => {
    const a = await insertQueue(1, { role: 'gold' });
    await using client = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs!.tcpPort}` });
    await using r = await Replica.start<OpenVSwitchTables>({
      client,
      database: DB,
      tables: { Queue: { columns: TABLES.Queue }, Bridge: { columns: ['name', 'ports'] } },
      indexes: [{ table: 'Queue', name: 'dscp', columns: ['dscp'] }],
    });
    expect(r.monitorMethod).toBe('monitor_cond_since');
    expect(r.table('Queue').get(a)).toMatchObject({ dscp: 1, external_ids: new Map([['role', 'gold']]) });
    const events: ChangeEvent[] = [];
    r.on('changes', (e: ChangeEvent[]) => events.push(...e));

    const b = await insertQueue(2);
    await ovs!.vsctl('set', 'queue', a, 'dscp=2', 'external_ids:role=silver');
    await ovs!.vsctl('add-br', 'br0');
    await r.waitFor(() => r.table('Bridge').lookupOne('name', 'br0') !== undefined);
    expect(r.table('Queue').lookup('dscp', 2).map((q) => q._uuid).sort()).toEqual([a, b].sort());
    expect(r.table('Queue').lookup('dscp', 1)).toEqual([]);
    await ovs!.vsctl('destroy', 'queue', b);
    await r.waitFor(() => !r.table('Queue').has(b));
    expect(events.filter((e) => e.table === 'Queue').map((e) => `${e.kind} ${e.uuid === a ? 'a' : 'b'}`)).toEqual(['insert b', 'update a', 'delete b']);
    const upd = events.find((e) => e.kind === 'update')!;
    expect(upd.old).toMatchObject({ dscp: 1, external_ids: new Map([['role', 'gold']]) });
    expect(upd.new).toMatchObject({ dscp: 2, external_ids: new Map([['role', 'silver']]) });
    // Rows handed out are frozen snapshots.
    expect(Object.isFrozen(r.table('Queue').get(a))).toBe(true);
    await ovs!.vsctl('del-br', 'br0');
  });

  it('works the same with monitor_cond and plain monitor', async () => {
    const a = await insertQueue(3);
    for (const method of ['monitor_cond', 'monitor'] as const) {
      await using client = await OvsdbClient.connect({ remote: `unix:${ovs!.dbSocket}` });
      await using r = await Replica.start({ client, database: DB, tables: { Queue: { columns: TABLES.Queue } }, method });
      expect(r.monitorMethod).toBe(method);
      expect(r.table('Queue').get(a)?.['dscp']).toBe(3);
      await ovs!.vsctl('set', 'queue', a, `other_config:m=${method}`);
      await r.waitFor(() => (r.table('Queue').get(a)?.['other_config'] as Map<string, string>).get('m') === method);
      expect(replicaDump(r, { Queue: TABLES.Queue })).toEqual(await freshDump(`unix:${ovs!.dbSocket}`, { Queue: TABLES.Queue }));
    }
  });

  it('verifies what a transaction read: a concurrent change makes it retry, and no update is lost', async () => {
    const a = await insertQueue(0, { counter: '0' });
    await using c1 = await OvsdbClient.connect({ remote: `unix:${ovs!.dbSocket}` });
    await using r1 = await Replica.start<OpenVSwitchTables>({ client: c1, database: DB, tables: { Queue: { columns: TABLES.Queue } } });
    let attempts = 0;
    const { value } = await r1.transact(async (txn) => {
      attempts++;
      const ids = txn.read('Queue', a, 'external_ids') as Map<string, string>;
      const n = Number(ids.get('counter'));
      if (attempts === 1) {
        // Someone else increments between our read and our commit.
        await ovs!.vsctl('set', 'queue', a, `external_ids:counter=${n + 1}`);
      }
      const next = new Map(ids);
      next.set('counter', String(n + 1));
      txn.update('Queue', a, { external_ids: next });
      return n + 1;
    });
    expect(attempts).toBe(2);
    expect(value).toBe(2);
    expect(await ovs!.vsctl('get', 'queue', a, 'external_ids:counter')).toBe('"2"');
    // Inserted rows' uuids come back by uuid-name, and the replica already shows them.
    const { uuids } = await r1.transact((txn) => {
      const q = txn.insert('Queue', { dscp: 9 });
      txn.insert('QoS', { type: 'linux-htb', queues: new Map([[0, q]]) });
      return q.name;
    });
    const qUuid = [...uuids.values()][0]!;
    expect(r1.table('Queue').get(qUuid)?.dscp).toBe(9);
  });

  it('gives up with ERR_OVSDB_CONFLICT when every attempt conflicts', async () => {
    const a = await insertQueue(0);
    await using c1 = await OvsdbClient.connect({ remote: `unix:${ovs!.dbSocket}` });
    await using r1 = await Replica.start<OpenVSwitchTables>({ client: c1, database: DB, tables: { Queue: { columns: TABLES.Queue } } });
    let n = 0;
    const p = r1.transact(
      async (txn) => {
        txn.read('Queue', a, 'dscp');
        await ovs!.vsctl('set', 'queue', a, `dscp=${++n}`);
        txn.update('Queue', a, { dscp: 60 });
      },
      { attempts: 3 },
    );
    await expect(p).rejects.toMatchObject({ code: 'ERR_OVSDB_CONFLICT', attempts: 3 });
    expect(await ovs!.vsctl('get', 'queue', a, 'dscp')).toBe('3');
  });

  it('survives an ovsdb-server restart and resyncs with exactly the changes made meanwhile', async () => {
    const keep = await insertQueue(1);
    const gone = await insertQueue(2);
    const changed = await insertQueue(3);
    // A slow reconnect, so that another client changes the database while the replica is away.
    const client = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs!.tcpPort}`, backoff: { initialMs: 3000, jitter: 0 } });
    const r = await Replica.start({ client, database: DB, tables: { Queue: { columns: TABLES.Queue } } });
    try {
      const events: ChangeEvent[] = [];
      const synced: boolean[] = [];
      r.on('changes', (e: ChangeEvent[]) => events.push(...e));
      r.on('synced', (s: { resync: boolean }) => synced.push(s.resync));
      const disconnected = new Promise((res) => client.once('disconnect', res));
      await ovs!.restartOvsdb();
      await disconnected;
      expect(r.synced).toBe(false);
      // Through a new connection to the restarted server, before the replica is back.
      const w = await OvsdbClient.connect({ remote: `unix:${ovs!.dbSocket}` });
      const o = await w.operations(DB);
      o.delete('Queue', [['_uuid', '==', gone]]);
      o.update('Queue', [['_uuid', '==', changed]], { dscp: 33 });
      o.insert('Queue', { dscp: 4 });
      const added = ((await w.transact(o)) as Array<{ uuid: string }>)[2]!.uuid;
      await w.close();
      expect(events).toEqual([]);
      await r.waitFor(() => r.synced, 30_000);
      expect(synced).toEqual([true]);
      const summary = events.map((e) => `${e.kind} ${e.uuid}`).sort();
      expect(summary).toEqual([`delete ${gone}`, `insert ${added}`, `update ${changed}`].sort());
      expect(events.find((e) => e.kind === 'update')).toMatchObject({ old: { dscp: 3 }, new: { dscp: 33 } });
      expect(r.table('Queue').get(keep)?.['dscp']).toBe(1);
      expect(replicaDump(r, { Queue: TABLES.Queue })).toEqual(await freshDump(`unix:${ovs!.dbSocket}`, { Queue: TABLES.Queue }));
      // And it follows changes after the resync.
      await ovs!.vsctl('set', 'queue', keep, 'dscp=11');
      await r.waitFor(() => r.table('Queue').get(keep)?.['dscp'] === 11);
      // The shared writer lost its connection too; wait until it is back for the next test.
      await writer.listDbs();
    } finally {
      await r.close();
      await client.close();
    }
  });
});
