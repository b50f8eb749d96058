/**
 * libvirt binding benchmarks, on a real libvirtd (qemu:///system, started by
 * scripts/services/start-libvirtd.sh when not already answering), beside python3-libvirt
 * (bench/py/libvirt_bench.py) on the same daemon:
 *   (a) calls per second for cheap calls — lookup by name, info, XML description — with 1 and 16
 *       in flight, against a defined (inactive) domain; each tool runs for the same seconds, in
 *       alternating order, medians of several rounds; Python is also run with libvirt's default
 *       event loop registered and running (as the binding always has it), for context;
 *   (a2) info with 1 and 16 in flight beside the same call in C (bench/c/libvirt-floor.c, built
 *       with gcc here): on the calling threads, and handed to a pool of the binding's size and
 *       back, with and without libvirt's default event loop running — the floor of the shape the
 *       issue asks for;
 *   (b) define → running → console marker time of the tiny TCG guest (scripts/build-test-guest.sh);
 *       with the CPU time and context switches per call of each process (all its threads);
 *   (c) the JS event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) over every run
 *       of ours: the JS thread must never be blocked by a libvirt call. Beside it, from a 1-ms
 *       timer of bench/loop-stall.ts: each tick's lateness less the time the JS thread waited for
 *       a CPU within it (the kernel's per-thread run-queue wait), the part of the delay this
 *       process caused itself.
 * Calls/s, CPU and switches of ours come from child processes (this file's child mode); the delay
 * from further runs of ours in this process, under the histogram. Beside ours, in the same rounds,
 * the binding configured as before issue 7's second pass (a child
 * process of this file with TSTACK_LIBVIRT_EAGER_WATCHES=1 TSTACK_LIBVIRT_POOL_NICE=10
 * TSTACK_LIBVIRT_SHARE_DOMAINS=0): an A/B of those three changes on the same daemon and machine.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection, domainBuilder, domainXml, type Domain } from '../bindings/libvirt/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TargetResult } from './harness.js';
import { buildCProgram, packageRoot, rotation, scenarioCollector, target } from './harness.js';
import { LoopStallSampler, schedstatAvailable } from './loop-stall.js';

const run = promisify(execFile);
const URI = 'qemu:///system';
const MARKER = 'TSTACK-GUEST-READY';

function envNum(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
}

async function answers(): Promise<boolean> {
  return spawnSync('virsh', ['-q', '-c', URI, 'version'], { timeout: 10_000 }).status === 0;
}

/** One run: calls per second, and the process's CPU time and context switches per call (every
 *  thread: JS, pool, libvirt's event loop), the cost a 2-core host actually pays. */
interface CallRun {
  perSec: number;
  cpuUsPerCall: number;
  cswPerCall: number;
}

/** The binding configured as before (see the header): environment of the child process. */
const PREVIOUS_CONFIG = { TSTACK_LIBVIRT_EAGER_WATCHES: '1', TSTACK_LIBVIRT_POOL_NICE: '10', TSTACK_LIBVIRT_SHARE_DOMAINS: '0' };

/** Our calls: `inflight` loops sharing one connection until `seconds` have passed. */
async function ours(conn: Connection, dom: Domain, op: 'lookup' | 'info' | 'xml', inflight: number, seconds: number): Promise<CallRun> {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  const ru0 = process.resourceUsage();
  let ops = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      if (op === 'lookup') await conn.domainByName(dom.name);
      else if (op === 'info') await dom.info();
      else await dom.xml();
      ops++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, loop));
  const elapsed = (performance.now() - start) / 1000;
  const ru = process.resourceUsage();
  const cpuUs = ru.userCPUTime - ru0.userCPUTime + (ru.systemCPUTime - ru0.systemCPUTime);
  const csw = ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches + (ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches);
  return { perSec: ops / elapsed, cpuUsPerCall: cpuUs / Math.max(1, ops), cswPerCall: csw / Math.max(1, ops) };
}

