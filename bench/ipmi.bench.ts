/**
 * IPMI (bindings/ipmi, issue 6) against OpenIPMI BMC simulators (ipmi_sim) that this suite starts
 * with scripts/services/start-ipmi-sim.sh on 127.0.0.1:29000.. and stops at the end:
 *
 *   1. RMCP+ sessions opened (and closed) per second, one after another, cipher suite 3, beside
 *      ipmitool -I lanplus -C 3 (one process = one session) doing `mc guid`.
 *   2. Command round trips per second inside one session (Get Device ID, one at a time), beside
 *      ipmitool running the same number of `raw 0x06 0x01` lines from one `exec` file (one
 *      session) and pyghmi's raw_command in one session (fewer: ~80 ms each).
 *   3. Power status of a fleet of simulated BMCs: through IpmiPool from cold (every session opened
 *      and, at the end, closed: the same work ipmitool does), through the same pool again (sessions
 *      reused), beside ipmitool (one process per BMC, 8 at a time) and pyghmi (Debian
 *      python3-pyghmi, one Command per BMC, 16 threads). Rounds rotate the order; medians.
 *
 * Environment: TSTACK_BENCH_IPMI_BMCS (200), TSTACK_BENCH_IPMI_PORT (29000),
 * TSTACK_BENCH_IPMI_ROUNDS (3), TSTACK_BENCH_IPMI_CONCURRENCY (32: the pool's limit).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { IpmiPool, LanplusSession, type BmcTarget } from '../bindings/ipmi/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome } from './harness.js';
import { packageRoot, rotation, scenarioCollector, target, scenarioLookup } from './harness.js';

const USER = 'admin';
const PASSWORD = 'password';

function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.slice(-3).join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout.trim());
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[s.length >> 1] as number);
}

/** Runs `jobs` with at most `limit` at once. */
async function limited<T>(limit: number, jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= jobs.length) return;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

function ipmitool(port: number, args: readonly string[]): Promise<string> {
  return run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', USER, '-P', PASSWORD, ...args]);
}

