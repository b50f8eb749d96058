/**
 * OvsdbClient's JSON-RPC session rules against a scripted fake server on a unix socket: reply
 * matching, echo in both directions, dead-peer detection, protocol errors and reconnect.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonStreamParser, OvsdbClient, OvsdbConnectionError, OvsdbRpcError } from '../../../bindings/ovsdb/index.js';

interface FakeConn {
  socket: net.Socket;
  received: Array<Record<string, unknown>>;
  send(msg: unknown): void;
}

class FakeServer {
  readonly conns: FakeConn[] = [];
  onMessage: (c: FakeConn, m: Record<string, unknown>) => void = () => {};
  private server!: net.Server;
  constructor(readonly sockPath: string) {}
  async listen(): Promise<void> {
    this.server = net.createServer((socket) => {
      const parser = new JsonStreamParser();
      const conn: FakeConn = { socket, received: [], send: (m) => socket.write(typeof m === 'string' ? m : JSON.stringify(m)) };
      this.conns.push(conn);
      socket.on('data', (d) => {
        for (const m of parser.push(d) as Array<Record<string, unknown>>) {
          conn.received.push(m);
          this.onMessage(conn, m);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => this.server.listen(this.sockPath, r));
  }
  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('OvsdbClient session rules (fake server)', () => {
  let dir: string;
  let server: FakeServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovsdb-unit-'));
    server = new FakeServer(path.join(dir, 's.sock'));
    await server.listen();
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('matches replies sent out of order to their requests', async () => {
    const held: Array<Record<string, unknown>> = [];
    server.onMessage = (c, m) => {
      held.push(m);
      if (held.length === 3) for (const h of held.reverse()) c.send({ id: h['id'], result: h['params'], error: null });
    };
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}` });
    const r = await Promise.all([c.echo(['a']), c.echo(['b']), c.echo(['c'])]);
    expect(r).toEqual([['a'], ['b'], ['c']]);
  });

  it('answers the server echo, refuses other server requests, and surfaces RPC errors', async () => {
    server.onMessage = (c, m) => {
      if (m['method'] === 'list_dbs') c.send({ id: m['id'], result: null, error: 'unknown database' });
    };
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}` });
    await until(() => server.conns.length === 1);
    const conn = server.conns[0]!;
    conn.send({ method: 'echo', params: ['ping', 7], id: 'e1' });
    conn.send({ method: 'frobnicate', params: [], id: 'f1' });
    await until(() => conn.received.length >= 2);
    expect(conn.received).toEqual([
      { result: ['ping', 7], error: null, id: 'e1' },
      { result: null, error: { error: 'unknown method', details: 'frobnicate' }, id: 'f1' },
    ]);
    expect(c.sessionStats.echoesAnswered).toBe(1);
    const err = await c.listDbs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbRpcError);
    expect(err).toMatchObject({ code: 'ERR_OVSDB_RPC', error: 'unknown database' });
  });

  it('probes a silent server and drops the connection when the probe is not answered', async () => {
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}`, probeIntervalMs: 100, reconnect: false });
    const err = await new Promise<OvsdbConnectionError>((r) => c.once('disconnect', r));
    expect(err.message).toMatch(/silent/);
    expect(server.conns[0]!.received.map((m) => m['method'])).toContain('echo');
    await expect(c.listDbs()).rejects.toMatchObject({ code: 'ERR_OVSDB_CONNECTION' });
  });

  it('drops a connection that sends garbage, fails what was waiting, and reconnects', async () => {
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}`, backoff: { initialMs: 10 } });
    await until(() => server.conns.length === 1);
    const pending = c.echo(['x']);
    await until(() => server.conns[0]!.received.length === 1);
    const reconnected = new Promise<void>((r) => c.once('connect', () => r()));
    server.conns[0]!.send('{"id": 1, "result": [] }  garbage');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OVSDB_CONNECTION' });
    await reconnected;
    expect(c.connectionGeneration).toBe(2);
    server.onMessage = (conn, m) => conn.send({ id: m['id'], result: ['Open_vSwitch'], error: null });
    expect(await c.listDbs()).toEqual(['Open_vSwitch']);
  });

  it('times out one request and still answers the next', async () => {
    let n = 0;
    server.onMessage = (conn, m) => {
      if (n++ > 0) conn.send({ id: m['id'], result: [], error: null });
    };
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}` });
    await expect(c.listDbs({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_OVSDB_TIMEOUT', method: 'list_dbs' });
    expect(await c.listDbs()).toEqual([]);
  });

  it('rejects malformed results with a typed error', async () => {
    server.onMessage = (conn, m) => conn.send({ id: m['id'], result: m['method'] === 'get_server_id' ? 5 : { locked: 'yes' }, error: null });
    await using c = await OvsdbClient.connect({ remote: `unix:${server.sockPath}` });
    await expect(c.getServerId()).rejects.toMatchObject({ code: 'ERR_OVSDB_PROTOCOL' });
    await expect(c.lock('x')).rejects.toMatchObject({ code: 'ERR_OVSDB_PROTOCOL' });
    await expect(c.listDbs()).rejects.toMatchObject({ code: 'ERR_OVSDB_PROTOCOL' });
  });
});
