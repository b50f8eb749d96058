/**
 * A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace dummy datapath) for integration
 * tests, started and stopped by scripts/services/start-ovs.sh / stop-ovs.sh in a fresh temporary
 * directory. ovsdb-server listens on a unix socket in that directory and on
 * tcp:127.0.0.1:servicePort('ovs', portIndex).
 *
 * Port indexes of the 'ovs' block: 0..19 are for OVSDB tests (one per concurrently running
 * instance), 20..39 for OpenFlow listeners and controllers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servicePort } from './ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = path.join(ROOT, 'scripts', 'services');
const BINARIES = ['/usr/sbin/ovsdb-server', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovsdb-tool', '/usr/bin/ovs-vsctl', '/usr/bin/ovs-appctl', '/usr/bin/ovs-ofctl'];

export interface OvsInstance {
  /** The instance's private directory (run/, db/, log/, etc/ inside). */
  readonly dir: string;
  /** Path of ovsdb-server's unix socket. */
  readonly dbSocket: string;
  /** ovsdb-server's TCP port on 127.0.0.1. */
  readonly tcpPort: number;
  /** OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR, OVS_SYSCONFDIR, OVS_PKGDATADIR of this instance (plus process.env). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs ovs-vsctl against this instance; resolves with its stdout (trailing newline removed). */
  vsctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  appctl(...args: string[]): Promise<string>;
  /** Restarts ovsdb-server alone, keeping its database; resolves when the new server answers. */
  restartOvsdb(): Promise<void>;
  /** Stops both daemons (by pid file) and removes the directory. Safe to call twice. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** True when the OVS binaries the scripts need are installed. */
export function ovsAvailable(): boolean {
  return BINARIES.every((b) => fs.existsSync(b));
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
        return;
      }
      resolve(stdout.replace(/\n$/, ''));
    });
  });
}

function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Starts a fresh private OVS; stop it with `stop()` (or `await using`). */
export async function startOvs(opts: { portIndex?: number } = {}): Promise<OvsInstance> {
  const tcpPort = servicePort('ovs', opts.portIndex ?? 0);
  // Short path: unix socket names are limited to 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsovs-'));
  let kv: Record<string, string>;
  try {
    kv = parseKeyValues(await run('/bin/bash', [path.join(SCRIPTS, 'start-ovs.sh'), dir, String(tcpPort)], process.env, 60_000));
  } catch (err) {
    await run('/bin/bash', [path.join(SCRIPTS, 'stop-ovs.sh'), dir], process.env).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['OVS_RUNDIR', 'OVS_DBDIR', 'OVS_LOGDIR', 'OVS_SYSCONFDIR', 'OVS_PKGDATADIR']) env[k] = kv[k];
  const dbSocket = kv['DB_SOCK'] ?? path.join(dir, 'run', 'db.sock');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run('/bin/bash', [path.join(SCRIPTS, 'stop-ovs.sh'), dir], process.env);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    dbSocket,
    tcpPort,
    env,
    vsctl: (...args) => run('/usr/bin/ovs-vsctl', [`--db=unix:${dbSocket}`, '--timeout=20', ...args], env),
    ofctl: (...args) => run('/usr/bin/ovs-ofctl', args, env),
    appctl: (...args) => run('/usr/bin/ovs-appctl', args, env),
    restartOvsdb: async () => {
      await run('/bin/bash', [path.join(SCRIPTS, 'restart-ovsdb.sh'), dir, String(tcpPort)], process.env);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
