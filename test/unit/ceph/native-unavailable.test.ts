import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('ceph addon missing', () => {
  it('importing works; the first call throws ERR_CEPH_NATIVE_UNAVAILABLE naming the Debian packages', async () => {
    // A child process whose addon directory holds no build: the state of a machine without librados-dev.
    const script = `
      import { Cluster, nativeAvailable, featureBits } from './bindings/ceph/index.ts';
      const out = { imported: true, pure: String(featureBits(['layering'])), available: nativeAvailable() };
      try { await Cluster.connect({ conf: '/nonexistent.conf' }); out.connected = true; }
      catch (e) { out.code = e.code; out.message = e.message; }
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, TSTACK_CEPH_NATIVE_DIR: path.join(root, 'test', 'no-such-addon-dir') },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(out).toMatchObject({ imported: true, pure: '1', available: false, code: 'ERR_CEPH_NATIVE_UNAVAILABLE' });
    expect(String(out['message'])).toContain('librados-dev libradospp-dev librbd-dev');
  });
});
