/**
 * The HTTP client side of the placement-http suite: one request helper over node:http with a
 * keep-alive agent (the answer check and the node:http comparison phases), placeload's loader
 * (docs/placement-rules.md rules 96–99) and the timing loops for a repeated GET (sequential, or N
 * clients in parallel), both over any Sender: this node:http Endpoint or the lean raw-socket
 * client of placement-http-lean.ts. The same code drives every server.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';

import { AGG_A, AGG_B, AGG_C } from './placement.bench.js';

/**
 * What the loaders and timing loops drive: one server through one client implementation
 * (node:http here, the lean raw-socket client of placement-http-lean.ts).
 */
export interface Sender {
  readonly label: string;
  /** Never rejects: a failure below HTTP is status 0 with its error code. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; bytes: number; ms: number; error?: string }>;
  /** Drops the connections and starts counting them again. */
  reset(): void;
  /** Connections opened since the last reset. */
  readonly connections: number;
}

/** One server as node:http sees it. A fresh agent per phase: connections are counted per phase. */
export class Endpoint implements Sender {
  agent: http.Agent;
  /** Sockets the current agent has opened (a keep-alive server reuses them; uwsgi closes each). */
  connections = 0;
  private seen = new WeakSet<Socket>();

  constructor(
    readonly label: string,
    readonly host: string,
    readonly port: number,
    private readonly maxSockets: number,
  ) {
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    return new http.Agent({ keepAlive: true, maxSockets: this.maxSockets });
  }

  /** Drops the agent's sockets and starts counting connections again. */
  resetAgent(): void {
    this.agent.destroy();
    this.agent = this.newAgent();
    this.connections = 0;
    this.seen = new WeakSet<Socket>();
  }

  destroy(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, body?: unknown): Promise<Answer> {
    return send(this, method, path, body);
  }

  reset(): void {
    this.resetAgent();
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  noteSocket(socket: Socket): void {
    if (this.seen.has(socket)) return;
    this.seen.add(socket);
    this.connections++;
  }
}

export interface Answer {
  /** HTTP status, or 0 when the request failed below HTTP (reset, refused, timeout). */
  status: number;
  bytes: number;
  /** Only when asked for (keepBody). */
  body?: Buffer;
  headers?: http.IncomingHttpHeaders;
  /** From just before the request is written to the last byte of the answer. */
  ms: number;
  error?: string;
}

const BASE_HEADERS = {
  'x-auth-token': 'admin',
  'openstack-api-version': 'placement latest',
  accept: 'application/json',
} as const;

/** One request. Never rejects: a failure below HTTP is status 0 with its error code. */
export function send(ep: Endpoint, method: string, path: string, body?: unknown, keepBody = false): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { ...BASE_HEADERS };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const done = (a: Answer): void => {
      if (settled) return;
      settled = true;
      resolve(a);
    };
    const req = http.request({ host: ep.host, port: ep.port, method, path, agent: ep.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('end', () => {
        const a: Answer = { status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 };
        if (keepBody) {
          a.body = Buffer.concat(chunks);
          a.headers = res.headers;
        }
        done(a);
      });
      res.on('error', (e: NodeJS.ErrnoException) => done({ status: 0, bytes, ms: performance.now() - t0, error: e.code ?? e.message }));
    });
    req.on('socket', (s: Socket) => ep.noteSocket(s));
    req.on('error', (e: NodeJS.ErrnoException) => done({ status: 0, bytes: 0, ms: performance.now() - t0, error: e.code ?? e.message }));
    req.setTimeout(120_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.end(payload);
  });
}

// ------------------------------------------------------------------ placeload (rules 96–99)

const AGG_CYCLE: readonly (readonly string[])[] = [[AGG_A], [AGG_A, AGG_B], [AGG_A, AGG_B, AGG_C]];
const TRAIT_CYCLE: readonly (readonly string[])[] = [
  ['HW_CPU_X86_AVX2'],
  ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2'],
  ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2', 'STORAGE_DISK_SSD'],
];
/** Rule 97 (reserved 0, step_size 1, allocation_ratio 1.0 left to their defaults). */
const INVENTORIES = {
  VCPU: { total: 32, min_unit: 1, max_unit: 16 },
  MEMORY_MB: { total: 8192, min_unit: 128, max_unit: 8192 },
  DISK_GB: { total: 8192, min_unit: 5, max_unit: 8192 },
};

