/**
 * Property tests of the NUMA fit (src/scheduler/numa). The checker below is written from the rules
 * (index.ts), independently of fit.ts: it decides whether one guest cell may take a given set of
 * host CPUs and a page size on one host cell. From it:
 *   (1) soundness     every fit respects every rule, also along a sequence of applied fits
 *                     (no CPU pinned twice, memory/hugepages/shared CPUs within limits,
 *                     isolate siblings stay idle, require uses only whole free cores);
 *   (2) completeness  on tiny worlds, a fit exists iff a brute-force search over cell assignments,
 *                     pinnings and page sizes finds one;
 *   (3) determinism   the same (cloned) input gives the same fit;
 *   (4) release       releaseFit after applyFit restores the host exactly (also for a sequence,
 *                     released in reverse).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  applyFit,
  fitGuestToHost,
  releaseFit,
  SMALL_PAGE_KB,
  type CellFit,
  type GuestNumaCell,
  type GuestNumaTopology,
  type HostNumaCell,
  type HostNumaTopology,
  type NumaFit,
} from '../../../src/scheduler/numa/index.js';

const GIB_KB = 1048576;

// ------------------------------------------------------------------------------------ generators

const cellArb = (id: number, withUsage: boolean): fc.Arbitrary<HostNumaCell> =>
  fc
    .record({
      shared: fc.integer({ min: 0, max: 3 }),
      cores: fc.integer({ min: 1, max: 4 }),
      smt: fc.boolean(),
      loneExtra: fc.boolean(),
      memoryMb: fc.constantFrom(256, 512, 1024, 2048),
      pages2m: fc.integer({ min: 0, max: 768 }),
      pages1g: fc.integer({ min: 0, max: 2 }),
      cpuRatio: fc.constantFrom(1, 1.5, 2),
      ramRatio: fc.constantFrom(1, 1.5),
      usedSeed: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
      pinnedMask: fc.integer({ min: 0, max: 511 }),
    })
    .map((r) => {
      const base = id * 100;
      const cpus = Array.from({ length: r.shared }, (_, i) => base + i);
      const pcpus: number[] = [];
      const siblings: number[][] = [];
      for (let c = 0; c < r.cores; c++) {
        const t = base + 10 + 2 * c;
        if (r.smt) {
          pcpus.push(t, t + 1);
          siblings.push([t, t + 1]);
        } else pcpus.push(t);
      }
      if (r.loneExtra && pcpus.length < 8) pcpus.push(base + 50); // a core without siblings
      const u = (k: number): number => (withUsage ? (r.usedSeed[k] ?? 0) : 0);
      const pinned = withUsage ? pcpus.filter((_, i) => (r.pinnedMask >> i) & 1) : [];
      const hugepages = [
        { sizeKb: 2048, total: r.pages2m, used: Math.floor(u(0) * r.pages2m) },
        { sizeKb: GIB_KB, total: r.pages1g, used: Math.floor(u(1) * r.pages1g) },
      ].filter((p) => p.total > 0);
      return {
        id,
        cpus,
        pcpus,
        siblings,
        memoryMb: r.memoryMb,
        hugepages,
        cpuAllocationRatio: r.cpuRatio,
        ramAllocationRatio: r.ramRatio,
        usage: {
          cpusUsed: Math.floor(u(2) * r.shared * r.cpuRatio),
          pinnedPcpus: pinned,
          memoryUsedMb: Math.floor(u(3) * r.memoryMb * r.ramRatio),
        },
      };
    });

const hostArb = (withUsage: boolean, maxCells = 4): fc.Arbitrary<HostNumaTopology> =>
  fc
    .integer({ min: 1, max: maxCells })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => cellArb(i, withUsage))))
    .map((cells) => ({ cells }));

const guestCellArb: fc.Arbitrary<GuestNumaCell> = fc
  .record({
    cpus: fc.integer({ min: 1, max: 4 }),
    memoryMb: fc.constantFrom(256, 512, 768, 1024, 2048),
    cpuPolicy: fc.constantFrom('shared', 'dedicated', 'mixed') as fc.Arbitrary<'shared' | 'dedicated' | 'mixed'>,
    threadPolicy: fc.constantFrom('prefer', 'isolate', 'require') as fc.Arbitrary<'prefer' | 'isolate' | 'require'>,
    pagesize: fc.constantFrom<GuestNumaCell['pagesize']>('small', 'large', 'any', 2048, GIB_KB, SMALL_PAGE_KB, undefined),
    dedFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    const cpus = r.cpuPolicy === 'mixed' ? Math.max(2, r.cpus) : r.cpus;
    const cell: GuestNumaCell = { cpus, memoryMb: r.memoryMb, cpuPolicy: r.cpuPolicy, threadPolicy: r.threadPolicy, pagesize: r.pagesize };
    return r.cpuPolicy === 'mixed' ? { ...cell, dedicatedCpus: 1 + Math.floor(r.dedFrac * (cpus - 1 - 1e-9)) } : cell;
  });

const guestArb = (maxCells = 3): fc.Arbitrary<GuestNumaTopology> =>
  fc.array(guestCellArb, { minLength: 1, maxLength: maxCells }).map((cells) => ({ cells }));

// ------------------------------------------------------------------------------- the rule checker

const dedicatedOf = (g: GuestNumaCell): number =>
  g.cpuPolicy === 'dedicated' ? g.cpus : g.cpuPolicy === 'mixed' ? (g.dedicatedCpus ?? 0) : 0;

/** Cores of a host cell: sibling groups among pcpus, plus every other pcpu alone. */
function coresOf(h: HostNumaCell): number[][] {
  const inGroup = new Set(h.siblings.flat());
  const cores = h.siblings.map((s) => s.filter((c) => h.pcpus.includes(c))).filter((s) => s.length > 0);
  for (const c of h.pcpus) if (!inGroup.has(c)) cores.push([c]);
  return cores;
}

