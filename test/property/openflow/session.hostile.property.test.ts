/**
 * A peer that sends random bytes after its hello: the session never throws outside our typed
 * errors, and as long as the stream is well framed (every length ≥ 8 and the frames complete) it
 * survives undecodable messages and still answers the peer's echo.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage, Framer, OpenFlowClient, OpenFlowError, type OfMessage } from '../../../bindings/openflow/index.js';
import { fakeSwitch } from '../../unit/openflow/fake-switch.js';

function wellFramed(bytes: Uint8Array): boolean {
  try {
    const f = new Framer();
    f.push(bytes);
    return f.pending === 0;
  } catch {
    return false;
  }
}

/** Random frames with valid headers (version 4, any type, true length) and random bodies. */
const framedGarbage = fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 64 })), { maxLength: 8 }).map((frames) => {
  const parts = frames.map(([type, body]) => {
    const b = new Uint8Array(8 + body.length);
    // xid 0x7fff0000+: never one of the session's own requests here.
    b.set([4, type, b.length >> 8, b.length & 0xff, 0x7f, 0xff, 0, type]);
    b.set(body, 8);
    return b;
  });
  return Uint8Array.from(parts.flatMap((p) => [...p]));
});

describe('session under hostile input', () => {
  it('random or garbage-framed streams: typed errors only; well-framed garbage does not kill the session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(framedGarbage, fc.uint8Array({ maxLength: 120 })), async (garbage) => {
        let replied = false;
        const sw = await fakeSwitch((m: OfMessage) => {
          if (m.type === 'echo_reply' && m.xid === 0xdead) replied = true;
        });
        const errors: unknown[] = [];
        const client = await OpenFlowClient.connect({ port: sw.port, reconnect: false });
        client.on('disconnected', (e) => errors.push(e));
        try {
          const conn = sw.conns[0]!;
          conn.sendBytes(garbage);
          conn.sendBytes(encodeMessage({ type: 'echo_request', xid: 0xdead, data: Uint8Array.of(1) }));
          const framed = wellFramed(garbage);
          for (let i = 0; i < 2000 && !replied && errors.length === 0; i++) {
            await new Promise((r) => setTimeout(r, 1));
            // A stream that ends inside a frame can never reach our echo: stop waiting early.
            if (!framed && i > 50) break;
          }
          if (framed) {
            expect(replied).toBe(true);
            expect(client.connected).toBe(true);
          }
          for (const e of errors) expect(e).toBeInstanceOf(OpenFlowError);
        } finally {
          await client.close();
          await sw.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
