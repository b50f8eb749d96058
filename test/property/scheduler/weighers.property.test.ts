/**
 * Property test of the weighers (src/scheduler/weighers) on random host tables (1–40 hosts,
 * VCPU / MEMORY_MB / DISK_GB, small integer capacities and usage so that ties are common), random
 * HostStats (IO ops, failed builds, instances, one server group) and random candidate lists:
 *   (1) normalised weights are always within [0, 1] (min → 0, max → 1, all equal → all 0);
 *   (2) the order is a permutation of the candidates, weights non-increasing, ties to the lower id;
 *   (3) the same seed picks the same host, always one of the first host_subset_size;
 *   (4) scaling one weigher's multiplier by a positive constant never changes the order;
 *   (5) the RAM weigher at +m (spread) and −m (pack) give exactly reversed orders when no two
 *       candidates have the same free RAM.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import { HostTable } from '../../../src/scheduler/hosts/index.js';
import {
  HostStats,
  buildFailureWeigher,
  cpuWeigher,
  diskWeigher,
  ioOpsWeigher,
  normalizeWeights,
  numInstancesWeigher,
  packingWeigher,
  pickFromBest,
  ramWeigher,
  softAffinityWeigher,
  softAntiAffinityWeigher,
  weighCandidates,
  type ServerGroupPolicy,
  type Weigher,
  type WeighRequest,
  type WeighView,
} from '../../../src/scheduler/weighers/index.js';

const DIMS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
const GROUP = 0;

interface HostRow {
  readonly capacity: number[];
  readonly usedPercent: number[];
  readonly ioOps: number;
  readonly failedBuilds: number;
  readonly instances: number;
  readonly members: number;
}

const hostArb: fc.Arbitrary<HostRow> = fc.record({
  capacity: fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })),
  usedPercent: fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })),
  ioOps: fc.integer({ min: 0, max: 5 }),
  failedBuilds: fc.integer({ min: 0, max: 3 }),
  instances: fc.integer({ min: 0, max: 10 }),
  members: fc.integer({ min: 0, max: 3 }),
});

interface World {
  readonly view: WeighView;
  readonly candidates: Int32Array;
  readonly request: WeighRequest;
}

const worldArb: fc.Arbitrary<World> = fc
  .array(hostArb, { minLength: 1, maxLength: 40 })
  .chain((hosts) =>
    fc.record({
      hosts: fc.constant(hosts),
      candidates: fc.uniqueArray(fc.integer({ min: 0, max: hosts.length - 1 }), { maxLength: hosts.length }),
      need: fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })),
      policy: fc.constantFrom<ServerGroupPolicy | undefined>('soft-affinity', 'soft-anti-affinity', 'affinity', undefined),
    }),
  )
  .map(({ hosts, candidates, need, policy }) => {
    const table = new HostTable({ dimensions: DIMS });
    const stats = new HostStats();
    for (const h of hosts) {
      const used = h.capacity.map((c, d) => Math.floor((c * (h.usedPercent[d] ?? 0)) / 100));
      const id = table.addHost({ capacity: h.capacity, used });
      stats.setIoOps(id, h.ioOps);
      stats.setFailedBuilds(id, h.failedBuilds);
      stats.setInstances(id, h.instances);
      stats.setGroupMembers(GROUP, id, h.members);
    }
    const request: WeighRequest = policy === undefined ? { need } : { need, serverGroup: { id: GROUP, policy } };
    return { view: { table, stats }, candidates: Int32Array.from(candidates), request };
  });

type Make = (multiplier: number) => Weigher;
const MAKERS: readonly Make[] = [
  (m) => ramWeigher({ multiplier: m }),
  (m) => cpuWeigher({ multiplier: m }),
  (m) => diskWeigher({ multiplier: m }),
  (m) => ioOpsWeigher({ multiplier: m }),
  (m) => buildFailureWeigher({ multiplier: m }),
  (m) => numInstancesWeigher({ multiplier: m }),
  (m) => softAffinityWeigher({ multiplier: m }),
  (m) => softAntiAffinityWeigher({ multiplier: m }),
  (m) => packingWeigher({ multiplier: m }),
  (m) => packingWeigher({ multiplier: m, imbalancePenalty: 0 }),
];
const makerArb = fc.integer({ min: 0, max: MAKERS.length - 1 }).map((i) => MAKERS[i] as Make);
const multiplierArb = fc.oneof(fc.integer({ min: -10, max: 10 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));

describe('weighers (property)', () => {
  it('normalised weights are always within [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 50 }), (values) => {
        const w = Float64Array.from(values);
        normalizeWeights(w, w.length);
        for (const x of w) expect(x >= 0 && x <= 1).toBe(true);
        if (values.length === 0) return;
        const min = Math.min(...values);
        const max = Math.max(...values);
        values.forEach((v, i) => {
          if (min === max) expect(w[i]).toBe(0);
          else if (v === min) expect(w[i]).toBe(0);
          else if (v === max) expect(w[i]).toBe(1);
        });
      }),
    );
    // and through every weigher: one weigher at multiplier 1 gives the normalised weights as totals
    fc.assert(
      fc.property(worldArb, makerArb, (world, make) => {
        const r = weighCandidates(world.candidates, [make(1)], world.view, world.request);
        for (const x of r.weights) expect(x >= 0 && x <= 1).toBe(true);
      }),
    );
  });

  it('the order is a permutation of the candidates, best first, ties to the lower host id', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.tuple(makerArb, multiplierArb), { maxLength: 6 }), (world, ws) => {
        const weighers = ws.map(([make, m]) => make(m));
        const r = weighCandidates(world.candidates, weighers, world.view, world.request);
        expect([...r.order].sort((a, b) => a - b)).toEqual([...world.candidates].sort((a, b) => a - b));
        for (let i = 1; i < r.order.length; i++) {
          const prev = r.weights[i - 1] as number;
          const cur = r.weights[i] as number;
          expect(prev >= cur).toBe(true);
          if (prev === cur) expect((r.order[i - 1] as number) < (r.order[i] as number)).toBe(true);
        }
        // deterministic: the same inputs in another candidate order give the same answer
        const reversed = Int32Array.from([...world.candidates].reverse());
        expect([...weighCandidates(reversed, weighers, world.view, world.request).order]).toEqual([...r.order]);
      }),
    );
  });

  it('the same seed picks the same host, one of the first host_subset_size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }),
        fc.integer({ min: -2, max: 40 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (hosts, subset, seed) => {
          const order = Int32Array.from(hosts);
          const a = pickFromBest(order, subset, seededRng(seed));
          const b = pickFromBest(order, subset, seededRng(seed));
          expect(a).toBe(b);
          if (hosts.length === 0) expect(a).toBe(-1);
          else expect(hosts.slice(0, Math.max(1, subset)).includes(a)).toBe(true);
        },
      ),
    );
  });

  it('scaling a single weigher’s multiplier by a positive constant never changes the order', () => {
    fc.assert(
      fc.property(
        worldArb,
        makerArb,
        fc.integer({ min: -10, max: 10 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (world, make, m, c) => {
          const base = weighCandidates(world.candidates, [make(m)], world.view, world.request).order;
          const scaled = weighCandidates(world.candidates, [make(m * c)], world.view, world.request).order;
          expect([...scaled]).toEqual([...base]);
        },
      ),
    );
  });

  it('RAM spread (+m) and pack (−m) give reversed orders when there are no ties', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (free, m, seed) => {
          const table = new HostTable({ dimensions: DIMS });
          for (const f of free) table.addHost({ capacity: [8, 2_000_000, 100], used: [0, 2_000_000 - f, 0] });
          const candidates = Int32Array.from(free.map((_, i) => i));
          // a shuffled candidate list: the order must not depend on it
          const rng = seededRng(seed);
          for (let i = candidates.length - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            const t = candidates[i] as number;
            candidates[i] = candidates[j] as number;
            candidates[j] = t;
          }
          const spread = weighCandidates(candidates, [ramWeigher({ multiplier: m })], { table }).order;
          const pack = weighCandidates(candidates, [ramWeigher({ multiplier: -m })], { table }).order;
          expect([...pack]).toEqual([...spread].reverse());
          // spread puts the most free RAM first
          const best = spread[0] as number;
          expect(free[best]).toBe(Math.max(...free));
        },
      ),
    );
  });
});
