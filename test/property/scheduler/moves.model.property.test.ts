/**
 * Model-based test of live moves with Placement's migration semantics (Scheduler.startMove /
 * completeMove / abortMove) on random small flat worlds (2–5 hosts, some with NUMA cells and
 * PCPU), under random sequences of: schedule (shared or NUMA-pinned guests), start a move to a
 * random host, complete it, abort it, release an instance (its allocations deleted by anyone,
 * mid-move too), and delete a move's migration consumer from outside. A plain model says where every
 * instance is and which migration consumer holds which source; after every step:
 *   - the engine holds exactly the model: each instance on its host (the destination while moving),
 *     each live migration consumer (type MIGRATION) on its source, nothing else;
 *   - per host, usage = the amounts the model puts there; the scheduler's table equals a fresh one;
 *   - pinned pCPUs = PCPU in use on every host, none twice; stats.instances = the model's count
 *     (instances, plus sources still held by a migration consumer);
 *   - a refused step (MoveRefusedError / MoveStateError) changes nothing;
 *   - an abort restores the source allocation exactly as it was before the start.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import type { Move } from '../../../src/scheduler/consolidation/index.js';
import { HostCache, NoValidHostError, Scheduler, type ScheduleRequest } from '../../../src/scheduler/pipeline/index.js';
import { dedicatedCellsHost } from '../../support/numa.js';

const opArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('schedule' as const), vcpu: fc.integer({ min: 1, max: 4 }), pinned: fc.nat(3).map((n) => n === 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), which: fc.nat(30), to: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), which: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), which: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), which: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropMigration' as const), which: fc.nat(30) }) },
);

interface Placed {
  host: string;
  need: Record<string, number>;
  move?: Move;
  /** The migration consumer was deleted from outside: the source is no longer held. */
  sourceGone?: boolean;
}

