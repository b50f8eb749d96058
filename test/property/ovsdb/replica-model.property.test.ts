/**
 * Model-based test of the replica against a real ovsdb-server: random sequences of transactions
 * (inserts, updates, map mutations, deletes, references between QoS and Queue rows, some refused by
 * the server) made through two clients, with the replica's connection dropped at random points.
 * After every sequence the replica must equal a fresh dump of the database: no lost rows, no
 * phantom rows, no stale values.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { OvsdbClient, OvsdbTransactionError, Replica, type Row } from '../../../bindings/ovsdb/index.js';
import { itWithService } from '../../support/services.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const DB = 'Open_vSwitch';
const TABLES: Record<string, string[]> = { Queue: ['dscp', 'other_config', 'external_ids'], QoS: ['type', 'queues', 'other_config'] };

type Cmd =
  | { op: 'insertQueue'; dscp: number | null; key: string; via: number }
  | { op: 'updateQueue'; pick: number; dscp: number | null; via: number }
  | { op: 'mutateQueue'; pick: number; key: string; value: string; del: boolean; via: number }
  | { op: 'deleteQueue'; pick: number; via: number }
  | { op: 'insertQos'; picks: number[]; via: number }
  | { op: 'updateQos'; pick: number; type: string; via: number }
  | { op: 'deleteQos'; pick: number; via: number }
  | { op: 'drop' };

const key = fc.constantFrom('a', 'b', 'c', 'd');
const via = fc.integer({ min: 0, max: 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insertQueue' as const), dscp: fc.option(fc.integer({ min: 0, max: 63 }), { nil: null }), key, via }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateQueue' as const), pick: fc.nat(), dscp: fc.option(fc.integer({ min: 0, max: 63 }), { nil: null }), via }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mutateQueue' as const), pick: fc.nat(), key, value: fc.string({ maxLength: 4 }), del: fc.boolean(), via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteQueue' as const), pick: fc.nat(), via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insertQos' as const), picks: fc.array(fc.nat(), { maxLength: 3 }), via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('updateQos' as const), pick: fc.nat(), type: fc.constantFrom('linux-htb', 'linux-hfsc', 'egress-policer'), via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteQos' as const), pick: fc.nat(), via }) },
  { weight: 1, arbitrary: fc.constant({ op: 'drop' as const }) },
);

function dumpOf(rows: Iterable<Row>, columns: string[]): Map<string, Row> {
  const m = new Map<string, Row>();
  for (const r of rows) {
    const copy: Row = { _uuid: r._uuid };
    // Canonical order: OVSDB sets and maps are unordered.
    for (const c of columns) {
      const v = r[c];
      copy[c] = v instanceof Map ? new Map([...v].sort(([a], [b]) => String(a).localeCompare(String(b)))) : Array.isArray(v) ? [...v].sort() : (v as Row[string]);
    }
    m.set(r._uuid, copy);
  }
  return m;
}

/** Rows that differ between two dumps, readable in a failure message. */
function diff(a: Map<string, Map<string, Row>>, b: Map<string, Map<string, Row>>): string[] {
  const out: string[] = [];
  const show = (r: Row | undefined): string => JSON.stringify(r, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
  for (const [t, rows] of b) {
    const mineRows = a.get(t) ?? new Map<string, Row>();
    for (const u of new Set([...rows.keys(), ...mineRows.keys()])) {
      const x = show(mineRows.get(u));
      const y = show(rows.get(u));
      if (x !== y) out.push(`${t} ${u}: replica ${x} server ${y}`);
    }
  }
  return out;
}

describe('replica model-based', () => {
  let ovs: OvsInstance | undefined;
  let writer: OvsdbClient;
  let rc: OvsdbClient;
  let replica: Replica;

  beforeAll(async () => {
    if (!ovsAvailable()) return;
    ovs = await startOvs({ portIndex: 4 });
    writer = await OvsdbClient.connect({ remote: `unix:${ovs.dbSocket}` });
    rc = await OvsdbClient.connect({ remote: `tcp:127.0.0.1:${ovs.tcpPort}`, backoff: { initialMs: 5, maxMs: 50 } });
    replica = await Replica.start({ client: rc, database: DB, tables: Object.fromEntries(Object.entries(TABLES).map(([t, columns]) => [t, { columns }])) });
  });
  afterAll(async () => {
    await replica?.close();
    await rc?.close();
    await writer?.close();
    await ovs?.stop();
  });

  async function fresh(): Promise<Map<string, Map<string, Row>>> {
    const o = await writer.operations(DB);
    for (const t of Object.keys(TABLES)) o.select(t, [], ['_uuid', ...(TABLES[t] as string[])]);
    const r = await writer.transact(o);
    return new Map(Object.keys(TABLES).map((t, i) => [t, dumpOf((r[i] as { rows: Row[] }).rows, TABLES[t] as string[])]));
  }

  function mine(): Map<string, Map<string, Row>> {
    return new Map(Object.keys(TABLES).map((t) => [t, dumpOf(replica.table(t), TABLES[t] as string[])]));
  }

  it('equals a fresh dump after random transaction sequences', async () => {
    const queues: string[] = [];
    const qoses: string[] = [];
    const pick = (list: string[], i: number): string | undefined => (list.length === 0 ? undefined : list[i % list.length]);
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 12 }), async (cmds) => {
        for (const c of cmds) {
          if (c.op === 'drop') {
            rc.dropConnection();
            continue;
          }
          const client = c.via === 0 ? writer : rc;
          const o = await client.operations(DB).catch(() => writer.operations(DB));
          switch (c.op) {
            case 'insertQueue':
              o.insert('Queue', { dscp: c.dscp, external_ids: new Map([[c.key, 'x']]) });
              break;
            case 'updateQueue': {
              const u = pick(queues, c.pick);
              if (!u) continue;
              o.update('Queue', [['_uuid', '==', u]], { dscp: c.dscp });
              break;
            }
            case 'mutateQueue': {
              const u = pick(queues, c.pick);
              if (!u) continue;
              o.mutate('Queue', [['_uuid', '==', u]], [c.del ? ['other_config', 'delete', [c.key]] : ['other_config', 'insert', new Map([[c.key, c.value]])]]);
              break;
            }
            case 'deleteQueue': {
              const u = pick(queues, c.pick);
              if (!u) continue;
              o.delete('Queue', [['_uuid', '==', u]]);
              break;
            }
            case 'insertQos': {
              const refs = [...new Set(c.picks.map((p) => pick(queues, p)).filter((u): u is string => u !== undefined))];
              o.insert('QoS', { type: 'linux-htb', queues: new Map(refs.map((u, i) => [i, u])) });
              break;
            }
            case 'updateQos': {
              const u = pick(qoses, c.pick);
              if (!u) continue;
              o.update('QoS', [['_uuid', '==', u]], { type: c.type });
              break;
            }
            case 'deleteQos': {
              const u = pick(qoses, c.pick);
              if (!u) continue;
              o.delete('QoS', [['_uuid', '==', u]]);
              break;
            }
          }
          try {
            const r = await (client.connected ? client : writer).transact(o);
            const ins = r[0] as { uuid?: string };
            if (ins.uuid) (c.op === 'insertQos' ? qoses : queues).push(ins.uuid);
          } catch (e) {
            // Refused by the server (a queue still referenced, a row already gone) or lost with a
            // dropped connection: either way the database is whatever the server says it is.
            if (!(e instanceof OvsdbTransactionError) && !(e as { code?: string }).code?.startsWith('ERR_OVSDB')) throw e;
          }
        }
        const expected = await fresh();
        // Notifications on the replica's connection may trail the writer's replies a little.
        await replica.waitFor(() => {
          if (!replica.synced) return false;
          const m = mine();
          try {
            expect(m).toEqual(expected);
            return true;
          } catch {
            return false;
          }
        }, 15_000).catch(() => undefined);
        expect(replica.synced).toBe(true);
        expect(diff(mine(), expected)).toEqual([]);
        expect(mine()).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
