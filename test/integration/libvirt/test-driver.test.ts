/**
 * The binding against libvirt's in-process test driver (test:///default): everything it supports.
 * Each test opens its own connection; test:///default keeps one shared state per process, so every
 * test uses its own uniquely named domains and cleans them up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Connection, DomainState, LibvirtError, domainBuilder, parseDomainXml, versionString, type DomainEvent } from '../../../bindings/libvirt/index.js';
import { itWithService } from '../../support/services.js';
import { loadNative } from '../../../bindings/libvirt/native.js';
import { libvirtNative, uniqueName } from '../../support/libvirt.js';

const it = itWithService(libvirtNative, 'the libvirt addon (npm run build:native; Debian libvirt-dev)');
const URI = 'test:///default';

function spec(name: string) {
  return domainBuilder(name, 'kvm').memory(256, 'MiB').vcpus(2, 4).machine('pc').serialPty().build();
}

describe('libvirt binding on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    if (libvirtNative) conn = await Connection.open(URI);
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('reports host facts', async () => {
    expect(await conn.hostname()).toBeTypeOf('string');
    expect(versionString(await conn.libVersion())).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await conn.hypervisorVersion()).toBeGreaterThan(0);
    expect(await conn.type()).toBe('TEST');
    expect(await conn.capabilities()).toContain('<capabilities>');
    const node = await conn.nodeInfo();
    expect(node.cpus).toBeGreaterThan(0);
    expect(node.memoryKiB).toBeGreaterThan(0);
    expect(await conn.isAlive()).toBe(true);
    expect(await conn.isSecure()).toBe(true);
    expect(await conn.freeMemory()).toBeGreaterThan(0);
    expect(await conn.maxVcpus()).toBeGreaterThan(0);
    // The test driver has no keepalive: libvirt says so with NO_SUPPORT, typed.
    await expect(conn.setKeepAlive(5, 3)).rejects.toMatchObject({ code: 'ERR_LIBVIRT', libvirtName: 'NO_SUPPORT' });
  });

  it('defines, starts, suspends, resumes, inspects and destroys a domain with events', async () => {
    const name = uniqueName('td-life');
    const sub = await conn.events.subscribe('lifecycle');
    const emitted: DomainEvent[] = [];
    const onEvent = (ev: DomainEvent): void => {
      if (ev.domain === name) emitted.push(ev);
    };
    conn.events.on('lifecycle', onEvent);
    const dom = await conn.defineDomain(spec(name));
    try {
      expect(dom.name).toBe(name);
      expect(dom.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(await dom.isPersistent()).toBe(true);
      expect((await dom.state()).state).toBe('shutoff');
      expect(await dom.id()).toBeNull();
      await dom.start();
      expect(await dom.isActive()).toBe(true);
      expect(await dom.id()).toBeGreaterThan(0);
      await dom.suspend();
      expect((await dom.info()).state).toBe('paused');
      await dom.resume();
      expect((await dom.state()).state).toBe('running');
      const info = await dom.info();
      expect(info.maxMemKiB).toBe(256 * 1024);
      expect(info.vcpus).toBe(2);
      const back = await dom.spec();
      expect(back.name).toBe(name);
      expect(back.memoryKiB).toBe(256 * 1024);
      expect(back.maxVcpus).toBe(4);
      await dom.destroy();
      const seen: string[] = [];
      const want = ['defined', 'started', 'suspended', 'resumed', 'stopped'];
      while (seen.length < want.length) {
        const ev = await sub.waitFor((e) => e.domain === name);
        if (ev.kind === 'lifecycle') seen.push(ev.event);
      }
      expect(seen).toEqual(want);
      expect(emitted.map((e) => (e.kind === 'lifecycle' ? e.event : e.kind))).toEqual(want);
    } finally {
      conn.events.off('lifecycle', onEvent);
      await sub.unsubscribe();
      await dom.undefine();
      await dom.free();
    }
    expect(sub.active).toBe(false);
  });

  it('reboots and resets a running domain, and gets a typed refusal for migration (the test driver cannot migrate)', async () => {
    const name = uniqueName('td-reboot');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      await dom.reboot();
      await dom.reset();
      expect((await dom.state()).state).toBe('running');
      const err = await dom.migrate('test:///default', { bandwidthMiBs: 10 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_LIBVIRT' });
      expect((err as { libvirtName: string }).libvirtName).toMatch(/^(NO_SUPPORT|ARGUMENT_UNSUPPORTED|OPERATION_INVALID)$/);
      await dom.destroy();
    } finally {
      await dom.undefine();
    }
  });

  it('lists and looks up domains by name, uuid and id', async () => {
    const name = uniqueName('td-look');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      const byName = await conn.domainByName(name);
      const byUuid = await conn.domainByUuid(dom.uuid);
      const id = await dom.id();
      const byId = await conn.domainById(id as number);
      expect([byName.uuid, byUuid.name, byId.name]).toEqual([dom.uuid, name, name]);
      const running = await conn.listDomains({ active: true });
      expect(running.map((d) => d.name)).toContain(name);
      const inactive = await conn.listDomains({ active: false });
      expect(inactive.map((d) => d.name)).not.toContain(name);
      for (const d of [...running, ...inactive, byName, byUuid, byId]) await d.free();
      expect(await conn.findDomain(uniqueName('absent'))).toBeNull();
      await dom.destroy();
    } finally {
      await dom.undefine();
    }
  });

  it('creates a transient domain that disappears when destroyed', async () => {
    const name = uniqueName('td-trans');
    const dom = await conn.createDomain(spec(name));
    expect(await dom.isPersistent()).toBe(false);
    expect(await dom.isActive()).toBe(true);
    await dom.destroy();
    expect(await conn.findDomain(name)).toBeNull();
  });

  it('changes memory and vcpus, live and config', async () => {
    const name = uniqueName('td-tune');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      await dom.setMemory(128 * 1024, 'live');
      expect((await dom.info()).memoryKiB).toBe(128 * 1024);
      await dom.setVcpus(3, 'config');
      expect(await dom.vcpus('config')).toBe(3);
      await dom.setAutostart(true);
      expect(await dom.autostart()).toBe(true);
      await dom.destroy();
    } finally {
      await dom.undefine();
    }
  });

  it('saves, restores and managed-saves a domain', async () => {
    const name = uniqueName('td-save');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      const file = `/tmp/${name}.save`;
      await dom.save(file);
      expect((await dom.state()).state).toBe('shutoff');
      await conn.restoreDomain(file);
      expect((await dom.state()).state).toBe('running');
      await dom.managedSave();
      expect(await dom.hasManagedSaveImage()).toBe(true);
      await dom.start(); // resumes from the managed save image
      expect(await dom.hasManagedSaveImage()).toBe(false);
      await dom.destroy();
    } finally {
      await dom.undefine({ managedSave: true });
    }
  });

  it('takes, lists, reverts and deletes snapshots', async () => {
    const name = uniqueName('td-snap');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      const s1 = await dom.createSnapshot({ name: 'one', description: 'a <first> & "only"' });
      expect(s1.name).toBe('one');
      expect(await s1.xml()).toContain('&lt;first&gt;');
      await dom.suspend();
      const s2 = await dom.createSnapshot({ name: 'two' });
      expect((await dom.listSnapshots()).map((s) => s.name).sort()).toEqual(['one', 'two']);
      expect((await s2.parent())?.name).toBe('one');
      expect((await dom.currentSnapshot())?.name).toBe('two');
      await s1.revert();
      expect((await dom.state()).state).toBe('running');
      expect(await s1.isCurrent()).toBe(true);
      await s2.delete();
      expect((await dom.listSnapshots()).map((s) => s.name)).toEqual(['one']);
      await s1.free();
      await s2.free();
      await dom.destroy();
    } finally {
      await dom.undefine({ snapshotsMetadata: true });
    }
  });

  it('sets and reads metadata (device hot-plug is tested on QEMU: the test driver has none)', async () => {
    const name = uniqueName('td-dev');
    const dom = await conn.defineDomain(spec(name));
    try {
      const disk = { source: { type: 'file' as const, file: '/var/lib/none.img' }, target: { dev: 'vdb', bus: 'virtio' as const }, driver: { type: 'raw' as const } };
      await expect(dom.attachDevice(disk, 'config')).rejects.toMatchObject({ libvirtName: 'NO_SUPPORT' });
      await dom.setMetadata('title', 'web <1>', 'config');
      expect(await dom.metadata('title', undefined, 'config')).toBe('web <1>');
      await dom.setMetadata('element', '<instance><flavor>m1.small</flavor></instance>', 'config', { prefix: 'tstack', uri: 'https://tstack.example/instance/1' });
      expect(await dom.metadata('element', 'https://tstack.example/instance/1', 'config')).toContain('m1.small');
    } finally {
      await dom.undefine();
    }
  });

  it('returns typed stats records for all domains', async () => {
    const name = uniqueName('td-stats');
    const dom = await conn.defineDomain(spec(name));
    try {
      await dom.start();
      const stats = await conn.allDomainStats(['state', 'balloon', 'vcpu'], { active: true });
      const mine = stats.find((s) => s.name === name);
      expect(mine?.uuid).toBe(dom.uuid);
      expect(mine?.state?.state).toBe('running');
      expect(mine?.raw['state.state']).toBe(DomainState.RUNNING);
      // The test driver reports only the state group.
      expect(mine?.block).toEqual([]);
      await dom.destroy();
    } finally {
      await dom.undefine();
    }
  });

  it('lists storage pools and creates and resizes a volume', async () => {
    const pools = await conn.listStoragePools();
    expect(pools.length).toBeGreaterThan(0);
    const pool = await conn.storagePool('default-pool');
    expect(await pool.isActive()).toBe(true);
    expect((await pool.info()).state).toBe('running');
    const volName = `${uniqueName('vol')}.img`;
    const vol = await pool.createVolume({ name: volName, capacityBytes: 1 << 20 });
    expect((await vol.info()).capacity).toBe(1 << 20);
    expect(vol.path).toContain(volName);
    expect((await conn.volumeByPath(vol.path as string)).name).toBe(volName);
    expect((await pool.volumes()).map((v) => v.name)).toContain(volName);
    await vol.delete();
    for (const p of pools) await p.free();
  });

  it('turns libvirt errors into LibvirtError with code, domain and level', async () => {
    const err = await conn.domainByName(uniqueName('missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    const e = err as LibvirtError;
    expect(e.code).toBe('ERR_LIBVIRT');
    expect(e.libvirtCode).toBe(42);
    expect(e.libvirtName).toBe('NO_DOMAIN');
    expect(e.domainName).toBeTypeOf('string');
    expect(e.level).toBe('error');
    const bad = await conn.defineDomain('<domain type="kvm"><name>x</name>').catch((x: unknown) => x);
    expect((bad as LibvirtError).libvirtName).toBe('XML_DETAIL');
  });

  it('refuses use after close with ERR_LIBVIRT_CLOSED, on the connection and its objects', async () => {
    const c2 = await Connection.open(URI);
    const name = uniqueName('td-closed');
    const dom = await c2.defineDomain(spec(name));
    await dom.free();
    await dom.free(); // idempotent
    await expect(dom.info()).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    const again = await c2.domainByName(name);
    await c2.close();
    await c2.close();
    await expect(c2.hostname()).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    await expect(again.info()).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    await expect(c2.events.subscribe('lifecycle')).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    await (await conn.domainByName(name)).undefine();
  });

  it('releases handles dropped without free() through their finalisers, off the JS thread', async () => {
    // Thousands of wrappers collected at once share one pool task (pool::ReleaseLater); the
    // connection must keep working and close cleanly afterwards. Snapshot lookups make a wrapper
    // each; domain lookups share the live wrapper of their domain (next test).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const c4 = await Connection.open(URI);
    const name = uniqueName('td-gc');
    const kept = await c4.defineDomain(spec(name));
    await (await kept.createSnapshot({ name: 'gc' })).free();
    const uuids = new Set<string>();
    let snapshots = 0;
    for (let i = 0; i < 20; i++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => c4.domainByName(name)));
      for (const d of batch) uuids.add(d.uuid);
      const lists = await Promise.all(Array.from({ length: 100 }, () => kept.listSnapshots()));
      for (const l of lists) snapshots += l.length;
    }
    expect(uuids).toEqual(new Set([kept.uuid]));
    expect(snapshots).toBe(2000);
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r)); // napi finalisers run from an immediate
    }
    expect((await c4.domainByName(name)).name).toBe(name);
    expect(await kept.isPersistent()).toBe(true);
    await kept.undefine({ snapshotsMetadata: true });
    await kept.free();
    await c4.close();
    expect(await conn.findDomain(name)).toBeNull();
  });

  it('lets calls in flight finish when their domain or connection is freed meanwhile', async () => {
    const c5 = await Connection.open(URI);
    const name = uniqueName('td-inflight');
    const dom = await c5.defineDomain(spec(name));
    const pending = Promise.all([dom.info(), dom.xml(), dom.isPersistent()]);
    const native = dom.nativeHandle();
    await dom.free(); // the running calls keep the libvirt reference until they finish
    const [info, xml, persistent] = await pending;
    expect(info.state).toBe('shutoff');
    expect(xml).toContain(`<name>${name}</name>`);
    expect(persistent).toBe(true);
    expect(native.isClosed()).toBe(true);
    await expect(dom.info()).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    const again = await c5.domainByName(name);
    const undefined_ = again.undefine();
    const host = c5.hostname();
    await again.free();
    await undefined_;
    await c5.close();
    expect(await host).toBeTypeOf('string');
    expect(await conn.findDomain(name)).toBeNull();
  });

  it('settles every call of bursts and call loops wider than the pool, each with its own outcome', async () => {
    // Completions are handed to the JS thread in batches (when the pool's queue runs dry, or 32
    // wait): a burst of 400 queues far more than the 8 threads take, and 16 loops each queue their
    // next call from the previous one's continuation, as the bench does.
    const name = uniqueName('td-burst');
    const dom = await conn.defineDomain(spec(name));
    const outcomes = await Promise.all(
      Array.from({ length: 400 }, (_, i) => {
        switch (i % 4) {
          case 0: return dom.info().then((x) => `info:${x.state}:${x.vcpus}`);
          case 1: return dom.xml().then((x) => `xml:${x.includes(`<name>${name}</name>`)}`);
          case 2: return conn.findDomain(`${name}-missing-${i}`).then((x) => `missing:${x}`);
          default: return dom.state().then((x) => `state:${x.state}`);
        }
      }),
    );
    outcomes.forEach((o, i) => expect(o).toBe(['info:shutoff:2', 'xml:true', 'missing:null', 'state:shutoff'][i % 4]));
    const perLoop = await Promise.all(
      Array.from({ length: 16 }, async (_, loop) => {
        let ok = 0;
        for (let k = 0; k < 50; k++) {
          if ((loop + k) % 3 === 0) {
            await expect(conn.domainByName(`${name}-none`)).rejects.toMatchObject({ code: 'ERR_LIBVIRT', libvirtName: 'NO_DOMAIN' });
          } else if ((await dom.info()).memoryKiB === 256 * 1024) {
            ok++;
          }
        }
        return ok;
      }),
    );
    perLoop.forEach((ok, loop) => expect(ok).toBe(50 - Array.from({ length: 50 }, (_, k) => (loop + k) % 3 === 0).filter(Boolean).length));
    await dom.undefine();
    await dom.free();
  });

  it('hands a finished read to the JS thread before a long call takes its worker', async () => {
    // Reads are settled in batches, when the pool's queue runs dry. A long call (a migration, a
    // boot) must not hold a finished read back: queued behind the read, more long tasks than the
    // pool has threads would otherwise keep the queue from draining until the first one ended.
    const native = loadNative();
    const dom = await conn.defineDomain(spec(uniqueName('td-hold')));
    const endedBefore = native.debugHoldsEnded();
    const read = dom.info().then(() => native.debugHoldsEnded() - endedBefore);
    const holds = Array.from({ length: 9 }, () => native.debugHoldWorker(2000));
    expect(await read).toBe(0);
    await Promise.all(holds);
    expect(native.debugHoldsEnded() - endedBefore).toBe(9);
    await dom.undefine();
    await dom.free();
  });

  it('shares one native reference between lookups of a domain, released by its last owner', async () => {
    const name = uniqueName('td-share');
    const defined = await conn.defineDomain(spec(name));
    const a = await conn.domainByName(name);
    const b = await conn.domainByName(name);
    expect(a).not.toBe(b);
    const native = defined.nativeHandle();
    expect(a.nativeHandle()).toBe(native);
    expect(b.nativeHandle()).toBe(native);
    // Each Domain is still its own handle: freeing one closes only that one.
    await a.free();
    await expect(a.info()).rejects.toMatchObject({ code: 'ERR_LIBVIRT_CLOSED' });
    expect((await b.info()).state).toBe('shutoff');
    await b.free();
    expect(native.isClosed()).toBe(false);
    // Started through `defined`: libvirt rewrote that reference's id, so a lookup gets its own.
    await defined.start();
    const c = await conn.domainByName(name);
    expect(c.nativeHandle()).not.toBe(native);
    expect(await c.id()).toBe(await defined.id());
    await c.destroy();
    const d = await conn.domainByName(name);
    expect(await d.id()).toBeNull();
    await defined.undefine();
    for (const h of [c, d, defined]) await h.free();
    expect(native.isClosed()).toBe(true);
  });

  it('supports await using', async () => {
    const name = uniqueName('td-using');
    {
      await using c3 = await Connection.open(URI);
      await using dom = await c3.defineDomain(spec(name));
      expect(await dom.isPersistent()).toBe(true);
      await dom.undefine();
    }
    expect(await conn.findDomain(name)).toBeNull();
  });

  it('opens read-only and refuses writes', async () => {
    const ro = await Connection.open(URI, { readOnly: true });
    try {
      const err = await ro.defineDomain(spec(uniqueName('ro'))).catch((e: unknown) => e);
      expect((err as LibvirtError).libvirtName).toBe('OPERATION_DENIED');
    } finally {
      await ro.close();
    }
  });

  it('iterates events with for await and ends on unsubscribe', async () => {
    const name = uniqueName('td-iter');
    const sub = await conn.events.subscribe(['lifecycle', 'reboot']);
    const dom = await conn.defineDomain(spec(name));
    await dom.start();
    await dom.destroy();
    await dom.undefine();
    const kinds: string[] = [];
    for await (const ev of sub) {
      if (ev.domain !== name || ev.kind !== 'lifecycle') continue;
      kinds.push(`${ev.event}/${ev.detail}`);
      if (ev.event === 'undefined') break; // break → return() → unsubscribe
    }
    expect(kinds).toEqual(['defined/added', 'started/booted', 'stopped/destroyed', 'undefined/removed']);
    expect(sub.active).toBe(false);
  });

  it('parses the XML libvirt returns for a defined spec', async () => {
    const name = uniqueName('td-xml');
    const dom = await conn.defineDomain(spec(name));
    try {
      const parsed = parseDomainXml(await dom.xml({ inactive: true }));
      expect(parsed.name).toBe(name);
      expect(parsed.devices.serials?.[0]?.source.type).toBe('pty');
    } finally {
      await dom.undefine();
    }
  });
});
