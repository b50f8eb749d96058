import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import {
  CapacityIndex,
  HostTable,
  NO_FILTER,
  ReferenceScan,
  SchedulerCapacityError,
  type HostFilter,
  type HostFinder,
} from '../../../src/scheduler/hosts/index.js';

const DIMS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
const AVX2 = 0;
const SSD = 1;
const GPU = 2;
const RACK_A = 0;
const RACK_B = 1;

/**
 * Five hosts:
 *   0: 16 / 32768 / 1000, used 12 / 16384 / 0    AVX2, rack A
 *   1: 32 / 65536 / 1000, used 0                  AVX2 SSD, rack A
 *   2: 8 / 16384 / 500, used 8 / 0 / 0 (no VCPU)  rack B
 *   3: 64 / 131072 / 2000, used 16 / 0 / 0        SSD GPU, rack B, disabled
 *   4: 16 / 32768 / 1000, used 4 / 8192 / 100     AVX2, rack A and B
 */
function world(): { table: HostTable; index: CapacityIndex; ref: ReferenceScan } {
  const table = new HostTable({ dimensions: DIMS });
  table.addHost({ capacity: [16, 32768, 1000], used: [12, 16384, 0], traits: [AVX2], aggregates: [RACK_A], failureDomain: 0 });
  table.addHost({ capacity: [32, 65536, 1000], traits: [AVX2, SSD], aggregates: [RACK_A], failureDomain: 0 });
  table.addHost({ capacity: [8, 16384, 500], used: [8, 0, 0], aggregates: [RACK_B], failureDomain: 1 });
  table.addHost({ capacity: [64, 131072, 2000], used: [16, 0, 0], traits: [SSD, GPU], aggregates: [RACK_B], enabled: false, failureDomain: 1 });
  table.addHost({ capacity: [16, 32768, 1000], used: [4, 8192, 100], traits: [AVX2], aggregates: [RACK_A, RACK_B], failureDomain: 2 });
  const index = new CapacityIndex(table);
  return { table, index, ref: new ReferenceScan(table) };
}

function fits(finder: HostFinder, need: number[], filter: HostFilter = NO_FILTER): number[] {
  const out: number[] = [];
  finder.forEachFit(need, filter, (h) => {
    out.push(h);
  });
  return out;
}

