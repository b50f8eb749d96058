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

// Pipelined: a whole sequence is issued at once, nothing awaited in between. Writes of 64 KiB or
// more go to librados without a copy (it reads the caller's Buffer in place); operations that would
// wait in the Objecter's throttle are submitted from the addon's submission thread (a second
// connection sets it to 4 operations / 1 MiB so that this happens often), and everything behind them
// queues there too; librados must still see the operations in call order, so every result (and the
// final object) matches the model applied in that order. Once everything has settled the written
// Buffers are overwritten: the object must not change.
/** `length` bytes of value `fill` (kept as numbers so that a counterexample prints short). */
interface Bytes {
  length: number;
  fill: number;
}
type PipelinedOp =
  | { kind: 'write'; offset: number; bytes: Bytes }
  | { kind: 'writeFull'; bytes: Bytes }
  | { kind: 'append'; bytes: Bytes }
  | { kind: 'truncate'; size: number }
  | { kind: 'read'; offset: number; length: number }
  | { kind: 'stat' }
  | { kind: 'remove' };

const LARGE = 1024 * 1024;
const ZERO_COPY = 64 * 1024;
/** Sizes on both sides of the zero-copy threshold, and large ones (throttle-bound on `tio`). */
const pipelinedBytes: fc.Arbitrary<Bytes> = fc.record({
  length: fc.oneof(
    fc.integer({ min: 0, max: 5000 }),
    fc.integer({ min: ZERO_COPY - 2, max: ZERO_COPY + 2 }),
    fc.integer({ min: LARGE - 1, max: LARGE + 300_000 }),
  ),
  fill: fc.integer({ min: 0, max: 255 }),
});
const materialise = (b: Bytes): Buffer => Buffer.alloc(b.length, b.fill);
const pipelinedOp: fc.Arbitrary<PipelinedOp> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 600_000 }), pipelinedBytes).map(([offset, bytes]) => ({ kind: 'write' as const, offset, bytes })),
  pipelinedBytes.map((bytes) => ({ kind: 'writeFull' as const, bytes })),
  pipelinedBytes.map((bytes) => ({ kind: 'append' as const, bytes })),
  fc.integer({ min: 0, max: 700_000 }).map((size) => ({ kind: 'truncate' as const, size })),
  fc.tuple(fc.integer({ min: 0, max: 700_000 }), fc.integer({ min: 0, max: 400_000 })).map(([offset, length]) => ({ kind: 'read' as const, offset, length })),
  fc.constant({ kind: 'stat' as const }),
  fc.constant({ kind: 'remove' as const }),
);

/** What the model says an operation resolves with: bytes, a size, nothing, or ENOENT. */
type Expected = { ok: Buffer | number | undefined } | { enoent: true };

function applyPipelined(m: Model, op: PipelinedOp): Expected {
  switch (op.kind) {
    case 'write': {
      const next = Buffer.from(grown(m.data, op.offset + op.bytes.length));
      next.fill(op.bytes.fill, op.offset, op.offset + op.bytes.length);
      m.data = next;
      return { ok: undefined };
    }
    case 'writeFull':
      m.data = materialise(op.bytes);
      return { ok: undefined };
    case 'append':
      m.data = Buffer.concat([m.data ?? Buffer.alloc(0), materialise(op.bytes)]);
      return { ok: undefined };
    case 'truncate':
      if (m.data === null) return { enoent: true };
      m.data = op.size <= m.data.length ? Buffer.from(m.data.subarray(0, op.size)) : grown(m.data, op.size);
      return { ok: undefined };
    case 'read': {
      if (m.data === null) return { enoent: true };
      const start = Math.min(op.offset, m.data.length);
      return { ok: Buffer.from(m.data.subarray(start, Math.min(m.data.length, op.offset + op.length))) };
    }
    case 'stat':
      return m.data === null ? { enoent: true } : { ok: m.data.length };
    case 'remove':
      if (m.data === null) return { enoent: true };
      m.data = null;
      return { ok: undefined };
  }
}

/** Issues `op`; the Buffer it writes from (if any) is pushed onto `written`. */
function issue(io: IoCtx, oid: string, op: PipelinedOp, written: Buffer[]): Promise<Buffer | number | undefined> {
  const done = (p: Promise<void>): Promise<undefined> => p.then(() => undefined);
  const data = (b: Bytes): Buffer => {
    const buf = materialise(b);
    written.push(buf);
    return buf;
  };
  switch (op.kind) {
    case 'write':
      return done(io.write(oid, data(op.bytes), op.offset));
    case 'writeFull':
      return done(io.writeFull(oid, data(op.bytes)));
    case 'append':
      return done(io.append(oid, data(op.bytes)));
    case 'truncate':
      return done(io.truncate(oid, op.size));
    case 'read':
      return io.read(oid, op.length, op.offset);
    case 'stat':
      return io.stat(oid).then((s) => s.size);
    case 'remove':
      return done(io.remove(oid));
  }
}

async function outcome(p: Promise<Buffer | number | undefined>): Promise<Expected> {
  try {
    return { ok: await p };
  } catch (err) {
    if (err instanceof CephError && err.errnoName === 'ENOENT') return { enoent: true };
    throw err;
  }
}

function describeOp(op: PipelinedOp): string {
  return JSON.stringify(op);
}

describe('RADOS object operations against a model (real cluster)', () => {
  let ceph: TestCeph;
  let cluster: Cluster;
  let throttled: Cluster;
  let io: IoCtx;
  let tio: IoCtx;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    cluster = await Cluster.connect({ conf: ceph.conf, keyring: ceph.keyring });
    io = await cluster.openIoctx('rbd');
    throttled = await Cluster.connect({
      conf: ceph.conf,
      keyring: ceph.keyring,
      options: { objecter_inflight_ops: 4, objecter_inflight_op_bytes: 1024 * 1024 },
    });
    tio = await throttled.openIoctx('rbd');
  });

  afterAll(async () => {
    await cluster?.close();
    await throttled?.close();
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

  it('pipelined sequences, with writes on both sides of the zero-copy threshold and throttle-bound ones, keep call order', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pipelinedOp, { minLength: 1, maxLength: 16 }), fc.boolean(), async (ops, small) => {
        const oid = `pipelined-${run++}`;
        const target = small ? tio : io;
        const model: Model = { data: null };
        const expected = ops.map((op) => applyPipelined(model, op));
        const written: Buffer[] = [];
        const got = await Promise.all(ops.map((op) => outcome(issue(target, oid, op, written))));
        for (const b of written) b.fill(0xee);
        for (let i = 0; i < ops.length; i++) {
          const e = expected[i] as Expected;
          const g = got[i] as Expected;
          const same =
            'enoent' in e ? 'enoent' in g : 'ok' in g && (Buffer.isBuffer(e.ok) ? Buffer.isBuffer(g.ok) && g.ok.equals(e.ok) : g.ok === e.ok);
          expect(same, `op ${i} ${describeOp(ops[i] as PipelinedOp)} of ${ops.map(describeOp).join(' ')}`).toBe(true);
        }
        const final = await outcome(target.read(oid, (model.data?.length ?? 0) + 1, 0));
        if (model.data === null) expect('enoent' in final).toBe(true);
        else expect('ok' in final && Buffer.isBuffer(final.ok) && final.ok.equals(model.data)).toBe(true);
        await target.remove(oid).catch(() => undefined);
      }),
      { numRuns: 40, seed: 0x0dde, endOnFailure: true },
    );
  });
});
