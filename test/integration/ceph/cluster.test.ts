import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CephClosedError, CephError, Cluster } from '../../../bindings/ceph/index.js';
import { cephAvailable, startCeph, type TestCeph } from '../../support/ceph.js';
import { servicePort } from '../../support/ports.js';
import { itWithService } from '../../support/services.js';

const available = cephAvailable();
const it = itWithService(available, 'Ceph (ceph-mon/ceph-osd and the native/ceph addon)');

describe('ceph cluster (real mon + memstore OSD)', () => {
  let ceph: TestCeph;
  let cluster: Cluster;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    cluster = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring, clientId: 'admin', timeouts: { connectMs: 20_000 } });
  });

  afterAll(async () => {
    await cluster?.close();
    await ceph?.stop();
  });

  it('connects and reports the fsid the script created, its pools and stats', async () => {
    expect(cluster.fsid()).toBe(ceph.fsid);
    expect(typeof cluster.instanceId()).toBe('bigint');
    expect(await cluster.listPools()).toContain('rbd');
    const stats = await cluster.stats();
    expect(stats.kb).toBeGreaterThanOrEqual(0);
    expect(cluster.config('osd_pool_default_size')).toBe('1');
    expect(() => cluster.config('key')).toThrow();
  });

  it('applies option overrides and timeouts', async () => {
    const c = await Cluster.connect({
      conf: ceph.conf,
      keyring: ceph.keyring,
      options: { rados_osd_op_timeout: 7 },
      timeouts: { monOpMs: 9_000 },
    });
    try {
      expect(Number(c.config('rados_osd_op_timeout'))).toBe(7);
      expect(Number(c.config('rados_mon_op_timeout'))).toBe(9);
    } finally {
      await c.close();
    }
  });

  it('creates, looks up, lists, stats and deletes a pool', async () => {
    await cluster.createPool('itpool');
    expect(await cluster.listPools()).toContain('itpool');
    expect(await cluster.poolId('itpool')).toBeGreaterThan(0);
    await expect(cluster.createPool('itpool')).rejects.toMatchObject({ code: 'ERR_CEPH_EXISTS', errnoName: 'EEXIST', op: 'poolCreate' });
    const io = await cluster.openIoctx('itpool');
    await io.writeFull('o', 'abc');
    const st = await io.poolStats();
    expect(st.numObjects).toBeGreaterThanOrEqual(0);
    await io.close();
    // The CLI sees the pool too.
    expect((await ceph.cli('ceph', ['osd', 'pool', 'ls'])).toString()).toContain('itpool');
    await cluster.deletePool('itpool');
    expect(await cluster.listPools()).not.toContain('itpool');
    await expect(cluster.poolId('itpool')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND', errnoName: 'ENOENT' });
    await expect(cluster.openIoctx('itpool')).rejects.toBeInstanceOf(CephError);
  });

  it('sends monitor commands and reports their failures with the status line', async () => {
    const status = await cluster.monCommandJson<{ fsid: string }>({ prefix: 'status' });
    expect(status.fsid).toBe(ceph.fsid);
    const r = await cluster.monCommand({ prefix: 'osd pool get', pool: 'rbd', var: 'size', format: 'json' });
    expect(JSON.parse(r.data.toString())).toMatchObject({ pool: 'rbd', size: 1 });
    const err = await cluster.monCommand({ prefix: 'osd pool get', pool: 'no-such-pool', var: 'size' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CephError);
    expect((err as CephError).op).toBe('monCommand');
    expect((err as CephError).errnoName).toBe('ENOENT');
  });

  it('fails with a timeout error, not a hang, when the monitor is unreachable', async () => {
    const dir = fs.mkdtempSync('/tmp/tc-dead-');
    const port = servicePort('ceph', 39);
    fs.writeFileSync(`${dir}/ceph.conf`, `[global]\nmon_host = [v2:127.0.0.1:${port},v1:127.0.0.1:${port}]\nms_bind_ipv6 = false\nlog_file = /dev/null\n`);
    try {
      const err = await Cluster.connect({ conf: `${dir}/ceph.conf`, keyring: ceph.keyring, timeouts: { connectMs: 2_000 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CephError);
      expect((err as CephError).code).toBe('ERR_CEPH_TIMEOUT');
      expect((err as CephError).op).toBe('connect');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never puts the key into an error', async () => {
    const key = fs.readFileSync(ceph.keyring, 'utf8').match(/key = (\S+)/)?.[1] ?? '';
    expect(key.length).toBeGreaterThan(10);
    const err = await Cluster.connect({ conf: ceph.conf, options: { key, no_such_option_xyz: key } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CephError);
    expect((err as Error).message).not.toContain(key);
    expect((err as Error).message).toContain('no_such_option_xyz');
    // A wrong key is refused by the monitor: a permission error.
    const bad = await Cluster.connect({ conf: ceph.conf, options: { key: 'AQBWxcFlAAAAABAAbWlzbWF0Y2hlZGtleXRlc3Q9PQ==' }, timeouts: { connectMs: 10_000 } }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(CephError);
    expect((bad as Error).message).not.toContain('AQBWxcFl');
  });

  it('closes exactly once; use after close is a typed error; children close with the cluster', async () => {
    const c = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    const io = await c.openIoctx('rbd');
    await io.writeFull('close-test', 'x');
    const pending = io.read('close-test', 1);
    await c.close();
    expect((await pending).toString()).toBe('x');
    await c.close();
    expect(c.closed).toBe(true);
    expect(io.closed).toBe(true);
    await expect(io.read('close-test', 1)).rejects.toBeInstanceOf(CephClosedError);
    await expect(io.read('close-test', 1)).rejects.toMatchObject({ code: 'ERR_CEPH_CLOSED' });
    await expect(c.listPools()).rejects.toMatchObject({ code: 'ERR_CEPH_CLOSED' });
    expect(() => c.fsid()).toThrow(CephClosedError);
    await expect(c.openIoctx('rbd')).rejects.toMatchObject({ code: 'ERR_CEPH_CLOSED' });
  });

  it('supports await using', async () => {
    let seen: Cluster | undefined;
    {
      await using c = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
      seen = c;
      expect(c.closed).toBe(false);
    }
    expect(seen.closed).toBe(true);
  });

  it('runs a second cluster beside the first, each with its own data; its loss is a timeout, not a hang', async () => {
    const second = await startCeph(1);
    try {
      expect(second.fsid).not.toBe(ceph.fsid);
      const c2 = await Cluster.connect({ conf: second.conf, keyring: second.keyring, timeouts: { monOpMs: 2_000, osdOpMs: 2_000 } });
      try {
        expect(c2.fsid()).toBe(second.fsid);
        const io1 = await cluster.openIoctx('rbd');
        const io2 = await c2.openIoctx('rbd');
        await io1.writeFull('which', 'first');
        await io2.writeFull('which', 'second');
        expect((await io1.readAll('which')).toString()).toBe('first');
        expect((await io2.readAll('which')).toString()).toBe('second');
        await io1.close();
        // The second cluster's monitor and OSD go away under a connected client.
        await second.stop();
        await expect(io2.stat('which')).rejects.toMatchObject({ code: 'ERR_CEPH_TIMEOUT', errnoName: 'ETIMEDOUT', op: 'stat' });
        await expect(c2.monCommand({ prefix: 'status' })).rejects.toMatchObject({ code: 'ERR_CEPH_TIMEOUT', op: 'monCommand' });
        // The first cluster is untouched.
        expect(await cluster.listPools()).toContain('rbd');
      } finally {
        await c2.close();
      }
    } finally {
      await second.stop();
    }
  });
});
