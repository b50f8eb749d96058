/**
 * NUMA pinning, hugepages and PCI devices through the scheduler, model-based (fast-check commands):
 * random hosts (1–3 NUMA cells, shared and dedicated CPUs with thread siblings, 2 MiB and 1 GiB
 * hugepage pools, device pools on a cell or on none) and random command sequences — schedule a guest
 * (1–2 cells, dedicated / shared / mixed, thread policy prefer / isolate / require, page size small /
 * large / any / 2048, PCI requests under required / preferred / legacy), release it through the
 * scheduler, or delete its allocations directly in the engine (another actor). The model is the set
 * of live guests with the NUMA fit and devices the scheduler returned. After every command:
 *   - no host CPU is pinned (or reserved as an isolate sibling) by two guests, and every pinned CPU is
 *     a dedicated CPU of the cell the fit names; the host's pinned set is exactly the guests' union;
 *   - per cell and page size, the pages the guests hold are the pool's used pages, ≤ its total;
 *     shared CPUs and small-page memory stay within cpus × ratio and memory × ratio;
 *   - per device pool, the devices the guests hold are its used devices, ≤ its count, and a
 *     `required` request's devices are on a cell the guest's cells are on;
 *   - placement holds exactly the live guests' allocations.
 * And, on random host topologies and guests: HostTopologies.fits (the counters) answers exactly as
 * fitGuestToHost (the full fit), and claim succeeds exactly when fits says yes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { fitGuestToHost } from '../../../src/scheduler/numa/fit.js';
import type { GuestNumaCell, GuestNumaTopology, HostNumaCell, HostNumaTopology } from '../../../src/scheduler/numa/types.js';
import { NoValidHostError, Scheduler, type Selection } from '../../../src/scheduler/pipeline/index.js';
import { HostTopologies } from '../../../src/scheduler/topology/host-topologies.js';
import type { PciPool, PciRequest } from '../../../src/scheduler/topology/types.js';

// ------------------------------------------------------------------------------ arbitraries

const cellArb = (id: number, first: number): fc.Arbitrary<HostNumaCell> =>
  fc
    .record({
      shared: fc.integer({ min: 0, max: 6 }),
      cores: fc.integer({ min: 1, max: 4 }),
      threads: fc.constantFrom(1, 2),
      memoryGb: fc.integer({ min: 1, max: 8 }),
      small2m: fc.integer({ min: 0, max: 8 }),
      huge1g: fc.integer({ min: 0, max: 2 }),
      cpuRatio: fc.constantFrom(1, 2),
      ramRatio: fc.constantFrom(1, 1.5),
    })
    .map((c) => {
      const cpus = Array.from({ length: c.shared }, (_, i) => first + i);
      const pcpus = Array.from({ length: c.cores * c.threads }, (_, i) => first + 8 + i);
      const siblings = Array.from({ length: c.cores }, (_, k) => pcpus.slice(k * c.threads, (k + 1) * c.threads));
      return {
        id,
        cpus,
        pcpus,
        siblings: c.threads > 1 ? siblings : [],
        memoryMb: c.memoryGb * 1024,
        hugepages: [
          { sizeKb: 2048, total: c.small2m * 256, used: 0 },
          { sizeKb: 1048576, total: c.huge1g, used: 0 },
        ],
        cpuAllocationRatio: c.cpuRatio,
        ramAllocationRatio: c.ramRatio,
        usage: { cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 0 },
      };
    });

const hostTopologyArb: fc.Arbitrary<HostNumaTopology> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => cellArb(i, i * 32))))
  .map((cells) => ({ cells }));

const VENDORS = ['10de', '8086'];
const poolArb: fc.Arbitrary<PciPool> = fc.record({
  vendorId: fc.constantFrom(...VENDORS),
  productId: fc.constantFrom('a', 'b'),
  numaNode: fc.integer({ min: -1, max: 2 }),
  count: fc.integer({ min: 0, max: 4 }),
});

const guestCellArb: fc.Arbitrary<GuestNumaCell> = fc
  .record({
    cpus: fc.integer({ min: 1, max: 4 }),
    memoryMb: fc.constantFrom(256, 512, 1024, 2048),
    policy: fc.constantFrom('shared' as const, 'dedicated' as const, 'mixed' as const),
    thread: fc.constantFrom('prefer' as const, 'isolate' as const, 'require' as const),
    page: fc.constantFrom<GuestNumaCell['pagesize']>('small', 'large', 'any', 2048, undefined),
  })
  .map((c) => {
    const cpus = c.policy === 'mixed' ? Math.max(2, c.cpus) : c.cpus;
    return {
      cpus,
      memoryMb: c.memoryMb,
      cpuPolicy: c.policy,
      ...(c.policy === 'mixed' ? { dedicatedCpus: 1 } : {}),
      threadPolicy: c.thread,
      ...(c.page === undefined ? {} : { pagesize: c.page }),
    };
  });

const guestArb: fc.Arbitrary<GuestNumaTopology> = fc.array(guestCellArb, { minLength: 1, maxLength: 2 }).map((cells) => ({ cells }));

const pciRequestArb: fc.Arbitrary<PciRequest> = fc.record({
  vendorId: fc.constantFrom(...VENDORS),
  productId: fc.constantFrom('a', 'b'),
  count: fc.integer({ min: 1, max: 2 }),
  numaPolicy: fc.constantFrom('required' as const, 'preferred' as const, 'legacy' as const),
});

// ------------------------------------------------------------------------------ the model

/** Over all runs: guests placed with NUMA cells, with devices, and releases (the test must exercise them). */
const seen = { numa: 0, devices: 0, released: 0 };

