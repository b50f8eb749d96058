/**
 * Placement engine benchmarks, modelled on Placement's perf jobs (docs/placement-rules.md §8):
 *   (a) the flat perfload world and its timed allocation-candidates query at 1,000 / 10,000 /
 *       100,000 providers, with and without the runner's limit=5;
 *   (b) the nested perfload world (1,000 trees of 7 providers) and its same_subtree query;
 *   (c) claim throughput: new consumers' allocations written on a 10,000-provider world;
 *   (d) heap per provider at 100,000 providers.
 * Only the public API of src/placement/index.ts is used.
 */
import { randomUUID } from 'node:crypto';

import { seededRng } from '../common/rng.js';
import type { AllocationRequest, CandidateQuery, ConsumerAllocationsWrite, InventoryInput, Resources } from '../src/placement/index.js';
import { PlacementEngine } from '../src/placement/index.js';
import type { BenchSuite, ScenarioResult, SuiteOutcome, Timed, TimedCase } from './harness.js';
import { consume, gcNow, managed, target, timeCases, scenarioCollector, scenarioLookup } from './harness.js';

// ------------------------------------------------------------------ the flat perfload world (rules 96–100)

export const AGG_A = '14a5c8a3-5a99-4e8f-88be-00d85fcb1c17';
export const AGG_B = '66d98e7c-3c25-485d-a0dc-1cea651884de';
export const AGG_C = 'a59dbb28-fd98-4c6e-9ec5-ae5f3d04b0aa';

const AGG_CYCLE: readonly (readonly string[])[] = [[AGG_A], [AGG_A, AGG_B], [AGG_A, AGG_B, AGG_C]];
const TRAIT_CYCLE: readonly (readonly string[])[] = [
  ['HW_CPU_X86_AVX2'],
  ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2'],
  ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2', 'STORAGE_DISK_SSD'],
];

/** Rule 97: reserved 0, step 1, ratio 1.0 by default. */
const PERFLOAD_INVENTORY: Record<string, InventoryInput> = {
  VCPU: { total: 32, minUnit: 1, maxUnit: 16 },
  MEMORY_MB: { total: 8192, minUnit: 128, maxUnit: 8192 },
  DISK_GB: { total: 8192, minUnit: 5, maxUnit: 8192 },
};

/** How each provider is decorated: as placeload does (cycled 1–3 each), all three, or bare. */
type Decoration = 'perfload' | 'three' | 'none';

/**
 * One placeload run (rule 96): each provider is a root named by its uuid, then PUT inventories
 * (generation 0), aggregates (1) and traits (2). The cycles restart with each run, as placeload's do.
 */
export function loadPlaceload(engine: PlacementEngine, count: number, decoration: Decoration = 'perfload'): void {
  for (let i = 0; i < count; i++) {
    const uuid = randomUUID();
    engine.createProvider({ name: uuid, uuid });
    const gen = engine.setInventories(uuid, 0, PERFLOAD_INVENTORY);
    if (decoration === 'none') continue;
    const k = decoration === 'three' ? 2 : i % 3;
    const gen2 = engine.setAggregates(uuid, gen, AGG_CYCLE[k] as readonly string[]);
    engine.setProviderTraits(uuid, gen2, TRAIT_CYCLE[k] as readonly string[]);
  }
}

/** The perfload world: 10 warm-up providers, then `count` more. */
export function buildFlatWorld(count: number): PlacementEngine {
  const engine = new PlacementEngine();
  loadPlaceload(engine, 10);
  loadPlaceload(engine, count);
  return engine;
}

/** Rule 100's timed query. */
export const FLAT_QUERY: CandidateQuery = {
  groups: [
    {
      suffix: '',
      resources: { VCPU: 1, DISK_GB: 10, MEMORY_MB: 256 },
      memberOf: [[AGG_A]],
      required: [['HW_CPU_X86_AVX2']],
    },
  ],
};
/** Rule 101's claim-loop query. */
export const FLAT_QUERY_LIMIT5: CandidateQuery = { ...FLAT_QUERY, limit: 5 };

