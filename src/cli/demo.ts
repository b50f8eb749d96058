/**
 * `tstack-host demo`: builds simulated clouds in the placement engine and fills them with a mixed VM
 * workload, packing-first, until placements fail; then reports what was placed and how full each
 * resource class is. Uses only the public API of src/placement/index.ts.
 *
 *   A. a 4-server hyper-converged cluster: Ceph OSDs run on the compute hosts, so part of every host
 *      is held back with `reserved`, and the hosts' disks form one shared Ceph pool provider
 *      (MISC_SHARES_VIA_AGGREGATE) that serves DISK_GB to all four;
 *   B. a 3-site deployment of 100 servers per site: one aggregate and one shared Ceph pool per site,
 *      and a few hosts per site with an SR-IOV NIC whose VFs are a nested child provider.
 * Then the same worlds again, with the same workload shapes, through the scheduler (src/scheduler):
 *   C. the HCI cluster in `pack` mode;
 *   D. the three sites in `spread` mode, site pinning as availability zones, SR-IOV VFs as PCI device
 *      pools of the scheduler, and a share of the VMs in anti-affinity server groups;
 * each reporting utilisation per resource class and the rejections with the scheduler's reasons.
 */
import type { Rng } from '../../common/rng.js';
import { seededRng } from '../../common/rng.js';
import type { AllocationRequest, CandidateResult, InventoryInput, RequestGroup, Resources } from '../placement/index.js';
import { PlacementEngine } from '../placement/index.js';
import { NoValidHostError, Scheduler, type ScheduleRequest, type SchedulerMode } from '../scheduler/index.js';

// ------------------------------------------------------------------ inputs

export interface Flavor {
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  /** Share of the workload drawn of this flavor. */
  weight: number;
}

/** Nova's m1 shapes: one vCPU to 2 GiB throughout. */
export const FLAVORS: readonly Flavor[] = [
  { name: 'small', vcpus: 1, ramMb: 2048, diskGb: 20, weight: 40 },
  { name: 'medium', vcpus: 2, ramMb: 4096, diskGb: 40, weight: 30 },
  { name: 'large', vcpus: 4, ramMb: 8192, diskGb: 80, weight: 20 },
  { name: 'xlarge', vcpus: 8, ramMb: 16384, diskGb: 160, weight: 10 },
];

export interface Ratios {
  VCPU: number;
  MEMORY_MB: number;
  DISK_GB: number;
}

/** nova.conf's initial_{cpu,ram,disk}_allocation_ratio defaults. */
export const NOVA_DEFAULT_RATIOS: Ratios = { VCPU: 16.0, MEMORY_MB: 1.5, DISK_GB: 1.0 };
/** What the demo uses on hyper-converged hosts; see RATIO_NOTES. */
export const HCI_RATIOS: Ratios = { VCPU: 2.0, MEMORY_MB: 1.0, DISK_GB: 1.0 };

const RATIO_NOTES = [
  "Allocation ratios: VCPU 2.0, MEMORY_MB 1.0, DISK_GB 1.0 (Ceph pool), not Nova's defaults 16.0 / 1.5 / 1.0.",
  '  VCPU 2.0: guests share the cores with the Ceph OSD threads, and CPU steal on an HCI host shows up',
  '  as storage latency for the whole cluster; 2.0 also keeps one vCPU per 2 GiB of schedulable RAM,',
  '  the shape of the m1 flavors, so neither VCPU nor RAM is stranded when the other runs out.',
  '  MEMORY_MB 1.0: over-committed RAM ends in the OOM killer, which on an HCI host may pick an OSD and',
  '  start a cluster-wide recovery. DISK_GB 1.0: RBD images are thin, but a full Ceph cluster stops all writes.',
];

interface HostProfile {
  label: string;
  threads: number;
  ramMb: number;
  osds: number;
  /** Raw TB per OSD. */
  osdTb: number;
  reservedVcpu: number;
  reservedRamMb: number;
  reservedWhy: string;
}

const GIB = 1024;

/** Scenario A's servers: 2 × 32 cores, 512 GiB, 6 NVMe OSDs. */
const HCI_LARGE: HostProfile = {
  label: '2 × 32-core CPUs (128 threads), 512 GiB RAM, 6 × 7.68 TB NVMe Ceph OSDs',
  threads: 128,
  ramMb: 512 * GIB,
  osds: 6,
  osdTb: 7.68,
  reservedVcpu: 16,
  reservedRamMb: 64 * GIB,
  reservedWhy:
    'reserved per host: VCPU 16 = 6 OSDs × 2 threads + 4 for host OS, OVS and libvirt; ' +
    'MEMORY_MB 65,536 = 6 OSDs × 6 GiB (4 GiB osd_memory_target + headroom) + 28 GiB for host OS, OVS, libvirt, Ceph MON/MGR',
};

/** Scenario B's servers: 2 × 24 cores, 384 GiB, 4 NVMe OSDs. */
const HCI_SITE: HostProfile = {
  label: '2 × 24-core CPUs (96 threads), 384 GiB RAM, 4 × 7.68 TB NVMe Ceph OSDs',
  threads: 96,
  ramMb: 384 * GIB,
  osds: 4,
  osdTb: 7.68,
  reservedVcpu: 12,
  reservedRamMb: 48 * GIB,
  reservedWhy:
    'reserved per host: VCPU 12 = 4 OSDs × 2 threads + 4 for host OS, OVS and libvirt; ' +
    'MEMORY_MB 49,152 = 4 OSDs × 6 GiB + 24 GiB for host OS, OVS, libvirt, Ceph MON/MGR',
};

