import { describe, expect, it } from 'vitest';

import {
  applyFit,
  fitGuestToHost,
  NumaFitError,
  releaseFit,
  SMALL_PAGE_KB,
  type GuestNumaCell,
  type HostNumaCell,
  type HostNumaTopology,
} from '../../../src/scheduler/numa/index.js';

/** A host cell: shared cpus, dedicated cpus in sibling pairs (or none), small memory, hugepages. */
function cell(id: number, over: Partial<HostNumaCell> = {}): HostNumaCell {
  const base = id * 100;
  return {
    id,
    cpus: [base, base + 1],
    pcpus: [base + 10, base + 11, base + 12, base + 13],
    siblings: [
      [base + 10, base + 11],
      [base + 12, base + 13],
    ],
    memoryMb: 1024,
    hugepages: [
      { sizeKb: 2048, total: 512, used: 0 },
      { sizeKb: 1048576, total: 1, used: 0 },
    ],
    cpuAllocationRatio: 2,
    ramAllocationRatio: 1,
    usage: { cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 0 },
    ...over,
  };
}
const host = (...cells: HostNumaCell[]): HostNumaTopology => ({ cells });
const guest = (...cells: GuestNumaCell[]) => ({ cells });
const ded = (cpus: number, threadPolicy: GuestNumaCell['threadPolicy'] = 'prefer', memoryMb = 256): GuestNumaCell => ({
  cpus,
  memoryMb,
  cpuPolicy: 'dedicated',
  threadPolicy,
});

function okCells(r: ReturnType<typeof fitGuestToHost>) {
  if (!r.ok) throw new Error(r.reason);
  return r.cells;
}
function reason(r: ReturnType<typeof fitGuestToHost>): string {
  if (r.ok) throw new Error('expected no fit');
  return r.reason;
}

describe('cell assignment', () => {
  it('places each guest cell on a distinct host cell, first fit in order', () => {
    const cells = okCells(fitGuestToHost(host(cell(0), cell(1)), guest({ cpus: 1, memoryMb: 100 }, { cpus: 1, memoryMb: 100 })));
    expect(cells.map((c) => [c.guestCell, c.hostCell])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(cells[0]?.pinning).toBeUndefined();
    expect(cells[0]?.pagesize).toBe(SMALL_PAGE_KB);
  });

  it('tries other permutations when the first does not fit', () => {
    const small = cell(0, { memoryMb: 256 });
    const cells = okCells(fitGuestToHost(host(small, cell(1)), guest({ cpus: 1, memoryMb: 512 }, { cpus: 1, memoryMb: 200 })));
    expect(cells.map((c) => c.hostCell)).toEqual([1, 0]);
  });

  it('fails with more guest cells than host cells', () => {
    expect(reason(fitGuestToHost(host(cell(0)), guest({ cpus: 1, memoryMb: 1 }, { cpus: 1, memoryMb: 1 })))).toBe(
      'the guest has 2 NUMA cells but the host only 1',
    );
  });

  it('explains when cells fit individually but not on distinct host cells', () => {
    const r = fitGuestToHost(host(cell(0), cell(1, { memoryMb: 100 })), guest({ cpus: 1, memoryMb: 512 }, { cpus: 1, memoryMb: 512 }));
    expect(reason(r)).toBe(
      "no assignment of the guest's 2 cells to distinct host cells: guest cell 0 fits only host cell 0; guest cell 1 fits only host cell 0",
    );
  });

  it('orders host cells by usage with pack and spread', () => {
    const busy = cell(0, { usage: { cpusUsed: 3, pinnedPcpus: [], memoryUsedMb: 0 } });
    const h = host(busy, cell(1));
    const g = guest({ cpus: 1, memoryMb: 10 });
    expect(okCells(fitGuestToHost(h, g, { cellOrder: 'spread' }))[0]?.hostCell).toBe(1);
    expect(okCells(fitGuestToHost(h, g, { cellOrder: 'pack' }))[0]?.hostCell).toBe(0);
    expect(okCells(fitGuestToHost(h, g))[0]?.hostCell).toBe(0);
  });

  it('rejects invalid guests with a reason', () => {
    expect(reason(fitGuestToHost(host(cell(0)), guest()))).toBe('the guest has no NUMA cells');
    expect(reason(fitGuestToHost(host(cell(0)), guest({ cpus: 2, memoryMb: 1, cpuPolicy: 'mixed', dedicatedCpus: 2 })))).toMatch(
      /mixed cell needs 1 ≤ dedicatedCpus < cpus/,
    );
  });
});

describe('shared cpus and memory', () => {
  it('allows shared cpus up to cpus × ratio and says by how much it is over', () => {
    const h = host(cell(0, { usage: { cpusUsed: 3, pinnedPcpus: [], memoryUsedMb: 0 } }));
    expect(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 1 })).ok).toBe(true);
    expect(reason(fitGuestToHost(h, guest({ cpus: 2, memoryMb: 1 })))).toBe(
      'guest cell 0 (2 vCPUs shared, 1 MiB) fits no host cell — host cell 0: shared CPUs: 3 used + 2 requested = 5 > 2 × 2 = 4 (over by 1)',
    );
  });

  it('never gives a guest cell more vCPUs than the cell has shared CPUs', () => {
    expect(reason(fitGuestToHost(host(cell(0)), guest({ cpus: 3, memoryMb: 1 })))).toMatch(
      /shared CPUs: 3 requested but the cell has only 2 shared CPUs/,
    );
  });

  it('overcommits small-page memory by the ram ratio', () => {
    const h = host(cell(0, { ramAllocationRatio: 1.5, usage: { cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 1000 } }));
    expect(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 536 })).ok).toBe(true);
    expect(reason(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 537 })))).toMatch(
      /memory \(small pages\): 1000 MiB used \+ 537 MiB requested = 1537 MiB > 1024 MiB × 1.5 = 1536 MiB \(over by 1 MiB\)/,
    );
  });

  it('reports every failing constraint of every host cell', () => {
    const r = reason(fitGuestToHost(host(cell(0), cell(1)), guest({ cpus: 5, memoryMb: 2048 })));
    expect(r).toMatch(/^guest cell 0 \(5 vCPUs shared, 2048 MiB\) fits no host cell — host cell 0: shared CPUs.*; memory.* \| host cell 1: /);
  });
});

