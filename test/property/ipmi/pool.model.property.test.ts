/**
 * Model-based test of IpmiPool against three in-process fake BMCs that can restart (forgetting
 * their sessions) or go away: after any sequence of runs, restarts, outages and returns, every
 * result, every "reopened" flag and the number of logins match a small model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpmiPool, IpmiTimeoutError, type BmcTarget } from '../../../bindings/ipmi/index.js';
import { servicePort } from '../../support/ports.js';
import { FakeBmc, SIM_PASSWORD, SIM_USER } from '../../support/ipmi.js';

const N = 3;
const ports = [36, 37, 38].map((i) => servicePort('ipmi', i));
const targets: BmcTarget[] = ports.map((port) => ({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD }));

type Action = { kind: 'run'; which: boolean[] } | { kind: 'restart'; i: number } | { kind: 'down'; i: number } | { kind: 'up'; i: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.boolean(), { minLength: N, maxLength: N }).map((which) => ({ kind: 'run' as const, which })) },
  fc.integer({ min: 0, max: N - 1 }).map((i) => ({ kind: 'restart' as const, i })),
  fc.integer({ min: 0, max: N - 1 }).map((i) => ({ kind: 'down' as const, i })),
  fc.integer({ min: 0, max: N - 1 }).map((i) => ({ kind: 'up' as const, i })),
);

interface ModelBmc {
  alive: boolean;
  hasSession: boolean;
  /** The BMC restarted since the pool's session was opened. */
  stale: boolean;
}

describe('IpmiPool (model-based, fake BMCs)', () => {
  it('matches the model after any sequence of runs, restarts and outages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
        const bmcs: (FakeBmc | undefined)[] = await Promise.all(ports.map((port) => FakeBmc.open({ port })));
        const model: ModelBmc[] = ports.map(() => ({ alive: true, hasSession: false, stale: false }));
        let opened = 0;
        const pool = new IpmiPool({ concurrency: 2, defaults: { cipherSuites: [3], retry: { timeoutMs: 200, retries: 0 }, keepaliveMs: 0 } });
        try {
          for (const a of actions) {
            if (a.kind === 'restart' || a.kind === 'up') {
              if (a.kind === 'up' && model[a.i]?.alive) continue;
              bmcs[a.i]?.close();
              bmcs[a.i] = await FakeBmc.open({ port: ports[a.i] as number });
              const m = model[a.i] as ModelBmc;
              m.alive = true;
              m.stale = m.hasSession;
            } else if (a.kind === 'down') {
              bmcs[a.i]?.close();
              bmcs[a.i] = undefined;
              (model[a.i] as ModelBmc).alive = false;
            } else {
              const chosen = targets.filter((_, i) => a.which[i]);
              const idx = a.which.flatMap((w, i) => (w ? [i] : []));
              const results = await pool.powerStatus(chosen);
              for (const [k, r] of results.entries()) {
                const m = model[idx[k] as number] as ModelBmc;
                const reopen = m.hasSession && (m.stale || !m.alive);
                opened += m.hasSession ? (reopen ? 1 : 0) : 1;
                expect(r.ok).toBe(m.alive);
                expect(r.reopened).toBe(reopen);
                if (r.ok) expect(r.value).toBe('on');
                else expect(r.error).toBeInstanceOf(IpmiTimeoutError);
                m.hasSession = m.alive;
                m.stale = false;
              }
            }
          }
          expect(pool.opened).toBe(opened);
          expect(pool.size).toBe(model.filter((m) => m.hasSession).length);
        } finally {
          await pool.close();
          for (const b of bmcs) b?.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});