/** Ceph keeps 3 replicas and stops writes near full: 15% of usable space is held back. */
const CEPH_REPLICAS = 3;
const CEPH_HEADROOM = 0.15;
const VFS_PER_PF = 32;
const AVX512 = 'HW_CPU_X86_AVX512F';
const SRIOV = 'HW_NIC_SRIOV';

// ------------------------------------------------------------------ the report

export interface FlavorResult {
  flavor: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  placed: number;
  failed: number;
}

export interface Utilisation {
  resourceClass: string;
  used: number;
  capacity: number;
  percent: number;
}

export interface SiteResult {
  site: string;
  hosts: number;
  vms: number;
  utilisation: Utilisation[];
}

export interface ConstraintResult {
  constraint: string;
  placed: number;
  failed: number;
}

export interface ScenarioReport {
  id: string;
  title: string;
  /** How the world was built and why: host profile, reserves, ratios. */
  notes: string[];
  providers: number;
  hosts: number;
  attempts: number;
  placed: number;
  failed: number;
  /** 1-based attempt of the first failed placement; null when none failed. */
  firstFailureAt: number | null;
  flavors: FlavorResult[];
  constraints: ConstraintResult[];
  utilisation: Utilisation[];
  sites: SiteResult[];
  /** Per host, when there are few hosts. */
  hostUtilisation?: SiteResult[];
  /** Providers whose usage exceeds capacity for some class (must stay empty). */
  overcommitted: string[];
  /** What the figures show, derived from them. */
  findings: string[];
  /** Scenarios run through the scheduler: its mode, NoValidHost reasons and device use. */
  scheduler?: SchedulerSummary;
}

export interface SchedulerSummary {
  mode: SchedulerMode;
  /** Decisions answered by the capacity index and by placement's allocation candidates. */
  indexedDecisions: number;
  placementDecisions: number;
  /** NoValidHost explanations, grouped by the filter stage or placement line that emptied the list. */
  rejections: { reason: string; count: number }[];
  /** PCI devices in the scheduler's pools (SR-IOV VFs), used / total. */
  devices: Utilisation[];
}

export interface DemoReport {
  seed: number;
  scenarios: ScenarioReport[];
}

export interface DemoRun {
  report: DemoReport;
  /** Scenario id → its engine, for inspection (tests check over-commit against it directly). */
  engines: Record<string, PlacementEngine>;
}

// ------------------------------------------------------------------ building the worlds

/** A v4-shaped UUID from the seeded RNG, so that a seed replays the same world and consumers. */
function uuidFrom(rng: Rng): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += rng.int(16).toString(16);
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Site {
  name: string;
  aggregate: string;
  pool: string;
  hosts: string[];
}

interface World {
  engine: PlacementEngine;
  sites: Site[];
  /** Provider uuid (hosts, their children and pools) → site name. */
  siteOf: Map<string, string>;
  /** Host uuid → host name. */
  hostName: Map<string, string>;
  hostCount: number;
}

function addProvider(
  engine: PlacementEngine,
  rng: Rng,
  name: string,
  parentUuid: string | null,
  inventories: Record<string, InventoryInput>,
  aggregates: string[],
  traits: string[],
): string {
  const uuid = uuidFrom(rng);
  engine.createProvider({ name, uuid, parentUuid });
  let gen = engine.setInventories(uuid, 0, inventories);
  if (aggregates.length > 0) gen = engine.setAggregates(uuid, gen, aggregates);
  if (traits.length > 0) engine.setProviderTraits(uuid, gen, traits);
  return uuid;
}

function hostInventory(profile: HostProfile, ratios: Ratios): Record<string, InventoryInput> {
  // As nova-compute reports them: max_unit is the host's size, min_unit and step_size 1.
  return {
    VCPU: { total: profile.threads, reserved: profile.reservedVcpu, maxUnit: profile.threads, allocationRatio: ratios.VCPU },
    MEMORY_MB: { total: profile.ramMb, reserved: profile.reservedRamMb, maxUnit: profile.ramMb, allocationRatio: ratios.MEMORY_MB },
  };
}

function poolInventory(profile: HostProfile, hosts: number, ratios: Ratios): Record<string, InventoryInput> {
  const total = Math.floor((hosts * profile.osds * profile.osdTb * 1000) / CEPH_REPLICAS);
  return { DISK_GB: { total, reserved: Math.round(total * CEPH_HEADROOM), allocationRatio: ratios.DISK_GB } };
}

interface SiteSpec {
  name: string;
  hosts: number;
  hostPrefix: string;
  /** Which hosts (0-based index) have AVX-512 CPUs and an SR-IOV NIC. */
  avx512: (i: number) => boolean;
  sriov: (i: number) => boolean;
}