// ------------------------------------------------------------------ the nested perfload world (rules 102–103)

export function buildNestedWorld(trees: number): PlacementEngine {
  const engine = new PlacementEngine();
  engine.ensureTrait('CUSTOM_FOO');
  const add = (name: string, parentUuid: string | null, inventories: Record<string, InventoryInput>, traits: string[]): string => {
    const uuid = randomUUID();
    engine.createProvider({ name, uuid, parentUuid });
    const gen = engine.setInventories(uuid, 0, inventories);
    if (traits.length > 0) engine.setProviderTraits(uuid, gen, traits);
    return uuid;
  };
  for (let t = 0; t < trees; t++) {
    const cn1 = add(`cn1-${t}`, null, { DISK_GB: { total: 20480 } }, ['COMPUTE_VOLUME_MULTI_ATTACH']);
    const numa0 = add(
      `numa0-${t}`,
      cn1,
      { VCPU: { total: 4, reserved: 2 }, MEMORY_MB: { total: 2048, minUnit: 512, stepSize: 256 } },
      ['HW_NUMA_ROOT'],
    );
    add(`fpga0-${t}`, numa0, { FPGA: { total: 1 } }, []);
    add(`pgpu0-${t}`, numa0, { VGPU: { total: 8 } }, []);
    const numa1 = add(
      `numa1-${t}`,
      cn1,
      { VCPU: { total: 4 }, MEMORY_MB: { total: 2048, minUnit: 256, maxUnit: 1024 } },
      ['HW_NUMA_ROOT', 'CUSTOM_FOO'],
    );
    add(`fpga1_0-${t}`, numa1, { FPGA: { total: 1 } }, []);
    add(`fpga1_1-${t}`, numa1, { FPGA: { total: 1 } }, []);
  }
  return engine;
}

/** Rule 103's timed query. */
export const NESTED_QUERY: CandidateQuery = {
  groups: [
    { suffix: '', resources: { DISK_GB: 10 }, required: [['COMPUTE_VOLUME_MULTI_ATTACH']] },
    { suffix: '_COMPUTE', resources: { VCPU: 1, MEMORY_MB: 256 }, required: [['CUSTOM_FOO']] },
    { suffix: '_FPGA', resources: { FPGA: 1 } },
  ],
  groupPolicy: 'none',
  sameSubtree: [['_COMPUTE', '_FPGA']],
};

// ------------------------------------------------------------------ helpers

const PROJECT = randomUUID();
const USER = randomUUID();

function writeFor(consumerUuid: string, request: AllocationRequest): ConsumerAllocationsWrite {
  const allocations: Record<string, Resources> = {};
  for (const [uuid, entry] of Object.entries(request.allocations)) allocations[uuid] = entry.resources;
  return { consumerUuid, consumerGeneration: null, projectId: PROJECT, userId: USER, consumerType: 'TEST', allocations };
}

