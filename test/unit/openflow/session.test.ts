/** The session and client against a scripted peer: reassembly, errors, timeouts, keepalive, reconnect. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  Framer,
  errorMessage,
  flowMod,
  OFPMPF_REPLY_MORE,
  OpenFlowClient,
  OpenFlowController,
  OpenFlowSwitchError,
  type FlowStats,
  type OfMessage,
  type OpenFlowError,
} from '../../../bindings/openflow/index.js';
import { fakeSwitch, type FakeSwitch } from './fake-switch.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function start(onMessage: Parameters<typeof fakeSwitch>[0], hello?: OfMessage): Promise<FakeSwitch> {
  const sw = await fakeSwitch(onMessage, hello);
  cleanups.push(() => sw.close());
  return sw;
}

async function connect(port: number, opts: Partial<Parameters<typeof OpenFlowClient.connect>[0]> = {}): Promise<OpenFlowClient> {
  const c = await OpenFlowClient.connect({ port, minBackoffMs: 10, maxBackoffMs: 50, ...opts });
  cleanups.push(() => c.close());
  return c;
}

const flow = (i: number): FlowStats => ({
  tableId: 0,
  durationSec: i,
  durationNsec: 0,
  priority: i,
  idleTimeout: 0,
  hardTimeout: 0,
  flags: 0,
  cookie: BigInt(i),
  packetCount: 0n,
  byteCount: 0n,
  match: [{ field: 'in_port', value: i }],
  instructions: [],
});

describe('OpenFlow session over a scripted peer', () => {
  it('reassembles a multipart reply sent in parts with OFPMPF_REPLY_MORE', async () => {
    const sw = await start((m, conn) => {
      if (m.type !== 'multipart_request') return;
      for (let part = 0; part < 3; part++) {
        const flows = [0, 1, 2, 3].map((k) => flow(part * 4 + k));
        conn.send({ type: 'multipart_reply', xid: m.xid, flags: part < 2 ? OFPMPF_REPLY_MORE : 0, body: { kind: 'flow', flows } });
      }
    });
    const c = await connect(sw.port);
    const flows = await c.flowStats();
    expect(flows.map((f) => f.priority)).toEqual([...Array(12).keys()]);
    expect(c.session?.counters.replyMoreParts).toBe(2);
  });

  it('matches replies by xid when they come back out of order', async () => {
    const held: OfMessage[] = [];
    const sw = await start((m, conn) => {
      if (m.type !== 'echo_request') return;
      held.push(m);
      if (held.length === 3) for (const h of held.reverse()) conn.send({ type: 'echo_reply', xid: h.xid, data: (h as { data: Uint8Array }).data });
    });
    const c = await connect(sw.port);
    const replies = await Promise.all([c.echo(Uint8Array.of(1)), c.echo(Uint8Array.of(2)), c.echo(Uint8Array.of(3))]);
    expect(replies).toEqual([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
  });

  it('a batch resolves after its barrier, and rejects naming each refused message', async () => {
    const sw = await start((m, conn) => {
      if (m.type === 'flow_mod' && m.priority === 13) conn.send(errorMessage(m.xid, 5, 1, encodeMessage(m).subarray(0, 64)));
      if (m.type === 'barrier_request') conn.send({ type: 'barrier_reply', xid: m.xid });
    });
    const c = await connect(sw.port);
    await c.installFlows([flowMod({ priority: 1 }), flowMod({ priority: 2 })]);
    const err = (await c.installFlows([flowMod({ priority: 12 }), flowMod({ priority: 13 }), flowMod({ priority: 14 }), flowMod({ priority: 13 })]).catch((e: unknown) => e)) as OpenFlowSwitchError;
    expect(err).toBeInstanceOf(OpenFlowSwitchError);
    expect(err.codeName).toBe('OFPFMFC_TABLE_FULL');
    const sent = sw.conns[0]!.received.filter((m) => m.type === 'flow_mod' && m.priority === 13);
    expect(err.xid).toBe(sent[0]!.xid);
    expect(err.others.map((o) => o.xid)).toEqual([sent[1]!.xid]);
  });

  it('a request the peer never answers times out with ERR_OPENFLOW_TIMEOUT; the session stays usable', async () => {
    const sw = await start((m, conn) => {
      if (m.type === 'echo_request' && m.data.length === 0) conn.send({ type: 'echo_reply', xid: m.xid, data: m.data });
    });
    const c = await connect(sw.port, { requestTimeoutMs: 100 });
    await expect(c.features()).rejects.toMatchObject({ code: 'ERR_OPENFLOW_TIMEOUT' });
    expect(await c.echo()).toEqual(new Uint8Array(0));
  });

  it('an undecodable reply fails its request with ERR_OPENFLOW_PROTOCOL and the stream continues', async () => {
    const sw = await start((m, conn) => {
      if (m.type === 'features_request') conn.sendBytes(Uint8Array.of(4, 6, 0, 12, ...[24, 24, 24, 24].map((_, i) => (m.xid >>> (24 - 8 * i)) & 0xff), 1, 2, 3, 4));
      if (m.type === 'echo_request') conn.send({ type: 'echo_reply', xid: m.xid, data: m.data });
    });
    const c = await connect(sw.port);
    await expect(c.features()).rejects.toMatchObject({ code: 'ERR_OPENFLOW_PROTOCOL' });
    expect(await c.echo(Uint8Array.of(9))).toEqual(Uint8Array.of(9));
    expect(c.session?.counters.undecodable).toBe(1);
  });

  it('answers the peer\'s echo requests with the same xid and data', async () => {
    let answered: OfMessage | undefined;
    const got = new Promise<void>((resolve) => {
      void start((m) => {
        if (m.type === 'echo_reply') {
          answered = m;
          resolve();
        }
      }).then(async (sw) => {
        await connect(sw.port);
        sw.conns[0]!.send({ type: 'echo_request', xid: 0xabcdef, data: Uint8Array.of(5, 6) });
      });
    });
    await got;
    expect(answered).toEqual({ type: 'echo_reply', xid: 0xabcdef, data: Uint8Array.of(5, 6) });
  });

  it('drops a connection whose peer stops answering echoes, failing what was in flight with ERR_OPENFLOW_CLOSED', async () => {
    const sw = await start(() => {});
    const c = await connect(sw.port, { echoIntervalMs: 30, echoTimeoutMs: 100, reconnect: false });
    const pending = c.features().catch((e: unknown) => e);
    const reason = await new Promise<Error>((resolve) => c.once('disconnected', resolve));
    expect((reason as OpenFlowError).code).toBe('ERR_OPENFLOW_TIMEOUT');
    expect(((await pending) as OpenFlowError).code).toBe('ERR_OPENFLOW_CLOSED');
  });

  it('negotiates with a hello without bitmap from a newer peer, and refuses an older one with HELLO_FAILED', async () => {
    const newer = await start(() => {}, { type: 'hello', xid: 1, version: 6, versions: [] });
    const c = await connect(newer.port);
    expect(c.session?.peerVersion).toBe(6);

    const older = await start(() => {}, { type: 'hello', xid: 1, version: 1, versions: [] });
    const err = (await OpenFlowClient.connect({ port: older.port }).catch((e: unknown) => e)) as OpenFlowError;
    expect(err.code).toBe('ERR_OPENFLOW_VERSION');
    await new Promise((r) => setTimeout(r, 20));
    const sent = older.conns[0]!.received.find((m) => m.type === 'error');
    expect(sent).toMatchObject({ type: 'error', typeName: 'OFPET_HELLO_FAILED', codeName: 'OFPHFC_INCOMPATIBLE' });
  });

  it('a peer that sends something other than hello first is refused with ERR_OPENFLOW_PROTOCOL', async () => {
    const sw = await start(() => {}, { type: 'barrier_request', xid: 1 });
    const err = (await OpenFlowClient.connect({ port: sw.port }).catch((e: unknown) => e)) as OpenFlowError;
    expect(err.code).toBe('ERR_OPENFLOW_PROTOCOL');
  });

  it('a stream that cannot be framed (length < 8) during the handshake is refused with ERR_OPENFLOW_PROTOCOL', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.write(Uint8Array.of(4, 0, 0, 4, 0, 0, 0, 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const err = (await OpenFlowClient.connect({ port: (server.address() as net.AddressInfo).port }).catch((e: unknown) => e)) as OpenFlowError;
    expect(err.code).toBe('ERR_OPENFLOW_PROTOCOL');
  });

  it('reconnects with backoff after the peer drops the connection, and keeps delivering events', async () => {
    const sw = await start((m, conn) => {
      if (m.type === 'features_request') conn.send({ type: 'features_reply', xid: m.xid, datapathId: 7n, nBuffers: 0, nTables: 1, auxiliaryId: 0, capabilities: 0, reserved: 0 });
    });
    const c = await connect(sw.port);
    const events = c.events();
    cleanups.push(async () => events.return?.());
    const reconnected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    sw.conns[0]!.socket.destroy();
    await reconnected;
    expect(c.connects).toBe(2);
    expect((await c.features()).datapathId).toBe(7n);
    sw.conns[1]!.send({ type: 'packet_in', xid: 0, bufferId: 0xffffffff, totalLen: 3, reason: 0, tableId: 0, cookie: 0n, match: [{ field: 'in_port', value: 4 }], data: Uint8Array.of(1, 2, 3) });
    const ev = await events.next();
    expect(ev.value).toMatchObject({ type: 'packet_in', data: Uint8Array.of(1, 2, 3) });
  });

  it('an error with no request in flight is an error_message event, not a rejection', async () => {
    const sw = await start(() => {});
    const c = await connect(sw.port);
    const seen = new Promise<OfMessage>((resolve) => c.once('error_message', resolve));
    sw.conns[0]!.send(errorMessage(4242, 1, 1));
    expect(await seen).toMatchObject({ xid: 4242, codeName: 'OFPBRC_BAD_TYPE' });
  });

  it('encode errors reject the call and send nothing', async () => {
    const sw = await start(() => {});
    const c = await connect(sw.port);
    await expect(c.installFlows([flowMod({ priority: 1 }), flowMod({ priority: -1 })])).rejects.toMatchObject({ code: 'ERR_OPENFLOW_ENCODE' });
    await new Promise((r) => setTimeout(r, 20));
    expect(sw.conns[0]!.received.filter((m) => m.type === 'flow_mod')).toHaveLength(0);
  });
});

describe('OpenFlow controller over a scripted switch', () => {
  it('learns the datapath id, yields the connection and its events, and closes cleanly', async () => {
    const ctl = await OpenFlowController.listen({ port: 0 });
    cleanups.push(() => ctl.close());
    const conns = ctl.connections();
    const port = { portNo: 3, hwAddr: '02:00:00:00:00:03', name: 'p3', config: 0, state: 4, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0 };
    const events = ctl.events();
    // Be the switch on a raw socket: hello, then answer features_request.
    const socket = net.connect({ port: ctl.port, host: '127.0.0.1' });
    cleanups.push(async () => socket.destroy());
    const framer = new Framer();
    socket.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) {
        const m = decodeMessage(f);
        // A port_status before the features reply must not be lost.
        if (m.type === 'features_request') socket.write(encodeMessage({ type: 'port_status', xid: 0, reason: 0, port: { ...port, portNo: 2, name: 'p2' } }));
        if (m.type === 'features_request') socket.write(encodeMessage({ type: 'features_reply', xid: m.xid, datapathId: 0x1234n, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0, reserved: 0 }));
      }
    });
    socket.write(encodeMessage({ type: 'hello', xid: 1, version: 4, versions: [4] }));
    const conn = await ctl.waitForSwitch(0x1234n, 5000);
    expect(conn.datapathId).toBe(0x1234n);
    expect((await conns.next()).value?.datapathId).toBe(0x1234n);
    socket.write(encodeMessage({ type: 'port_status', xid: 0, reason: 0, port }));
    const first = await events.next();
    expect(first.value?.message).toMatchObject({ type: 'port_status', port: { name: 'p2' } });
    const ev = await events.next();
    expect(ev.value?.message).toMatchObject({ type: 'port_status', port: { name: 'p3' } });
    expect(ev.value?.from).toBe(conn);
    await ctl.close();
    expect((await conns.next()).done).toBe(true);
    expect(conn.session.closed).toBe(true);
    await expect(ctl.waitForSwitch()).rejects.toMatchObject({ code: 'ERR_OPENFLOW_CLOSED' });
  });
});
