/**
 * Ceph (bindings/ceph, issue 8) against a private cluster (one monitor, one memstore OSD) that this
 * suite starts with scripts/services/start-ceph.sh on 127.0.0.1:27160.. and stops at the end.
 *
 *   1. Object writes and reads of 4 KiB and 4 MiB with 1 and 32 operations in flight, in pool `rbd`,
 *      beside `rados bench` (Ceph's C++ tool: write with --no-cleanup, then seq, same block size,
 *      same concurrency, same pool) and python3-rados (bench/py/rados_bench.py: blocking calls at
 *      depth 1, aio at depth 32). Each writes new objects at offset 0 for the same time; reads go
 *      over the objects that run wrote. Before the first round, `rados bench` (a process of its own,
 *      so that no tool under test is warmed by it) writes and reads 4 MiB objects for 2 s and removes
 *      them: the OSD's first-touch memory costs then fall on no timed run. Rounds rotate which tool
 *      goes first; medians (5 rounds: the 4 MiB write runs swing more between rounds than between
 *      tools, and 3 gave a median that one bad round could move). Between runs
 *      the objects are removed so that every run starts from the same pool. Beside ops/s, each
 *      run records the client's CPU time per operation (all its threads: ours is this process during
 *      the run; python3-rados its own process during the run; rados bench its whole process,
 *      connect included, read through bench/py/rados_bench.py --exec), the steadier figure on a
 *      shared machine.
 *      Our write runs also record the longest single submission call (the synchronous part of
 *      `io.write`) and the event-loop delay (max, p99; 1-ms resolution). For 4 MiB writes a fourth
 *      tool, `before`, runs this process's binding with the write path of the previous version
 *      (librados' C API copying the data, every write of 1 MiB or more through the submission
 *      thread) in the same rotation: the A/B for the zero-copy path (writes of 64 KiB or more read
 *      in place from the caller's Buffer, submitted on the JS thread unless throttle-bound).
 *   1b. 4 KiB writes and reads at depth 1 beside the same operations in C (bench/c/rados-floor.c,
 *      built with gcc here): the blocking call, and an aio operation whose callback wakes the caller
 *      through an eventfd and epoll — the floor of a binding whose event loop never blocks — in
 *      rotation with ours and python3-rados.
 *   2. RBD clone-and-open of a VM disk: clone of a protected snapshot of a 10 GiB golden image with
 *      the default feature set, opened, first 4 KiB read; beside python3-rbd doing the same.
 *
 * Environment: TSTACK_BENCH_CEPH_PORT (27160), TSTACK_BENCH_CEPH_SECONDS (2 per run),
 * TSTACK_BENCH_CEPH_ROUNDS (5), TSTACK_BENCH_CEPH_CLONES (20), TSTACK_BENCH_CEPH_MEMSTORE_GIB (4: the
 * OSD's memstore capacity; memory is taken only as objects are written, and one 2-s run of 4 MiB
 * writes at ~400/s holds ~3 GB until it is removed). Ceph 16's OSD used to engage its full failsafe
 * now and then ("now -2147483648% full": memstore's used count dipping below zero, see
 * start-ceph.sh, which now has the OSD count fullness from its PGs); should an OSD still go full,
 * writes wait: the tools time out after 180 s, and a watchdog stops the cluster and exits when the
 * suite logs no progress for 180 s. Our client runs with librados' defaults, like the other tools:
 * an OSD operation timeout (`timeouts.osdOpMs`) arms and cancels an Objecter timer per operation,
 * which cost 1–13 % of the operations per second at depth 1 in an A/B here.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { Cluster, Rbd, type IoCtx } from '../bindings/ceph/index.js';
import { addon, DEFAULT_ZERO_COPY_BYTES, NEVER_OFF_THREAD } from '../bindings/ceph/native.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TargetResult } from './harness.js';
import { buildCProgram, packageRoot, rotation, scenarioCollector, target } from './harness.js';

function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 << 20, timeout: 180_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[s.length >> 1] as number);
}

interface Combo {
  op: 'write' | 'read';
  size: number;
  depth: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const sizeName = (n: number): string => (n >= MiB ? `${n / MiB}m` : `${n / KiB}k`);

interface RunResult {
  opsPerSec: number;
  /** Client CPU time per operation, µs (all threads). */
  cpuUsPerOp: number;
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

