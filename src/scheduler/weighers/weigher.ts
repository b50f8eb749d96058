/**
 * The weigher contract (Nova's BaseHostWeigher, as struct-of-arrays):
 *
 *   weigh(hosts, view, request, out)  writes the raw weight of hosts[i] into out[i]
 *
 * for every candidate, allocating nothing. `weighCandidates` then normalises each weigher's raw
 * weights over the candidates to 0..1 (min → 0, max → 1, all equal → all 0), multiplies them by the
 * weigher's multiplier and sums across weighers; the greatest sum wins.
 */
import type { HostStats } from './host-stats.js';
import { SchedulerWeigherError } from './errors.js';

/**
 * What the weighers read of the host table (HostTable satisfies it): capacity and usage per host and
 * dimension at [h·D + d], capacity already (total − reserved) × allocation ratio.
 */
export interface HostTableView {
  readonly count: number;
  readonly dims: number;
  readonly dimensions: readonly string[];
  readonly capacity: Float64Array;
  readonly used: Float64Array;
}

/** The table plus the per-host statistics it does not hold (absent: every statistic reads 0). */
export interface WeighView {
  readonly table: HostTableView;
  readonly stats?: HostStats;
}

/** Nova's server-group policies; only the soft ones are weighed (the hard ones are filters). */
export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface WeighRequest {
  /** Amounts asked per table dimension, in the table's order (the packing weigher adds them). */
  readonly need?: ArrayLike<number> | undefined;
  /** The server group the instance joins (dense group id of HostStats) and its policy. */
  readonly serverGroup?: { readonly id: number; readonly policy: ServerGroupPolicy } | undefined;
}

export interface Weigher {
  /** For messages and reports, e.g. 'ram'. */
  readonly name: string;
  /** Applied after normalisation; 0 switches the weigher off. Must be finite. */
  readonly multiplier: number;
  /** Writes the raw weight of hosts[i] into out[i] for i < hosts.length (out may be longer). No allocation. */
  weigh(hosts: Int32Array, view: WeighView, request: WeighRequest, out: Float64Array): void;
}

/**
 * Nova's normalize(): over out[0 … n), min → 0, max → 1, linear between; all equal (or n ≤ 1) → all 0.
 * In place. Every value must be finite (SchedulerWeigherError otherwise, naming `what`).
 * Results are always within [0, 1].
 */
export function normalizeWeights(weights: Float64Array, n: number, what = 'weight'): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w)) throw new SchedulerWeigherError(`${what}: raw weight ${w} is not a finite number`);
    if (w < min) min = w;
    if (w > max) max = w;
  }
  if (!(max > min)) {
    weights.fill(0, 0, n);
    return;
  }
  let range = max - min;
  // max − min overflows only for raw weights near ±1.8e308: weigh halves then (same ratios).
  const half = !Number.isFinite(range);
  if (half) range = max / 2 - min / 2;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    const v = half ? (w / 2 - min / 2) / range : (w - min) / range;
    weights[i] = v > 1 ? 1 : v < 0 ? 0 : v;
  }
}

export function checkMultiplier(name: string, multiplier: number): number {
  if (!Number.isFinite(multiplier)) throw new SchedulerWeigherError(`${name}: multiplier must be a finite number, got ${multiplier}`);
  return multiplier;
}
