/**
 * Scheduler packing quality (issue 4): how full homogeneous hosts get before requests are refused,
 * under placement policies fed the same synthetic VM trace in the same run:
 *   pack-bestfit     CapacityIndex.bestFit (least placementScore: tightest binding dimension left)
 *   pack-bestfit+consolidation (-light)  bestFit, plus planConsolidation (src/scheduler/consolidation)
 *                    run on a TableWorld every `every` arrivals of the churn run (3) with a budget of
 *                    hosts and moves per round (budgetFor); its moves applied at once (the light
 *                    variant: rounds 16× less often). Cost: migrations and moved vCPU per 100 arrivals.
 *   pack-weigher     weighCandidates([packingWeigher()]) over the candidates of forEachFit, best first
 *   spread-worstfit  CapacityIndex.worstFit
 *   first-fit        CapacityIndex.firstFit (lowest fitting host id)
 * at 4, 100 and 1,000 hosts of 64 vCPU × 512 GiB × 8,000 GB.
 *
 * Trace (own generator, seeded with common/rng.ts; shaped like public-cloud VM traces, where small
 * VMs dominate): vCPU 1/2/4/8/16 with probability .35/.30/.20/.10/.05; memory 2, 4 or 8 GiB per vCPU
 * (.25/.50/.25); disk 20/40/80/160 GB (.30/.30/.25/.15); all drawn independently. Lifetimes are a
 * mixture of exponentials (hyper-exponential, heavier tail than one exponential): 70 % short
 * (mean 1), 30 % long (mean 20), overall mean 6.7, coefficient of variation 2.1. Arrivals are Poisson.
 *
 * Metrics per (size, policy):
 * (1) First rejection: arrivals only, nothing departs, until the first request that fits no host.
 *     Utilisation of the binding resource (the dimension with the highest cluster-wide utilisation)
 *     just before that request; stranded capacity = free capacity of each non-binding dimension on
 *     the hosts whose binding dimension is exhausted (free < the smallest flavour's amount of it),
 *     as a fraction of the cluster's capacity of that dimension. Mean (and worst) over seeds.
 *     Other reading of the goal: first-fit-decreasing of the same arrival sequence (its first
 *     arrivals, until their vCPU demand exceeds the cluster's), sorted decreasingly, on n empty hosts
 *     until its own first refusal; ours is judged within 3 % of its utilisation ((FFD − ours) / FFD
 *     per seed, mean over seeds).
 * (2) 1 % rejections: Poisson arrivals with departures at offered load ρ (offered demand of the
 *     binding dimension / its capacity). The system starts from the M/G/∞ equilibrium population
 *     (count λ·E[life], residual lifetimes from the equilibrium distribution), placed by the
 *     policy, then warms up for one expected population of arrivals and measures over a window of
 *     ≥ 2 populations. ρ is bisected for 1 % of the window's arrivals refused; reported: the
 *     largest ρ found with ≤ 1 % refused, its rejection rate, and the binding utilisation averaged
 *     over the window's arrival instants (Poisson arrivals see time averages).
 * (3) Hosts used at 60 % offered load (same steady-state simulation, no rejections expected):
 *     hosts with at least one VM, sampled over the window, against the trivial lower bound
 *     max_d ⌈Σ demand_d / host capacity_d⌉ of the live VMs at the same instant (judged), and,
 *     for reference, first-fit-decreasing (by vCPU, then memory, then disk) of the same live VMs
 *     (FFD is not a lower bound: a policy may beat it).
 * (4) The planner through the Scheduler (its filters and the placement engine), for its cost at
 *     1,000 and 10,000 hosts: hosts of the same shape in a PlacementEngine, filled by Scheduler
 *     (spread) with the trace's flavours to 55 % of the vCPU, a third asking a trait held by half the
 *     hosts, a quarter member_of two of four aggregates, a fifth in one of 64 anti-affinity groups;
 *     then Scheduler.planConsolidation (maxHosts 10, maxMoves 160) timed (mean of 5; planning
 *     changes nothing), and executeConsolidation of that plan timed (every move: a multi-consumer
 *     write to the engine to start it, a delete to complete it).
 * The same trace (same seed) is replayed for every policy and every ρ (common random numbers).
 */
import { seededRng, type Rng } from '../common/rng.js';
import { PlacementEngine } from '../src/placement/index.js';
import { TableWorld, executeConsolidation, planConsolidation } from '../src/scheduler/consolidation/index.js';
import { Scheduler } from '../src/scheduler/pipeline/index.js';
import { CapacityIndex, HostTable, NO_FILTER } from '../src/scheduler/hosts/index.js';
import { packingWeigher, weighCandidates, WeighScratch } from '../src/scheduler/weighers/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TargetResult } from './harness.js';
import { target } from './harness.js';

const DIMENSIONS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
const D = DIMENSIONS.length;
/** 64 vCPU × 512 GiB × 8 TB. */
const HOST = [64, 512 * 1024, 8000];
const SIZES = [4, 100, 1000] as const;

