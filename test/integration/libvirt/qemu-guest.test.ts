/**
 * The binding against a real libvirtd + QEMU, started by scripts/services/start-libvirtd.sh: boots
 * the tiny guest (Debian cloud kernel + busybox initramfs, built offline by
 * scripts/build-test-guest.sh) under TCG at 128 MiB, sees its console marker, suspends and resumes
 * it, sets its memory, hot-plugs a qcow2 disk and grows it, takes and reverts a snapshot, and shuts
 * it down — with every lifecycle event observed through the binding. Then secrets (a Ceph key) and
 * an RBD disk in a persistent definition, and a dir storage pool with a resized volume. Last, real
 * live migration (virDomainMigrateToURI3, peer-to-peer) to a second libvirtd on this machine,
 * scripts/services/start-libvirtd-peer.sh: its own host UUID and state in a private mount
 * namespace (libvirt refuses to migrate a guest to the host it runs on: tested above); migration data over
 * 127.0.0.1. In this one file because every test here shares (and may restart) one libvirtd.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  Connection, ReconnectingConnection, SecretUsage, cephSecretXml, domainBuilder, registerCephKey, type DomainEvent, type EventSubscription,
} from '../../../bindings/libvirt/index.js';
import { itWithService } from '../../support/services.js';
import {
  GUEST_MARKER, SYSTEM_URI, buildTestGuest, libvirtNative, startLibvirtd, tinyGuestSpec, uniqueName, waitForText, type LibvirtdHandle, type TestGuest,
} from '../../support/libvirt.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PEER_DIR = process.env['TSTACK_LIBVIRT_PEER_DIR'] ?? '/run/tstack-libvirt-peer';
const PEER_URI = `qemu+unix:///system?socket=${PEER_DIR}/sock/libvirt-sock`;

async function peerAnswers(): Promise<boolean> {
  try {
    await run('virsh', ['-q', '-c', PEER_URI, 'version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Starts the peer libvirtd through its script unless it answers; startedHere when this run did. */
async function startPeer(): Promise<{ available: boolean; startedHere: boolean }> {
  if (await peerAnswers()) return { available: true, startedHere: false };
  try {
    await run('bash', [path.join(ROOT, 'scripts/services/start-libvirtd-peer.sh')], { timeout: 90_000 });
  } catch {
    return { available: false, startedHere: false };
  }
  return { available: await peerAnswers(), startedHere: true };
}

// Started at collection time (top-level await) so that itWithService knows whether it is there.
const daemon: LibvirtdHandle | undefined = libvirtNative ? await startLibvirtd() : undefined;
const it = itWithService(daemon?.available ?? false, 'libvirtd on qemu:///system (scripts/services/start-libvirtd.sh) and the libvirt addon');
const peer = daemon?.available === true ? await startPeer() : { available: false, startedHere: false };
const itWithPeer = itWithService(peer.available, 'a peer libvirtd (scripts/services/start-libvirtd-peer.sh) beside the first, and the libvirt addon');
let conn: Connection | undefined;
let guest: TestGuest | undefined;
let work = '';

beforeAll(async () => {
  if (daemon?.available !== true) return;
  guest = await buildTestGuest();
  work = fs.mkdtempSync(path.join('/var/tmp', 'tstack-libvirt-it-'));
  fs.chmodSync(work, 0o755);
  conn = await Connection.open(SYSTEM_URI, { keepAlive: { interval: 5, count: 5 } });
}, 180_000);

afterAll(async () => {
  await conn?.close();
  if (peer.startedHere) await run('bash', [path.join(ROOT, 'scripts/services/stop-libvirtd-peer.sh')], { timeout: 60_000 });
  await daemon?.stop();
  if (work !== '') fs.rmSync(work, { recursive: true, force: true });
});

function lifecycle(events: DomainEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'lifecycle' ? [`${e.event}/${e.detail}`] : []));
}

async function waitLifecycle(sub: EventSubscription, name: string, event: string, detail?: string): Promise<void> {
  await sub.waitFor((e) => e.domain === name && e.kind === 'lifecycle' && e.event === event && (detail === undefined || e.detail === detail), 60_000);
}

