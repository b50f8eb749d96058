import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementConcurrentUpdateError } from '../../../src/placement/errors.js';
import type { ConsumerAllocationsWrite } from '../../../src/placement/types.js';
import { NoValidHostError, Scheduler, SchedulerRequestError, type ScheduleRequest, type SchedulerOptions } from '../../../src/scheduler/pipeline/index.js';
import { PROJECT, USER, addProvider, agg, consumer, newEngine, uuid } from '../placement/fixtures.js';

const HOSTS = [uuid(1), uuid(2), uuid(3), uuid(4)];
const INV = { VCPU: { total: 8 }, MEMORY_MB: { total: 16384 }, DISK_GB: { total: 100 } };

/** h1 AVX2 in aggregate 1; h2 in aggregate 1; h3, h4 in aggregate 2. */
function world(engine: PlacementEngine = newEngine()): PlacementEngine {
  HOSTS.forEach((u, i) =>
    addProvider(engine, `h${i + 1}`, {
      uuid: u,
      inventories: INV,
      traits: i === 0 ? ['HW_CPU_X86_AVX2'] : [],
      aggregates: [agg(i < 2 ? 1 : 2)],
    }),
  );
  return engine;
}

function scheduler(engine: PlacementEngine, extra: Partial<SchedulerOptions> = {}): Scheduler {
  return new Scheduler({ engine, rng: seededRng(1), ...extra });
}

function req(extra: Partial<ScheduleRequest> = {}): ScheduleRequest {
  return { instances: 1, resources: { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 }, projectId: PROJECT, userId: USER, ...extra };
}

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function noValidHost(f: () => unknown): NoValidHostError {
  const e = catchError(f);
  expect(e).toBeInstanceOf(NoValidHostError);
  expect(isTstackError(e, 'ERR_SCHEDULER_NO_VALID_HOST')).toBe(true);
  return e as NoValidHostError;
}

function totalUsage(engine: PlacementEngine): number {
  let sum = 0;
  for (const p of engine.listProviders()) for (const v of Object.values(engine.getProviderUsages(p.uuid).usages)) sum += v;
  return sum;
}

