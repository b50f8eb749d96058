/**
 * Our packing weigher (not in Nova): prefers the host whose usage after placing the request is
 * highest and most even across dimensions, so that no resource is stranded full while others sit idle.
 *
 * For each dimension d with capacity > 0:  u_d = clamp((used_d + need_d) / capacity_d, 0, 1)
 *   raw = mean(u) − imbalancePenalty × (max(u) − min(u))
 * A host with no dimension of positive capacity weighs 0. Positive multiplier (default 1.0) prefers
 * the fuller, better balanced host; a negative one the emptiest, least balanced.
 *
 * Example (penalty 1): after placement (0.8, 0.7) → 0.65; (0.95, 0.3) → 0.625 − 0.65 = −0.025;
 * the balanced host wins although the other has a fuller dimension.
 */
import { SchedulerWeigherError } from './errors.js';
import { checkMultiplier, type Weigher, type WeighRequest, type WeighView } from './weigher.js';

export interface PackingWeigherOptions {
  readonly multiplier?: number;
  /** Weight of the spread between the most and least used dimension (default 1.0, must be ≥ 0). */
  readonly imbalancePenalty?: number;
}

export function packingWeigher(options: PackingWeigherOptions = {}): Weigher {
  const multiplier = checkMultiplier('packing', options.multiplier ?? 1.0);
  const penalty = options.imbalancePenalty ?? 1.0;
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new SchedulerWeigherError(`packing: imbalancePenalty must be a finite number ≥ 0, got ${penalty}`);
  return {
    name: 'packing',
    multiplier,
    weigh(hosts: Int32Array, view: WeighView, request: WeighRequest, out: Float64Array): void {
      packingScores(view, hosts, request, out, penalty);
    },
  };
}

function packingScores(view: WeighView, hosts: Int32Array, request: WeighRequest, out: Float64Array, penalty: number): void {
  const table = view.table;
  const D = table.dims;
  const capacity = table.capacity;
  const used = table.used;
  const need = request.need;
  for (let i = 0; i < hosts.length; i++) {
    const base = (hosts[i] as number) * D;
    let sum = 0;
    let k = 0;
    let max = -Infinity;
    let min = Infinity;
    for (let d = 0; d < D; d++) {
      const cap = capacity[base + d] as number;
      if (!(cap > 0)) continue;
      const add = need === undefined ? 0 : (need[d] ?? 0);
      let u = ((used[base + d] as number) + (add > 0 ? add : 0)) / cap;
      u = u > 1 ? 1 : u < 0 ? 0 : u;
      sum += u;
      k++;
      if (u > max) max = u;
      if (u < min) min = u;
    }
    out[i] = k === 0 ? 0 : sum / k - penalty * (max - min);
  }
}