describe('libvirt binding on qemu:///system with the tiny TCG guest', () => {
  it('boots the guest, suspends, sets memory, hot-plugs and grows a disk, snapshots, reverts and shuts down', async () => {
    const c = conn as Connection;
    const name = uniqueName('tstack-it');
    const consoleLog = path.join(work, `${name}.console.log`);
    const all: DomainEvent[] = [];
    const onEvent = (ev: DomainEvent): void => {
      if (ev.domain === name) all.push(ev);
    };
    c.events.on('event', onEvent);
    const sub = await c.events.subscribe(['lifecycle', 'device-added', 'balloon-change']);
    const dom = await c.defineDomain(tinyGuestSpec(name, guest as TestGuest, consoleLog));
    try {
      await waitLifecycle(sub, name, 'defined', 'added');
      await dom.start();
      await waitLifecycle(sub, name, 'started', 'booted');
      // The guest is up when its init has printed the marker on the serial console.
      await waitForText(consoleLog, GUEST_MARKER, 60_000);
      expect((await dom.state()).state).toBe('running');

      await dom.suspend();
      await waitLifecycle(sub, name, 'suspended', 'paused');
      expect((await dom.state()).state).toBe('paused');
      await dom.resume();
      await waitLifecycle(sub, name, 'resumed', 'unpaused');

      await dom.setMemory(96 * 1024, 'live');
      await sub.waitFor((e) => e.domain === name && e.kind === 'balloon-change' && e.actualKiB <= 96 * 1024, 30_000);
      expect((await dom.info()).memoryKiB).toBe(96 * 1024);

      // Hot-plug a 16 MiB qcow2 disk and grow it to 32 MiB while the guest runs.
      const img = path.join(work, `${name}-data.qcow2`);
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', img, '16M']);
      await dom.attachDevice({ source: { type: 'file', file: img }, target: { dev: 'vdb', bus: 'virtio' }, driver: { type: 'qcow2' } }, 'live');
      await sub.waitFor((e) => e.domain === name && e.kind === 'device-added', 30_000);
      expect((await dom.spec()).devices.disks?.map((d) => d.target.dev)).toEqual(['vdb']);
      expect((await dom.blockInfo('vdb')).capacity).toBe(16 << 20);
      await dom.blockResize('vdb', 32 << 20);
      expect((await dom.blockInfo('vdb')).capacity).toBe(32 << 20);
      expect((await dom.blockStats('vdb')).wrReq).toBeGreaterThanOrEqual(0);

      const stats = await c.allDomainStats(['state', 'balloon', 'vcpu', 'block']);
      const mine = stats.find((s) => s.name === name);
      expect(mine?.state?.state).toBe('running');
      expect(mine?.vcpu?.current).toBe(1);
      expect(mine?.block.map((b) => b.name)).toEqual(['vdb']);
      expect(mine?.balloon?.maximumKiB).toBe(128 * 1024);

      // Internal snapshot (the only disk is qcow2), then revert to it.
      const snap = await dom.createSnapshot({ name: 'before' });
      expect((await dom.listSnapshots()).map((s) => s.name)).toEqual(['before']);
      await dom.suspend();
      await waitLifecycle(sub, name, 'suspended', 'paused');
      await snap.revert();
      await waitLifecycle(sub, name, 'started', 'from_snapshot');
      expect((await dom.state()).state).toBe('running');
      expect(await snap.isCurrent()).toBe(true);
      await snap.delete();
      await snap.free();

      // No guest agent in the tiny guest: agentPing says so instead of throwing.
      expect(await dom.agentPing(2)).toBe(false);
      expect((await dom.jobStats()).type).toBe(0); // VIR_DOMAIN_JOB_NONE
      // Migration is wrapped with typed parameters; libvirt refuses the same host, typed.
      await expect(dom.migrate('qemu:///system', { bandwidthMiBs: 10 }, { live: true, peer2peer: true })).rejects.toMatchObject({ code: 'ERR_LIBVIRT' });

      // ACPI shutdown: the guest's init powers off on the power button.
      await dom.shutdown('acpi');
      await waitLifecycle(sub, name, 'stopped', 'shutdown');
      expect((await dom.state()).state).toBe('shutoff');
    } finally {
      if (await dom.isActive().catch(() => false)) await dom.destroy();
      await dom.undefine({ snapshotsMetadata: true });
      await waitLifecycle(sub, name, 'undefined', 'removed').catch(() => undefined);
      await sub.unsubscribe();
      c.events.off('event', onEvent);
      await dom.free();
    }
    const seq = lifecycle(all);
    // QEMU starts paused and is resumed, so 'resumed' also shows around 'started'; what matters is
    // that each step's event arrived, in order.
    // (A live snapshot pauses and resumes the guest around it; the revert stops and restarts it.)
    const steps = [
      'defined/added', 'started/booted', 'suspended/paused', 'resumed/unpaused', 'suspended/paused',
      'stopped/from_snapshot', 'started/from_snapshot', /^shutdown\/(guest|finished)$/, 'stopped/shutdown', 'undefined/removed',
    ];
    let at = 0;
    for (const ev of seq) {
      const step = steps[at];
      if (step !== undefined && (typeof step === 'string' ? ev === step : step.test(ev))) at++;
    }
    expect({ seq, matched: steps.slice(0, at) }).toEqual({ seq, matched: steps });
    expect(all.some((e) => e.kind === 'device-added')).toBe(true);
  }, 180_000);

  it('registers a Ceph key as a secret and defines a domain with an RBD disk using it', async () => {
    const c = conn as Connection;
    const user = uniqueName('cinder');
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const secret = await registerCephKey(c, user, key);
    try {
      expect(secret.usageType).toBe(SecretUsage.CEPH);
      expect(secret.usageId).toBe(`client.${user} secret`);
      // Private secrets cannot be read back through the API.
      await expect(secret.value()).rejects.toMatchObject({ code: 'ERR_LIBVIRT' });
      const again = await registerCephKey(c, user, key);
      expect(again.uuid).toBe(secret.uuid);
      const name = uniqueName('tstack-rbd');
      const spec = domainBuilder(name, 'qemu')
        .memory(128, 'MiB')
        .rbdDisk('volumes/volume-1', 'vda', [{ name: '127.0.0.1', port: 26810 }], { username: user, secretUuid: secret.uuid })
        .build();
      const dom = await c.defineDomain(spec);
      try {
        const disk = (await dom.spec({ inactive: true })).devices.disks?.[0];
        expect(disk?.source).toEqual({ type: 'network', protocol: 'rbd', name: 'volumes/volume-1', hosts: [{ name: '127.0.0.1', port: 26810 }], auth: { username: user, secretUuid: secret.uuid } });
        await dom.attachDevice(
          { source: { type: 'network', protocol: 'rbd', name: 'volumes/volume-2', hosts: [{ name: '127.0.0.1' }], auth: { username: user, secretUsage: `client.${user} secret` } }, target: { dev: 'vdb', bus: 'virtio' }, driver: { type: 'raw' } },
          'config',
        );
        expect((await dom.spec({ inactive: true })).devices.disks?.map((d) => d.target.dev)).toEqual(['vda', 'vdb']);
      } finally {
        await dom.undefine();
      }
    } finally {
      await secret.undefine();
    }
    expect(cephSecretXml('client.x secret', { uuid: 'u' })).toContain('<usage type="ceph">');
  });

  it('creates a dir storage pool, a volume, grows it and deletes it', async () => {
    const c = conn as Connection;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstack-pool-'));
    const name = uniqueName('tstack-pool');
    const pool = await c.createStoragePool(`<pool type="dir"><name>${name}</name><target><path>${dir}</path></target></pool>`);
    try {
      const vol = await pool.createVolume({ name: 'a.qcow2', capacityBytes: 8 << 20, format: 'qcow2' });
      await vol.resize(16 << 20);
      expect((await vol.info()).capacity).toBe(16 << 20);
      await vol.delete();
    } finally {
      await pool.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the daemon as alive, with node stats and domain capabilities', async () => {
    const c = conn as Connection;
    expect(await c.isAlive()).toBe(true);
    expect(await c.type()).toBe('QEMU');
    expect(Object.keys(await c.nodeMemoryStats())).toContain('total');
    expect(Object.keys(await c.nodeCpuStats())).toContain('idle');
    expect(await c.domainCapabilities({ virttype: 'qemu' })).toContain('<domainCapabilities>');
  });

  // While calls run on a connection, our event loop leaves arming its socket watch to the last of
  // them (native/libvirt/src/eventloop.h): events must still arrive on a connection that is never
  // idle, read by whichever call owns the socket, and the watch must be armed again once it is.
  it('delivers events on a connection busy with 16 calls in flight, and once it is idle again', async () => {
    const c = conn as Connection;
    const other = await Connection.open(SYSTEM_URI);
    const name = uniqueName('tstack-busy');
    const spec = domainBuilder(name, 'qemu').memory(64, 'MiB').build();
    const sub = await c.events.subscribe('lifecycle');
    const lifecycleOf = (event: string) => (e: DomainEvent): boolean => e.domain === name && e.kind === 'lifecycle' && e.event === event;
    try {
      let done = false;
      let calls = 0;
      const load = async (): Promise<void> => {
        while (!done) {
          // NO_DOMAIN until `other` defines it: a call on c all the same.
          const d = await c.domainByName(name).catch(() => null);
          if (d !== null) {
            await d.info().catch(() => undefined);
            await d.free();
          }
          calls++;
        }
      };
      const loops = Array.from({ length: 16 }, load);
      try {
        const probe = await other.defineDomain(spec);
        await sub.waitFor(lifecycleOf('defined'), 60_000);
        await probe.undefine();
        await probe.free();
        await sub.waitFor(lifecycleOf('undefined'), 60_000);
      } finally {
        done = true;
        await Promise.all(loops);
      }
      expect(calls).toBeGreaterThan(16);
      // Idle now: the next event has no call to carry it, only the (re-armed) watch.
      const again = await other.defineDomain(spec);
      await sub.waitFor(lifecycleOf('defined'), 60_000);
      await again.undefine();
      await again.free();
    } finally {
      await sub.unsubscribe();
      await other.close();
    }
  });

  // Our event loop's timers drive libvirt's keepalive: a daemon that stops answering (frozen with
  // SIGSTOP, its socket still open) must be declared dead by the keepalive timer alone. Only on a
  // daemon this run started.
  it('declares a frozen daemon dead through keepalive timers and the close callback', async () => {
    if (daemon?.startedHere !== true) return;
    const pidFile = path.join(process.env['TSTACK_LIBVIRT_STATE'] ?? '/run/tstack-libvirt', 'libvirtd.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    const c = await Connection.open(SYSTEM_URI, { keepAlive: { interval: 1, count: 2 } });
    try {
      let onClosed: (reason: number) => void = () => undefined;
      const closed = new Promise<number>((resolve) => {
        onClosed = resolve;
      });
      await c.onClose((reason) => onClosed(reason)); // registered before the daemon freezes
      expect(await c.isAlive()).toBe(true);
      process.kill(pid, 'SIGSTOP');
      try {
        // Bounded, so that the daemon is always thawed before the test's own timeout.
        const reason = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 30_000))]);
        // VIR_CONNECT_CLOSE_REASON_KEEPALIVE = 2 (ERROR 0, EOF 1, CLIENT 3); -1: not closed in 30 s
        expect(reason).toBe(2);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(await c.isAlive()).toBe(false);
    } finally {
      await c.close();
    }
    expect(await (conn as Connection).isAlive()).toBe(true);
  }, 60_000);

  // Last: it restarts the daemon. Only when this run started it (CI does): someone else's
  // libvirtd is never restarted.
  it('reconnects and resubscribes when libvirtd restarts', async () => {
    if (daemon?.startedHere !== true) return;
    const rc = await ReconnectingConnection.open(SYSTEM_URI, { minDelayMs: 100, keepAlive: { interval: 1, count: 3 } });
    try {
      await rc.subscribe(['lifecycle']);
      const dropped = new Promise<number>((resolve) => rc.once('disconnected', resolve));
      const back = new Promise<Connection>((resolve) => rc.once('reconnected', resolve));
      await daemon.restart();
      expect(await dropped).toBeGreaterThanOrEqual(0);
      const fresh = await back;
      expect(await fresh.isAlive()).toBe(true);
      const name = uniqueName('tstack-rc');
      const seen = new Promise<DomainEvent>((resolve) => {
        const on = (ev: DomainEvent): void => {
          if (ev.domain === name) {
            rc.off('event', on);
            resolve(ev);
          }
        };
        rc.on('event', on);
      });
      const dom = await rc.connection.defineDomain(domainBuilder(name, 'qemu').memory(128, 'MiB').build());
      expect(await seen).toMatchObject({ kind: 'lifecycle', event: 'defined' });
      await dom.undefine();
    } finally {
      await rc.close();
    }
  }, 120_000);

  // A virtlogd killed outright leaves its socket file behind (CI met one in a machine image). The
  // start script must probe the socket, not trust the file, or every guest start fails with
  // "Failed to connect socket to '/run/libvirt/virtlogd-sock'". Only on a virtlogd this run started.
  it('start-libvirtd.sh replaces a killed virtlogd whose socket file remains, and guests start again', async () => {
    if (daemon?.startedHere !== true) return;
    const sock = '/run/libvirt/virtlogd-sock';
    const pidFile = path.join(process.env['TSTACK_LIBVIRT_STATE'] ?? '/run/tstack-libvirt', 'virtlogd.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => !fs.existsSync(`/proc/${pid}/cmdline`) || fs.readFileSync(`/proc/${pid}/cmdline`).length === 0, 10_000);
    expect(fs.statSync(sock).isSocket()).toBe(true);
    expect(await accepts(sock)).toBe(false);

    await run('bash', [path.join(ROOT, 'scripts/services/start-libvirtd.sh')], { timeout: 90_000 });
    expect(await accepts(sock)).toBe(true);
    const name = uniqueName('tstack-vl');
    const c = await Connection.open(SYSTEM_URI); // the file's own connection ended with the restart above
    try {
      const dom = await c.createDomain(tinyGuestSpec(name, guest as TestGuest, path.join(work, `${name}.console.log`)));
      expect((await dom.state()).state).toBe('running');
      await dom.destroy();
      await dom.free();
    } finally {
      await c.close();
    }
  }, 120_000);
});

