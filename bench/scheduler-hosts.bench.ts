/**
 * Scheduler host table benchmarks (src/scheduler/hosts):
 *   (a) placements per second — bestFit of a resources-only request + claim — and the p99 latency of
 *       one such decision, at 1,000 / 10,000 / 100,000 hosts, through the capacity index and through
 *       the reference scan (each on its own, identically seeded table), on tables filled to ~90 %:
 *       most hosts are full for the request, the rest are scattered over the id space;
 *       (also, for context, firstFit + claim and worstFit (spread) + claim on the same tables);
 *   (b) bytes per host at 100,000 hosts: the table's and the index's typed arrays, measured and
 *       as accounted, and, for comparison, what a sorted Int32Array per host for aggregates costs.
 * Only the public API of src/scheduler/hosts/index.ts is used.
 */
import { seededRng } from '../common/rng.js';
import { CapacityIndex, HostTable, ReferenceScan, type HostFilter, type HostFinder } from '../src/scheduler/hosts/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, TimedCase } from './harness.js';
import { consume, gcNow, managed, target, timeCases, scenarioCollector, scenarioLookup } from './harness.js';

const DIMENSIONS = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
/** 32 cores × ratio 4, 256 GiB − 16 GiB reserved, 3.6 TB. */
const CAPACITY = [128, 245_760, 3600];
/** The resources-only request: 2 vCPU, 4 GiB, 40 GB. */
const NEED = Float64Array.of(2, 4096, 40);
const FILTER: HostFilter = {};
const TRAITS = 8;
const AGGREGATES = 4;
/** Share of hosts left with room for the request. */
const OPEN_SHARE = 0.12;

/**
 * A table of `n` hosts filled to ~90 %: 88 % of hosts are full for NEED (0–1 vCPU free, little
 * memory and disk), 12 %, at random ids, are 20–60 % used. Same seed, same table.
 */
function buildTable(n: number, seed: number): HostTable {
  const rng = seededRng(seed);
  const table = new HostTable({ dimensions: DIMENSIONS, initialHosts: n });
  const used = new Float64Array(3);
  for (let h = 0; h < n; h++) {
    if (rng.next() < OPEN_SHARE) {
      for (let d = 0; d < 3; d++) used[d] = Math.floor((CAPACITY[d] as number) * (0.2 + 0.4 * rng.next()));
    } else {
      used[0] = (CAPACITY[0] as number) - rng.int(2);
      used[1] = Math.floor((CAPACITY[1] as number) * (0.92 + 0.08 * rng.next()));
      used[2] = Math.floor((CAPACITY[2] as number) * (0.8 + 0.2 * rng.next()));
    }
    table.addHost({
      capacity: CAPACITY,
      used,
      traits: [h % TRAITS, (h >> 3) % TRAITS],
      aggregates: [h % AGGREGATES],
      failureDomain: h >> 5,
    });
  }
  return table;
}

function utilisation(table: HostTable): number {
  let u = 0;
  let c = 0;
  for (let i = 0; i < table.count * table.dims; i++) {
    u += (table.used[i] as number) / (table.capacity[i] as number);
    c++;
  }
  return u / c;
}

/** Places with bestFit + claim, remembering where, so that the placements can be released (untimed). */
class Placer {
  private readonly placed: Int32Array;
  private count = 0;

  constructor(
    readonly table: HostTable,
    readonly finder: HostFinder,
    room: number,
    readonly mode: 'best' | 'first' | 'worst' = 'best',
  ) {
    this.placed = new Int32Array(room);
  }

  place(): number {
    const h =
      this.mode === 'best' ? this.finder.bestFit(NEED, FILTER) : this.mode === 'worst' ? this.finder.worstFit(NEED, FILTER) : this.finder.firstFit(NEED, FILTER);
    if (h < 0) throw new Error('no host fits: the bench table is too full');
    this.table.claim(h, NEED);
    this.placed[this.count++] = h;
    return h;
  }

  releaseAll(): void {
    for (let i = 0; i < this.count; i++) this.table.release(this.placed[i] as number, NEED);
    this.count = 0;
  }
}