/** One provider's requests in placeload's order: [method, what, path, body], `k` its place in the cycles. */
export function placeloadSteps(uuid: string, k: number): [string, string, string, unknown][] {
  return [
    ['POST', 'create', '/resource_providers', { name: uuid, uuid }],
    ['PUT', 'inventories', `/resource_providers/${uuid}/inventories`, { resource_provider_generation: 0, inventories: INVENTORIES }],
    ['PUT', 'aggregates', `/resource_providers/${uuid}/aggregates`, { resource_provider_generation: 1, aggregates: AGG_CYCLE[k % 3] }],
    ['PUT', 'traits', `/resource_providers/${uuid}/traits`, { resource_provider_generation: 2, traits: TRAIT_CYCLE[k % 3] }],
  ];
}

export interface LoadResult {
  providers: number;
  seconds: number;
  requests: number;
  /** Answers that were not the expected status, by "METHOD what status". */
  errors: Record<string, number>;
  errorCount: number;
  /** Requests sent again after a 5xx (upstream races on creating a shared aggregate). */
  retries: number;
  connections: number;
}

/**
 * One placeload run: `count` root providers named by their uuid, each created by POST
 * /resource_providers, then PUT inventories (generation 0), PUT aggregates (generation 1, the
 * ≥ 1.19 body) and PUT traits (generation 2), in that order; `concurrency` providers in flight.
 * The cycles restart with each run, as placeload's do. A provider whose step fails is left there
 * (its later steps would fail on the generation anyway).
 */
export async function placeload(ep: Sender, count: number, concurrency: number): Promise<LoadResult> {
  ep.reset();
  const errors: Record<string, number> = {};
  let requests = 0;
  let retries = 0;
  let next = 0;
  const oneProvider = async (i: number): Promise<void> => {
    for (const [method, what, path, body] of placeloadSteps(randomUUID(), i % 3)) {
      let a = await ep.request(method, path, body);
      requests++;
      // A server error is retried, at most twice, as a careful client would; each retry is counted.
      for (let attempt = 1; attempt <= 2 && a.status >= 500; attempt++) {
        retries++;
        a = await ep.request(method, path, body);
        requests++;
      }
      // At microversion 1.39 every one of these answers 200 (POST /resource_providers since 1.20).
      if (a.status !== 200) {
        const key = `${method} ${what} ${a.status === 0 ? (a.error ?? 'failed') : a.status}`;
        errors[key] = (errors[key] ?? 0) + 1;
        return;
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (next < count) await oneProvider(next++);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return { providers: count, seconds, requests, errors, errorCount, retries, connections: ep.connections };
}

// ------------------------------------------------------------------ timing a repeated GET

export interface StopRule {
  /** Keep going until both minimums are reached… */
  minSeconds: number;
  minRequests: number;
  /** …unless this much time has passed (then stop once minSeconds is reached). */
  maxSeconds: number;
}

export interface TimedRun {
  clients: number;
  /** Completed requests, 200 or not. */
  requests: number;
  ok: number;
  /** Non-200 answers and failures below HTTP, by status or error code. */
  errors: Record<string, number>;
  errorCount: number;
  /** 200 answers whose size differs from the checked answer's. */
  sizeMismatches: number;
  /** From the first request sent to the last answer received. */
  seconds: number;
  /** 200 answers per second of wall clock. */
  reqPerSec: number;
  /** Latency of the 200 answers, ms. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  connections: number;
}

/** Nearest-rank percentile, as harness.ts computes its p99. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil(sorted.length * (p / 100)) - 1)] as number;
}

/**
 * `clients` loops, each sending the GET and waiting for the whole answer before the next (1 client
 * = sequential requests). No client starts a request once the stop rule is met; requests in
 * flight are finished and counted.
 */
export async function timeGet(ep: Sender, path: string, clients: number, rule: StopRule, expectedBytes: number): Promise<TimedRun> {
  ep.reset();
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let requests = 0;
  let sizeMismatches = 0;
  let last = 0;
  const t0 = performance.now();
  const stop = (): boolean => {
    const s = (performance.now() - t0) / 1000;
    if (s < rule.minSeconds) return false;
    return requests >= rule.minRequests || s >= rule.maxSeconds;
  };
  const client = async (): Promise<void> => {
    while (!stop()) {
      const a = await ep.request('GET', path);
      requests++;
      last = performance.now();
      if (a.status === 200) {
        latencies.push(a.ms);
        if (a.bytes !== expectedBytes) sizeMismatches++;
      } else {
        const key = a.status === 0 ? (a.error ?? 'failed') : String(a.status);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (last - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    clients,
    requests,
    ok: latencies.length,
    errors,
    errorCount,
    sizeMismatches,
    seconds,
    reqPerSec: latencies.length / seconds,
    meanMs: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    minMs: latencies[0] ?? NaN,
    maxMs: latencies[latencies.length - 1] ?? NaN,
    connections: ep.connections,
  };
}
