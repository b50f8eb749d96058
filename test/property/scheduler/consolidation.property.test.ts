/**
 * Property tests of consolidation (src/scheduler/consolidation) on random flat worlds (2–7 compute
 * nodes, random capacity, traits, aggregates, some disabled, some with NUMA cells, PCPU and a GPU, maybe
 * HCI reserves, maybe the N+1 HA reserve over random failure domains) filled by random requests
 * (spread, so hosts are left part-used: traits, member_of, anti-affinity groups with
 * max_server_per_host 1–2, an affinity group, NUMA-pinned guests, some with a GPU), then a plan with a random budget
 * and seed:
 *   (1) planning changes nothing (placement, the host table, NUMA pinning, group members), and the
 *       same seed gives the same plan;
 *   (2) the plan drains hosts all or nothing (a drained host's moves are exactly its consumers; no
 *       move from another host), never onto a drained host, within the budget;
 *   (3) executed, it leaves the drained hosts empty, every other host's consumers in place, total
 *       usage conserved, and no hard constraint violated: capacity, enabled hosts, required /
 *       forbidden traits and member_of, anti-affinity (≤ max_server_per_host), affinity (one host),
 *       pinned pCPUs = PCPU in use on every host (none pinned twice), devices in use = the guests
 *       asking a device (PCI, NUMA affinity required) on the host, the HCI reserve on every
 *       destination and, with the HA reserve, N+1 over failure domains without the drained hosts;
 *       the scheduler's host table equals one rebuilt from the engine;
 *   (4) executed with a migration failing, the world is exactly as before.
 * And on a bare host table (TableWorld, what the packing bench runs; capacity only, 2–40 hosts of
 * random shapes, some disabled, random VMs): the plan is the same over the capacity index and the
 * reference scan and for the same seed, leaves the table as it was, drains all or nothing within the
 * budget, and applied move by move never overcommits, conserves usage and empties the drained hosts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { TableWorld, executeConsolidation, planConsolidation } from '../../../src/scheduler/consolidation/index.js';
import { CapacityIndex, HostTable, ReferenceScan } from '../../../src/scheduler/hosts/index.js';
import { HostState, haReserveFilter, hyperConvergedReserveFilter } from '../../../src/scheduler/filters/index.js';
import { HostCache, Scheduler, defaultFilters, type ScheduleRequest } from '../../../src/scheduler/pipeline/index.js';
import { dedicatedCellsHost } from '../../support/numa.js';

const TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE42'];
const AGGS = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002'];

const hostArb = fc.record({
  vcpu: fc.integer({ min: 4, max: 16 }),
  memoryGb: fc.integer({ min: 4, max: 32 }),
  disk: fc.integer({ min: 50, max: 400 }),
  numa: fc.boolean(),
  traits: fc.subarray(TRAITS),
  aggregates: fc.subarray(AGGS),
  disabled: fc.nat(6).map((n) => n === 0),
  domain: fc.integer({ min: -1, max: 2 }),
  reserveVcpu: fc.constantFrom(0, 0, 1, 2),
});

const requestArb = fc.record({
  vcpu: fc.integer({ min: 1, max: 4 }),
  memoryGb: fc.integer({ min: 1, max: 6 }),
  disk: fc.integer({ min: 5, max: 60 }),
  pinned: fc.nat(4).map((n) => (n === 0 ? 2 : 0)),
  gpu: fc.nat(2).map((n) => n === 0),
  required: fc.option(fc.constantFrom(...TRAITS), { nil: undefined, freq: 4 }),
  forbid: fc.nat(5).map((n) => n === 0),
  memberOf: fc.option(fc.constantFrom(...AGGS), { nil: undefined, freq: 4 }),
  group: fc.constantFrom(undefined, undefined, undefined, 'anti1', 'anti2', 'affinity'),
});

const optionsArb = fc.record({
  maxMoves: fc.integer({ min: 1, max: 12 }),
  maxHosts: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  ha: fc.boolean(),
  hci: fc.boolean(),
  fail: fc.nat(3).map((n) => n === 0),
});

type Host = typeof hostArb extends fc.Arbitrary<infer H> ? H : never;
type Req = typeof requestArb extends fc.Arbitrary<infer R> ? R : never;

const GROUPS = { anti1: { id: 1, policy: 'anti-affinity' as const }, anti2: { id: 2, policy: 'anti-affinity' as const, maxServerPerHost: 2 }, affinity: { id: 3, policy: 'affinity' as const } };

function root(i: number): string {
  return `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
}

function request(r: Req, n: number): ScheduleRequest {
  const resources: Record<string, number> = { MEMORY_MB: r.memoryGb * 1024, DISK_GB: r.disk };
  if (r.pinned > 0) resources.PCPU = r.pinned;
  else resources.VCPU = r.vcpu;
  const forbidden = r.forbid ? TRAITS.filter((t) => t !== r.required).slice(0, 1) : [];
  return {
    instances: 1,
    resources,
    ...(r.pinned > 0 ? { numaTopology: { cells: [{ cpus: r.pinned, memoryMb: r.memoryGb * 1024, cpuPolicy: 'dedicated' as const }] } } : {}),
    ...(r.pinned > 0 && r.gpu ? { pciRequests: [{ vendorId: '10de', productId: '1eb8', count: 1, numaPolicy: 'required' as const }] } : {}),
    ...(r.required === undefined ? {} : { requiredTraits: [[r.required]] }),
    ...(forbidden.length === 0 ? {} : { forbiddenTraits: forbidden }),
    ...(r.memberOf === undefined ? {} : { memberOf: [[r.memberOf]] }),
    ...(r.group === undefined ? {} : { serverGroup: GROUPS[r.group as keyof typeof GROUPS] }),
    consumerUuids: [`cccccccc-0000-4000-8000-${String(n + 1).padStart(12, '0')}`],
    projectId: 'p',
    userId: 'u',
  };
}

function build(hosts: readonly Host[], ha: boolean, hci: boolean): { engine: PlacementEngine; s: Scheduler; state: HostState } {
  const engine = new PlacementEngine({ now: () => 1 });
  hosts.forEach((h, i) => {
    engine.createProvider({ name: `cn${i}`, uuid: root(i) });
    engine.setInventories(root(i), null, {
      VCPU: { total: h.vcpu },
      MEMORY_MB: { total: h.memoryGb * 1024 },
      DISK_GB: { total: h.disk },
      ...(h.numa ? { PCPU: { total: 8 } } : {}),
    });
    engine.setProviderTraits(root(i), null, [...h.traits, ...(h.disabled ? ['COMPUTE_STATUS_DISABLED'] : [])]);
    engine.setAggregates(root(i), null, h.aggregates);
  });
  const state = new HostState();
  const filters = [...defaultFilters(), ...(hci ? [hyperConvergedReserveFilter()] : []), ...(ha ? [haReserveFilter()] : [])];
  const s = new Scheduler({ engine, rng: seededRng(1), mode: 'spread', filters, hostState: state });
  hosts.forEach((h, i) => {
    const id = s.hostId(root(i));
    if (h.numa) {
      s.topologies.setNuma(id, dedicatedCellsHost(2, 4, 64 * 1024));
      s.topologies.setPools(id, [{ vendorId: '10de', productId: '1eb8', numaNode: 1, count: 1 }]);
    }
    if (h.domain >= 0) s.table.setFailureDomain(id, h.domain);
    if (hci) state.setReserve(id, h.reserveVcpu, 0);
  });
  return { engine, s, state };
}

/** Who holds what where, order-free. */
function snapshot(engine: PlacementEngine): string {
  return JSON.stringify(engine.listProviders().map((p) => [p.uuid, Object.entries(engine.getProviderAllocations(p.uuid).allocations).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

function schedulerState(s: Scheduler, n: number): string {
  const pins = Array.from({ length: n }, (_, i) => (s.topologies.numa(i)?.cells ?? []).map((c) => [...c.usage.pinnedPcpus].sort()));
  const groups = [1, 2, 3].map((g) => Array.from({ length: n }, (_, h) => s.stats.groupMembersOn(g, h)));
  const devices = Array.from({ length: n }, (_, i) => s.topologies.devices(i).used);
  return JSON.stringify([Array.from(s.table.used), pins, groups, Array.from(s.stats.instances.subarray(0, n)), devices]);
}

function totals(engine: PlacementEngine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of engine.listProviders()) for (const [rc, v] of Object.entries(engine.getProviderUsages(p.uuid).usages)) out[rc] = (out[rc] ?? 0) + v;
  return out;
}

function hostOf(engine: PlacementEngine, c: string): string {
  return Object.keys(engine.getConsumerAllocations(c)?.allocations ?? {})[0] as string;
}

describe('consolidation (property)', () => {
  it('drains all or nothing, deterministically, and never breaks a hard constraint', async () => {
    let drainedRuns = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostArb, { minLength: 2, maxLength: 7 }), fc.array(requestArb, { minLength: 1, maxLength: 14 }), optionsArb, async (hosts, reqs, o) => {
        const { engine, s, state } = build(hosts, o.ha, o.hci);
        const placed = new Map<string, ScheduleRequest>();
        reqs.forEach((r, n) => {
          const rq = request(r, n);
          try {
            s.schedule(rq);
            placed.set(rq.consumerUuids?.[0] as string, rq);
          } catch {
            // NoValidHost: the world is full for it.
          }
        });
        const n = hosts.length;
        const before = snapshot(engine);
        const stateBefore = schedulerState(s, n);
        const options = { maxMoves: o.maxMoves, maxHosts: o.maxHosts, seed: o.seed };
        const plan = s.planConsolidation(options);
        // (1)
        expect(snapshot(engine)).toBe(before);
        expect(schedulerState(s, n)).toBe(stateBefore);
        const again = s.planConsolidation(options);
        expect(again.moves.map((m) => [m.instance, m.from, m.to])).toEqual(plan.moves.map((m) => [m.instance, m.from, m.to]));
        expect(again.drained).toEqual(plan.drained);
        // (2)
        expect(plan.moves.length).toBeLessThanOrEqual(o.maxMoves);
        expect(plan.drained.length).toBeLessThanOrEqual(o.maxHosts);
        const drainedUuids = plan.drained.map((h) => s.hostUuid(h));
        for (const h of plan.drained) {
          const on = Object.keys(engine.getProviderAllocations(s.hostUuid(h)).allocations).sort();
          expect(plan.moves.filter((m) => m.from === h).map((m) => m.instance).sort()).toEqual(on);
        }
        for (const m of plan.moves) {
          expect(plan.drained).toContain(m.from);
          expect(plan.drained).not.toContain(m.to);
        }
        const usage0 = totals(engine);
        const holders = new Map<string, string>();
        for (const c of placed.keys()) holders.set(c, hostOf(engine, c));
        if (o.fail && plan.moves.length > 0) {
          // (4) every migration fails: every host is left whole.
          const report = await executeConsolidation(s, plan, { migrate: () => false });
          expect(report.drained).toEqual([]);
          expect(snapshot(engine)).toBe(before);
          expect(schedulerState(s, n)).toBe(stateBefore);
          return;
        }
        const report = await executeConsolidation(s, plan);
        // Nothing changed between planning and running: every planned host is drained.
        expect(report.drained).toEqual(drainedUuids);
        if (plan.drained.length > 0) drainedRuns++;
        // (3)
        for (const u of drainedUuids) expect(engine.getProviderAllocations(u).allocations).toEqual({});
        expect(totals(engine)).toEqual(usage0);
        for (const [c, was] of holders) if (!drainedUuids.includes(was)) expect(hostOf(engine, c)).toBe(was);
        const anti = new Map<string, number>();
        const affinityHosts = new Set<string>();
        for (const [c, rq] of placed) {
          const held = engine.getConsumerAllocations(c);
          expect(held?.consumerType).toBe('INSTANCE');
          const h = hostOf(engine, c);
          expect(drainedUuids).not.toContain(h);
          const traits = engine.getProviderTraits(h).traits;
          expect(traits).not.toContain('COMPUTE_STATUS_DISABLED');
          for (const anyOf of rq.requiredTraits ?? []) expect(anyOf.some((t) => traits.includes(t))).toBe(true);
          for (const t of rq.forbiddenTraits ?? []) expect(traits).not.toContain(t);
          const aggs = engine.getAggregates(h).aggregates;
          for (const anyOf of rq.memberOf ?? []) expect(anyOf.some((a) => aggs.includes(a))).toBe(true);
          const g = rq.serverGroup;
          if (g?.policy === 'anti-affinity') {
            const k = `${g.id}/${h}`;
            anti.set(k, (anti.get(k) ?? 0) + 1);
            expect(anti.get(k)).toBeLessThanOrEqual(g.maxServerPerHost ?? 1);
          }
          if (g?.policy === 'affinity') affinityHosts.add(h);
        }
        expect(affinityHosts.size).toBeLessThanOrEqual(1);
        const fresh = new HostCache(engine, { follow: false });
        for (let i = 0; i < n; i++) {
          const u = root(i);
          const id = s.hostId(u);
          const inv = engine.getInventories(u).inventories;
          const use = engine.getProviderUsages(u).usages;
          for (const [rc, v] of Object.entries(use)) {
            const iv = inv[rc];
            if (iv !== undefined) expect(v).toBeLessThanOrEqual((iv.total - iv.reserved) * iv.allocationRatio);
          }
          const pinned = (s.topologies.numa(id)?.cells ?? []).flatMap((c) => c.usage.pinnedPcpus);
          expect(new Set(pinned).size).toBe(pinned.length);
          expect(pinned.length).toBe(use.PCPU ?? 0);
          // Devices in use = the instances asking one that run here (none over the pool).
          const gpus = [...placed].filter(([c, rq]) => rq.pciRequests !== undefined && hostOf(engine, c) === u).length;
          expect(s.topologies.devices(id).used.reduce((a, b) => a + b, 0)).toBe(gpus);
          expect(Array.from(s.table.used.subarray(id * 4, id * 4 + 4))).toEqual(Array.from(fresh.table.used.subarray(fresh.hostId(u) * 4, fresh.hostId(u) * 4 + 4)));
          // HCI: a host that received moves keeps its reserve.
          if (o.hci && plan.moves.some((m) => m.to === id)) expect(s.table.free(id, 0)).toBeGreaterThanOrEqual(state.reserveVcpu[id] ?? 0);
        }
        if (o.ha && plan.drained.length > 0) {
          // N+1 without the drained hosts (an independent check of HaReserveFilter's condition).
          const active = (h: number): boolean => s.table.isEnabled(h) && !plan.drained.includes(h) && state.isUp(h) && !state.inMaintenance(h);
          const dom = (h: number): number => (s.table.failureDomain[h] as number) >= 0 ? (s.table.failureDomain[h] as number) : 100 + h;
          for (let d = 0; d < 4; d++) {
            const spare = (h: number): number => Math.max(0, s.table.free(h, d) - (d === 0 ? (state.reserveVcpu[h] ?? 0) : 0));
            const domains = new Set(Array.from({ length: n }, (_, h) => h).filter(active).map(dom));
            for (const F of domains) {
              let load = 0;
              let outside = 0;
              for (let h = 0; h < n; h++) {
                if (!active(h)) continue;
                if (dom(h) === F) load += s.table.used[h * 4 + d] as number;
                else outside += spare(h);
              }
              expect(load).toBeLessThanOrEqual(outside);
            }
          }
        }
      }),
      { numRuns: 250 },
    );
    // The property must have exercised real drains, not only empty plans (32–52 of the 250 runs
    // in the runs seen).
    expect(drainedRuns).toBeGreaterThan(10);
  }, 60_000);
});

