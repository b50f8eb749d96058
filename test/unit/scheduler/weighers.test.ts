import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { seededRng } from '../../../common/rng.js';
import { HostTable } from '../../../src/scheduler/hosts/index.js';
import {
  HostStats,
  NOVA_DEFAULT_MULTIPLIERS,
  WeighScratch,
  buildFailureWeigher,
  cpuWeigher,
  diskWeigher,
  ioOpsWeigher,
  normalizeWeights,
  novaWeighers,
  numInstancesWeigher,
  packingWeigher,
  pickFromBest,
  ramWeigher,
  softAffinityWeigher,
  softAntiAffinityWeigher,
  weighCandidates,
  type Weigher,
  type WeighRequest,
  type WeighView,
} from '../../../src/scheduler/weighers/index.js';

const DIMS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];

/**
 * Four hosts, capacity 32 / 65536 / 1000 each:
 *   0: used  8 / 49152 / 100   free  24 / 16384 / 900
 *   1: used 24 / 16384 / 500   free   8 / 49152 / 500
 *   2: used 16 / 32768 / 800   free  16 / 32768 / 200
 *   3: used  0 /     0 /   0   free  32 / 65536 / 1000
 */
function world(): WeighView & { table: HostTable; stats: HostStats } {
  const table = new HostTable({ dimensions: DIMS });
  table.addHost({ capacity: [32, 65536, 1000], used: [8, 49152, 100] });
  table.addHost({ capacity: [32, 65536, 1000], used: [24, 16384, 500] });
  table.addHost({ capacity: [32, 65536, 1000], used: [16, 32768, 800] });
  table.addHost({ capacity: [32, 65536, 1000] });
  return { table, stats: new HostStats() };
}

const ALL = Int32Array.of(0, 1, 2);

function order(view: WeighView, weighers: readonly Weigher[], request: WeighRequest = {}, candidates = ALL): number[] {
  return [...weighCandidates(candidates, weighers, view, request).order];
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTstackError(e) ? e.code : 'not a TstackError';
  }
  return undefined;
}

describe('normalisation (Nova normalize)', () => {
  it('maps min to 0, max to 1, linear between', () => {
    const w = Float64Array.of(5, 5, 10, 10, 15, 20, 20, 15, 10, 5);
    normalizeWeights(w, w.length);
    expect([...w].map((x) => Math.round(x * 100) / 100)).toEqual([0, 0, 0.33, 0.33, 0.67, 1, 1, 0.67, 0.33, 0]);
  });

  it('gives all 0 when every weight is equal, and for a single candidate', () => {
    const equal = Float64Array.of(7, 7, 7);
    normalizeWeights(equal, 3);
    expect([...equal]).toEqual([0, 0, 0]);
    const one = Float64Array.of(42);
    normalizeWeights(one, 1);
    expect([...one]).toEqual([0]);
  });

  it('only touches the first n values and handles huge ranges', () => {
    const w = Float64Array.of(1, 3, 99);
    normalizeWeights(w, 2);
    expect([...w]).toEqual([0, 1, 99]);
    const huge = Float64Array.of(-1.7e308, 0, 1.7e308);
    normalizeWeights(huge, 3);
    expect([...huge]).toEqual([0, 0.5, 1]);
  });

  it('refuses a non-finite raw weight', () => {
    expect(code(() => normalizeWeights(Float64Array.of(1, NaN), 2))).toBe('ERR_SCHEDULER_WEIGHER');
    expect(code(() => normalizeWeights(Float64Array.of(1, Infinity), 2))).toBe('ERR_SCHEDULER_WEIGHER');
  });

  it('weighs a single candidate 0 and keeps it', () => {
    const v = world();
    const r = weighCandidates(Int32Array.of(2), novaWeighers(), v);
    expect([...r.order]).toEqual([2]);
    expect([...r.weights]).toEqual([0]);
  });

  it('with all candidates equal, orders by host id and weighs 0', () => {
    const table = new HostTable({ dimensions: DIMS });
    for (let i = 0; i < 4; i++) table.addHost({ capacity: [8, 8192, 100] });
    const r = weighCandidates(Int32Array.of(3, 1, 2, 0), [...novaWeighers(), packingWeigher()], { table });
    expect([...r.order]).toEqual([0, 1, 2, 3]);
    expect([...r.weights]).toEqual([0, 0, 0, 0]);
  });

  it('sums multiplier × normalised weight across weighers', () => {
    const v = world();
    // ram: free 16384, 49152, 32768 → 0, 1, 0.5; cpu: free 24, 8, 16 → 1, 0, 0.5
    const r = weighCandidates(ALL, [ramWeigher({ multiplier: 2 }), cpuWeigher({ multiplier: 1 })], v);
    expect([...r.order]).toEqual([1, 2, 0]);
    expect([...r.weights]).toEqual([2, 1.5, 1]);
  });

  it('gives an empty order for no candidates', () => {
    const r = weighCandidates(new Int32Array(0), novaWeighers(), world());
    expect(r.order.length).toBe(0);
  });
});