function buildWorld(rng: Rng, profile: HostProfile, ratios: Ratios, specs: readonly SiteSpec[]): World {
  const engine = new PlacementEngine({ now: () => 0 });
  const world: World = { engine, sites: [], siteOf: new Map(), hostName: new Map(), hostCount: 0 };
  for (const spec of specs) {
    const aggregate = uuidFrom(rng);
    const site: Site = { name: spec.name, aggregate, pool: '', hosts: [] };
    for (let i = 0; i < spec.hosts; i++) {
      const name = `${spec.hostPrefix}-${String(i + 1).padStart(spec.hosts > 9 ? 3 : 2, '0')}`;
      const traits = ['HW_CPU_X86_AVX2', ...(spec.avx512(i) ? [AVX512] : [])];
      const host = addProvider(engine, rng, name, null, hostInventory(profile, ratios), [aggregate], traits);
      site.hosts.push(host);
      world.siteOf.set(host, spec.name);
      world.hostName.set(host, name);
      if (spec.sriov(i)) {
        const pf = addProvider(engine, rng, `${name}-pf0`, host, { SRIOV_NET_VF: { total: VFS_PER_PF } }, [], [SRIOV]);
        world.siteOf.set(pf, spec.name);
      }
    }
    site.pool = addProvider(engine, rng, `${spec.name}-ceph-pool`, null, poolInventory(profile, spec.hosts, ratios), [aggregate], [
      'MISC_SHARES_VIA_AGGREGATE',
    ]);
    world.siteOf.set(site.pool, spec.name);
    world.sites.push(site);
    world.hostCount += spec.hosts;
  }
  return world;
}

// ------------------------------------------------------------------ the workload

interface Shape {
  flavor: Flavor;
  /** Pinned to this site's aggregate via member_of, or free to go anywhere. */
  site: Site | null;
  trait: boolean;
  sriov: boolean;
  weight: number;
}

interface Mix {
  /** Share of VMs pinned to one site (spread evenly over the sites). */
  pinned: number;
  /** Share requiring AVX-512. */
  trait: number;
  /** Share asking for one SR-IOV VF (exclusive of the trait share). */
  sriov: number;
}

function shapes(world: World, mix: Mix): Shape[] {
  const out: Shape[] = [];
  const siteChoices: { site: Site | null; w: number }[] = [{ site: null, w: 1 - mix.pinned }];
  if (mix.pinned > 0) for (const site of world.sites) siteChoices.push({ site, w: mix.pinned / world.sites.length });
  const kinds = [
    { trait: false, sriov: false, w: 1 - mix.trait - mix.sriov },
    { trait: true, sriov: false, w: mix.trait },
    { trait: false, sriov: true, w: mix.sriov },
  ].filter((k) => k.w > 0);
  const flavorTotal = FLAVORS.reduce((a, f) => a + f.weight, 0);
  for (const flavor of FLAVORS) {
    for (const { site, w } of siteChoices) {
      for (const k of kinds) out.push({ flavor, site, trait: k.trait, sriov: k.sriov, weight: (flavor.weight / flavorTotal) * w * k.w });
    }
  }
  return out;
}

function draw(active: readonly Shape[], rng: Rng): Shape {
  const total = active.reduce((a, s) => a + s.weight, 0);
  let x = rng.next() * total;
  for (const s of active) {
    x -= s.weight;
    if (x < 0) return s;
  }
  return active[active.length - 1] as Shape;
}

function groupsFor(shape: Shape): RequestGroup[] {
  const f = shape.flavor;
  const main: RequestGroup = {
    suffix: '',
    resources: { VCPU: f.vcpus, MEMORY_MB: f.ramMb, DISK_GB: f.diskGb },
    ...(shape.trait ? { required: [[AVX512]] } : {}),
    ...(shape.site !== null ? { memberOf: [[shape.site.aggregate]] } : {}),
  };
  return shape.sriov ? [main, { suffix: '_NET', resources: { SRIOV_NET_VF: 1 }, required: [[SRIOV]] }] : [main];
}

/** The provider of a request that holds the VM's VCPU: its compute host. */
function hostOf(request: AllocationRequest): string | undefined {
  for (const uuid in request.allocations) if (request.allocations[uuid]?.resources.VCPU !== undefined) return uuid;
  return undefined;
}

/** Free share of the host's VCPU and RAM, before this VM: lower is fuller. */
function freeShare(result: CandidateResult, host: string): number {
  const res = result.providerSummaries[host]?.resources;
  if (res === undefined) return 1;
  let free = 0;
  let n = 0;
  for (const rc of ['VCPU', 'MEMORY_MB']) {
    const r = res[rc];
    if (r === undefined || r.capacity <= 0) continue;
    free += (r.capacity - r.used) / r.capacity;
    n++;
  }
  return n === 0 ? 1 : free / n;
}

/** Packing-first: the candidate whose host has least free capacity; ties broken by the seeded RNG. */
function pick(result: CandidateResult, rng: Rng): AllocationRequest | undefined {
  let best: AllocationRequest[] = [];
  let bestScore = Infinity;
  for (const request of result.allocationRequests) {
    const host = hostOf(request);
    const score = host === undefined ? 1 : freeShare(result, host);
    if (score < bestScore - 1e-12) {
      bestScore = score;
      best = [request];
    } else if (Math.abs(score - bestScore) <= 1e-12) best.push(request);
  }
  return best.length === 0 ? undefined : best[rng.int(best.length)];
}

