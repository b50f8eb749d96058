import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CephClosedError, Cluster, Rbd, RBD_FEATURES, type IoCtx } from '../../../bindings/ceph/index.js';
import { cephAvailable, startCeph, type TestCeph } from '../../support/ceph.js';
import { itWithService } from '../../support/services.js';

const available = cephAvailable();
const it = itWithService(available, 'Ceph (ceph-mon/ceph-osd and the native/ceph addon)');

const MiB = 1024 * 1024;

describe('ceph RBD through librbd (real cluster)', () => {
  let ceph: TestCeph;
  let cluster: Cluster;
  let other: Cluster;
  let io: IoCtx;
  let rbd: Rbd;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    cluster = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    other = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    io = await cluster.openIoctx('rbd');
    rbd = new Rbd(io);
  });

  afterAll(async () => {
    await cluster?.close();
    await other?.close();
    await ceph?.stop();
  });

  it('creates with features, order and striping; lists; reports info the rbd CLI agrees with', async () => {
    await rbd.create('disk1', 16 * MiB, {
      features: ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'],
      order: 22,
    });
    await rbd.create('striped', 8 * MiB, { features: ['layering', 'striping'], order: 22, stripeUnit: 65536, stripeCount: 4 });
    expect((await rbd.list()).map((i) => i.name).sort()).toEqual(['disk1', 'striped']);
    const img = await rbd.open('disk1');
    expect(await img.features()).toEqual(['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten']);
    expect(await img.featureBits()).toBe(RBD_FEATURES.layering | RBD_FEATURES['exclusive-lock'] | RBD_FEATURES['object-map'] | RBD_FEATURES['fast-diff'] | RBD_FEATURES['deep-flatten']);
    const info = await img.info();
    expect(info).toMatchObject({ size: 16 * MiB, order: 22, objectSize: 4 * MiB, numObjects: 4 });
    const cli = JSON.parse((await ceph.cli('rbd', ['info', 'rbd/disk1', '--format', 'json'])).toString()) as { size: number; order: number; id: string };
    expect(cli.size).toBe(16 * MiB);
    expect(cli.id).toBe(await img.id());
    const striped = JSON.parse((await ceph.cli('rbd', ['info', 'rbd/striped', '--format', 'json'])).toString()) as { stripe_unit: number; stripe_count: number };
    expect(striped).toMatchObject({ stripe_unit: 65536, stripe_count: 4 });
    await img.close();
    await expect(rbd.create('disk1', MiB)).rejects.toMatchObject({ code: 'ERR_CEPH_EXISTS', op: 'rbdCreate' });
    await expect(rbd.open('nope')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND', op: 'rbdOpen', detail: 'nope' });
  });

  it('writes via the binding and exports with the CLI; imports with the CLI and reads via the binding', async () => {
    const img = await rbd.open('disk1');
    const data = randomBytes(MiB);
    await Promise.all([img.write(data, 0), img.write(data, 5 * MiB)]);
    await img.flush();
    await img.close();
    const exported = await ceph.cli('rbd', ['export', 'rbd/disk1', '-']);
    expect(exported.length).toBe(16 * MiB);
    expect(exported.subarray(0, MiB).equals(data)).toBe(true);
    expect(exported.subarray(5 * MiB, 6 * MiB).equals(data)).toBe(true);
    expect(exported.subarray(MiB, 5 * MiB).every((b) => b === 0)).toBe(true);

    const incoming = randomBytes(2 * MiB);
    await ceph.cli('rbd', ['import', '-', 'rbd/imported'], incoming);
    const imp = await rbd.open('imported', { readOnly: true });
    expect(imp.readOnly).toBe(true);
    expect(await imp.size()).toBe(2 * MiB);
    expect((await imp.read(0, 2 * MiB)).equals(incoming)).toBe(true);
    await expect(imp.write('x', 0)).rejects.toMatchObject({ errnoName: 'EROFS', op: 'imageWrite' });
    await imp.close();
  });

  it('discards, and many aio writes and reads in flight land byte for byte', async () => {
    const img = await rbd.open('disk1');
    await img.discard(0, MiB);
    expect((await img.read(0, 4096)).every((b) => b === 0)).toBe(true);
    const blocks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096, i + 1));
    await Promise.all(blocks.map((b, i) => img.write(b, 8 * MiB + i * 4096)));
    const back = await Promise.all(blocks.map((_, i) => img.read(8 * MiB + i * 4096, 4096)));
    back.forEach((b, i) => expect(b).toEqual(blocks[i]));
    await img.close();
  });

  it('grows online: a reader with the image open sees the new size and can read there', async () => {
    // A running guest has its disk open read-write (a read-only open does not watch the header).
    const reader = await new Rbd(await other.openIoctx('rbd')).open('disk1');
    const writer = await rbd.open('disk1');
    expect(await reader.size()).toBe(16 * MiB);
    await writer.resize(32 * MiB);
    await writer.write(Buffer.from('after-grow'), 30 * MiB);
    await writer.flush();
    // The reader learns of the resize through the header watch: ask until it does.
    let size = await reader.size();
    for (let i = 0; size !== 32 * MiB && i < 300; i++) {
      await new Promise((r) => setTimeout(r, 50));
      size = await reader.size();
    }
    expect(size).toBe(32 * MiB);
    expect((await reader.read(30 * MiB, 10)).toString()).toBe('after-grow');
    await expect(writer.resize(8 * MiB)).rejects.toMatchObject({ errnoName: 'EINVAL', op: 'imageResize' });
    await writer.close();
    await reader.close();
  });

  it('snapshots: create, list, read at, rollback, protect, unprotect, remove', async () => {
    const img = await rbd.open('disk1');
    await img.write(Buffer.from('v1'), 0);
    await img.createSnapshot('s1');
    await img.write(Buffer.from('v2'), 0);
    const snaps = await img.listSnapshots();
    expect(snaps.map((s) => s.name)).toEqual(['s1']);
    expect(snaps[0]).toMatchObject({ protected: false, size: 32 * MiB });
    const at = await rbd.open('disk1', { snapshot: 's1', readOnly: true });
    expect((await at.read(0, 2)).toString()).toBe('v1');
    await at.close();
    await img.rollbackSnapshot('s1');
    expect((await img.read(0, 2)).toString()).toBe('v1');
    await img.protectSnapshot('s1');
    expect(await img.isSnapshotProtected('s1')).toBe(true);
    await expect(img.removeSnapshot('s1')).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY', op: 'snapRemove' });
    await img.unprotectSnapshot('s1');
    expect(await img.isSnapshotProtected('s1')).toBe(false);
    await img.removeSnapshot('s1');
    expect(await img.listSnapshots()).toEqual([]);
    expect((await ceph.cli('rbd', ['snap', 'ls', 'rbd/disk1'])).toString()).toBe('');
    await img.close();
  });

  it('clones a protected snapshot copy-on-write; children/parent; flatten', async () => {
    await rbd.create('golden', 8 * MiB, { features: ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'] });
    const golden = await rbd.open('golden');
    const base = randomBytes(64 * 1024);
    await golden.write(base, 0);
    await golden.createSnapshot('base');
    await expect(rbd.clone('golden', 'base', 'vm1', { features: ['layering'] })).rejects.toMatchObject({ op: 'rbdClone' });
    await golden.protectSnapshot('base');
    await rbd.clone('golden', 'base', 'vm1', { features: ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'] });
    await rbd.clone('golden', 'base', 'vm2');
    const vm1 = await rbd.open('vm1');
    expect((await vm1.read(0, base.length)).equals(base)).toBe(true);
    // Copy-on-write: the clone's write is its own; the parent and the sibling are untouched.
    await vm1.write(Buffer.from('mine'), 0);
    expect((await vm1.read(0, 4)).toString()).toBe('mine');
    expect((await golden.read(0, 4))).toEqual(base.subarray(0, 4));
    const vm2 = await rbd.open('vm2');
    expect(await vm2.read(0, 4)).toEqual(base.subarray(0, 4));
    // The clone's own objects: only the one it wrote.
    const diff = await vm1.diff({ includeParent: false });
    expect(diff.length).toBeGreaterThan(0);
    expect(diff.every((d) => d.offset < 4 * MiB)).toBe(true);
    const parent = await vm1.parent();
    expect(parent).toMatchObject({ pool: 'rbd', name: 'golden', snapshot: 'base' });
    const atBase = await rbd.open('golden', { snapshot: 'base', readOnly: true });
    expect((await atBase.children()).map((c) => c.name).sort()).toEqual(['vm1', 'vm2']);
    await expect(golden.unprotectSnapshot('base')).rejects.toMatchObject({ code: 'ERR_CEPH_BUSY' });
    await vm1.flatten();
    expect(await vm1.parent()).toBeNull();
    expect((await vm1.read(0, 4)).toString()).toBe('mine');
    expect((await vm1.read(4, base.length - 4)).equals(base.subarray(4))).toBe(true);
    expect((await atBase.children()).map((c) => c.name)).toEqual(['vm2']);
    await atBase.close();
    await Promise.all([vm1.close(), vm2.close(), golden.close()]);
  });

  it('copies, renames, removes; trash move, list, restore and remove', async () => {
    const src = await rbd.open('golden');
    await src.copy(io, 'golden-copy', { features: ['layering'] });
    await src.close();
    const copy = await rbd.open('golden-copy');
    expect(await copy.size()).toBe(8 * MiB);
    expect(await copy.features()).toEqual(['layering']);
    await copy.close();
    await rbd.rename('golden-copy', 'renamed');
    expect((await rbd.list()).map((i) => i.name)).toContain('renamed');
    await rbd.trashMove('renamed');
    expect((await rbd.list()).map((i) => i.name)).not.toContain('renamed');
    const trash = await rbd.trashList();
    const entry = trash.find((t) => t.name === 'renamed');
    expect(entry).toBeDefined();
    expect(JSON.parse((await ceph.cli('rbd', ['trash', 'ls', '--format', 'json'])).toString())).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'renamed' })]),
    );
    await rbd.trashRestore(entry?.id ?? '', 'restored');
    expect((await rbd.list()).map((i) => i.name)).toContain('restored');
    await rbd.trashMove('restored');
    await rbd.trashRemove((await rbd.trashList()).find((t) => t.name === 'restored')?.id ?? '');
    expect(await rbd.trashList()).toEqual([]);
    await rbd.remove('imported');
    await expect(rbd.remove('imported')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND', op: 'rbdRemove' });
    await expect(rbd.remove('golden')).rejects.toMatchObject({ op: 'rbdRemove' });
  });

  it('iterates diffs between snapshots', async () => {
    // Without fast-diff the extents are exact (fast-diff reports whole objects).
    await rbd.create('difftest', 16 * MiB, { features: ['layering', 'exclusive-lock'] });
    const img = await rbd.open('difftest');
    await img.write(Buffer.alloc(4096, 1), 0);
    await img.createSnapshot('d1');
    await img.write(Buffer.alloc(4096, 2), 9 * MiB);
    await img.discard(0, 4 * MiB);
    await img.createSnapshot('d2');
    const full = await img.diff();
    // From the beginning librbd reports each existing object's extent: one, holding 9 MiB.
    expect(full).toHaveLength(1);
    expect(full[0]?.exists).toBe(true);
    expect(full[0]?.offset).toBeLessThanOrEqual(9 * MiB);
    expect((full[0]?.offset ?? 0) + (full[0]?.length ?? 0)).toBeGreaterThanOrEqual(9 * MiB + 4096);
    const since = await img.diff({ fromSnapshot: 'd1' });
    const covers = (at: number, len: number) => since.some((d) => d.exists && d.offset <= at && d.offset + d.length >= at + len);
    expect(covers(9 * MiB, 4096)).toBe(true);
    expect(since.some((d) => !d.exists && d.offset === 0)).toBe(true);
    // The rbd CLI computes the same extents.
    const cli = JSON.parse((await ceph.cli('rbd', ['diff', '--from-snap', 'd1', 'rbd/difftest', '--format', 'json'])).toString()) as {
      offset: number;
      length: number;
      exists: string;
    }[];
    const norm = (xs: { offset: number; length: number; exists: boolean }[]) => [...xs].sort((x, y) => x.offset - y.offset);
    expect(norm(since)).toEqual(norm(cli.map((d) => ({ offset: d.offset, length: d.length, exists: d.exists === 'true' }))));
    const whole = await img.diff({ fromSnapshot: 'd1', wholeObject: true });
    expect(whole.length).toBeGreaterThan(0);
    expect(whole.every((d) => d.offset % (4 * MiB) === 0)).toBe(true);
    await img.close();
  });

  it('lists watchers and keeps image metadata that the CLI shares', async () => {
    const img = await rbd.open('difftest');
    const img2 = await new Rbd(await other.openIoctx('rbd')).open('difftest');
    const watchers = await img.watchers();
    expect(watchers.length).toBe(2);
    expect(watchers.map((w) => w.id).sort()).toEqual([Number(cluster.instanceId()), Number(other.instanceId())].sort());
    await img.setMetadata('owner', 'vm-42');
    await img.setMetadata('conf_rbd_cache', 'false');
    expect(await img.getMetadata('owner')).toBe('vm-42');
    expect((await ceph.cli('rbd', ['image-meta', 'get', 'rbd/difftest', 'owner'])).toString().trim()).toBe('vm-42');
    await ceph.cli('rbd', ['image-meta', 'set', 'rbd/difftest', 'from-cli', 'yes']);
    expect(await img.listMetadata()).toEqual(new Map([['conf_rbd_cache', 'false'], ['from-cli', 'yes'], ['owner', 'vm-42']]));
    await img.removeMetadata('owner');
    await expect(img.getMetadata('owner')).rejects.toMatchObject({ code: 'ERR_CEPH_NOT_FOUND', op: 'metadataGet' });
    await img2.close();
    await img.close();
  });

  it('closes an image exactly once; use after close is a typed error; closing the ioctx closes its images', async () => {
    const img = await rbd.open('difftest');
    const reading = img.read(0, 4096);
    await img.close();
    expect((await reading).length).toBe(4096);
    await img.close();
    await expect(img.read(0, 1)).rejects.toBeInstanceOf(CephClosedError);
    await expect(img.size()).rejects.toMatchObject({ code: 'ERR_CEPH_CLOSED' });
    const io2 = await cluster.openIoctx('rbd');
    const img2 = await new Rbd(io2).open('difftest');
    await io2.close();
    expect(img2.closed).toBe(true);
    await expect(img2.write('x', 0)).rejects.toMatchObject({ code: 'ERR_CEPH_CLOSED' });
  });
});
