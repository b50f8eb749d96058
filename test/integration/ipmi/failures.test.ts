/**
 * Failure behaviour against a real ipmi_sim: wrong password, unreachable BMC, suite 0, and that
 * no password or session key ever shows in an error or a log line. Datagrams are counted by a
 * UDP relay between the client and the simulator.
 */
import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Logger } from '../../../common/logger.js';
import { Ipmi15Session, IpmiAuthError, IpmiCipherSuiteError, IpmiClient, IpmiNoSessionSlotError, IpmiPool, IpmiTimeoutError, LanplusSession } from '../../../bindings/ipmi/index.js';
import { revealSecretsForTesting } from '../../../bindings/ipmi/lanplus-session.js';
import { itWithService } from '../../support/services.js';
import { servicePort } from '../../support/ports.js';
import { BlackHole, SIM_USER, UdpRelay, ipmiSimAvailable, startSim, type SimHandle } from '../../support/ipmi.js';

const it = itWithService(ipmiSimAvailable, 'ipmi_sim and ipmitool (Debian openipmi, ipmitool)');
const simPort = servicePort('ipmi', 1);
const relayPort = servicePort('ipmi', 2);
const holePort = servicePort('ipmi', 3);
/** A password that cannot be confused with any word of a message. */
const PASSWORD = 'Zq8-Secret-Pw-44';
let sim: SimHandle | undefined;
let relay: UdpRelay;