interface Tally {
  attempts: number;
  placed: number;
  failed: number;
  firstFailureAt: number | null;
  byFlavor: Map<string, { placed: number; failed: number }>;
  byConstraint: Map<string, { placed: number; failed: number }>;
  vmsPerSite: Map<string, number>;
}

function constraintsOf(shape: Shape): string[] {
  const out: string[] = [];
  if (shape.site !== null) out.push(`member_of ${shape.site.name}`);
  if (shape.trait) out.push(`required ${AVX512}`);
  if (shape.sriov) out.push(`SR-IOV VF (${SRIOV})`);
  if (out.length === 0) out.push('unconstrained');
  return out;
}

function newTally(world: World): Tally {
  return {
    attempts: 0,
    placed: 0,
    failed: 0,
    firstFailureAt: null,
    byFlavor: new Map(FLAVORS.map((f) => [f.name, { placed: 0, failed: 0 }])),
    byConstraint: new Map(),
    vmsPerSite: new Map(world.sites.map((s) => [s.name, 0])),
  };
}

/**
 * Places VMs drawn from the mix until every shape has failed once. Usage only grows, so a shape
 * that failed cannot fit later: it leaves the mix instead of failing again and again.
 */
function fill(world: World, mix: Mix, rng: Rng): Tally {
  const { engine } = world;
  const tally = newTally(world);
  const projects = [uuidFrom(rng), uuidFrom(rng), uuidFrom(rng)];
  const user = uuidFrom(rng);
  let active = shapes(world, mix);
  while (active.length > 0) {
    const shape = draw(active, rng);
    tally.attempts++;
    const result = engine.getAllocationCandidates({ groups: groupsFor(shape), ...(shape.sriov ? { groupPolicy: 'none' as const } : {}) });
    const choice = pick(result, rng);
    const ok = choice !== undefined;
    if (choice !== undefined) {
      const allocations: Record<string, Resources> = {};
      for (const [uuid, entry] of Object.entries(choice.allocations)) allocations[uuid] = entry.resources;
      engine.setAllocations({
        consumerUuid: uuidFrom(rng),
        consumerGeneration: null,
        projectId: projects[rng.int(projects.length)] as string,
        userId: user,
        consumerType: 'INSTANCE',
        allocations,
      });
      tally.placed++;
      const site = world.siteOf.get(hostOf(choice) ?? '');
      if (site !== undefined) tally.vmsPerSite.set(site, (tally.vmsPerSite.get(site) ?? 0) + 1);
    } else {
      tally.failed++;
      tally.firstFailureAt ??= tally.attempts;
      active = active.filter((s) => s !== shape);
    }
    const f = tally.byFlavor.get(shape.flavor.name) as { placed: number; failed: number };
    if (ok) f.placed++;
    else f.failed++;
    for (const c of constraintsOf(shape)) {
      let entry = tally.byConstraint.get(c);
      if (entry === undefined) {
        entry = { placed: 0, failed: 0 };
        tally.byConstraint.set(c, entry);
      }
      if (ok) entry.placed++;
      else entry.failed++;
    }
  }
  return tally;
}

// ------------------------------------------------------------------ measuring

const CLASS_ORDER = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'SRIOV_NET_VF'];

function addUse(into: Map<string, { used: number; capacity: number }>, rc: string, used: number, capacity: number): void {
  const e = into.get(rc) ?? { used: 0, capacity: 0 };
  e.used += used;
  e.capacity += capacity;
  into.set(rc, e);
}

function toList(m: Map<string, { used: number; capacity: number }>): Utilisation[] {
  return [...m.entries()]
    .sort(([a], [b]) => CLASS_ORDER.indexOf(a) - CLASS_ORDER.indexOf(b))
    .map(([resourceClass, { used, capacity }]) => ({
      resourceClass,
      used,
      capacity,
      percent: capacity === 0 ? 0 : Math.round((used / capacity) * 1000) / 10,
    }));
}

/** Usage against Placement's capacity, floor((total − reserved) × allocation_ratio), read back from the engine. */
function measure(world: World): Pick<ScenarioReport, 'utilisation' | 'sites' | 'hostUtilisation' | 'overcommitted'> {
  const { engine } = world;
  const overall = new Map<string, { used: number; capacity: number }>();
  const perSite = new Map<string, Map<string, { used: number; capacity: number }>>();
  const perHost = new Map<string, Map<string, { used: number; capacity: number }>>();
  const overcommitted: string[] = [];
  for (const p of engine.listProviders()) {
    const { inventories } = engine.getInventories(p.uuid);
    const { usages } = engine.getProviderUsages(p.uuid);
    const site = world.siteOf.get(p.uuid) ?? '?';
    let siteMap = perSite.get(site);
    if (siteMap === undefined) {
      siteMap = new Map();
      perSite.set(site, siteMap);
    }
    for (const [rc, inv] of Object.entries(inventories)) {
      const capacity = Math.floor((inv.total - inv.reserved) * inv.allocationRatio);
      const used = usages[rc] ?? 0;
      if (used > capacity) overcommitted.push(`${p.name} ${rc} ${used}/${capacity}`);
      addUse(overall, rc, used, capacity);
      addUse(siteMap, rc, used, capacity);
      if (world.hostName.has(p.uuid)) {
        let hostMap = perHost.get(p.uuid);
        if (hostMap === undefined) {
          hostMap = new Map();
          perHost.set(p.uuid, hostMap);
        }
        addUse(hostMap, rc, used, capacity);
      }
    }
  }
  const sites: SiteResult[] = world.sites.map((s) => ({
    site: s.name,
    hosts: s.hosts.length,
    vms: 0,
    utilisation: toList(perSite.get(s.name) ?? new Map()),
  }));
  const out: Pick<ScenarioReport, 'utilisation' | 'sites' | 'hostUtilisation' | 'overcommitted'> = {
    utilisation: toList(overall),
    sites,
    overcommitted,
  };
  if (world.hostCount <= 8) {
    out.hostUtilisation = [...perHost.entries()].map(([uuid, m]) => ({
      site: world.hostName.get(uuid) as string,
      hosts: 1,
      vms: Object.keys(engine.getProviderAllocations(uuid).allocations).length,
      utilisation: toList(m),
    }));
  }
  return out;
}

