import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Cluster, Rbd, type Image, type IoCtx } from '../../../bindings/ceph/index.js';
import { cephAvailable, startCeph, type TestCeph } from '../../support/ceph.js';
import { itWithService } from '../../support/services.js';

const available = cephAvailable();
const it = itWithService(available, 'Ceph (ceph-mon/ceph-osd and the native/ceph addon)');

/** 4 MiB image of 1 MiB objects (order 20): random ranges cross object boundaries. */
const SIZE = 4 * 1024 * 1024;
const ORDER = 20;

type Op =
  | { kind: 'write'; offset: number; data: Uint8Array }
  | { kind: 'discard'; offset: number; length: number }
  | { kind: 'read'; offset: number; length: number };

const range = (maxLen: number) =>
  fc.integer({ min: 0, max: SIZE - 1 }).chain((offset) => fc.integer({ min: 1, max: Math.min(maxLen, SIZE - offset) }).map((length) => ({ offset, length })));

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: range(200_000).chain(({ offset, length }) => fc.uint8Array({ minLength: length, maxLength: length }).map((data) => ({ kind: 'write' as const, offset, data }))) },
  { weight: 2, arbitrary: range(1_500_000).map(({ offset, length }) => ({ kind: 'discard' as const, offset, length })) },
  { weight: 3, arbitrary: range(1_500_000).map(({ offset, length }) => ({ kind: 'read' as const, offset, length })) },
);

describe('RBD image I/O against a byte model (real cluster)', () => {
  let ceph: TestCeph;
  let cluster: Cluster;
  let io: IoCtx;
  let rbd: Rbd;

  beforeAll(async () => {
    if (!available) return;
    ceph = await startCeph(0);
    // Discards must zero exactly what they cover for the model to be exact.
    cluster = await Cluster.connect({
      conf: ceph.conf,
      keyring: ceph.keyring,
      options: { rbd_skip_partial_discard: false },
    });
    io = await cluster.openIoctx('rbd');
    rbd = new Rbd(io);
  });

  afterAll(async () => {
    await cluster?.close();
    await ceph?.stop();
  });

  it('a random pattern of writes, discards and reads matches the model byte for byte', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const name = `pattern-${run++}`;
        await rbd.create(name, SIZE, { order: ORDER, features: ['layering', 'exclusive-lock'] });
        const img: Image = await rbd.open(name);
        const model = Buffer.alloc(SIZE);
        try {
          for (const o of ops) {
            if (o.kind === 'write') {
              await img.write(Buffer.from(o.data), o.offset);
              model.set(o.data, o.offset);
            } else if (o.kind === 'discard') {
              await img.discard(o.offset, o.length);
              model.fill(0, o.offset, o.offset + o.length);
            } else {
              // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
              expect((await img.read(o.offset, o.length)).equals(model.subarray(o.offset, o.offset + o.length))).toBe(true);
            }
          }
          await img.flush();
          expect((await img.read(0, SIZE)).equals(model)).toBe(true);
        } finally {
          await img.close();
          await rbd.remove(name);
        }
      }),
      { numRuns: 25, seed: 0x1b0, endOnFailure: true },
    );
  });
});
