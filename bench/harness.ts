/**
 * Small shared layer over bench-node: the shape of a suite and of its results, a managed timing
 * loop, and the statistics that bench/run.ts writes out.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Suite } from 'bench-node';
import { packageRoot } from '../common/package-root.js';

/** One timed or measured scenario as written to bench/results/<suite>-<date>.json. */
export interface ScenarioResult {
  id: string;
  name: string;
  /** Providers in the world the scenario ran on. */
  providers: number;
  /** From bench-node (absent for scenarios measured without it, such as heap). */
  opsPerSec?: number;
  /** Mean and p99 of bench-node's samples (time per op of each sample, after its IQR outlier filter), in ms. */
  meanMs?: number;
  p99Ms?: number;
  minMs?: number;
  maxMs?: number;
  samples?: number;
  iterations?: number;
  /** Figures derived for the targets: msPerQuery, claimsPerSec, bytesPerProvider… */
  derived: Record<string, number>;
  /** Facts checked before timing (allocation requests returned, expected counts…). */
  checks?: Record<string, number | string>;
  note?: string;
}

export interface TargetResult {
  target: string;
  /** 'target' for the figures asked for; 'extra' for the same bar applied to a variant, for context. */
  kind: 'target' | 'extra';
  scenario: string;
  metric: string;
  comparison: '<' | '>';
  threshold: number;
  unit: string;
  value: number | null;
  pass: boolean;
}

export interface SuiteOutcome {
  scenarios: ScenarioResult[];
  targets: TargetResult[];
}

export interface BenchSuite {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<SuiteOutcome>;
}

/** The managed timer bench-node passes to a benchmark function that takes an argument. */
export interface BenchTimer {
  start(): void;
  end(iterations?: number): void;
  count: number;
}

export interface TimedCase {
  id: string;
  name: string;
  providers: number;
  /**
   * One managed sample: do untimed setup, then timer.start(), the work, timer.end(n). bench-node
   * divides the sample's time by n.
   */
  fn: (timer: BenchTimer) => void;
  minTime?: number;
  maxTime?: number;
  minSamples?: number;
}

export interface Timed {
  opsPerSec: number;
  meanMs: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  samples: number;
  iterations: number;
}

/** What bench-node 0.15 really returns as `histogram` (its .d.ts says perf_hooks' Histogram). */
interface BenchNodeHistogram {
  samples: number;
  min: number;
  max: number;
  /** Time per op of each sample in ns, sorted, outliers removed. */
  sampleData: number[];
}

let sink = 0;
/** Keeps results observable so that no work can be dropped as dead. */
export function consume(value: number): void {
  sink = (sink + value) | 0;
}
export function sinkValue(): number {
  return sink;
}

/**
 * A managed benchmark body that runs `body` up to `maxPerSample` times per sample (fewer than
 * bench-node suggests for slow operations, so that each sample of a ~1 s query is that one query and
 * the whole run stays short), between an untimed `before(n)` and the timed loop.
 */
export function managed(
  maxPerSample: number,
  body: (i: number) => number,
  before?: (n: number) => void,
): (timer: BenchTimer) => void {
  return (timer: BenchTimer) => {
    const n = Math.max(1, Math.min(timer.count, maxPerSample));
    before?.(n);
    let acc = 0;
    timer.start();
    for (let i = 0; i < n; i++) acc += body(i);
    timer.end(n);
    consume(acc);
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil(sorted.length * (p / 100)) - 1)] as number;
}

/** Runs the cases as one bench-node suite (no reporter: run.ts prints the table). */
export async function timeCases(cases: readonly TimedCase[]): Promise<Map<string, Timed>> {
  const suite = new Suite({ reporter: false });
  for (const c of cases) {
    suite.add(
      c.id,
      { minTime: c.minTime ?? 0.05, maxTime: c.maxTime ?? 0.5, minSamples: c.minSamples ?? 10 },
      c.fn as (timer?: BenchTimer) => void,
    );
  }
  const results = await suite.run();
  const out = new Map<string, Timed>();
  for (const r of results) {
    const h = r.histogram as unknown as BenchNodeHistogram;
    const data = h.sampleData;
    const mean = data.length === 0 ? 0 : data.reduce((a, b) => a + b, 0) / data.length;
    out.set(r.name, {
      opsPerSec: r.opsSec ?? 0,
      meanMs: mean / 1e6,
      p99Ms: percentile(data, 99) / 1e6,
      minMs: h.min / 1e6,
      maxMs: h.max / 1e6,
      samples: h.samples,
      iterations: r.iterations,
    });
  }
  return out;
}

export function gcNow(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('global.gc is missing: run node with --expose-gc (bench/run.ts re-executes itself with it).');
  gc();
  gc();
}

export function target(
  kind: 'target' | 'extra',
  name: string,
  scenario: ScenarioResult | undefined,
  metric: string,
  comparison: '<' | '>',
  threshold: number,
  unit: string,
): TargetResult {
  const value = scenario?.derived[metric] ?? null;
  const pass = value !== null && (comparison === '<' ? value < threshold : value > threshold);
  return { target: name, kind, scenario: scenario?.id ?? '(not run)', metric, comparison, threshold, unit, value, pass };
}

/**
 * Builds bench/c/<name>.c into `dir` with gcc (-O2, then `flags`); undefined, with the reason
 * logged, when it cannot (the suite then skips what needs it).
 */
export function buildCProgram(name: string, dir: string, flags: readonly string[], log: (line: string) => void): string | undefined {
  const out = path.join(dir, name);
  const cc = spawnSync('gcc', ['-O2', '-o', out, path.join(packageRoot(), 'bench', 'c', `${name}.c`), ...flags], { encoding: 'utf8' });
  if (cc.status !== 0) {
    log(`  (${name} not built, skipped: gcc: ${(cc.stderr ?? String(cc.error)).trim()})`);
    return undefined;
  }
  return out;
}

/** `items` rotated left by `round` places: which tool goes first changes from round to round. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** A lookup of a suite's scenarios by id, for its targets (undefined: the scenario did not run). */
export function scenarioLookup(scenarios: readonly ScenarioResult[]): (id: string) => ScenarioResult | undefined {
  return (id) => scenarios.find((s) => s.id === id);
}

export { packageRoot };

/** Collects a suite's scenario results and logs each one's derived figures as it arrives. */
export function scenarioCollector(log: (line: string) => void): { scenarios: ScenarioResult[]; done: (list: ScenarioResult[]) => void } {
  const scenarios: ScenarioResult[] = [];
  const done = (list: ScenarioResult[]): void => {
    for (const s of list) {
      scenarios.push(s);
      const figure = Object.entries(s.derived)
        .map(([k, v]) => `${k}=${v < 10 ? v.toFixed(3) : Math.round(v).toLocaleString('en-US')}`)
        .join(' ');
      log(`  ${s.id}: ${figure}`);
    }
  };
  return { scenarios, done };
}