describe('resource weighers', () => {
  it('RAM: positive multiplier spreads (most free first), negative stacks', () => {
    const v = world();
    expect(order(v, [ramWeigher()])).toEqual([1, 2, 0]);
    expect(order(v, [ramWeigher({ multiplier: -1 })])).toEqual([0, 2, 1]);
  });

  it('CPU: free VCPU, sign reverses', () => {
    const v = world();
    expect(order(v, [cpuWeigher()])).toEqual([0, 2, 1]);
    expect(order(v, [cpuWeigher({ multiplier: -1 })])).toEqual([1, 2, 0]);
  });

  it('disk: free DISK_GB, sign reverses', () => {
    const v = world();
    expect(order(v, [diskWeigher()])).toEqual([0, 1, 2]);
    expect(order(v, [diskWeigher({ multiplier: -1 })])).toEqual([2, 1, 0]);
  });

  it('a dimension the table lacks has no effect', () => {
    const table = new HostTable({ dimensions: ['VCPU'] });
    table.addHost({ capacity: [8] });
    table.addHost({ capacity: [16] });
    expect(order({ table }, [ramWeigher({ multiplier: 5 }), cpuWeigher({ multiplier: -1 })], {}, Int32Array.of(1, 0))).toEqual([0, 1]);
    expect([...weighCandidates(Int32Array.of(0, 1), [ramWeigher()], { table }).weights]).toEqual([0, 0]);
  });

  it('has Nova’s default multipliers', () => {
    expect(NOVA_DEFAULT_MULTIPLIERS).toEqual({
      ram: 1, cpu: 1, disk: 1, ioOps: -1, buildFailure: 1_000_000, numInstances: 0, softAffinity: 1, softAntiAffinity: 1,
    });
    expect(novaWeighers().map((w) => [w.name, w.multiplier])).toEqual([
      ['ram', 1], ['cpu', 1], ['disk', 1], ['ioOps', -1], ['buildFailure', 1_000_000], ['numInstances', 0], ['softAffinity', 1], ['softAntiAffinity', 1],
    ]);
    expect(novaWeighers({ ram: -1 })[0]?.multiplier).toBe(-1);
  });

  it('refuses a non-finite multiplier', () => {
    expect(code(() => ramWeigher({ multiplier: NaN }))).toBe('ERR_SCHEDULER_WEIGHER');
    expect(code(() => packingWeigher({ imbalancePenalty: -1 }))).toBe('ERR_SCHEDULER_WEIGHER');
    const bad: Weigher = { ...ramWeigher(), multiplier: Infinity };
    expect(code(() => weighCandidates(ALL, [bad], world()))).toBe('ERR_SCHEDULER_WEIGHER');
  });

  it('refuses a candidate outside the table', () => {
    expect(code(() => weighCandidates(Int32Array.of(0, 4), [ramWeigher()], world()))).toBe('ERR_SCHEDULER_WEIGHER');
    expect(code(() => weighCandidates(Int32Array.of(-1), [ramWeigher()], world()))).toBe('ERR_SCHEDULER_WEIGHER');
  });
});