interface Latency {
  p50Us: number;
  p99Us: number;
  meanUs: number;
  decisions: number;
}

/** Times `decisions` single placements one by one (releasing every `batch`, untimed). */
function measureLatency(placer: Placer, decisions: number, batch: number): Latency {
  const times = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    if (i % batch === 0) placer.releaseAll();
    const t0 = performance.now();
    consume(placer.place());
    times[i] = performance.now() - t0;
  }
  placer.releaseAll();
  times.sort();
  let sum = 0;
  for (const t of times) sum += t;
  const at = (p: number): number => (times[Math.max(0, Math.ceil(decisions * p) - 1)] as number) * 1000;
  return { p50Us: at(0.5), p99Us: at(0.99), meanUs: (sum / decisions) * 1000, decisions };
}

async function placementsAt(size: number, label: string, log: (line: string) => void): Promise<ScenarioResult[]> {
  const t0 = performance.now();
  const indexedTable = buildTable(size, size);
  const index = new CapacityIndex(indexedTable);
  const refTable = buildTable(size, size);
  const ref = new ReferenceScan(refTable);
  const open = index.forEachFit(NEED, FILTER, () => true);
  if (open !== ref.forEachFit(NEED, FILTER, () => true)) throw new Error('index and reference disagree on the bench table');
  if (index.bestFit(NEED, FILTER) !== ref.bestFit(NEED, FILTER)) throw new Error('index and reference disagree on bestFit');
  if (index.worstFit(NEED, FILTER) !== ref.worstFit(NEED, FILTER)) throw new Error('index and reference disagree on worstFit');
  const util = utilisation(indexedTable);
  log(
    `  built 2 × ${size.toLocaleString('en-US')} hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
      `${(util * 100).toFixed(1)} % used, ${open.toLocaleString('en-US')} hosts fit the request`,
  );

  // Per sample at most this many placements (then released, untimed, before the next sample):
  // few enough that the table stays at its fill.
  const perSample = (finder: 'index' | 'ref'): number => (finder === 'index' ? 500 : Math.max(5, Math.floor(2_000_000 / size)));
  const placers = {
    index: new Placer(indexedTable, index, 4096),
    ref: new Placer(refTable, ref, 4096),
  };
  const cases: TimedCase[] = (['index', 'ref'] as const).map((which) => ({
    id: `hosts-${label}-${which === 'index' ? 'indexed' : 'reference'}`,
    name: `bestFit + claim, ${size.toLocaleString('en-US')} hosts at ${(util * 100).toFixed(0)} %, ${which === 'index' ? 'capacity index' : 'reference scan'}`,
    providers: size,
    fn: managed(
      perSample(which),
      () => placers[which].place(),
      () => placers[which].releaseAll(),
    ),
    maxTime: 0.5,
  }));
  // For context: firstFit + claim, where the index skips the full hosts before the first fit.
  const firstPlacers = {
    index: new Placer(indexedTable, index, 4096, 'first'),
    ref: new Placer(refTable, ref, 4096, 'first'),
  };
  const firstCases: TimedCase[] = (['index', 'ref'] as const).map((which) => ({
    id: `hosts-${label}-firstfit-${which === 'index' ? 'indexed' : 'reference'}`,
    name: `firstFit + claim, ${size.toLocaleString('en-US')} hosts, ${which === 'index' ? 'capacity index' : 'reference scan'}`,
    providers: size,
    fn: managed(
      500,
      () => firstPlacers[which].place(),
      () => firstPlacers[which].releaseAll(),
    ),
    maxTime: 0.3,
  }));
  // worstFit (spread) + claim.
  const worstPlacers = {
    index: new Placer(indexedTable, index, 4096, 'worst'),
    ref: new Placer(refTable, ref, 4096, 'worst'),
  };
  const worstCases: TimedCase[] = (['index', 'ref'] as const).map((which) => ({
    id: `hosts-${label}-worstfit-${which === 'index' ? 'indexed' : 'reference'}`,
    name: `worstFit + claim, ${size.toLocaleString('en-US')} hosts, ${which === 'index' ? 'capacity index' : 'reference scan'}`,
    providers: size,
    fn: managed(
      200,
      () => worstPlacers[which].place(),
      () => worstPlacers[which].releaseAll(),
    ),
    maxTime: 0.3,
  }));
  const timed = await timeCases([...cases, ...firstCases]);
  placers.index.releaseAll();
  placers.ref.releaseAll();
  firstPlacers.index.releaseAll();
  firstPlacers.ref.releaseAll();
  // Timed on their own, on the tables back at their fill (spread touches every open host).
  for (const [id, t] of await timeCases(worstCases)) timed.set(id, t);
  worstPlacers.index.releaseAll();
  worstPlacers.ref.releaseAll();
  if (index.bestFit(NEED, FILTER) !== ref.bestFit(NEED, FILTER)) throw new Error('index and reference disagree on bestFit after the runs');

  const latency = {
    index: measureLatency(placers.index, 4000, 200),
    ref: measureLatency(placers.ref, size >= 100_000 ? 400 : 2000, size >= 100_000 ? 20 : 200),
  };
  const out: ScenarioResult[] = [];
  for (const c of cases) {
    const which = c.id.endsWith('indexed') ? 'index' : 'ref';
    const t = timed.get(c.id);
    if (t === undefined) throw new Error(`No result for ${c.id}.`);
    const lat = latency[which];
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
      },
      checks: { hostsFitting: open, utilisationPct: Math.round(util * 1000) / 10, latencyDecisions: lat.decisions },
      note: 'opsPerSec/meanMs/p99Ms from bench-node samples (a sample is a batch of placements); decisionP99Us from timing each placement alone with performance.now().',
    });
  }
  const [indexed, reference] = out as [ScenarioResult, ScenarioResult];
  indexed.derived.speedupVsReference = (indexed.derived.placementsPerSec as number) / (reference.derived.placementsPerSec as number);
  const first = firstCases.map((c): ScenarioResult => {
    const t = timed.get(c.id);
    if (t === undefined) throw new Error(`No result for ${c.id}.`);
    return { id: c.id, name: c.name, providers: size, ...t, derived: { placementsPerSec: t.opsPerSec, usPerPlacement: 1e6 / t.opsPerSec } };
  });
  const [fi, fr] = first as [ScenarioResult, ScenarioResult];
  fi.derived.speedupVsReference = (fi.derived.placementsPerSec as number) / (fr.derived.placementsPerSec as number);
  const worst = worstCases.map((c): ScenarioResult => {
    const t = timed.get(c.id);
    if (t === undefined) throw new Error(`No result for ${c.id}.`);
    return { id: c.id, name: c.name, providers: size, ...t, derived: { placementsPerSec: t.opsPerSec, usPerPlacement: 1e6 / t.opsPerSec } };
  });
  const [wi, wr] = worst as [ScenarioResult, ScenarioResult];
  wi.derived.speedupVsReference = (wi.derived.placementsPerSec as number) / (wr.derived.placementsPerSec as number);
  return [...out, ...first, ...worst];
}

function memoryAt(size: number): ScenarioResult[] {
  gcNow();
  const before = process.memoryUsage();
  let table: HostTable | undefined = buildTable(size, 7);
  let index: CapacityIndex | undefined = new CapacityIndex(table);
  gcNow();
  const after = process.memoryUsage();
  const accounted = table.memory();
  const indexBytes = index.bytes();
  consume(index.firstFit(NEED, FILTER));
  index = undefined;
  table = undefined;
  const measured = (after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed) / size;

  // The alternative layout for aggregates: a small sorted Int32Array per host (2 aggregates each).
  gcNow();
  const b2 = process.memoryUsage();
  let perHost: Int32Array[] | undefined = [];
  for (let h = 0; h < size; h++) perHost.push(Int32Array.of(h % AGGREGATES, AGGREGATES + (h % 3)));
  gcNow();
  const a2 = process.memoryUsage();
  consume(perHost.length);
  perHost = undefined;
  const int32PerHost = (a2.arrayBuffers - b2.arrayBuffers + a2.heapUsed - b2.heapUsed) / size;

  return [
    {
      id: 'hosts-bytes-100k',
      name: `bytes per host, ${size.toLocaleString('en-US')} hosts, 3 dimensions, ${TRAITS} traits, ${AGGREGATES} aggregates, table + capacity index`,
      providers: size,
      derived: {
        bytesPerHost: measured,
        accountedTableBytesPerHost: accounted.totalBytes / size,
        accountedIndexBytesPerHost: indexBytes / size,
        accountedBytesPerHost: (accounted.totalBytes + indexBytes) / size,
        aggregateBitsBytesPerHost: accounted.aggregateBytes / size,
        traitBitsBytesPerHost: accounted.traitBytes / size,
      },
      checks: { heapUsedBefore: before.heapUsed, heapUsedAfter: after.heapUsed, arrayBuffersBefore: before.arrayBuffers, arrayBuffersAfter: after.arrayBuffers },
      note: 'bytesPerHost: heapUsed + arrayBuffers delta between forced GCs; accounted*: typed-array byteLengths (the index is a 2·2^⌈log2 n⌉-node tree plus the score buckets: bucket id and list links per host and dimension).',
    },
    {
      id: 'hosts-aggregates-int32-per-host-100k',
      name: `for comparison: a sorted Int32Array of 2 aggregate ids per host, ${size.toLocaleString('en-US')} hosts`,
      providers: size,
      derived: { bytesPerHost: int32PerHost },
      note: 'why aggregates are bit sets per aggregate: one typed array per host costs its object, not its 8 bytes of data.',
    },
  ];
}

async function runSchedulerHosts(log: (line: string) => void): Promise<SuiteOutcome> {
  const { scenarios, done } = scenarioCollector(log);
  log('(b) bytes per host at 100,000 hosts');
  done(memoryAt(100_000));
  log('(a) bestFit + claim, capacity index beside reference scan');
  for (const [size, label] of [
    [1000, '1k'],
    [10_000, '10k'],
    [100_000, '100k'],
  ] as const) {
    done(await placementsAt(size, label, log));
    gcNow();
  }
  const byId = scenarioLookup(scenarios);
  const targets = [
    target('target', 'indexed bestFit + claim > 10,000/s at 100,000 hosts', byId('hosts-100k-indexed'), 'placementsPerSec', '>', 10_000, '/s'),
    target('target', 'indexed decision p99 < 1 ms at 100,000 hosts', byId('hosts-100k-indexed'), 'decisionP99Us', '<', 1000, 'µs'),
    target('target', 'indexed bestFit + claim > 5× the reference scan at 100,000 hosts', byId('hosts-100k-indexed'), 'speedupVsReference', '>', 5, '×'),
    target('target', 'indexed bestFit + claim > 5× the reference scan at 10,000 hosts', byId('hosts-10k-indexed'), 'speedupVsReference', '>', 5, '×'),
    target('target', '< 256 bytes per host at 100,000 hosts (table + index)', byId('hosts-bytes-100k'), 'bytesPerHost', '<', 256, 'B'),
    target('extra', 'index faster than the reference scan at 1,000 hosts', byId('hosts-1k-indexed'), 'speedupVsReference', '>', 1, '×'),
    target('extra', 'firstFit: index faster than the reference scan at 100,000 hosts', byId('hosts-100k-firstfit-indexed'), 'speedupVsReference', '>', 1, '×'),
    target('extra', 'worstFit: index > 5× the reference scan at 100,000 hosts', byId('hosts-100k-worstfit-indexed'), 'speedupVsReference', '>', 5, '×'),
    target('extra', 'worstFit: index > 5× the reference scan at 10,000 hosts', byId('hosts-10k-worstfit-indexed'), 'speedupVsReference', '>', 5, '×'),
  ];
  return { scenarios, targets };
}

export const schedulerHostsSuite: BenchSuite = {
  name: 'scheduler-hosts',
  description: 'scheduler host table: bestFit + claim through the capacity index vs the reference scan at 1k/10k/100k hosts, bytes per host',
  run: runSchedulerHosts,
};

/** Exported for ad-hoc runs and tests of the bench itself. */
export { buildTable as buildBenchHostTable };
