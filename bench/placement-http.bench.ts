/**
 * The Placement HTTP API side by side with upstream OpenStack Placement 8.0 (issue 3), in one run:
 *
 *   upstream  Debian's python3-placement 8.0 under uwsgi on a private MariaDB, started on an empty
 *             database by scripts/services/start-upstream-placement.sh and stopped at the end;
 *   tstack    `bin/tstack-host placement serve` as a child process (state in memory).
 *
 * Both on 127.0.0.1, driven by the same clients. The client shares the machine's two cores with
 * the server under test, so it must be lean: node:http costs ~0.2 ms of CPU per small request and
 * ~0.5–1 ms per 471 kB answer, a fair part of what our server spends.
 *   1. the flat perfload world loaded as placeload does (rules 96–99): per provider POST
 *      /resource_providers, PUT inventories (generation 0), PUT aggregates (1), PUT traits (2);
 *      10 warm-up providers, then 1,000 timed (wall clock), 10 providers in flight; judged with
 *      the C client bench/c/placeload.c (bench/placeload-c.ts; 10 threads, a keep-alive connection
 *      each: uwsgi closes every connection, so upstream's requests each open one; ours keep 10),
 *      as the GETs are judged with wrk; each side's load starts once both servers are idle (in the
 *      runs so far that took 1 s: nothing was left running);
 *   2. rule 100's query at microversion latest (1.39), checked (200, 1,010 allocation requests and
 *      provider summaries) before it is timed: (a) sequential requests, (b) 10 concurrent clients;
 *      judged with Debian's wrk (bench/placement-http-wrk.ts), then again with the node:http client
 *      of earlier runs (bench/http-client.ts) for comparison;
 *   3. the ratios against the issue's goals: ≥ 100× upstream's requests per second (alone and at
 *      concurrency 10), p99 < 20 ms at concurrency 10, loading ≥ 50× faster.
 * Extras (tstack only): a second load of 1,000 on the same, JIT-warm process; the load on a new
 * server with --journal (group commit: no answer before its writes are fsynced), since upstream
 * commits every write to MariaDB; the load on a new server through the Node client of earlier runs
 * (bench/placement-http-lean.ts); and, as a diagnostic, the same sequence through the route
 * handlers alone in a new process (bench/placement-handlers-only.ts: no HTTP, no sockets).
 *
 * Environment (all optional): TSTACK_BENCH_UPSTREAM_PORT (28790), TSTACK_BENCH_TSTACK_PORT (28791;
 * the journal server takes the next port, the Node-client server the one after), TSTACK_BENCH_UPSTREAM_STATE
 * (/tmp/tstack-bench-placement-http/upstream), PLACEMENT_PROCESSES (2) and PLACEMENT_THREADS (4)
 * for uwsgi, TSTACK_BENCH_LOAD_CONCURRENCY (10), TSTACK_BENCH_HTTP_MAX_SECONDS (30: each timed GET
 * phase runs ≥ 5 s and ≥ 200 requests, but stops at this many seconds once past 5 s).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { BenchSuite, ScenarioResult, SuiteOutcome, TargetResult } from './harness.js';
import { packageRoot, target, scenarioLookup } from './harness.js';
import type { LoadResult, StopRule, TimedRun } from './http-client.js';
import { Endpoint, percentile, placeload, send, timeGet } from './http-client.js';
import { LeanEndpoint } from './placement-http-lean.js';
import { CPlaceload } from './placeload-c.js';
import { wrkAvailable, wrkGet } from './placement-http-wrk.js';
import { AGG_A } from './placement.bench.js';
import type { Server, UpstreamInfo } from './servers.js';
import { HOST, TstackPlacement, UpstreamPlacement, checkPort, portAnswers, treeCpuSeconds } from './servers.js';

/** Rule 100's query, as the perf job sends it. */
export const QUERY_PATH = `/allocation_candidates?resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=${AGG_A}&required=HW_CPU_X86_AVX2`;
const WARMUP_PROVIDERS = 10;
const PROVIDERS = 1000;
const TOTAL = WARMUP_PROVIDERS + PROVIDERS;
const CONCURRENT_CLIENTS = 10;

/** The issue's goals. */
const GOAL_RPS_RATIO = 100;
const GOAL_P99_MS = 20;
const GOAL_LOAD_SPEEDUP = 50;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}


function gcClient(): void {
  globalThis.gc?.();
}

const loadAvg = (): string =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

interface Checked {
  bytes: number;
  allocationRequests: number;
  providerSummaries: number;
}

/** One answer, parsed and checked: the world is complete and the query means what it should. */
async function checkAnswer(ep: Endpoint): Promise<Checked> {
  ep.resetAgent();
  const a = await send(ep, 'GET', QUERY_PATH, undefined, true);
  if (a.status !== 200) throw new Error(`${ep.label}: GET allocation_candidates answered ${a.status || a.error}: ${a.body?.toString().slice(0, 300)}`);
  const doc = JSON.parse((a.body as Buffer).toString('utf8')) as { allocation_requests?: unknown[]; provider_summaries?: Record<string, unknown> };
  const requests = doc.allocation_requests?.length ?? -1;
  const summaries = Object.keys(doc.provider_summaries ?? {}).length;
  const version = a.headers?.['openstack-api-version'];
  if (requests !== TOTAL || summaries !== TOTAL) {
    throw new Error(`${ep.label}: ${requests} allocation requests and ${summaries} provider summaries, expected ${TOTAL}: the benchmark would time the wrong thing`);
  }
  if (version !== 'placement 1.39') throw new Error(`${ep.label}: answered at ${String(version)}, expected placement 1.39`);
  return { bytes: a.bytes, allocationRequests: requests, providerSummaries: summaries };
}