async function runIpmi(log: (line: string) => void): Promise<SuiteOutcome> {
  const bmcs = envInt('TSTACK_BENCH_IPMI_BMCS', 200);
  const base = envInt('TSTACK_BENCH_IPMI_PORT', 29000);
  const rounds = envInt('TSTACK_BENCH_IPMI_ROUNDS', 3);
  const concurrency = envInt('TSTACK_BENCH_IPMI_CONCURRENCY', 32);
  const scripts = path.join(packageRoot(), 'scripts', 'services');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipmi-bench-'));
  const { scenarios, done } = scenarioCollector(log);
  log(`  starting ${bmcs} ipmi_sim BMCs on 127.0.0.1:${base}-${base + bmcs - 1}`);
  const t0 = performance.now();
  const started = spawnSync('bash', [path.join(scripts, 'start-ipmi-sim.sh'), dir, String(base), String(bmcs)], { encoding: 'utf8' });
  if (started.status !== 0) {
    spawnSync('bash', [path.join(scripts, 'stop-ipmi-sim.sh'), dir]);
    throw new Error(`start-ipmi-sim.sh failed: ${started.stderr}`);
  }
  log(`  ${bmcs} BMCs up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const targets: BmcTarget[] = Array.from({ length: bmcs }, (_, i) => ({ host: '127.0.0.1', port: base + i, username: USER, password: PASSWORD }));
  const login = { host: '127.0.0.1', port: base, username: USER, password: PASSWORD, cipherSuites: [3] };
  try {
    // ---- 1. sessions per second -----------------------------------------------------------------
    const sessionsN = 200;
    const ours: number[] = [];
    const tools: number[] = [];
    const toolN = 20;
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      for (let i = 0; i < sessionsN; i++) {
        const s = await LanplusSession.open({ ...login, port: base + (i % bmcs) });
        await s.close();
      }
      ours.push((sessionsN * 1000) / (performance.now() - t));
      t = performance.now();
      for (let i = 0; i < toolN; i++) await ipmitool(base + (i % bmcs), ['mc', 'guid']);
      tools.push((toolN * 1000) / (performance.now() - t));
    }
    const sessionsPerSec = median(ours);
    const toolSessionsPerSec = median(tools);
    const s1: ScenarioResult[] = [
      {
        id: 'ipmi-sessions',
        name: `RMCP+ sessions opened and closed per second, one at a time, suite 3 (${sessionsN} per round)`,
        providers: 0,
        derived: { sessionsPerSec, msPerSession: 1000 / sessionsPerSec, speedupVsIpmitool: sessionsPerSec / toolSessionsPerSec },
      },
      {
        id: 'ipmi-sessions-ipmitool',
        name: `ipmitool -I lanplus -C 3 mc guid, one process after another (${toolN} per round)`,
        providers: 0,
        derived: { sessionsPerSec: toolSessionsPerSec, msPerSession: 1000 / toolSessionsPerSec },
      },
    ];
    done(s1);

    // ---- 2. round trips in one session ----------------------------------------------------------
    const rttN = 2000;
    const rtts: number[] = [];
    const session = await LanplusSession.open(login);
    try {
      for (let i = 0; i < 100; i++) await session.request(0x06, 0x01);
      for (let r = 0; r < rounds; r++) {
        const t = performance.now();
        for (let i = 0; i < rttN; i++) await session.request(0x06, 0x01);
        rtts.push((rttN * 1000) / (performance.now() - t));
      }
    } finally {
      await session.close();
    }
    const rttPerSec = median(rtts);
    const batch = path.join(dir, 'rtt.ipmitool');
    fs.writeFileSync(batch, 'raw 0x06 0x01\n'.repeat(rttN));
    const pyRttN = 50;
    const toolRtts: number[] = [];
    const pyRtts: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      await ipmitool(base, ['exec', batch]);
      toolRtts.push((rttN * 1000) / (performance.now() - t));
      // pyghmi needs ~80 ms a round trip here (its I/O loop), so it gets fewer.
      const py = JSON.parse(await run('/usr/bin/python3', [path.join(packageRoot(), 'bench', 'py', 'pyghmi_bench.py'), 'rtt', '127.0.0.1', String(base), USER, PASSWORD, String(pyRttN)])) as { seconds: number; n: number };
      pyRtts.push(py.n / py.seconds);
    }
    const toolRtt = median(toolRtts);
    const pyRtt = median(pyRtts);
    done([
      {
        id: 'ipmi-rtt',
        name: `Get Device ID round trips per second in one suite-3 session (${rttN} per round)`,
        providers: 0,
        derived: { roundTripsPerSec: rttPerSec, usPerRoundTrip: 1e6 / rttPerSec, speedupVsIpmitool: rttPerSec / toolRtt, speedupVsPyghmi: rttPerSec / pyRtt },
      },
      {
        id: 'ipmi-rtt-ipmitool',
        name: `ipmitool exec: ${rttN} raw 0x06 0x01 in one session (process start and login included)`,
        providers: 0,
        derived: { roundTripsPerSec: toolRtt, usPerRoundTrip: 1e6 / toolRtt },
      },
      { id: 'ipmi-rtt-pyghmi', name: `pyghmi raw_command(6, 1) ${pyRttN} times in one session`, providers: 0, derived: { roundTripsPerSec: pyRtt, usPerRoundTrip: 1e6 / pyRtt } },
    ]);

    // ---- 3. fleet power status ------------------------------------------------------------------
    const cold: number[] = [];
    const warm: number[] = [];
    const tool: number[] = [];
    const py: number[] = [];
    const checks: Record<string, number> = {};
    const kinds = ['pool', 'ipmitool', 'pyghmi'] as const;
    for (let r = 0; r < rounds; r++) {
      const order = rotation(kinds, r);
      for (const kind of order) {
        if (kind === 'pool') {
          const pool = new IpmiPool({ concurrency, defaults: { cipherSuites: [3] } });
          let t = performance.now();
          const res = await pool.powerStatus(targets);
          const warmPool = performance.now();
          const again = await pool.powerStatus(targets);
          warm.push(performance.now() - warmPool);
          t = warmPool - t;
          const tc = performance.now();
          await pool.close();
          cold.push(t + (performance.now() - tc));
          checks['poolOk'] = res.filter((x) => x.ok).length;
          checks['poolWarmOk'] = again.filter((x) => x.ok && !x.reopened).length;
        } else if (kind === 'ipmitool') {
          const t = performance.now();
          const outs = await limited(
            8,
            targets.map((b) => () => ipmitool(b.port ?? 623, ['power', 'status']).catch(() => 'error')),
          );
          tool.push(performance.now() - t);
          checks['ipmitoolOk'] = outs.filter((o) => /Chassis Power is (on|off)/.test(o)).length;
        } else {
          const out = JSON.parse(await run('/usr/bin/python3', [path.join(packageRoot(), 'bench', 'py', 'pyghmi_bench.py'), 'fleet', '127.0.0.1', String(base), String(bmcs), USER, PASSWORD, '16'])) as { seconds: number; ok: number };
          py.push(out.seconds * 1000);
          checks['pyghmiOk'] = out.ok;
        }
      }
    }
    const coldMs = median(cold);
    const warmMs = median(warm);
    const toolMs = median(tool);
    const pyMs = median(py);
    done([
      {
        id: 'ipmi-fleet-pool-cold',
        name: `power status of ${bmcs} BMCs through IpmiPool, sessions opened and closed (concurrency ${concurrency})`,
        providers: bmcs,
        checks: { ...checks },
        derived: { wallMs: coldMs, bmcsPerSec: (bmcs * 1000) / coldMs, speedupVsIpmitool: toolMs / coldMs, speedupVsPyghmi: pyMs / coldMs },
      },
      {
        id: 'ipmi-fleet-pool-warm',
        name: `power status of ${bmcs} BMCs through the same IpmiPool again (sessions reused)`,
        providers: bmcs,
        derived: { wallMs: warmMs, bmcsPerSec: (bmcs * 1000) / warmMs, speedupVsIpmitool: toolMs / warmMs, speedupVsPyghmi: pyMs / warmMs },
      },
      {
        id: 'ipmi-fleet-ipmitool',
        name: `power status of ${bmcs} BMCs with ipmitool -I lanplus -C 3, one process per BMC, 8 at a time`,
        providers: bmcs,
        derived: { wallMs: toolMs, bmcsPerSec: (bmcs * 1000) / toolMs },
      },
      {
        id: 'ipmi-fleet-pyghmi',
        name: `power status of ${bmcs} BMCs with pyghmi (python3-pyghmi), one Command per BMC, 16 threads`,
        providers: bmcs,
        derived: { wallMs: pyMs, bmcsPerSec: (bmcs * 1000) / pyMs },
      },
    ]);
  } finally {
    spawnSync('bash', [path.join(scripts, 'stop-ipmi-sim.sh'), dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const byId = scenarioLookup(scenarios);
  return {
    scenarios,
    targets: [
      target('target', 'fleet power status through the pool (sessions opened) ≥ 10× faster than ipmitool', byId('ipmi-fleet-pool-cold'), 'speedupVsIpmitool', '>', 10, '×'),
      target('extra', 'fleet power status with reused sessions ≥ 10× faster than ipmitool', byId('ipmi-fleet-pool-warm'), 'speedupVsIpmitool', '>', 10, '×'),
      target('extra', 'fleet power status through the pool faster than pyghmi', byId('ipmi-fleet-pool-cold'), 'speedupVsPyghmi', '>', 1, '×'),
    ],
  };
}

export const ipmiSuite: BenchSuite = {
  name: 'ipmi',
  description: 'IPMI over RMCP+: sessions/s, round trips/s in a session, power status of a fleet of ipmi_sim BMCs via IpmiPool vs ipmitool and pyghmi',
  run: runIpmi,
};