interface Live {
  readonly selection: Selection;
  readonly guest: GuestNumaTopology | undefined;
  readonly pci: readonly PciRequest[];
}

interface Model {
  live: Map<string, Live>;
}

interface Real {
  engine: PlacementEngine;
  scheduler: Scheduler;
  hosts: string[];
  initial: HostNumaTopology[];
  pools: PciPool[][];
  n: number;
}

function resourcesOf(guest: GuestNumaTopology | undefined): Record<string, number> {
  if (guest === undefined) return { VCPU: 1, MEMORY_MB: 256 };
  let vcpu = 0;
  let pcpu = 0;
  let mem = 0;
  for (const c of guest.cells) {
    const d = c.cpuPolicy === 'dedicated' ? c.cpus : c.cpuPolicy === 'mixed' ? (c.dedicatedCpus ?? 0) : 0;
    pcpu += d;
    vcpu += c.cpus - d;
    mem += c.memoryMb;
  }
  const r: Record<string, number> = { MEMORY_MB: mem };
  if (vcpu > 0) r.VCPU = vcpu;
  if (pcpu > 0) r.PCPU = pcpu;
  return r;
}

function check(m: Model, r: Real): void {
  const { scheduler, engine } = r;
  r.hosts.forEach((uuid, i) => {
    const h = scheduler.hostId(uuid);
    const topo = scheduler.topologies.numa(h) as HostNumaTopology;
    const guests = [...m.live.values()].filter((l) => l.selection.hostUuid === uuid);
    for (const cell of topo.cells) {
      const held: number[] = [];
      const pages = new Map<number, number>();
      let shared = 0;
      let small = 0;
      for (const g of guests) {
        const fit = g.selection.numaFit;
        if (fit === undefined || !fit.ok || g.guest === undefined) continue;
        for (const cf of fit.cells) {
          if (cf.hostCell !== cell.id) continue;
          for (const c of [...(cf.pinning?.values() ?? []), ...cf.reservedPcpus]) {
            expect(cell.pcpus).toContain(c);
            held.push(c);
          }
          const mb = (g.guest.cells[cf.guestCell] as GuestNumaCell).memoryMb;
          if (cf.pagesize === 4) small += mb;
          else pages.set(cf.pagesize, (pages.get(cf.pagesize) ?? 0) + (mb * 1024) / cf.pagesize);
          shared += cf.sharedCpus;
        }
      }
      // No pCPU twice, and the host's pinned set is exactly the guests'.
      expect(new Set(held).size).toBe(held.length);
      expect([...cell.usage.pinnedPcpus].sort((a, b) => a - b)).toEqual([...held].sort((a, b) => a - b));
      for (const pool of cell.hugepages) {
        expect(pool.used).toBe(pages.get(pool.sizeKb) ?? 0);
        expect(pool.used).toBeLessThanOrEqual(pool.total);
      }
      expect(cell.usage.cpusUsed).toBe(shared);
      expect(shared).toBeLessThanOrEqual(cell.cpus.length * cell.cpuAllocationRatio);
      expect(cell.usage.memoryUsedMb).toBe(small);
      expect(small).toBeLessThanOrEqual(cell.memoryMb * cell.ramAllocationRatio);
    }
    const { pools, used } = scheduler.topologies.devices(h);
    const taken = new Array<number>(pools.length).fill(0);
    for (const g of guests) {
      for (const d of g.selection.devices ?? []) {
        taken[d.pool] = (taken[d.pool] ?? 0) + d.count;
        const pool = pools[d.pool] as PciPool;
        const cells = g.selection.numaFit?.ok === true ? g.selection.numaFit.cells.map((c) => c.hostCell) : undefined;
        const req = g.pci.filter((p) => p.vendorId === pool.vendorId && p.productId === pool.productId);
        if (cells !== undefined && req.length > 0 && req.every((p) => p.numaPolicy === 'required')) expect(cells).toContain(pool.numaNode);
      }
    }
    expect(used).toEqual(taken);
    pools.forEach((p, q) => expect(used[q]).toBeLessThanOrEqual(p.count));
    expect(i).toBeGreaterThanOrEqual(0);
  });
  for (const [c, l] of m.live) {
    const held = engine.getConsumerAllocations(c)?.allocations ?? {};
    expect(Object.keys(held)).toEqual([l.selection.hostUuid]);
  }
}

