/**
 * Consolidation (src/scheduler/consolidation) by example: the planner drains the least-loaded hosts
 * through the scheduler's hard constraints, leaves a host it cannot empty untouched and says why;
 * moves follow Placement's migration semantics (start: destination to the instance, source to a
 * MIGRATION consumer in one write; complete: source released; abort: source restored exactly).
 */
import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { seededRng } from '../../../common/rng.js';
import type { PlacementEngine } from '../../../src/placement/engine.js';
import {
  ConsolidationRequestError,
  ConsolidationUnsupportedError,
  MoveRefusedError,
  MoveStateError,
  executeConsolidation,
} from '../../../src/scheduler/consolidation/index.js';
import { HostState, haReserveFilter, hyperConvergedReserveFilter } from '../../../src/scheduler/filters/index.js';
import type { HostNumaTopology } from '../../../src/scheduler/numa/types.js';
import { Scheduler, defaultFilters, type ScheduleRequest, type SchedulerOptions } from '../../../src/scheduler/pipeline/index.js';
import { PROJECT, USER, addProvider, agg, consumer, newEngine, uuid } from '../placement/fixtures.js';
import { dedicatedCellsHost } from '../../support/numa.js';

const INV = { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 }, DISK_GB: { total: 500 } };

function world(hosts: number, extra: (i: number) => { traits?: string[]; aggregates?: string[] } = () => ({})): PlacementEngine {
  const engine = newEngine();
  for (let i = 0; i < hosts; i++) addProvider(engine, `h${i + 1}`, { uuid: uuid(i + 1), inventories: INV, ...extra(i) });
  return engine;
}

function req(n: number, extra: Partial<ScheduleRequest> = {}): ScheduleRequest {
  return { instances: 1, resources: { VCPU: 2, MEMORY_MB: 4096, DISK_GB: 20 }, projectId: PROJECT, userId: USER, consumerUuids: [consumer(n)], ...extra };
}

function scheduler(engine: PlacementEngine, extra: Partial<SchedulerOptions> = {}): Scheduler {
  return new Scheduler({ engine, rng: seededRng(3), mode: 'spread', ...extra });
}

function hostOf(engine: PlacementEngine, c: string): string[] {
  return Object.keys(engine.getConsumerAllocations(c)?.allocations ?? {});
}

function usageTotals(engine: PlacementEngine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of engine.listProviders()) for (const [rc, v] of Object.entries(engine.getProviderUsages(p.uuid).usages)) out[rc] = (out[rc] ?? 0) + v;
  return out;
}