/** May the guest cell pin exactly `chosen` (with `reserved` kept idle) on host cell `h`? */
function pinningAllowed(h: HostNumaCell, g: GuestNumaCell, chosen: readonly number[], reserved: readonly number[]): boolean {
  const pinned = new Set(h.usage.pinnedPcpus);
  if (new Set([...chosen, ...reserved]).size !== chosen.length + reserved.length) return false;
  if (![...chosen, ...reserved].every((c) => h.pcpus.includes(c) && !pinned.has(c))) return false;
  const policy = g.threadPolicy ?? 'prefer';
  const cores = coresOf(h);
  const touched = cores.filter((core) => core.some((c) => chosen.includes(c)));
  const fullyFree = (core: number[]): boolean => core.every((c) => !pinned.has(c));
  if (policy === 'prefer') return reserved.length === 0;
  if (policy === 'require') {
    if (reserved.length > 0) return false;
    if (!touched.every((core) => core.length >= 2 && fullyFree(core))) return false;
    return touched.filter((core) => !core.every((c) => chosen.includes(c))).length <= 1;
  }
  // isolate
  if (!touched.every((core) => fullyFree(core) && core.filter((c) => chosen.includes(c)).length === 1)) return false;
  const expected = touched.flatMap((core) => core.filter((c) => !chosen.includes(c))).sort((a, b) => a - b);
  return JSON.stringify([...reserved].sort((a, b) => a - b)) === JSON.stringify(expected);
}

function pageSizeFits(h: HostNumaCell, g: GuestNumaCell, size: number): boolean {
  if (size === SMALL_PAGE_KB) return h.usage.memoryUsedMb + g.memoryMb <= h.memoryMb * h.ramAllocationRatio;
  const pool = h.hugepages.find((p) => p.sizeKb === size);
  if (pool === undefined) return false;
  const kb = g.memoryMb * 1024;
  return kb % size === 0 && kb / size <= pool.total - pool.used;
}

function allowedSizes(h: HostNumaCell, g: GuestNumaCell): number[] {
  const req = g.pagesize ?? 'small';
  const huge = h.hugepages.map((p) => p.sizeKb);
  if (req === 'small') return [SMALL_PAGE_KB];
  if (req === 'large') return huge;
  if (req === 'any') return [...huge, SMALL_PAGE_KB];
  return [req];
}