function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: ${actual} allocation requests, expected ${expected}; the benchmark would time the wrong thing.`);
}

function fromTimed(c: TimedCase, t: Timed | undefined, derived: (t: Timed) => Record<string, number>, checks?: ScenarioResult['checks'], note?: string): ScenarioResult {
  if (t === undefined) throw new Error(`No result for ${c.id}.`);
  const out: ScenarioResult = { id: c.id, name: c.name, providers: c.providers, ...t, derived: derived(t) };
  if (checks !== undefined) out.checks = checks;
  if (note !== undefined) out.note = note;
  return out;
}

const perQuery = (t: Timed): Record<string, number> => ({ msPerQuery: 1000 / t.opsPerSec });

/**
 * Keeps new consumers' claims within capacity: each provider takes 32 claims of VCPU:1 /
 * MEMORY_MB:256, so once that many have been made since the last reset, the claims are deleted
 * (untimed) and the world is empty again.
 */
class ClaimLedger {
  private readonly live: string[] = [];

  constructor(
    private readonly engine: PlacementEngine,
    private readonly capacity: number,
  ) {}

  /** Makes room for n more claims; returns their new consumer uuids. */
  reserve(n: number): string[] {
    if (this.live.length + n > this.capacity) {
      for (const c of this.live) this.engine.deleteAllocations(c);
      this.live.length = 0;
    }
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(randomUUID());
    this.live.push(...ids);
    return ids;
  }
}

// ------------------------------------------------------------------ scenarios

function measureHeap(id: string, name: string, count: number, decoration: Decoration): ScenarioResult {
  gcNow();
  const before = process.memoryUsage();
  let engine: PlacementEngine | undefined = new PlacementEngine();
  loadPlaceload(engine, count, decoration);
  gcNow();
  const after = process.memoryUsage();
  // Used after the measurement so that it is alive during it.
  const providers = engine.listProviders({ name: 'no-such-provider' }).length + engine.seq;
  consume(providers);
  engine = undefined;
  const heap = (after.heapUsed - before.heapUsed) / count;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / count;
  return {
    id,
    name,
    providers: count,
    derived: { bytesPerProvider: heap, arrayBufferBytesPerProvider: buffers, heapAndArrayBufferBytesPerProvider: heap + buffers },
    checks: { heapUsedBefore: before.heapUsed, heapUsedAfter: after.heapUsed, arrayBuffersBefore: before.arrayBuffers, arrayBuffersAfter: after.arrayBuffers },
    note: 'heapUsed delta between two forced GCs; the engine keeps its numeric columns in typed arrays, whose stores V8 counts under arrayBuffers, not heapUsed, so that is reported beside it.',
  };
}

async function flatAt(size: number, label: string, log: (line: string) => void, randomized: boolean): Promise<ScenarioResult[]> {
  const t0 = performance.now();
  const engine = buildFlatWorld(size);
  const total = size + 10;
  log(`  built flat world of ${total.toLocaleString('en-US')} providers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const full = engine.getAllocationCandidates(FLAT_QUERY);
  expectCount(`flat ${label}`, full.allocationRequests.length, total);
  expectCount(`flat ${label} summaries`, Object.keys(full.providerSummaries).length, total);
  expectCount(`flat ${label} limit=5`, engine.getAllocationCandidates(FLAT_QUERY_LIMIT5).allocationRequests.length, 5);
  const slow = size >= 100_000;
  const cases: TimedCase[] = [
    {
      id: `flat-${label}`,
      name: `perfload flat query, ${total.toLocaleString('en-US')} providers, no limit`,
      providers: total,
      fn: managed(1, () => engine.getAllocationCandidates(FLAT_QUERY).allocationRequests.length),
      minSamples: slow ? 5 : 10,
    },
    {
      id: `flat-${label}-limit5`,
      name: `perfload flat query, ${total.toLocaleString('en-US')} providers, limit=5`,
      providers: total,
      fn: managed(1, () => engine.getAllocationCandidates(FLAT_QUERY_LIMIT5).allocationRequests.length),
    },
  ];
  if (!slow) {
    // The engine caches each provider's summary until the provider changes; a query right after
    // every provider changed (the cache empty) is the upstream-comparable cold figure.
    cases.push({
      id: `flat-${label}-cold`,
      name: `perfload flat query, ${total.toLocaleString('en-US')} providers, no limit, summary cache empty`,
      providers: total,
      fn: managed(1, () => {
        engine.summaryCache.length = 0;
        return engine.getAllocationCandidates(FLAT_QUERY).allocationRequests.length;
      }),
    });
  }
  const rng = seededRng(size);
  const randomQuery: CandidateQuery = { ...FLAT_QUERY_LIMIT5, rng };
  if (randomized) {
    cases.push({
      id: `flat-${label}-limit5-random`,
      name: `perfload flat query, ${total.toLocaleString('en-US')} providers, limit=5 randomized`,
      providers: total,
      fn: managed(1, () => engine.getAllocationCandidates(randomQuery).allocationRequests.length),
    });
  }
  const timed = await timeCases(cases);
  const checks = { allocationRequests: total, providerSummaries: total };
  return cases.map((c) =>
    fromTimed(
      c,
      timed.get(c.id),
      perQuery,
      c.id.includes('limit5') ? { allocationRequests: 5 } : checks,
      c.id.endsWith('random')
        ? "perfload's server sets randomize_allocation_candidates = True: every candidate is found and shuffled before the limit"
        : undefined,
    ),
  );
}