// ------------------------------------------------------------------ trace

const VCPU = [1, 2, 4, 8, 16];
const VCPU_P = [0.35, 0.3, 0.2, 0.1, 0.05];
const GIB_PER_VCPU = [2, 4, 8];
const GIB_P = [0.25, 0.5, 0.25];
const DISK = [20, 40, 80, 160];
const DISK_P = [0.3, 0.3, 0.25, 0.15];
const LIFE_P = [0.7, 0.3];
const LIFE_MEAN = [1, 20];
const MEAN_LIFE = LIFE_P.reduce((s, p, i) => s + p * (LIFE_MEAN[i] as number), 0);

interface Flavor {
  need: Float64Array;
  p: number;
}

const FLAVORS: Flavor[] = [];
for (let a = 0; a < VCPU.length; a++) {
  for (let b = 0; b < GIB_PER_VCPU.length; b++) {
    for (let c = 0; c < DISK.length; c++) {
      const v = VCPU[a] as number;
      FLAVORS.push({
        need: Float64Array.of(v, v * (GIB_PER_VCPU[b] as number) * 1024, DISK[c] as number),
        p: (VCPU_P[a] as number) * (GIB_P[b] as number) * (DISK_P[c] as number),
      });
    }
  }
}
const FLAVOR_CDF = (() => {
  const cdf = new Float64Array(FLAVORS.length);
  let s = 0;
  FLAVORS.forEach((f, i) => {
    s += f.p;
    cdf[i] = s;
  });
  return cdf;
})();
/** Expected demand per VM, per dimension. */
const MEAN_NEED = DIMENSIONS.map((_, d) => FLAVORS.reduce((s, f) => s + f.p * (f.need[d] as number), 0));
/** Smallest amount any flavour asks of each dimension ("exhausted" = less than this left). */
const MIN_NEED = DIMENSIONS.map((_, d) => Math.min(...FLAVORS.map((f) => f.need[d] as number)));
/** Dimension the offered load binds first (highest mean demand / host capacity): VCPU here. */
const OFFERED_BINDING = (() => {
  let best = 0;
  for (let d = 1; d < D; d++) if ((MEAN_NEED[d] as number) / (HOST[d] as number) > (MEAN_NEED[best] as number) / (HOST[best] as number)) best = d;
  return best;
})();

function drawFlavor(rng: Rng): number {
  const u = rng.next() * (FLAVOR_CDF[FLAVOR_CDF.length - 1] as number);
  for (let i = 0; i < FLAVOR_CDF.length; i++) if (u < (FLAVOR_CDF[i] as number)) return i;
  return FLAVOR_CDF.length - 1;
}

function exp(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

/** A lifetime: component by LIFE_P, or (equilibrium residual life) by LIFE_P × mean. */
function drawLife(rng: Rng, residual: boolean): number {
  const w = LIFE_P.map((p, i) => (residual ? p * (LIFE_MEAN[i] as number) : p));
  let u = rng.next() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) {
    u -= w[i] as number;
    if (u < 0 || i === w.length - 1) return exp(rng, LIFE_MEAN[i] as number);
  }
  return exp(rng, MEAN_LIFE);
}

interface Trace {
  flavor: Int32Array;
  life: Float64Array;
  /** Unit-rate exponential gaps (scaled by 1/λ per run). */
  gap: Float64Array;
}

function makeTrace(seed: number, n: number, residual: boolean): Trace {
  const rng = seededRng(seed);
  const t: Trace = { flavor: new Int32Array(n), life: new Float64Array(n), gap: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    t.flavor[i] = drawFlavor(rng);
    t.life[i] = drawLife(rng, residual);
    t.gap[i] = exp(rng, 1);
  }
  return t;
}

// ------------------------------------------------------------------ policies

type PolicyId = 'pack-bestfit' | 'pack-bestfit+consolidation' | 'pack-bestfit+consolidation-light' | 'pack-weigher' | 'spread-worstfit' | 'first-fit';
const POLICIES: readonly { id: PolicyId; name: string; kind: 'target' | 'extra' }[] = [
  { id: 'pack-bestfit', name: 'pack: CapacityIndex.bestFit', kind: 'target' },
  { id: 'pack-bestfit+consolidation', name: 'pack: CapacityIndex.bestFit + planConsolidation every ~1 % of the population of arrivals', kind: 'target' },
  { id: 'pack-bestfit+consolidation-light', name: 'pack: CapacityIndex.bestFit + planConsolidation 16× less often', kind: 'extra' },
  { id: 'pack-weigher', name: 'pack: weighCandidates + packingWeigher() over forEachFit', kind: 'target' },
  { id: 'spread-worstfit', name: 'spread: CapacityIndex.worstFit', kind: 'extra' },
  { id: 'first-fit', name: 'first fit: CapacityIndex.firstFit', kind: 'target' },
];

