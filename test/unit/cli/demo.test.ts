import { beforeAll, describe, expect, it } from 'vitest';

import type { DemoRun } from '../../../src/cli/demo.js';
import { formatDemo, runDemo } from '../../../src/cli/demo.js';
import type { PlacementEngine } from '../../../src/placement/index.js';

const SEED = 20240611;

interface Use {
  used: number;
  capacity: number;
}

/** Usage and Placement's capacity per provider and class, read from the engine's public API. */
function usage(engine: PlacementEngine): { provider: string; rc: string; used: number; capacity: number }[] {
  const out: { provider: string; rc: string; used: number; capacity: number }[] = [];
  for (const p of engine.listProviders()) {
    const { inventories } = engine.getInventories(p.uuid);
    const { usages } = engine.getProviderUsages(p.uuid);
    for (const [rc, inv] of Object.entries(inventories)) {
      out.push({ provider: p.name, rc, used: usages[rc] ?? 0, capacity: Math.floor((inv.total - inv.reserved) * inv.allocationRatio) });
    }
  }
  return out;
}

function total(engine: PlacementEngine, rc: string): Use {
  return usage(engine)
    .filter((u) => u.rc === rc)
    .reduce((a, u) => ({ used: a.used + u.used, capacity: a.capacity + u.capacity }), { used: 0, capacity: 0 });
}

let run: DemoRun;

beforeAll(() => {
  run = runDemo({ seed: SEED });
}, 120_000);

describe('tstack-host demo', () => {
  it('fills the 4-server hyper-converged cluster above 90% of schedulable VCPU and MEMORY_MB', () => {
    const engine = run.engines['hci-4'] as PlacementEngine;
    const hosts = engine.listProviders().filter((p) => 'VCPU' in engine.getInventories(p.uuid).inventories);
    expect(hosts).toHaveLength(4);
    for (const rc of ['VCPU', 'MEMORY_MB']) {
      const t = total(engine, rc);
      expect(t.capacity).toBeGreaterThan(0);
      expect(t.used / t.capacity).toBeGreaterThan(0.9);
    }
    // Schedulable is net of the reserve for Ceph and the platform: capacity < total.
    const inv = engine.getInventories(hosts[0]!.uuid).inventories;
    expect(inv.VCPU!.reserved).toBeGreaterThan(0);
    expect(inv.MEMORY_MB!.reserved).toBeGreaterThan(0);
  });

  it('over-commits nothing: usage <= capacity for every provider and class, in every scenario', () => {
    for (const engine of Object.values(run.engines)) {
      const rows = usage(engine);
      expect(rows.length).toBeGreaterThan(0);
      for (const u of rows) expect(u.used, `${u.provider} ${u.rc}`).toBeLessThanOrEqual(u.capacity);
    }
    for (const s of run.report.scenarios) expect(s.overcommitted).toEqual([]);
  });

  it('reports what the engines hold and ran until placements failed', () => {
    const [cluster, sites] = run.report.scenarios;
    expect(cluster?.id).toBe('hci-4');
    expect(sites?.id).toBe('sites-3x100');
    for (const s of run.report.scenarios) {
      const engine = run.engines[s.id] as PlacementEngine;
      for (const u of s.utilisation) expect(u).toMatchObject(total(engine, u.resourceClass));
      expect(s.placed).toBe(s.flavors.reduce((a, f) => a + f.placed, 0));
      expect(s.failed).toBeGreaterThan(0);
      for (const f of s.flavors) expect(f.placed).toBeGreaterThan(0);
    }
    // The Ceph pools serve all the disk: hosts hold none.
    const engine = run.engines['hci-4'] as PlacementEngine;
    const disk = usage(engine).filter((u) => u.rc === 'DISK_GB');
    expect(disk).toHaveLength(1);
    expect(disk[0]!.used).toBeGreaterThan(0);
    expect(sites!.sites.map((s) => s.site)).toEqual(['site1', 'site2', 'site3']);
    expect(sites!.sites.every((s) => s.vms > 0)).toBe(true);
    expect(sites!.utilisation.find((u) => u.resourceClass === 'SRIOV_NET_VF')!.used).toBeGreaterThan(0);
    expect(formatDemo(run.report)).toContain(`seed ${SEED}`);
  });

  it('schedules the same worlds through the scheduler (C: pack, D: spread) and reports utilisation and rejections', () => {
    const c = run.report.scenarios.find((s) => s.id === 'hci-4-scheduler');
    const d = run.report.scenarios.find((s) => s.id === 'sites-3x100-scheduler');
    for (const s of [c, d]) {
      expect(s?.scheduler).toBeDefined();
      expect(s!.placed).toBeGreaterThan(0);
      // Every rejection is counted under a reason the scheduler gave.
      expect(s!.scheduler!.rejections.reduce((a, r) => a + r.count, 0)).toBe(s!.failed);
      for (const r of s!.scheduler!.rejections) expect(r.reason.length).toBeGreaterThan(0);
      expect(s!.scheduler!.indexedDecisions + s!.scheduler!.placementDecisions).toBe(s!.placed);
    }
    expect(c!.scheduler!.mode).toBe('pack');
    expect(d!.scheduler!.mode).toBe('spread');
    // Packing the HCI cluster fills VCPU and MEMORY_MB above 95%.
    for (const rc of ['VCPU', 'MEMORY_MB']) expect(c!.utilisation.find((u) => u.resourceClass === rc)!.percent).toBeGreaterThan(95);
    // The SR-IOV VFs are the scheduler's device pools: used, never over their count.
    const vf = d!.scheduler!.devices[0]!;
    expect(vf.used).toBeGreaterThan(0);
    expect(vf.used).toBeLessThanOrEqual(vf.capacity);
    expect(d!.constraints.some((x) => x.constraint === 'anti-affinity group' && x.placed > 0)).toBe(true);
    const text = formatDemo(run.report);
    expect(text).toContain('== C. Scenario A through the scheduler, pack mode');
    expect(text).toContain('Rejections (NoValidHost');
  });
});