describe('HostStats weighers', () => {
  it('IO ops: default −1.0 prefers the idle host; positive the busy one', () => {
    const v = world();
    v.stats.setIoOps(0, 5);
    v.stats.setIoOps(1, 0);
    v.stats.setIoOps(2, 2);
    expect(order(v, [ioOpsWeigher()])).toEqual([1, 2, 0]);
    expect(order(v, [ioOpsWeigher({ multiplier: 1 })])).toEqual([0, 2, 1]);
  });

  it('build failures: the default 1e6 puts hosts with fewer failures first, over every resource weigher', () => {
    const v = world();
    v.stats.recordBuildFailure(1);
    v.stats.recordBuildFailure(1);
    v.stats.recordBuildFailure(2);
    // host 1 has the most free RAM but two failures
    expect(order(v, [ramWeigher({ multiplier: 1000 }), buildFailureWeigher()])).toEqual([0, 2, 1]);
    const r = weighCandidates(ALL, [buildFailureWeigher()], v);
    expect([...r.weights]).toEqual([1_000_000, 500_000, 0]);
    v.stats.resetBuildFailures(1);
    expect(order(v, [buildFailureWeigher()])).toEqual([0, 1, 2]);
  });

  it('instance count: positive multiplier prefers more instances, negative fewer, default off', () => {
    const v = world();
    v.stats.setInstances(0, 1);
    v.stats.setInstances(1, 9);
    v.stats.setInstances(2, 4);
    expect(order(v, [numInstancesWeigher({ multiplier: 1 })])).toEqual([1, 2, 0]);
    expect(order(v, [numInstancesWeigher({ multiplier: -1 })])).toEqual([0, 2, 1]);
    expect(order(v, [numInstancesWeigher()])).toEqual([0, 1, 2]);
  });

  it('soft affinity prefers hosts with more of the group’s members, soft anti-affinity fewer', () => {
    const v = world();
    const G = 7;
    v.stats.addGroupMember(G, 2);
    v.stats.addGroupMember(G, 2);
    v.stats.addGroupMember(G, 0);
    const weighers = [softAffinityWeigher(), softAntiAffinityWeigher()];
    expect(order(v, weighers, { serverGroup: { id: G, policy: 'soft-affinity' } })).toEqual([2, 0, 1]);
    expect(order(v, weighers, { serverGroup: { id: G, policy: 'soft-anti-affinity' } })).toEqual([1, 0, 2]);
    // other policies, other groups, no group: no effect
    expect(order(v, weighers, { serverGroup: { id: G, policy: 'affinity' } })).toEqual([0, 1, 2]);
    expect(order(v, weighers, { serverGroup: { id: 8, policy: 'soft-affinity' } })).toEqual([0, 1, 2]);
    expect(order(v, weighers)).toEqual([0, 1, 2]);
    v.stats.addGroupMember(G, 2, -5);
    expect(v.stats.groupMembersOn(G, 2)).toBe(0);
  });

  it('without HostStats, or for hosts past the stats, every statistic reads 0', () => {
    const v = world();
    expect(order({ table: v.table }, [ioOpsWeigher(), buildFailureWeigher()])).toEqual([0, 1, 2]);
    const stats = new HostStats(1);
    stats.setIoOps(0, 3);
    expect(order({ table: v.table, stats }, [ioOpsWeigher()], {}, Int32Array.of(0, 3))).toEqual([3, 0]);
  });

  it('grows with larger host ids and refuses bad counts', () => {
    const stats = new HostStats(16);
    stats.setFailedBuilds(100, 2);
    stats.setGroupMembers(1, 3, 1);
    stats.setInstances(200, 4);
    expect(stats.failedBuilds[100]).toBe(2);
    expect(stats.groupMembersOn(1, 3)).toBe(1);
    expect(stats.groupMembers(1)?.length).toBeGreaterThan(200);
    expect(code(() => stats.setIoOps(0, -1))).toBe('ERR_SCHEDULER_WEIGHER');
    expect(code(() => stats.setIoOps(0, 1.5))).toBe('ERR_SCHEDULER_WEIGHER');
    expect(code(() => stats.setIoOps(-1, 1))).toBe('ERR_SCHEDULER_WEIGHER');
  });
});