describe('hugepages', () => {
  it('takes pages of an explicit size, without overcommit', () => {
    const h = host(cell(0, { hugepages: [{ sizeKb: 2048, total: 512, used: 300 }] }));
    const cells = okCells(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 424, pagesize: 2048 })));
    expect(cells[0]?.pagesize).toBe(2048);
    expect(reason(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 426, pagesize: 2048 })))).toMatch(
      /hugepages 2048 KiB pages: 213 needed, 212 free of 512 \(short by 1\)/,
    );
  });

  it('needs the size to exist and the memory to be whole pages', () => {
    expect(reason(fitGuestToHost(host(cell(0)), guest({ cpus: 1, memoryMb: 2, pagesize: 16384 })))).toMatch(
      /the cell has no 16384 KiB hugepages/,
    );
    expect(reason(fitGuestToHost(host(cell(0)), guest({ cpus: 1, memoryMb: 3, pagesize: 2048 })))).toMatch(
      /3 MiB is not a whole number of pages/,
    );
  });

  it('large picks the largest size that fits; any falls back to small pages', () => {
    expect(okCells(fitGuestToHost(host(cell(0)), guest({ cpus: 1, memoryMb: 1024, pagesize: 'large' })))[0]?.pagesize).toBe(1048576);
    expect(okCells(fitGuestToHost(host(cell(0)), guest({ cpus: 1, memoryMb: 512, pagesize: 'large' })))[0]?.pagesize).toBe(2048);
    const none = cell(0, { hugepages: [] });
    expect(reason(fitGuestToHost(host(none), guest({ cpus: 1, memoryMb: 512, pagesize: 'large' })))).toMatch(/the cell has no hugepages/);
    expect(okCells(fitGuestToHost(host(none), guest({ cpus: 1, memoryMb: 512, pagesize: 'any' })))[0]?.pagesize).toBe(SMALL_PAGE_KB);
  });

  it('small-page memory and hugepages are separate pools', () => {
    const h = host(cell(0, { usage: { cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 1024 } }));
    expect(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 1024, pagesize: 2048 })).ok).toBe(true);
    expect(fitGuestToHost(h, guest({ cpus: 1, memoryMb: 1 })).ok).toBe(false);
  });
});

