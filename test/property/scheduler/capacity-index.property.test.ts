/**
 * Property test of the capacity index (src/scheduler/hosts): on random host tables (1–300 hosts,
 * 1–4 dimensions, small integer capacities so that ties and exact fits are common, random usage,
 * traits, aggregates, disabled hosts) and random sequences of claims, releases, capacity changes,
 * host additions and flag changes interleaved with random queries:
 *   (1) the indexed answers equal the reference scan's exactly: forEachFit (order and set, also when
 *       stopped early), firstFit, bestFit, worstFit, and the k best of both (bestFitMany, worstFitMany);
 *   (2) both agree with a direct check of every host written here from the rules;
 *   (3) a claim succeeds iff it fits, usage never exceeds capacity through a claim, and a refused
 *       claim throws ERR_SCHEDULER_CAPACITY and changes nothing.
 * Capacities differ per host and dimension (0–16, zero included). A second run uses "wide" tables:
 * capacities from 0 to 10⁶ (integers and fractions, per host), fractional usage and requests, so
 * that the score buckets' bounds (free ratio − need/capacity) meet heterogeneous capacities and
 * rounding. Each run picks the index's number of score buckets (1 … 1024 or the default), so that
 * buckets hold from every host to a few, and when bestFit scans a bucket in host id order with its
 * early stop (idWalkMin: every bucket, a few, or the default's large ones only; blocks of 1 … 512
 * ids). Filters carry an `accept` predicate (as the pipeline's stages) that rejects some hosts, so
 * that searches which run it only on hosts that would enter the k best are checked too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { CapacityIndex, HostTable, placementScore, ReferenceScan, type HostFilter, type HostSpec } from '../../../src/scheduler/hosts/index.js';

const TRAITS = 6;
const AGGS = 4;

/** A capacity: small integers, or (wide) anything from 0 to 10⁶, integer or not. */
const capacityArb = (wide: boolean): fc.Arbitrary<number> =>
  wide
    ? fc.oneof(
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1_000_000, noNaN: true, noDefaultInfinity: true }),
      )
    : fc.integer({ min: 0, max: 16 });

const hostArb = (dims: number, wide: boolean): fc.Arbitrary<HostSpec> =>
  fc
    .record({
      capacity: fc.array(capacityArb(wide), { minLength: dims, maxLength: dims }),
      usedFrac: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: dims, maxLength: dims }),
      enabled: fc.boolean(),
      traits: fc.uniqueArray(fc.integer({ min: 0, max: TRAITS - 1 }), { maxLength: 3 }),
      aggregates: fc.uniqueArray(fc.integer({ min: 0, max: AGGS - 1 }), { maxLength: 2 }),
    })
    .map((r) => ({
      // Usage: 0, ¼, ½, ¾ or all of capacity, so many hosts are full.
      capacity: r.capacity,
      used: r.capacity.map((c, d) => (wide ? (c * (r.usedFrac[d] as number)) / 4 : Math.floor((c * (r.usedFrac[d] as number)) / 4))),
      enabled: r.enabled || r.traits.length % 2 === 0,
      traits: r.traits,
      aggregates: r.aggregates,
    }));

const filterArb: fc.Arbitrary<HostFilter> = fc.record(
  {
    requiredTraits: fc.uniqueArray(fc.integer({ min: 0, max: TRAITS }), { maxLength: 2 }),
    forbiddenTraits: fc.uniqueArray(fc.integer({ min: 0, max: TRAITS }), { maxLength: 2 }),
    aggregatesAnyOf: fc.uniqueArray(fc.integer({ min: 0, max: AGGS }), { maxLength: 2 }),
    includeDisabled: fc.boolean(),
    excludedHosts: fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 4 }),
    accept: fc.integer({ min: 2, max: 5 }).map((m) => (h: number) => h % m !== 1),
  },
  { requiredKeys: [] },
);

type Command =
  | { kind: 'claim'; host: number; amounts: number[] }
  | { kind: 'release'; host: number; frac: number }
  | { kind: 'setCapacity'; host: number; capacity: number[] }
  | { kind: 'add'; spec: HostSpec }
  | { kind: 'toggle'; host: number; trait: number; enabled: boolean }
  | { kind: 'query'; need: number[]; filter: HostFilter; stopAfter: number };

