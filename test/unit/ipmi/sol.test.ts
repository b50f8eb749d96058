/** Serial-over-LAN stream behaviour against the fake BMC: partial acceptance, NACKs, retransmissions. */
import { afterEach, describe, expect, it } from 'vitest';
import { LanplusSession, openSol } from '../../../bindings/ipmi/index.js';
import { servicePort } from '../../support/ports.js';
import { FakeBmc, SIM_PASSWORD, SIM_USER, type FakeBmcOptions } from '../../support/ipmi.js';

const port = servicePort('ipmi', 31);
let bmc: FakeBmc | undefined;
afterEach(() => {
  bmc?.close();
  bmc = undefined;
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function setup(opts: Partial<FakeBmcOptions>): Promise<{ b: FakeBmc; s: LanplusSession }> {
  bmc = await FakeBmc.open({ port, ...opts });
  const s = await LanplusSession.open({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [3], retry: { timeoutMs: 500, retries: 3 } });
  return { b: bmc, s };
}

describe('SOL stream (fake BMC)', () => {
  it('re-sends what the BMC did not accept, in packets no larger than it allows', async () => {
    const { b, s } = await setup({ solAcceptMax: 5 });
    const sol = await openSol(s);
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(4);
    await new Promise<void>((resolve, reject) => sol.write(text, (e) => (e ? reject(e) : resolve())));
    expect(Buffer.concat(b.solReceived).toString()).toBe(text);
    expect(b.solReceived.every((d) => d.length <= 5)).toBe(true);
    await new Promise<void>((resolve) => sol.end(resolve));
    await s.close();
  });

  it('retries after a NACK without duplicating data', async () => {
    const { b, s } = await setup({ solNacks: 2 });
    const sol = await openSol(s);
    await new Promise<void>((resolve, reject) => sol.write('abc', (e) => (e ? reject(e) : resolve())));
    expect(Buffer.concat(b.solReceived).toString()).toBe('abc');
    sol.destroy();
    await s.close();
  });

  it('delivers BMC data once per sequence number and acknowledges every copy', async () => {
    const { b, s } = await setup({});
    const sol = await openSol(s);
    const got: Buffer[] = [];
    sol.on('data', (d: Buffer) => got.push(d));
    b.solSend(1, Buffer.from('login: '));
    b.solSend(1, Buffer.from('login: '));
    b.solSend(2, Buffer.from('root'));
    await until(() => b.solAcks.length >= 3);
    expect(Buffer.concat(got).toString()).toBe('login: root');
    expect(b.solAcks).toEqual([
      { ackSequence: 1, acceptedCount: 7 },
      { ackSequence: 1, acceptedCount: 7 },
      { ackSequence: 2, acceptedCount: 4 },
    ]);
    sol.destroy();
    await s.close();
  });
});