/** A cluster of n empty hosts, its index, and the chosen policy as need → host (−1: nothing fits). */
class Cluster {
  readonly table: HostTable;
  readonly index: CapacityIndex;
  readonly vms: Int32Array;
  readonly usedTotal = new Float64Array(D);
  hostsUsed = 0;
  private readonly cand: Int32Array;
  private readonly scratch: WeighScratch;
  private readonly weighers = [packingWeigher()];
  readonly place: (need: Float64Array) => number;

  constructor(
    readonly n: number,
    policy: PolicyId,
  ) {
    this.table = new HostTable({ dimensions: DIMENSIONS, initialHosts: n });
    for (let h = 0; h < n; h++) this.table.addHost({ capacity: HOST });
    this.index = new CapacityIndex(this.table);
    this.vms = new Int32Array(n);
    this.cand = new Int32Array(n);
    this.scratch = new WeighScratch(n);
    const index = this.index;
    switch (policy) {
      case 'pack-bestfit':
      case 'pack-bestfit+consolidation':
      case 'pack-bestfit+consolidation-light':
        this.place = (need) => index.bestFit(need, NO_FILTER);
        break;
      case 'spread-worstfit':
        this.place = (need) => index.worstFit(need, NO_FILTER);
        break;
      case 'first-fit':
        this.place = (need) => index.firstFit(need, NO_FILTER);
        break;
      case 'pack-weigher':
        this.place = (need) => {
          let k = 0;
          const cand = this.cand;
          index.forEachFit(need, NO_FILTER, (h) => {
            cand[k++] = h;
          });
          if (k === 0) return -1;
          const { order } = weighCandidates(cand.subarray(0, k), this.weighers, { table: this.table }, { need }, this.scratch);
          return order[0] as number;
        };
        break;
    }
  }

  claim(h: number, need: Float64Array): void {
    this.table.claim(h, need);
    for (let d = 0; d < D; d++) this.usedTotal[d] = (this.usedTotal[d] as number) + (need[d] as number);
    if (this.vms[h] === 0) this.hostsUsed++;
    this.vms[h] = (this.vms[h] as number) + 1;
  }

  release(h: number, need: Float64Array): void {
    this.table.release(h, need);
    for (let d = 0; d < D; d++) this.usedTotal[d] = (this.usedTotal[d] as number) - (need[d] as number);
    this.vms[h] = (this.vms[h] as number) - 1;
    if (this.vms[h] === 0) this.hostsUsed--;
  }

  util(d: number): number {
    return (this.usedTotal[d] as number) / (this.n * (HOST[d] as number));
  }
}

// ------------------------------------------------------------------ (1) first rejection

interface FirstRejection {
  binding: number;
  utilPct: number;
  /** Per dimension: free on binding-exhausted hosts / cluster capacity, % (binding dimension: NaN). */
  strandedPct: number[];
  exhaustedHostsPct: number;
  placed: number;
  rejectedVcpu: number;
  /**
   * FFD of the same arrival sequence (its first arrivals, until their binding demand exceeds the
   * cluster's capacity), sorted decreasingly, until its first refusal: binding utilisation, %.
   */
  ffdUtilPct: number;
}

function firstRejection(n: number, policy: PolicyId, seed: number): FirstRejection {
  const c = new Cluster(n, policy);
  const rng = seededRng(seed);
  let placed = 0;
  for (;;) {
    const f = drawFlavor(rng);
    const need = (FLAVORS[f] as Flavor).need;
    const h = c.place(need);
    if (h < 0) {
      let binding = 0;
      for (let d = 1; d < D; d++) if (c.util(d) > c.util(binding)) binding = d;
      const stranded = new Array<number>(D).fill(0);
      let exhausted = 0;
      for (let host = 0; host < n; host++) {
        if (c.table.free(host, binding) >= (MIN_NEED[binding] as number)) continue;
        exhausted++;
        for (let d = 0; d < D; d++) if (d !== binding) stranded[d] = (stranded[d] as number) + c.table.free(host, d);
      }
      return {
        binding,
        utilPct: 100 * c.util(binding),
        strandedPct: stranded.map((s, d) => (d === binding ? NaN : (100 * s) / (n * (HOST[d] as number)))),
        exhaustedHostsPct: (100 * exhausted) / n,
        placed,
        rejectedVcpu: need[0] as number,
        ffdUtilPct: ffdFirstRejection(seed, n),
      };
    }
    c.claim(h, need);
    placed++;
  }
}

/**
 * The other reading of the goal: first-fit-decreasing (by vCPU, then memory, then disk) of the same
 * arrival sequence (seed) on n empty hosts, stopping at its first refusal; utilisation of the
 * offered-load binding dimension, %. The sequence is cut where its binding demand first exceeds the
 * cluster's capacity (so FFD must refuse something, and every policy is compared with the same FFD).
 */
