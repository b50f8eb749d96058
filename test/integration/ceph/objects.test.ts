import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CephClosedError, CephError, Cluster, type IoCtx, type NotifyEvent } from '../../../bindings/ceph/index.js';
import { addon } from '../../../bindings/ceph/native.js';
import { cephAvailable, startCeph, type TestCeph } from '../../support/ceph.js';
import { itWithService } from '../../support/services.js';

const available = cephAvailable();
const it = itWithService(available, 'Ceph (ceph-mon/ceph-osd and the native/ceph addon)');

/** Resolves when `emitter` emits `event` (with a generous limit so a lost event fails, not hangs). */
function once<T>(register: (cb: (v: T) => void) => void, ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('event did not arrive')), ms);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

describe('ceph objects through librados aio (real cluster)', () => {
  let ceph: TestCeph;
  let a: Cluster;
  let b: Cluster;
  let io: IoCtx;
  let iob: IoCtx;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    a = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    b = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    await a.createPool('objects');
    io = await a.openIoctx('objects');
    iob = await b.openIoctx('objects');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await ceph?.stop();
  });

  it('writes, appends, reads, stats, truncates and removes an object', async () => {
    await io.write('obj1', 'hello', 0);
    await io.write('obj1', 'HELLO', 10);
    await io.append('obj1', '!');
    const all = await io.readAll('obj1');
    expect(all).toEqual(Buffer.concat([Buffer.from('hello'), Buffer.alloc(5), Buffer.from('HELLO!')]));
    expect((await io.stat('obj1')).size).toBe(16);
    expect((await io.read('obj1', 100, 12)).toString()).toBe('LLO!');
    await io.truncate('obj1', 3);
    expect((await io.readAll('obj1')).toString()).toBe('hel');
    await io.writeFull('obj1', 'new');
    expect((await io.readAll('obj1')).toString()).toBe('new');
    const into = Buffer.alloc(8);
    expect(await io.readInto('obj1', into, 1)).toBe(2);
    expect(into.subarray(0, 2).toString()).toBe('ew');
    await io.remove('obj1');
    await expect(io.stat('obj1')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND', errnoName: 'ENOENT', op: 'stat', detail: 'obj1' });
    await expect(io.truncate('obj1', 0)).rejects.toMatchObject({ errnoName: 'ENOENT', op: 'truncate' });
    await io.create('obj2', { exclusive: true });
    await expect(io.create('obj2', { exclusive: true })).rejects.toMatchObject({ code: 'ERR_CEPH_EXISTS' });
    await expect(io.write('', 'x')).rejects.toMatchObject({ code: 'ERR_CEPH_INVALID_ARGUMENT' });
    await expect(io.read('obj2', -1)).rejects.toMatchObject({ code: 'ERR_CEPH_INVALID_ARGUMENT' });
  });

  it('reads back with the rados CLI what the binding wrote, and the reverse', async () => {
    const data = randomBytes(300_000);
    await io.writeFull('interop1', data);
    expect((await ceph.cli('rados', ['-p', 'objects', 'get', 'interop1', '-'])).equals(data)).toBe(true);
    const other = randomBytes(70_000);
    await ceph.cli('rados', ['-p', 'objects', 'put', 'interop2', '-'], other);
    expect((await io.readAll('interop2')).equals(other)).toBe(true);
    await io.setXattr('interop2', 'color', 'blue');
    expect((await ceph.cli('rados', ['-p', 'objects', 'getxattr', 'interop2', 'color'])).toString()).toBe('blue');
    await ceph.cli('rados', ['-p', 'objects', 'setxattr', 'interop2', 'shape', 'round']);
    expect((await io.getXattr('interop2', 'shape')).toString()).toBe('round');
    await io.omapSet('interop2', { k1: 'v1' });
    expect((await ceph.cli('rados', ['-p', 'objects', 'getomapval', 'interop2', 'k1', '-'])).toString()).toBe('v1');
    await ceph.cli('rados', ['-p', 'objects', 'setomapval', 'interop2', 'k2', 'v2']);
    expect((await io.omapGet('interop2', ['k2'])).get('k2')?.toString()).toBe('v2');
  });

  it('keeps namespaces apart and lists per namespace or across all', async () => {
    const ns1 = await io.withNamespace('tenant-a');
    const ns2 = await io.withNamespace('tenant-b');
    await ns1.writeFull('same', 'A');
    await ns2.writeFull('same', 'B');
    expect((await ns1.readAll('same')).toString()).toBe('A');
    expect((await ns2.readAll('same')).toString()).toBe('B');
    await expect(io.stat('same')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND' });
    expect((await ns1.list()).map((o) => o.oid)).toEqual(['same']);
    const all = await io.list({ allNamespaces: true });
    expect(all.filter((o) => o.oid === 'same').map((o) => o.namespace).sort()).toEqual(['tenant-a', 'tenant-b']);
    expect((await ceph.cli('rados', ['-p', 'objects', '-N', 'tenant-b', 'get', 'same', '-'])).toString()).toBe('B');
    await ns1.close();
    await ns2.close();
  });

  it('places objects by locator key', async () => {
    const loc = await a.openIoctx('objects', { locator: 'group-1' });
    await loc.writeFull('located', 'L');
    const listed = (await loc.list()).find((o) => o.oid === 'located');
    expect(listed?.locator).toBe('group-1');
    // Without the locator the object is not found under its name alone.
    await expect(io.stat('located')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND' });
    expect((await ceph.cli('rados', ['-p', 'objects', '--object-locator', 'group-1', 'get', 'located', '-'])).toString()).toBe('L');
    await loc.close();
  });

  it('sets, lists and removes xattrs', async () => {
    await io.writeFull('xa', 'x');
    await io.setXattr('xa', 'a', Buffer.from([0, 1, 2]));
    await io.setXattr('xa', 'b', 'text');
    const attrs = await io.getXattrs('xa');
    expect(attrs.get('a')).toEqual(Buffer.from([0, 1, 2]));
    expect(attrs.get('b')?.toString()).toBe('text');
    await io.removeXattr('xa', 'a');
    await expect(io.getXattr('xa', 'a')).rejects.toMatchObject({ errnoName: 'ENODATA', op: 'getXattr' });
    const big = randomBytes(100_000);
    await io.setXattr('xa', 'big', big);
    expect((await io.getXattr('xa', 'big')).equals(big)).toBe(true);
  });

  it('sets, gets by keys, iterates with prefix and start, removes and clears omap', async () => {
    const entries: Record<string, string> = {};
    for (let i = 0; i < 1200; i++) entries[`key-${String(i).padStart(4, '0')}`] = `v${i}`;
    entries['other'] = 'o';
    await io.omapSet('om', entries);
    const got = await io.omapGet('om', ['key-0001', 'key-1199', 'missing']);
    expect([...got.keys()]).toEqual(['key-0001', 'key-1199']);
    const pref = await io.omapList('om', { prefix: 'key-01', pageSize: 7 });
    expect(pref.size).toBe(100);
    expect([...pref.keys()][0]).toBe('key-0100');
    const after = await io.omapList('om', { startAfter: 'key-1195' });
    expect([...after.keys()]).toEqual(['key-1196', 'key-1197', 'key-1198', 'key-1199', 'other']);
    expect((await io.omapList('om')).size).toBe(1201);
    await io.omapRemove('om', ['other', 'key-0000']);
    expect((await io.omapGet('om', ['other', 'key-0000'])).size).toBe(0);
    await io.omapClear('om');
    expect((await io.omapList('om')).size).toBe(0);
    expect((await ceph.cli('rados', ['-p', 'objects', 'listomapkeys', 'om'])).toString()).toBe('');
  });

  it('compares and writes atomically', async () => {
    await io.writeFull('cas', 'version-1');
    expect(await io.compareAndWrite('cas', { compare: 'version-1', data: 'version-2' })).toEqual({ written: true });
    expect(await io.compareAndWrite('cas', { compare: 'version-1', data: 'version-3' })).toEqual({ written: false, mismatchOffset: 8 });
    expect((await io.readAll('cas')).toString()).toBe('version-2');
    expect(await io.compareAndWrite('cas', { compare: 'sion', compareOffset: 3, data: 'V', offset: 0 })).toEqual({ written: true });
    expect((await io.readAll('cas')).toString()).toBe('Version-2');
  });

  it('contends exclusive and shared locks between two clients, with cookies and durations', async () => {
    await io.writeFull('locked', 'x');
    await io.lockExclusive('locked', 'L', { cookie: 'c-a', description: 'first' });
    await expect(iob.lockExclusive('locked', 'L', { cookie: 'c-b' })).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY', errnoName: 'EBUSY' });
    await expect(io.lockExclusive('locked', 'L', { cookie: 'c-a' })).rejects.toMatchObject({ code: 'ERR_CEPH_EXISTS' });
    await io.lockExclusive('locked', 'L', { cookie: 'c-a', renew: true });
    const info = await iob.lockInfo('locked', 'L');
    expect(info.exclusive).toBe(true);
    expect(info.lockers).toEqual([expect.objectContaining({ client: `client.${a.instanceId()}`, cookie: 'c-a' })]);
    // The second client breaks the first one's lock, then takes it.
    await iob.breakLock('locked', 'L', info.lockers[0]?.client ?? '', 'c-a');
    await iob.lockExclusive('locked', 'L', { cookie: 'c-b' });
    await iob.unlock('locked', 'L', 'c-b');
    // Shared: both under one tag; an exclusive request then waits its turn (EBUSY).
    await io.lockShared('locked', 'S', { cookie: 'a', tag: 't' });
    await iob.lockShared('locked', 'S', { cookie: 'b', tag: 't' });
    expect((await io.lockInfo('locked', 'S')).lockers).toHaveLength(2);
    await expect(iob.lockShared('locked', 'S', { cookie: 'c', tag: 'other' })).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY' });
    await expect(iob.lockExclusive('locked', 'S', { cookie: 'c' })).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY' });
    await io.unlock('locked', 'S', 'a');
    await iob.unlock('locked', 'S', 'b');
    // A lock with a duration lapses: the other client gets it once it has expired.
    await io.lockExclusive('locked', 'D', { cookie: 'a', durationMs: 1000 });
    await expect(iob.lockExclusive('locked', 'D', { cookie: 'b' })).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY' });
    for (let i = 0; ; i++) {
      try {
        await iob.lockExclusive('locked', 'D', { cookie: 'b' });
        break;
      } catch (err) {
        if (!(err instanceof CephError) || err.code !== 'ERR_CEPH_BUSY' || i > 200) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect((await io.lockInfo('locked', 'D')).lockers[0]?.cookie).toBe('b');
    await expect(io.unlock('locked', 'D', 'nope')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND' });
  });

  it('delivers watch/notify between two connections, with replies and timeouts', async () => {
    await io.writeFull('bell', '');
    const watch = await iob.watch('bell');
    const event = once<NotifyEvent>((cb) =>
      watch.on('notify', (e) => {
        e.reply = Buffer.from(`ack:${e.data.toString()}`);
        cb(e);
      }),
    );
    const result = await io.notify('bell', 'ring', { timeoutMs: 10_000 });
    const seen = await event;
    expect(seen.data.toString()).toBe('ring');
    expect(seen.notifierId).toBe(a.instanceId());
    expect(result.timedOut).toBe(false);
    expect(result.acks).toHaveLength(1);
    expect(result.acks[0]?.reply.toString()).toBe('ack:ring');
    expect(result.acks[0]?.cookie).toBe(watch.cookie);
    expect(watch.check()).toBeGreaterThanOrEqual(0);

    // A watcher that never acks: the notify resolves with it listed under timeouts.
    const silent = await iob.watch('bell', { manualAck: true });
    silent.on('notify', () => undefined);
    const r2 = await io.notify('bell', 'again', { timeoutMs: 1500 });
    expect(r2.timedOut).toBe(true);
    expect(r2.timeouts.map((t) => t.cookie)).toEqual([silent.cookie]);
    expect(r2.acks.map((x) => x.cookie)).toEqual([watch.cookie]);
    await silent.close();
    await watch.close();
    await silent.close();
    expect(() => watch.check()).toThrow(CephClosedError);
    const r3 = await io.notify('bell', 'nobody', { timeoutMs: 1000 });
    expect(r3.acks).toHaveLength(0);
    await expect(io.watch('missing-object-xyz')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND' });
  });

  it('reports a broken watch as a disconnect event with a typed error (watcher blocklisted)', async () => {
    const c = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    try {
      const ioc = await c.openIoctx('objects');
      await io.writeFull('fragile', '');
      const watch = await ioc.watch('fragile', { timeoutMs: 2000 });
      const lost = once<CephError>((cb) => watch.on('disconnect', cb));
      const listed = (await ceph.cli('rados', ['-p', 'objects', 'listwatchers', 'fragile'])).toString();
      const addr = /watcher=(\S+)/.exec(listed)?.[1] ?? '';
      expect(addr).not.toBe('');
      await ceph.cli('ceph', ['osd', 'blocklist', 'add', addr]);
      const err = await lost;
      expect(err).toBeInstanceOf(CephError);
      expect(err).toMatchObject({ code: 'ERR_CEPH_NOT_CONNECTED', errnoName: 'ENOTCONN', op: 'watch', detail: 'fragile' });
      expect(() => watch.check()).toThrow(CephError);
      await watch.close();
    } finally {
      await c.close();
    }
  });

  it('keeps many operations in flight and completes all of them', async () => {
    const n = 256;
    const bufs = Array.from({ length: n }, (_, i) => Buffer.alloc(4096, i & 0xff));
    await Promise.all(bufs.map((b, i) => io.writeFull(`many-${i}`, b)));
    const back = await Promise.all(bufs.map((_, i) => io.read(`many-${i}`, 4096)));
    expect(back.every((b, i) => b.equals(bufs[i] as Buffer))).toBe(true);
    const names = (await io.list()).map((o) => o.oid).filter((o) => o.startsWith('many-'));
    expect(names).toHaveLength(n);
    await Promise.all(bufs.map((_, i) => io.remove(`many-${i}`)));
  });

  it('waits for in-flight operations on close and refuses new ones', async () => {
    const c = await a.openIoctx('objects');
    const writes = Array.from({ length: 32 }, (_, i) => c.writeFull(`closing-${i}`, 'z'));
    const closing = c.close();
    await expect(c.stat('closing-0')).rejects.toBeInstanceOf(CephClosedError);
    await Promise.all(writes);
    await closing;
    expect((await io.readAll('closing-31')).toString()).toBe('z');
  });

  it('keeps call order between zero-copy writes and the copied writes and reads issued right after them', async () => {
    // 4 MiB and 1 MiB go to librados without a copy (through its C++ API), the small write through
    // the C API; the read issued right after them without waiting must still see them in call order.
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const pending = [io.writeFull('large-1', big), io.write('large-1', 'bb', 1), io.append('large-1', Buffer.alloc(1024 * 1024, 0x63))];
    const read = io.read('large-1', 8, 0);
    const tail = io.read('large-1', 4, 5 * 1024 * 1024 - 2);
    const stat = io.stat('large-1');
    await Promise.all(pending);
    expect((await read).toString()).toBe('abbaaaaa');
    expect((await tail).toString()).toBe('cc');
    expect((await stat).size).toBe(5 * 1024 * 1024);
    expect((await ceph.cli('rados', ['-p', 'objects', 'get', 'large-1', '-'])).subarray(0, 4).toString()).toBe('abba');
    await io.remove('large-1');
  });

  it('rejects a large write the OSD refuses with a typed error, and later operations still run', async () => {
    // Beyond osd_max_object_size (128 MiB): the OSD answers EFBIG.
    const refused = io.write('large-2', Buffer.alloc(1024 * 1024, 1), 200 * 1024 * 1024);
    const after = io.writeFull('large-2', 'ok');
    await expect(refused).rejects.toMatchObject({ errnoName: 'EFBIG', op: 'write', detail: 'large-2' });
    await after;
    expect((await io.readAll('large-2')).toString()).toBe('ok');
    await io.remove('large-2');
  });

  it('takes more operations at once than the Objecter lets in flight (objecter_inflight_ops 1024)', async () => {
    // Past the limit, submissions go to the submission thread (which waits there, in order)
    // instead of waiting on the JS thread; all complete and land.
    const n = 1500;
    const writes = Array.from({ length: n }, (_, i) => io.writeFull(`throttled-${i % 300}`, `v${i}`));
    const reads = Array.from({ length: 300 }, (_, i) => io.read(`throttled-${i}`, 16));
    await Promise.all(writes);
    const got = await Promise.all(reads);
    expect(got.map((b) => b.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `v${i + 1200}`));
    await Promise.all(Array.from({ length: 300 }, (_, i) => io.remove(`throttled-${i}`)));
  });

  describe('zero-copy writes (64 KiB and more)', () => {
    const zeroCopied = (): number => addon().writeStats().zeroCopyWrites;

    /** Polls until librados has let go of every Buffer (it does so shortly after completion). */
    async function allReleased(): Promise<void> {
      for (let i = 0; i < 600 && addon().writeStats().held > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(addon().writeStats().held).toBe(0);
    }

    it('sends the Buffer in place, and changing it after the write settled changes nothing', async () => {
      const before = zeroCopied();
      const at = randomBytes(256 * 1024);
      const full = randomBytes(1024 * 1024);
      const tail = randomBytes(64 * 1024);
      const small = randomBytes(64 * 1024 - 1);
      // A Uint8Array viewing the middle of a larger ArrayBuffer: the view's bytes, not its buffer's.
      const backing = new Uint8Array(300 * 1024);
      backing.set(randomBytes(backing.length));
      const view = backing.subarray(1000, 1000 + 200 * 1024);
      const expectedView = Buffer.from(view);
      const keep = [Buffer.from(at), Buffer.from(full), Buffer.from(tail), Buffer.from(small)] as const;

      await io.writeFull('zc-1', full);
      await io.write('zc-1', at, 4096);
      await io.append('zc-1', tail);
      await io.write('zc-2', small, 0);
      await io.writeFull('zc-3', view);
      expect(zeroCopied() - before).toBe(4); // `small` is one byte short of the threshold: copied
      for (const b of [at, full, tail, small]) b.fill(0xee);
      backing.fill(0xee);

      const want = Buffer.from(keep[1]);
      keep[0].copy(want, 4096);
      const got = await io.readAll('zc-1');
      expect(got.equals(Buffer.concat([want, keep[2]]))).toBe(true);
      expect((await io.readAll('zc-2')).equals(keep[3])).toBe(true);
      expect((await io.readAll('zc-3')).equals(expectedView)).toBe(true);
      expect((await ceph.cli('rados', ['-p', 'objects', 'get', 'zc-3', '-'])).equals(expectedView)).toBe(true);
      await allReleased();
      await Promise.all(['zc-1', 'zc-2', 'zc-3'].map((o) => io.remove(o)));
    });

    it('keeps the Buffer referenced past the completion while something else still holds its bytes', async () => {
      // The addon's test hook takes an extra reference to the next writes' data, as librados would if
      // it let go only after the completion: the promises settle, the Buffers stay held until the
      // reference is dropped, and are then released (by the next completion or the sweep timer).
      const s0 = addon().writeStats();
      addon().debugHoldWrites(2);
      const x = randomBytes(128 * 1024);
      const y = randomBytes(1024 * 1024);
      const keep = [Buffer.from(x), Buffer.from(y)] as const;
      await Promise.all([io.write('zc-held', x, 0), io.writeFull('zc-held-2', y)]);
      const s1 = addon().writeStats();
      expect(s1.heldAtSettle - s0.heldAtSettle).toBe(2);
      expect(s1.held).toBe(2);
      x.fill(1);
      y.fill(2);
      expect((await io.read('zc-held', x.length)).equals(keep[0])).toBe(true);
      expect((await io.readAll('zc-held-2')).equals(keep[1])).toBe(true);
      expect(addon().writeStats().held).toBe(2); // completions since then swept, and kept them
      addon().debugReleaseHeld();
      await allReleased();
      await Promise.all([io.remove('zc-held'), io.remove('zc-held-2')]);
    });

    it('applies the context namespace and locator to zero-copy writes', async () => {
      const ns = await io.withNamespace('zc-ns', { locator: 'zc-loc' });
      const data = randomBytes(128 * 1024);
      const before = zeroCopied();
      await ns.writeFull('zc-ns-obj', data);
      expect(zeroCopied() - before).toBe(1);
      expect((await ns.readAll('zc-ns-obj')).equals(data)).toBe(true);
      await expect(io.stat('zc-ns-obj')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND' });
      const listed = (await io.list({ allNamespaces: true })).filter((o) => o.oid === 'zc-ns-obj');
      expect(listed).toEqual([{ oid: 'zc-ns-obj', namespace: 'zc-ns', locator: 'zc-loc' }]);
      await ns.remove('zc-ns-obj');
      await ns.close();
    });

    it('keeps many zero-copy writes in flight, past the Objecter throttle, each with its own bytes', async () => {
      // 32 × 4 MiB is past objecter_inflight_op_bytes (100 MiB): the later ones wait on the
      // submission thread, still without a copy; 128 KiB writes interleave at other offsets.
      const big = Array.from({ length: 32 }, (_, i) => Buffer.alloc(4 * 1024 * 1024, i + 1));
      const mid = Array.from({ length: 64 }, (_, i) => Buffer.alloc(128 * 1024, 0x80 + i));
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 64; i++) {
        if (i < big.length) writes.push(io.writeFull(`zc-many-${i % 8}`, big[i] as Buffer));
        writes.push(io.write(`zc-mid-${i % 4}`, mid[i] as Buffer, (i >> 2) * 128 * 1024));
      }
      await Promise.all(writes);
      for (const b of [...big, ...mid]) b.fill(0);
      // The last writeFull of object k was big[24 + k] (filled with 25 + k); slot j of zc-mid-k was written by mid[4j + k].
      const heads = await Promise.all(Array.from({ length: 8 }, (_, k) => io.read(`zc-many-${k}`, 4 * 1024 * 1024)));
      heads.forEach((h, k) => expect(h.equals(Buffer.alloc(4 * 1024 * 1024, 25 + k))).toBe(true));
      for (let k = 0; k < 4; k++) {
        const got = await io.readAll(`zc-mid-${k}`);
        const want = Buffer.concat(Array.from({ length: 16 }, (_, j) => Buffer.alloc(128 * 1024, 0x80 + 4 * j + k)));
        expect(got.equals(want)).toBe(true);
      }
      await allReleased();
      await Promise.all([...Array.from({ length: 8 }, (_, k) => io.remove(`zc-many-${k}`)), ...Array.from({ length: 4 }, (_, k) => io.remove(`zc-mid-${k}`))]);
    });

    it('waits for zero-copy writes on close, and the data lands', async () => {
      const c = await a.openIoctx('objects');
      const data = Array.from({ length: 16 }, (_, i) => Buffer.alloc(512 * 1024, 0x30 + i));
      const writes = data.map((d, i) => c.writeFull(`zc-closing-${i}`, d));
      const closing = c.close();
      await expect(c.writeFull('zc-closing-0', data[0] as Buffer)).rejects.toBeInstanceOf(CephClosedError);
      await Promise.all(writes);
      await closing;
      const back = await Promise.all(data.map((_, i) => io.readAll(`zc-closing-${i}`)));
      back.forEach((b, i) => expect(b.equals(Buffer.alloc(512 * 1024, 0x30 + i))).toBe(true));
      await allReleased();
      await Promise.all(data.map((_, i) => io.remove(`zc-closing-${i}`)));
    });
  });

  it('waits for queued large writes on close and refuses new ones', async () => {
    const c = await a.openIoctx('objects');
    const data = Buffer.alloc(1024 * 1024, 0x7a);
    const writes = Array.from({ length: 8 }, (_, i) => c.writeFull(`closing-large-${i}`, data));
    const closing = c.close();
    await expect(c.write('closing-large-0', data)).rejects.toBeInstanceOf(CephClosedError);
    await Promise.all(writes);
    await closing;
    expect((await io.readAll('closing-large-7')).equals(data)).toBe(true);
    await Promise.all(writes.map((_, i) => io.remove(`closing-large-${i}`)));
  });
});
