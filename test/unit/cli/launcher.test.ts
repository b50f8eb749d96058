/**
 * bin/tstack-host, the package's command: it runs the CLI under the node on PATH with V8's
 * background pool sized to the host (cores - 1, 1 to 4), unless told otherwise.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const command = path.join(root, 'bin', 'tstack-host');

// A preload that prints the flags node was started with (NODE_OPTIONS' own are not among them).
const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tstack-launcher-')), 'flags.cjs');
fs.writeFileSync(preload, "console.log('FLAGS ' + process.execArgv.join(' '));\n");

/** Runs the command with the preload; returns node's flags, the output and the exit status. */
function run(env: Record<string, string>, args: string[] = ['--help']): { flags: string; out: string; status: number | null } {
  const nodeOptions = [`--require=${preload}`, env['NODE_OPTIONS'] ?? ''].join(' ').trim();
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...env, NODE_OPTIONS: nodeOptions },
  });
  const flags = /^FLAGS (.*)$/m.exec(r.stdout)?.[1] ?? '';
  return { flags, out: r.stdout, status: r.status };
}

describe('bin/tstack-host', () => {
  it('runs the CLI with the V8 pool sized to the cores (one left to the JS thread, 1 to 4)', () => {
    // As the launcher counts them (nproc: the CPUs this process may run on).
    const cores = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
    expect(cores).toBeGreaterThan(0);
    const expected = Math.min(4, Math.max(1, cores - 1));
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.flags.split(' ')).toContain(`--v8-pool-size=${expected}`);
    expect(r.out).toContain('Usage: tstack-host');
  });

  it('takes TSTACK_V8_POOL_SIZE, and leaves a --v8-pool-size in NODE_OPTIONS alone', () => {
    expect(run({ TSTACK_V8_POOL_SIZE: '3' }).flags.split(' ')).toContain('--v8-pool-size=3');
    const own = run({ NODE_OPTIONS: '--v8-pool-size=2' });
    expect(own.flags).not.toContain('--v8-pool-size');
    expect(own.status).toBe(0);
  });

  it('passes arguments and the exit status through', () => {
    const r = run({}, ['no-such-command']);
    expect(r.status).not.toBe(0);
  });
});