interface WriteRunResult extends RunResult {
  count: number;
  /** The longest synchronous `io.write` call, ms. */
  maxSubmitMs: number;
  /** Event-loop delay during the run (1-ms resolution), ms. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}

/** The write path of the previous version (A/B): C API copy, ≥ 1 MiB through the submission thread. */
const BEFORE_PATH = [NEVER_OFF_THREAD, 1024 * 1024] as const;
const CURRENT_PATH = [DEFAULT_ZERO_COPY_BYTES, NEVER_OFF_THREAD] as const;

/** Ours: `depth` loops, each awaiting one aio operation at a time, for `seconds`. */
async function oursWrite(io: IoCtx, prefix: string, size: number, depth: number, seconds: number): Promise<WriteRunResult> {
  const data = Buffer.alloc(size, 0x5a);
  let n = 0;
  let maxSubmit = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (performance.now() < end) {
        const s0 = performance.now();
        const p = io.write(`${prefix}_${n++}`, data, 0);
        maxSubmit = Math.max(maxSubmit, performance.now() - s0);
        await p;
      }
    }),
  );
  const elapsed = performance.now() - t0;
  const cpu = cpuUs(c0);
  delay.disable();
  return {
    opsPerSec: (n * 1000) / elapsed,
    cpuUsPerOp: cpu / n,
    count: n,
    maxSubmitMs: maxSubmit,
    loopDelayMaxMs: delay.max / 1e6,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
  };
}

async function oursRead(io: IoCtx, prefix: string, size: number, depth: number, seconds: number, count: number): Promise<RunResult> {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      const into = Buffer.allocUnsafe(size);
      while (performance.now() < end) {
        const got = await io.readInto(`${prefix}_${n++ % count}`, into, 0);
        if (got !== size) throw new Error(`short read: ${got} of ${size}`);
      }
    }),
  );
  return { opsPerSec: (n * 1000) / (performance.now() - t0), cpuUsPerOp: cpuUs(c0) / n };
}

async function removePrefix(io: IoCtx, prefix: string, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  for (let i = 0; i < names.length; i += 256) {
    await Promise.all(names.slice(i, i + 256).map((o) => io.remove(o).catch(() => undefined)));
  }
}

/** IOPS and CPU per operation from `rados bench` output run through rados_bench.py --exec. */
function radosBenchResult(out: string): RunResult {
  const iops = /Average IOPS:\s+([\d.]+)/.exec(out);
  const made = /Total (?:writes|reads) made:\s+(\d+)/.exec(out);
  const cpu = /CHILD_CPU_SECONDS ([\d.]+)/.exec(out);
  if (iops === null || made === null || cpu === null) throw new Error(`unexpected rados bench output:\n${out.slice(-2000)}`);
  return { opsPerSec: Number(iops[1]), cpuUsPerOp: (Number(cpu[1]) * 1e6) / Math.max(1, Number(made[1])) };
}