/**
 * Untimed sequential requests before the timed ones: up to 1 s, at least 2, at most 50. Gives
 * their rate (req/s), from which the wrk phases' duration is chosen.
 */
async function warmUp(ep: LeanEndpoint): Promise<[number, number]> {
  ep.reset();
  const t0 = performance.now();
  let n = 0;
  while (n < 2 || (n < 50 && performance.now() - t0 < 1000)) {
    const a = await ep.request('GET', QUERY_PATH);
    if (a.status !== 200) throw new Error(`${ep.label}: warm-up request answered ${a.status || a.error}`);
    n++;
  }
  return [n, n / ((performance.now() - t0) / 1000)];
}

/** The two clients of the timed GET phases: wrk (judged) and node:http (earlier runs' client). */
type GetClient = 'wrk' | 'node';
type Phase = 'alone' | 'c10';

interface GetRun {
  run: TimedRun;
  cpu: Cpu;
  serverMs: number[];
  loadAvg: string;
  /** wrk only: bytes received per answer, heads included. */
  bytesPerAnswer?: number;
  /**
   * wrk only: its own req/s, and clients / mean latency (Little's law for a closed loop). wrk
   * drops the requests in flight when its time is up, which for upstream (10 requests of ~1 s each
   * in flight) understates its rate by a few per cent; upstream's req/s is the larger of the two.
   */
  wrkReqPerSec?: number;
  littleReqPerSec?: number;
  /** wrk only: its own latency percentiles, corrected for coordinated omission, ms. */
  correctedP50Ms?: number;
  correctedP99Ms?: number;
}

interface Side {
  label: 'upstream' | 'tstack';
  title: string;
  server: Server;
  /** node:http (the answer check, the comparison GET phases). */
  ep: Endpoint;
  /** The lean raw-socket client (the GET warm-up, the Node-client load). */
  lean: LeanEndpoint;
  /** The server's stderr log, when it writes one line per request with its time (tstack). */
  logFile?: string;
  load?: LoadResult;
  loadCpu?: Cpu;
  checked?: Checked;
  /** Sequential rate of the warm-up, req/s. */
  warmRate?: number;
  gets: Partial<Record<`${GetClient}-${Phase}`, GetRun>>;
  loadAvg: Record<string, string>;
}

interface Cpu {
  /** CPU seconds of the server's processes (uwsgi master and workers + mariadbd; or the node child). */
  server: number;
  /** CPU seconds of this process, the client. */
  client: number;
}

async function withCpu<T>(side: Side, fn: () => Promise<T>): Promise<[T, Cpu]> {
  const before = treeCpuSeconds(side.server.pids());
  const c0 = process.cpuUsage();
  const out = await fn();
  const c = process.cpuUsage(c0);
  return [out, { server: treeCpuSeconds(side.server.pids()) - before, client: (c.user + c.system) / 1e6 }];
}

/**
 * Waits until every server's processes are idle — at most 30 ms of CPU in a second (/proc counts
 * in 10-ms ticks) — and returns the seconds waited (at most 30): on two cores, background work
 * left by one side's load (MariaDB flushing its writes, say) would be taken from the next side's.
 */
async function settle(servers: readonly Server[]): Promise<number> {
  const t0 = performance.now();
  const pids = (): number[] => servers.flatMap((s) => s.pids());
  for (;;) {
    const before = treeCpuSeconds(pids());
    await new Promise((r) => setTimeout(r, 1000));
    const busy = treeCpuSeconds(pids()) - before;
    const waited = (performance.now() - t0) / 1000;
    if (busy <= 0.03 || waited >= 30) return waited;
  }
}

/**
 * The server's own time per request (tstack only): the `ms` of its request log lines for GET
 * allocation_candidates written while `fn` ran (the log is a file written synchronously).
 */
async function withServerLog<T>(logFile: string | undefined, fn: () => Promise<T>): Promise<[T, number[]]> {
  if (logFile === undefined) return [await fn(), []];
  const start = fs.statSync(logFile).size;
  const out = await fn();
  const end = fs.statSync(logFile).size;
  const fd = fs.openSync(logFile, 'r');
  const buf = Buffer.alloc(end - start);
  fs.readSync(fd, buf, 0, buf.length, start);
  fs.closeSync(fd);
  const ms: number[] = [];
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line.includes('"/allocation_candidates"')) continue;
    const entry = JSON.parse(line) as { status?: number; ms?: number };
    if (entry.status === 200 && typeof entry.ms === 'number') ms.push(entry.ms);
  }
  return [out, ms.sort((a, b) => a - b)];
}

