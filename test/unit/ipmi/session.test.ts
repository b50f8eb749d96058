/**
 * Session behaviour against an in-process fake BMC (built from the binding's own codecs, so these
 * tests prove behaviour; wire compatibility is proven against ipmi_sim in test/integration).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CIPHER_SUITES } from '../../../bindings/ipmi/cipher-suites.js';
import { IpmiCipherSuiteError, IpmiClosedError, IpmiTimeoutError, LanplusSession } from '../../../bindings/ipmi/index.js';
import { servicePort } from '../../support/ports.js';
import { FakeBmc, SIM_PASSWORD, SIM_USER, type FakeBmcOptions } from '../../support/ipmi.js';

const port = servicePort('ipmi', 30);
let bmc: FakeBmc | undefined;
afterEach(() => {
  bmc?.close();
  bmc = undefined;
});

async function fake(opts: Partial<FakeBmcOptions> = {}): Promise<FakeBmc> {
  bmc = await FakeBmc.open({ port, ...opts });
  return bmc;
}

const login = { host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, retry: { timeoutMs: 100, retries: 2 } };

describe('RMCP+ session (fake BMC)', () => {
  it('opens with each implemented suite and carries commands', async () => {
    await fake();
    for (const id of [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17]) {
      const s = await LanplusSession.open({ ...login, cipherSuites: [id] });
      expect(s.info.cipherSuite).toBe(id);
      expect((await s.request(0x06, 0x01)).toString('hex')).toBe('2001020302bf5701003412');
      await s.close();
    }
  });

  it('RAKP-HMAC-MD5 suites: switch to the ipmitool/FreeIPMI reading of the keys when the first request gets no answer', async () => {
    await fake({ hmacMd5WithK1: true });
    for (const id of [7, 8, 12]) {
      const s = await LanplusSession.open({ ...login, cipherSuites: [id] });
      expect((await s.request(0x00, 0x01)).toString('hex')).toBe('010000');
      await s.close();
    }
  });

  it('refuses a BMC that answers Open Session with suite 0 algorithms, unless allowNoAuth', async () => {
    await fake({ forceAlgorithms: CIPHER_SUITES.get(0) });
    await expect(LanplusSession.open({ ...login, cipherSuites: [3] })).rejects.toBeInstanceOf(IpmiCipherSuiteError);
    const s = await LanplusSession.open({ ...login, cipherSuites: [3], allowNoAuth: true }).catch((e: unknown) => e);
    // With allowNoAuth the none/none/none answer is still not the suite asked for: next suite, none left.
    expect(s).toBeInstanceOf(IpmiCipherSuiteError);
    const s0 = await LanplusSession.open({ ...login, cipherSuites: [0], allowNoAuth: true });
    expect(s0.info.cipherSuite).toBe(0);
    await s0.close();
  });

  it('falls back along the preference list: from the listed suites, or on "no cipher suite match"', async () => {
    const b = await fake({ listedSuites: [1, 2, 3] });
    const s = await LanplusSession.open({ ...login, cipherSuites: [17, 16, 3] });
    expect(s.info.cipherSuite).toBe(3);
    expect(b.openSessions).toEqual([3]);
    await s.close();
    b.close();
    const b2 = await fake({ rejectSuites: [17] });
    const s2 = await LanplusSession.open({ ...login, cipherSuites: [17, 3] });
    expect(s2.info.cipherSuite).toBe(3);
    expect(b2.openSessions).toEqual([17, 3]);
    await s2.close();
  });

  it('drops junk, replayed and tampered datagrams and still gets the real answer', async () => {
    await fake({
      noise: (answer, previous) => {
        const tampered = Buffer.from(answer);
        const i = 4 + (randomBytes(1)[0] as number) % (tampered.length - 4);
        tampered[i] = (tampered[i] as number) ^ 0x10;
        return [randomBytes(40), Buffer.from('0600ff07', 'hex'), tampered, ...(previous === undefined ? [] : [previous])];
      },
    });
    // A long timeout: the test asserts that nothing had to be resent.
    const s = await LanplusSession.open({ ...login, cipherSuites: [3], retry: { timeoutMs: 2000, retries: 1 } });
    for (let i = 0; i < 5; i++) expect((await s.request(0x00, 0x01)).toString('hex')).toBe('010000');
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.transport.stats.dropped).toBeGreaterThan(0);
    expect(s.transport.stats.retransmits).toBe(0);
    await s.close();
  });

  it('times out after the configured retries when the BMC stops answering in session', async () => {
    const b = await fake();
    const s = await LanplusSession.open({ ...login, cipherSuites: [3] });
    b.opts.silentInSession = true;
    const before = b.requests.length;
    const err = await s.request(0x06, 0x01).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiTimeoutError);
    expect(err).toMatchObject({ attempts: 3 });
    expect(b.requests.length - before).toBe(3);
    await s.close({ notify: false });
  });

  it('sends Close Session on close, and refuses use after close with a typed error', async () => {
    const b = await fake();
    const s = await LanplusSession.open({ ...login, cipherSuites: [3] });
    await s.close();
    expect(b.requests.at(-1)).toEqual({ netFn: 0x06, command: 0x3c });
    await expect(s.request(0x06, 0x01)).rejects.toBeInstanceOf(IpmiClosedError);
    await s.close();
  });

  it('keeps an idle session alive with Get Device ID', async () => {
    const b = await fake();
    const s = await LanplusSession.open({ ...login, cipherSuites: [3], keepaliveMs: 30 });
    const n = b.requests.length;
    for (let i = 0; i < 200 && b.requests.length === n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.requests.slice(n)[0]).toEqual({ netFn: 0x06, command: 0x01 });
    await s.close();
  });

  it('await using closes the session', async () => {
    const b = await fake();
    {
      await using s = await LanplusSession.open({ ...login, cipherSuites: [3] });
      expect(s.isClosed).toBe(false);
    }
    expect(b.requests.at(-1)).toEqual({ netFn: 0x06, command: 0x3c });
  });
});