function constraintRank(c: string): number {
  return ['unconstrained', 'member_of', 'required', 'SR-IOV'].findIndex((p) => c.startsWith(p));
}

function findings(utilisation: readonly Utilisation[], constraints: readonly ConstraintResult[]): string[] {
  const pct = (rc: string): number | undefined => utilisation.find((u) => u.resourceClass === rc)?.percent;
  const out: string[] = [];
  const vcpu = pct('VCPU');
  const ram = pct('MEMORY_MB');
  if (vcpu !== undefined && ram !== undefined) {
    out.push(
      Math.abs(vcpu - ram) < 5
        ? `VCPU ${vcpu.toFixed(1)}% and MEMORY_MB ${ram.toFixed(1)}% used together: the flavors' 1 vCPU : 2 GiB matches the schedulable capacity, so neither strands the other.`
        : `VCPU ${vcpu.toFixed(1)}% vs MEMORY_MB ${ram.toFixed(1)}% used: the flavors' shape does not match the capacity, and the rest is stranded.`,
    );
  }
  const disk = pct('DISK_GB');
  if (disk !== undefined && disk < 90) out.push(`DISK_GB ${disk.toFixed(1)}% used: the Ceph pool outlasts compute (the m1 flavors take 20 GB of root disk per vCPU).`);
  const vf = pct('SRIOV_NET_VF');
  const sriov = constraints.find((c) => c.constraint.startsWith('SR-IOV'));
  if (vf !== undefined && vf < 50 && sriov !== undefined && sriov.failed > 0) {
    out.push(
      `SRIOV_NET_VF only ${vf.toFixed(1)}% used, yet SR-IOV requests failed: the hosts with SR-IOV NICs were filled by VMs that need no VF ` +
        '(packing-first knows no PCI weigher that keeps them for the VMs that do).',
    );
  }
  return out;
}

function scenarioReport(id: string, title: string, notes: string[], world: World, tally: Tally): ScenarioReport {
  const measured = measure(world);
  for (const s of measured.sites) s.vms = tally.vmsPerSite.get(s.site) ?? 0;
  const constraints = [...tally.byConstraint.entries()]
    .sort(([a], [b]) => constraintRank(a) - constraintRank(b) || a.localeCompare(b))
    .map(([constraint, v]) => ({ constraint, ...v }));
  return {
    id,
    title,
    notes,
    providers: world.engine.listProviders().length,
    hosts: world.hostCount,
    attempts: tally.attempts,
    placed: tally.placed,
    failed: tally.failed,
    firstFailureAt: tally.firstFailureAt,
    flavors: FLAVORS.map((f) => ({ flavor: f.name, vcpus: f.vcpus, ramMb: f.ramMb, diskGb: f.diskGb, ...(tally.byFlavor.get(f.name) as { placed: number; failed: number }) })),
    constraints,
    ...measured,
    findings: findings(measured.utilisation, constraints),
  };
}

function advertised(profile: HostProfile, hosts: number, ratios: Ratios): string {
  const vcpu = Math.floor((profile.threads - profile.reservedVcpu) * ratios.VCPU) * hosts;
  const ram = Math.floor((profile.ramMb - profile.reservedRamMb) * ratios.MEMORY_MB) * hosts;
  return `${vcpu.toLocaleString('en-US')} vCPU and ${Math.round(ram / GIB).toLocaleString('en-US')} GiB`;
}

// ------------------------------------------------------------------ the scenarios

function hciCluster(rng: Rng): { report: ScenarioReport; engine: PlacementEngine } {
  const hosts = 4;
  const world = buildWorld(rng, HCI_LARGE, HCI_RATIOS, [
    { name: 'hci', hosts, hostPrefix: 'hci', avx512: (i) => i >= 2, sriov: () => false },
  ]);
  const mix: Mix = { pinned: 0, trait: 0.1, sriov: 0 };
  const tally = fill(world, mix, rng);
  const notes = [
    `${hosts} hosts: ${HCI_LARGE.label}; hci-03 and hci-04 have AVX-512.`,
    HCI_LARGE.reservedWhy + '.',
    `Ceph pool "hci-ceph-pool": one sharing provider (MISC_SHARES_VIA_AGGREGATE) in the hosts' aggregate, DISK_GB = raw / ${CEPH_REPLICAS} replicas, ${CEPH_HEADROOM * 100}% reserved below Ceph's full ratio.`,
    ...RATIO_NOTES,
    `With Nova's defaults (16.0 / 1.5) the same hosts would advertise ${advertised(HCI_LARGE, hosts, NOVA_DEFAULT_RATIOS)}; with these, ${advertised(HCI_LARGE, hosts, HCI_RATIOS)}.`,
    'Workload: m1 flavors small/medium/large/xlarge drawn 40/30/20/10%, 10% requiring HW_CPU_X86_AVX512F; placed packing-first until every request shape has failed once.',
  ];
  return { report: scenarioReport('hci-4', 'A. Hyper-converged cluster: 4 servers + shared Ceph pool', notes, world, tally), engine: world.engine };
}