const amountsArb = (dims: number, max: number, wide: boolean): fc.Arbitrary<number[]> =>
  fc.array(
    wide
      ? fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max }),
          fc.double({ min: 0, max: max * 10_000, noNaN: true, noDefaultInfinity: true }),
          fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }),
        )
      : fc.oneof(fc.constant(0), fc.integer({ min: 0, max })),
    { minLength: dims, maxLength: dims },
  );

const commandArb = (dims: number, wide: boolean): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), host: fc.nat(400), amounts: amountsArb(dims, 10, wide) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), host: fc.nat(400), frac: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('setCapacity' as const), host: fc.nat(400), capacity: amountsArb(dims, 20, wide) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), spec: hostArb(dims, wide) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('toggle' as const), host: fc.nat(400), trait: fc.nat(TRAITS - 1), enabled: fc.boolean() }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('query' as const),
        need: amountsArb(dims, 12, wide),
        filter: filterArb,
        stopAfter: fc.integer({ min: 0, max: 5 }),
      }),
    },
  );

const scenarioArb = (wide: boolean) =>
  fc.integer({ min: 1, max: 4 }).chain((dims) =>
    fc.record({
      dims: fc.constant(dims),
      // Score buckets per dimension (undefined: the index's default).
      buckets: fc.constantFrom(undefined, 1, 2, 3, 16, 64, 1024),
      // bestFit's id-order scan of large buckets: on every bucket, from a few hosts, or the default.
      walkMin: fc.constantFrom(undefined, 1, 4),
      blockShift: fc.constantFrom(undefined, 0, 1, 3),
      hosts: fc.array(hostArb(dims, wide), { minLength: 1, maxLength: 300, size: 'max' }),
      commands: fc.array(commandArb(dims, wide), { maxLength: 60, size: 'max' }),
    }),
  );

/** Direct check of one host from the rules, independent of the library's own helpers. */
function directFits(table: HostTable, h: number, need: readonly number[], f: HostFilter): boolean {
  for (let d = 0; d < table.dims; d++) {
    const n = need[d] as number;
    if (n > 0 && table.free(h, d) < n) return false;
  }
  if (f.includeDisabled !== true && !table.isEnabled(h)) return false;
  if ((f.excludedHosts ?? []).includes(h)) return false;
  if (!(f.requiredTraits ?? []).every((t) => table.hasTrait(h, t))) return false;
  if ((f.forbiddenTraits ?? []).some((t) => table.hasTrait(h, t))) return false;
  const aggs = f.aggregatesAnyOf ?? [];
  if (aggs.length > 0 && !aggs.some((a) => table.inAggregate(h, a))) return false;
  return f.accept === undefined || f.accept(h);
}

function collect(finder: { forEachFit: ReferenceScan['forEachFit'] }, need: number[], f: HostFilter, stopAfter: number): number[] {
  const out: number[] = [];
  finder.forEachFit(need, f, (h) => {
    out.push(h);
    return stopAfter === 0 || out.length < stopAfter;
  });
  return out;
}

