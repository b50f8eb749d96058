/**
 * Runs every benchmark suite, writes bench/results/<suite>-<date>.json and prints a table.
 *
 *   npm run bench                       (build, then node --expose-gc dist/bench/run.js)
 *   node dist/bench/run.js [suite ...]  (only the named suites)
 *
 * bench-node refuses to run without --allow-natives-syntax and the heap scenario needs
 * --expose-gc, so when either is missing this script runs itself again with both.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { BenchSuite, ScenarioResult, SuiteOutcome, TargetResult } from './harness.js';
import { packageRoot } from './harness.js';

/**
 * Every `*.bench.js` beside this file, each exporting one or more BenchSuite values. Discovered
 * rather than listed, so that adding a suite touches only its own file.
 */
async function discoverSuites(): Promise<BenchSuite[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const suites: BenchSuite[] = [];
  for (const file of fs.readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort()) {
    try {
      const mod = (await import(path.join(here, file))) as Record<string, unknown>;
      for (const value of Object.values(mod)) if (isSuite(value)) suites.push(value);
    } catch (err) {
      // One broken suite must not stop the others; its name then shows up as unknown if asked for.
      console.error(`bench: cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return suites;
}

function isSuite(value: unknown): value is BenchSuite {
  const v = value as Partial<BenchSuite> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.run === 'function';
}

function reexecIfNeeded(): void {
  const flags = ['--allow-natives-syntax', '--expose-gc'];
  const missing = flags.filter((f) => !process.execArgv.includes(f));
  if (missing.length === 0) return;
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, ...missing, self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}


export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  v8: string;
  os: string;
  arch: string;
}

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
  };
}

/**
 * sha256 (first 12 hex digits) of the TypeScript sources under src/ and common/, so that figures
 * can be matched to the code they measured without asking git (the build runs just before).
 */
function sourceHash(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) hash.update(path.relative(root, full)).update('\0').update(fs.readFileSync(full)).update('\0');
    }
  };
  walk(path.join(root, 'src'));
  walk(path.join(root, 'common'));
  return hash.digest('hex').slice(0, 12);
}

// ------------------------------------------------------------------ formatting

function fmt(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(1);
  return v.toFixed(digits);
}

function table(headers: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const DERIVED_LABELS: Record<string, [string, string]> = {
  msPerQuery: ['ms/query', ''],
  claimsPerSec: ['claims/s', ''],
  usPerClaim: ['µs/claim', ''],
  msPerCycle: ['ms/cycle', ''],
  bytesPerProvider: ['heap B/provider', ''],
  arrayBufferBytesPerProvider: ['arrayBuffers B/provider', ''],
  heapAndArrayBufferBytesPerProvider: ['heap+arrayBuffers B/provider', ''],
};

function derivedText(s: ScenarioResult): string {
  return Object.entries(s.derived)
    .map(([k, v]) => `${fmt(v, k === 'msPerQuery' || k === 'msPerCycle' ? 3 : 1)} ${DERIVED_LABELS[k]?.[0] ?? k}`)
    .join(', ');
}

function scenarioTable(scenarios: readonly ScenarioResult[]): string {
  return table(
    ['scenario', 'providers', 'ops/s', 'mean ms', 'p99 ms', 'samples', 'derived'],
    scenarios.map((s) => [
      s.id,
      s.providers.toLocaleString('en-US'),
      fmt(s.opsPerSec, 1),
      fmt(s.meanMs),
      fmt(s.p99Ms),
      s.samples === undefined ? '–' : String(s.samples),
      derivedText(s),
    ]),
    [false, true, true, true, true, true, false],
  );
}

function targetTable(targets: readonly TargetResult[]): string {
  return table(
    ['', 'target', 'measured', 'scenario'],
    targets.map((t) => [
      t.pass ? 'pass' : 'MISSED',
      `${t.kind === 'extra' ? '(extra) ' : ''}${t.target}`,
      t.value === null ? 'not measured' : `${fmt(t.value, t.unit === 'ms' ? 3 : 1)} ${t.unit}`,
      t.scenario,
    ]),
    [false, false, true, false],
  );
}

function dateStamp(d: Date): string {
  // 2025-01-31T12-34-56Z: a date that sorts and is safe in a file name.
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

async function main(): Promise<void> {
  reexecIfNeeded();
  const SUITES = await discoverSuites();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`Unknown suite(s): ${unknown.join(', ')}. Suites: ${SUITES.map((s) => s.name).join(', ')}.`);
    process.exit(2);
  }
  const suites = wanted.length === 0 ? SUITES : SUITES.filter((s) => wanted.includes(s.name));
  const machine = machineInfo();
  const root = packageRoot();
  const resultsDir = path.join(root, 'bench', 'results');
  const sources = sourceHash(root);
  fs.mkdirSync(resultsDir, { recursive: true });
  console.log(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
      `node ${machine.node} (V8 ${machine.v8}), ${machine.os} ${machine.arch}; sources ${sources}`,
  );
  let allPass = true;
  let extrasMissed = false;
  for (const suite of suites) {
    const started = new Date();
    const t0 = performance.now();
    console.log(`\n== ${suite.name}: ${suite.description}`);
    const outcome: SuiteOutcome = await suite.run((line) => console.log(line));
    const seconds = (performance.now() - t0) / 1000;
    const file = path.join(resultsDir, `${suite.name}-${dateStamp(started)}.json`);
    const record = { suite: suite.name, date: started.toISOString(), durationSeconds: seconds, sourceHash: sources, machine, ...outcome };
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
    console.log(`\n${suite.name}: ${outcome.scenarios.length} scenarios in ${seconds.toFixed(0)} s`);
    console.log(scenarioTable(outcome.scenarios));
    console.log('\nmean/p99: of bench-node samples (time per op of each sample, after its IQR outlier filter); ms/query = 1000 / ops/s.');
    console.log(`\nTargets (${machine.cpuModel}, ${machine.cores} cores):`);
    console.log(targetTable(outcome.targets));
    console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
    if (outcome.targets.some((t) => t.kind === 'target' && !t.pass)) allPass = false;
    if (outcome.targets.some((t) => t.kind === 'extra' && !t.pass)) extrasMissed = true;
  }
  // A missed target is a finding, not a failure of the run.
  console.log(
    (allPass ? '\nall targets met' : '\nsome targets missed') +
      (extrasMissed ? ' (and some extra targets missed: see the tables)' : ''),
  );
}

await main();
