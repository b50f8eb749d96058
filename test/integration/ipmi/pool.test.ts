/**
 * The fleet pool against three real ipmi_sim BMCs and one that never answers: per-BMC results and
 * typed errors, the concurrency limit, session reuse, and reopening after a BMC restart.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { IpmiPool, IpmiTimeoutError, type BmcTarget } from '../../../bindings/ipmi/index.js';
import { itWithService } from '../../support/services.js';
import { servicePort } from '../../support/ports.js';
import { BlackHole, SIM_PASSWORD, SIM_USER, ipmiSimAvailable, startSim, type SimHandle } from '../../support/ipmi.js';

const it = itWithService(ipmiSimAvailable, 'ipmi_sim and ipmitool (Debian openipmi, ipmitool)');
const base = servicePort('ipmi', 10);
const holePort = servicePort('ipmi', 13);
let sim: SimHandle | undefined;
let hole: BlackHole | undefined;
const bmcs: BmcTarget[] = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: base + i, username: SIM_USER, password: SIM_PASSWORD }));

describe('IpmiPool against ipmi_sim', () => {
  beforeAll(async () => {
    if (!ipmiSimAvailable) return;
    sim = await startSim(base, 3);
    hole = await BlackHole.open(holePort);
  });
  afterAll(async () => {
    hole?.close();
    await sim?.destroy();
  });

  it('gives a result per BMC, a typed error for the unreachable one, and reuses sessions', async () => {
    await using pool = new IpmiPool({ concurrency: 2, defaults: { cipherSuites: [3], retry: { timeoutMs: 300, retries: 1 } } });
    const targets = [...bmcs, { host: '127.0.0.1', port: holePort, username: SIM_USER, password: SIM_PASSWORD }];
    let inFlight = 0;
    let maxInFlight = 0;
    const first = await pool.run(targets, async (c) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await c.powerStatus();
      } finally {
        inFlight--;
      }
    });
    expect(first.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(first.slice(0, 3).map((r) => (r.ok ? r.value : r.error))).toEqual(['off', 'off', 'off']);
    const bad = first[3];
    expect(bad?.ok === false && bad.error).toBeInstanceOf(IpmiTimeoutError);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const opened = pool.opened;
    expect(opened).toBe(4);

    // A command through the pool reaches the right chassis.
    const on = await pool.run([bmcs[1] as BmcTarget], (c) => c.power('on'));
    expect(on[0]?.ok).toBe(true);
    expect((sim as SimHandle).chassisFile('power', base + 1)).toBe('1');

    const second = await pool.powerStatus(bmcs);
    expect(second.map((r) => (r.ok ? r.value : 'error'))).toEqual(['off', 'on', 'off']);
    expect(pool.opened).toBe(opened);
    expect(second.every((r) => !r.reopened)).toBe(true);
  });

  it('reopens the session of a BMC that restarted during it', async () => {
    const h = sim as SimHandle;
    await using pool = new IpmiPool({ defaults: { cipherSuites: [3], retry: { timeoutMs: 300, retries: 1 } } });
    const before = await pool.powerStatus(bmcs);
    expect(before.every((r) => r.ok)).toBe(true);
    await h.stop(base);
    await h.start();
    const after = await pool.powerStatus(bmcs);
    expect(after.map((r) => r.ok)).toEqual([true, true, true]);
    expect(after.map((r) => r.reopened)).toEqual([true, false, false]);
    expect(pool.opened).toBe(4);
  });
});