function sharedFits(h: HostNumaCell, n: number): boolean {
  return n === 0 || (n <= h.cpus.length && h.usage.cpusUsed + n <= h.cpus.length * h.cpuAllocationRatio);
}

/** Brute force: does guest cell g fit host cell h under some pinning and page size? */
function pairFeasible(h: HostNumaCell, g: GuestNumaCell): boolean {
  const d = dedicatedOf(g);
  if (!sharedFits(h, g.cpus - d)) return false;
  if (!allowedSizes(h, g).some((s) => pageSizeFits(h, g, s))) return false;
  if (d === 0) return true;
  const policy = g.threadPolicy ?? 'prefer';
  const cores = coresOf(h);
  for (let mask = 0; mask < 1 << h.pcpus.length; mask++) {
    const chosen = h.pcpus.filter((_, i) => (mask >> i) & 1);
    if (chosen.length !== d) continue;
    const reserved =
      policy === 'isolate'
        ? cores.filter((core) => core.some((c) => chosen.includes(c))).flatMap((core) => core.filter((c) => !chosen.includes(c)))
        : [];
    if (pinningAllowed(h, g, chosen, reserved)) return true;
  }
  return false;
}

function bruteForceFits(host: HostNumaTopology, guest: GuestNumaTopology): boolean {
  const n = host.cells.length;
  const used = new Array<boolean>(n).fill(false);
  const go = (i: number): boolean => {
    const g = guest.cells[i];
    if (g === undefined) return true;
    for (let j = 0; j < n; j++) {
      const h = host.cells[j] as HostNumaCell;
      if (used[j] || !pairFeasible(h, g)) continue;
      used[j] = true;
      if (go(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return go(0);
}

/** Every rule on one returned fit against the host it was computed on; returns problems found. */
function checkFit(host: HostNumaTopology, guest: GuestNumaTopology, cells: readonly CellFit[]): string[] {
  const problems: string[] = [];
  if (cells.length !== guest.cells.length) problems.push('not one fit per guest cell');
  if (new Set(cells.map((c) => c.hostCell)).size !== cells.length) problems.push('host cell used twice');
  let firstVcpu = 0;
  guest.cells.forEach((g, i) => {
    const cf = cells[i];
    const h = host.cells.find((c) => c.id === cf?.hostCell);
    if (cf === undefined || h === undefined || cf.guestCell !== i) {
      problems.push(`guest cell ${i}: bad cell fit`);
      return;
    }
    const d = dedicatedOf(g);
    if (cf.sharedCpus !== g.cpus - d || !sharedFits(h, cf.sharedCpus)) problems.push(`guest cell ${i}: shared cpus`);
    if (!allowedSizes(h, g).includes(cf.pagesize) || !pageSizeFits(h, g, cf.pagesize)) problems.push(`guest cell ${i}: page size`);
    const req = g.pagesize ?? 'small';
    if (req === 'large' || req === 'any') {
      const best = h.hugepages.map((p) => p.sizeKb).filter((s) => pageSizeFits(h, g, s));
      if (best.length > 0 && cf.pagesize !== Math.max(...best)) problems.push(`guest cell ${i}: not the largest page size`);
    }
    const dedicatedIds = Array.from({ length: d }, (_, k) => firstVcpu + g.cpus - d + k);
    if (d === 0) {
      if (cf.pinning !== undefined || cf.reservedPcpus.length > 0) problems.push(`guest cell ${i}: pinning without dedicated cpus`);
    } else {
      const keys = [...(cf.pinning?.keys() ?? [])];
      if (JSON.stringify(keys) !== JSON.stringify(dedicatedIds)) problems.push(`guest cell ${i}: pinning keys ${keys.join(',')}`);
      if (!pinningAllowed(h, g, [...(cf.pinning?.values() ?? [])], cf.reservedPcpus)) problems.push(`guest cell ${i}: pinning rules`);
    }
    firstVcpu += g.cpus;
  });
  return problems;
}

/** Usage limits that must hold on a host after any sequence of applied fits. */
function checkHost(host: HostNumaTopology, start: HostNumaTopology): string[] {
  const problems: string[] = [];
  host.cells.forEach((h, k) => {
    const s = start.cells[k] as HostNumaCell;
    const pinned = h.usage.pinnedPcpus;
    if (new Set(pinned).size !== pinned.length) problems.push(`cell ${h.id}: a CPU pinned twice`);
    if (!pinned.every((c) => h.pcpus.includes(c))) problems.push(`cell ${h.id}: pinned a non-dedicated CPU`);
    if (h.usage.cpusUsed > Math.max(s.usage.cpusUsed, h.cpus.length * h.cpuAllocationRatio)) problems.push(`cell ${h.id}: cpus`);
    if (h.usage.memoryUsedMb > Math.max(s.usage.memoryUsedMb, h.memoryMb * h.ramAllocationRatio)) problems.push(`cell ${h.id}: memory`);
    if (!h.hugepages.every((p) => p.used >= 0 && p.used <= p.total)) problems.push(`cell ${h.id}: hugepages`);
  });
  return problems;
}

// ------------------------------------------------------------------------------------- properties

const clone = <T>(v: T): T => structuredClone(v);

describe('numa fit properties', () => {
  it('(1) soundness along a sequence of applied fits, (4) reverse release restores the host', () => {
    fc.assert(
      fc.property(hostArb(true), fc.array(guestArb(), { minLength: 1, maxLength: 6 }), (start, guests) => {
        let host = start;
        const applied: { before: HostNumaTopology; guest: GuestNumaTopology; fit: NumaFit }[] = [];
        for (const guest of guests) {
          const fit = fitGuestToHost(host, guest);
          if (!fit.ok) {
            expect(fit.reason.length).toBeGreaterThan(0);
            continue;
          }
          expect(checkFit(host, guest, fit.cells)).toEqual([]);
          const next = applyFit(host, guest, fit);
          expect(checkHost(next, start)).toEqual([]);
          applied.push({ before: host, guest, fit });
          host = next;
        }
        for (const { before, guest, fit } of applied.reverse()) {
          host = releaseFit(host, guest, fit);
          expect(host).toEqual(before);
        }
        expect(host).toEqual(start);
      }),
      { numRuns: 300 },
    );
  });

  it('(2) completeness on tiny worlds: a fit is found exactly when brute force finds one', () => {
    fc.assert(
      fc.property(hostArb(true, 3), guestArb(3), (host, guest) => {
        const fit = fitGuestToHost(host, guest);
        expect(fit.ok).toBe(bruteForceFits(host, guest));
      }),
      { numRuns: 600 },
    );
  });

  it('(3) determinism: cloned inputs give equal fits, for every cell order', () => {
    fc.assert(
      fc.property(hostArb(true), guestArb(), fc.constantFrom('as-given', 'pack', 'spread') as fc.Arbitrary<'as-given' | 'pack' | 'spread'>, (host, guest, cellOrder) => {
        const a = fitGuestToHost(host, guest, { cellOrder });
        const b = fitGuestToHost(clone(host), clone(guest), { cellOrder });
        expect(b).toEqual(a);
        if (a.ok) expect(checkFit(host, guest, a.cells)).toEqual([]);
        // Cell order changes which fit is found, never whether one is.
        expect(a.ok).toBe(fitGuestToHost(host, guest).ok);
      }),
      { numRuns: 300 },
    );
  });

  it('(4) release after apply restores the host exactly and leaves the input unchanged', () => {
    fc.assert(
      fc.property(hostArb(true), guestArb(), (host, guest) => {
        const snapshot = clone(host);
        const fit = fitGuestToHost(host, guest);
        if (!fit.ok) return;
        const after = applyFit(host, guest, fit);
        expect(host).toEqual(snapshot);
        expect(releaseFit(after, guest, fit)).toEqual(snapshot);
      }),
      { numRuns: 300 },
    );
  });
});
