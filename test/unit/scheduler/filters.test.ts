import { describe, expect, it } from 'vitest';

import { isTstackError } from '../../../common/errors.js';
import { HostTable } from '../../../src/scheduler/hosts/index.js';
import { HostStats } from '../../../src/scheduler/weighers/index.js';
import {
  AggregateMetadata,
  HostState,
  aggregateInstanceExtraSpecsFilter,
  aggregateMultiTenancyIsolationFilter,
  computeFilter,
  explainNoValidHost,
  haReserveFilter,
  hyperConvergedReserveFilter,
  imagePropertiesFilter,
  matchExtraSpec,
  runFilters,
  serverGroupAffinityFilter,
  serverGroupAntiAffinityFilter,
  type FilterContext,
  type FilterRequest,
  type HostFilterStage,
} from '../../../src/scheduler/filters/index.js';

const DIMS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];

function table(n: number, capacity = [32, 65536, 1000]): HostTable {
  const t = new HostTable({ dimensions: DIMS });
  for (let i = 0; i < n; i++) t.addHost({ capacity });
  return t;
}

function ids(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function kept(stage: HostFilterStage, ctx: FilterContext, candidates = ids(ctx.table.count)): number[] {
  const out = new Int32Array(candidates.length);
  const k = stage.filter(candidates, candidates.length, ctx, out);
  return [...out.subarray(0, k)];
}

function ctxOf(t: HostTable, request: FilterRequest, extra: Partial<FilterContext> = {}): FilterContext {
  return { table: t, request, ...extra };
}

describe('ComputeFilter', () => {
  it('keeps enabled, up hosts not in maintenance and says why it refuses the others', () => {
    const t = table(4);
    t.setEnabled(1, false);
    const s = new HostState();
    s.setUp(2, false);
    s.setMaintenance(3, true);
    const ctx = ctxOf(t, {}, { hostState: s });
    const f = computeFilter();
    expect(kept(f, ctx)).toEqual([0]);
    expect(f.explain(0, ctx)).toBeUndefined();
    expect(f.explain(1, ctx)).toBe('disabled');
    expect(f.explain(2, ctx)).toBe('compute service down (not reporting)');
    expect(f.explain(3, ctx)).toBe('in maintenance');
  });

  it('reads hosts the host state has not seen as up', () => {
    const t = table(40);
    expect(kept(computeFilter(), ctxOf(t, {}, { hostState: new HostState(16) })).length).toBe(40);
  });

  it('may filter in place (out is the input array)', () => {
    const t = table(5);
    t.setEnabled(0, false);
    t.setEnabled(3, false);
    const a = ids(5);
    const k = computeFilter().filter(a, 5, ctxOf(t, {}), a);
    expect([...a.subarray(0, k)]).toEqual([1, 2, 4]);
  });
});

describe('server group filters', () => {
  function world(): { t: HostTable; stats: HostStats } {
    const t = table(4);
    const stats = new HostStats();
    stats.setGroupMembers(7, 1, 1);
    stats.setGroupMembers(7, 2, 2);
    return { t, stats };
  }

  it('anti-affinity refuses hosts with a member (max_server_per_host 1 by default)', () => {
    const { t, stats } = world();
    const ctx = ctxOf(t, { serverGroup: { id: 7, name: 'g1', policy: 'anti-affinity' } }, { stats });
    const f = serverGroupAntiAffinityFilter();
    expect(kept(f, ctx)).toEqual([0, 3]);
    expect(f.explain(1, ctx)).toBe('g1 already on the host');
    expect(f.explain(0, ctx)).toBeUndefined();
  });

  it('anti-affinity with max_server_per_host keeps hosts with fewer members than the rule', () => {
    const { t, stats } = world();
    const ctx = ctxOf(t, { serverGroup: { id: 7, name: 'g1', policy: 'anti-affinity', maxServerPerHost: 2 } }, { stats });
    const f = serverGroupAntiAffinityFilter();
    expect(kept(f, ctx)).toEqual([0, 1, 3]);
    expect(f.explain(2, ctx)).toBe('g1 already has 2 members on the host (max_server_per_host 2)');
  });

  it('anti-affinity refuses a bad rule with ERR_SCHEDULER_FILTER', () => {
    const { t, stats } = world();
    const ctx = ctxOf(t, { serverGroup: { id: 7, policy: 'anti-affinity', maxServerPerHost: 0 } }, { stats });
    let code: string | undefined;
    try {
      kept(serverGroupAntiAffinityFilter(), ctx);
    } catch (e) {
      code = isTstackError(e) ? e.code : 'other';
    }
    expect(code).toBe('ERR_SCHEDULER_FILTER');
  });

  it('affinity keeps only hosts with members once the group has some', () => {
    const { t, stats } = world();
    const ctx = ctxOf(t, { serverGroup: { id: 7, name: 'g1', policy: 'affinity' } }, { stats });
    const f = serverGroupAffinityFilter();
    expect(kept(f, ctx)).toEqual([1, 2]);
    expect(f.explain(0, ctx)).toBe('g1 (affinity) already runs on hosts 1, 2, not this one');
  });

  it('affinity keeps every host for a group without members, and both filters ignore other policies', () => {
    const { t, stats } = world();
    expect(kept(serverGroupAffinityFilter(), ctxOf(t, { serverGroup: { id: 8, policy: 'affinity' } }, { stats }))).toEqual([0, 1, 2, 3]);
    const soft = ctxOf(t, { serverGroup: { id: 7, policy: 'soft-anti-affinity' } }, { stats });
    expect(kept(serverGroupAntiAffinityFilter(), soft)).toEqual([0, 1, 2, 3]);
    expect(kept(serverGroupAffinityFilter(), soft)).toEqual([0, 1, 2, 3]);
  });
});

describe('ImagePropertiesFilter', () => {
  function world(): { t: HostTable; s: HostState } {
    const t = table(4);
    const s = new HostState();
    s.setImageSupport(0, { architectures: ['x86_64'], hypervisorType: 'kvm', machineTypes: ['q35', 'pc'] });
    s.setImageSupport(1, { architectures: ['aarch64'], hypervisorType: 'kvm', machineTypes: ['virt'] });
    s.setImageSupport(2, { architectures: ['x86_64'], hypervisorType: 'qemu', machineTypes: ['pc'] });
    return { t, s };
  }

  it('keeps hosts that support every asked property', () => {
    const { t, s } = world();
    const f = imagePropertiesFilter();
    const ctx = ctxOf(t, { image: { hw_architecture: 'x86_64', img_hv_type: 'kvm', hw_machine_type: 'q35' } }, { hostState: s });
    expect(kept(f, ctx)).toEqual([0]);
    expect(f.explain(1, ctx)).toBe('image needs architecture x86_64; host supports aarch64');
    expect(f.explain(2, ctx)).toBe('image needs hypervisor type kvm; host runs qemu');
    expect(f.explain(3, ctx)).toBe('image needs architecture x86_64; host supports none');
    const q35 = ctxOf(t, { image: { hw_machine_type: 'q35' } }, { hostState: s });
    expect(f.explain(2, q35)).toBe('image needs machine type q35; host offers pc');
  });

  it('keeps every host for an image without properties and none for an unknown architecture', () => {
    const { t, s } = world();
    const f = imagePropertiesFilter();
    expect(kept(f, ctxOf(t, { image: {} }, { hostState: s }))).toEqual([0, 1, 2, 3]);
    expect(kept(f, ctxOf(t, {}, { hostState: s }))).toEqual([0, 1, 2, 3]);
    expect(kept(f, ctxOf(t, { image: { hw_architecture: 's390x' } }, { hostState: s }))).toEqual([]);
  });
});

describe('aggregate filters', () => {
  function world(): { t: HostTable; md: AggregateMetadata } {
    const t = new HostTable({ dimensions: DIMS });
    t.addHost({ capacity: [8, 8192, 100], aggregates: [0] });
    t.addHost({ capacity: [8, 8192, 100], aggregates: [1] });
    t.addHost({ capacity: [8, 8192, 100], aggregates: [0, 2] });
    t.addHost({ capacity: [8, 8192, 100] });
    const md = new AggregateMetadata();
    md.set(0, 'ssd', 'true');
    md.set(1, 'ssd', 'false');
    md.set(0, 'gpus', '4');
    md.set(2, 'filter_tenant_id', 'p1, p2');
    md.setName(2, 'tenant-zone');
    return { t, md };
  }

  it('AggregateInstanceExtraSpecsFilter matches scoped and unscoped keys, skips other scopes', () => {
    const { t, md } = world();
    const f = aggregateInstanceExtraSpecsFilter();
    const ctx = ctxOf(t, { extraSpecs: { 'aggregate_instance_extra_specs:ssd': 'true', 'hw:cpu_policy': 'dedicated' } }, { aggregates: md });
    expect(kept(f, ctx)).toEqual([0, 2]);
    expect(f.explain(1, ctx)).toBe("flavor extra spec ssd=true: the host's aggregates have ssd=false");
    expect(f.explain(3, ctx)).toBe('flavor extra spec ssd=true: no aggregate of the host has metadata ssd');
    expect(kept(f, ctxOf(t, { extraSpecs: { gpus: '>= 2' } }, { aggregates: md }))).toEqual([0, 2]);
    expect(kept(f, ctxOf(t, { extraSpecs: { ssd: '<or> false <or> maybe' } }, { aggregates: md }))).toEqual([1]);
    expect(kept(f, ctxOf(t, {}, { aggregates: md }))).toEqual([0, 1, 2, 3]);
  });

  it("matchExtraSpec follows Nova's operators", () => {
    expect(matchExtraSpec('4', '= 2')).toBe(true);
    expect(matchExtraSpec('1', '= 2')).toBe(false);
    expect(matchExtraSpec('abc', 's== abc')).toBe(true);
    expect(matchExtraSpec('abcd', '<in> bc')).toBe(true);
    expect(matchExtraSpec('abc', 'abc')).toBe(true);
    expect(matchExtraSpec('abc', 'abd')).toBe(false);
  });

  it('AggregateMultiTenancyIsolation keeps isolated hosts for the listed projects only', () => {
    const { t, md } = world();
    const f = aggregateMultiTenancyIsolationFilter();
    expect(kept(f, ctxOf(t, { projectId: 'p2' }, { aggregates: md }))).toEqual([0, 1, 2, 3]);
    const other = ctxOf(t, { projectId: 'p9' }, { aggregates: md });
    expect(kept(f, other)).toEqual([0, 1, 3]);
    expect(f.explain(2, other)).toBe('host is reserved (filter_tenant_id of tenant-zone) for other projects than p9');
  });
});

describe('HyperConvergedReserveFilter', () => {
  it('keeps the Ceph/platform reserve of VCPU and MEMORY_MB free after placing', () => {
    const t = table(3, [16, 32768, 500]);
    t.claim(1, [8, 0, 0]);
    const s = new HostState();
    for (let h = 0; h < 3; h++) s.setReserve(h, 4, 8192);
    s.setReserve(2, 4, 30000);
    const f = hyperConvergedReserveFilter();
    const ctx = ctxOf(t, { need: [6, 4096, 10] }, { hostState: s });
    expect(kept(f, ctx)).toEqual([0]);
    expect(f.explain(1, ctx)).toBe('placing 6 VCPU would leave 2 VCPU, below the 4 VCPU reserved for Ceph OSDs and platform services');
    expect(f.explain(2, ctx)).toBe('placing 4096 MEMORY_MB would leave 28672 MEMORY_MB, below the 30000 MEMORY_MB reserved for Ceph OSDs and platform services');
    // A request asking no memory is not refused for the memory reserve.
    expect(kept(f, ctxOf(t, { need: [2, 0, 0] }, { hostState: s }))).toEqual([0, 1, 2]);
  });
});

describe('HaReserveFilter', () => {
  /** Three failure domains of one host each (capacity 10 VCPU), used 4 / 4 / 0. */
  function world(): HostTable {
    const t = new HostTable({ dimensions: ['VCPU'] });
    t.addHost({ capacity: [10], used: [4], failureDomain: 0 });
    t.addHost({ capacity: [10], used: [4], failureDomain: 1 });
    t.addHost({ capacity: [10], used: [0], failureDomain: 2 });
    return t;
  }

  it('keeps a host when any one domain can still fail and restart elsewhere', () => {
    const t = world();
    const f = haReserveFilter();
    // Spare 6 + 6 + 10 = 22. Placing 4 on host 2: spare 18; each domain's used+spare is 10 ≤ 18.
    expect(kept(f, ctxOf(t, { need: [4] }))).toEqual([0, 1, 2]);
    // Placing 6 on host 0: it has 10 in use and the others 6 + 10 = 16 spare; on host 2: 6 in use, 12 spare elsewhere.
    expect(kept(f, ctxOf(t, { need: [6] }))).toEqual([0, 1, 2]);
  });

  it('refuses when a failed domain could not restart, naming the domain and the shortfall', () => {
    // Capacity 10 / 10 / 20, used 6 / 6 / 6: spare 4 / 4 / 14.
    const t = new HostTable({ dimensions: ['VCPU'] });
    t.addHost({ capacity: [10], used: [6], failureDomain: 0 });
    t.addHost({ capacity: [10], used: [6], failureDomain: 1 });
    t.addHost({ capacity: [20], used: [6] });
    const f = haReserveFilter();
    expect(kept(f, ctxOf(t, { need: [2] }))).toEqual([0, 1, 2]);
    const ctx = ctxOf(t, { need: [3] });
    expect(kept(f, ctx)).toEqual([]);
    // On host 0 the spare outside host 2 drops to 1 + 4 = 5 < 6.
    expect(f.explain(0, ctx)).toBe(
      'N+1 HA reserve: after placing here, if host 2 failed its 6 VCPU in use could not restart elsewhere (only 5 VCPU spare outside it)',
    );
    // On host 2 its own 9 in use would need more than the 8 spare elsewhere.
    expect(f.explain(2, ctx)).toBe(
      'N+1 HA reserve: after placing here, if host 2 failed its 9 VCPU in use could not restart elsewhere (only 8 VCPU spare outside it)',
    );
  });

  it('groups hosts by failure domain and counts hosts without one as their own domain', () => {
    const t = new HostTable({ dimensions: ['VCPU', 'MEMORY_MB'] });
    t.addHost({ capacity: [10, 100], used: [8, 50], failureDomain: 0 });
    t.addHost({ capacity: [10, 100], used: [8, 50], failureDomain: 0 });
    t.addHost({ capacity: [10, 100], used: [0, 0] });
    t.addHost({ capacity: [10, 100], used: [0, 0] });
    const f = haReserveFilter({ dimensions: ['VCPU'] });
    // Domain 0 has 16 VCPU in use; hosts 2 and 3 have 20 spare. Placing 4 on host 2 leaves 16.
    expect(kept(f, ctxOf(t, { need: [4, 0] }))).toEqual([0, 1, 2, 3]);
    const ctx = ctxOf(t, { need: [5, 0] });
    expect(kept(f, ctx)).toEqual([]);
    expect(f.explain(3, ctx)).toBe(
      'N+1 HA reserve: after placing here, if failure domain 0 failed its 16 VCPU in use could not restart elsewhere (only 15 VCPU spare outside it)',
    );
    // MEMORY_MB is not checked: a huge memory request changes nothing.
    expect(kept(f, ctxOf(t, { need: [0, 100] }))).toEqual([0, 1, 2, 3]);
  });

  it('takes the HCI reserve off the spare capacity and ignores inactive hosts', () => {
    const t = world();
    const s = new HostState();
    s.setReserve(2, 5, 0);
    // Spare 6 + 6 + 5 = 17. Placing 2 on host 0: domain 0 would have 6 used, spare outside 6 + 5 = 11: ok.
    expect(kept(haReserveFilter(), ctxOf(t, { need: [2] }, { hostState: s }))).toEqual([0, 1, 2]);
    s.setUp(2, false);
    // Host 2 down: hosts 0 and 1 alone, each 4 used, 6 spare: placing 3 on host 0 leaves 7 used vs 6
    // spare. Host 2 itself as the candidate joins the cluster: 3 used, 2 spare past its reserve.
    const ctx = ctxOf(t, { need: [3] }, { hostState: s });
    expect(kept(haReserveFilter(), ctx)).toEqual([2]);
    expect(haReserveFilter().explain(0, ctx)).toBe(
      'N+1 HA reserve: after placing here, if failure domain 0 failed its 7 VCPU in use could not restart elsewhere (only 6 VCPU spare outside it)',
    );
  });
});

describe('runFilters and explainNoValidHost', () => {
  it('reports per stage how many were removed and why, as a NoValidHost text', () => {
    const t = table(100);
    t.setEnabled(0, false);
    t.setEnabled(1, false);
    t.setEnabled(2, false);
    const stats = new HostStats();
    for (let h = 3; h < 100; h++) stats.setGroupMembers(0, h, 1);
    const ctx = ctxOf(t, { need: [1, 1, 1], serverGroup: { id: 0, name: 'group g1', policy: 'anti-affinity' } }, { stats });
    const result = runFilters([computeFilter(), serverGroupAntiAffinityFilter(), haReserveFilter()], ids(100), ctx);
    expect(result.hosts.length).toBe(0);
    expect(result.stages.map((s) => [s.name, s.before, s.removed, s.samples.length])).toEqual([
      ['ComputeFilter', 100, 3, 3],
      ['ServerGroupAntiAffinityFilter', 97, 97, 5],
      ['HaReserveFilter', 0, 0, 0],
    ]);
    expect(result.stages[1]?.samples[0]).toEqual({ host: 3, reason: 'group g1 already on the host' });
    expect(explainNoValidHost(result)).toBe(
      '100 hosts; ComputeFilter removed 3 (disabled); ServerGroupAntiAffinityFilter removed 97 (group g1 already on the host); 0 left',
    );
  });

  it('keeps the hosts every stage keeps, in input order, and refuses unknown candidates', () => {
    const t = table(6);
    t.setEnabled(4, false);
    const s = new HostState();
    s.setMaintenance(1, true);
    const result = runFilters([computeFilter()], Int32Array.of(5, 4, 3, 1, 0), ctxOf(t, {}, { hostState: s }));
    expect([...result.hosts]).toEqual([5, 3, 0]);
    expect(explainNoValidHost(result)).toBe('5 hosts; ComputeFilter removed 2 (disabled / in maintenance); 3 left');
    let code: string | undefined;
    try {
      runFilters([computeFilter()], Int32Array.of(9), ctxOf(t, {}));
    } catch (e) {
      code = isTstackError(e) ? e.code : 'other';
    }
    expect(code).toBe('ERR_SCHEDULER_FILTER');
  });
});