async function nested(log: (line: string) => void): Promise<ScenarioResult[]> {
  const trees = 1000;
  const t0 = performance.now();
  const engine = buildNestedWorld(trees);
  log(`  built nested world of ${(trees * 7).toLocaleString('en-US')} providers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  expectCount('nested', engine.getAllocationCandidates(NESTED_QUERY).allocationRequests.length, 2 * trees);
  const limited: CandidateQuery = { ...NESTED_QUERY, limit: 5 };
  const cases: TimedCase[] = [
    {
      id: 'nested-1k-trees',
      name: 'nested perfload query, 1,000 trees × 7 providers, no limit',
      providers: trees * 7,
      fn: managed(1, () => engine.getAllocationCandidates(NESTED_QUERY).allocationRequests.length),
    },
    {
      id: 'nested-1k-trees-limit5',
      name: 'nested perfload query, 1,000 trees × 7 providers, limit=5',
      providers: trees * 7,
      fn: managed(1, () => engine.getAllocationCandidates(limited).allocationRequests.length),
    },
  ];
  const timed = await timeCases(cases);
  return cases.map((c) =>
    fromTimed(c, timed.get(c.id), perQuery, { allocationRequests: c.id.endsWith('limit5') ? 5 : 2 * trees, sameSubtree: '_COMPUTE,_FPGA' }),
  );
}

async function claims(log: (line: string) => void): Promise<ScenarioResult[]> {
  const world = buildFlatWorld(10_000);
  const providers = world.listProviders().map((p) => p.uuid);
  const P = providers.length;
  log(`  built claim world of ${P.toLocaleString('en-US')} providers`);
  const ledger = new ClaimLedger(world, P * 32);
  let next = 0;
  let writes: ConsumerAllocationsWrite[] = [];
  const claimCase: TimedCase = {
    id: 'claims-10k',
    name: 'claims: new consumer allocations (consumer_generation null), 10,010 providers',
    providers: P,
    fn: managed(
      20_000,
      (i) => {
        world.setAllocations(writes[i] as ConsumerAllocationsWrite);
        return 1;
      },
      (n) => {
        // The request bodies are the client's work: built before the clock starts.
        writes = ledger.reserve(n).map((consumerUuid) => ({
          consumerUuid,
          consumerGeneration: null,
          projectId: PROJECT,
          userId: USER,
          consumerType: 'TEST',
          allocations: { [providers[next++ % P] as string]: { VCPU: 1, DISK_GB: 10, MEMORY_MB: 256 } },
        }));
      },
    ),
    maxTime: 1,
  };

  // The perfload runner's claim loop (rule 101): query with limit=5, PUT the first request.
  const cycleWorld = buildFlatWorld(1000);
  const cycleLedger = new ClaimLedger(cycleWorld, 1010 * 32);
  let ids: string[] = [];
  const cycleCase: TimedCase = {
    id: 'claim-cycle-1k',
    name: 'perfload claim loop: limit=5 query + PUT first request, 1,010 providers',
    providers: 1010,
    fn: managed(
      1,
      (i) => {
        const found = cycleWorld.getAllocationCandidates(FLAT_QUERY_LIMIT5);
        cycleWorld.setAllocations(writeFor(ids[i] as string, found.allocationRequests[0] as AllocationRequest));
        return found.allocationRequests.length;
      },
      (n) => {
        ids = cycleLedger.reserve(n);
      },
    ),
  };
  const timed = await timeCases([claimCase, cycleCase]);
  return [
    fromTimed(claimCase, timed.get(claimCase.id), (t) => ({ claimsPerSec: t.opsPerSec, usPerClaim: 1e6 / t.opsPerSec })),
    fromTimed(cycleCase, timed.get(cycleCase.id), (t) => ({ claimsPerSec: t.opsPerSec, msPerCycle: 1000 / t.opsPerSec })),
  ];
}

async function runPlacement(log: (line: string) => void): Promise<SuiteOutcome> {
  const { scenarios, done } = scenarioCollector(log);

  // Heap first, in a process that has built nothing yet.
  log('(d) heap per provider at 100,000 providers');
  done([
    measureHeap('heap-100k-perfload', 'heap per provider, 100,000 providers: inventories + perfload aggregates/traits (1–3 each)', 100_000, 'perfload'),
    measureHeap('heap-100k-3agg-3traits', 'heap per provider, 100,000 providers: inventories + 3 aggregates + 3 traits each', 100_000, 'three'),
    measureHeap('heap-100k-inventory-only', 'heap per provider, 100,000 providers: inventories only', 100_000, 'none'),
  ]);
  gcNow();

  log('(a) flat perfload');
  done(await flatAt(1000, '1k', log, true));
  gcNow();
  done(await flatAt(10_000, '10k', log, true));
  gcNow();
  done(await flatAt(100_000, '100k', log, false));
  gcNow();

  log('(b) nested perfload');
  done(await nested(log));
  gcNow();

  log('(c) claims');
  done(await claims(log));

  const byId = scenarioLookup(scenarios);
  const targets = [
    target('target', '< 1 ms per query at 1,000 providers', byId('flat-1k'), 'msPerQuery', '<', 1, 'ms'),
    target('target', '< 10 ms per query at 10,000 providers', byId('flat-10k'), 'msPerQuery', '<', 10, 'ms'),
    target('target', 'claims > 100,000/s', byId('claims-10k'), 'claimsPerSec', '>', 100_000, '/s'),
    target('target', '< 1.5 KB heap per provider at 100,000', byId('heap-100k-perfload'), 'bytesPerProvider', '<', 1500, 'B'),
    target('extra', '< 1 ms at 1,000 providers, summary cache empty', byId('flat-1k-cold'), 'msPerQuery', '<', 1, 'ms'),
    target('extra', '< 10 ms at 10,000 providers, summary cache empty', byId('flat-10k-cold'), 'msPerQuery', '<', 10, 'ms'),
    target('extra', '< 1 ms at 1,000 providers with limit=5', byId('flat-1k-limit5'), 'msPerQuery', '<', 1, 'ms'),
    target('extra', '< 10 ms at 10,000 providers with limit=5', byId('flat-10k-limit5'), 'msPerQuery', '<', 10, 'ms'),
    target('extra', '< 1.5 KB per provider incl. typed-array stores', byId('heap-100k-perfload'), 'heapAndArrayBufferBytesPerProvider', '<', 1500, 'B'),
    target('extra', '< 1.5 KB heap per provider, 3 aggregates + 3 traits', byId('heap-100k-3agg-3traits'), 'bytesPerProvider', '<', 1500, 'B'),
    target('extra', '< 1.5 KB per provider incl. typed-array stores, 3 + 3', byId('heap-100k-3agg-3traits'), 'heapAndArrayBufferBytesPerProvider', '<', 1500, 'B'),
  ];
  return { scenarios, targets };
}

export const placementSuite: BenchSuite = {
  name: 'placement',
  description: 'placement engine: perfload queries, nested perfload, claim throughput, heap per provider',
  run: runPlacement,
};
