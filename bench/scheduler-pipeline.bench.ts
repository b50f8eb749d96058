/**
 * Scheduler pipeline benchmarks (src/scheduler/pipeline): whole decisions — pre-filters, candidates,
 * filters, ranking, NUMA/PCI claim and the claim in the placement engine — through `Scheduler.schedule`.
 *
 *   (a) placements per second and p99 decision latency at 1,000 / 10,000 / 100,000 hosts for
 *       - resources-only: 2 VCPU, 4 GiB, 40 GB (pack);
 *       - realistic: the same plus a required trait (half the hosts), member_of two of four
 *         aggregates, and an anti-affinity server group (64 groups, used in turn);
 *       - NUMA-pinned: 2 dedicated vCPUs (PCPU, thread policy prefer) and 4 GiB in one guest cell, on
 *         hosts with 2 NUMA cells of 16 shared + 8 dedicated CPUs (4 cores × 2 threads);
 *       each through the capacity index (`candidates: 'index'`) and, in the same run on an identical
 *       world, through the reference scan of the host table (`candidates: 'scan'`); at 1,000 and
 *       10,000 hosts also through placement's allocation candidates (`candidates: 'placement'`),
 *       the path every request took before the indexed one;
 *   (b) bytes per host of the host table, its capacity index and the unit columns at 100,000 hosts.
 * Worlds: flat compute nodes in a PlacementEngine — VCPU 32 × ratio 4, MEMORY_MB 256 GiB (16 GiB
 * reserved), DISK_GB 3,600, PCPU 16 — filled by one consumer per host to ~90 %: 88 % of hosts have no
 * room for the request, 12 % (at random ids) are 20–60 % used. Each timed sample places up to N
 * instances and releases them (untimed) before the next, so the fill stays put.
 */
import { seededRng } from '../common/rng.js';
import { PlacementEngine } from '../src/placement/index.js';
import type { HostNumaTopology } from '../src/scheduler/numa/index.js';
import { NoValidHostError, Scheduler, type ScheduleRequest, type ScheduleResult } from '../src/scheduler/pipeline/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TimedCase } from './harness.js';
import { consume, gcNow, managed, scenarioCollector, target, timeCases, scenarioLookup } from './harness.js';

const AVX2 = 'HW_CPU_X86_AVX2';
const AGGS = ['a0000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000'];
const OPEN_SHARE = 0.12;
const GROUPS = 64;

type Kind = 'resources' | 'realistic' | 'numa';
type Path = 'index' | 'scan' | 'placement';

function hostNuma(pinned: number): HostNumaTopology {
  const cell = (id: number, pin: number): HostNumaTopology['cells'][number] => {
    const base = id * 24;
    const pcpus = Array.from({ length: 8 }, (_, i) => base + 16 + i);
    return {
      id,
      cpus: Array.from({ length: 16 }, (_, i) => base + i),
      pcpus,
      siblings: [0, 1, 2, 3].map((c) => [base + 16 + 2 * c, base + 17 + 2 * c]),
      memoryMb: 120 * 1024,
      hugepages: [{ sizeKb: 2048, total: 4096, used: 0 }],
      cpuAllocationRatio: 4,
      ramAllocationRatio: 1,
      usage: { cpusUsed: 0, pinnedPcpus: pcpus.slice(0, pin), memoryUsedMb: 0 },
    };
  };
  return { cells: [cell(0, Math.min(8, pinned)), cell(1, Math.max(0, pinned - 8))] };
}

interface World {
  engine: PlacementEngine;
  scheduler: Scheduler;
  open: number;
}