describe('consolidation on a bare host table (property)', () => {
  it('plans the same over the index and the scan, all or nothing, and applies without overcommitting', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cap: fc.tuple(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 64 })), enabled: fc.nat(8).map((n) => n > 0) }), { minLength: 2, maxLength: 40 }),
        fc.array(fc.record({ host: fc.nat(39), need: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 16 })) }), { maxLength: 80 }),
        fc.record({ maxMoves: fc.integer({ min: 1, max: 30 }), maxHosts: fc.integer({ min: 1, max: 10 }), seed: fc.nat(100) }),
        (hosts, vms, options) => {
          const make = (): { table: HostTable; index: CapacityIndex; world: TableWorld; ref: TableWorld } => {
            const table = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB'] });
            for (const h of hosts) table.addHost({ capacity: h.cap, enabled: h.enabled });
            const index = new CapacityIndex(table, { scoreBuckets: 8 });
            const world = new TableWorld(table, index);
            const ref = new TableWorld(table, new ReferenceScan(table));
            vms.forEach((v, i) => {
              const h = v.host % hosts.length;
              if (table.tryClaim(h, v.need)) {
                world.add(i, h, v.need);
                ref.add(i, h, v.need);
              }
            });
            return { table, index, world, ref };
          };
          const { table, world, ref } = make();
          const used = Array.from(table.used);
          const plan = planConsolidation(world, options);
          expect(Array.from(table.used)).toEqual(used);
          const byScan = planConsolidation(ref, options);
          const key = (p: typeof plan): unknown => p.moves.map((m) => [m.instance, m.from, m.to]);
          expect(key(byScan)).toEqual(key(plan));
          expect(key(planConsolidation(world, options))).toEqual(key(plan));
          expect(plan.moves.length).toBeLessThanOrEqual(options.maxMoves);
          expect(plan.drained.length).toBeLessThanOrEqual(options.maxHosts);
          for (const h of plan.drained) expect(plan.moves.filter((m) => m.from === h).map((m) => m.instance).sort((a, b) => a - b)).toEqual(world.instances(h));
          const inUse = new Set(Array.from({ length: hosts.length }, (_, h) => h).filter((h) => world.inUse(h)));
          for (const m of plan.moves) {
            expect(plan.drained).toContain(m.from);
            expect(plan.drained).not.toContain(m.to);
            expect(inUse.has(m.to)).toBe(true);
            expect(table.isEnabled(m.to)).toBe(true);
            // Applied in order, each move fits (claim throws otherwise).
            table.release(m.from, m.need);
            table.claim(m.to, m.need);
            world.relocate(m.instance, m.to);
          }
          for (const h of plan.drained) {
            expect(world.count(h)).toBe(0);
            expect(table.used[h * 2]).toBe(0);
            expect(table.used[h * 2 + 1]).toBe(0);
          }
          const sum = (a: ArrayLike<number>, d: number): number => Array.from(a).filter((_, i) => i % 2 === d).reduce((x, y) => x + y, 0);
          expect(sum(table.used, 0)).toBe(sum(used, 0));
          expect(sum(table.used, 1)).toBe(sum(used, 1));
          expect(plan.hostsInUse - plan.drained.length).toBe(Array.from({ length: hosts.length }, (_, h) => h).filter((h) => world.inUse(h)).length);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
