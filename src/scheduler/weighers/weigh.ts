/**
 * Weighing a request's candidates and choosing among the best, with Nova's rules:
 *
 *   total(h) = Σ_w multiplier_w × normalise_w(raw_w(h))      (weighers with multiplier 0 skipped)
 *
 * normalise_w maps weigher w's raw weights over this candidate list to 0..1 (min → 0, max → 1,
 * all equal → all 0). The order is by total, greatest first; equal totals go to the lower host id,
 * so the order is a deterministic function of the inputs. `pickFromBest` then chooses uniformly at
 * random among the first host_subset_size hosts (Nova's [filter_scheduler] host_subset_size).
 *
 * Nothing is allocated per host: the raw and summed weights live in a WeighScratch (reuse one across
 * calls to allocate nothing but the result); the result is two arrays per call.
 */
import type { Rng } from '../../../common/rng.js';
import { SchedulerWeigherError } from './errors.js';
import { normalizeWeights, type Weigher, type WeighRequest, type WeighView } from './weigher.js';
import {
  buildFailureWeigher,
  cpuWeigher,
  diskWeigher,
  ioOpsWeigher,
  numInstancesWeigher,
  ramWeigher,
  softAffinityWeigher,
  softAntiAffinityWeigher,
} from './resource-weighers.js';

/** Reusable buffers of weighCandidates; grows to the largest candidate list seen. */
export class WeighScratch {
  raw: Float64Array;
  total: Float64Array;
  index: Int32Array;

  constructor(initialCandidates = 64) {
    const n = Math.max(1, initialCandidates);
    this.raw = new Float64Array(n);
    this.total = new Float64Array(n);
    this.index = new Int32Array(n);
  }

  ensure(n: number): void {
    if (this.raw.length >= n) return;
    let room = this.raw.length;
    while (room < n) room *= 2;
    this.raw = new Float64Array(room);
    this.total = new Float64Array(room);
    this.index = new Int32Array(room);
  }
}

export interface WeighedHosts {
  /** Candidate host ids, best first (a permutation of the candidates). */
  readonly order: Int32Array;
  /** weights[i] is the total weight of order[i] (non-increasing). */
  readonly weights: Float64Array;
}

/**
 * Weighs `candidates` (host ids of view.table) with `weighers` and returns them best first.
 * Throws SchedulerWeigherError for a candidate outside the table, a non-finite multiplier or a
 * non-finite raw weight.
 */
export function weighCandidates(
  candidates: Int32Array,
  weighers: readonly Weigher[],
  view: WeighView,
  request: WeighRequest = {},
  scratch: WeighScratch = new WeighScratch(candidates.length),
): WeighedHosts {
  const n = candidates.length;
  const count = view.table.count;
  for (let i = 0; i < n; i++) {
    const h = candidates[i] as number;
    if (h < 0 || h >= count) throw new SchedulerWeigherError(`candidate ${h} is not a host of the table (${count} hosts)`);
  }
  scratch.ensure(n);
  const raw = scratch.raw;
  const total = scratch.total;
  total.fill(0, 0, n);
  for (const w of weighers) {
    const m = w.multiplier;
    if (!Number.isFinite(m)) throw new SchedulerWeigherError(`${w.name}: multiplier must be a finite number, got ${m}`);
    if (m === 0 || n === 0) continue;
    w.weigh(candidates, view, request, raw);
    normalizeWeights(raw, n, w.name);
    for (let i = 0; i < n; i++) total[i] = (total[i] as number) + m * (raw[i] as number);
  }
  const index = scratch.index.subarray(0, n);
  for (let i = 0; i < n; i++) index[i] = i;
  index.sort((a, b) => {
    const ta = total[a] as number;
    const tb = total[b] as number;
    if (ta > tb) return -1;
    if (ta < tb) return 1;
    return (candidates[a] as number) - (candidates[b] as number);
  });
  const order = new Int32Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = index[i] as number;
    order[i] = candidates[k] as number;
    weights[i] = total[k] as number;
  }
  return { order, weights };
}

/**
 * Nova's choice among the weighed hosts: uniformly at random among the first
 * max(1, hostSubsetSize) hosts of `order` (all of them when fewer). Draws exactly one number from
 * `rng` when `order` is not empty; −1 (and no draw) when it is.
 */
export function pickFromBest(order: ArrayLike<number>, hostSubsetSize: number, rng: Rng): number {
  if (order.length === 0) return -1;
  const size = Number.isFinite(hostSubsetSize) ? Math.max(1, Math.floor(hostSubsetSize)) : 1;
  const k = Math.min(size, order.length);
  return order[rng.int(k)] as number;
}

export interface NovaWeigherMultipliers {
  readonly ram?: number;
  readonly cpu?: number;
  readonly disk?: number;
  readonly ioOps?: number;
  readonly buildFailure?: number;
  readonly numInstances?: number;
  readonly softAffinity?: number;
  readonly softAntiAffinity?: number;
}

/** Nova's weighers (all_weighers minus metrics, image properties, cross-cell, hypervisor version), Nova's defaults unless overridden. */
export function novaWeighers(multipliers: NovaWeigherMultipliers = {}): Weigher[] {
  const opt = (m: number | undefined): { multiplier?: number } => (m === undefined ? {} : { multiplier: m });
  return [
    ramWeigher(opt(multipliers.ram)),
    cpuWeigher(opt(multipliers.cpu)),
    diskWeigher(opt(multipliers.disk)),
    ioOpsWeigher(opt(multipliers.ioOps)),
    buildFailureWeigher(opt(multipliers.buildFailure)),
    numInstancesWeigher(opt(multipliers.numInstances)),
    softAffinityWeigher(opt(multipliers.softAffinity)),
    softAntiAffinityWeigher(opt(multipliers.softAntiAffinity)),
  ];
}
