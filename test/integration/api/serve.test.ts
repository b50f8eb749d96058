import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tstack-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Served {
  child: ChildProcessWithoutNullStreams;
  base: string;
  stderr: () => string;
}

/** Starts `tstack-host placement serve` from source and waits for its address. */
function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'placement', 'serve', '--port', '0', ...args], {
    cwd: process.cwd(),
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /placement API on (http:\/\/[^\s]+)/.exec(out);
      if (m !== null) resolve({ child, base: m[1] as string, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${err}`)));
  });
}

function stop(s: Served): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

const admin = { 'x-auth-token': 'admin', 'openstack-api-version': 'placement latest', 'content-type': 'application/json' };

describe('tstack-host placement serve', () => {
  it('serves, keeps its state in the journal across a restart, and stops cleanly on SIGTERM', async () => {
    const journal = join(dir, 'placement.journal');
    const first = await serve(['--journal', journal]);
    const created = await fetch(`${first.base}/resource_providers`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'node-1' }) });
    expect(created.status).toBe(200);
    const { uuid } = (await created.json()) as { uuid: string };
    expect(await stop(first)).toBe(0);
    // The access log is structured JSON on stderr, one line per request.
    const lines = first.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['msg'] === 'placement request' && l['status'] === 200 && l['method'] === 'POST')).toBe(true);

    const second = await serve(['--journal', journal]);
    const shown = await fetch(`${second.base}/resource_providers/${uuid}`, { headers: admin });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ uuid, name: 'node-1' });
    expect(await stop(second)).toBe(0);
  });

  it('with --tokens checks tokens, gives roles, and never logs a token', async () => {
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([{ token: 's3cret-admin-token', roles: ['admin'] }, { token: 'reader-token', roles: ['reader'], projectId: 'p1' }]));
    const s = await serve(['--tokens', tokens]);
    const ok = await fetch(`${s.base}/resource_providers`, { headers: { 'x-auth-token': 's3cret-admin-token' } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${s.base}/resource_providers`, { headers: { 'x-auth-token': 'wrong' } });
    expect(bad.status).toBe(401);
    const reader = await fetch(`${s.base}/resource_providers`, { headers: { 'x-auth-token': 'reader-token' } });
    expect(reader.status).toBe(403);
    expect(await stop(s)).toBe(0);
    expect(s.stderr()).not.toContain('s3cret');
  });

  it('refuses bad options with exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'placement', 'serve', '--port', 'x']);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
  });
});