describe('packing weigher', () => {
  it('prefers the fuller host, and among similar ones the host the request evens out', () => {
    const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB'] });
    // placing 4 VCPU / 1024 MB adds (0.2, 0.05):
    table.addHost({ capacity: [20, 20480], used: [14, 4096] }); // 0: (0.7, 0.2) → (0.9, 0.25): mean 0.575, spread +0.15 → 0.425
    table.addHost({ capacity: [20, 20480], used: [6, 10240] }); // 1: (0.3, 0.5) → (0.5, 0.55): mean 0.525, spread −0.15 → 0.675
    table.addHost({ capacity: [20, 20480], used: [0, 0] }); //      2: (0, 0) → (0.2, 0.05): mean 0.125, spread +0.15 → −0.025
    const need = Float64Array.of(4, 1024);
    expect(order({ table }, [packingWeigher()], { need })).toEqual([1, 0, 2]);
    // without the penalty it is mean usage alone: host 0 then 1 then 2
    expect(order({ table }, [packingWeigher({ imbalancePenalty: 0 })], { need })).toEqual([0, 1, 2]);
    // a negative multiplier prefers the opposite
    expect(order({ table }, [packingWeigher({ multiplier: -1 })], { need })).toEqual([2, 0, 1]);
  });

  it('counts the request: balance after placement, not before', () => {
    const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB'] });
    table.addHost({ capacity: [10, 10000], used: [4, 1000] }); // after (1, 4000): 0.5 / 0.5
    table.addHost({ capacity: [10, 10000], used: [4, 5000] }); // after (1, 4000): 0.5 / 0.9
    // nothing requested: every dimension counts, before placement 0.4/0.1 vs 0.4/0.5
    expect(order({ table }, [packingWeigher()], {}, Int32Array.of(0, 1))).toEqual([1, 0]);
    expect(order({ table }, [packingWeigher()], { need: [1, 4000] }, Int32Array.of(0, 1))).toEqual([0, 1]);
  });

  it('weighs only the binding dimensions: asked for, present, and not barely touched by the request', () => {
    const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB', 'DISK_GB'] });
    table.addHost({ capacity: [64, 524288, 8000], used: [48, 200000, 0] }); //    idle disk
    table.addHost({ capacity: [64, 524288, 8000], used: [48, 200000, 7000] }); // full disk, same VCPU and memory
    // 4 vCPU, 16 GiB, 40 GB: the disk share (0.005) is under 0.25 × the vCPU share (0.0625): disk is
    // not binding, the hosts tie (lower id first).
    const need = [4, 16384, 40];
    expect(order({ table }, [packingWeigher()], { need }, Int32Array.of(0, 1))).toEqual([0, 1]);
    // Counting every requested dimension (scarceShare 0), the disk decides.
    expect(order({ table }, [packingWeigher({ scarceShare: 0 })], { need }, Int32Array.of(0, 1))).toEqual([1, 0]);
    // A request for disk alone: only disk is binding.
    expect(order({ table }, [packingWeigher()], { need: [0, 0, 40] }, Int32Array.of(0, 1))).toEqual([1, 0]);
    expect(() => packingWeigher({ scarceShare: 2 })).toThrow(/scarceShare/);
  });

  it('ignores dimensions without capacity', () => {
    const table = new HostTable({ dimensions: ['VCPU', 'DISK_GB'] });
    table.addHost({ capacity: [10, 0] });
    table.addHost({ capacity: [10, 0], used: [5, 0] });
    const r = weighCandidates(Int32Array.of(0, 1), [packingWeigher()], { table }, { need: [1, 80] });
    expect([...r.order]).toEqual([1, 0]);
    expect(r.weights.every((w) => Number.isFinite(w))).toBe(true);
  });
});

describe('ordering and picking', () => {
  it('breaks ties to the lower host id whatever the candidate order', () => {
    const table = new HostTable({ dimensions: DIMS });
    table.addHost({ capacity: [8, 1024, 10] });
    table.addHost({ capacity: [8, 2048, 10] });
    table.addHost({ capacity: [8, 1024, 10] });
    table.addHost({ capacity: [8, 2048, 10] });
    expect(order({ table }, [ramWeigher()], {}, Int32Array.of(3, 2, 1, 0))).toEqual([1, 3, 0, 2]);
  });

  it('reuses a scratch across calls of different sizes', () => {
    const v = world();
    const scratch = new WeighScratch(1);
    expect([...weighCandidates(Int32Array.of(0, 1, 2, 3), [ramWeigher()], v, {}, scratch).order]).toEqual([3, 1, 2, 0]);
    expect([...weighCandidates(Int32Array.of(2, 0), [ramWeigher()], v, {}, scratch).order]).toEqual([2, 0]);
  });

  it('pickFromBest chooses among the first host_subset_size hosts, reproducibly', () => {
    const best = Int32Array.of(9, 4, 7, 1, 3);
    const seen = new Set<number>();
    const rng = seededRng(1);
    for (let i = 0; i < 200; i++) seen.add(pickFromBest(best, 3, rng));
    expect([...seen].sort((a, b) => a - b)).toEqual([4, 7, 9]);
    expect(pickFromBest(best, 1, seededRng(5))).toBe(9);
    expect(pickFromBest(best, 0, seededRng(5))).toBe(9);
    expect(pickFromBest(best, 100, seededRng(5))).toBe(pickFromBest(best, 100, seededRng(5)));
    expect(pickFromBest(new Int32Array(0), 3, seededRng(5))).toBe(-1);
  });
});