function threeSites(rng: Rng): { report: ScenarioReport; engine: PlacementEngine } {
  const perSite = 100;
  const specs: SiteSpec[] = ['site1', 'site2', 'site3'].map((name) => ({
    name,
    hosts: perSite,
    hostPrefix: `${name}-cmp`,
    avx512: (i: number) => i % 3 === 0,
    sriov: (i: number) => i % 12 === 5,
  }));
  const world = buildWorld(rng, HCI_SITE, HCI_RATIOS, specs);
  const mix: Mix = { pinned: 0.3, trait: 0.1, sriov: 0.05 };
  const tally = fill(world, mix, rng);
  const sriovHosts = specs[0] === undefined ? 0 : Array.from({ length: perSite }, (_, i) => i).filter((i) => (specs[0] as SiteSpec).sriov(i)).length;
  const notes = [
    `3 sites × ${perSite} hosts: ${HCI_SITE.label}; every third host has AVX-512.`,
    HCI_SITE.reservedWhy + '.',
    `Per site: one aggregate holding its hosts and its Ceph pool (a sharing provider with DISK_GB); ${sriovHosts} hosts per site carry an SR-IOV NIC as a nested child provider "<host>-pf0" with ${VFS_PER_PF} SRIOV_NET_VF and trait ${SRIOV}.`,
    'Allocation ratios as in scenario A (VCPU 2.0, MEMORY_MB 1.0, DISK_GB 1.0).',
    `With Nova's defaults the hosts would advertise ${advertised(HCI_SITE, 3 * perSite, NOVA_DEFAULT_RATIOS)}; with these, ${advertised(HCI_SITE, 3 * perSite, HCI_RATIOS)}.`,
    'Workload: flavors 40/30/20/10%; 30% pinned to one site via member_of, 10% requiring HW_CPU_X86_AVX512F, 5% asking for one SR-IOV VF in a granular group; packing-first until every request shape has failed once.',
  ];
  return { report: scenarioReport('sites-3x100', 'B. Three sites × 100 servers, a Ceph pool per site', notes, world, tally), engine: world.engine };
}

// ------------------------------------------------------------------ through the scheduler

const VF_VENDOR = '8086';
const VF_PRODUCT = '154c';
const PHYSNET = 'physnet1';

/** The reason a NoValidHost names last: the stage that removed the last hosts, or placement's own line. */
function rejectionReason(e: NoValidHostError): string {
  const stages = e.details.filterResult.stages.filter((s) => s.removed > 0 && s.before > 0);
  const last = stages[stages.length - 1];
  if (last !== undefined && e.details.filterResult.hosts.length === 0 && last.removed === last.before) {
    const why = last.samples[0]?.reason ?? '';
    return `${last.name}: ${why.replace(/\d[\d,.]*/g, 'N')}`;
  }
  if (e.details.placementCandidates === 0) return 'placement: no allocation candidates (capacity, traits or aggregates)';
  return e.message.replace(/\d[\d,.]*/g, 'N').slice(0, 160);
}

