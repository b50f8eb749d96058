/**
 * Timed GET phases of the placement-http suite driven by Debian's `wrk` (C, epoll, keep-alive
 * HTTP/1.1; it reconnects by itself when a server answers `Connection: close`, as uwsgi does), so
 * that the client's CPU per request is small beside either server's. One wrk thread, N
 * connections, each sending its next request when the answer has arrived (N = 1: sequential).
 * Latency is wrk's, from writing the request to the end of the answer, in µs, per request: wrk's
 * own figures are "corrected" for coordinated omission (synthetic samples added for every long
 * one, as if requests had been due on an open-loop schedule), which the Lua script undoes, checking
 * that as many samples as requests come out; wrk's corrected p50/p99 are kept beside them.
 *
 * wrk stops at a wall-clock duration and drops the requests then in flight (they are not counted
 * in req/s); for N clients that costs about N/2 requests' worth of work, noted by the caller
 * beside the slow server's figures. wrk is installed by scripts/services/start-upstream-placement.sh
 * (PLACEMENT_BENCH_TOOLS=1).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

import type { TimedRun } from './http-client.js';

export interface WrkRun extends TimedRun {
  /** Bytes received (heads and bodies) per completed answer. */
  bytesPerAnswer: number;
  /** CPU seconds of the wrk process (user + system). */
  clientCpuSeconds: number;
  /** Socket errors by kind, and answers with a status > 399. */
  errorsByKind: Record<string, number>;
  /** wrk's own (coordinated-omission corrected) percentiles, ms. */
  correctedP50Ms: number;
  correctedP99Ms: number;
}

export function wrkAvailable(): string | undefined {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) return undefined;
  return /wrk (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  correctedMeanUs: number;
  correctedP50Us: number;
  correctedP99Us: number;
  correctionIntervalUs: number;
  /** Per-request latencies recovered; must equal requests. */
  samples: number;
  minUs: number;
  maxUs: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
}

/**
 * Runs wrk against http://host:port<target> for `seconds` with `clients` connections. wrk runs
 * under bash so that the shell's `times` reports its CPU time once it has exited.
 */
export async function wrkGet(root: string, host: string, port: number, target: string, clients: number, seconds: number): Promise<WrkRun> {
  const script = path.join(root, 'bench', 'placement-http-wrk.lua');
  const url = `http://${host}:${port}${target}`;
  const args = ['-t1', `-c${clients}`, `-d${Math.ceil(seconds)}s`, '--timeout', '120s', '-s', script, url];
  // "$@" keeps the url (with its & and ?) a single word; `times` prints the children's CPU last.
  const child = spawn('bash', ['-c', 'wrk "$@"; status=$?; times; exit $status', 'wrk', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The script's done() needs the connection count to undo wrk's latency correction.
    env: { ...process.env, WRK_CONNECTIONS: String(clients) },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const line = /^WRK_RESULT (\{.*\})$/m.exec(out);
  if (code !== 0 || line === null) throw new Error(`wrk ${args.join(' ')} failed (${code}): ${err.slice(0, 500)}${out.slice(0, 500)}`);
  const r = JSON.parse(line[1] as string) as WrkResult;
  if (r.samples !== r.requests) {
    throw new Error(`wrk: ${r.samples} per-request latencies recovered for ${r.requests} requests: the latency histogram was not undone right`);
  }
  // `times`: "0m0.000s 0m0.000s" for the shell, then the same for its children (wrk).
  const times = out.trim().split('\n').slice(-1)[0] ?? '';
  const cpu = [...times.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  const errorsByKind: Record<string, number> = {};
  for (const [k, v] of [
    ['connect', r.connectErrors],
    ['read', r.readErrors],
    ['write', r.writeErrors],
    ['status>399', r.statusErrors],
    ['timeout', r.timeouts],
  ] as const) {
    if (v > 0) errorsByKind[k] = v;
  }
  const ok = r.requests - r.statusErrors;
  const secondsRun = r.durationUs / 1e6;
  return {
    clients,
    requests: r.requests,
    ok,
    errors: errorsByKind,
    errorCount: Object.values(errorsByKind).reduce((a, b) => a + b, 0),
    sizeMismatches: 0,
    seconds: secondsRun,
    reqPerSec: ok / secondsRun,
    meanMs: r.meanUs / 1000,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    minMs: r.minUs / 1000,
    maxMs: r.maxUs / 1000,
    connections: -1,
    bytesPerAnswer: r.requests > 0 ? r.bytes / r.requests : 0,
    clientCpuSeconds: cpu,
    errorsByKind,
    correctedP50Ms: r.correctedP50Us / 1000,
    correctedP99Ms: r.correctedP99Us / 1000,
  };
}