describe('Scheduler: placement, filters, weighers, claim', () => {
  it('builds its host table from the root providers', () => {
    const engine = world();
    engine.updateInventory(uuid(2), null, 'VCPU', { total: 10, reserved: 2, allocationRatio: 4 });
    const s = scheduler(engine);
    expect(s.table.count).toBe(4);
    const h2 = s.hostId(uuid(2));
    expect([...s.table.capacity.subarray(h2 * 4, h2 * 4 + 3)]).toEqual([32, 16384, 100]);
    expect(s.table.hasTrait(s.hostId(uuid(1)), s.traitId('HW_CPU_X86_AVX2'))).toBe(true);
    expect(s.table.inAggregate(s.hostId(uuid(3)), s.aggregateId(agg(2)))).toBe(true);
  });

  it('places a resources-only request, claims it in placement and refreshes the host row', () => {
    const engine = world();
    const s = scheduler(engine);
    const r = s.schedule(req({ consumerUuids: [consumer(1)] }));
    expect(r.selections).toHaveLength(1);
    const sel = r.selections[0]!;
    expect(sel.consumerUuid).toBe(consumer(1));
    // Every host equal: the ties go to the lowest host id.
    expect(sel.hostUuid).toBe(uuid(1));
    expect(sel.allocations).toEqual({ [uuid(1)]: { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 } });
    const held = engine.getConsumerAllocations(consumer(1))!;
    expect(held.consumerType).toBe('INSTANCE');
    expect(held.allocations[uuid(1)]?.resources).toEqual({ VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 });
    const h = s.hostId(uuid(1));
    expect([...s.table.used.subarray(h * 4, h * 4 + 3)]).toEqual([2, 2048, 10]);
    expect(r.alternates[0]).toEqual([uuid(2), uuid(3)]);
    // Nova's RAM weigher spreads: the next one goes elsewhere.
    expect(s.schedule(req()).selections[0]!.hostUuid).not.toBe(uuid(1));
  });

  it('honours required and forbidden traits', () => {
    const s = scheduler(world());
    for (let i = 0; i < 3; i++) expect(s.schedule(req({ requiredTraits: [['HW_CPU_X86_AVX2']] })).selections[0]!.hostUuid).toBe(uuid(1));
    for (let i = 0; i < 6; i++) expect(s.schedule(req({ forbiddenTraits: ['HW_CPU_X86_AVX2'] })).selections[0]!.hostUuid).not.toBe(uuid(1));
  });

  it('honours member_of', () => {
    const s = scheduler(world());
    const hosts = new Set<string>();
    for (let i = 0; i < 6; i++) hosts.add(s.schedule(req({ memberOf: [[agg(2)]] })).selections[0]!.hostUuid);
    expect([...hosts].sort()).toEqual([uuid(3), uuid(4)]);
  });

  it('skips a host with COMPUTE_STATUS_DISABLED (placement pre-filter) and says so when nothing is left', () => {
    const engine = world();
    const s = scheduler(engine);
    engine.setProviderTraits(uuid(1), null, ['HW_CPU_X86_AVX2', 'COMPUTE_STATUS_DISABLED']);
    s.refreshHost(uuid(1));
    expect(s.table.isEnabled(s.hostId(uuid(1)))).toBe(false);
    for (let i = 0; i < 6; i++) expect(s.schedule(req()).selections[0]!.hostUuid).not.toBe(uuid(1));
    const e = noValidHost(() => s.schedule(req({ requiredTraits: [['HW_CPU_X86_AVX2']] })));
    expect(e.message).toContain('placement returned no allocation candidates for resources=VCPU:2,MEMORY_MB:2048,DISK_GB:10');
    expect(e.message).toContain('required=HW_CPU_X86_AVX2');
    expect(e.message).toContain('root_required=!COMPUTE_STATUS_DISABLED');
    expect(e.message).toContain('0 hosts; 0 left');
  });

  it('skips avoidHosts (a retry) and explains when they were the only ones', () => {
    const s = scheduler(world());
    for (let i = 0; i < 4; i++) expect(s.schedule(req({ avoidHosts: [uuid(1), uuid(2)] })).selections[0]!.hostUuid).toMatch(/0003$|0004$/);
    const e = noValidHost(() => s.schedule(req({ avoidHosts: HOSTS })));
    expect(e.message).toBe('No valid host: placement returned 4 allocation candidates on 4 hosts; 4 avoided (avoidHosts); 0 hosts; 0 left');
  });

  it('spreads an anti-affinity group over the 4 hosts and refuses a 5th member, naming the filter', () => {
    const engine = world();
    const s = scheduler(engine);
    const group = { id: 7, name: 'g1', policy: 'anti-affinity' as const };
    const r = s.schedule(req({ instances: 4, serverGroup: group }));
    expect(new Set(r.selections.map((x) => x.hostUuid)).size).toBe(4);
    for (const h of HOSTS) expect(s.stats.groupMembersOn(7, s.hostId(h))).toBe(1);
    const before = totalUsage(engine);
    const e = noValidHost(() => s.schedule(req({ serverGroup: group })));
    expect(e.message).toContain('placement returned 4 allocation candidates on 4 hosts');
    expect(e.message).toContain('ServerGroupAntiAffinityFilter removed 4 (g1 already on the host); 0 left');
    expect(e.details.filterResult.hosts).toHaveLength(0);
    expect(totalUsage(engine)).toBe(before);
  });

  it('places several instances all or nothing: a failure deletes what was claimed', () => {
    const engine = world();
    const s = scheduler(engine);
    const consumers = [1, 2, 3, 4, 5].map(consumer);
    // Each host fits exactly one: the 5th cannot be placed.
    const e = noValidHost(() => s.schedule(req({ instances: 5, resources: { VCPU: 8, MEMORY_MB: 1024 }, consumerUuids: consumers })));
    expect(e.message).toMatch(/^No valid host for instance 5 of 5: placement returned no allocation candidates/);
    expect(e.details.instance).toBe(4);
    expect(totalUsage(engine)).toBe(0);
    for (const c of consumers) expect(Object.keys(engine.getConsumerAllocations(c)?.allocations ?? {})).toHaveLength(0);
    for (let h = 0; h < s.table.count; h++) {
      expect([...s.table.used.subarray(h * 4, h * 4 + 3)]).toEqual([0, 0, 0]);
      expect(s.stats.instances[h]).toBe(0);
    }
    // And the four that do fit are placed, one per host, each query seeing the earlier claims.
    const r = s.schedule(req({ instances: 4, resources: { VCPU: 8, MEMORY_MB: 1024 } }));
    expect(new Set(r.selections.map((x) => x.hostUuid)).size).toBe(4);
  });

  it('an anti-affinity group of 5 fails at the 5th and leaves nothing behind', () => {
    const engine = world();
    const s = scheduler(engine);
    const e = noValidHost(() => s.schedule(req({ instances: 5, serverGroup: { id: 1, name: 'g2', policy: 'anti-affinity' } })));
    expect(e.message).toContain('ServerGroupAntiAffinityFilter removed 4');
    expect(totalUsage(engine)).toBe(0);
    for (const h of HOSTS) expect(s.stats.groupMembersOn(1, s.hostId(h))).toBe(0);
  });

  it('keeps an affinity group on one host', () => {
    const s = scheduler(world());
    const r = s.schedule(req({ instances: 3, serverGroup: { id: 2, policy: 'affinity' } }));
    expect(new Set(r.selections.map((x) => x.hostUuid)).size).toBe(1);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number): string[] => {
      const s = new Scheduler({ engine: world(), rng: seededRng(seed), hostSubsetSize: 4 });
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(...s.schedule(req({ instances: 1 + (i % 2) })).selections.map((x) => x.hostUuid));
      return out;
    };
    expect(run(42)).toEqual(run(42));
    const seeds = new Set([1, 2, 3, 4, 5, 6].map((seed) => run(seed).join()));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('tries the next best host when placement refuses a claim, up to maxAttempts', () => {
    class Flaky extends PlacementEngine {
      refusals = 0;
      override setAllocations(write: ConsumerAllocationsWrite): void {
        if (this.refusals > 0) {
          this.refusals--;
          throw new PlacementConcurrentUpdateError('consumer', null, 1);
        }
        super.setAllocations(write);
      }
    }
    const engine = new Flaky({ now: () => 1 });
    world(engine);
    const s = scheduler(engine);
    engine.refusals = 1;
    const r = s.schedule(req());
    expect(r.selections[0]!.hostUuid).toBe(uuid(2));
    // The refused host is no alternate; the next maxAttempts − 1 after the chosen one are.
    expect(r.alternates[0]).toEqual([uuid(3), uuid(4)]);
    engine.refusals = 3;
    const e = noValidHost(() => s.schedule(req({ instances: 2 })));
    expect(e.message).toContain('claims failed: claim on');
    expect(e.message).toContain('ERR_PLACEMENT_CONCURRENT_UPDATE');
    expect(totalUsage(engine)).toBe(2 + 2048 + 10);
  });

  it('follows changes made by others through the change log', () => {
    const engine = world();
    const s = scheduler(engine);
    engine.setAllocations({ consumerUuid: consumer(9), allocations: { [uuid(3)]: { VCPU: 3 } }, projectId: PROJECT, userId: USER, consumerGeneration: null });
    const h3 = s.hostId(uuid(3));
    // The table follows the engine's change log: no refresh needed.
    expect(s.table.used[h3 * 4]).toBe(3);
    s.refreshHost(uuid(3));
    expect(s.table.used[h3 * 4]).toBe(3);
    addProvider(engine, 'h5', { uuid: uuid(5), inventories: INV });
    expect(s.hostId(uuid(5))).toBe(4);
    engine.deleteAllocations(consumer(9));
    engine.deleteProvider(uuid(4));
    expect(s.hostId(uuid(4))).toBe(-1);
    expect(s.table.used[h3 * 4]).toBe(0);
  });

  it('maps nested trees and sharing providers to the root host', () => {
    const engine = newEngine();
    const root = addProvider(engine, 'cn', { uuid: uuid(1), inventories: { MEMORY_MB: { total: 4096 } }, aggregates: [agg(1)] });
    const numa = addProvider(engine, 'cn-numa0', { uuid: uuid(2), parent: root, inventories: { VCPU: { total: 4 } } });
    const pool = addProvider(engine, 'pool', { uuid: uuid(3), inventories: { DISK_GB: { total: 500 } }, traits: ['MISC_SHARES_VIA_AGGREGATE'], aggregates: [agg(1)] });
    const s = scheduler(engine);
    const r = s.schedule(req());
    expect(r.selections[0]!.hostUuid).toBe(root);
    expect(r.selections[0]!.allocations).toEqual({ [root]: { MEMORY_MB: 2048 }, [numa]: { VCPU: 2 }, [pool]: { DISK_GB: 10 } });
    const h = s.hostId(root);
    expect([...s.table.used.subarray(h * 4, h * 4 + 3)]).toEqual([2, 2048, 0]);
  });

  it('refuses malformed requests before asking placement', () => {
    const engine = world();
    const s = scheduler(engine);
    for (const bad of [req({ instances: 0 }), req({ instances: 2, consumerUuids: [consumer(1)] }), req({ instances: 2, consumerUuids: [consumer(1), consumer(1)] }), req({ resources: {} })]) {
      expect(catchError(() => s.schedule(bad))).toBeInstanceOf(SchedulerRequestError);
    }
    s.schedule(req({ consumerUuids: [consumer(1)] }));
    expect(catchError(() => s.schedule(req({ consumerUuids: [consumer(1)] })))).toBeInstanceOf(SchedulerRequestError);
  });
});