function collectingLogger(lines: string[]): Logger {
  const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, obj, msg }) + inspect(obj, { depth: 10 }));
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('IPMI failure behaviour against ipmi_sim', () => {
  beforeAll(async () => {
    if (!ipmiSimAvailable) return;
    sim = await startSim(simPort, 1, { IPMI_SIM_PASSWORD: PASSWORD });
    relay = await UdpRelay.open(relayPort, simPort);
  });
  afterAll(async () => {
    relay?.close();
    await sim?.destroy();
  });

  it('wrong password: an auth error naming RAKP 2, after one login exchange and no retries', async () => {
    relay.toBmc = 0;
    // Generous timeout: a retransmission would show as an extra datagram, so none may happen on a busy machine.
    const retry = { timeoutMs: 1000, retries: 3 };
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
    const err = await IpmiClient.connect({ host: '127.0.0.1', port: relayPort, username: SIM_USER, password: 'not-the-password', cipherSuites: [3], retry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiAuthError);
    expect(err).toMatchObject({ code: 'ERR_IPMI_AUTH', step: 'rakp-2' });
    // Get Channel Auth Capabilities, Open Session, RAKP 1, and the RAKP 3 that tells the BMC to
    // drop the half-open session; then nothing: the session is gone, nothing is left to resend.
    for (let i = 0; i < 100 && relay.toBmc < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await settle();
    expect(relay.toBmc).toBe(4);

    // Through the pool, twice: one login per run, never a retry.
    const pool = new IpmiPool({ defaults: { username: SIM_USER, password: 'not-the-password', cipherSuites: [3], retry } });
    relay.toBmc = 0;
    const [a] = await pool.powerStatus([{ host: '127.0.0.1', port: relayPort, username: SIM_USER, password: 'not-the-password' }]);
    await settle();
    const once = relay.toBmc;
    const [b] = await pool.powerStatus([{ host: '127.0.0.1', port: relayPort, username: SIM_USER, password: 'not-the-password' }]);
    await settle();
    await pool.close();
    expect(a).toMatchObject({ ok: false, reopened: false });
    expect(b).toMatchObject({ ok: false, reopened: false });
    expect(!a?.ok && a?.error).toBeInstanceOf(IpmiAuthError);
    expect(once).toBe(4);
    expect(relay.toBmc).toBe(2 * once);
  });

  it('unknown user: an auth error naming RAKP 2 with the BMC status (unauthorized name)', async () => {
    const err = await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: 'nobody', password: PASSWORD, cipherSuites: [3] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_IPMI_AUTH', step: 'rakp-2', status: 0x0d });
  });

  it('unreachable BMC: a timeout error after exactly the configured retries', async () => {
    const hole = await BlackHole.open(holePort);
    try {
      const err = await IpmiClient.connect({ host: '127.0.0.1', port: holePort, username: SIM_USER, password: PASSWORD, retry: { timeoutMs: 100, retries: 2 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IpmiTimeoutError);
      expect(err).toMatchObject({ code: 'ERR_IPMI_TIMEOUT', attempts: 3, port: holePort, waitingFor: 'Get Channel Authentication Capabilities' });
      expect(hole.received).toHaveLength(3);
    } finally {
      hole.close();
    }
  });

  it('suite 0 is refused unless allowNoAuth, before anything is sent; with allowNoAuth any password gets in', async () => {
    relay.toBmc = 0;
    const err = await IpmiClient.connect({ host: '127.0.0.1', port: relayPort, username: SIM_USER, password: PASSWORD, cipherSuites: [0] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiCipherSuiteError);
    expect(relay.toBmc).toBe(0);
    // Why: suite 0 does not check the password at all.
    const c = await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: 'anything', cipherSuites: [0], allowNoAuth: true });
    try {
      expect(c.session.toJSON()).toMatchObject({ cipherSuite: 0 });
      expect((await c.deviceId()).manufacturerId).toBe(4753);
    } finally {
      await c.close();
    }
  });

  it('passwords and session keys never appear in errors, logs or inspected objects', async () => {
    const lines: string[] = [];
    const logger = collectingLogger(lines);
    const s = await LanplusSession.open({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD, cipherSuites: [3], logger });
    const secrets = revealSecretsForTesting(s);
    expect(secrets.length).toBe(3);
    const texts: string[] = [inspect(s, { depth: 10 }), JSON.stringify(s), ...lines];
    const errors: unknown[] = [];
    errors.push(await s.request(0x06, 0x04).catch((e: unknown) => e)); // completion error
    errors.push(await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD + 'x', cipherSuites: [3], logger }).catch((e: unknown) => e));
    errors.push(await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD, version: '1.5', logger }).then((c) => c.close()));
    const hole = await BlackHole.open(holePort);
    errors.push(await IpmiClient.connect({ host: '127.0.0.1', port: holePort, username: SIM_USER, password: PASSWORD, retry: { timeoutMs: 50, retries: 0 }, logger }).catch((e: unknown) => e));
    hole.close();
    await s.close();
    for (const e of errors) {
      if (e === undefined) continue;
      texts.push(String(e), JSON.stringify(e), inspect(e, { depth: 10 }), (e as Error).stack ?? '');
    }
    texts.push(...lines);
    expect(errors.filter((e) => e instanceof Error)).toHaveLength(3);
    const needles = [PASSWORD, Buffer.from(PASSWORD).toString('hex'), Buffer.from(PASSWORD).toString('base64')];
    for (const k of secrets) needles.push(k.toString('hex'), k.toString('base64'), k.subarray(0, 8).toString('hex'));
    for (const t of texts) for (const n of needles) expect(t.includes(n), `secret found in: ${t.slice(0, 200)}`).toBe(false);
  });

  it('a BMC out of session slots: typed errors, and Close Session frees a slot', async () => {
    const login = { host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD, cipherSuites: [3], retry: { timeoutMs: 1000, retries: 0 } };
    const open: LanplusSession[] = [];
    try {
      let last: unknown;
      for (let i = 0; i < 80; i++) {
        try {
          open.push(await LanplusSession.open(login));
        } catch (e) {
          last = e;
          break;
        }
      }
      // ipmi_sim has 63 slots and answers the 64th Open Session with silence (no status 0x01).
      expect(open.length).toBeGreaterThan(0);
      expect(last).toBeInstanceOf(IpmiTimeoutError);
      expect(last).toMatchObject({ waitingFor: 'Open Session (cipher suite 3)' });
      // IPMI 1.5 gets "out of space" to its challenge: a typed no-slot error.
      await expect(Ipmi15Session.open({ ...login, version: '1.5' })).rejects.toBeInstanceOf(IpmiNoSessionSlotError);
      await open.pop()?.close();
      const again = await LanplusSession.open(login);
      open.push(again);
      expect(again.info.cipherSuite).toBe(3);
    } finally {
      await Promise.all(open.map((s) => s.close()));
    }
  });

  it('a process that ends with a session open closes it on the way out', async () => {
    const c = await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD, cipherSuites: [3] });
    try {
      const before = (await c.sessionInfo()).active;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/integration/ipmi/fixtures/exit-child.ts', String(simPort), SIM_USER, PASSWORD], { timeout: 30_000 });
      expect(Number(stdout.trim())).toBeGreaterThan(0);
      // The child's session is gone as soon as it exited: it sent Close Session.
      expect((await c.sessionInfo()).active).toBe(before);
      // A client that closes explicitly frees its slot too.
      const other = await IpmiClient.connect({ host: '127.0.0.1', port: simPort, username: SIM_USER, password: PASSWORD, cipherSuites: [3] });
      expect((await c.sessionInfo()).active).toBe(before + 1);
      await other.close();
      expect((await c.sessionInfo()).active).toBe(before);
    } finally {
      await c.close();
    }
  });
});