function snapshot(engine: PlacementEngine): string {
  // Order-free: which consumer holds what on which provider.
  return JSON.stringify(engine.listProviders().map((p) => [p.uuid, Object.entries(engine.getProviderAllocations(p.uuid).allocations).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('consolidation planner on the scheduler', () => {
  it('drains the least-loaded hosts into the others, all instances of a host or none, and changes nothing while planning', async () => {
    const engine = world(4);
    const s = scheduler(engine);
    // Spread: 6 instances over 4 hosts (2, 2, 1, 1).
    for (let i = 1; i <= 6; i++) s.schedule(req(i));
    const before = snapshot(engine);
    const plan = s.planConsolidation({ maxHosts: 2 });
    expect(snapshot(engine)).toBe(before);
    expect(plan.hostsInUse).toBe(4);
    expect(plan.drained).toHaveLength(2);
    for (const h of plan.drained) {
      const on = Object.keys(engine.getProviderAllocations(s.hostUuid(h)).allocations);
      expect(plan.moves.filter((m) => m.from === h).map((m) => m.instance).sort()).toEqual(on.sort());
    }
    for (const m of plan.moves) expect(plan.drained).not.toContain(m.to);
    expect(Array.from(plan.moved.subarray(0, 3))).toEqual([2 * plan.moves.length, 4096 * plan.moves.length, 20 * plan.moves.length]);
    const totals = usageTotals(engine);
    const report = await executeConsolidation(s, plan);
    expect(report.drained).toHaveLength(2);
    expect(report.completed).toBe(plan.moves.length);
    for (const h of plan.drained) expect(engine.getProviderAllocations(s.hostUuid(h)).allocations).toEqual({});
    expect(usageTotals(engine)).toEqual(totals);
    // No MIGRATION consumer is left behind.
    for (const p of engine.listProviders()) for (const c of Object.keys(engine.getProviderAllocations(p.uuid).allocations)) expect(c.startsWith('cccccccc')).toBe(true);
    // The table followed the engine.
    for (const h of plan.drained) expect(s.table.used[h * 4]).toBe(0);
  });

  it('same seed, same plan; the budget is honoured; bad budgets are typed errors', () => {
    const engine = world(6);
    const s = scheduler(engine);
    for (let i = 1; i <= 6; i++) s.schedule(req(i));
    const a = s.planConsolidation({ seed: 5, maxMoves: 3 });
    const b = s.planConsolidation({ seed: 5, maxMoves: 3 });
    expect(b.moves.map((m) => [m.instance, m.from, m.to])).toEqual(a.moves.map((m) => [m.instance, m.from, m.to]));
    expect(a.moves.length).toBeLessThanOrEqual(3);
    expect(s.planConsolidation({ maxHosts: 1 }).drained).toHaveLength(1);
    for (const bad of [{ maxMoves: 0 }, { maxHosts: 1.5 }, { maxSourcesTried: -1 }, { seed: 0.5 }]) {
      const e = thrown(() => s.planConsolidation(bad));
      expect(e).toBeInstanceOf(ConsolidationRequestError);
      expect(isTstackError(e, 'ERR_SCHEDULER_CONSOLIDATION_REQUEST')).toBe(true);
    }
  });

  it('keeps anti-affinity: a host whose member could only join another member is not drained, and the reason names the filter', () => {
    const engine = world(2);
    const s = scheduler(engine);
    const group = { id: 1, name: 'web', policy: 'anti-affinity' as const };
    s.schedule(req(1, { serverGroup: group }));
    s.schedule(req(2, { serverGroup: group }));
    const plan = s.planConsolidation();
    expect(plan.moves).toEqual([]);
    expect(plan.skipped.length).toBeGreaterThan(0);
    expect(plan.skipped[0]!.reason).toContain('ServerGroupAntiAffinityFilter removed 1 (web already on the host)');
  });

  it('keeps traits and aggregates: an instance only goes where its request could go', () => {
    // h1, h2 have the trait; h3 has not. The instance needing the trait sits on h2 alone.
    const engine = world(3, (i) => ({ traits: i < 2 ? ['HW_CPU_X86_AVX2'] : [], aggregates: [agg(i === 1 ? 2 : 1)] }));
    const s = scheduler(engine, { mode: 'pack' });
    s.schedule(req(1, { forceHost: uuid(1) }));
    s.schedule(req(2, { forceHost: uuid(1) }));
    s.schedule(req(3, { forceHost: uuid(3) }));
    s.schedule(req(4, { forceHost: uuid(3) }));
    s.schedule(req(5, { requiredTraits: [['HW_CPU_X86_AVX2']], memberOf: [[agg(2)]] }));
    expect(hostOf(engine, consumer(5))).toEqual([uuid(2)]);
    const plan = s.planConsolidation();
    // consumer 5 needs aggregate 2 (only h2): h2 cannot be drained.
    expect(plan.drained).not.toContain(s.hostId(uuid(2)));
    const skip = plan.skipped.find((k) => k.host === s.hostId(uuid(2)));
    expect(skip?.reason).toContain(consumer(5));
    expect(skip?.reason).toContain("refused by placement's rules");
  });

  it('honours the HA reserve: draining must leave N+1 without the drained host', async () => {
    const engine = world(3);
    const s = scheduler(engine, { filters: [...defaultFilters(), haReserveFilter({ dimensions: ['VCPU'] })] });
    // 3 hosts of 16 VCPU, 4 instances of 4 VCPU: 16 in use. Without one host: 32 VCPU for 16 used,
    // and a failure of either remaining host (its 8 used + 8 spare…) must fit in the other's spare.
    for (let i = 1; i <= 4; i++) s.schedule(req(i, { resources: { VCPU: 4, MEMORY_MB: 1024, DISK_GB: 10 } }));
    const free = s.planConsolidation();
    // Draining one host would leave 2 hosts at 8/16: a failure of one (8 used) fits the other's 8 spare: allowed.
    expect(free.drained).toHaveLength(1);
    await executeConsolidation(s, free);
    // The emptied host is released (switched off): it no longer counts as spare.
    s.hostState.setMaintenance(free.drained[0]!, true);
    // Now 2 hosts, 16 used in all: draining another leaves one host and no N+1: refused.
    const next = s.planConsolidation();
    expect(next.drained).toEqual([]);
    expect(next.skipped.map((k) => k.reason).join(' ')).toContain('HaReserveFilter');
  });

  it('honours the HCI reserve of the destinations', () => {
    const engine = world(2);
    const state = new HostState();
    const s = scheduler(engine, { filters: [...defaultFilters(), hyperConvergedReserveFilter()], hostState: state });
    s.schedule(req(1, { resources: { VCPU: 8, MEMORY_MB: 1024, DISK_GB: 10 } }));
    s.schedule(req(2, { resources: { VCPU: 4, MEMORY_MB: 1024, DISK_GB: 10 } }));
    // Either host would take the other's instance on capacity (16 VCPU), but 6 VCPU are reserved on each.
    state.setReserve(0, 6, 0);
    state.setReserve(1, 6, 0);
    const plan = s.planConsolidation();
    expect(plan.drained).toEqual([]);
    expect(plan.skipped.map((k) => k.reason).join(' ')).toContain('HyperConvergedReserveFilter');
    state.setReserve(0, 2, 0);
    state.setReserve(1, 2, 0);
    expect(s.planConsolidation().drained).toHaveLength(1);
  });

  it('does not drain a host holding a consumer the scheduler did not place', () => {
    const engine = world(2);
    const s = scheduler(engine);
    s.schedule(req(1));
    engine.setAllocations({ consumerUuid: consumer(99), allocations: { [uuid(2)]: { VCPU: 1 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    const plan = s.planConsolidation();
    // h2 (least loaded) holds the unknown consumer: left alone; h1 drains into it.
    expect(plan.drained).toEqual([s.hostId(uuid(1))]);
    expect(plan.skipped).toEqual([{ host: s.hostId(uuid(2)), reason: expect.stringContaining('which this scheduler did not place') }]);
  });

  it('refuses worlds the host table does not answer alone', () => {
    const engine = world(1);
    addProvider(engine, 'numa', { parent: uuid(1), inventories: { VCPU: { total: 4 } } });
    const s = scheduler(engine);
    expect(thrown(() => s.planConsolidation())).toBeInstanceOf(ConsolidationUnsupportedError);
  });
});

describe('moves with Placement migration semantics', () => {
  it('start: the instance holds the destination and a MIGRATION consumer the source, in one write; complete releases the source', () => {
    const engine = world(2);
    const s = scheduler(engine);
    s.schedule(req(1));
    const from = hostOf(engine, consumer(1))[0]!;
    const to = from === uuid(1) ? uuid(2) : uuid(1);
    const seen: string[] = [];
    const off = engine.onChange((e) => seen.push(e.op.type));
    const m = s.startMove(consumer(1), to, { migrationUuid: consumer(500) });
    expect(seen).toEqual(['writeAllocations']);
    expect(hostOf(engine, consumer(1))).toEqual([to]);
    const mig = engine.getConsumerAllocations(consumer(500))!;
    expect(mig.consumerType).toBe('MIGRATION');
    expect(mig.allocations[from]?.resources).toEqual({ VCPU: 2, MEMORY_MB: 4096, DISK_GB: 20 });
    expect(s.table.used[s.hostId(from) * 4]).toBe(2);
    expect(s.table.used[s.hostId(to) * 4]).toBe(2);
    expect(thrown(() => s.startMove(consumer(1), from))).toBeInstanceOf(MoveStateError);
    s.completeMove(m);
    off();
    expect(engine.getConsumerAllocations(consumer(500))).toBeUndefined();
    expect(s.table.used[s.hostId(from) * 4]).toBe(0);
    expect(s.placedOn(consumer(1))).toBe(s.hostId(to));
    expect(thrown(() => s.completeMove(m))).toBeInstanceOf(MoveStateError);
  });

  it('abort restores the source allocation exactly and frees the destination', () => {
    const engine = world(2);
    const s = scheduler(engine);
    s.schedule(req(1));
    const before = snapshot(engine);
    const held = engine.getConsumerAllocations(consumer(1))!;
    const from = Object.keys(held.allocations)[0]!;
    const to = from === uuid(1) ? uuid(2) : uuid(1);
    const m = s.startMove(consumer(1), to);
    s.abortMove(m);
    expect(snapshot(engine)).toBe(before);
    expect(engine.getConsumerAllocations(m.migrationUuid)).toBeUndefined();
    expect(s.placedOn(consumer(1))).toBe(s.hostId(from));
    expect(s.table.used[s.hostId(to) * 4]).toBe(0);
    expect(s.stats.instances[s.hostId(to)]).toBe(0);
    expect(s.stats.instances[s.hostId(from)]).toBe(1);
    // The instance can move again after an abort.
    s.completeMove(s.startMove(consumer(1), to));
    expect(hostOf(engine, consumer(1))).toEqual([to]);
  });

  it('refuses a destination that fails a hard constraint, with the reason, and changes nothing', () => {
    const engine = world(2, (i) => ({ traits: i === 0 ? ['HW_CPU_X86_AVX2'] : [] }));
    const s = scheduler(engine);
    s.schedule(req(1, { requiredTraits: [['HW_CPU_X86_AVX2']] }));
    const before = snapshot(engine);
    const e = thrown(() => s.startMove(consumer(1), uuid(2)));
    expect(e).toBeInstanceOf(MoveRefusedError);
    expect(isTstackError(e, 'ERR_SCHEDULER_MOVE_REFUSED')).toBe(true);
    expect((e as Error).message).toContain("refused by placement's rules");
    expect(snapshot(engine)).toBe(before);
    // Too big for the destination.
    s.schedule(req(2, { resources: { VCPU: 15, MEMORY_MB: 1024, DISK_GB: 10 }, forceHost: uuid(2) }));
    const big = thrown(() => s.startMove(consumer(2), uuid(1)));
    expect((big as Error).message).toContain('with less than 15 VCPU free');
    expect(thrown(() => s.startMove(consumer(77), uuid(1)))).toBeInstanceOf(MoveStateError);
  });

  it('moves a NUMA-pinned instance: pinning taken on the destination, given back on the source at completion; abort keeps the source pinning', () => {
    const engine = newEngine();
    for (let i = 1; i <= 2; i++) addProvider(engine, `h${i}`, { uuid: uuid(i), inventories: { PCPU: { total: 4 }, MEMORY_MB: { total: 8192 }, DISK_GB: { total: 100 } } });
    const s = scheduler(engine);
    const topo = (): HostNumaTopology => dedicatedCellsHost(1, 4, 8192);
    s.topologies.setNuma(s.hostId(uuid(1)), topo());
    s.topologies.setNuma(s.hostId(uuid(2)), topo());
    s.schedule(req(1, { resources: { PCPU: 2, MEMORY_MB: 1024, DISK_GB: 10 }, numaTopology: { cells: [{ cpus: 2, memoryMb: 1024, cpuPolicy: 'dedicated' }] }, forceHost: uuid(1) }));
    const pinned = (u: string): number[] => [...(s.topologies.numa(s.hostId(u))?.cells[0]?.usage.pinnedPcpus ?? [])];
    expect(pinned(uuid(1))).toHaveLength(2);
    const a = s.startMove(consumer(1), uuid(2));
    expect(pinned(uuid(1))).toHaveLength(2);
    expect(pinned(uuid(2))).toHaveLength(2);
    s.abortMove(a);
    expect(pinned(uuid(1))).toHaveLength(2);
    expect(pinned(uuid(2))).toEqual([]);
    const b = s.startMove(consumer(1), uuid(2));
    s.completeMove(b);
    expect(pinned(uuid(1))).toEqual([]);
    expect(pinned(uuid(2))).toHaveLength(2);
  });

  it('executeConsolidation aborts every move of a host when one migration fails: the host is left whole', async () => {
    const engine = world(3);
    const s = scheduler(engine);
    for (let i = 1; i <= 6; i++) s.schedule(req(i));
    const plan = s.planConsolidation({ maxHosts: 1 });
    expect(plan.drained).toHaveLength(1);
    const count = plan.moves.length;
    expect(count).toBeGreaterThan(1);
    const before = snapshot(engine);
    const reverted: string[] = [];
    let calls = 0;
    const report = await executeConsolidation(s, plan, {
      migrate: () => ++calls < count,
      revert: (m) => {
        reverted.push(m.consumerUuid);
      },
    });
    expect(report.drained).toEqual([]);
    expect(report.aborted).toBe(count);
    expect(reverted).toHaveLength(count - 1);
    expect(report.hosts[0]!.reason).toContain('failed');
    expect(snapshot(engine)).toBe(before);
  });
});
