/**
 * Property tests of the scheduling pipeline (src/scheduler/pipeline) on random small worlds (1–5
 * compute nodes, some with a NUMA child holding the VCPU, random reserved / allocation ratios,
 * traits, aggregates and COMPUTE_STATUS_DISABLED, maybe a sharing DISK_GB pool) and random request
 * sequences (1–3 instances, traits, member_of, server groups, avoidHosts). After every request:
 *   (1) no provider's usage exceeds its capacity, (total − reserved) × allocation_ratio;
 *   (2) every selection is on an enabled root, its allocations are the consumer's in placement and
 *       its providers meet the request's required / forbidden traits and member_of (Placement's
 *       rules for the unsuffixed group); an anti-affinity group has at most one member per host and
 *       an affinity group one host;
 *   (3) a request that fails (NoValidHostError) changes no usage and leaves no consumer behind;
 *   (4) the scheduler's host table equals one built afresh from the engine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { HostCache, NoValidHostError, Scheduler, type ScheduleRequest } from '../../../src/scheduler/pipeline/index.js';

const TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE42'];
const AGGS = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002'];
const SHARES = 'MISC_SHARES_VIA_AGGREGATE';

/** undefined two times in three. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: arb, weight: 1 });
}

const inventory = fc.record({
  total: fc.integer({ min: 1, max: 16 }),
  reserved: fc.integer({ min: 0, max: 2 }),
  ratio: fc.constantFrom(1, 1.5, 2),
});

const hostArb = fc.record({
  vcpu: inventory,
  memoryGb: fc.integer({ min: 2, max: 8 }),
  disk: fc.option(fc.integer({ min: 10, max: 200 }), { nil: undefined }),
  numaChild: fc.boolean(),
  traits: fc.subarray(TRAITS),
  aggregates: fc.subarray(AGGS),
  disabled: fc.nat(4).map((n) => n === 0),
});

const worldArb = fc.record({
  hosts: fc.array(hostArb, { minLength: 1, maxLength: 5 }),
  pool: fc.option(fc.record({ disk: fc.integer({ min: 1, max: 300 }), aggregates: fc.subarray(AGGS, { minLength: 1 }) }), { nil: undefined }),
});

const requestArb = fc.record({
  instances: fc.integer({ min: 1, max: 3 }),
  vcpu: fc.integer({ min: 1, max: 4 }),
  memory: fc.integer({ min: 1, max: 8 }).map((n) => n * 256),
  disk: sometimes(fc.integer({ min: 1, max: 40 })),
  required: sometimes(fc.subarray(TRAITS, { minLength: 1 })),
  requiredAnyOf: fc.boolean(),
  forbid: fc.nat(3).map((n) => n === 0),
  memberOf: sometimes(fc.subarray(AGGS, { minLength: 1 })),
  group: fc.constantFrom(undefined, undefined, 'anti-affinity', 'affinity'),
  avoid: sometimes(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 2 })),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;
type Req = typeof requestArb extends fc.Arbitrary<infer R> ? R : never;

function build(world: World): { engine: PlacementEngine; roots: string[] } {
  const engine = new PlacementEngine({ now: () => 1 });
  const roots: string[] = [];
  world.hosts.forEach((h, i) => {
    const root = engine.createProvider({ name: `cn${i}` }).uuid;
    roots.push(root);
    const vcpu = { total: h.vcpu.total, reserved: Math.min(h.vcpu.reserved, h.vcpu.total), allocationRatio: h.vcpu.ratio };
    const inv: Record<string, { total: number; reserved?: number; allocationRatio?: number }> = { MEMORY_MB: { total: h.memoryGb * 1024 } };
    if (h.disk !== undefined) inv.DISK_GB = { total: h.disk };
    if (h.numaChild) {
      const child = engine.createProvider({ name: `cn${i}-numa0`, parentUuid: root }).uuid;
      engine.setInventories(child, null, { VCPU: vcpu });
    } else inv.VCPU = vcpu;
    engine.setInventories(root, null, inv);
    engine.setProviderTraits(root, null, [...h.traits, ...(h.disabled ? ['COMPUTE_STATUS_DISABLED'] : [])]);
    engine.setAggregates(root, null, h.aggregates);
  });
  if (world.pool !== undefined) {
    const pool = engine.createProvider({ name: 'pool' }).uuid;
    engine.setInventories(pool, null, { DISK_GB: { total: world.pool.disk } });
    engine.setProviderTraits(pool, null, [SHARES]);
    engine.setAggregates(pool, null, world.pool.aggregates);
  }
  return { engine, roots };
}

function toRequest(r: Req, roots: readonly string[]): ScheduleRequest {
  const resources: Record<string, number> = { VCPU: r.vcpu, MEMORY_MB: r.memory };
  if (r.disk !== undefined) resources.DISK_GB = r.disk;
  const required = r.required === undefined ? undefined : r.requiredAnyOf ? [r.required] : r.required.map((t) => [t]);
  const forbidden = r.forbid ? TRAITS.filter((t) => !(r.required ?? []).includes(t)).slice(0, 1) : [];
  return {
    instances: r.instances,
    resources,
    ...(required === undefined ? {} : { requiredTraits: required }),
    ...(forbidden.length === 0 ? {} : { forbiddenTraits: forbidden }),
    ...(r.memberOf === undefined ? {} : { memberOf: [r.memberOf] }),
    ...(r.group === undefined ? {} : { serverGroup: { id: r.group === 'affinity' ? 1 : 0, policy: r.group } }),
    avoidHosts: (r.avoid ?? []).flatMap((i) => (roots[i] === undefined ? [] : [roots[i] as string])),
    projectId: 'p',
    userId: 'u',
  };
}

function usages(engine: PlacementEngine): string {
  return JSON.stringify(engine.listProviders().map((p) => [p.uuid, engine.getProviderUsages(p.uuid).usages]));
}

function checkCapacity(engine: PlacementEngine): void {
  for (const p of engine.listProviders()) {
    const inv = engine.getInventories(p.uuid).inventories;
    for (const [rc, used] of Object.entries(engine.getProviderUsages(p.uuid).usages)) {
      const i = inv[rc];
      expect(i).toBeDefined();
      if (i !== undefined) expect(used).toBeLessThanOrEqual((i.total - i.reserved) * i.allocationRatio);
    }
  }
}

function checkTable(s: Scheduler, engine: PlacementEngine, roots: readonly string[]): void {
  const fresh = new HostCache(engine, { follow: false });
  for (const root of roots) {
    const a = s.hostId(root);
    const b = fresh.hostId(root);
    expect([...s.table.capacity.subarray(a * 4, a * 4 + 4)]).toEqual([...fresh.table.capacity.subarray(b * 4, b * 4 + 4)]);
    expect([...s.table.used.subarray(a * 4, a * 4 + 4)]).toEqual([...fresh.table.used.subarray(b * 4, b * 4 + 4)]);
    expect(s.table.isEnabled(a)).toBe(fresh.table.isEnabled(b));
  }
}

/** Placement's rules for the unsuffixed group, on one selection's providers. */
function checkSelection(engine: PlacementEngine, request: ScheduleRequest, hostUuid: string, allocations: Record<string, Record<string, number>>): void {
  const host = engine.getProvider(hostUuid);
  expect(host?.parentUuid).toBeNull();
  expect(engine.getProviderTraits(hostUuid).traits).not.toContain('COMPUTE_STATUS_DISABLED');
  expect(request.avoidHosts ?? []).not.toContain(hostUuid);
  const union = new Set<string>();
  for (const rp of Object.keys(allocations)) {
    const traits = engine.getProviderTraits(rp).traits;
    const sharing = traits.includes(SHARES);
    if (!sharing) expect(engine.getProvider(rp)?.rootUuid).toBe(hostUuid);
    for (const t of traits) union.add(t);
    for (const t of request.forbiddenTraits ?? []) expect(traits).not.toContain(t);
    const inAll = (uuid: string): boolean => {
      const aggs = engine.getAggregates(uuid).aggregates;
      return (request.memberOf ?? []).every((anyOf) => anyOf.some((a) => aggs.includes(a)));
    };
    const root = engine.getProvider(rp)?.rootUuid as string;
    expect(sharing ? inAll(rp) : inAll(rp) || inAll(root)).toBe(true);
  }
  for (const anyOf of request.requiredTraits ?? []) expect(anyOf.some((t) => union.has(t))).toBe(true);
}