/** A world of `n` flat hosts filled to ~90 % (same seed, same world), and a scheduler on it. */
function buildWorld(n: number, seed: number, path: Path, numa: boolean): World {
  const rng = seededRng(seed);
  const engine = new PlacementEngine({ now: () => 0 });
  const uuids: string[] = [];
  const pinnedOf: number[] = [];
  for (let h = 0; h < n; h++) {
    const uuid = `${(h + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    uuids.push(uuid);
    engine.createProvider({ name: `cn${h}`, uuid });
    engine.setInventories(uuid, null, {
      VCPU: { total: 32, allocationRatio: 4 },
      MEMORY_MB: { total: 262_144, reserved: 16_384 },
      DISK_GB: { total: 3600 },
      PCPU: { total: 16 },
    });
    engine.setProviderTraits(uuid, null, h % 2 === 0 ? [AVX2] : []);
    engine.setAggregates(uuid, null, [AGGS[h % 4] as string]);
    let used: Record<string, number>;
    if (rng.next() < OPEN_SHARE) {
      const f = (): number => 0.2 + 0.4 * rng.next();
      used = { VCPU: Math.floor(128 * f()), MEMORY_MB: Math.floor(245_760 * f()), DISK_GB: Math.floor(3600 * f()), PCPU: Math.floor(16 * f()) };
    } else {
      used = { VCPU: 128 - rng.int(2), MEMORY_MB: Math.floor(245_760 * (0.92 + 0.08 * rng.next())), DISK_GB: Math.floor(3600 * (0.8 + 0.2 * rng.next())), PCPU: 16 - rng.int(2) };
    }
    pinnedOf.push(used.PCPU as number);
    engine.setAllocations({ consumerUuid: `f${uuid.slice(1)}`, allocations: { [uuid]: used }, projectId: 'fill', userId: 'fill', consumerGeneration: null });
  }
  // placementLimit n: placement's answer then holds every fitting host, as the table's paths see them
  // (with Nova's default of 1,000 it would rank only the first 1,000 candidates).
  const scheduler = new Scheduler({ engine, rng: seededRng(seed), mode: 'pack', candidates: path, placementLimit: n });
  if (numa) uuids.forEach((u, i) => scheduler.topologies.setNuma(scheduler.hostId(u), hostNuma(pinnedOf[i] as number)));
  let open = 0;
  const t = scheduler.table;
  for (let h = 0; h < t.count; h++) if (t.free(h, 0) >= 2 && t.free(h, 1) >= 4096 && t.free(h, 2) >= 40) open++;
  return { engine, scheduler, open };
}

function requestOf(kind: Kind, i: number): ScheduleRequest {
  switch (kind) {
    case 'resources':
      return { instances: 1, projectId: 'p', userId: 'u', resources: { VCPU: 2, MEMORY_MB: 4096, DISK_GB: 40 } };
    case 'realistic':
      return {
        instances: 1,
        projectId: 'p',
        userId: 'u',
        resources: { VCPU: 2, MEMORY_MB: 4096, DISK_GB: 40 },
        requiredTraits: [[AVX2]],
        memberOf: [[AGGS[0] as string, AGGS[2] as string]],
        serverGroup: { id: i % GROUPS, policy: 'anti-affinity' },
      };
    case 'numa':
      return {
        instances: 1,
        projectId: 'p',
        userId: 'u',
        resources: { PCPU: 2, MEMORY_MB: 4096, DISK_GB: 40 },
        numaTopology: { cells: [{ cpus: 2, memoryMb: 4096, cpuPolicy: 'dedicated', threadPolicy: 'prefer' }] },
      };
  }
}

/** Places requests of one kind, remembering the consumers so that they can be released (untimed). */
class Placer {
  private live: string[] = [];
  private i = 0;
  constructor(
    readonly world: World,
    readonly kind: Kind,
  ) {}

  /** Times a sample ran the world out of room (then everything placed is released and the decision retried). */
  refills = 0;

  place(): number {
    let r: ScheduleResult;
    try {
      r = this.world.scheduler.schedule(requestOf(this.kind, this.i++));
    } catch (e) {
      if (!(e instanceof NoValidHostError) || this.live.length === 0) throw e;
      this.refills++;
      this.releaseAll();
      r = this.world.scheduler.schedule(requestOf(this.kind, this.i++));
    }
    const sel = r.selections[0];
    if (sel === undefined) throw new Error('no selection');
    this.live.push(sel.consumerUuid);
    return sel.hostUuid.length;
  }

  releaseAll(): void {
    for (const c of this.live) this.world.scheduler.release(c);
    this.live = [];
  }
}

interface Latency {
  p50Us: number;
  p99Us: number;
  meanUs: number;
  /** Process CPU time (user + system, all threads) per decision over the same decisions. */
  cpuUs: number;
  decisions: number;
}

/**
 * Times `decisions` single decisions one by one (releasing every `batch`, untimed), and the
 * process CPU time they took: on a shared machine the wall clock also counts time spent waiting
 * for a core, the CPU time does not.
 */
function measureLatency(placer: Placer, decisions: number, batch: number): Latency {
  const times = new Float64Array(decisions);
  let cpu = 0;
  let c0 = process.cpuUsage();
  for (let i = 0; i < decisions; i++) {
    if (i % batch === 0) {
      const c = process.cpuUsage(c0);
      if (i > 0) cpu += c.user + c.system;
      placer.releaseAll();
      c0 = process.cpuUsage();
    }
    const t0 = performance.now();
    consume(placer.place());
    times[i] = performance.now() - t0;
  }
  const c = process.cpuUsage(c0);
  cpu += c.user + c.system;
  placer.releaseAll();
  times.sort();
  let sum = 0;
  for (const t of times) sum += t;
  const at = (p: number): number => (times[Math.max(0, Math.ceil(decisions * p) - 1)] as number) * 1000;
  return { p50Us: at(0.5), p99Us: at(0.99), meanUs: (sum / decisions) * 1000, cpuUs: cpu / decisions, decisions };
}

const PATH_NAME: Record<Path, string> = { index: 'capacity index', scan: 'reference scan of the host table', placement: 'placement allocation candidates' };
const ID_OF: Record<Path, string> = { index: 'indexed', scan: 'reference', placement: 'placement' };

async function kindAt(size: number, label: string, kind: Kind, log: (line: string) => void): Promise<ScenarioResult[]> {
  const paths: Path[] = size <= 10_000 ? ['index', 'scan', 'placement'] : ['index', 'scan'];
  const t0 = performance.now();
  const worlds = new Map<Path, World>();
  for (const p of paths) worlds.set(p, buildWorld(size, size + 1, p, kind === 'numa'));
  const first = worlds.get('index') as World;
  log(`  ${kind}: built ${paths.length} × ${size.toLocaleString('en-US')} hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${first.open} hosts have room`);
  // Same decisions on every path (checked before timing, then released).
  const probe = paths.map((p) => {
    const w = worlds.get(p) as World;
    const out: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = w.scheduler.schedule({ ...requestOf(kind, i), consumerUuids: [`c${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`] });
      out.push(r.selections[0]?.hostUuid ?? '');
      ids.push(r.selections[0]?.consumerUuid ?? '');
    }
    for (const c of ids) w.scheduler.release(c);
    return out.join(',');
  });
  if (new Set(probe).size !== 1) throw new Error(`${kind} at ${size}: the paths disagree on the first 20 decisions`);
  const placers = new Map<Path, Placer>(paths.map((p) => [p, new Placer(worlds.get(p) as World, kind)]));
  const perSample = (p: Path): number => (p === 'index' ? 400 : p === 'scan' ? Math.max(5, Math.floor(2_000_000 / size)) : Math.max(3, Math.floor(200_000 / size)));
  const cases: TimedCase[] = paths.map((p) => ({
    id: `pipeline-${label}-${kind}-${ID_OF[p]}`,
    name: `${kind} request, ${size.toLocaleString('en-US')} hosts at ~90 %, ${PATH_NAME[p]}`,
    providers: size,
    fn: managed(
      perSample(p),
      () => (placers.get(p) as Placer).place(),
      () => (placers.get(p) as Placer).releaseAll(),
    ),
    maxTime: 0.5,
  }));
  const timed = await timeCases(cases);
  const out: ScenarioResult[] = [];
  for (const p of paths) {
    const placer = placers.get(p) as Placer;
    placer.releaseAll();
    const lat = p === 'index' ? measureLatency(placer, 3000, 200) : measureLatency(placer, size >= 100_000 ? 200 : 600, size >= 100_000 ? 20 : 100);
    const c = cases.find((x) => x.id.endsWith(ID_OF[p])) as TimedCase;
    const t = timed.get(c.id);
    if (t === undefined) throw new Error(`No result for ${c.id}.`);
    const s = (worlds.get(p) as World).scheduler;
    out.push({
      id: c.id,
      name: c.name,
      providers: size,
      ...t,
      derived: {
        placementsPerSec: t.opsPerSec,
        usPerPlacement: 1e6 / t.opsPerSec,
        decisionP50Us: lat.p50Us,
        decisionP99Us: lat.p99Us,
        decisionMeanUs: lat.meanUs,
        cpuUsPerDecision: lat.cpuUs,
        placementsPerCpuSec: 1e6 / lat.cpuUs,
      },
      checks: { hostsWithRoom: first.open, indexedDecisions: s.counters.indexed, placementDecisions: s.counters.placement, latencyDecisions: lat.decisions, refills: placer.refills },
      note: 'a decision = Scheduler.schedule of one instance, claim in the placement engine included; decisionP99Us from timing each decision alone with performance.now(); cpuUsPerDecision = process CPU time (all threads, GC included) over those decisions, releases excluded.',
    });
  }
  const indexed = out[0] as ScenarioResult;
  for (const o of out.slice(1)) indexed.derived[`speedupVs${ID_OF[o.id.endsWith('reference') ? 'scan' : 'placement'].replace(/^./, (x) => x.toUpperCase())}`] = (indexed.derived.placementsPerSec as number) / (o.derived.placementsPerSec as number);
  for (const w of worlds.values()) w.scheduler.close();
  return out;
}

function memoryAt(size: number): ScenarioResult {
  gcNow();
  const w = buildWorld(size, 7, 'index', false);
  const b = w.scheduler.bytes();
  w.scheduler.close();
  const total = b.table + b.index + b.units;
  return {
    id: 'pipeline-bytes-100k',
    name: `bytes per host, ${size.toLocaleString('en-US')} hosts, 4 dimensions (VCPU, MEMORY_MB, DISK_GB, PCPU), 2 traits, 4 aggregates: host table + capacity index + unit columns`,
    providers: size,
    derived: { bytesPerHost: total / size, tableBytesPerHost: b.table / size, indexBytesPerHost: b.index / size, unitBytesPerHost: b.units / size },
    note: 'typed-array byteLengths (allocated, growth slack included); the placement engine itself is not counted (see the placement suite).',
  };
}

async function runSchedulerPipeline(log: (line: string) => void): Promise<SuiteOutcome> {
  const { scenarios, done } = scenarioCollector(log);
  const quick = process.env.BENCH_QUICK === '1';
  log('(b) bytes per host at 100,000 hosts');
  done([memoryAt(quick ? 10_000 : 100_000)]);
  const sizes: [number, string][] = quick
    ? [
        [1000, '1k'],
        [10_000, '10k'],
      ]
    : [
        [1000, '1k'],
        [10_000, '10k'],
        [100_000, '100k'],
      ];
  log('(a) decisions through Scheduler.schedule: capacity index beside the reference scan (and placement up to 10,000 hosts)');
  for (const [size, label] of sizes) {
    for (const kind of ['resources', 'realistic', 'numa'] as const) {
      done(await kindAt(size, label, kind, log));
      gcNow();
    }
  }
  const byId = scenarioLookup(scenarios);
  const targets = [
    target('target', 'resources-only ≥ 50,000 placements/s at 10,000 hosts', byId('pipeline-10k-resources-indexed'), 'placementsPerSec', '>', 50_000, '/s'),
    target('target', 'realistic ≥ 10,000 placements/s at 10,000 hosts', byId('pipeline-10k-realistic-indexed'), 'placementsPerSec', '>', 10_000, '/s'),
    target('target', 'resources-only decision p99 < 1 ms at 10,000 hosts', byId('pipeline-10k-resources-indexed'), 'decisionP99Us', '<', 1000, 'µs'),
    target('target', 'realistic decision p99 < 1 ms at 10,000 hosts', byId('pipeline-10k-realistic-indexed'), 'decisionP99Us', '<', 1000, 'µs'),
    target('target', 'resources-only ≥ 5,000 placements/s at 100,000 hosts', byId('pipeline-100k-resources-indexed'), 'placementsPerSec', '>', 5000, '/s'),
    target('target', 'realistic ≥ 5,000 placements/s at 100,000 hosts', byId('pipeline-100k-realistic-indexed'), 'placementsPerSec', '>', 5000, '/s'),
    target('target', 'NUMA-pinned ≥ 5,000 placements/s at 100,000 hosts', byId('pipeline-100k-numa-indexed'), 'placementsPerSec', '>', 5000, '/s'),
    target('target', '< 512 bytes per host at 100,000 hosts (host table + index)', byId('pipeline-bytes-100k'), 'bytesPerHost', '<', 512, 'B'),
    target('extra', 'NUMA-pinned ≥ 10,000 placements/s at 10,000 hosts', byId('pipeline-10k-numa-indexed'), 'placementsPerSec', '>', 10_000, '/s'),
    target('extra', 'NUMA-pinned decision p99 < 1 ms at 10,000 hosts', byId('pipeline-10k-numa-indexed'), 'decisionP99Us', '<', 1000, 'µs'),
  ];
  return { scenarios, targets };
}

export const schedulerPipelineSuite: BenchSuite = {
  name: 'scheduler-pipeline',
  description: 'scheduler pipeline: whole decisions (resources-only, realistic, NUMA-pinned) through the capacity index vs the reference scan (and placement) at 1k/10k/100k hosts; bytes per host',
  run: runSchedulerPipeline,
};

/** Exported for ad-hoc runs. */
export { buildWorld as buildPipelineBenchWorld, requestOf as pipelineBenchRequest };