describe('HostTable', () => {
  it('keeps capacity and usage per host and dimension', () => {
    const { table } = world();
    expect(table.count).toBe(5);
    expect(table.dimensionIndex('MEMORY_MB')).toBe(1);
    expect(table.free(0, 0)).toBe(4);
    expect(table.free(0, 1)).toBe(16384);
    expect(table.free(2, 0)).toBe(0);
    expect(table.failureDomain[4]).toBe(2);
    expect(table.hasTrait(1, SSD)).toBe(true);
    expect(table.hasTrait(0, SSD)).toBe(false);
    expect(table.inAggregate(4, RACK_B)).toBe(true);
    expect(table.isEnabled(3)).toBe(false);
  });

  it('claims and releases all dimensions at once', () => {
    const { table } = world();
    table.claim(1, [8, 16384, 100]);
    expect([table.free(1, 0), table.free(1, 1), table.free(1, 2)]).toEqual([24, 49152, 900]);
    table.release(1, [8, 16384, 100]);
    expect([table.free(1, 0), table.free(1, 1), table.free(1, 2)]).toEqual([32, 65536, 1000]);
  });

  it('refuses a claim that does not fit, with ERR_SCHEDULER_CAPACITY, and changes nothing', () => {
    const { table } = world();
    let caught: unknown;
    try {
      table.claim(0, [2, 32768, 0]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SchedulerCapacityError);
    expect(isTstackError(caught, 'ERR_SCHEDULER_CAPACITY')).toBe(true);
    expect((caught as SchedulerCapacityError).dimension).toBe('MEMORY_MB');
    expect(table.free(0, 0)).toBe(4);
    expect(table.tryClaim(0, [5, 0, 0])).toBe(false);
    expect(table.tryClaim(0, [4, 0, 0])).toBe(true);
    expect(table.free(0, 0)).toBe(0);
  });

  it('refuses bad input: unknown host, wrong arity, negative amounts, releasing more than used', () => {
    const { table } = world();
    expect(() => table.claim(9, [1, 1, 1])).toThrow(/no host 9/);
    expect(() => table.claim(0, [1, 1])).toThrow(/2 values for 3 dimensions/);
    expect(() => table.claim(0, [-1, 0, 0])).toThrow(/≥ 0/);
    expect(() => table.claim(0, [Number.NaN, 0, 0])).toThrow(/≥ 0/);
    expect(() => table.release(1, [1, 0, 0])).toThrow(/only 0 used/);
    expect(() => new HostTable({ dimensions: ['A', 'A'] })).toThrow(/distinct/);
  });

  it('setCapacity below usage leaves the host fitting nothing in that dimension', () => {
    const { table, index, ref } = world();
    table.setCapacity(0, [8, 32768, 1000]);
    expect(table.free(0, 0)).toBe(-4);
    expect(fits(index, [1, 0, 0])).toEqual([1, 4]);
    expect(fits(ref, [1, 0, 0])).toEqual([1, 4]);
    // A request not needing VCPU still fits it.
    expect(index.firstFit([0, 1024, 0], NO_FILTER)).toBe(0);
  });

  it('accounts its memory', () => {
    const table = new HostTable({ dimensions: DIMS, initialHosts: 1024 });
    for (let i = 0; i < 1024; i++) table.addHost({ capacity: [1, 1, 1], traits: [0], aggregates: [i % 4] });
    const m = table.memory();
    expect(m.capacityAndUsedBytes).toBe(1024 * 3 * 8 * 2);
    expect(m.flagsBytes).toBe(1024 * 5);
    expect(m.traitBytes).toBe(1024 / 8);
    expect(m.aggregateBytes).toBe((4 * 1024) / 8);
    expect(table.bytesPerHost()).toBeCloseTo(48 + 5 + 1 / 8 + 4 / 8);
  });

  it('score buckets: pack and spread over heterogeneous capacities, any bucket count', () => {
    for (const scoreBuckets of [undefined, 1, 2, 64, 4096]) {
      const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB'] });
      const index = new CapacityIndex(table, scoreBuckets === undefined ? {} : { scoreBuckets });
      const ref = new ReferenceScan(table);
      // Free ratios before placing [2, 1024]: host 0 is the fullest by ratio, but host 1's small
      // capacity makes it the tightest after placement: (4 − 2)/8 = 0.25 vs (40 − 2)/128 ≈ 0.30.
      table.addHost({ capacity: [128, 65536], used: [88, 0] }); // 40 free of 128
      table.addHost({ capacity: [8, 65536], used: [4, 0] }); // 4 free of 8
      table.addHost({ capacity: [64, 8192], used: [0, 4096] }); // memory binding: (4096 − 1024)/8192 = 0.375
      table.addHost({ capacity: [0, 65536] }); // no VCPU: fits only requests without VCPU
      const need = [2, 1024];
      expect(index.bestFit(need, NO_FILTER)).toBe(1);
      expect(index.bestFit(need, NO_FILTER)).toBe(ref.bestFit(need, NO_FILTER));
      expect(index.worstFit(need, NO_FILTER)).toBe(ref.worstFit(need, NO_FILTER));
      // Memory only: hosts 0, 1 and 3 all keep 64512/65536: the tie goes to host 0.
      expect(index.worstFit([0, 1024], NO_FILTER)).toBe(0);
      expect(index.worstFit([0, 1024], { excludedHosts: [0, 1] })).toBe(3);
      expect(index.bestFit([0, 0], NO_FILTER)).toBe(ref.bestFit([0, 0], NO_FILTER));
      table.claim(1, [4, 0]);
      expect(index.bestFit(need, NO_FILTER)).toBe(0);
      table.setCapacity(0, [0, 65536]);
      expect(index.bestFit(need, NO_FILTER)).toBe(2);
      expect(index.worstFit(need, NO_FILTER)).toBe(2);
      expect(index.bestFit([200, 0], NO_FILTER)).toBe(-1);
      expect(index.worstFit([200, 0], NO_FILTER)).toBe(-1);
    }
  });

  it('refuses a bad bucket count and accounts the buckets in bytes()', () => {
    const table = new HostTable({ dimensions: DIMS });
    expect(() => new CapacityIndex(table, { scoreBuckets: 0 })).toThrow(/scoreBuckets/);
    expect(() => new CapacityIndex(table, { scoreBuckets: 1.5 })).toThrow(/scoreBuckets/);
    const index = new CapacityIndex(table, { scoreBuckets: 8 });
    expect(() => new CapacityIndex(table, { idWalkMin: 0 })).toThrow(/idWalkMin/);
    expect(() => new CapacityIndex(table, { idBlockShift: 16 })).toThrow(/idBlockShift/);
    // Tree: 2 nodes × 3 dims × 8 B; buckets: 3 Int32 per host slot and dimension, 9 slots of heads and
    // counts, 2 × 27 bounds, 27 capacity minima, maxima and free minima, 2 × 3 capacity bounds; the
    // id-order scan: 27 slots × 1 block of Uint16 counts, and one Uint32 word of non-empty bits per
    // dimension; the settled tails: 27 Int32 marks and 27 × 3 bounds; one group bound of 3 per
    // dimension and word.
    expect(index.bytes()).toBe(2 * 3 * 8 + 3 * 3 * 4 + 2 * 27 * 4 + 2 * 27 * 3 * 8 + 3 * 27 * 8 + 2 * 3 * 8 + 27 * 2 + 3 * 4 + 27 * 4 + 27 * 3 * 8 + 3 * 3 * 8);
  });

  it('grows past its initial room and the index follows', () => {
    const table = new HostTable({ dimensions: ['VCPU'] });
    const index = new CapacityIndex(table);
    for (let i = 0; i < 100; i++) table.addHost({ capacity: [i], traits: i % 2 === 0 ? [3] : [] });
    expect(index.firstFit([50], NO_FILTER)).toBe(50);
    expect(index.firstFit([50], { requiredTraits: [3] })).toBe(50);
    expect(index.firstFit([51], { requiredTraits: [3] })).toBe(52);
    expect(index.maxFree(0)).toBe(99);
    expect(index.firstFit([100], NO_FILTER)).toBe(-1);
  });
});

describe.each([
  ['CapacityIndex', (w: ReturnType<typeof world>): HostFinder => w.index],
  ['ReferenceScan', (w: ReturnType<typeof world>): HostFinder => w.ref],
])('%s queries', (_name, pick) => {
  it('forEachFit: capacity, in host-id order, enabled only by default', () => {
    const f = pick(world());
    expect(fits(f, [2, 1024, 10])).toEqual([0, 1, 4]);
    expect(fits(f, [5, 1024, 10])).toEqual([1, 4]);
    expect(fits(f, [13, 0, 0])).toEqual([1]);
    expect(fits(f, [13, 0, 0], { includeDisabled: true })).toEqual([1, 3]);
    expect(fits(f, [0, 0, 0])).toEqual([0, 1, 2, 4]);
    expect(fits(f, [1000, 0, 0])).toEqual([]);
  });

  it('forEachFit stops when the visitor returns false', () => {
    const f = pick(world());
    const seen: number[] = [];
    const n = f.forEachFit([1, 0, 0], NO_FILTER, (h) => {
      seen.push(h);
      return seen.length < 2;
    });
    expect(seen).toEqual([0, 1]);
    expect(n).toBe(2);
  });

  it('filters: required and forbidden traits, aggregates any-of, excluded hosts', () => {
    const f = pick(world());
    const need = [1, 1024, 10];
    expect(fits(f, need, { requiredTraits: [AVX2] })).toEqual([0, 1, 4]);
    expect(fits(f, need, { requiredTraits: [AVX2, SSD] })).toEqual([1]);
    expect(fits(f, need, { forbiddenTraits: [SSD] })).toEqual([0, 4]);
    expect(fits(f, need, { requiredTraits: [SSD], includeDisabled: true })).toEqual([1, 3]);
    expect(fits(f, need, { requiredTraits: [GPU] })).toEqual([]);
    expect(fits(f, need, { requiredTraits: [17] })).toEqual([]);
    expect(fits(f, need, { forbiddenTraits: [17] })).toEqual([0, 1, 4]);
    expect(fits(f, [0, 0, 0], { aggregatesAnyOf: [RACK_B] })).toEqual([2, 4]);
    expect(fits(f, need, { aggregatesAnyOf: [RACK_B, RACK_A] })).toEqual([0, 1, 4]);
    expect(fits(f, need, { aggregatesAnyOf: [] })).toEqual([0, 1, 4]);
    expect(fits(f, need, { excludedHosts: [1, 0] })).toEqual([4]);
    expect(f.firstFit(need, { excludedHosts: [0] })).toBe(1);
  });

  it('firstFit, bestFit (pack on the binding dimension) and worstFit (spread)', () => {
    const f = pick(world());
    const need = [2, 4096, 10];
    expect(f.firstFit(need, NO_FILTER)).toBe(0);
    // After placement: host 0 has (4−2)/16 = 0.125 VCPU left (binding), host 1 has 30/32, host 4 10/16.
    expect(f.bestFit(need, NO_FILTER)).toBe(0);
    expect(f.worstFit(need, NO_FILTER)).toBe(1);
    // Host 3 (disabled) would keep 46/64 = 0.72 VCPU; host 1 keeps 30/32; host 4 keeps 10/16.
    expect(f.worstFit(need, { includeDisabled: true })).toBe(1);
    expect(f.worstFit(need, { includeDisabled: true, excludedHosts: [1] })).toBe(3);
    expect(f.bestFit(need, { excludedHosts: [0] })).toBe(4);
    expect(f.bestFit([100, 0, 0], NO_FILTER)).toBe(-1);
    expect(f.worstFit([100, 0, 0], NO_FILTER)).toBe(-1);
    // Memory binding: host 0 has 16384 left of 32768, host 4 has 24576 → (24576−16384)/32768 = 0.25.
    expect(f.bestFit([0, 16384, 0], NO_FILTER)).toBe(0);
    expect(f.bestFit([0, 16385, 0], NO_FILTER)).toBe(4);
  });

  it('ties go to the lower host id', () => {
    const table = new HostTable({ dimensions: ['VCPU'] });
    for (let i = 0; i < 6; i++) table.addHost({ capacity: [8], used: [i % 2 === 0 ? 4 : 0] });
    const w = { table, index: new CapacityIndex(table), ref: new ReferenceScan(table) };
    const f = pick(w);
    expect(f.bestFit([1], NO_FILTER)).toBe(0);
    expect(f.worstFit([1], NO_FILTER)).toBe(1);
    expect(f.bestFit([4], NO_FILTER)).toBe(0); // exact fit: score 0
  });

  it('answers follow claims and releases', () => {
    const w = world();
    const f = pick(w);
    w.table.claim(1, [20, 0, 0]);
    expect(fits(f, [13, 0, 0])).toEqual([]);
    expect(f.worstFit([1, 0, 0], NO_FILTER)).toBe(4);
    w.table.release(1, [20, 0, 0]);
    expect(fits(f, [13, 0, 0])).toEqual([1]);
    w.table.setEnabled(3, true);
    expect(fits(f, [13, 0, 0])).toEqual([1, 3]);
  });
});
