/**
 * OpenFlow 1.3 (bindings/openflow, issue 5) against a private ovs-vswitchd (userspace, dummy
 * datapath) that this suite starts with scripts/services/start-ovs.sh and stops at the end:
 *
 *   1. 10,000 flow_mods (add, priority 1000, ip,in_port=1,nw_dst=10.x.y.z → output:2) followed by a
 *      barrier, through our client — over TCP (ptcp listener on 127.0.0.1) and over the bridge's
 *      unix management socket — from encoding the first message to the barrier reply, beside
 *      `ovs-ofctl -O OpenFlow13 add-flows br0 FILE` with the same 10,000 flows, on the same bridge
 *      (over that unix socket; the tool also ends with a barrier). Rounds rotate the order; the
 *      table is emptied (untimed) before each run and the 10,000 flows are counted (aggregate
 *      stats) after it. ovs-vswitchd's CPU time per run is read from /proc.
 *   2. Lock-step: the same 10,000 flow_mods, each followed by a barrier and waiting for its reply
 *      before the next — which is what ovs-ofctl add-flows does (seen with -vvconn:dbg: it sends
 *      flow_mod, barrier, waits, per flow) — over the unix socket and over TCP; gives the per-flow
 *      latency too.
 *   3. Codec throughput (bench-node): encode and decode of a typical flow_mod, decode of a 100-flow
 *      flow-stats reply, encode of a packet_out.
 *
 * Environment: TSTACK_BENCH_OVS_PORT (ovsdb-server's TCP port; the OpenFlow listener takes the
 * next one; default: the first free pair of 26370, 26372 … 26388, below the ephemeral range and
 * above the tests' per-worker blocks), TSTACK_BENCH_OPENFLOW_ROUNDS (5).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  decodeMessage,
  encodeMessage,
  flowMod,
  OFPP,
  OpenFlowClient,
  type FlowMod,
  type FlowStats,
  type OfMessage,
} from '../bindings/openflow/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TimedCase } from './harness.js';
import { consume, managed, packageRoot, scenarioCollector, target, timeCases, scenarioLookup } from './harness.js';
import { checkPort, portAnswers, treeCpuSeconds } from './servers.js';

const FLOWS = 10_000;
const BRIDGE = 'br0';

interface Ovs {
  dir: string;
  env: NodeJS.ProcessEnv;
  vswitchdPid: number;
  stop(): void;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')}… failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout.trim());
    });
  });
}

function startOvs(dbPort: number): Ovs {
  const scripts = path.join(packageRoot(), 'scripts', 'services');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsof-bench-'));
  const r = spawnSync('bash', [path.join(scripts, 'start-ovs.sh'), dir, String(dbPort)], { encoding: 'utf8' });
  const stop = (): void => {
    spawnSync('bash', [path.join(scripts, 'stop-ovs.sh'), dir], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  if (r.status !== 0) {
    stop();
    throw new Error(`start-ovs.sh failed: ${r.stderr}`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.startsWith('OVS_')) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const vswitchdPid = Number(fs.readFileSync(path.join(env['OVS_RUNDIR'] as string, 'ovs-vswitchd.pid'), 'utf8').trim());
  return { dir, env, vswitchdPid, stop };
}

/** The given port, or the first pair (p, p+1) nothing answers on: other benches may be running. */
async function freePortPair(given: string | undefined): Promise<number> {
  if (given !== undefined) return Number(given);
  for (let p = 26370; p < 26390; p += 2) if (!(await portAnswers(p)) && !(await portAnswers(p + 1))) return p;
  throw new Error('no free port pair in 26370–26389: set TSTACK_BENCH_OVS_PORT');
}

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function benchFlows(): { mods: FlowMod[]; text: string } {
  const mods: FlowMod[] = [];
  const lines: string[] = [];
  for (let i = 0; i < FLOWS; i++) {
    mods.push(
      flowMod({
        priority: 1000,
        match: [
          { field: 'in_port', value: 1 },
          { field: 'eth_type', value: 0x0800 },
          { field: 'ipv4_dst', value: ipOf(i) },
        ],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
      }),
    );
    lines.push(`priority=1000,ip,in_port=1,nw_dst=${ipOf(i)},actions=output:2`);
  }
  return { mods, text: `${lines.join('\n')}\n` };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function flowMods(log: (line: string) => void): Promise<ScenarioResult[]> {
  const dbPort = await freePortPair(process.env['TSTACK_BENCH_OVS_PORT']);
  const ofPort = dbPort + 1;
  log(`    ovsdb-server on 127.0.0.1:${dbPort}, OpenFlow listener on 127.0.0.1:${ofPort}`);
  checkPort(dbPort, 'TSTACK_BENCH_OVS_PORT');
  checkPort(ofPort, 'OpenFlow listener');
  const rounds = Math.max(1, Number(process.env['TSTACK_BENCH_OPENFLOW_ROUNDS'] ?? '5'));
  const ovs = startOvs(dbPort);
  let client: OpenFlowClient | undefined;
  let unixClient: OpenFlowClient | undefined;
  try {
    const vsctl = (...a: string[]): Promise<string> => run('ovs-vsctl', ['--timeout=30', ...a], ovs.env);
    await vsctl('add-br', BRIDGE, '--', 'set', 'bridge', BRIDGE, 'datapath_type=dummy', 'protocols=OpenFlow13', 'fail_mode=secure', '--', 'set-controller', BRIDGE, `ptcp:${ofPort}:127.0.0.1`);
    for (const p of [1, 2]) await vsctl('add-port', BRIDGE, `p${p}`, '--', 'set', 'interface', `p${p}`, 'type=dummy', `ofport_request=${p}`);
    client = await OpenFlowClient.connect({ port: ofPort, requestTimeoutMs: 120_000 });
    unixClient = await OpenFlowClient.connect({ path: path.join(ovs.env['OVS_RUNDIR'] as string, `${BRIDGE}.mgmt`), requestTimeoutMs: 120_000 });
    const u = unixClient;
    const { mods, text } = benchFlows();
    const file = path.join(ovs.dir, 'flows.txt');
    fs.writeFileSync(file, text);
    const c = client;
    const reset = async (): Promise<void> => {
      await c.deleteFlows();
      const n = (await c.aggregateStats()).flowCount;
      if (n !== 0) throw new Error(`table not empty after delete: ${n}`);
    };
    const check = async (what: string): Promise<void> => {
      const n = (await c.aggregateStats()).flowCount;
      if (n !== FLOWS) throw new Error(`${what}: ${n} flows installed, expected ${FLOWS}`);
    };

    const who = ['ours', 'oursUnix', 'ofctl'] as const;
    const wall: Record<(typeof who)[number], number[]> = { ours: [], oursUnix: [], ofctl: [] };
    const cpu: Record<(typeof who)[number], number[]> = { ours: [], oursUnix: [], ofctl: [] };
    // Warm-up round for all (JIT, OVS's classifier allocations), not counted.
    for (let round = -1; round < rounds; round++) {
      const order = who.map((_, i) => who[(i + Math.max(0, round)) % who.length] as (typeof who)[number]);
      for (const w of order) {
        await reset();
        const cpu0 = treeCpuSeconds([ovs.vswitchdPid]);
        const t0 = process.hrtime.bigint();
        if (w === 'ours') await c.installFlows(mods);
        else if (w === 'oursUnix') await u.installFlows(mods);
        else await run('ovs-ofctl', ['-O', 'OpenFlow13', 'add-flows', BRIDGE, file], ovs.env);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const cpuMs = (treeCpuSeconds([ovs.vswitchdPid]) - cpu0) * 1000;
        await check(w);
        if (round < 0) continue;
        wall[w].push(ms);
        cpu[w].push(cpuMs);
      }
      if (round >= 0) log(`    round ${round + 1}: ours/TCP ${wall.ours.at(-1)?.toFixed(0)} ms, ours/unix ${wall.oursUnix.at(-1)?.toFixed(0)} ms, ovs-ofctl ${wall.ofctl.at(-1)?.toFixed(0)} ms`);
    }
    const ours = wall.ours;
    const ofctl = wall.ofctl;
    // The same through ovs-ofctl's own text dump, to be sure both installed the same thing.
    const sample = await run('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', BRIDGE, 'ip,nw_dst=10.0.39.15'], ovs.env);
    if (!/priority=1000,ip,in_port=1,nw_dst=10\.0\.39\.15 actions=output:2/.test(sample)) throw new Error(`unexpected flow: ${sample}`);

    // Lock-step: one flow_mod + barrier at a time, as ovs-ofctl does it.
    const lockStep = async (client: OpenFlowClient): Promise<number[]> => {
      await reset();
      const lat: number[] = [];
      for (let i = 0; i < FLOWS; i++) {
        const t0 = process.hrtime.bigint();
        await client.installFlows([mods[i] as FlowMod]);
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      await check('lock-step');
      return lat;
    };
    const stepUnix = await lockStep(u);
    const stepTcp = await lockStep(c);
    const oursMed = median(ours);
    const ofctlMed = median(ofctl);
    const unixMed = median(wall.oursUnix);
    return [
      {
        id: 'openflow-10k-flowmods-barrier-tstack',
        name: `${FLOWS.toLocaleString('en-US')} flow_mods + barrier through tstack-host's client (TCP), median of ${rounds}`,
        providers: 0,
        meanMs: ours.reduce((a, b) => a + b, 0) / ours.length,
        minMs: Math.min(...ours),
        maxMs: Math.max(...ours),
        samples: ours.length,
        derived: {
          medianMs: oursMed,
          flowModsPerSec: (FLOWS * 1000) / oursMed,
          vswitchdCpuMs: median(cpu.ours),
          speedupVsOfctl: ofctlMed / oursMed,
        },
        checks: { flowsAfterEachRound: FLOWS },
        note: 'from encoding the first flow_mod to the barrier reply; table emptied before each round (untimed) and counted after it',
      },
      {
        id: 'openflow-10k-flowmods-barrier-tstack-unix',
        name: `${FLOWS.toLocaleString('en-US')} flow_mods + barrier through tstack-host's client over ${BRIDGE}.mgmt (unix socket, as ovs-ofctl), median of ${rounds}`,
        providers: 0,
        meanMs: wall.oursUnix.reduce((a, b) => a + b, 0) / wall.oursUnix.length,
        minMs: Math.min(...wall.oursUnix),
        maxMs: Math.max(...wall.oursUnix),
        samples: wall.oursUnix.length,
        derived: { medianMs: unixMed, flowModsPerSec: (FLOWS * 1000) / unixMed, vswitchdCpuMs: median(cpu.oursUnix), speedupVsOfctl: ofctlMed / unixMed },
        checks: { flowsAfterEachRound: FLOWS },
      },
      {
        id: 'openflow-10k-flowmods-barrier-ovs-ofctl',
        name: `${FLOWS.toLocaleString('en-US')} flows: ovs-ofctl -O OpenFlow13 add-flows (unix socket, same bridge), median of ${rounds}`,
        providers: 0,
        meanMs: ofctl.reduce((a, b) => a + b, 0) / ofctl.length,
        minMs: Math.min(...ofctl),
        maxMs: Math.max(...ofctl),
        samples: ofctl.length,
        derived: { medianMs: ofctlMed, flowModsPerSec: (FLOWS * 1000) / ofctlMed, vswitchdCpuMs: median(cpu.ofctl) },
        checks: { flowsAfterEachRound: FLOWS },
        note: 'wall time of the process: start, table-features and port-desc requests, parse the file, then flow_mod + barrier and wait, per flow',
      },
      ...(
        [
          ['unix', stepUnix],
          ['tcp', stepTcp],
        ] as const
      ).map(([label, lat]): ScenarioResult => {
        const total = lat.reduce((a, b) => a + b, 0);
        const sorted = [...lat].sort((a, b) => a - b);
        return {
          id: `openflow-10k-lockstep-${label}`,
          name: `${FLOWS.toLocaleString('en-US')} × (flow_mod + barrier, wait) through tstack-host's client over ${label === 'unix' ? `${BRIDGE}.mgmt` : 'TCP'} — ovs-ofctl's way`,
          providers: 0,
          meanMs: total / lat.length,
          p99Ms: sorted[Math.ceil(sorted.length * 0.99) - 1],
          samples: lat.length,
          derived: {
            totalMs: total,
            flowModsPerSec: (FLOWS * 1000) / total,
            p50Ms: sorted[sorted.length >> 1] as number,
            p99Ms: sorted[Math.ceil(sorted.length * 0.99) - 1] as number,
            speedupVsOfctl: ofctlMed / total,
          },
          checks: { flowsAfter: FLOWS },
        };
      }),
    ];
  } finally {
    await client?.close();
    await unixClient?.close();
    ovs.stop();
  }
}

async function codec(): Promise<ScenarioResult[]> {
  const mod = flowMod({
    priority: 1000,
    cookie: 0x1234n,
    match: [
      { field: 'in_port', value: 1 },
      { field: 'eth_type', value: 0x0800 },
      { field: 'ipv4_dst', value: '10.1.2.0', mask: '255.255.255.0' },
      { field: 'ip_proto', value: 6 },
      { field: 'tcp_dst', value: 443 },
    ],
    instructions: [
      { type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'eth_dst', value: '02:00:00:00:00:01' } }, { type: 'output', port: 2, maxLen: 0 }] },
      { type: 'goto_table', tableId: 1 },
    ],
  });
  const modBytes = encodeMessage(mod);
  const flows: FlowStats[] = Array.from({ length: 100 }, (_, i) => ({
    tableId: 0,
    durationSec: i,
    durationNsec: 0,
    priority: 1000,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: BigInt(i),
    packetCount: 10n,
    byteCount: 1000n,
    match: mod.match,
    instructions: mod.instructions,
  }));
  const statsBytes = encodeMessage({ type: 'multipart_reply', xid: 1, flags: 0, body: { kind: 'flow', flows } });
  const packetOut: OfMessage = { type: 'packet_out', xid: 1, bufferId: 0xffffffff, inPort: OFPP.CONTROLLER, actions: [{ type: 'output', port: 1, maxLen: 0 }], data: new Uint8Array(64) };
  const cases: TimedCase[] = [
    { id: 'encode-flow-mod', name: 'encode a flow_mod (5-field match, set_field + output, goto)', providers: 0, fn: managed(20_000, () => encodeMessage(mod).length) },
    { id: 'decode-flow-mod', name: 'decode the same flow_mod', providers: 0, fn: managed(20_000, () => (decodeMessage(modBytes).type === 'flow_mod' ? 1 : 0)) },
    {
      id: 'decode-flow-stats-100',
      name: 'decode a 100-flow flow-stats reply',
      providers: 0,
      fn: managed(500, () => {
        const m = decodeMessage(statsBytes);
        return m.type === 'multipart_reply' && m.body.kind === 'flow' ? m.body.flows.length : 0;
      }),
    },
    { id: 'encode-packet-out', name: 'encode a packet_out (64-byte packet)', providers: 0, fn: managed(20_000, () => encodeMessage(packetOut).length) },
  ];
  const timed = await timeCases(cases);
  consume(modBytes.length + statsBytes.length);
  return cases.map((c) => {
    const t = timed.get(c.id);
    const perOp = t?.opsPerSec ?? 0;
    const derived: Record<string, number> = { opsPerSec: perOp, meanUs: (t?.meanMs ?? 0) * 1000 };
    if (c.id === 'decode-flow-stats-100') derived['flowsPerSec'] = perOp * 100;
    if (c.id.endsWith('flow-mod')) derived['bytesPerMessage'] = modBytes.length;
    return { id: `openflow-${c.id}`, name: c.name, providers: 0, ...(t ?? {}), derived };
  });
}

