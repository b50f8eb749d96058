/**
 * The two servers of the placement-http suite, each started and stopped by this process:
 *   - upstream OpenStack Placement 8.0 under uwsgi on MariaDB, through
 *     scripts/services/start-upstream-placement.sh / stop-upstream-placement.sh (fresh database);
 *   - tstack-host, as a child `bin/tstack-host placement serve` process (the package's command).
 * Both on 127.0.0.1 only. Also: CPU time of a server's processes, read from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const HOST = '127.0.0.1';

/** Refuses ports inside the kernel's ephemeral range (a client socket may hold them any time). */
export function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`${what}: bad port ${port}`);
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && port >= lo && port <= hi) {
      throw new Error(`${what}: port ${port} is inside the ephemeral range ${lo}–${hi}; choose another`);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** True when something accepts connections on HOST:port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ------------------------------------------------------------------ CPU time from /proc

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/** CPU seconds (user + system) used so far by the given processes and all their descendants. */
export function treeCpuSeconds(roots: readonly number[]): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid … utime stime …": comm may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(name), Number(f[1]));
    ticks.set(Number(name), Number(f[11]) + Number(f[12]));
  }
  const wanted = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!wanted.has(pid) && wanted.has(ppid)) {
        wanted.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of wanted) total += ticks.get(pid) ?? 0;
  return total / ticksPerSecond();
}

// ------------------------------------------------------------------ the servers

export interface Server {
  readonly label: string;
  readonly port: number;
  /** Pids whose process trees do the server's work (for CPU time). */
  pids(): number[];
  stop(): Promise<void>;
  /** For a signal handler: start stopping, without waiting. */
  stopNow(): void;
}

export interface UpstreamOptions {
  root: string;
  stateDir: string;
  port: number;
  processes: number;
  threads: number;
}

export interface UpstreamInfo {
  dbBackend: string;
  processes: number;
  threads: number;
  placementVersion: string;
  uwsgiVersion: string;
  mariadbVersion: string;
  startSeconds: number;
}

function dpkgVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export class UpstreamPlacement implements Server {
  readonly label = 'upstream';
  private started = false;

  private constructor(private readonly o: UpstreamOptions) {}

  get port(): number {
    return this.o.port;
  }

  private script(name: string): string {
    return path.join(this.o.root, 'scripts', 'services', name);
  }

  /** Stops whatever an earlier run left in this state dir, then starts on an empty MariaDB database. */
  static async start(o: UpstreamOptions, log: (line: string) => void): Promise<{ server: UpstreamPlacement; info: UpstreamInfo }> {
    const server = new UpstreamPlacement(o);
    server.stopSync();
    if (await portAnswers(o.port)) throw new Error(`upstream: something already listens on ${HOST}:${o.port}`);
    log(`  starting upstream Placement (MariaDB, uwsgi ${o.processes}×${o.threads}) on ${HOST}:${o.port}, state ${o.stateDir}`);
    server.started = true; // from here on, stop() must run even if the start fails half-way
    const t0 = performance.now();
    const r = spawnSync('bash', [server.script('start-upstream-placement.sh'), o.stateDir, String(o.port)], {
      env: {
        ...process.env,
        PLACEMENT_DB: 'mariadb',
        PLACEMENT_RESET: '1',
        // …and the bench's own client tool (wrk), with the same retries.
        PLACEMENT_BENCH_TOOLS: '1',
        PLACEMENT_PROCESSES: String(o.processes),
        PLACEMENT_THREADS: String(o.threads),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    const startSeconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`start-upstream-placement.sh failed (status ${r.status ?? r.signal})`);
    const url = r.stdout.trim();
    if (url !== `http://${HOST}:${o.port}`) throw new Error(`start-upstream-placement.sh printed ${JSON.stringify(url)}`);
    // What really runs: the backend and the uwsgi sizing the script wrote.
    const ini = fs.readFileSync(path.join(o.stateDir, 'etc', 'uwsgi.ini'), 'utf8');
    const num = (key: string): number => Number(new RegExp(`^${key}\\s*=\\s*(\\d+)`, 'm').exec(ini)?.[1] ?? NaN);
    const info: UpstreamInfo = {
      dbBackend: fs.readFileSync(path.join(o.stateDir, 'db-backend'), 'utf8').trim(),
      processes: num('processes'),
      threads: num('threads'),
      placementVersion: dpkgVersion('python3-placement'),
      uwsgiVersion: dpkgVersion('uwsgi-core'),
      mariadbVersion: dpkgVersion('mariadb-server'),
      startSeconds,
    };
    if (info.dbBackend !== 'mariadb') throw new Error(`upstream runs on ${info.dbBackend}, not MariaDB`);
    return { server, info };
  }

  pids(): number[] {
    return [readPid(path.join(this.o.stateDir, 'uwsgi.pid')), readPid(path.join(this.o.stateDir, 'mysqld.pid'))].filter(
      (p): p is number => p !== undefined,
    );
  }

  private stopSync(): void {
    spawnSync('bash', [this.script('stop-upstream-placement.sh'), this.o.stateDir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  }

  stop(): Promise<void> {
    if (this.started) {
      this.started = false;
      this.stopSync();
    }
    return Promise.resolve();
  }

  stopNow(): void {
    void this.stop();
  }
}

export interface TstackOptions {
  root: string;
  port: number;
  /** Log file for the server's stderr (one JSON line per request). */
  logFile: string;
  journal?: string;
  /** Extra environment for the server (TSTACK_HTTP_TRANSPORT, TSTACK_V8_POOL_SIZE…). */
  env?: Record<string, string>;
}

export class TstackPlacement implements Server {
  readonly label = 'tstack';
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  static async start(o: TstackOptions, log: (line: string) => void): Promise<{ server: TstackPlacement; startSeconds: number }> {
    if (await portAnswers(o.port)) throw new Error(`tstack: something already listens on ${HOST}:${o.port}`);
    const main = path.join(o.root, 'dist', 'src', 'cli', 'main.js');
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: npm run build`);
    // As it is deployed: the package's command (bin/tstack-host, which execs node with the V8
    // pool sized to the host), none of the benchmark's own flags (--expose-gc, --allow-natives-syntax).
    const command = path.join(o.root, 'bin', 'tstack-host');
    const args = ['placement', 'serve', '--host', HOST, '--port', String(o.port)];
    if (o.journal !== undefined) args.push('--journal', o.journal);
    log(`  starting tstack-host: bin/tstack-host ${args.join(' ')} (stderr to ${o.logFile})`);
    const logFd = fs.openSync(o.logFile, 'w');
    const t0 = performance.now();
    // The node on this PATH is the one the suite runs under (bin/tstack-host runs `node`).
    const env = { ...process.env, ...o.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
    const child = spawn(command, args, { cwd: o.root, env, stdio: ['ignore', 'pipe', logFd] });
    fs.closeSync(logFd);
    const server = new TstackPlacement(child, o.port);
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('tstack: no "placement API on" line within 30 s')), 30_000);
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('placement API on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          const tail = fs.readFileSync(o.logFile, 'utf8').split('\n').slice(-10).join('\n');
          reject(new Error(`tstack: placement serve exited (${code ?? signal}) during start:\n${tail}`));
        });
      });
    } catch (e) {
      await server.stop();
      throw e;
    }
    child.stdout?.resume();
    return { server, startSeconds: (performance.now() - t0) / 1000 };
  }

  pids(): number[] {
    return this.child.pid === undefined ? [] : [this.child.pid];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  stopNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}