function ffdFirstRejection(seed: number, n: number): number {
  const rng = seededRng(seed);
  const arrivals: number[] = [];
  let demand = 0;
  while (demand <= n * (HOST[OFFERED_BINDING] as number)) {
    const f = drawFlavor(rng);
    arrivals.push(f);
    demand += (FLAVORS[f] as Flavor).need[OFFERED_BINDING] as number;
  }
  const sorted = [...arrivals].sort((a, b) => {
    const na = (FLAVORS[a] as Flavor).need;
    const nb = (FLAVORS[b] as Flavor).need;
    for (let d = 0; d < D; d++) if (na[d] !== nb[d]) return (nb[d] as number) - (na[d] as number);
    return a - b;
  });
  const c = new Cluster(n, 'first-fit');
  for (const f of sorted) {
    const need = (FLAVORS[f] as Flavor).need;
    const h = c.place(need);
    if (h < 0) break;
    c.claim(h, need);
  }
  return 100 * c.util(OFFERED_BINDING);
}

// ------------------------------------------------------------------ (2), (3) steady state

/** Consolidation during the steady state: a planning round every `every` arrivals, each within maxHosts / maxMoves. */
interface Budget {
  every: number;
  maxHosts: number;
  maxMoves: number;
}

/**
 * The stated budget: a round every ~1 % of the ρ = 1 population of arrivals (1 / 19 / 191 arrivals at
 * 4 / 100 / 1,000 hosts), at most 1 host per 100 hosts (≥ 1) and 16 moves per such host per round.
 * `light`: the same rounds 16 times less often (the cost / quality trade-off).
 */
function budgetFor(w: Workload, light: boolean): Budget {
  const hosts = Math.max(1, Math.round(w.n / 100));
  return { every: Math.max(1, Math.round(w.pop1 / 100)) * (light ? 16 : 1), maxHosts: hosts, maxMoves: 16 * hosts };
}