/** Places VMs drawn from the mix through `scheduler` until every shape has failed once (as fill()). */
function fillWithScheduler(world: World, mix: Mix, rng: Rng, scheduler: Scheduler, groups: number): { tally: Tally; rejections: Map<string, number> } {
  const tally = newTally(world);
  const rejections = new Map<string, number>();
  const projects = [uuidFrom(rng), uuidFrom(rng), uuidFrom(rng)];
  const user = uuidFrom(rng);
  let active = shapes(world, mix);
  let groupIndex = 0;
  while (active.length > 0) {
    const shape = draw(active, rng);
    tally.attempts++;
    const f = shape.flavor;
    // A share of the unconstrained VMs join anti-affinity groups of 4 (spread over hosts for HA).
    const grouped = groups > 0 && shape.site === null && !shape.trait && !shape.sriov && rng.next() < 0.2;
    const request: ScheduleRequest = {
      instances: 1,
      resources: { VCPU: f.vcpus, MEMORY_MB: f.ramMb, DISK_GB: f.diskGb },
      projectId: projects[rng.int(projects.length)] as string,
      userId: user,
      consumerUuids: [uuidFrom(rng)],
      ...(shape.trait ? { requiredTraits: [[AVX512]] } : {}),
      ...(shape.site !== null ? { availabilityZone: shape.site.name } : {}),
      ...(shape.sriov ? { pciRequests: [{ vendorId: VF_VENDOR, productId: VF_PRODUCT, physnet: PHYSNET, count: 1 }] } : {}),
      ...(grouped ? { serverGroup: { id: Math.floor(groupIndex++ / 4) % groups, name: `ha-group-${Math.floor(groupIndex / 4) % groups}`, policy: 'anti-affinity' as const } } : {}),
    };
    let ok = true;
    try {
      const r = scheduler.schedule(request);
      const host = r.selections[0]?.hostUuid ?? '';
      tally.placed++;
      const site = world.siteOf.get(host);
      if (site !== undefined) tally.vmsPerSite.set(site, (tally.vmsPerSite.get(site) ?? 0) + 1);
    } catch (e) {
      if (!(e instanceof NoValidHostError)) throw e;
      ok = false;
      tally.failed++;
      tally.firstFailureAt ??= tally.attempts;
      const reason = rejectionReason(e);
      rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
      // A grouped VM fails for its group, not for its shape: the shape leaves only when ungrouped.
      if (!grouped) active = active.filter((s) => s !== shape);
    }
    const fl = tally.byFlavor.get(f.name) as { placed: number; failed: number };
    if (ok) fl.placed++;
    else fl.failed++;
    for (const c of [...constraintsOf(shape), ...(grouped ? ['anti-affinity group'] : [])]) {
      let entry = tally.byConstraint.get(c);
      if (entry === undefined) {
        entry = { placed: 0, failed: 0 };
        tally.byConstraint.set(c, entry);
      }
      if (ok) entry.placed++;
      else entry.failed++;
    }
    if (tally.attempts > 200_000) break;
  }
  return { tally, rejections };
}

function schedulerSummary(scheduler: Scheduler, rejections: Map<string, number>): SchedulerSummary {
  let used = 0;
  let total = 0;
  for (let h = 0; h < scheduler.table.count; h++) {
    const d = scheduler.topologies.devices(h);
    d.pools.forEach((p, q) => {
      total += p.count;
      used += d.used[q] ?? 0;
    });
  }
  return {
    mode: scheduler.mode,
    indexedDecisions: scheduler.counters.indexed,
    placementDecisions: scheduler.counters.placement,
    rejections: [...rejections.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, count]) => ({ reason, count })),
    devices: total === 0 ? [] : [{ resourceClass: `PCI ${VF_VENDOR}:${VF_PRODUCT} (SR-IOV VF, ${PHYSNET})`, used, capacity: total, percent: Math.round((used / total) * 1000) / 10 }],
  };
}

function hciClusterScheduled(rng: Rng): { report: ScenarioReport; engine: PlacementEngine } {
  const hosts = 4;
  const world = buildWorld(rng, HCI_LARGE, HCI_RATIOS, [{ name: 'hci', hosts, hostPrefix: 'hci', avx512: (i) => i >= 2, sriov: () => false }]);
  const scheduler = new Scheduler({ engine: world.engine, rng: seededRng(rng.int(2 ** 31)), mode: 'pack' });
  const { tally, rejections } = fillWithScheduler(world, { pinned: 0, trait: 0.1, sriov: 0 }, rng, scheduler, 0);
  const notes = [
    'The world and workload of scenario A, scheduled by the scheduler (src/scheduler) in pack mode: placement candidates (the Ceph pool is a sharing provider),',
    '  Nova\'s default filters, then the host leaving the least free share in the binding requested resource; claims in the placement engine.',
  ];
  const report = scenarioReport('hci-4-scheduler', 'C. Scenario A through the scheduler, pack mode', notes, world, tally);
  report.scheduler = schedulerSummary(scheduler, rejections);
  scheduler.close();
  return { report, engine: world.engine };
}

function threeSitesScheduled(rng: Rng): { report: ScenarioReport; engine: PlacementEngine } {
  const perSite = 100;
  const specs: SiteSpec[] = ['site1', 'site2', 'site3'].map((name) => ({ name, hosts: perSite, hostPrefix: `${name}-cmp`, avx512: (i: number) => i % 3 === 0, sriov: () => false }));
  const world = buildWorld(rng, HCI_SITE, HCI_RATIOS, specs);
  const zones: Record<string, string[]> = {};
  for (const site of world.sites) zones[site.name] = [site.aggregate];
  const scheduler = new Scheduler({ engine: world.engine, rng: seededRng(rng.int(2 ** 31)), mode: 'spread', availabilityZones: zones });
  // SR-IOV NICs as device pools of the scheduler (the same hosts as in B carry one).
  for (const site of world.sites) {
    site.hosts.forEach((host, i) => {
      if (i % 12 === 5) scheduler.topologies.setPools(scheduler.hostId(host), [{ vendorId: VF_VENDOR, productId: VF_PRODUCT, physnet: PHYSNET, numaNode: -1, count: VFS_PER_PF }]);
    });
  }
  const { tally, rejections } = fillWithScheduler(world, { pinned: 0.3, trait: 0.1, sriov: 0.05 }, rng, scheduler, 50);
  const notes = [
    'The world and workload of scenario B, scheduled by the scheduler in spread mode (the host left with the most free share in the binding resource):',
    '  site pinning as availability zones (AZ → member_of the site aggregate), SR-IOV VFs as PCI device pools (vendor 8086, product 154c, physnet1)',
    '  on the same hosts instead of nested providers, and 20% of the unconstrained VMs in anti-affinity server groups of 4 (50 groups, reused).',
  ];
  const report = scenarioReport('sites-3x100-scheduler', 'D. Scenario B through the scheduler, spread mode', notes, world, tally);
  report.scheduler = schedulerSummary(scheduler, rejections);
  scheduler.close();
  return { report, engine: world.engine };
}