describe('Scheduler pipeline (property)', () => {
  it('never over-commits, meets every request it accepts, and leaves nothing behind when it refuses', () => {
    fc.assert(
      fc.property(worldArb, fc.array(requestArb, { minLength: 1, maxLength: 8 }), fc.integer(), fc.integer({ min: 1, max: 3 }), (world, requests, seed, subset) => {
        const { engine, roots } = build(world);
        const s = new Scheduler({ engine, rng: seededRng(seed), hostSubsetSize: subset });
        const antiAffinity = new Map<string, number>();
        const affinity = new Set<string>();
        let placed = 0;
        for (const r of requests) {
          const request = toRequest(r, roots);
          const before = usages(engine);
          const consumersBefore = engine.getUsagesByConsumerType({ projectId: 'p' }).INSTANCE?.consumerCount ?? 0;
          try {
            const result = s.schedule(request);
            expect(result.selections).toHaveLength(request.instances);
            for (const sel of result.selections) {
              checkSelection(engine, request, sel.hostUuid, sel.allocations);
              const held = engine.getConsumerAllocations(sel.consumerUuid)?.allocations ?? {};
              expect(Object.fromEntries(Object.entries(held).map(([rp, a]) => [rp, a.resources]))).toEqual(sel.allocations);
              if (request.serverGroup?.policy === 'anti-affinity') antiAffinity.set(sel.hostUuid, (antiAffinity.get(sel.hostUuid) ?? 0) + 1);
              if (request.serverGroup?.policy === 'affinity') affinity.add(sel.hostUuid);
            }
            placed += request.instances;
          } catch (e) {
            if (!(e instanceof NoValidHostError)) throw e;
            expect(usages(engine)).toBe(before);
            expect(engine.getUsagesByConsumerType({ projectId: 'p' }).INSTANCE?.consumerCount ?? 0).toBe(consumersBefore);
          }
          expect(engine.getUsagesByConsumerType({ projectId: 'p' }).INSTANCE?.consumerCount ?? 0).toBe(placed);
          for (const n of antiAffinity.values()) expect(n).toBe(1);
          expect(affinity.size).toBeLessThanOrEqual(1);
          checkCapacity(engine);
          checkTable(s, engine, roots);
        }
      }),
      { numRuns: 150 },
    );
  }, 10_000);
});