/** Departures: a binary min-heap of (time, VM id, flavour) in typed arrays (a VM's host is looked up: consolidation moves VMs). */
class DepartureHeap {
  time: Float64Array;
  vm: Int32Array;
  flavor: Int32Array;
  size = 0;
  constructor(room: number) {
    this.time = new Float64Array(room);
    this.vm = new Int32Array(room);
    this.flavor = new Int32Array(room);
  }
  private swap(i: number, j: number): void {
    const t = this.time[i] as number;
    this.time[i] = this.time[j] as number;
    this.time[j] = t;
    const h = this.vm[i] as number;
    this.vm[i] = this.vm[j] as number;
    this.vm[j] = h;
    const f = this.flavor[i] as number;
    this.flavor[i] = this.flavor[j] as number;
    this.flavor[j] = f;
  }
  push(time: number, vm: number, flavor: number): void {
    let i = this.size++;
    this.time[i] = time;
    this.vm[i] = vm;
    this.flavor[i] = flavor;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((this.time[p] as number) <= (this.time[i] as number)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** Removes the root (read time/vm/flavor[0] first). */
  pop(): void {
    this.size--;
    this.swap(0, this.size);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.size && (this.time[l] as number) < (this.time[m] as number)) m = l;
      if (r < this.size && (this.time[r] as number) < (this.time[m] as number)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}

interface SteadyRun {
  rho: number;
  rejectPct: number;
  /** Window mean over arrival instants, per dimension, %. */
  utilPct: number[];
  /** Hosts used / trivial bound − 1, %, mean over samples; and against FFD. */
  hostsExcessPct: number;
  ffdExcessPct: number;
  hostsUsed: number;
  lowerBound: number;
  ffdHosts: number;
  decisions: number;
  decisionUs: number;
  /** Consolidation's cost over the window: moves and moved vCPU per 100 arrivals, moved vCPU / arrived vCPU (%), planning time per round. */
  migrationsPer100: number;
  movedVcpuPer100: number;
  movedVcpuPctOfArrived: number;
  msPerPlan: number;
}

interface Workload {
  n: number;
  /** Expected live VMs at ρ = 1. */
  pop1: number;
  warmup: number;
  window: number;
  init: Trace;
  main: Trace;
}

function workload(n: number, seed: number): Workload {
  const pop1 = (n * (HOST[OFFERED_BINDING] as number)) / (MEAN_NEED[OFFERED_BINDING] as number);
  const warmup = Math.ceil(pop1);
  const window = Math.max(20_000, Math.ceil(2 * pop1));
  return {
    n,
    pop1,
    warmup,
    window,
    init: makeTrace(seed * 7919 + 1, Math.ceil(1.3 * pop1) + 10, true),
    main: makeTrace(seed * 7919 + 2, warmup + window, false),
  };
}

/** First-fit-decreasing of the live VMs (flavour counts) onto fresh hosts: hosts it needs. */
function ffdHosts(live: Int32Array, n: number): number {
  const order = FLAVORS.map((_, i) => i).sort((a, b) => {
    const na = (FLAVORS[a] as Flavor).need;
    const nb = (FLAVORS[b] as Flavor).need;
    for (let d = 0; d < D; d++) if (na[d] !== nb[d]) return (nb[d] as number) - (na[d] as number);
    return a - b;
  });
  const table = new HostTable({ dimensions: DIMENSIONS, initialHosts: n });
  for (let h = 0; h < n; h++) table.addHost({ capacity: HOST });
  const index = new CapacityIndex(table);
  for (const f of order) {
    const need = (FLAVORS[f] as Flavor).need;
    for (let k = 0; k < (live[f] as number); k++) {
      let h = index.firstFit(need, NO_FILTER);
      if (h < 0) h = table.addHost({ capacity: HOST });
      table.claim(h, need);
    }
  }
  index.detach();
  let used = 0;
  for (let h = 0; h < table.count; h++) if ((table.used[h * D] as number) > 0) used++;
  return used;
}

function steady(w: Workload, policy: PolicyId, rho: number, hostSamples: number, budget?: Budget): SteadyRun {
  const c = new Cluster(w.n, policy);
  const lambda = (rho * w.pop1) / MEAN_LIFE;
  const n0 = Math.round(lambda * MEAN_LIFE);
  if (n0 > w.init.flavor.length) throw new Error(`init trace too short for ρ=${rho}`);
  const heap = new DepartureHeap(n0 + w.warmup + w.window);
  const live = new Int32Array(FLAVORS.length);
  // VM ids: the initial population 0 … n0 − 1, then arrival i is n0 + i.
  const vmHost = new Int32Array(n0 + w.warmup + w.window).fill(-1);
  const world = budget === undefined ? undefined : new TableWorld(c.table, c.index);
  for (let i = 0; i < n0; i++) {
    const f = w.init.flavor[i] as number;
    const need = (FLAVORS[f] as Flavor).need;
    const h = c.place(need);
    if (h < 0) continue;
    c.claim(h, need);
    live[f] = (live[f] as number) + 1;
    vmHost[i] = h;
    world?.add(i, h, need);
    heap.push(w.init.life[i] as number, i, f);
  }
  let migrations = 0;
  let movedVcpu = 0;
  let plans = 0;
  let planMs = 0;
  const utilSum = new Float64Array(D);
  let rejected = 0;
  let t = 0;
  let excessSum = 0;
  let ffdSum = 0;
  let samples = 0;
  let ffdSamples = 0;
  let lastUsed = 0;
  let lastLb = 0;
  let lastFfd = 0;
  const total = w.warmup + w.window;
  const every = hostSamples > 0 ? Math.floor(w.window / hostSamples) : 0;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    t += (w.main.gap[i] as number) / lambda;
    while (heap.size > 0 && (heap.time[0] as number) <= t) {
      const f = heap.flavor[0] as number;
      const vm = heap.vm[0] as number;
      c.release(vmHost[vm] as number, (FLAVORS[f] as Flavor).need);
      world?.remove(vm);
      live[f] = (live[f] as number) - 1;
      heap.pop();
    }
    const measuring = i >= w.warmup;
    if (measuring) {
      for (let d = 0; d < D; d++) utilSum[d] = (utilSum[d] as number) + c.util(d);
      if (every > 0 && (i - w.warmup) % every === 0) {
        let lb = 0;
        for (let d = 0; d < D; d++) lb = Math.max(lb, Math.ceil((c.usedTotal[d] as number) / (HOST[d] as number) - 1e-9));
        lastUsed = c.hostsUsed;
        lastLb = lb;
        excessSum += lb > 0 ? c.hostsUsed / lb - 1 : 0;
        samples++;
        if (ffdSamples < 5) {
          lastFfd = ffdHosts(live, w.n);
          ffdSum += c.hostsUsed / lastFfd - 1;
          ffdSamples++;
        }
      }
    }
    // Consolidation after the sample (samples see the state just before a planning round, when they coincide).
    if (world !== undefined && budget !== undefined && i % budget.every === 0) {
      const p0 = performance.now();
      const plan = planConsolidation(world, { maxMoves: budget.maxMoves, maxHosts: budget.maxHosts, seed: i });
      for (const m of plan.moves) {
        c.release(m.from, m.need);
        c.claim(m.to, m.need);
        vmHost[m.instance] = m.to;
        world.relocate(m.instance, m.to);
      }
      if (measuring) {
        plans++;
        planMs += performance.now() - p0;
        migrations += plan.moves.length;
        movedVcpu += plan.moved[0] as number;
      }
    }
    const f = w.main.flavor[i] as number;
    const need = (FLAVORS[f] as Flavor).need;
    const h = c.place(need);
    if (h < 0) {
      if (measuring) rejected++;
      continue;
    }
    c.claim(h, need);
    live[f] = (live[f] as number) + 1;
    vmHost[n0 + i] = h;
    world?.add(n0 + i, h, need);
    heap.push(t + (w.main.life[i] as number), n0 + i, f);
  }
  const ms = performance.now() - t0;
  return {
    rho,
    rejectPct: (100 * rejected) / w.window,
    utilPct: Array.from(utilSum, (s) => (100 * s) / w.window),
    hostsExcessPct: samples > 0 ? (100 * excessSum) / samples : NaN,
    ffdExcessPct: ffdSamples > 0 ? (100 * ffdSum) / ffdSamples : NaN,
    hostsUsed: lastUsed,
    lowerBound: lastLb,
    ffdHosts: lastFfd,
    decisions: total,
    decisionUs: (1000 * ms) / total,
    migrationsPer100: (100 * migrations) / w.window,
    movedVcpuPer100: (100 * movedVcpu) / w.window,
    movedVcpuPctOfArrived: (100 * movedVcpu) / (w.window * (MEAN_NEED[0] as number)),
    msPerPlan: plans > 0 ? planMs / plans : 0,
  };
}

/** Bisects ρ for 1 % refused; returns the run at the largest ρ found with ≤ 1 %. */
function atOnePercent(w: Workload, policy: PolicyId, steps: number): { run: SteadyRun | undefined; runs: number; decisionUs: number } {
  let lo = 0.6;
  let hi = 1.2;
  let best: SteadyRun | undefined;
  let runs = 0;
  let us = 0;
  const probe = (rho: number): SteadyRun => {
    const r = steady(w, policy, rho, 0);
    runs++;
    us += r.decisionUs;
    return r;
  };
  const first = probe(lo);
  if (first.rejectPct > 1) return { run: undefined, runs, decisionUs: us / runs };
  best = first;
  for (let s = 0; s < steps; s++) {
    const mid = (lo + hi) / 2;
    const r = probe(mid);
    if (r.rejectPct <= 1) {
      lo = mid;
      best = r;
    } else hi = mid;
  }
  return { run: best, runs, decisionUs: us / runs };
}

// ------------------------------------------------------------------ (4) through the Scheduler

const AVX2 = 'HW_CPU_X86_AVX2';
const AGGS = ['a0000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000'];

async function schedulerConsolidation(n: number): Promise<ScenarioResult> {
  const engine = new PlacementEngine({ now: () => 0 });
  for (let h = 0; h < n; h++) {
    const uuid = `${(h + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    engine.createProvider({ name: `cn${h}`, uuid });
    engine.setInventories(uuid, null, { VCPU: { total: HOST[0] as number }, MEMORY_MB: { total: HOST[1] as number }, DISK_GB: { total: HOST[2] as number } });
    engine.setProviderTraits(uuid, null, h % 2 === 0 ? [AVX2] : []);
    engine.setAggregates(uuid, null, [AGGS[h % 4] as string]);
  }
  const scheduler = new Scheduler({ engine, rng: seededRng(1), mode: 'spread', placementLimit: n });
  const rng = seededRng(5);
  let vcpu = 0;
  let instances = 0;
  const t0 = performance.now();
  for (let i = 0; vcpu < 0.55 * n * (HOST[0] as number); i++) {
    const need = (FLAVORS[drawFlavor(rng)] as Flavor).need;
    scheduler.schedule({
      instances: 1,
      projectId: 'p',
      userId: 'u',
      resources: { VCPU: need[0] as number, MEMORY_MB: need[1] as number, DISK_GB: need[2] as number },
      ...(i % 3 === 0 ? { requiredTraits: [[AVX2]] } : {}),
      ...(i % 4 === 0 ? { memberOf: [[AGGS[0] as string, AGGS[2] as string]] } : {}),
      ...(i % 5 === 0 ? { serverGroup: { id: i % 64, policy: 'anti-affinity' as const } } : {}),
    });
    vcpu += need[0] as number;
    instances++;
  }
  const fillS = (performance.now() - t0) / 1000;
  const options = { maxHosts: 10, maxMoves: 160 };
  let plan = scheduler.planConsolidation(options);
  const reps = 5;
  const p0 = performance.now();
  for (let r = 0; r < reps; r++) plan = scheduler.planConsolidation(options);
  const planMs = (performance.now() - p0) / reps;
  const e0 = performance.now();
  const report = await executeConsolidation(scheduler, plan);
  const executeMs = performance.now() - e0;
  scheduler.close();
  return {
    id: `consolidation-scheduler-${n}`,
    name: `Scheduler.planConsolidation + executeConsolidation, ${n.toLocaleString('en-US')} hosts at 55 % (spread fill, traits, aggregates, anti-affinity)`,
    providers: n,
    derived: {
      msPerPlan: planMs,
      movesPerPlan: plan.moves.length,
      hostsDrainedPerPlan: plan.drained.length,
      sourcesTried: plan.sourcesTried,
      executeMs,
      usPerMoveExecuted: plan.moves.length > 0 ? (1000 * executeMs) / plan.moves.length : 0,
    },
    checks: { instances, fillSeconds: Math.round(fillS * 10) / 10, drainedByExecution: report.drained.length, completed: report.completed, aborted: report.aborted, skipped: plan.skipped.length },
    note: 'planning timed as the mean of 5 identical plans (planning changes nothing); execution: startMove (one multi-consumer write) + completeMove (delete of the migration consumer) per move, no live migration.',
  };
}

// ------------------------------------------------------------------ suite

const SEEDS: Record<number, number> = { 4: 40, 100: 10, 1000: 3 };
const BISECT: Record<number, number> = { 4: 7, 100: 7, 1000: 5 };

async function runSchedulerPacking(log: (line: string) => void): Promise<SuiteOutcome> {
  const scenarios: ScenarioResult[] = [];
  const targets: TargetResult[] = [];
  log(
    `trace: mean VM ${MEAN_NEED.map((m, d) => `${(d === 1 ? m / 1024 : m).toFixed(2)} ${['vCPU', 'GiB', 'GB'][d]}`).join(' × ')}; ` +
      `offered-load binding dimension ${DIMENSIONS[OFFERED_BINDING]}; mean life ${MEAN_LIFE}`,
  );
  for (const n of SIZES) {
    const w = workload(n, 11);
    for (const p of POLICIES) {
      const t0 = performance.now();
      const size = n.toLocaleString('en-US');
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      if (p.id === 'pack-bestfit+consolidation' || p.id === 'pack-bestfit+consolidation-light') {
        // Arrivals only (first rejection) nothing departs, so there is nothing to consolidate: the
        // figures there are pack-bestfit's. Only the churn run (60 % load) is run, with the planner.
        const budget = budgetFor(w, p.id === 'pack-bestfit+consolidation-light');
        const sixty = steady(w, p.id, 0.6, 40, budget);
        const s: ScenarioResult = {
          id: `packing-${n}-${p.id}`,
          name: `${p.name}, ${size} hosts`,
          providers: n,
          derived: {
            hostsUsedExcessPct: sixty.hostsExcessPct,
            hostsUsedVsFfdPct: sixty.ffdExcessPct,
            utilAt60Pct: sixty.utilPct[OFFERED_BINDING] as number,
            migrationsPer100Arrivals: sixty.migrationsPer100,
            movedVcpuPer100Arrivals: sixty.movedVcpuPer100,
            movedVcpuPctOfArrived: sixty.movedVcpuPctOfArrived,
            msPerPlan: sixty.msPerPlan,
            usPerDecision: sixty.decisionUs,
          },
          checks: {
            planEveryArrivals: budget.every,
            planMaxHosts: budget.maxHosts,
            planMaxMoves: budget.maxMoves,
            steadyWarmupArrivals: w.warmup,
            steadyWindowArrivals: w.window,
            lastSampleHostsUsed: sixty.hostsUsed,
            lastSampleLowerBound: sixty.lowerBound,
            lastSampleFfdHosts: sixty.ffdHosts,
            rejectPctAt60: Math.round(1000 * sixty.rejectPct) / 1000,
          },
          note:
            'hostsUsed*: at ρ = 0.6 with a planConsolidation round every planEveryArrivals arrivals (maxHosts, maxMoves per round), sampled before a round when they coincide; ' +
            'migrations and moved vCPU per 100 arrivals over the window; usPerDecision includes planning and moves.',
        };
        scenarios.push(s);
        log(
          `  ${s.id}: hosts +${sixty.hostsExcessPct.toFixed(1)} % vs bound, ${sixty.ffdExcessPct.toFixed(1)} % vs FFD; ` +
            `${sixty.migrationsPer100.toFixed(2)} migrations and ${sixty.movedVcpuPer100.toFixed(1)} vCPU moved per 100 arrivals ` +
            `(${sixty.movedVcpuPctOfArrived.toFixed(1)} % of arrived vCPU), ${sixty.msPerPlan.toFixed(2)} ms per round; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        targets.push(target(p.kind, `${p.id}, ${size} hosts: hosts used within 3 % of max_d ⌈demand/cap⌉ (60 % load)`, s, 'hostsUsedExcessPct', '<', 3, '% over'));
        continue;
      }
      const seeds = SEEDS[n] as number;
      const fr: FirstRejection[] = [];
      for (let s = 0; s < seeds; s++) fr.push(firstRejection(n, p.id, 1000 + s));
      const bindings = new Set(fr.map((r) => DIMENSIONS[r.binding]));
      const one = atOnePercent(w, p.id, BISECT[n] as number);
      const sixty = steady(w, p.id, 0.6, 40);
      const derived: Record<string, number> = {
        firstRejectUtilPct: mean(fr.map((r) => r.utilPct)),
        firstRejectUtilMinPct: Math.min(...fr.map((r) => r.utilPct)),
        exhaustedHostsPct: mean(fr.map((r) => r.exhaustedHostsPct)),
        ffdFirstRejectUtilPct: mean(fr.map((r) => r.ffdUtilPct)),
        // Per seed: how far below FFD of the same arrivals (sorted decreasingly) ours stops, % of FFD's.
        firstRejectGapToFfdPct: mean(fr.map((r) => (100 * (r.ffdUtilPct - r.utilPct)) / r.ffdUtilPct)),
        firstRejectGapToFfdMaxPct: Math.max(...fr.map((r) => (100 * (r.ffdUtilPct - r.utilPct)) / r.ffdUtilPct)),
      };
      for (let d = 0; d < D; d++) {
        const vals = fr.map((r) => r.strandedPct[d] as number).filter((v) => Number.isFinite(v));
        if (vals.length === fr.length) derived[`stranded${DIMENSIONS[d]}Pct`] = mean(vals);
      }
      if (one.run !== undefined) {
        derived.rhoAt1PctReject = one.run.rho;
        derived.rejectPctAtRho = one.run.rejectPct;
        derived.utilAt1PctRejectPct = one.run.utilPct[OFFERED_BINDING] as number;
      }
      derived.hostsUsedExcessPct = sixty.hostsExcessPct;
      derived.hostsUsedVsFfdPct = sixty.ffdExcessPct;
      derived.utilAt60Pct = sixty.utilPct[OFFERED_BINDING] as number;
      derived.usPerDecision = one.decisionUs;
      const s: ScenarioResult = {
        id: `packing-${n}-${p.id}`,
        name: `${p.name}, ${size} hosts`,
        providers: n,
        derived,
        checks: {
          firstRejectionSeeds: seeds,
          bindingAtFirstRejection: [...bindings].join('/'),
          meanPlacedBeforeFirstRejection: Math.round(mean(fr.map((r) => r.placed))),
          meanRejectedVcpu: Math.round(10 * mean(fr.map((r) => r.rejectedVcpu))) / 10,
          steadyWarmupArrivals: w.warmup,
          steadyWindowArrivals: w.window,
          bisectionRuns: one.runs,
          lastSampleHostsUsed: sixty.hostsUsed,
          lastSampleLowerBound: sixty.lowerBound,
          lastSampleFfdHosts: sixty.ffdHosts,
          rejectPctAt60: Math.round(1000 * sixty.rejectPct) / 1000,
        },
        note:
          'firstReject*: arrivals only, mean (Min: worst) over seeds; ffdFirstReject*: FFD of the same arrival sequence (cut where its demand exceeds capacity) sorted decreasingly, until its first refusal; ' +
          'stranded*: free on binding-exhausted hosts / cluster capacity; ' +
          'utilAt1PctReject: window mean at the largest bisected ρ with ≤ 1 % refused; hostsUsed*: at ρ = 0.6, vs max_d ⌈demand/capacity⌉ (and vs FFD).',
      };
      scenarios.push(s);
      log(
        `  ${s.id}: first rejection ${derived.firstRejectUtilPct?.toFixed(1)} % (min ${derived.firstRejectUtilMinPct?.toFixed(1)}), ` +
          `FFD of the same sequence ${derived.ffdFirstRejectUtilPct?.toFixed(1)} % (gap ${derived.firstRejectGapToFfdPct?.toFixed(2)} %, max ${derived.firstRejectGapToFfdMaxPct?.toFixed(2)} %), ` +
          `stranded mem ${derived.strandedMEMORY_MBPct?.toFixed(1)} % disk ${derived.strandedDISK_GBPct?.toFixed(1)} %; ` +
          `1 %: ρ=${derived.rhoAt1PctReject?.toFixed(3)} util ${derived.utilAt1PctRejectPct?.toFixed(1)} %; ` +
          `hosts +${derived.hostsUsedExcessPct.toFixed(1)} % vs bound, ${derived.hostsUsedVsFfdPct.toFixed(1)} % vs FFD; ` +
          `${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      targets.push(
        target(p.kind, `${p.id}, ${size} hosts: binding utilisation at first rejection ≥ 95 %`, s, 'firstRejectUtilPct', '>', 95, '%'),
        target(p.kind, `${p.id}, ${size} hosts: hosts used within 3 % of max_d ⌈demand/cap⌉ (60 % load)`, s, 'hostsUsedExcessPct', '<', 3, '% over'),
        target(p.kind, `${p.id}, ${size} hosts (other reading): first-rejection utilisation within 3 % of FFD of the same arrival sequence`, s, 'firstRejectGapToFfdPct', '<', 3, '% below FFD'),
      );
    }
  }
  for (const n of [1000, 10_000]) {
    const s = await schedulerConsolidation(n);
    scenarios.push(s);
    const d = s.derived;
    log(
      `  ${s.id}: plan ${d.msPerPlan?.toFixed(1)} ms (${d.movesPerPlan} moves, ${d.hostsDrainedPerPlan} hosts, ${d.sourcesTried} sources tried), ` +
        `executed in ${d.executeMs?.toFixed(1)} ms (${d.usPerMoveExecuted?.toFixed(0)} µs per move); ${s.checks?.instances} instances`,
    );
  }
  return { scenarios, targets };
}

export const schedulerPackingSuite: BenchSuite = {
  name: 'scheduler-packing',
  description:
    'scheduler packing quality on a synthetic cloud VM trace: binding utilisation at first rejection (and against FFD of the same arrivals) and at 1 % rejections, stranded capacity, hosts used vs a lower bound; bestFit / bestFit + consolidation / packing weigher / worstFit / firstFit at 4, 100, 1,000 hosts',
  run: runSchedulerPacking,
};
