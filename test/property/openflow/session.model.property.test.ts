/**
 * Model-based test of the session's request bookkeeping: random mixes of concurrent echoes,
 * flow_mod batches (some refused), split multipart replies and unsolicited messages, against a
 * peer that answers independent requests in a random order. Every call must settle exactly as the
 * model says, and every asynchronous message must come out of the event iterator, in order.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, errorMessage, flowMod, OFPMPF_REPLY_MORE, OpenFlowClient, OpenFlowSwitchError, type FlowStats, type OfMessage } from '../../../bindings/openflow/index.js';
import { fakeSwitch, type FakeConn, type FakeSwitch } from '../../unit/openflow/fake-switch.js';

type Command =
  | { kind: 'echo'; data: number[] }
  | { kind: 'batch'; refused: boolean[] }
  | { kind: 'stats'; parts: number[] }
  | { kind: 'packet_in'; tag: number }
  | { kind: 'stray_error'; code: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('echo' as const), data: fc.array(fc.nat(255), { maxLength: 8 }) }),
  fc.record({ kind: fc.constant('batch' as const), refused: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('stats' as const), parts: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('packet_in' as const), tag: fc.nat(1000) }),
  fc.record({ kind: fc.constant('stray_error' as const), code: fc.nat(13) }),
);

const flow = (p: number): FlowStats => ({ tableId: 0, durationSec: 0, durationNsec: 0, priority: p, idleTimeout: 0, hardTimeout: 0, flags: 0, cookie: 0n, packetCount: 0n, byteCount: 0n, match: [], instructions: [] });

/** The peer's plan, set per run: how to answer, and the order in which to release answers. */
let plan: { statsParts: number[][]; order: number[] } = { statsParts: [], order: [] };
let held: OfMessage[][] = [];
let peer: FakeSwitch;
let client: OpenFlowClient;
let conn: FakeConn;
/** Flow_mods with priority 1 are refused; a barrier releases everything held, shuffled. */
function onMessage(m: OfMessage, c: FakeConn): void {
  switch (m.type) {
    case 'echo_request':
      held.push([{ type: 'echo_reply', xid: m.xid, data: m.data }]);
      break;
    case 'flow_mod':
      if (m.priority === 1) c.send(errorMessage(m.xid, 5, 6, encodeMessage(m).subarray(0, 64)));
      break;
    case 'barrier_request':
      held.push([{ type: 'barrier_reply', xid: m.xid }]);
      break;
    case 'multipart_request': {
      const parts = plan.statsParts.shift() ?? [1];
      let next = 0;
      held.push(
        parts.map((n, i) => ({
          type: 'multipart_reply' as const,
          xid: m.xid,
          flags: i < parts.length - 1 ? OFPMPF_REPLY_MORE : 0,
          body: { kind: 'flow' as const, flows: Array.from({ length: n }, () => flow(next++)) },
        })),
      );
      break;
    }
    default:
      return;
  }
}

function release(): void {
  const groups = held;
  held = [];
  const order = groups.map((_, i) => i).sort((a, b) => (plan.order[a % plan.order.length] ?? 0) - (plan.order[b % plan.order.length] ?? 0) || a - b);
  for (const i of order) for (const m of groups[i] as OfMessage[]) conn.send(m);
}

beforeAll(async () => {
  peer = await fakeSwitch(onMessage);
  client = await OpenFlowClient.connect({ port: peer.port });
  conn = peer.conns[0] as FakeConn;
});
afterAll(async () => {
  await client.close();
  await peer.close();
});

describe('session model', () => {
  it('every concurrent call settles as modelled; asynchronous messages arrive in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(100), { minLength: 1, maxLength: 12 }), async (cmds, order) => {
        plan = { statsParts: cmds.filter((c) => c.kind === 'stats').map((c) => (c as { parts: number[] }).parts), order };
        held = [];
        const events = client.events();
        const checks: Promise<void>[] = [];
        const expectedEvents: string[] = [];
        for (const cmd of cmds) {
          switch (cmd.kind) {
            case 'echo':
              checks.push(client.echo(Uint8Array.from(cmd.data)).then((d) => expect([...d]).toEqual(cmd.data)));
              break;
            case 'batch': {
              const refused = cmd.refused.filter(Boolean).length;
              checks.push(
                client.installFlows(cmd.refused.map((r) => flowMod({ priority: r ? 1 : 2 }))).then(
                  () => expect(refused).toBe(0),
                  (e: unknown) => {
                    expect(e).toBeInstanceOf(OpenFlowSwitchError);
                    expect((e as OpenFlowSwitchError).codeName).toBe('OFPFMFC_BAD_COMMAND');
                    expect((e as OpenFlowSwitchError).others).toHaveLength(refused - 1);
                  },
                ),
              );
              break;
            }
            case 'stats': {
              const total = cmd.parts.reduce((a, b) => a + b, 0);
              checks.push(client.flowStats().then((f) => expect(f.map((x) => x.priority)).toEqual([...Array(total).keys()])));
              break;
            }
            case 'packet_in':
              expectedEvents.push(`packet_in:${cmd.tag}`);
              conn.send({ type: 'packet_in', xid: 0, bufferId: 0xffffffff, totalLen: 0, reason: 0, tableId: 0, cookie: BigInt(cmd.tag), match: [], data: new Uint8Array(0) });
              break;
            case 'stray_error':
              // xid 0 is never one of ours: the session starts at 1 and skips 0 on wrap.
              expectedEvents.push(`error:${cmd.code}`);
              conn.send(errorMessage(0, 1, cmd.code));
              break;
          }
        }
        // Let every request reach the peer (one held answer each), then release them in the planned order.
        const answers = cmds.filter((c) => c.kind === 'echo' || c.kind === 'batch' || c.kind === 'stats').length;
        for (let spins = 0; held.length < answers; spins++) {
          if (spins > 20_000) throw new Error(`peer got ${held.length} of ${answers} requests`);
          await new Promise((r) => setTimeout(r, 1));
        }
        release();
        await new Promise((r) => setImmediate(r));
        while (held.length > 0) {
          release();
          await new Promise((r) => setImmediate(r));
        }
        await Promise.all(checks);
        const seen: string[] = [];
        while (seen.length < expectedEvents.length) {
          const ev = await events.next();
          if (ev.done === true) break;
          seen.push(ev.value.type === 'packet_in' ? `packet_in:${ev.value.cookie}` : `error:${ev.value.type === 'error' ? ev.value.code : -1}`);
        }
        await events.return?.();
        expect(seen).toEqual(expectedEvents);
      }),
      { numRuns: 60 },
    );
  });
});
