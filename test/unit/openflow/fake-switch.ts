/** A scripted OpenFlow peer on a loopback socket, for unit tests of the session and client. */
import net from 'node:net';
import { Framer } from '../../../bindings/openflow/framer.js';
import { decodeMessage, encodeMessage, type OfMessage } from '../../../bindings/openflow/message.js';

export interface FakeConn {
  socket: net.Socket;
  send(m: OfMessage): void;
  sendBytes(b: Uint8Array): void;
  received: OfMessage[];
}

export interface FakeSwitch {
  port: number;
  conns: FakeConn[];
  close(): Promise<void>;
}

/**
 * Listens on an OS-chosen loopback port. Sends `hello` (version 4 with bitmap unless overridden)
 * on connect and passes every later message to `onMessage`.
 */
export async function fakeSwitch(onMessage: (m: OfMessage, conn: FakeConn) => void, hello: OfMessage = { type: 'hello', xid: 1, version: 4, versions: [4] }): Promise<FakeSwitch> {
  const conns: FakeConn[] = [];
  const server = net.createServer((socket) => {
    const framer = new Framer();
    const conn: FakeConn = {
      socket,
      send: (m) => socket.write(encodeMessage(m)),
      sendBytes: (b) => socket.write(b),
      received: [],
    };
    conns.push(conn);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const f of framer.push(chunk)) {
        const m = decodeMessage(f);
        conn.received.push(m);
        if (m.type !== 'hello') onMessage(m, conn);
      }
    });
    conn.send(hello);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    conns,
    close: async () => {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
