import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CephError, Cluster, type IoCtx } from '../../../bindings/ceph/index.js';
import { cephAvailable, startCeph, type TestCeph } from '../../support/ceph.js';
import { itWithService } from '../../support/services.js';

const available = cephAvailable();
const it = itWithService(available, 'Ceph (ceph-mon/ceph-osd and the native/ceph addon)');

/** The model: the object's bytes, or null when it does not exist. */
interface Model {
  data: Buffer | null;
}
interface Real {
  io: IoCtx;
  oid: string;
}

async function expectNotFound(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CephError);
  expect((err as CephError).errnoName).toBe('ENOENT');
}

function grown(data: Buffer | null, size: number): Buffer {
  const cur = data ?? Buffer.alloc(0);
  if (cur.length >= size) return cur;
  return Buffer.concat([cur, Buffer.alloc(size - cur.length)]);
}

class WriteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly offset: number, readonly bytes: Uint8Array) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.io.write(r.oid, Buffer.from(this.bytes), this.offset);
    const next = Buffer.from(grown(m.data, this.offset + this.bytes.length));
    next.set(this.bytes, this.offset);
    m.data = next;
  }
  toString = () => `write(${this.offset}, ${this.bytes.length})`;
}

class WriteFullCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly bytes: Uint8Array) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.io.writeFull(r.oid, Buffer.from(this.bytes));
    m.data = Buffer.from(this.bytes);
  }
  toString = () => `writeFull(${this.bytes.length})`;
}

class AppendCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly bytes: Uint8Array) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.io.append(r.oid, Buffer.from(this.bytes));
    m.data = Buffer.concat([m.data ?? Buffer.alloc(0), Buffer.from(this.bytes)]);
  }
  toString = () => `append(${this.bytes.length})`;
}

class TruncateCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly size: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.data === null) {
      await expectNotFound(r.io.truncate(r.oid, this.size));
      return;
    }
    await r.io.truncate(r.oid, this.size);
    m.data = this.size <= m.data.length ? Buffer.from(m.data.subarray(0, this.size)) : grown(m.data, this.size);
  }
  toString = () => `truncate(${this.size})`;
}

class ReadCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly offset: number, readonly length: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.data === null) {
      await expectNotFound(r.io.read(r.oid, this.length, this.offset));
      return;
    }
    const got = await r.io.read(r.oid, this.length, this.offset);
    const start = Math.min(this.offset, m.data.length);
    expect(got.equals(m.data.subarray(start, Math.min(m.data.length, this.offset + this.length)))).toBe(true);
    expect((await r.io.stat(r.oid)).size).toBe(m.data.length);
  }
  toString = () => `read(${this.offset}, ${this.length})`;
}

class RemoveCmd implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (m.data === null) {
      await expectNotFound(r.io.remove(r.oid));
      return;
    }
    await r.io.remove(r.oid);
    m.data = null;
  }
  toString = () => 'remove';
}

const offset = fc.integer({ min: 0, max: 70_000 });
const bytes = fc.uint8Array({ minLength: 0, maxLength: 9000 });
const commands = fc.commands(
  [
    fc.tuple(offset, bytes).map(([o, b]) => new WriteCmd(o, b)),
    bytes.map((b) => new WriteFullCmd(b)),
    bytes.map((b) => new AppendCmd(b)),
    fc.integer({ min: 0, max: 90_000 }).map((s) => new TruncateCmd(s)),
    fc.tuple(offset, fc.integer({ min: 0, max: 80_000 })).map(([o, l]) => new ReadCmd(o, l)),
    fc.constant(new RemoveCmd()),
  ],
  { maxCommands: 25 },
);

describe('RADOS object operations against a model (real cluster)', () => {
  let ceph: TestCeph;
  let cluster: Cluster;
  let io: IoCtx;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    cluster = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    io = await cluster.openIoctx('rbd');
  });

  afterAll(async () => {
    await cluster?.close();
    await ceph?.stop();
  });

  it('random writes, appends, truncates, reads and removes match the model', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const oid = `model-${run++}`;
        await fc.asyncModelRun(() => ({ model: { data: null }, real: { io, oid } }), cmds);
        // Whatever the sequence, the final object matches the model.
        await io.remove(oid).catch(() => undefined);
      }),
      { numRuns: 40, seed: 0x5eed, endOnFailure: true },
    );
  });
});
