/**
 * Random and truncated datagrams thrown at a live RMCP+ session (fake BMC, in process) never
 * crash it: they are counted as dropped, and the next request still gets its real answer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanplusSession } from '../../../bindings/ipmi/index.js';
import { encodeLanplus } from '../../../bindings/ipmi/packet.js';
import { servicePort } from '../../support/ports.js';
import { FakeBmc, SIM_PASSWORD, SIM_USER } from '../../support/ipmi.js';

const port = servicePort('ipmi', 35);
let bmc: FakeBmc;
let session: LanplusSession;

describe('a live session under random datagrams', () => {
  beforeAll(async () => {
    bmc = await FakeBmc.open({ port });
    session = await LanplusSession.open({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [3], retry: { timeoutMs: 200, retries: 2 } });
  });
  afterAll(async () => {
    await session.close();
    bmc.close();
  });

  it('drops them and keeps answering', async () => {
    const sessionId = session.info.consoleSessionId;
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)),
      // Well-formed RMCP+ headers for this very session, with random (unauthenticated or forged) bodies.
      fc.tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 60 })).map(([enc, auth, seq, body]) => {
        const b = encodeLanplus({ payloadType: 0, encrypted: false, authenticated: false, sessionId, sequence: seq, payload: Buffer.from(body) });
        b[5] = (enc ? 0x80 : 0) | (auth ? 0x40 : 0);
        return b;
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(datagram, { maxLength: 8 }), fc.nat({ max: 100 }), async (junk, cut) => {
        const pending = session.request(0x00, 0x01);
        for (const d of junk) {
          session.transport.deliver(d);
          session.transport.deliver(d.subarray(0, cut % (d.length + 1)));
        }
        expect((await pending).toString('hex')).toBe('010000');
      }),
      { numRuns: 60 },
    );
    expect(session.transport.stats.dropped).toBeGreaterThan(0);
  });
});
