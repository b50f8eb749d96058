/**
 * The host table follows the placement engine's change log: after every random engine operation —
 * providers created (roots and children), deleted and re-parented, inventories set and deleted,
 * traits (COMPUTE_STATUS_DISABLED, MISC_SHARES_VIA_AGGREGATE) and aggregates set, allocations
 * written, rewritten to other providers and deleted by other actors, reshapes — the table a
 * HostCache keeps by following equals one built from scratch from the engine (capacity, usage,
 * enabled, traits, aggregates, unit rules per host), its `flat` flag is right, and a capacity index
 * attached to the followed table answers as a plain scan of the fresh one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { CapacityIndex } from '../../../src/scheduler/hosts/capacity-index.js';
import { ReferenceScan } from '../../../src/scheduler/hosts/reference-scan.js';
import { HOST_DIMENSIONS, HostCache } from '../../../src/scheduler/pipeline/host-cache.js';

const TRAITS = ['HW_CPU_X86_AVX2', 'COMPUTE_STATUS_DISABLED', 'MISC_SHARES_VIA_AGGREGATE'];
const AGGS = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002'];
const RCS = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'PCPU'];
const P = 6;
const uuidOf = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const consumerOf = (i: number): string => `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`;

const invArb = fc.dictionary(
  fc.constantFrom(...RCS),
  fc.record({ total: fc.integer({ min: 1, max: 64 }), reserved: fc.integer({ min: 0, max: 2 }), allocationRatio: fc.constantFrom(1, 1.5, 4), maxUnit: fc.integer({ min: 1, max: 64 }) }),
  { maxKeys: 4 },
);

const opArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), p: fc.nat(P - 1), parent: fc.option(fc.nat(P - 1), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), p: fc.nat(P - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reparent' as const), p: fc.nat(P - 1), parent: fc.nat(P - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('inventory' as const), p: fc.nat(P - 1), inv: invArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteInventory' as const), p: fc.nat(P - 1), rc: fc.constantFrom(...RCS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('traits' as const), p: fc.nat(P - 1), traits: fc.subarray(TRAITS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('aggregates' as const), p: fc.nat(P - 1), aggs: fc.subarray(AGGS) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('allocate' as const),
      c: fc.nat(5),
      parts: fc.array(fc.record({ p: fc.nat(4), rc: fc.constantFrom(...RCS), n: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), c: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reshape' as const), p: fc.nat(P - 1), inv: invArb }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;

function apply(engine: PlacementEngine, op: Op): void {
  const u = uuidOf('p' in op ? op.p : 0);
  switch (op.kind) {
    case 'create':
      engine.createProvider({ name: `p${op.p}`, uuid: u, ...(op.parent === undefined ? {} : { parentUuid: uuidOf(op.parent) }) });
      return;
    case 'delete':
      engine.deleteProvider(u);
      return;
    case 'reparent':
      engine.updateProvider(u, { name: `p${op.p}`, parentUuid: uuidOf(op.parent) });
      return;
    case 'inventory':
      engine.setInventories(u, null, op.inv);
      return;
    case 'deleteInventory':
      engine.deleteInventory(u, null, op.rc);
      return;
    case 'traits':
      engine.setProviderTraits(u, null, op.traits);
      return;
    case 'aggregates':
      engine.setAggregates(u, null, op.aggs);
      return;
    case 'allocate': {
      const allocations: Record<string, Record<string, number>> = {};
      for (const part of op.parts) (allocations[uuidOf(part.p)] ??= {})[part.rc] = part.n;
      engine.setAllocations({ consumerUuid: consumerOf(op.c), allocations, projectId: 'p', userId: 'u' });
      return;
    }
    case 'free':
      engine.deleteAllocations(consumerOf(op.c));
      return;
    case 'reshape': {
      const generation = engine.getInventories(u).generation;
      engine.reshape({ inventories: { [u]: { generation, inventories: op.inv } }, allocations: [] });
      return;
    }
  }
}

function row(cache: HostCache, uuid: string): unknown {
  const t = cache.table;
  const h = cache.hostId(uuid);
  if (h < 0) return null;
  const D = HOST_DIMENSIONS.length;
  const traits = TRAITS.filter((name) => t.hasTrait(h, cache.traitId(name)));
  const aggs = AGGS.filter((a) => t.inAggregate(h, cache.aggregateId(a)));
  return {
    capacity: [...t.capacity.subarray(h * D, h * D + D)],
    used: [...t.used.subarray(h * D, h * D + D)],
    enabled: t.isEnabled(h),
    traits,
    aggs,
    maxUnit: [...cache.maxUnit.subarray(h * D, h * D + D)],
  };
}

describe('HostCache follows the engine (property)', () => {
  it('equals a table rebuilt from scratch after every random engine operation', () => {
    let applied = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const engine = new PlacementEngine({ now: () => 1 });
        // A start: four roots with inventory (the ops then create, change and delete around them).
        for (let i = 0; i < 4; i++) {
          engine.createProvider({ name: `p${i}`, uuid: uuidOf(i) });
          engine.setInventories(uuidOf(i), null, { VCPU: { total: 32 }, MEMORY_MB: { total: 4096 }, DISK_GB: { total: 100 }, PCPU: { total: 8 } });
        }
        const followed = new HostCache(engine);
        const index = new CapacityIndex(followed.table);
        for (const op of ops) {
          try {
            apply(engine, op);
            applied++;
          } catch (e) {
            if (!isTstackError(e)) throw e;
          }
          const fresh = new HostCache(engine, { follow: false });
          for (const p of engine.listProviders()) expect(row(followed, p.uuid), `${p.uuid} after ${JSON.stringify(op)}`).toEqual(row(fresh, p.uuid));
          for (let i = 0; i < P; i++) if (engine.getProvider(uuidOf(i)) === undefined) expect(followed.hostId(uuidOf(i))).toBe(-1);
          const providers = engine.listProviders();
          const sharing = providers.some((p) => engine.getProviderTraits(p.uuid).traits.includes('MISC_SHARES_VIA_AGGREGATE'));
          expect(followed.flat).toBe(!sharing && providers.every((p) => p.parentUuid === null));
          // The index on the followed table answers as a scan of the fresh one (host ids may differ: compare uuids).
          const need = Float64Array.of(1, 1, 0, 0);
          const a = index.bestFit(need, {});
          const b = new ReferenceScan(fresh.table).bestFit(need, {});
          const score = (c: HostCache, h: number): unknown => (h < 0 ? null : row(c, c.hostUuid(h)));
          expect(score(followed, a)).toEqual(score(fresh, b));
        }
        index.detach();
        followed.close();
      }),
      { numRuns: 300 },
    );
    expect(applied).toBeGreaterThan(500);
  }, 60_000);
});
