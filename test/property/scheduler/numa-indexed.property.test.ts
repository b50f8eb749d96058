/**
 * NUMA-pinned requests: the indexed path against the reference scan and placement, on worlds made
 * of many alike hosts so that exact ties are the rule (the case the index reads in host id order and
 * stops early). Random worlds of 2–40 hosts with one inventory (PCPU 8, 16 GiB, 100 GB) and 2 NUMA
 * cells of 2 cores × 2 threads, a random number of pCPUs already pinned (the engine's PCPU usage
 * matches), random memory and disk in use; random sequences of NUMA requests (1–4 dedicated CPUs,
 * thread policy prefer / isolate / require, sometimes 2 instances) and releases. Four schedulers on
 * four identical engines — placement, the index (default tuning), the index with its id-order scan
 * forced on every bucket (few buckets, small id blocks) and the plain scan — with the same seed make
 * the same decisions: hosts, alternates, pinned CPUs, refusals. Pack and spread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import type { CpuThreadPolicy, HostNumaTopology } from '../../../src/scheduler/numa/types.js';
import { NoValidHostError, Scheduler, type ScheduleRequest } from '../../../src/scheduler/pipeline/index.js';

const hostArb = fc.record({
  pinned: fc.integer({ min: 0, max: 8 }),
  memoryGb: fc.integer({ min: 0, max: 14 }),
  disk: fc.integer({ min: 0, max: 90 }),
});

const opArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      instances: fc.constantFrom(1, 1, 1, 2),
      cpus: fc.integer({ min: 1, max: 4 }),
      thread: fc.constantFrom<CpuThreadPolicy>('prefer', 'prefer', 'isolate', 'require'),
      memoryMb: fc.constantFrom(512, 1024, 4096),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), which: fc.nat(40) }) },
);

type Host = typeof hostArb extends fc.Arbitrary<infer H> ? H : never;
type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;

function numa(pinned: number): HostNumaTopology {
  const cell = (id: number, pin: number): HostNumaTopology['cells'][number] => {
    const base = id * 8;
    const pcpus = [base, base + 1, base + 2, base + 3];
    return {
      id,
      cpus: [],
      pcpus,
      siblings: [
        [base, base + 1],
        [base + 2, base + 3],
      ],
      memoryMb: 8 * 1024,
      hugepages: [],
      cpuAllocationRatio: 1,
      ramAllocationRatio: 1,
      usage: { cpusUsed: 0, pinnedPcpus: pcpus.slice(0, pin), memoryUsedMb: 0 },
    };
  };
  return { cells: [cell(0, Math.min(4, pinned)), cell(1, Math.max(0, pinned - 4))] };
}

function world(hosts: readonly Host[]): { engine: PlacementEngine; roots: string[] } {
  const engine = new PlacementEngine({ now: () => 1 });
  const roots = hosts.map((h, i) => {
    const root = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    engine.createProvider({ name: `cn${i}`, uuid: root });
    engine.setInventories(root, null, { PCPU: { total: 8 }, MEMORY_MB: { total: 16 * 1024 }, DISK_GB: { total: 100 } });
    const used: Record<string, number> = {};
    if (h.pinned > 0) used.PCPU = h.pinned;
    if (h.memoryGb > 0) used.MEMORY_MB = h.memoryGb * 1024;
    if (h.disk > 0) used.DISK_GB = h.disk;
    if (Object.keys(used).length > 0) {
      engine.setAllocations({ consumerUuid: `ffffffff-0000-4000-8000-${String(i).padStart(12, '0')}`, allocations: { [root]: used }, projectId: 'f', userId: 'f', consumerGeneration: null });
    }
    return root;
  });
  return { engine, roots };
}

function request(op: Extract<Op, { kind: 'schedule' }>, n: number): ScheduleRequest {
  return {
    instances: op.instances,
    resources: { PCPU: op.cpus, MEMORY_MB: op.memoryMb, DISK_GB: 10 },
    numaTopology: { cells: [{ cpus: op.cpus, memoryMb: op.memoryMb, cpuPolicy: 'dedicated', threadPolicy: op.thread }] },
    consumerUuids: Array.from({ length: op.instances }, (_, i) => `cccccccc-0000-4000-8000-${String(n * 10 + i).padStart(12, '0')}`),
    projectId: 'p',
    userId: 'u',
  };
}

describe('Scheduler: NUMA-pinned requests on tie-heavy worlds, index == scan == placement (property)', () => {
  it('makes the same decisions (hosts, alternates, pinned CPUs) on every path and tuning', () => {
    let placed = 0;
    fc.assert(
      fc.property(
        fc.array(hostArb, { minLength: 2, maxLength: 40 }),
        fc.array(opArb, { minLength: 1, maxLength: 24 }),
        fc.constantFrom('pack' as const, 'spread' as const),
        fc.integer(),
        fc.integer({ min: 1, max: 2 }),
        fc.record({ buckets: fc.integer({ min: 1, max: 8 }), blockShift: fc.integer({ min: 0, max: 3 }) }),
        (hosts, ops, mode, seed, subset, tuning) => {
          const runs = (['placement', 'index', 'walk', 'scan'] as const).map((path) => {
            const { engine, roots } = world(hosts);
            const s = new Scheduler({
              engine,
              rng: seededRng(seed),
              mode,
              candidates: path === 'walk' ? 'index' : path,
              hostSubsetSize: subset,
              ...(path === 'walk' ? { indexOptions: { idWalkMin: 1, idBlockShift: tuning.blockShift, scoreBuckets: tuning.buckets } } : {}),
            });
            hosts.forEach((h, i) => s.topologies.setNuma(s.hostId(roots[i] as string), numa(h.pinned)));
            return { s, log: [] as string[], live: [] as string[] };
          });
          ops.forEach((op, n) => {
            for (const run of runs) {
              if (op.kind === 'release') {
                const c = run.live[op.which % Math.max(1, run.live.length)];
                if (c !== undefined) {
                  run.s.release(c);
                  run.live = run.live.filter((x) => x !== c);
                  run.log.push(`release ${c}`);
                }
                continue;
              }
              try {
                const r = run.s.schedule(request(op, n));
                run.log.push(JSON.stringify([r.selections.map((x) => [x.hostUuid, x.numaFit]), r.alternates]));
                for (const sel of r.selections) run.live.push(sel.consumerUuid);
              } catch (e) {
                if (!(e instanceof NoValidHostError)) throw e;
                run.log.push('no valid host');
              }
            }
          });
          const [placement, index, walk, scan] = runs;
          expect(index?.log).toEqual(placement?.log);
          expect(walk?.log).toEqual(placement?.log);
          expect(scan?.log).toEqual(placement?.log);
          placed += index?.s.counters.indexed ?? 0;
          for (const r of runs) r.s.close();
        },
      ),
      { numRuns: 120 },
    );
    // The index answered most requests itself (placement only explains refusals).
    expect(placed).toBeGreaterThan(300);
  }, 60_000);
});