class ScheduleCmd implements fc.Command<Model, Real> {
  constructor(
    readonly guest: GuestNumaTopology | undefined,
    readonly pci: readonly PciRequest[],
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const consumer = `cccccccc-0000-4000-8000-${String(r.n++).padStart(12, '0')}`;
    try {
      const res = r.scheduler.schedule({
        instances: 1,
        resources: resourcesOf(this.guest),
        ...(this.guest === undefined ? {} : { numaTopology: this.guest }),
        ...(this.pci.length === 0 ? {} : { pciRequests: this.pci }),
        projectId: 'p',
        userId: 'u',
        consumerUuids: [consumer],
      });
      const selection = res.selections[0] as Selection;
      m.live.set(consumer, { selection, guest: this.guest, pci: this.pci });
      if (selection.numaFit !== undefined) seen.numa++;
      if (selection.devices !== undefined) seen.devices++;
    } catch (e) {
      if (!(e instanceof NoValidHostError)) throw e;
      expect(r.engine.getConsumerAllocations(consumer)?.allocations ?? {}).toEqual({});
    }
    check(m, r);
  }
  toString(): string {
    return `schedule(${JSON.stringify(this.guest)}, ${JSON.stringify(this.pci)})`;
  }
}

class ReleaseCmd implements fc.Command<Model, Real> {
  constructor(
    readonly which: number,
    readonly external: boolean,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.live.size > 0;
  }
  run(m: Model, r: Real): void {
    const consumer = [...m.live.keys()][this.which % m.live.size] as string;
    if (this.external) r.engine.deleteAllocations(consumer);
    else r.scheduler.release(consumer);
    m.live.delete(consumer);
    seen.released++;
    check(m, r);
  }
  toString(): string {
    return `${this.external ? 'engine.deleteAllocations' : 'release'}(#${this.which})`;
  }
}

const commands = [
  fc
    .tuple(fc.option(guestArb, { nil: undefined, freq: 5 }), fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(pciRequestArb, { minLength: 1, maxLength: 2 }) }))
    .map(([g, p]) => new ScheduleCmd(g, p)),
  fc.tuple(fc.nat(), fc.boolean()).map(([w, e]) => new ReleaseCmd(w, e)),
];

describe('NUMA pinning, hugepages and PCI through the scheduler (model-based)', () => {
  it('never pins a pCPU twice, never runs a hugepage or device pool over, and gives everything back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(hostTopologyArb, fc.array(poolArb, { maxLength: 4 })), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('pack' as const, 'spread' as const, 'weighers' as const),
        fc.commands(commands, { maxCommands: 25 }),
        (hosts, mode, cmds) => {
          const engine = new PlacementEngine({ now: () => 1 });
          const uuids = hosts.map(([topo], i) => {
            const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
            engine.createProvider({ name: `cn${i}`, uuid });
            const shared = topo.cells.reduce((s, c) => s + c.cpus.length, 0);
            const pcpus = topo.cells.reduce((s, c) => s + c.pcpus.length, 0);
            const inv: Record<string, { total: number; allocationRatio?: number }> = { MEMORY_MB: { total: 64 * 1024 } };
            if (shared > 0) inv.VCPU = { total: shared, allocationRatio: 2 };
            if (pcpus > 0) inv.PCPU = { total: pcpus };
            engine.setInventories(uuid, null, inv);
            return uuid;
          });
          const scheduler = new Scheduler({ engine, rng: seededRng(1), mode });
          hosts.forEach(([topo, pools], i) => {
            const h = scheduler.hostId(uuids[i] as string);
            scheduler.topologies.setNuma(h, topo);
            scheduler.topologies.setPools(h, pools);
          });
          const real: Real = { engine, scheduler, hosts: uuids, initial: hosts.map(([t]) => t), pools: hosts.map(([, p]) => p), n: 0 };
          fc.modelRun(() => ({ model: { live: new Map() }, real }), cmds);
          scheduler.close();
        },
      ),
      { numRuns: 150 },
    );
    expect(seen.numa).toBeGreaterThan(50);
    expect(seen.devices).toBeGreaterThan(10);
    expect(seen.released).toBeGreaterThan(50);
  }, 60_000);

  it('fits() on the counters answers as fitGuestToHost, and claim() succeeds exactly when fits() says so', () => {
    fc.assert(
      fc.property(hostTopologyArb, fc.array(guestArb, { minLength: 1, maxLength: 8 }), (topo, guests) => {
        const t = new HostTopologies();
        t.setNuma(0, topo);
        for (const guest of guests) {
          const plan = t.plan(guest);
          const full = fitGuestToHost(t.numa(0) as HostNumaTopology, guest);
          expect(t.fits(0, plan)).toBe(full.ok);
          const claim = t.claim(0, plan);
          expect(claim !== undefined).toBe(full.ok);
        }
      }),
      { numRuns: 400 },
    );
  });
});
