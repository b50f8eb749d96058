/**
 * Model-based test of the domain lifecycle through the binding on test:///default: random command
 * sequences (start, destroy, suspend, resume, managed save, snapshot) against a small state
 * model; after each command the domain's state, managed-save image and snapshot list must match
 * the model, and every refused transition must be a LibvirtError that changes nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Connection, LibvirtError, domainBuilder, type Domain } from '../../../bindings/libvirt/index.js';
import { itWithService } from '../../support/services.js';
import { libvirtNative, uniqueName } from '../../support/libvirt.js';

const it = itWithService(libvirtNative, 'the libvirt addon (npm run build:native; Debian libvirt-dev)');

interface Model {
  state: 'shutoff' | 'running' | 'paused';
  managedSave: boolean;
  snapshots: string[];
}
interface Real {
  dom: Domain;
}

async function refused(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvirtError);
  expect((err as LibvirtError).code).toBe('ERR_LIBVIRT');
}

async function check(m: Model, r: Real): Promise<void> {
  expect((await r.dom.state()).state).toBe(m.state);
  expect(await r.dom.hasManagedSaveImage()).toBe(m.managedSave);
  const snaps = await r.dom.listSnapshots();
  expect(snaps.map((s) => s.name).sort()).toEqual([...m.snapshots].sort());
  for (const s of snaps) await s.free();
}

class Start implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.state !== 'shutoff') return refused(r.dom.start());
    await r.dom.start();
    m.state = 'running'; // from the managed save image when there is one, which is consumed
    m.managedSave = false;
    await check(m, r);
  }
  toString = (): string => 'start';
}

class Destroy implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.state === 'shutoff') return refused(r.dom.destroy());
    await r.dom.destroy();
    m.state = 'shutoff';
    await check(m, r);
  }
  toString = (): string => 'destroy';
}

class Suspend implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.state !== 'running') return refused(r.dom.suspend());
    await r.dom.suspend();
    m.state = 'paused';
    await check(m, r);
  }
  toString = (): string => 'suspend';
}

class Resume implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.state !== 'paused') return refused(r.dom.resume());
    await r.dom.resume();
    m.state = 'running';
    await check(m, r);
  }
  toString = (): string => 'resume';
}

class ManagedSave implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.state === 'shutoff') return refused(r.dom.managedSave());
    await r.dom.managedSave();
    m.state = 'shutoff';
    m.managedSave = true;
    await check(m, r);
  }
  toString = (): string => 'managedSave';
}

class TakeSnapshot implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.snapshots.includes(this.name)) return refused(r.dom.createSnapshot({ name: this.name }));
    const s = await r.dom.createSnapshot({ name: this.name });
    await s.free();
    m.snapshots.push(this.name);
    await check(m, r);
  }
  toString = (): string => `snapshot(${this.name})`;
}

describe('domain lifecycle against a model (test:///default)', () => {
  let conn: Connection;
  beforeAll(async () => {
    if (libvirtNative) conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('follows random command sequences', async () => {
    const commands = [
      fc.constant(new Start()),
      fc.constant(new Destroy()),
      fc.constant(new Suspend()),
      fc.constant(new Resume()),
      fc.constant(new ManagedSave()),
      fc.constantFrom('s1', 's2', 's3').map((n) => new TakeSnapshot(n)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        const dom = await conn.defineDomain(domainBuilder(uniqueName('model'), 'kvm').memory(128, 'MiB').build());
        try {
          await fc.asyncModelRun(() => ({ model: { state: 'shutoff', managedSave: false, snapshots: [] } as Model, real: { dom } }), cmds);
        } finally {
          if (await dom.isActive()) await dom.destroy();
          await dom.undefine({ managedSave: true, snapshotsMetadata: true });
          await dom.free();
        }
      }),
      { numRuns: 150 },
    );
  });
});
