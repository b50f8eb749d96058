/**
 * Model-based test of domain handles on test:///default. Repeated lookups of one domain share a
 * native reference (owners counted; see native/libvirt/src/domain.h), which must stay invisible:
 * every Domain behaves as its own handle — usable until its own free(), unaffected by the others'
 * free(), reporting the id libvirt gives a fresh lookup — and the libvirt reference is released
 * exactly when the last owner frees it. Random sequences of lookup, free, info, id, start and
 * destroy through random handles, checked against a model after each step.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Connection, LibvirtError, domainBuilder, type Domain } from '../../../bindings/libvirt/index.js';
import type { NativeDomain } from '../../../bindings/libvirt/native.js';
import { itWithService } from '../../support/services.js';
import { libvirtNative, uniqueName } from '../../support/libvirt.js';

const it = itWithService(libvirtNative, 'the libvirt addon (npm run build:native; Debian libvirt-dev)');

interface Model {
  running: boolean;
  /** Per handle, in lookup order: freed or not. */
  freed: boolean[];
}
interface Real {
  conn: Connection;
  name: string;
  handles: Domain[];
  /** The native object behind each handle, read at lookup (nativeHandle() refuses once freed). */
  natives: NativeDomain[];
}

async function closedError(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvirtError);
  expect((err as LibvirtError).code).toBe('ERR_LIBVIRT_CLOSED');
}

/** Every native reference stays open exactly as long as one of its handles is not freed. */
function checkNatives(m: Model, r: Real): void {
  const owners = new Map<NativeDomain, number>();
  r.natives.forEach((n, i) => owners.set(n, (owners.get(n) ?? 0) + (m.freed[i] === true ? 0 : 1)));
  for (const [n, count] of owners) expect(n.isClosed()).toBe(count === 0);
}

class Lookup implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.freed.length < 12;
  async run(m: Model, r: Real): Promise<void> {
    const d = await r.conn.domainByName(r.name);
    r.handles.push(d);
    r.natives.push(d.nativeHandle());
    m.freed.push(false);
    expect(await d.id()).toEqual(m.running ? expect.any(Number) : null);
    checkNatives(m, r);
  }
  toString = (): string => 'lookup';
}

/** Picks handle `i mod count`. */
abstract class OnHandle implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (): boolean => true;
  protected pick(m: Model): number {
    return this.i % m.freed.length;
  }
  abstract run(m: Model, r: Real): Promise<void>;
}

class Free extends OnHandle {
  override async run(m: Model, r: Real): Promise<void> {
    const k = this.pick(m);
    await (r.handles[k] as Domain).free(); // a second free() is a no-op
    m.freed[k] = true;
    checkNatives(m, r);
  }
  override toString = (): string => `free(${this.i})`;
}

class Info extends OnHandle {
  override async run(m: Model, r: Real): Promise<void> {
    const k = this.pick(m);
    const d = r.handles[k] as Domain;
    if (m.freed[k] === true) return closedError(d.info());
    expect((await d.info()).state).toBe(m.running ? 'running' : 'shutoff');
  }
  override toString = (): string => `info(${this.i})`;
}

class Start extends OnHandle {
  override async run(m: Model, r: Real): Promise<void> {
    const k = this.pick(m);
    const d = r.handles[k] as Domain;
    if (m.freed[k] === true) return closedError(d.start());
    if (m.running) {
      await expect(d.start()).rejects.toBeInstanceOf(LibvirtError);
      return;
    }
    await d.start();
    m.running = true;
    expect(await d.id()).toEqual(expect.any(Number));
  }
  override toString = (): string => `start(${this.i})`;
}

class Destroy extends OnHandle {
  override async run(m: Model, r: Real): Promise<void> {
    const k = this.pick(m);
    const d = r.handles[k] as Domain;
    if (m.freed[k] === true) return closedError(d.destroy());
    if (!m.running) {
      await expect(d.destroy()).rejects.toBeInstanceOf(LibvirtError);
      return;
    }
    await d.destroy();
    m.running = false;
    // A fresh lookup must see the domain stopped, whatever older handles remember.
    const fresh = await r.conn.domainByName(r.name);
    expect(await fresh.id()).toBeNull();
    await fresh.free();
  }
  override toString = (): string => `destroy(${this.i})`;
}

describe('domain handles against a model (test:///default)', () => {
  let conn: Connection;
  beforeAll(async () => {
    if (libvirtNative) conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('keeps shared lookups independent and releases each reference with its last owner', async () => {
    const idx = fc.nat(11);
    const commands = [
      fc.constant(new Lookup()),
      idx.map((i) => new Free(i)),
      idx.map((i) => new Info(i)),
      idx.map((i) => new Start(i)),
      idx.map((i) => new Destroy(i)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const name = uniqueName('handles');
        // The handle define returns is handle 0: later lookups may share its reference too.
        const defined = await conn.defineDomain(domainBuilder(name, 'kvm').memory(128, 'MiB').build());
        const real: Real = { conn, name, handles: [defined], natives: [defined.nativeHandle()] };
        const model: Model = { running: false, freed: [false] };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          for (const d of real.handles) await d.free();
          model.freed = model.freed.map(() => true);
          checkNatives(model, real);
        } finally {
          const d = await conn.domainByName(name);
          if (await d.isActive()) await d.destroy();
          await d.undefine();
          await d.free();
          for (const h of real.handles) await h.free();
        }
      }),
      { numRuns: 100 },
    );
  });
});