async function waitMarker(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fs.promises.readFile(file, 'utf8')).includes(MARKER)) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`no marker in ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `ours` in a child process (this file, see the end) with `env` added, for the A/B. */
async function oursInChild(env: Record<string, string>, domain: string, op: 'lookup' | 'info' | 'xml', inflight: number, seconds: number): Promise<CallRun> {
  const self = fileURLToPath(import.meta.url);
  const out = await run(process.execPath, [self, 'calls', URI, domain, op, String(inflight), String(seconds)], { env: { ...process.env, ...env }, timeout: 120_000 });
  return JSON.parse(out.stdout) as CallRun;
}

/** bench/c/libvirt-floor built into `dir` (see buildCProgram). */
function buildFloor(dir: string, log: (line: string) => void): string | undefined {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libvirt'], { encoding: 'utf8' });
  if (flags.status !== 0) {
    log(`  (libvirt-floor not built, skipped: pkg-config libvirt: ${flags.stderr.trim()})`);
    return undefined;
  }
  return buildCProgram('libvirt-floor', dir, [...flags.stdout.trim().split(/\s+/), '-lpthread'], log);
}

/** One run of bench/py/libvirt_bench.py's `calls` output as a CallRun. */
function pythonCallRun(stdout: string): CallRun {
  const pj = JSON.parse(stdout) as { ops: number; seconds: number; cpuSeconds: number; voluntaryCsw: number; involuntaryCsw: number };
  const ops = Math.max(1, pj.ops);
  return { perSec: pj.ops / pj.seconds, cpuUsPerCall: (pj.cpuSeconds * 1e6) / ops, cswPerCall: (pj.voluntaryCsw + pj.involuntaryCsw) / ops };
}

/** The binding's pool size (native/libvirt/src/pool.cc, TSTACK_LIBVIRT_THREADS): the C hand-off's too. */
const POOL_THREADS = envNum('TSTACK_LIBVIRT_THREADS', 8);

async function floorRun(bin: string, mode: 'direct' | 'handoff', ev: boolean, domain: string, seconds: number, inflight: number): Promise<CallRun> {
  const args = [mode, String(seconds), URI, domain, ev ? 'ev' : '-', String(inflight), String(POOL_THREADS)];
  const out = await run(bin, args, { timeout: 120_000 });
  const j = JSON.parse(out.stdout) as { perSec: number; cpuUs: number; csw: number };
  return { perSec: j.perSec, cpuUsPerCall: j.cpuUs, cswPerCall: j.csw };
}

async function runLibvirt(log: (line: string) => void): Promise<SuiteOutcome> {
  const seconds = envNum('TSTACK_BENCH_LIBVIRT_SECONDS', 2);
  const rounds = envNum('TSTACK_BENCH_LIBVIRT_ROUNDS', 3);
  const boots = envNum('TSTACK_BENCH_LIBVIRT_BOOTS', 2);
  const root = packageRoot();
  const py = path.join(root, 'bench', 'py', 'libvirt_bench.py');
  const { scenarios, done } = scenarioCollector(log);
  const targets: TargetResult[] = [];
  const startedHere = !(await answers());
  if (startedHere) {
    const s = spawnSync('bash', [path.join(root, 'scripts/services/start-libvirtd.sh')], { encoding: 'utf8', timeout: 120_000 });
    if (s.status !== 0) throw new Error(`start-libvirtd.sh failed: ${s.stderr}`);
  }
  const guestDir = process.env['TSTACK_TEST_GUEST_DIR'] ?? '/var/tmp/tstack-test-guest';
  await run('bash', [path.join(root, 'scripts/build-test-guest.sh'), guestDir], { timeout: 180_000 });
  const work = fs.mkdtempSync('/var/tmp/tstack-libvirt-bench-');
  fs.chmodSync(work, 0o755);
  const conn = await Connection.open(URI);
  const benchName = `tstack-bench-${process.pid}`;
  // One histogram per run of ours (re-enabling one across a pause would count the pause).
  // ownMaxMs: the largest tick lateness left after the JS thread's wait for a CPU (loop-stall.ts).
  const delays: { maxMs: number; p99Ms: number; meanMs: number; gcMaxMs: number; ownMaxMs: number; runQueueMsAtMax: number }[] = [];
  // The same measures while this process idles during the Python runs.
  const idleDelays: { maxMs: number; p99Ms: number; ownMaxMs: number }[] = [];
  const stalls = new LoopStallSampler();
  // GC pauses during the same runs: tells a collector pause from the thread not getting a CPU.
  let gcCount = 0;
  let gcMaxMs = 0; // of the current run
  let gcTotalMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcTotalMs += e.duration;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  const measured = async <T>(fn: () => Promise<T>): Promise<T> => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    gcMaxMs = 0;
    gcObserver.observe({ entryTypes: ['gc'] });
    h.enable();
    stalls.start();
    try {
      return await fn();
    } finally {
      const st = stalls.stop();
      h.disable();
      // Entries are delivered asynchronously: let them arrive before reading.
      await new Promise((r) => setImmediate(r));
      gcObserver.disconnect();
      if (h.count > 0) {
        delays.push({ maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, meanMs: h.mean / 1e6, gcMaxMs, ownMaxMs: st.maxOwnMs, runQueueMsAtMax: st.runQueueMsAtMaxLate });
      }
    }
  };
  try {
    const dom = await conn.defineDomain(domainBuilder(benchName, 'qemu').memory(128, 'MiB').machine('pc').directKernel(`${guestDir}/vmlinuz`, `${guestDir}/initrd.img`).build());
    // (a) cheap calls
    // Rounds alternate which tool goes first; the figure is each tool's median (the machine is shared).
    for (const op of ['lookup', 'info', 'xml'] as const) {
      for (const inflight of [1, 16]) {
        const mineRuns: number[] = [];
        const pyRuns: number[] = [];
        const pyEvRuns: number[] = [];
        const mineCpu: number[] = [];
        const pyCpu: number[] = [];
        const mineCsw: number[] = [];
        const pyCsw: number[] = [];
        const prevRuns: CallRun[] = [];
        const delayRuns: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const pyRun = async (ev: boolean): Promise<void> => {
            const args = [py, 'calls', URI, benchName, op, String(inflight), String(seconds), ...(ev ? ['ev'] : [])];
            // The baseline delay: this process idle while python3-libvirt makes the same calls
            // on the same daemon — the machine as loaded as during our runs, for as long.
            const h = monitorEventLoopDelay({ resolution: 1 });
            h.enable();
            stalls.start();
            const out = await run('/usr/bin/python3', args);
            const st = stalls.stop();
            h.disable();
            if (h.count > 0) idleDelays.push({ maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, ownMaxMs: st.maxOwnMs });
            const pr = pythonCallRun(out.stdout);
            (ev ? pyEvRuns : pyRuns).push(pr.perSec);
            if (!ev) {
              pyCpu.push(pr.cpuUsPerCall);
              pyCsw.push(pr.cswPerCall);
            }
          };
          if (r % 2 === 1) await pyRun(false);
          // Calls/s, CPU and switches from a child process like the A/B variant's: this process
          // also runs the delay histogram (a 1 ms timer waking the JS thread) and a GC observer.
          const mineRun = await oursInChild({}, benchName, op, inflight, seconds);
          mineRuns.push(mineRun.perSec);
          mineCpu.push(mineRun.cpuUsPerCall);
          mineCsw.push(mineRun.cswPerCall);
          if (r % 2 === 0) await pyRun(false);
          await pyRun(true);
          prevRuns.push(await oursInChild(PREVIOUS_CONFIG, benchName, op, inflight, seconds));
          // The JS event-loop delay, over the same calls run here, under the histogram.
          delayRuns.push((await measured(() => ours(conn, dom, op, inflight, seconds))).perSec);
        }
        const mine = median(mineRuns);
        const python = median(pyRuns);
        const pythonEv = median(pyEvRuns);
        const s: ScenarioResult = {
          id: `libvirt-${op}-x${inflight}`,
          name: `${op} on a defined domain, ${inflight} in flight, median of ${rounds} ${seconds}-s runs each`,
          providers: 0,
          derived: {
            callsPerSec: mine,
            pythonCallsPerSec: python,
            ratioVsPython: mine / python,
            pythonWithEventLoopCallsPerSec: pythonEv,
            ratioVsPythonWithEventLoop: mine / pythonEv,
            cpuUsPerCall: median(mineCpu),
            pythonCpuUsPerCall: median(pyCpu),
            contextSwitchesPerCall: median(mineCsw),
            pythonContextSwitchesPerCall: median(pyCsw),
            previousConfigCallsPerSec: median(prevRuns.map((x) => x.perSec)),
            previousConfigCpuUsPerCall: median(prevRuns.map((x) => x.cpuUsPerCall)),
            previousConfigContextSwitchesPerCall: median(prevRuns.map((x) => x.cswPerCall)),
          },
          note: `ours ${mineRuns.map(Math.round).join('/')}, python ${pyRuns.map(Math.round).join('/')}, python+event loop ${pyEvRuns.map(Math.round).join('/')}, previous config ${prevRuns.map((x) => Math.round(x.perSec)).join('/')}, ours in the bench process (delay runs) ${delayRuns.map(Math.round).join('/')}`,
        };
        done([s]);
        targets.push(target('target', `${op} x${inflight}: at least python3-libvirt's calls/s`, s, 'ratioVsPython', '>', 0.999, '×'));
        targets.push(target('extra', `${op} x${inflight}: at least python3-libvirt's with its event loop running`, s, 'ratioVsPythonWithEventLoop', '>', 0.999, '×'));
      }
    }

    // (a2) info beside the same call in C (bench/c/libvirt-floor.c), at 1 and 16 in flight: on the
    //      calling threads (python3-libvirt's shape), and handed to a pool of the binding's size
    //      and back through an eventfd and epoll, with and without libvirt's default event loop
    //      running. The last is the shape issue 7 asks for (no call on the JS thread, an event
    //      loop always running) with nothing of Node or of the binding in it.
    const floorBin = buildFloor(work, log);
    if (floorBin !== undefined) {
      for (const inflight of [1, 16]) {
        const kinds = ['cDirect', 'cHandoff', 'cHandoffEv', 'ours', 'python'] as const;
        const runs: Record<(typeof kinds)[number], CallRun[]> = { cDirect: [], cHandoff: [], cHandoffEv: [], ours: [], python: [] };
        for (let r = 0; r < rounds; r++) {
          for (const kind of rotation(kinds, r)) {
            if (kind === 'cDirect') runs.cDirect.push(await floorRun(floorBin, 'direct', false, benchName, seconds, inflight));
            else if (kind === 'cHandoff') runs.cHandoff.push(await floorRun(floorBin, 'handoff', false, benchName, seconds, inflight));
            else if (kind === 'cHandoffEv') runs.cHandoffEv.push(await floorRun(floorBin, 'handoff', true, benchName, seconds, inflight));
            else if (kind === 'ours') runs.ours.push(await oursInChild({}, benchName, 'info', inflight, seconds));
            else {
              runs.python.push(pythonCallRun((await run('/usr/bin/python3', [py, 'calls', URI, benchName, 'info', String(inflight), String(seconds)])).stdout));
            }
          }
        }
        const rate = (k: (typeof kinds)[number]): number => median(runs[k].map((x) => x.perSec));
        const cpu = (k: (typeof kinds)[number]): number => median(runs[k].map((x) => x.cpuUsPerCall));
        const csw = (k: (typeof kinds)[number]): number => median(runs[k].map((x) => x.cswPerCall));
        const floor: ScenarioResult = {
          id: `libvirt-info-x${inflight}-floor`,
          name:
            `info, ${inflight} in flight, beside the same call in C: direct (${inflight} calling thread${inflight === 1 ? '' : 's'}), handed to ${POOL_THREADS} workers, ` +
            `handed to ${POOL_THREADS} workers with libvirt's event loop running (median of ${rounds} ${seconds}-s runs each)`,
          providers: 0,
          derived: {
            callsPerSec: rate('ours'),
            pythonCallsPerSec: rate('python'),
            cDirectCallsPerSec: rate('cDirect'),
            cHandoffCallsPerSec: rate('cHandoff'),
            cHandoffEventLoopCallsPerSec: rate('cHandoffEv'),
            ratioVsCHandoffEventLoop: rate('ours') / rate('cHandoffEv'),
            cHandoffEventLoopVsPython: rate('cHandoffEv') / rate('python'),
            cpuUsPerCall: cpu('ours'),
            cHandoffEventLoopCpuUsPerCall: cpu('cHandoffEv'),
            cDirectCpuUsPerCall: cpu('cDirect'),
            contextSwitchesPerCall: csw('ours'),
            cHandoffEventLoopContextSwitchesPerCall: csw('cHandoffEv'),
            cDirectContextSwitchesPerCall: csw('cDirect'),
          },
          note: kinds.map((k) => `${k} ${runs[k].map((x) => Math.round(x.perSec)).join('/')}`).join(', '),
        };
        done([floor]);
      }
    }
    await dom.undefine();

    // (b) define → running → marker
    const oursMs: number[] = [];
    const pyMs: number[] = [];
    const phases = { define: [] as number[], start: [] as number[] };
    for (let i = 0; i < boots; i++) {
      const name = `${benchName}-boot-${i}`;
      const consoleLog = path.join(work, `${name}.log`);
      const spec = domainBuilder(name, 'qemu').memory(128, 'MiB').vcpus(1).machine('pc')
        .directKernel(`${guestDir}/vmlinuz`, `${guestDir}/initrd.img`, 'console=ttyS0 quiet').features({ acpi: true }).serialToFile(consoleLog).build();
      const { d, t0, t1, t2, t3 } = await measured(async () => {
        const t0 = performance.now();
        const d = await conn.defineDomain(spec);
        const t1 = performance.now();
        await d.start();
        const t2 = performance.now();
        await waitMarker(consoleLog, 120_000);
        return { d, t0, t1, t2, t3: performance.now() };
      });
      phases.define.push(t1 - t0);
      phases.start.push(t2 - t1);
      oursMs.push(t3 - t0);
      await d.destroy();
      await d.undefine();
      const pyName = `${name}-py`;
      const pyLog = path.join(work, `${pyName}.log`);
      const xmlFile = path.join(work, `${pyName}.xml`);
      fs.writeFileSync(xmlFile, domainXml({ ...spec, name: pyName, devices: { ...spec.devices, serials: [{ source: { type: 'file', path: pyLog }, port: 0 }] } }));
      const pj = JSON.parse((await run('/usr/bin/python3', [py, 'boot', URI, xmlFile, pyLog, MARKER], { timeout: 180_000 })).stdout) as { markerMs: number };
      pyMs.push(pj.markerMs);
    }
    const boot: ScenarioResult = {
      id: 'libvirt-boot-to-marker',
      name: `tiny guest (TCG, 128 MiB): define → running → console marker, median of ${boots}`,
      providers: 0,
      derived: { ms: median(oursMs), pythonMs: median(pyMs), defineMs: median(phases.define), startMs: median(phases.start) },
      note: `ours ${oursMs.map((x) => Math.round(x)).join('/')} ms, python ${pyMs.map((x) => Math.round(x)).join('/')} ms`,
    };
    done([boot]);

    // (c) event-loop delay over all of our runs, beside the same measure on an idle loop (the
    //     machine's own scheduling noise: on a busy 2-core box a runnable JS thread waits too).
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    idle.disable();
    const baseline: ScenarioResult = {
      id: 'libvirt-event-loop-delay-idle',
      name: `JS event-loop delay of this process idle: during the python3-libvirt runs (as many, as long as ours), and alone for ${seconds} s`,
      providers: 0,
      derived: {
        maxMs: Math.max(...idleDelays.map((d) => d.maxMs)),
        p99Ms: Math.max(...idleDelays.map((d) => d.p99Ms)),
        ownMaxMs: Math.max(...idleDelays.map((d) => d.ownMaxMs)),
        quietMaxMs: idle.max / 1e6,
        quietP99Ms: idle.percentile(99) / 1e6,
      },
      note: `max per python run: ${idleDelays.map((d) => d.maxMs.toFixed(1)).join('/')} ms`,
    };
    done([baseline]);
    const loop: ScenarioResult = {
      id: 'libvirt-event-loop-delay',
      name: 'JS event-loop delay during each run of ours (monitorEventLoopDelay, 1 ms resolution; worst run)',
      providers: 0,
      derived: {
        maxMs: Math.max(...delays.map((d) => d.maxMs)),
        p99Ms: Math.max(...delays.map((d) => d.p99Ms)),
        ownMaxMs: Math.max(...delays.map((d) => d.ownMaxMs)),
        meanMs: delays.reduce((a, d) => a + d.meanMs, 0) / Math.max(1, delays.length),
        gcPauses: gcCount,
        gcMaxPauseMs: Math.max(...delays.map((d) => d.gcMaxMs)),
        gcTotalMs,
      },
      note:
        `max per run: ${delays.map((d) => d.maxMs.toFixed(1)).join('/')} ms; of which waiting for a CPU (the sampler's worst tick): ` +
        `${delays.map((d) => d.runQueueMsAtMax.toFixed(1)).join('/')} ms; own part (lateness minus CPU wait) per run: ${delays.map((d) => d.ownMaxMs.toFixed(1)).join('/')} ms; ` +
        `longest GC pause per run: ${delays.map((d) => d.gcMaxMs.toFixed(1)).join('/')} ms (runs: lookup, info, xml × 1, 16 in flight × rounds, then boots)` +
        (schedstatAvailable() ? '' : '; no per-thread schedstat on this kernel: own = total'),
    };
    done([loop]);
    targets.push(target('target', 'event-loop delay stays under 5 ms (max)', loop, 'maxMs', '<', 5, 'ms'));
    targets.push(target('extra', 'event-loop delay p99 under 5 ms', loop, 'p99Ms', '<', 5, 'ms'));
    targets.push(target('extra', "event-loop delay less the JS thread's wait for a CPU (GC and hypervisor steal still count) under 5 ms", loop, 'ownMaxMs', '<', 5, 'ms'));
  } finally {
    for (const d of await conn.listDomains().catch(() => [])) {
      if (d.name.startsWith(benchName)) {
        await d.destroy().catch(() => undefined);
        await d.undefine().catch(() => undefined);
      }
    }
    await conn.close();
    fs.rmSync(work, { recursive: true, force: true });
    if (startedHere) spawnSync('bash', [path.join(root, 'scripts/services/stop-libvirtd.sh')]);
  }
  return { scenarios, targets };
}

export const libvirtSuite: BenchSuite = {
  name: 'libvirt',
  description: 'libvirt binding on qemu:///system beside python3-libvirt: cheap calls/s at 1 and 16 in flight, tiny guest boot, JS event-loop delay',
  run: runLibvirt,
};

/**
 * Child mode (`node libvirt.bench.js calls URI DOMAIN OP INFLIGHT SECONDS`): one run of `ours` in a
 * fresh process, so that settings read once at addon load (TSTACK_LIBVIRT_*) can differ from the
 * parent's; prints the CallRun as JSON.
 */
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'calls') {
  const [uri, domain, op, inflight, secs] = process.argv.slice(3) as [string, string, 'lookup' | 'info' | 'xml', string, string];
  const conn = await Connection.open(uri);
  const dom = await conn.domainByName(domain);
  const result = await ours(conn, dom, op, Number(inflight), Number(secs));
  await dom.free();
  await conn.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