function errorText(errors: Record<string, number>): string {
  const e = Object.entries(errors);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k}×${v}`).join(', ');
}

function loadScenario(id: string, name: string, l: LoadResult, cpu: Cpu, loadConcurrency: number, loadAvgText: string): ScenarioResult {
  return {
    id,
    name,
    providers: TOTAL,
    opsPerSec: l.requests / l.seconds,
    derived: {
      loadSeconds: l.seconds,
      providersPerSec: l.providers / l.seconds,
      requestsPerSec: l.requests / l.seconds,
      errors: l.errorCount,
      retries: l.retries,
      serverCpuSeconds: cpu.server,
      clientCpuSeconds: cpu.client,
    },
    checks: { requests: l.requests, connections: l.connections, errorsByKind: errorText(l.errors), clientConcurrency: loadConcurrency, loadAvg: loadAvgText },
  };
}

function getScenario(side: Side, client: GetClient, which: Phase): ScenarioResult {
  const g = side.gets[`${client}-${which}`] as GetRun;
  const r = g.run;
  const checked = side.checked as Checked;
  const derived: Record<string, number> = {
    reqPerSec: r.reqPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errorCount,
    serverCpuMsPerRequest: (g.cpu.server * 1000) / Math.max(1, r.requests),
    clientCpuMsPerRequest: (g.cpu.client * 1000) / Math.max(1, r.requests),
  };
  if (g.serverMs.length > 0) {
    // Inside the server, from the request's arrival to its answer handed to the socket.
    derived.serverP50Ms = percentile(g.serverMs, 50);
    derived.serverP99Ms = percentile(g.serverMs, 99);
  }
  const checks: Record<string, number | string> = {
    allocationRequests: checked.allocationRequests,
    providerSummaries: checked.providerSummaries,
    answerBytes: checked.bytes,
    clients: r.clients,
    seconds: Number(r.seconds.toFixed(3)),
    requests: r.requests,
    errorsByStatus: errorText(r.errors),
    loadAvg: g.loadAvg,
  };
  if (client === 'wrk') {
    checks.bytesPerAnswerWithHeads = Math.round(g.bytesPerAnswer ?? 0);
    derived.wrkReqPerSec = g.wrkReqPerSec ?? NaN;
    derived.littleReqPerSec = g.littleReqPerSec ?? NaN;
    derived.wrkCorrectedP50Ms = g.correctedP50Ms ?? NaN;
    derived.wrkCorrectedP99Ms = g.correctedP99Ms ?? NaN;
  }
  else {
    checks.sizeMismatches = r.sizeMismatches;
    checks.connections = r.connections;
  }
  return {
    id: `${side.label}-candidates-${which}${client === 'wrk' ? '' : '-nodehttp'}`,
    name: `${side.title}: GET allocation_candidates (rule 100, 1.39), ${which === 'alone' ? 'sequential requests' : `${r.clients} concurrent clients`}, client ${client === 'wrk' ? 'wrk' : 'node:http'}`,
    providers: TOTAL,
    opsPerSec: r.reqPerSec,
    meanMs: r.meanMs,
    p99Ms: r.p99Ms,
    minMs: r.minMs,
    maxMs: r.maxMs,
    samples: r.ok,
    iterations: r.requests,
    derived,
    checks,
    note:
      client === 'wrk'
        ? 'wrk: latency per request (the coordinated-omission correction of wrk undone), from writing the request to the end of the answer; req/s: answers ≤ 399 per second of the fixed duration (requests in flight at the end are dropped; for upstream the larger of that and clients / mean latency)'
        : 'node:http: latency from sending the request to the last byte of the answer (read, not parsed); req/s: 200 answers per second of wall clock',
  };
}

// ------------------------------------------------------------------ printing

function f(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toFixed(digits);
}

function printTable(rows: string[][], log: (line: string) => void): void {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  rows.forEach((r, n) => {
    log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  '));
    if (n === 0) log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

// ------------------------------------------------------------------ the suite

async function runPlacementHttp(log: (line: string) => void): Promise<SuiteOutcome> {
  const root = packageRoot();
  const upstreamPort = envInt('TSTACK_BENCH_UPSTREAM_PORT', 28790);
  const tstackPort = envInt('TSTACK_BENCH_TSTACK_PORT', 28791);
  const journalPort = tstackPort + 1;
  const nodeClientPort = tstackPort + 2;
  const variantPort = tstackPort + 3;
  for (const [p, w] of [
    [upstreamPort, 'upstream'],
    [tstackPort, 'tstack'],
    [journalPort, 'tstack --journal'],
    [nodeClientPort, 'tstack, Node client'],
    [variantPort, 'tstack variants'],
  ] as const) {
    checkPort(p, w);
  }
  const workDir = '/tmp/tstack-bench-placement-http';
  const stateDir = process.env.TSTACK_BENCH_UPSTREAM_STATE ?? path.join(workDir, 'upstream');
  const processes = envInt('PLACEMENT_PROCESSES', 2);
  const threads = envInt('PLACEMENT_THREADS', 4);
  const loadConcurrency = envInt('TSTACK_BENCH_LOAD_CONCURRENCY', 10);
  const rule: StopRule = { minSeconds: 5, minRequests: 200, maxSeconds: envInt('TSTACK_BENCH_HTTP_MAX_SECONDS', 30) };
  fs.mkdirSync(workDir, { recursive: true });
  const cload = CPlaceload.build(workDir, log);
  if (cload === undefined) throw new Error('bench/c/placeload.c could not be built (gcc): the judged loads need it');

  const servers: Server[] = [];
  const endpoints: Endpoint[] = [];
  const leans: LeanEndpoint[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`\n${signal}: stopping the servers`);
    for (const s of servers) s.stopNow();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const loadAvgStart = loadAvg();
  let upstreamInfo: UpstreamInfo | undefined;
  let tstackStartSeconds = 0;
  const sides: Side[] = [];
  /** The extras, on tstack only. */
  let second: [LoadResult, Cpu, string] | undefined;
  let journalled: [LoadResult, Cpu, string, number] | undefined;
  let viaNode: [LoadResult, Cpu, string] | undefined;
  /** Cold loads on new servers that differ from the judged one in one setting each. */
  const variants: { id: string; title: string; result: [LoadResult, Cpu, string] }[] = [];
  let handlersOnly: { coldSeconds: number; warmSeconds: number; requests: number } | undefined;
  let wrkVersion = '';
  try {
    log(`  load average at start: ${loadAvgStart}`);
    // Fail before the (slow) upstream start when one of our ports is taken.
    for (const p of [tstackPort, journalPort, nodeClientPort, variantPort]) if (await portAnswers(p)) throw new Error(`something already listens on ${HOST}:${p}`);
    const up = await UpstreamPlacement.start({ root, stateDir, port: upstreamPort, processes, threads }, log);
    servers.push(up.server);
    upstreamInfo = up.info;
    // The start script installs wrk with the server's packages (PLACEMENT_BENCH_TOOLS=1).
    const version = wrkAvailable();
    if (version === undefined) throw new Error('wrk is not installed (Debian package wrk): scripts/services/start-upstream-placement.sh installs it when PLACEMENT_BENCH_TOOLS=1');
    wrkVersion = version;
    log(`  upstream ready in ${up.info.startSeconds.toFixed(1)} s (python3-placement ${up.info.placementVersion}, uwsgi ${up.info.uwsgiVersion}, mariadb-server ${up.info.mariadbVersion})`);
    const tstackLog = path.join(workDir, 'tstack-serve.log');
    const ts = await TstackPlacement.start({ root, port: tstackPort, logFile: tstackLog }, log);
    servers.push(ts.server);
    tstackStartSeconds = ts.startSeconds;
    log(`  tstack-host ready in ${ts.startSeconds.toFixed(2)} s`);

    const maxSockets = Math.max(CONCURRENT_CLIENTS, loadConcurrency);
    const mk = (label: Side['label'], title: string, server: Server, logFile?: string): Side => {
      const ep = new Endpoint(label, HOST, server.port, maxSockets);
      endpoints.push(ep);
      const lean = new LeanEndpoint(label, HOST, server.port);
      leans.push(lean);
      const side: Side = { label, title, server, ep, lean, gets: {}, loadAvg: {} };
      if (logFile !== undefined) side.logFile = logFile;
      return side;
    };
    sides.push(mk('upstream', `upstream Placement ${up.info.placementVersion} (uwsgi ${up.info.processes}×${up.info.threads}, MariaDB)`, up.server));
    sides.push(mk('tstack', 'tstack-host placement serve (in memory)', ts.server, tstackLog));

    /** A load through the C client: the server's CPU from its processes, the client's from its own count. */
    const loadC = async (side: Side, count: number): Promise<[LoadResult, Cpu]> => {
      const before = treeCpuSeconds(side.server.pids());
      const r = await cload.run(HOST, side.server.port, count, loadConcurrency);
      return [r.load, { server: treeCpuSeconds(side.server.pids()) - before, client: r.cpuSeconds }];
    };
    const warmUpLoad = async (side: Side): Promise<void> => {
      const [warm] = await loadC(side, WARMUP_PROVIDERS);
      if (warm.errorCount > 0) throw new Error(`${side.label}: warm-up load failed: ${errorText(warm.errors)}`);
    };

    log(`(1) placeload: ${WARMUP_PROVIDERS} warm-up providers, then ${PROVIDERS.toLocaleString('en-US')} timed, ${loadConcurrency} in flight (C client)`);
    for (const side of sides) {
      const waited = await settle(servers);
      log(`  ${side.label}: servers idle after ${waited.toFixed(0)} s`);
      await warmUpLoad(side);
      side.loadAvg.load = loadAvg();
      [side.load, side.loadCpu] = await loadC(side, PROVIDERS);
      log(
        `  ${side.label}: ${side.load.seconds.toFixed(2)} s, ${f(side.load.requests / side.load.seconds)} req/s, errors ${errorText(side.load.errors)}, ` +
          `${side.load.connections} connections, CPU server ${side.loadCpu.server.toFixed(1)} s / client ${side.loadCpu.client.toFixed(1)} s (load avg ${side.loadAvg.load})`,
      );
      side.checked = await checkAnswer(side.ep);
      log(`  ${side.label}: checked: ${side.checked.allocationRequests} allocation requests, ${side.checked.providerSummaries} summaries, ${side.checked.bytes.toLocaleString('en-US')} bytes`);
    }

    const report = (side: Side, client: GetClient, g: GetRun): void => {
      const { run, cpu, serverMs } = g;
      const inside = serverMs.length === 0 ? '' : `, inside the server p50 ${f(percentile(serverMs, 50), 2)} / p99 ${f(percentile(serverMs, 99), 2)} ms`;
      const conns = run.connections < 0 ? '' : `, ${run.connections} connections`;
      const little = g.littleReqPerSec === undefined ? '' : ` (wrk ${f(g.wrkReqPerSec, 2)}, clients/mean latency ${f(g.littleReqPerSec, 2)})`;
      const corrected = g.correctedP99Ms === undefined ? '' : ` (wrk's CO-corrected p50 ${f(g.correctedP50Ms, 2)} / p99 ${f(g.correctedP99Ms, 2)} ms)`;
      log(
        `  ${side.label} [${client === 'wrk' ? 'wrk' : 'node:http'}]: ${run.ok} ok in ${run.seconds.toFixed(1)} s: ${f(run.reqPerSec, 2)} req/s${little}, p50 ${f(run.p50Ms, 2)} ms, p99 ${f(run.p99Ms, 2)} ms${corrected}${inside}, ` +
          `errors ${errorText(run.errors)}${conns}, CPU ms/request server ${f((cpu.server * 1000) / Math.max(1, run.requests), 3)} / client ${f((cpu.client * 1000) / Math.max(1, run.requests), 3)} (load avg ${g.loadAvg})`,
      );
    };
    /** wrk runs ≥ minSeconds, long enough for ~minRequests at the warm-up's rate, at most maxSeconds. */
    const wrkSeconds = (side: Side): number => Math.min(rule.maxSeconds, Math.max(rule.minSeconds, Math.ceil(rule.minRequests / (side.warmRate as number))));
    const timedPhase = async (side: Side, client: GetClient, which: Phase): Promise<void> => {
      const clients = which === 'alone' ? 1 : CONCURRENT_CLIENTS;
      gcClient();
      const avg = loadAvg();
      let g: GetRun;
      if (client === 'wrk') {
        const [[run, cpu], serverMs] = await withServerLog(side.logFile, () => withCpu(side, () => wrkGet(root, HOST, side.server.port, QUERY_PATH, clients, wrkSeconds(side))));
        // The client is wrk, not this process.
        g = { run, cpu: { server: cpu.server, client: run.clientCpuSeconds }, serverMs, loadAvg: avg, bytesPerAnswer: run.bytesPerAnswer };
        g.wrkReqPerSec = run.reqPerSec;
        g.correctedP50Ms = run.correctedP50Ms;
        g.correctedP99Ms = run.correctedP99Ms;
        g.littleReqPerSec = run.meanMs > 0 ? clients / (run.meanMs / 1000) : 0;
        // Only ever in upstream's favour (ours: the dropped requests are ~1 ms of 5 s).
        if (side.label === 'upstream' && g.littleReqPerSec > run.reqPerSec) run.reqPerSec = g.littleReqPerSec;
        // Answers smaller than the checked body, or larger by more than a head, are not that answer.
        const body = (side.checked as Checked).bytes;
        if (run.ok > 0 && (run.bytesPerAnswer < body || run.bytesPerAnswer > body + 4096)) {
          throw new Error(`${side.label}: wrk received ${run.bytesPerAnswer.toFixed(0)} bytes per answer, the checked answer has ${body}`);
        }
      } else {
        const [[run, cpu], serverMs] = await withServerLog(side.logFile, () => withCpu(side, () => timeGet(side.ep, QUERY_PATH, clients, rule, (side.checked as Checked).bytes)));
        g = { run, cpu, serverMs, loadAvg: avg };
      }
      side.gets[`${client}-${which}`] = g;
      report(side, client, g);
    };

    log(`(2a) GET ${QUERY_PATH}, sequential: wrk for ≥ ${rule.minSeconds} s and ~${rule.minRequests} requests at the warm-up's rate (≤ ${rule.maxSeconds} s); then node:http (≥ ${rule.minSeconds} s and ≥ ${rule.minRequests} requests, or ~${rule.maxSeconds} s)`);
    for (const side of sides) {
      const [warm, rate] = await warmUp(side.lean);
      side.warmRate = rate;
      log(`  ${side.label}: ${warm} untimed requests first (${f(rate, 2)} req/s; wrk will run ${wrkSeconds(side)} s)`);
      await timedPhase(side, 'wrk', 'alone');
      await timedPhase(side, 'node', 'alone');
    }

    log(`(2b) same query, ${CONCURRENT_CLIENTS} concurrent clients`);
    for (const side of sides) {
      await timedPhase(side, 'wrk', 'c10');
      await timedPhase(side, 'node', 'c10');
    }

    // Upstream is done: stop it so that its processes cannot take CPU from the extras.
    await up.server.stop();

    const tside = sides[1] as Side;
    log(`(extra) a second placeload of ${PROVIDERS.toLocaleString('en-US')} on the same tstack-host process (JIT warm; its world grows to ${(TOTAL + PROVIDERS).toLocaleString('en-US')}; nothing is timed after it)`);
    gcClient();
    const secondAvg = loadAvg();
    const [secondLoad, secondCpu] = await loadC(tside, PROVIDERS);
    second = [secondLoad, secondCpu, secondAvg];
    log(`  tstack: ${secondLoad.seconds.toFixed(2)} s, errors ${errorText(secondLoad.errors)} (load avg ${secondAvg})`);
    await ts.server.stop();

    log(`(extra) placeload on a new tstack-host with --journal (each write fsynced before it is answered): ${WARMUP_PROVIDERS} warm-up, ${PROVIDERS.toLocaleString('en-US')} timed`);
    const journal = path.join(workDir, 'tstack-bench.journal');
    fs.rmSync(journal, { force: true });
    const tj = await TstackPlacement.start({ root, port: journalPort, logFile: path.join(workDir, 'tstack-serve-journal.log'), journal }, log);
    servers.push(tj.server);
    const jside = mk('tstack', 'tstack-host --journal', tj.server);
    await warmUpLoad(jside);
    const journalAvg = loadAvg();
    const [journalLoad, journalCpu] = await loadC(jside, PROVIDERS);
    await checkAnswer(jside.ep);
    const journalBytes = fs.statSync(journal).size;
    journalled = [journalLoad, journalCpu, journalAvg, journalBytes];
    log(`  tstack --journal: ${journalLoad.seconds.toFixed(2)} s, errors ${errorText(journalLoad.errors)}, journal ${journalBytes.toLocaleString('en-US')} bytes (load avg ${journalAvg})`);
    await tj.server.stop();

    log(`(extra) placeload on a new tstack-host through the Node client of earlier runs (bench/placement-http-lean.ts): ${WARMUP_PROVIDERS} warm-up, ${PROVIDERS.toLocaleString('en-US')} timed`);
    const tn = await TstackPlacement.start({ root, port: nodeClientPort, logFile: path.join(workDir, 'tstack-serve-node-client.log') }, log);
    servers.push(tn.server);
    const nside = mk('tstack', 'tstack-host, Node client', tn.server);
    const nodeWarm = await placeload(nside.lean, WARMUP_PROVIDERS, loadConcurrency);
    if (nodeWarm.errorCount > 0) throw new Error(`tstack, Node client: warm-up load failed: ${errorText(nodeWarm.errors)}`);
    gcClient();
    const nodeAvg = loadAvg();
    const [nodeLoad, nodeCpu] = await withCpu(nside, () => placeload(nside.lean, PROVIDERS, loadConcurrency));
    viaNode = [nodeLoad, nodeCpu, nodeAvg];
    log(`  tstack, Node client: ${nodeLoad.seconds.toFixed(2)} s, errors ${errorText(nodeLoad.errors)}, CPU server ${nodeCpu.server.toFixed(1)} s / client ${nodeCpu.client.toFixed(1)} s (load avg ${nodeAvg})`);
    await tn.server.stop();

    // What the native transport and the sized V8 pool each bring, measured as the judged load is.
    const settings: { id: string; title: string; env: Record<string, string> }[] = [
      { id: 'tstack-load-1k-node-transport', title: 'on the node:net transport (TSTACK_HTTP_TRANSPORT=node)', env: { TSTACK_HTTP_TRANSPORT: 'node' } },
      { id: 'tstack-load-1k-default-pool', title: "with Node's default V8 pool of 4 (TSTACK_V8_POOL_SIZE=4)", env: { TSTACK_V8_POOL_SIZE: '4' } },
    ];
    for (const v of settings) {
      log(`(extra) placeload on a new tstack-host ${v.title}: ${WARMUP_PROVIDERS} warm-up, ${PROVIDERS.toLocaleString('en-US')} timed`);
      const tv = await TstackPlacement.start({ root, port: variantPort, logFile: path.join(workDir, `${v.id}.log`), env: v.env }, log);
      servers.push(tv.server);
      const vside = mk('tstack', `tstack-host ${v.title}`, tv.server);
      await warmUpLoad(vside);
      const vAvg = loadAvg();
      const [vLoad, vCpu] = await loadC(vside, PROVIDERS);
      await checkAnswer(vside.ep);
      variants.push({ id: v.id, title: v.title, result: [vLoad, vCpu, vAvg] });
      log(`  tstack ${v.title}: ${vLoad.seconds.toFixed(2)} s, errors ${errorText(vLoad.errors)} (load avg ${vAvg})`);
      await tv.server.stop();
    }

    log(`(extra) the same placeload through the route handlers alone, in a new process (bench/placement-handlers-only.ts: no HTTP, no sockets)`);
    const program = path.join(root, 'dist', 'bench', 'placement-handlers-only.js');
    // Plain node, as the server runs: none of the benchmark's own flags.
    handlersOnly = JSON.parse(execFileSync(process.execPath, [program], { encoding: 'utf8', timeout: 120_000 })) as typeof handlersOnly;
    log(`  handlers only: cold ${handlersOnly?.coldSeconds.toFixed(3)} s, warm ${handlersOnly?.warmSeconds.toFixed(3)} s`);
  } finally {
    for (const ep of endpoints) ep.destroy();
    for (const ep of leans) ep.destroy();
    for (const s of servers.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        log(`  could not stop ${s.label}: ${(e as Error).message}`);
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log('  servers stopped');
  }

  // ---------------------------------------------------------------- figures, ratios, goals
  const [upstream, tstack] = sides as [Side, Side];
  const ul = upstream.load as LoadResult;
  const tl = tstack.load as LoadResult;
  const loadName = (title: string): string =>
    `${title}: placeload of ${PROVIDERS.toLocaleString('en-US')} providers over HTTP (create, inventories, aggregates, traits), ${loadConcurrency} in flight, after ${WARMUP_PROVIDERS} warm-up`;
  const scenarios: ScenarioResult[] = [];
  const upLoad = loadScenario('upstream-load-1k', loadName(upstream.title), ul, upstream.loadCpu as Cpu, loadConcurrency, upstream.loadAvg.load ?? '');
  const tsLoad = loadScenario('tstack-load-1k', loadName(tstack.title), tl, tstack.loadCpu as Cpu, loadConcurrency, tstack.loadAvg.load ?? '');
  tsLoad.derived.loadSpeedup = ul.seconds / tl.seconds;
  scenarios.push(upLoad, tsLoad);
  for (const client of ['wrk', 'node'] as const) {
    for (const which of ['alone', 'c10'] as const) {
      const u = getScenario(upstream, client, which);
      const t = getScenario(tstack, client, which);
      t.derived.reqPerSecRatio = (t.derived.reqPerSec as number) / (u.derived.reqPerSec as number);
      scenarios.push(u, t);
    }
  }
  const [sl, sCpu, sAvg] = second as [LoadResult, Cpu, string];
  const secondScenario = loadScenario(
    'tstack-load-1k-second',
    `tstack-host placement serve (in memory): a second placeload of ${PROVIDERS.toLocaleString('en-US')} on the same process after the timed queries (JIT warm), ${loadConcurrency} in flight`,
    sl,
    sCpu,
    loadConcurrency,
    sAvg,
  );
  secondScenario.providers = TOTAL + PROVIDERS;
  secondScenario.derived.loadSpeedup = ul.seconds / sl.seconds;
  secondScenario.note = "against upstream's first (timed) load; upstream's own second load is not measured";
  const [jl, jCpu, jAvg, jBytes] = journalled as [LoadResult, Cpu, string, number];
  const journalScenario = loadScenario('tstack-journal-load-1k', loadName('tstack-host placement serve --journal (group commit: no answer before its writes are fsynced)'), jl, jCpu, loadConcurrency, jAvg);
  journalScenario.derived.loadSpeedup = ul.seconds / jl.seconds;
  (journalScenario.checks as Record<string, number | string>).journalBytes = jBytes;
  const [nl, nCpu, nAvg] = viaNode as [LoadResult, Cpu, string];
  const nodeClientScenario = loadScenario(
    'tstack-load-1k-node-client',
    `${loadName('tstack-host placement serve (in memory)')}, through the Node client of earlier runs (bench/placement-http-lean.ts)`,
    nl,
    nCpu,
    loadConcurrency,
    nAvg,
  );
  nodeClientScenario.derived.loadSpeedup = ul.seconds / nl.seconds;
  nodeClientScenario.note = "against upstream's load through the C client";
  const h = handlersOnly as { coldSeconds: number; warmSeconds: number; requests: number };
  const handlersScenario: ScenarioResult = {
    id: 'tstack-handlers-only-load-1k',
    name: `the placeload of ${PROVIDERS.toLocaleString('en-US')} providers through the route handlers alone, in a new process (no HTTP layer, no sockets)`,
    providers: TOTAL,
    opsPerSec: h.requests / h.coldSeconds,
    derived: { coldSeconds: h.coldSeconds, warmSeconds: h.warmSeconds, shareOfServedColdLoad: h.coldSeconds / tl.seconds },
    checks: { requests: h.requests },
    note: 'a diagnostic: what the request path around the handlers (HTTP, sockets, event loop) leaves of the served cold load',
  };
  const variantScenarios = variants.map((v) => {
    const [vl, vCpu, vAvg] = v.result;
    const s = loadScenario(v.id, loadName(`tstack-host placement serve (in memory) ${v.title}`), vl, vCpu, loadConcurrency, vAvg);
    s.derived.loadSpeedup = ul.seconds / vl.seconds;
    // Above 1: the judged configuration is faster by that factor (same run, same machine).
    s.derived.judgedSpeedup = vl.seconds / tl.seconds;
    s.note = 'a new server like the judged one but for this one setting';
    return s;
  });
  scenarios.push(secondScenario, journalScenario, nodeClientScenario, ...variantScenarios, handlersScenario);

  const byId = scenarioLookup(scenarios);
  const targets: TargetResult[] = [
    target('target', `loading ${PROVIDERS.toLocaleString('en-US')} providers ≥ ${GOAL_LOAD_SPEEDUP}× faster than upstream`, byId('tstack-load-1k'), 'loadSpeedup', '>', GOAL_LOAD_SPEEDUP, '×'),
    target('target', `≥ ${GOAL_RPS_RATIO}× upstream's req/s, candidates query alone`, byId('tstack-candidates-alone'), 'reqPerSecRatio', '>', GOAL_RPS_RATIO, '×'),
    target('target', `≥ ${GOAL_RPS_RATIO}× upstream's req/s, candidates query at concurrency ${CONCURRENT_CLIENTS}`, byId('tstack-candidates-c10'), 'reqPerSecRatio', '>', GOAL_RPS_RATIO, '×'),
    target('target', `p99 < ${GOAL_P99_MS} ms at concurrency ${CONCURRENT_CLIENTS}`, byId('tstack-candidates-c10'), 'p99Ms', '<', GOAL_P99_MS, 'ms'),
    target('extra', `loading ≥ ${GOAL_LOAD_SPEEDUP}× faster than upstream, second load on a JIT-warm tstack`, secondScenario, 'loadSpeedup', '>', GOAL_LOAD_SPEEDUP, '×'),
    target('extra', `loading ≥ ${GOAL_LOAD_SPEEDUP}× faster than upstream, tstack with --journal (fsynced)`, journalScenario, 'loadSpeedup', '>', GOAL_LOAD_SPEEDUP, '×'),
    target('extra', `≥ ${GOAL_RPS_RATIO}× upstream's req/s, query alone, node:http client (earlier runs' client)`, byId('tstack-candidates-alone-nodehttp'), 'reqPerSecRatio', '>', GOAL_RPS_RATIO, '×'),
    target('extra', `≥ ${GOAL_RPS_RATIO}× upstream's req/s, query at concurrency ${CONCURRENT_CLIENTS}, node:http client`, byId('tstack-candidates-c10-nodehttp'), 'reqPerSecRatio', '>', GOAL_RPS_RATIO, '×'),
    target('extra', `p99 < ${GOAL_P99_MS} ms at concurrency ${CONCURRENT_CLIENTS}, node:http client`, byId('tstack-candidates-c10-nodehttp'), 'p99Ms', '<', GOAL_P99_MS, 'ms'),
    target('extra', `loading ≥ ${GOAL_LOAD_SPEEDUP}× faster than upstream, a new tstack through the Node client`, nodeClientScenario, 'loadSpeedup', '>', GOAL_LOAD_SPEEDUP, '×'),
  ];
  // Errors on our side fail the goal whatever the speed (upstream's errors are reported; its req/s counts 200s only).
  for (const t of targets) {
    const s = byId(t.scenario);
    if (s !== undefined && (s.derived.errors ?? 0) > 0) t.pass = false;
  }
  // The side-by-side table: wrk (judged) and node:http columns.
  const run = (side: Side, client: GetClient, which: Phase): GetRun => side.gets[`${client}-${which}`] as GetRun;
  const inside = (ms: number[]): string => (ms.length === 0 ? '' : `${f(percentile(ms, 50), 2)} / ${f(percentile(ms, 99), 2)}`);
  const cpuMs = (g: GetRun, who: 'server' | 'client'): string => f((g.cpu[who] * 1000) / Math.max(1, g.run.requests), 3);
  const mark = (pass: boolean): string => (pass ? 'pass' : 'MISSED');
  const tg = (i: number): TargetResult => targets[i] as TargetResult;
  const loadCpuUs = (l: LoadResult, c: Cpu, who: 'server' | 'client'): string => f((c[who] * 1e6) / Math.max(1, l.requests), 0);
  log('');
  log(`Side by side (${TOTAL.toLocaleString('en-US')} providers; upstream = Placement ${upstreamInfo?.placementVersion}, uwsgi ${upstreamInfo?.processes}×${upstreamInfo?.threads}, MariaDB ${upstreamInfo?.mariadbVersion}):`);
  const rows: string[][] = [
    ['', 'upstream', 'tstack', 'tstack vs upstream', 'goal', ''],
    ['load 1,000 providers (C client), s', f(ul.seconds, 2), f(tl.seconds, 3), `${f(tsLoad.derived.loadSpeedup)}× faster`, `≥ ${GOAL_LOAD_SPEEDUP}× faster`, mark(tg(0).pass)],
    ['  CPU µs/request server / client', `${loadCpuUs(ul, upstream.loadCpu as Cpu, 'server')} / ${loadCpuUs(ul, upstream.loadCpu as Cpu, 'client')}`, `${loadCpuUs(tl, tstack.loadCpu as Cpu, 'server')} / ${loadCpuUs(tl, tstack.loadCpu as Cpu, 'client')}`, '', '', ''],
    ['  load errors, retries after a 5xx', `${ul.errorCount}, ${ul.retries}`, `${tl.errorCount}, ${tl.retries}`, '', '', ''],
  ];
  for (const client of ['wrk', 'node'] as const) {
    const name = client === 'wrk' ? 'wrk' : 'node:http';
    for (const which of ['alone', 'c10'] as const) {
      const u = run(upstream, client, which);
      const t = run(tstack, client, which);
      const label = `${which === 'alone' ? 'alone' : `c${CONCURRENT_CLIENTS}`} [${name}]`;
      const rpsTarget = client === 'wrk' ? (which === 'alone' ? tg(1) : tg(2)) : which === 'alone' ? tg(6) : tg(7);
      const p99Target = client === 'wrk' ? tg(3) : tg(8);
      rows.push(
        [`${label}: req/s`, f(u.run.reqPerSec, 2), f(t.run.reqPerSec), `${f(t.run.reqPerSec / u.run.reqPerSec)}×`, `≥ ${GOAL_RPS_RATIO}×`, mark(rpsTarget.pass)],
        [`${label}: p50 / p99 ms`, `${f(u.run.p50Ms)} / ${f(u.run.p99Ms)}`, `${f(t.run.p50Ms, 2)} / ${f(t.run.p99Ms, 2)}`, '', which === 'c10' ? `p99 < ${GOAL_P99_MS} ms` : '', which === 'c10' ? mark(p99Target.pass) : ''],
        [`${label}: inside server p50 / p99 ms`, '', inside(t.serverMs), '', '', ''],
        ...(client === 'wrk'
          ? [[`${label}: wrk's CO-corrected p50 / p99 ms`, `${f(u.correctedP50Ms)} / ${f(u.correctedP99Ms)}`, `${f(t.correctedP50Ms, 2)} / ${f(t.correctedP99Ms, 2)}`, '', '', '']]
          : []),
        [`${label}: CPU ms/request server / client`, `${cpuMs(u, 'server')} / ${cpuMs(u, 'client')}`, `${cpuMs(t, 'server')} / ${cpuMs(t, 'client')}`, '', '', ''],
        [`${label}: requests, errors`, `${u.run.requests}, ${u.run.errorCount}`, `${t.run.requests}, ${t.run.errorCount}`, '', '', ''],
      );
    }
  }
  rows.push(
    ['(extra) second load, JIT warm, s', '', f(sl.seconds, 3), `${f(secondScenario.derived.loadSpeedup)}× faster`, `≥ ${GOAL_LOAD_SPEEDUP}× faster`, mark(tg(4).pass)],
    ['(extra) load with --journal, s', '', f(jl.seconds, 3), `${f(journalScenario.derived.loadSpeedup)}× faster`, `≥ ${GOAL_LOAD_SPEEDUP}× faster`, mark(tg(5).pass)],
    ['(extra) load through the Node client, new process, s', '', f(nl.seconds, 3), `${f(nodeClientScenario.derived.loadSpeedup)}× faster`, `≥ ${GOAL_LOAD_SPEEDUP}× faster`, mark(tg(9).pass)],
  );
  printTable(rows, log);

  const setup = {
    host: HOST,
    ports: { upstream: upstreamPort, tstack: tstackPort, tstackJournal: journalPort, tstackNodeClient: nodeClientPort },
    upstream: upstreamInfo,
    upstreamStateDir: stateDir,
    tstack: { command: 'bin/tstack-host placement serve (no --journal; state in memory)', node: process.version, startSeconds: tstackStartSeconds },
    client: {
      load:
        'bench/c/placeload.c (bench/placeload-c.ts): one thread and one keep-alive HTTP/1.1 connection per provider in flight, answers framed not parsed (uwsgi answers Connection: close, so each upstream request opens a connection); ' +
        'the extra through bench/placement-http-lean.ts, the Node client of earlier runs',
      timedGets: `wrk ${wrkVersion} (one thread; bench/placement-http-wrk.lua), judged; then bench/http-client.ts, node:http Agent keepAlive:true, for comparison with earlier runs`,
      loadConcurrency,
      concurrentClients: CONCURRENT_CLIENTS,
      stopRule: rule,
      microversion: 'latest (1.39)',
    },
    loadAverage: { start: loadAvgStart, end: loadAvg() },
  };
  // The record run.ts writes spreads this object: setup goes into the JSON beside the scenarios.
  const outcome: SuiteOutcome & { setup: typeof setup } = { scenarios, targets, setup };
  return outcome;
}

export const placementHttpSuite: BenchSuite = {
  name: 'placement-http',
  description: 'the Placement HTTP API against upstream Placement 8.0 (uwsgi, MariaDB): perfload load and allocation candidates, side by side',
  run: runPlacementHttp,
};