/** Whether something accepts connections on the unix socket at `file`. */
function accepts(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`not done within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function waitMigrationEvent(sub: EventSubscription, name: string, event: string, detail: string): Promise<DomainEvent> {
  return sub.waitFor((e) => e.domain === name && e.kind === 'lifecycle' && e.event === event && e.detail === detail, 60_000);
}

/** Loopback for QEMU's migration stream: the peer's default would be this host's name. */
const OVER_LOOPBACK = { uri: 'tcp://127.0.0.1', listenAddress: '127.0.0.1' };

describe('live migration between two libvirtd on this machine', () => {
  itWithPeer('moves a running transient guest to the peer, which keeps running it', async () => {
    const src = await Connection.open(SYSTEM_URI);
    const dst = await Connection.open(PEER_URI);
    const name = uniqueName('tstack-mig');
    const consoleLog = path.join(work, `${name}.console.log`);
    const srcEvents = await src.events.subscribe('lifecycle');
    const dstEvents = await dst.events.subscribe('lifecycle');
    try {
      const dom = await src.createDomain(tinyGuestSpec(name, guest as TestGuest, consoleLog));
      await waitForText(consoleLog, GUEST_MARKER, 120_000);
      await dom.migrate(PEER_URI, OVER_LOOPBACK, { live: true, peer2peer: true });
      await waitMigrationEvent(srcEvents, name, 'stopped', 'migrated');
      await waitMigrationEvent(dstEvents, name, 'resumed', 'migrated');
      expect(await src.findDomain(name)).toBeNull();
      const moved = await dst.domainByName(name);
      expect(moved.uuid).toBe(dom.uuid);
      expect((await moved.state()).state).toBe('running');
      expect(await moved.isPersistent()).toBe(false);
      expect((await moved.info()).maxMemKiB).toBe(128 * 1024);
      await moved.destroy();
      expect(await dst.findDomain(name)).toBeNull();
      await moved.free();
      await dom.free();
    } finally {
      await srcEvents.unsubscribe();
      await dstEvents.unsubscribe();
      await removeAndClose([src, dst], name);
    }
  });

  itWithPeer('moves a persistent guest with persistDest and undefineSource: defined only on the peer afterwards', async () => {
    const src = await Connection.open(SYSTEM_URI);
    const dst = await Connection.open(PEER_URI);
    const name = uniqueName('tstack-migp');
    const consoleLog = path.join(work, `${name}.console.log`);
    try {
      const dom = await src.defineDomain(tinyGuestSpec(name, guest as TestGuest, consoleLog));
      await dom.start();
      await waitForText(consoleLog, GUEST_MARKER, 120_000);
      await dom.migrate(PEER_URI, { ...OVER_LOOPBACK, bandwidthMiBs: 1000 }, { live: true, peer2peer: true, persistDest: true, undefineSource: true });
      expect(await src.findDomain(name)).toBeNull();
      const moved = await dst.domainByName(name);
      expect(await moved.isPersistent()).toBe(true);
      expect((await moved.state()).state).toBe('running');
      await moved.destroy();
      expect((await moved.state()).state).toBe('shutoff');
      await moved.undefine();
      expect(await dst.findDomain(name)).toBeNull();
      await moved.free();
      await dom.free();
    } finally {
      await removeAndClose([src, dst], name);
    }
  });
});

/** Test clean-up: destroys and undefines what is left of `name` on each connection, then closes it. */
async function removeAndClose(conns: readonly Connection[], name: string): Promise<void> {
  for (const c of conns) {
    const left = await c.findDomain(name);
    if (left !== null) {
      if (await left.isActive()) await left.destroy().catch(() => undefined);
      if (await left.isPersistent()) await left.undefine().catch(() => undefined);
      await left.free();
    }
    await c.close();
  }
}