export const DEFAULT_SEED = 42;

export interface DemoOptions {
  seed?: number;
  /** Told when each scenario starts (the CLI shows it on a terminal; scenario B takes seconds). */
  onProgress?: (message: string) => void;
}

export function runDemo(options: DemoOptions = {}): DemoRun {
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = seededRng(seed);
  options.onProgress?.('placing VMs in scenario A (4-server hyper-converged cluster)…');
  const a = hciCluster(rng);
  options.onProgress?.('placing VMs in scenario B (3 sites × 100 servers)…');
  const b = threeSites(rng);
  options.onProgress?.('scheduling scenario C (A through the scheduler, pack)…');
  const c = hciClusterScheduled(rng);
  options.onProgress?.('scheduling scenario D (B through the scheduler, spread)…');
  const d = threeSitesScheduled(rng);
  return {
    report: { seed, scenarios: [a.report, b.report, c.report, d.report] },
    engines: { [a.report.id]: a.engine, [b.report.id]: b.engine, [c.report.id]: c.engine, [d.report.id]: d.engine },
  };
}

// ------------------------------------------------------------------ formatting

function n(v: number): string {
  return v.toLocaleString('en-US');
}

function table(headers: string[], rows: string[][], right: boolean[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function utilRows(list: readonly Utilisation[]): string[][] {
  return list.map((u) => [u.resourceClass, n(u.used), n(u.capacity), `${u.percent.toFixed(1)}%`]);
}

function groupTable(label: string, groups: readonly SiteResult[]): string[] {
  const classes = CLASS_ORDER.filter((rc) => groups.some((g) => g.utilisation.some((u) => u.resourceClass === rc)));
  const rows = groups.map((g) => [
    g.site,
    n(g.vms),
    ...classes.map((rc) => {
      const u = g.utilisation.find((x) => x.resourceClass === rc);
      return u === undefined ? '–' : `${n(u.used)} / ${n(u.capacity)} (${u.percent.toFixed(1)}%)`;
    }),
  ]);
  return table([label, 'VMs', ...classes], rows, [false, true, ...classes.map(() => true)]);
}

export function formatDemo(report: DemoReport): string {
  const out: string[] = [`tstack-host demo (seed ${report.seed})`];
  for (const s of report.scenarios) {
    out.push('', `== ${s.title}`, ...s.notes.map((l) => (l.startsWith('  ') ? `  ${l}` : `- ${l}`)), '');
    out.push(
      `Providers: ${n(s.providers)} (${n(s.hosts)} hosts). Placement attempts: ${n(s.attempts)}; VMs placed: ${n(s.placed)}; failed: ${n(s.failed)}` +
        (s.firstFailureAt === null ? '.' : ` (first failure at attempt ${n(s.firstFailureAt)}).`),
      '',
    );
    const totalPlaced = s.flavors.reduce((a, f) => a + f.placed, 0);
    const totalFailed = s.flavors.reduce((a, f) => a + f.failed, 0);
    out.push(
      ...table(
        ['flavor', 'vCPU', 'RAM MB', 'disk GB', 'placed', 'failed'],
        [
          ...s.flavors.map((f) => [f.flavor, String(f.vcpus), n(f.ramMb), n(f.diskGb), n(f.placed), n(f.failed)]),
          ['total', '', '', '', n(totalPlaced), n(totalFailed)],
        ],
        [false, true, true, true, true, true],
      ),
      '',
    );
    out.push(
      ...table(
        ['request constraint', 'placed', 'failed'],
        s.constraints.map((c) => [c.constraint, n(c.placed), n(c.failed)]),
        [false, true, true],
      ),
      '',
    );
    out.push('Utilisation (used / capacity, capacity = (total − reserved) × allocation_ratio):');
    out.push(...table(['resource class', 'used', 'capacity', '%'], utilRows(s.utilisation), [false, true, true, true]), '');
    out.push(...groupTable('site', s.sites), '');
    if (s.hostUtilisation !== undefined) out.push(...groupTable('host', s.hostUtilisation), '');
    if (s.scheduler !== undefined) {
      const sc = s.scheduler;
      out.push(`Scheduler: mode ${sc.mode}; decisions by the capacity index ${n(sc.indexedDecisions)}, by placement candidates ${n(sc.placementDecisions)}.`);
      if (sc.devices.length > 0) out.push(...table(['devices', 'used', 'total', '%'], utilRows(sc.devices), [false, true, true, true]));
      out.push('', 'Rejections (NoValidHost, by the reason the scheduler gave; numbers elided):');
      out.push(...table(['reason', 'count'], sc.rejections.map((r) => [r.reason, n(r.count)]), [false, true]), '');
    }
    out.push(s.overcommitted.length === 0 ? 'Over-committed providers: none.' : `OVER-COMMITTED: ${s.overcommitted.join('; ')}`);
    for (const f of s.findings) out.push(`- ${f}`);
  }
  return out.join('\n');
}
