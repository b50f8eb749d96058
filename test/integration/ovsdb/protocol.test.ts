/**
 * Every RFC 7047 method and OVS extension the client speaks, against a real ovsdb-server, over both
 * the unix socket and TCP. Uses the Queue and QoS tables, which ovs-vswitchd leaves alone while no
 * port refers to them.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import {
  NamedUuid,
  OvsdbClient,
  OvsdbDatumError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
  parseSchema,
  type TableUpdates,
} from '../../../bindings/ovsdb/index.js';
import { itWithService } from '../../support/services.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const DB = 'Open_vSwitch';

/** Collects notifications and lets a test wait for the n-th. */
class Inbox {
  readonly items: Array<{ updates: TableUpdates; txn: string | undefined }> = [];
  private waiters: Array<() => void> = [];
  readonly listener = (updates: TableUpdates, txn: string | undefined): void => {
    this.items.push({ updates, txn });
    for (const w of this.waiters.splice(0)) w();
  };
  async next(n = this.items.length + 1, timeoutMs = 10_000): Promise<{ updates: TableUpdates; txn: string | undefined }> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < n) {
      if (Date.now() > deadline) throw new Error(`no notification #${n}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return this.items[n - 1]!;
  }
}

describe('OVSDB protocol against ovsdb-server', () => {
  let ovs: OvsInstance | undefined;
  let unix: OvsdbClient;
  let tcp: OvsdbClient;

  beforeAll(async () => {
    if (!ovsAvailable()) return;
    ovs = await startOvs({ portIndex: 1 });
    unix = await OvsdbClient.connect({ remote: `unix:${ovs.dbSocket}` });
    tcp = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs.tcpPort}` });
  });
  beforeEach(async () => {
    if (!unix) return;
    // Each test starts with no QoS/Queue rows.
    const o = await unix.operations(DB);
    o.delete('QoS', []);
    o.delete('Queue', []);
    await unix.transact(o);
  });
  afterAll(async () => {
    await unix?.close();
    await tcp?.close();
    await ovs?.stop();
  });

  it('list_dbs, get_schema, get_server_id, echo and set_db_change_aware over unix and TCP', async () => {
    for (const c of [unix, tcp]) {
      expect((await c.listDbs()).sort()).toEqual(['Open_vSwitch', '_Server']);
      const schema = await c.getSchema(DB);
      const file = parseSchema(JSON.parse(fs.readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')));
      expect(schema.version).toBe(file.version);
      expect([...schema.tables.keys()].sort()).toEqual([...file.tables.keys()].sort());
      expect(await c.getServerId()).toMatch(/^[0-9a-f-]{36}$/);
      expect(await c.echo(['hello', 1])).toEqual(['hello', 1]);
      await c.setDbChangeAware(true);
    }
    expect(await unix.getServerId()).toBe(await tcp.getServerId());
    await expect(unix.getSchema('NoSuchDb')).rejects.toBeInstanceOf(OvsdbRpcError);
  });

  it('transacts insert (named uuids), select, update, mutate, delete, wait, comment, commit', async () => {
    const ops = await tcp.operations(DB);
    const q = new NamedUuid('q1');
    ops.insert('Queue', { dscp: 10, external_ids: new Map([['k', 'v']]) }, q);
    ops.insert('QoS', { type: 'linux-htb', queues: new Map([[1, q]]) }, 'qos1');
    ops.comment('tstack protocol test');
    ops.commit(false);
    const [qi, qosi] = (await tcp.transact(ops)) as Array<{ uuid: string }>;
    expect(qi!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await ovs!.vsctl('get', 'qos', qosi!.uuid, 'queues')).toBe(`{1=${qi!.uuid}}`);

    const o2 = await unix.operations(DB);
    o2.select('Queue', [['_uuid', '==', qi!.uuid]]);
    o2.update('Queue', [['dscp', '==', 10]], { dscp: 20 });
    o2.mutate('Queue', [['_uuid', '==', qi!.uuid]], [
      ['external_ids', 'insert', new Map([['a', 'b']])],
      ['external_ids', 'delete', ['k']],
      ['dscp', '+=', 3],
    ]);
    o2.wait('Queue', [['_uuid', '==', qi!.uuid]], ['dscp'], '==', [{ dscp: 23 }], 0);
    o2.select('Queue', [['dscp', '>', 22], ['external_ids', 'includes', new Map([['a', 'b']])]], ['dscp', 'external_ids']);
    const r = await unix.transact(o2);
    expect((r[0] as { rows: unknown[] }).rows).toMatchObject([{ _uuid: qi!.uuid, dscp: 10, external_ids: new Map([['k', 'v']]) }]);
    expect(r[1]).toEqual({ count: 1 });
    expect(r[2]).toEqual({ count: 1 });
    expect((r[4] as { rows: unknown[] }).rows).toEqual([{ dscp: 23, external_ids: new Map([['a', 'b']]) }]);
    expect(await ovs!.vsctl('get', 'queue', qi!.uuid, 'dscp')).toBe('23');

    // A wait that does not hold fails the whole transaction; nothing before it sticks.
    const o3 = await unix.operations(DB);
    o3.update('Queue', [['_uuid', '==', qi!.uuid]], { dscp: 1 });
    o3.wait('Queue', [['_uuid', '==', qi!.uuid]], ['dscp'], '==', [{ dscp: 50 }], 0);
    const err = await unix.transact(o3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactionError);
    expect(err).toMatchObject({ code: 'ERR_OVSDB_TRANSACTION', index: 1, error: 'timed out' });
    expect(await ovs!.vsctl('get', 'queue', qi!.uuid, 'dscp')).toBe('23');

    // Deleting a row still referenced is refused by the server (referential integrity).
    const o4 = await unix.operations(DB);
    o4.delete('Queue', [['_uuid', '==', qi!.uuid]]);
    await expect(unix.transact(o4)).rejects.toMatchObject({ error: 'referential integrity violation' });

    const o5 = await unix.operations(DB);
    o5.delete('QoS', [['_uuid', '==', qosi!.uuid]]);
    o5.delete('Queue', [['_uuid', '==', qi!.uuid]]);
    expect(await unix.transact(o5)).toEqual([{ count: 1 }, { count: 1 }]);
    expect(await ovs!.vsctl('--bare', '--columns=_uuid', 'list', 'queue')).toBe('');
  });

  it('abort rolls back; assert fails without the lock and passes with it', async () => {
    const o = await unix.operations(DB);
    o.insert('Queue', { dscp: 5 });
    o.abort();
    await expect(unix.transact(o)).rejects.toMatchObject({ index: 1, error: 'aborted' });
    expect(await ovs!.vsctl('--bare', '--columns=_uuid', 'list', 'queue')).toBe('');

    const a = await unix.operations(DB);
    a.assert('tstack_assert');
    a.insert('Queue', { dscp: 6 });
    await expect(unix.transact(a)).rejects.toMatchObject({ index: 0, error: 'not owner' });
    expect(await unix.lock('tstack_assert')).toEqual({ locked: true });
    const b = await unix.operations(DB);
    b.assert('tstack_assert');
    b.delete('Queue', [['dscp', '==', 6]]);
    expect(await unix.transact(b)).toEqual([{}, { count: 0 }]);
    await unix.unlock('tstack_assert');
  });

  it('checks values against the schema before sending', async () => {
    const o = await unix.operations(DB);
    expect(() => o.insert('Queue', { dscp: 64 })).toThrow(OvsdbDatumError);
    expect(() => o.insert('Bridge', { name: 'x', fail_mode: 'sometimes' })).toThrow(/not one of/);
    expect(() => o.insert('Port', { name: 'p', tag: 4096 })).toThrow(/above the maximum 4095/);
    expect(() => o.insert('NoTable', {})).toThrow(/no table NoTable/);
    expect(() => o.update('Bridge', [], { nope: 1 })).toThrow(/no column nope/);
    expect(() => o.mutate('Queue', [], [['dscp', '/=', 0]])).toThrow(/division by zero/);
    expect(o.length).toBe(0);
  });

  it('has many requests in flight on one connection, each answered in order of its id', async () => {
    const uuids = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const o = await tcp.operations(DB);
        o.insert('Queue', { dscp: i, external_ids: new Map([['n', String(i)]]) });
        return { i, uuid: ((await tcp.transact(o)) as Array<{ uuid: string }>)[0]!.uuid };
      }),
    );
    for (const { i, uuid } of uuids.filter((_, k) => k % 16 === 0)) expect(await ovs!.vsctl('get', 'queue', uuid, 'dscp')).toBe(String(i));
    const o = await tcp.operations(DB);
    o.delete('Queue', []);
    expect(await tcp.transact(o)).toEqual([{ count: 64 }]);
  });

  it('times a request out without harming the connection', async () => {
    const o = await unix.operations(DB);
    // Blocks on the server for up to 3 s: nothing ever matches.
    o.wait('Queue', [['dscp', '==', 63]], ['dscp'], '==', [{ dscp: 63 }], 3000);
    const err = await unix.transact(o, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTimeoutError);
    expect(err).toMatchObject({ code: 'ERR_OVSDB_TIMEOUT', method: 'transact' });
    expect(await unix.listDbs()).toContain(DB);
  });

  it('cancel (RFC 7047 §4.1.4) makes the server fail a blocked transaction at once', async () => {
    const o = await unix.operations(DB);
    o.wait('Queue', [['dscp', '==', 62]], ['dscp'], '==', [{ dscp: 62 }], 20_000);
    const ac = new AbortController();
    const p = unix.transact(o, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbRpcError);
    expect((err as OvsdbRpcError).error).toBe('canceled');
    expect(await unix.listDbs()).toContain(DB);
  });

  it('monitor: initial contents, then update notifications; monitor_cancel stops them', async () => {
    const inbox = new Inbox();
    const seed = await unix.operations(DB);
    seed.insert('Queue', { dscp: 1 });
    const [{ uuid }] = (await unix.transact(seed)) as [{ uuid: string }];
    const { handle, initial } = await tcp.monitor(DB, { Queue: { columns: ['dscp'] } }, inbox.listener);
    expect(initial).toEqual({ Queue: { [uuid]: { new: { dscp: 1 } } } });
    await ovs!.vsctl('set', 'queue', uuid, 'dscp=2');
    expect((await inbox.next(1)).updates).toEqual({ Queue: { [uuid]: { new: { dscp: 2 }, old: { dscp: 1 } } } });
    await tcp.monitorCancel(handle);
    await ovs!.vsctl('set', 'queue', uuid, 'dscp=3');
    await tcp.echo(); // any notification for the cancelled monitor would have come before this reply
    expect(inbox.items).toHaveLength(1);
    await ovs!.vsctl('destroy', 'queue', uuid);
  });

  it('monitor_cond with update2, monitor_cond_change moves the condition', async () => {
    const inbox = new Inbox();
    const o = await unix.operations(DB);
    o.insert('Queue', { dscp: 10 });
    o.insert('Queue', { dscp: 20 });
    const [a, b] = ((await unix.transact(o)) as Array<{ uuid: string }>).map((x) => x.uuid);
    const { handle, initial } = await tcp.monitorCond(DB, { Queue: { columns: ['dscp'], where: [['dscp', '==', 10]] } }, inbox.listener);
    expect(initial).toEqual({ Queue: { [a!]: { initial: { dscp: 10 } } } });
    await ovs!.vsctl('set', 'queue', a!, 'dscp=11');
    expect((await inbox.next(1)).updates).toEqual({ Queue: { [a!]: { delete: null } } });
    await tcp.monitorCondChange(handle, { Queue: { where: [['dscp', '>=', 11]] } });
    // The server sends the rows the new condition adds, as insert.
    const n = await inbox.next(2);
    expect(n.updates['Queue']).toEqual({ [a!]: { insert: { dscp: 11 } }, [b!]: { insert: { dscp: 20 } } });
    await ovs!.vsctl('set', 'queue', b!, 'dscp=21');
    expect((await inbox.next(3)).updates).toEqual({ Queue: { [b!]: { modify: { dscp: 21 } } } });
    await tcp.monitorCancel(handle);
    await ovs!.vsctl('destroy', 'queue', a!, '--', 'destroy', 'queue', b!);
  });

  it('monitor_cond_since returns [found, last-txn-id, updates] and sends update3', async () => {
    const inbox = new Inbox();
    const zero = '00000000-0000-0000-0000-000000000000';
    const r = await tcp.monitorCondSince(DB, { Queue: { columns: ['dscp'] } }, zero, inbox.listener);
    expect(r.found).toBe(false);
    expect(r.lastTxnId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.initial).toEqual({});
    const o = await unix.operations(DB);
    o.insert('Queue', { dscp: 7 });
    const [{ uuid }] = (await unix.transact(o)) as [{ uuid: string }];
    const n = await inbox.next(1);
    expect(n.updates).toEqual({ Queue: { [uuid]: { insert: { dscp: 7 } } } });
    expect(n.txn).toMatch(/^[0-9a-f-]{36}$/);
    await tcp.monitorCancel(r.handle);
    await ovs!.vsctl('destroy', 'queue', uuid);
  });

  it('lock, steal and unlock between two clients, with locked/stolen notifications', async () => {
    const events: string[] = [];
    unix.on('locked', (n) => events.push(`unix locked ${n}`));
    unix.on('stolen', (n) => events.push(`unix stolen ${n}`));
    tcp.on('locked', (n) => events.push(`tcp locked ${n}`));
    tcp.on('stolen', (n) => events.push(`tcp stolen ${n}`));
    expect(await unix.lock('tstack_lock')).toEqual({ locked: true });
    expect(await tcp.lock('tstack_lock')).toEqual({ locked: false });
    await unix.unlock('tstack_lock');
    await tcp.echo();
    await waitUntil(() => events.includes('tcp locked tstack_lock'));
    expect(await unix.steal('tstack_lock')).toEqual({ locked: true });
    await waitUntil(() => events.includes('tcp stolen tstack_lock'));
    // The thief holds it: its assert passes, the victim's fails.
    const a = await unix.operations(DB);
    a.assert('tstack_lock');
    expect(await unix.transact(a)).toEqual([{}]);
    const b = await tcp.operations(DB);
    b.assert('tstack_lock');
    await expect(tcp.transact(b)).rejects.toMatchObject({ error: 'not owner' });
    // ovsdb-server keeps the victim of a steal waiting: when the thief unlocks, it gets it back.
    await unix.unlock('tstack_lock');
    await waitUntil(() => events.length === 3);
    await tcp.unlock('tstack_lock');
    expect(events).toEqual(['tcp locked tstack_lock', 'tcp stolen tstack_lock', 'tcp locked tstack_lock']);
    await expect(unix.lock('bad name')).rejects.toMatchObject({ code: 'ERR_OVSDB_ARGUMENT' });
  });

  it('fails every call after close with ERR_OVSDB_CLOSED', async () => {
    const c = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs!.tcpPort}` });
    {
      await using d = c;
      expect(await d.listDbs()).toContain(DB);
    }
    expect(c.isClosed).toBe(true);
    await expect(c.listDbs()).rejects.toMatchObject({ code: 'ERR_OVSDB_CLOSED' });
    await expect(OvsdbClient.connect({ remote: `unix:${ovs!.dir}/nope.sock` })).rejects.toMatchObject({ code: 'ERR_OVSDB_CONNECTION' });
  });
});

async function waitUntil(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