async function runOpenflow(log: (line: string) => void): Promise<SuiteOutcome> {
  const { scenarios, done } = scenarioCollector(log);
  log('(1, 2) flow_mods against ovs-vswitchd, beside ovs-ofctl add-flows');
  done(await flowMods(log));
  log('(3) codec throughput');
  done(await codec());
  const byId = scenarioLookup(scenarios);
  return {
    scenarios,
    targets: [
      target('target', '10,000 flow_mods + barrier: at least as fast as ovs-ofctl add-flows on the same bridge', byId('openflow-10k-flowmods-barrier-tstack'), 'speedupVsOfctl', '>', 1, '×'),
      target('extra', 'the same over the unix management socket (ovs-ofctl\'s transport)', byId('openflow-10k-flowmods-barrier-tstack-unix'), 'speedupVsOfctl', '>', 1, '×'),
      target('extra', 'lock-step like ovs-ofctl (flow_mod + barrier per flow, unix socket): at least as fast as ovs-ofctl', byId('openflow-10k-lockstep-unix'), 'speedupVsOfctl', '>', 1, '×'),
      target('extra', 'encode a flow_mod: > 200,000/s', byId('openflow-encode-flow-mod'), 'opsPerSec', '>', 200_000, '/s'),
      target('extra', 'decode a flow_mod: > 200,000/s', byId('openflow-decode-flow-mod'), 'opsPerSec', '>', 200_000, '/s'),
    ],
  };
}

export const openflowSuite: BenchSuite = {
  name: 'openflow',
  description: 'OpenFlow 1.3: 10,000 flow_mods + barrier through our client (pipelined and lock-step) vs ovs-ofctl add-flows on one ovs-vswitchd; codec throughput',
  run: runOpenflow,
};