function snapshot(engine: PlacementEngine): string {
  return JSON.stringify(engine.listProviders().map((p) => [p.uuid, Object.entries(engine.getProviderAllocations(p.uuid).allocations).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

describe('moves with Placement migration semantics (model-based)', () => {
  it('keep placement, the table, pinning and counts equal to the model through starts, completions, aborts and outside deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 5 }), fc.array(opArb, { minLength: 1, maxLength: 40 }), (hostsNuma, ops) => {
        const engine = new PlacementEngine({ now: () => 1 });
        const roots = hostsNuma.map((withNuma, i) => {
          const u = `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
          engine.createProvider({ name: `cn${i}`, uuid: u });
          engine.setInventories(u, null, { VCPU: { total: 8 }, MEMORY_MB: { total: 16384 }, DISK_GB: { total: 100 }, ...(withNuma ? { PCPU: { total: 8 } } : {}) });
          return u;
        });
        const s = new Scheduler({ engine, rng: seededRng(1), mode: 'spread' });
        hostsNuma.forEach((withNuma, i) => {
          if (withNuma) s.topologies.setNuma(s.hostId(roots[i] as string), dedicatedCellsHost(2, 4, 32 * 1024));
        });
        const model = new Map<string, Placed>();
        /** Migration consumers whose instance was released mid-move: they still hold the source. */
        const orphans = new Map<string, { host: string; need: Record<string, number> }>();
        let n = 0;
        const pick = (which: number): [string, Placed] | undefined => {
          const all = [...model.entries()];
          return all.length === 0 ? undefined : all[which % all.length];
        };
        for (const op of ops) {
          const before = snapshot(engine);
          switch (op.kind) {
            case 'schedule': {
              const c = `cccccccc-0000-4000-8000-${String(++n).padStart(12, '0')}`;
              const resources: Record<string, number> = op.pinned ? { PCPU: 2, MEMORY_MB: 1024, DISK_GB: 10 } : { VCPU: op.vcpu, MEMORY_MB: 1024, DISK_GB: 10 };
              const request: ScheduleRequest = {
                instances: 1,
                resources,
                consumerUuids: [c],
                projectId: 'p',
                userId: 'u',
                ...(op.pinned ? { numaTopology: { cells: [{ cpus: 2, memoryMb: 1024, cpuPolicy: 'dedicated' as const }] } } : {}),
              };
              try {
                const r = s.schedule(request);
                model.set(c, { host: r.selections[0]?.hostUuid as string, need: resources });
              } catch (e) {
                if (!(e instanceof NoValidHostError)) throw e;
                expect(snapshot(engine)).toBe(before);
              }
              break;
            }
            case 'start': {
              const got = pick(op.which);
              if (got === undefined) break;
              const [c, p] = got;
              // Mostly another host (the same one is a refusal worth checking too).
              const to = roots[(roots.indexOf(p.host) + (op.to % 4 === 0 ? 0 : 1 + (op.to % (roots.length - 1)))) % roots.length] as string;
              try {
                const m = s.startMove(c, to);
                expect(p.move).toBeUndefined();
                expect(m.fromUuid).toBe(p.host);
                expect(m.source).toEqual({ [p.host]: p.need });
                p.move = m;
              } catch (e) {
                if (!isTstackError(e, 'ERR_SCHEDULER_MOVE_REFUSED') && !isTstackError(e, 'ERR_SCHEDULER_MOVE_STATE')) throw e;
                expect(snapshot(engine)).toBe(before);
              }
              break;
            }
            case 'complete':
            case 'abort': {
              const moving = [...model.entries()].filter(([, p]) => p.move !== undefined);
              const got = moving.length === 0 ? undefined : moving[op.which % moving.length];
              if (got === undefined) break;
              const [, p] = got;
              const m = p.move as Move;
              if (op.kind === 'complete') {
                s.completeMove(m);
                p.host = m.toUuid;
                p.move = undefined;
                p.sourceGone = undefined;
              } else if (p.sourceGone === true) {
                expect(() => s.abortMove(m)).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULER_MOVE_STATE' }));
                expect(snapshot(engine)).toBe(before);
              } else {
                s.abortMove(m);
                p.move = undefined;
              }
              // A move is over once: a second try is a state error.
              if (p.move === undefined) expect(() => s.completeMove(m)).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULER_MOVE_STATE' }));
              break;
            }
            case 'release': {
              const got = pick(op.which);
              if (got === undefined) break;
              const [c, p] = got;
              s.release(c);
              model.delete(c);
              if (p.move !== undefined && p.sourceGone !== true) orphans.set(p.move.migrationUuid, { host: p.host, need: p.need });
              if (p.move !== undefined) expect(() => s.completeMove(p.move as Move)).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULER_MOVE_STATE' }));
              break;
            }
            case 'dropMigration': {
              const got = pick(op.which);
              const orphan = [...orphans.keys()][op.which % Math.max(1, orphans.size)];
              if (orphan !== undefined && op.which % 2 === 0) {
                engine.deleteAllocations(orphan);
                orphans.delete(orphan);
                break;
              }
              if (got === undefined || got[1].move === undefined || got[1].sourceGone === true) break;
              engine.deleteAllocations(got[1].move.migrationUuid);
              got[1].sourceGone = true;
              break;
            }
          }
          // The engine holds exactly the model.
          const expected = new Map<string, Map<string, { resources: Record<string, number> }>>(roots.map((r) => [r, new Map()]));
          const count = new Map<string, number>(roots.map((r) => [r, 0]));
          for (const [c, p] of model) {
            const at = p.move === undefined ? p.host : p.move.toUuid;
            expected.get(at)?.set(c, { resources: p.need });
            count.set(at, (count.get(at) ?? 0) + 1);
            if (p.move !== undefined && p.sourceGone !== true) {
              expected.get(p.host)?.set(p.move.migrationUuid, { resources: p.need });
              count.set(p.host, (count.get(p.host) ?? 0) + 1);
              expect(engine.getConsumerAllocations(p.move.migrationUuid)?.consumerType).toBe('MIGRATION');
            }
            expect(s.placedOn(c)).toBe(s.hostId(at));
          }
          for (const [mig, o] of orphans) {
            expected.get(o.host)?.set(mig, { resources: o.need });
            count.set(o.host, (count.get(o.host) ?? 0) + 1);
          }
          const fresh = new HostCache(engine, { follow: false });
          for (const r of roots) {
            const held = engine.getProviderAllocations(r).allocations;
            expect(Object.fromEntries(Object.entries(held).sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(
              Object.fromEntries([...(expected.get(r) as Map<string, unknown>).entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
            );
            const h = s.hostId(r);
            expect(Array.from(s.table.used.subarray(h * 4, h * 4 + 4))).toEqual(Array.from(fresh.table.used.subarray(fresh.hostId(r) * 4, fresh.hostId(r) * 4 + 4)));
            const pinned = (s.topologies.numa(h)?.cells ?? []).flatMap((cell) => cell.usage.pinnedPcpus);
            expect(new Set(pinned).size).toBe(pinned.length);
            expect(pinned.length).toBe(engine.getProviderUsages(r).usages.PCPU ?? 0);
            expect(s.stats.instances[h] ?? 0).toBe(count.get(r));
          }
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