async function runCeph(logLine: (line: string) => void): Promise<SuiteOutcome> {
  // Writes to a full OSD wait for ever: the watchdog below stops everything when no line has been
  // logged for this long.
  let lastProgress = performance.now();
  const log = (line: string): void => {
    lastProgress = performance.now();
    logLine(line);
  };
  const port = envInt('TSTACK_BENCH_CEPH_PORT', 27160);
  const seconds = envInt('TSTACK_BENCH_CEPH_SECONDS', 2);
  const rounds = envInt('TSTACK_BENCH_CEPH_ROUNDS', 5);
  const clones = envInt('TSTACK_BENCH_CEPH_CLONES', 20);
  const memstoreGiB = envInt('TSTACK_BENCH_CEPH_MEMSTORE_GIB', 4);
  const root = packageRoot();
  const scripts = path.join(root, 'scripts', 'services');
  const py = path.join(root, 'bench', 'py');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcbench-'));
  const { scenarios, done } = scenarioCollector(log);
  const t0 = performance.now();
  const started = spawnSync('bash', [path.join(scripts, 'start-ceph.sh'), dir, String(port)], {
    encoding: 'utf8',
    env: { ...process.env, CEPH_MEMSTORE_BYTES: String(memstoreGiB * 1024 ** 3) },
  });
  if (started.status !== 0) {
    spawnSync('bash', [path.join(scripts, 'stop-ceph.sh'), dir]);
    throw new Error(`start-ceph.sh failed: ${started.stderr}`);
  }
  const kv = new Map(started.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const conf = kv.get('CEPH_CONF') ?? '';
  const keyring = kv.get('KEYRING') ?? '';
  log(`  cluster up in ${((performance.now() - t0) / 1000).toFixed(1)} s (mon 127.0.0.1:${port}, memstore OSD)`);
  const targets: TargetResult[] = [];
  let cluster: Cluster | undefined;
  const watchdog = setInterval(() => {
    if (performance.now() - lastProgress < 180_000) return;
    logLine('  ceph: no progress for 180 s (a full OSD?): stopping the cluster');
    spawnSync('bash', [path.join(scripts, 'stop-ceph.sh'), dir]);
    process.exit(1);
  }, 10_000);
  watchdog.unref();
  try {
    cluster = await Cluster.connect({ conf, keyring });
    const io = await cluster.openIoctx('rbd');
    const combos: Combo[] = [];
    for (const size of [4 * KiB, 4 * MiB]) for (const depth of [1, 32]) for (const op of ['write', 'read'] as const) combos.push({ op, size, depth });

    // Per (size, depth): one write run and one read run per tool per round.
    const results = new Map<string, { ours: RunResult[]; rados: RunResult[]; python: RunResult[]; before: WriteRunResult[] }>();
    const key = (c: Combo): string => `${c.op}-${sizeName(c.size)}-${c.depth}`;
    for (const c of combos) results.set(key(c), { ours: [], rados: [], python: [], before: [] });
    const radosBench = async (args: readonly string[]): Promise<RunResult> =>
      radosBenchResult(await run('/usr/bin/python3', [path.join(py, 'rados_bench.py'), '--exec', 'rados', ...args]));
    type PyOut = { ops: number; seconds: number; cpu_seconds: number };
    const pyResult = (o: PyOut): RunResult => ({ opsPerSec: o.ops / o.seconds, cpuUsPerOp: (o.cpu_seconds * 1e6) / Math.max(1, o.ops) });
    {
      const t = performance.now();
      const common = ['-t', '16', '--run-name', 'warmup'];
      await radosBench(['-c', conf, '-p', 'rbd', 'bench', '2', 'write', '-b', String(4 * MiB), '-O', String(4 * MiB), '--no-cleanup', ...common]);
      await radosBench(['-c', conf, '-p', 'rbd', 'bench', '2', 'seq', ...common]);
      await run('rados', ['-c', conf, '-p', 'rbd', 'cleanup', '--run-name', 'warmup']);
      log(`  cluster warmed (rados bench: 4 MiB writes and reads, removed) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    let seq = 0;
    for (let r = 0; r < rounds; r++) {
      for (const size of [4 * KiB, 4 * MiB]) {
        for (const depth of [1, 32]) {
          const w = results.get(key({ op: 'write', size, depth }));
          const rd = results.get(key({ op: 'read', size, depth }));
          if (w === undefined || rd === undefined) continue;
          const tools = size >= MiB ? (['ours', 'rados', 'python', 'before'] as const) : (['ours', 'rados', 'python'] as const);
          const order = rotation(tools, r);
          for (const tool of order) {
            const prefix = `b${seq++}`;
            if (tool === 'before') {
              addon().tuneWrites(...BEFORE_PATH);
              try {
                const wr = await oursWrite(io, prefix, size, depth, seconds);
                w.before.push(wr);
                await removePrefix(io, prefix, wr.count);
              } finally {
                addon().tuneWrites(...CURRENT_PATH);
              }
            } else if (tool === 'ours') {
              const wr = await oursWrite(io, prefix, size, depth, seconds);
              w.ours.push(wr);
              rd.ours.push(await oursRead(io, prefix, size, depth, seconds, wr.count));
              await removePrefix(io, prefix, wr.count);
            } else if (tool === 'rados') {
              const base = ['-c', conf, '-p', 'rbd', 'bench', String(seconds)];
              const common = ['-t', String(depth), '--run-name', prefix];
              w.rados.push(await radosBench([...base, 'write', '-b', String(size), '-O', String(size), '--no-cleanup', ...common]));
              rd.rados.push(await radosBench([...base, 'seq', ...common]));
              await run('rados', ['-c', conf, '-p', 'rbd', 'cleanup', '--run-name', prefix]);
            } else {
              const args = [conf, keyring, 'rbd'];
              const wj = JSON.parse(await run('/usr/bin/python3', [path.join(py, 'rados_bench.py'), ...args, 'write', String(size), String(depth), String(seconds), prefix])) as PyOut;
              w.python.push(pyResult(wj));
              const rj = JSON.parse(
                await run('/usr/bin/python3', [path.join(py, 'rados_bench.py'), ...args, 'read', String(size), String(depth), String(seconds), prefix, String(wj.ops)]),
              ) as PyOut;
              rd.python.push(pyResult(rj));
              await removePrefix(io, prefix, wj.ops);
            }
          }
          log(`  round ${r + 1}/${rounds} ${sizeName(size)} x${depth} done`);
        }
      }
    }
    const zc = addon().writeStats();
    log(`  zero-copy writes: ${zc.zeroCopyWrites}, still referenced by librados when they settled: ${zc.heldAtSettle}`);
    for (const c of combos) {
      const v = results.get(key(c));
      if (v === undefined) continue;
      const ops = (rs: readonly RunResult[]): number[] => rs.map((x) => x.opsPerSec);
      const cpu = (rs: readonly RunResult[]): number => median(rs.map((x) => x.cpuUsPerOp));
      const ours = median(ops(v.ours));
      const rados = median(ops(v.rados));
      const python = median(ops(v.python));
      const id = `ceph-${key(c)}`;
      const writeRuns = (rs: readonly RunResult[]): WriteRunResult[] => rs.filter((x): x is WriteRunResult => 'maxSubmitMs' in x);
      const loop = (rs: readonly WriteRunResult[], prefix: string): Record<string, number> =>
        rs.length === 0
          ? {}
          : {
              [`${prefix}MaxSubmitMs`]: median(rs.map((x) => x.maxSubmitMs)),
              [`${prefix}LoopDelayMaxMs`]: median(rs.map((x) => x.loopDelayMaxMs)),
              [`${prefix}LoopDelayP99Ms`]: median(rs.map((x) => x.loopDelayP99Ms)),
            };
      const before = median(v.before.map((x) => x.opsPerSec));
      const ab =
        v.before.length === 0
          ? {}
          : { beforeOpsPerSec: before, beforeCpuUsPerOp: cpu(v.before), speedupVsBefore: ours / before, ...loop(v.before, 'before') };
      const s: ScenarioResult = {
        id,
        name: `${c.op} ${sizeName(c.size)} objects, ${c.depth} in flight (median of ${rounds} ${seconds}-s runs)`,
        providers: 0,
        derived: {
          opsPerSec: ours,
          radosBenchOpsPerSec: rados,
          pythonOpsPerSec: python,
          ratioVsRadosBench: ours / rados,
          ratioVsPython: ours / python,
          mbPerSec: (ours * c.size) / MiB,
          cpuUsPerOp: cpu(v.ours),
          radosBenchCpuUsPerOp: cpu(v.rados),
          pythonCpuUsPerOp: cpu(v.python),
          ...loop(writeRuns(v.ours), 'ours'),
          ...ab,
        },
        note:
          `ops/s per round: ours ${ops(v.ours).map((x) => Math.round(x)).join('/')}, rados bench ${ops(v.rados).map((x) => Math.round(x)).join('/')}, python ${ops(v.python).map((x) => Math.round(x)).join('/')}` +
          (v.before.length === 0 ? '' : `, before (copy + submission thread) ${ops(v.before).map((x) => Math.round(x)).join('/')}`),
      };
      done([s]);
      targets.push(target('target', `${c.op} ${sizeName(c.size)} x${c.depth}: ≥ 90% of rados bench ops/s`, s, 'ratioVsRadosBench', '>', 0.9, '×'));
      targets.push(target('target', `${c.op} ${sizeName(c.size)} x${c.depth}: above python3-rados`, s, 'ratioVsPython', '>', 1, '×'));
    }

    // ---- 1b. 4 KiB at depth 1 beside the same operations in C ----------------------------------
    // bench/c/rados-floor.c: the blocking call (python3-rados' shape) and an aio operation whose
    // callback wakes the caller through an eventfd and epoll (the shape of a binding whose event
    // loop never blocks), in the same rotation as ours and Python. Each writes its own objects for
    // `seconds`, reads them back for as long, and removes them.
    const floorBin = buildCProgram('rados-floor', dir, ['-lrados'], log);
    if (floorBin !== undefined) {
      const kinds = ['cSync', 'cAio', 'ours', 'python'] as const;
      type Kind = (typeof kinds)[number];
      const w: Record<Kind, RunResult[]> = { cSync: [], cAio: [], ours: [], python: [] };
      const rd: Record<Kind, RunResult[]> = { cSync: [], cAio: [], ours: [], python: [] };
      const c = async (mode: 'sync' | 'aio', op: 'write' | 'read', prefix: string, count: number): Promise<RunResult & { ops: number }> => {
        const o = JSON.parse(await run(floorBin, [mode, op, String(seconds), conf, keyring, 'rbd', prefix, String(count)])) as { ops: number; perSec: number; cpuUs: number };
        return { ops: o.ops, opsPerSec: o.perSec, cpuUsPerOp: o.cpuUs };
      };
      for (let r = 0; r < rounds; r++) {
        for (const kind of rotation(kinds, r)) {
          const prefix = `f${seq++}`;
          let count: number;
          if (kind === 'cSync' || kind === 'cAio') {
            const mode = kind === 'cSync' ? 'sync' : 'aio';
            const wr = await c(mode, 'write', prefix, 0);
            w[kind].push(wr);
            rd[kind].push(await c(mode, 'read', prefix, wr.ops));
            count = wr.ops;
          } else if (kind === 'ours') {
            const wr = await oursWrite(io, prefix, 4 * KiB, 1, seconds);
            w.ours.push(wr);
            rd.ours.push(await oursRead(io, prefix, 4 * KiB, 1, seconds, wr.count));
            count = wr.count;
          } else {
            const args = [path.join(py, 'rados_bench.py'), conf, keyring, 'rbd'];
            const wj = JSON.parse(await run('/usr/bin/python3', [...args, 'write', String(4 * KiB), '1', String(seconds), prefix])) as PyOut;
            w.python.push(pyResult(wj));
            rd.python.push(pyResult(JSON.parse(await run('/usr/bin/python3', [...args, 'read', String(4 * KiB), '1', String(seconds), prefix, String(wj.ops)])) as PyOut));
            count = wj.ops;
          }
          await removePrefix(io, prefix, count);
        }
      }
      for (const [op, runs] of [['write', w], ['read', rd]] as const) {
        const rate = (k: Kind): number => median(runs[k].map((x) => x.opsPerSec));
        const cpu = (k: Kind): number => median(runs[k].map((x) => x.cpuUsPerOp));
        done([
          {
            id: `ceph-${op}-4k-1-floor`,
            name: `${op} 4 KiB objects, 1 in flight, beside the same operation in C: blocking, and aio with an eventfd wake (median of ${rounds} ${seconds}-s runs each)`,
            providers: 0,
            derived: {
              opsPerSec: rate('ours'),
              pythonOpsPerSec: rate('python'),
              cBlockingOpsPerSec: rate('cSync'),
              cAioOpsPerSec: rate('cAio'),
              ratioVsCAio: rate('ours') / rate('cAio'),
              cAioVsCBlocking: rate('cAio') / rate('cSync'),
              cpuUsPerOp: cpu('ours'),
              pythonCpuUsPerOp: cpu('python'),
              cBlockingCpuUsPerOp: cpu('cSync'),
              cAioCpuUsPerOp: cpu('cAio'),
            },
            note: kinds.map((k) => `${k} ${runs[k].map((x) => Math.round(x.opsPerSec)).join('/')}`).join(', '),
          },
        ]);
      }
    }

    // ---- 2. RBD clone-and-open ------------------------------------------------------------------
    const rbd = new Rbd(io);
    const features = ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'] as const;
    await rbd.create('golden', 10 * 1024 * MiB, { features: [...features] });
    const golden = await rbd.open('golden');
    await golden.write(Buffer.alloc(4 * MiB, 0x33), 0);
    await golden.createSnapshot('base');
    await golden.protectSnapshot('base');
    await golden.close();
    const ours: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      for (let i = 0; i < clones; i++) {
        await rbd.clone('golden', 'base', `vm-${r}-${i}`, { features: [...features] });
        const img = await rbd.open(`vm-${r}-${i}`);
        const first = await img.read(0, 4096);
        if (first[0] !== 0x33) throw new Error('clone does not read its parent');
        await img.close();
      }
      ours.push((performance.now() - t) / clones);
      for (let i = 0; i < clones; i++) await rbd.remove(`vm-${r}-${i}`);
    }
    const pyMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = JSON.parse(await run('/usr/bin/python3', [path.join(py, 'rbd_clone_bench.py'), conf, keyring, 'rbd', 'golden', 'base', String(clones), `py-${r}-`])) as {
        ms_per_clone: number;
      };
      pyMs.push(out.ms_per_clone);
    }
    const cloneScenario: ScenarioResult = {
      id: 'ceph-rbd-clone-open',
      name: `RBD clone of a protected snapshot of a 10 GiB image + open + first 4 KiB read, one after another (${clones} per round)`,
      providers: 0,
      derived: { msPerClone: median(ours), pythonMsPerClone: median(pyMs), speedupVsPython: median(pyMs) / median(ours) },
    };
    done([cloneScenario]);
    targets.push(target('extra', 'RBD clone-and-open of a VM disk under 250 ms', cloneScenario, 'msPerClone', '<', 250, 'ms'));
    await io.close();
  } finally {
    clearInterval(watchdog);
    await cluster?.close();
    spawnSync('bash', [path.join(scripts, 'stop-ceph.sh'), dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { scenarios, targets };
}

export const cephSuite: BenchSuite = {
  name: 'ceph',
  description: 'Ceph RADOS object writes/reads (4 KiB, 4 MiB; 1 and 32 in flight) vs rados bench and python3-rados; RBD clone-and-open',
  run: runCeph,
};