describe('dedicated cpus', () => {
  it('prefer packs onto sibling pairs and maps vCPUs in order', () => {
    const cells = okCells(fitGuestToHost(host(cell(0)), guest(ded(3))));
    expect([...(cells[0]?.pinning ?? [])]).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
  });

  it('prefer prefers whole free cores, then falls back to lone threads', () => {
    const h = host(cell(0, { usage: { cpusUsed: 0, pinnedPcpus: [10], memoryUsedMb: 0 } }));
    expect([...(okCells(fitGuestToHost(h, guest(ded(2))))[0]?.pinning?.values() ?? [])]).toEqual([12, 13]);
    expect([...(okCells(fitGuestToHost(h, guest(ded(3))))[0]?.pinning?.values() ?? [])]).toEqual([12, 13, 11]);
    expect(reason(fitGuestToHost(h, guest(ded(4))))).toMatch(/dedicated CPUs \(prefer\): 4 requested, 3 free of 4 \(short by 1\)/);
  });

  it('dedicated vCPUs do not use shared CPUs or the cpu ratio', () => {
    const h = host(cell(0, { usage: { cpusUsed: 4, pinnedPcpus: [], memoryUsedMb: 0 } }));
    expect(fitGuestToHost(h, guest(ded(4))).ok).toBe(true);
    expect(reason(fitGuestToHost(host(cell(0)), guest(ded(5))))).toMatch(/5 requested but the cell has only 4 dedicated CPUs/);
  });

  it('require uses only fully free cores with siblings', () => {
    const h = host(cell(0, { usage: { cpusUsed: 0, pinnedPcpus: [10], memoryUsedMb: 0 } }));
    expect([...(okCells(fitGuestToHost(h, guest(ded(2, 'require'))))[0]?.pinning?.values() ?? [])]).toEqual([12, 13]);
    expect(reason(fitGuestToHost(h, guest(ded(3, 'require'))))).toMatch(
      /dedicated CPUs \(require\): 3 requested, 2 threads on 1 fully free core with siblings \(short by 1\)/,
    );
    const noSmt = cell(0, { siblings: [] });
    expect(reason(fitGuestToHost(host(noSmt), guest(ded(1, 'require'))))).toMatch(/no cores with thread siblings/);
  });

  it('isolate pins one thread per core and reserves its sibling', () => {
    const cells = okCells(fitGuestToHost(host(cell(0)), guest(ded(2, 'isolate'))));
    expect([...(cells[0]?.pinning ?? [])]).toEqual([
      [0, 10],
      [1, 12],
    ]);
    expect(cells[0]?.reservedPcpus).toEqual([11, 13]);
    expect(reason(fitGuestToHost(host(cell(0)), guest(ded(3, 'isolate'))))).toMatch(
      /dedicated CPUs \(isolate\): 3 requested, 2 fully free cores \(short by 1\)/,
    );
    const after = applyFit(host(cell(0)), guest(ded(2, 'isolate')), fitGuestToHost(host(cell(0)), guest(ded(2, 'isolate'))));
    expect(after.cells[0]?.usage.pinnedPcpus).toEqual([10, 12, 11, 13]);
    expect(fitGuestToHost(after, guest(ded(1))).ok).toBe(false);
  });

  it('mixed cells float their first vCPUs and pin the last', () => {
    const g = guest({ cpus: 1, memoryMb: 1 }, { cpus: 3, memoryMb: 10, cpuPolicy: 'mixed', dedicatedCpus: 2 });
    const cells = okCells(fitGuestToHost(host(cell(0), cell(1)), g));
    expect(cells[1]?.sharedCpus).toBe(1);
    expect([...(cells[1]?.pinning ?? [])]).toEqual([
      [2, 110],
      [3, 111],
    ]);
  });
});

describe('applyFit / releaseFit', () => {
  it('updates usage immutably and release restores the host', () => {
    const h = host(cell(0), cell(1));
    const g = guest({ cpus: 2, memoryMb: 100 }, { ...ded(2), memoryMb: 1024, pagesize: 'large' });
    const fit = fitGuestToHost(h, g);
    const after = applyFit(h, g, fit);
    expect(h.cells[0]?.usage).toEqual({ cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 0 });
    expect(after.cells[0]?.usage).toEqual({ cpusUsed: 2, pinnedPcpus: [], memoryUsedMb: 100 });
    expect(after.cells[1]?.usage.pinnedPcpus).toEqual([110, 111]);
    expect(after.cells[1]?.hugepages[1]).toEqual({ sizeKb: 1048576, total: 1, used: 1 });
    expect(releaseFit(after, g, fit)).toEqual(h);
  });

  it('refuses to pin a CPU twice or release what was not applied', () => {
    const h = host(cell(0));
    const g = guest(ded(1));
    const fit = fitGuestToHost(h, g);
    const after = applyFit(h, g, fit);
    expect(() => applyFit(after, g, fit)).toThrow(NumaFitError);
    expect(() => applyFit(after, g, fit)).toThrow(/host CPU 10 of host cell 0 is already pinned/);
    expect(() => releaseFit(h, g, fit)).toThrow(/is not pinned/);
    expect(() => applyFit(h, g, { ok: false, reason: 'x' })).toThrow(/cannot apply a failed fit/);
  });
});