describe.each([
  ['small integer capacities', false],
  ['wide, fractional capacities and requests', true],
])('capacity index vs reference scan (%s)', (_name, wide) => {
  it('gives identical answers along random claim/release/query sequences; claims never overcommit', () => {
    fc.assert(
      fc.property(scenarioArb(wide), ({ dims, buckets, walkMin, blockShift, hosts, commands }) => {
        const table = new HostTable({ dimensions: Array.from({ length: dims }, (_, d) => `R${d}`) });
        const options = {
          ...(buckets === undefined ? {} : { scoreBuckets: buckets }),
          ...(walkMin === undefined ? {} : { idWalkMin: walkMin }),
          ...(blockShift === undefined ? {} : { idBlockShift: blockShift }),
        };
        // Half the runs build the index over a filled table, half let it follow every addHost.
        let index: CapacityIndex | undefined = hosts.length % 2 === 0 ? new CapacityIndex(table, options) : undefined;
        for (const spec of hosts) table.addHost(spec);
        index ??= new CapacityIndex(table, options);
        const ref = new ReferenceScan(table);

        const runQuery = (need: number[], filter: HostFilter, stopAfter: number): void => {
          const expected: number[] = [];
          for (let h = 0; h < table.count; h++) if (directFits(table, h, need, filter)) expected.push(h);
          const all = collect(index, need, filter, 0);
          expect(all).toEqual(expected);
          expect(collect(ref, need, filter, 0)).toEqual(expected);
          expect(collect(index, need, filter, stopAfter)).toEqual(collect(ref, need, filter, stopAfter));
          expect(index.firstFit(need, filter)).toBe(expected[0] ?? -1);
          expect(ref.firstFit(need, filter)).toBe(expected[0] ?? -1);
          expect(index.bestFit(need, filter)).toBe(ref.bestFit(need, filter));
          expect(index.worstFit(need, filter)).toBe(ref.worstFit(need, filter));
          // The k best (alternates): the same hosts in the same order.
          for (const k of [2, 5]) {
            const a = new Int32Array(k);
            const b = new Int32Array(k);
            expect([...a.subarray(0, index.bestFitMany(need, filter, k, a))]).toEqual([...b.subarray(0, ref.bestFitMany(need, filter, k, b))]);
            expect([...a.subarray(0, index.worstFitMany(need, filter, k, a))]).toEqual([...b.subarray(0, ref.worstFitMany(need, filter, k, b))]);
          }
          // And against the rules directly: least (greatest) score, ties to the lower id.
          let pack = -1;
          let spread = -1;
          for (const h of expected) {
            const s = placementScore(table, h, need);
            if (pack < 0 || s < placementScore(table, pack, need)) pack = h;
            if (spread < 0 || s > placementScore(table, spread, need)) spread = h;
          }
          expect(ref.bestFit(need, filter)).toBe(pack);
          expect(ref.worstFit(need, filter)).toBe(spread);
          if (expected.length === 0) expect(index.bestFit(need, filter)).toBe(-1);
        };

        for (const c of commands) {
          switch (c.kind) {
            case 'claim': {
              const h = c.host % table.count;
              const before = Array.from({ length: dims }, (_, d) => table.free(h, d));
              const usedBefore = Array.from({ length: dims }, (_, d) => table.used[h * dims + d] as number);
              const ok = c.amounts.every((a, d) => a <= 0 || (before[d] as number) >= a);
              let error: unknown;
              try {
                table.claim(h, c.amounts);
              } catch (e) {
                error = e;
              }
              if (ok) {
                expect(error).toBeUndefined();
                for (let d = 0; d < dims; d++) {
                  const a = c.amounts[d] as number;
                  expect(table.used[h * dims + d]).toBe((usedBefore[d] as number) + a);
                  if (!wide) expect(table.free(h, d)).toBe((before[d] as number) - a);
                  // With fractions, used + a may round one ulp past capacity although capacity − used ≥ a.
                  const cap = table.capacity[h * dims + d] as number;
                  if (a > 0) expect(table.used[h * dims + d]).toBeLessThanOrEqual(wide ? cap * (1 + 1e-15) + 1e-300 : cap);
                }
              } else {
                expect(isTstackError(error, 'ERR_SCHEDULER_CAPACITY')).toBe(true);
                for (let d = 0; d < dims; d++) expect(table.free(h, d)).toBe(before[d]);
              }
              break;
            }
            case 'release': {
              const h = c.host % table.count;
              const amounts = Array.from({ length: dims }, (_, d) => Math.floor(((table.used[h * dims + d] as number) * c.frac) / 4));
              table.release(h, amounts);
              break;
            }
            case 'setCapacity':
              table.setCapacity(c.host % table.count, c.capacity);
              break;
            case 'add':
              table.addHost(c.spec);
              break;
            case 'toggle': {
              const h = c.host % table.count;
              table.setTrait(h, c.trait, !table.hasTrait(h, c.trait));
              table.setEnabled(h, c.enabled);
              break;
            }
            case 'query':
              runQuery(c.need, c.filter, c.stopAfter);
              break;
          }
        }
        // And a final sweep of simple requests over the end state (each dimension alone, and all).
        for (let a = 0; a <= 8; a += 2) runQuery(Array.from({ length: dims }, (_, d) => (d === 0 ? a : a >> 1)), {}, 0);
        for (let d = 0; d < dims; d++) {
          for (const a of [1, 3, 0.5]) runQuery(Array.from({ length: dims }, (_, e) => (e === d ? a : 0)), {}, 0);
        }
      }),
      { numRuns: 150 },
    );
  }, 20_000);
});
