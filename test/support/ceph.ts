/**
 * A private Ceph cluster for tests: scripts/services/start-ceph.sh into a fresh directory, on this
 * vitest worker's ceph ports (each cluster takes 20 ports: index 0 and 1 fit one worker's block).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { nativeAvailable } from '../../bindings/ceph/native.js';
import { servicePort } from './ports.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestCeph {
  dir: string;
  conf: string;
  keyring: string;
  fsid: string;
  monPort: number;
  /** Runs a Ceph CLI tool (`rados`, `rbd`, `ceph`) against this cluster; resolves with stdout. */
  cli(tool: 'rados' | 'rbd' | 'ceph', args: readonly string[], input?: Buffer): Promise<Buffer>;
  stop(): Promise<void>;
}

function onPath(tool: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && fs.existsSync(path.join(d, tool)));
}

/** The daemons and CLI tools are installed and the addon is built. */
export function cephAvailable(): boolean {
  return ['ceph-mon', 'ceph-osd', 'ceph-authtool', 'monmaptool', 'ceph', 'rados', 'rbd'].every(onPath) && nativeAvailable();
}

export async function startCeph(index = 0): Promise<TestCeph> {
  const monPort = servicePort('ceph', index * 20);
  // Short path: admin sockets are Unix sockets.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tc${index}-`));
  const script = path.join(root, 'scripts/services/start-ceph.sh');
  let out: string;
  try {
    ({ stdout: out } = await run('bash', [script, dir, String(monPort)], { timeout: 120_000 }));
  } catch (err) {
    await run('bash', [path.join(root, 'scripts/services/stop-ceph.sh'), dir]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const conf = kv.get('CEPH_CONF') ?? '';
  const keyring = kv.get('KEYRING') ?? '';
  const fsid = kv.get('FSID') ?? '';
  return {
    dir,
    conf,
    keyring,
    fsid,
    monPort,
    async cli(tool, args, input) {
      const p = run(tool, ['-c', conf, ...args], { encoding: 'buffer', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
      if (input !== undefined) {
        p.child.stdin?.end(input);
      } else {
        p.child.stdin?.end();
      }
      return (await p).stdout;
    },
    async stop() {
      await run('bash', [path.join(root, 'scripts/services/stop-ceph.sh'), dir], { timeout: 60_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
