/**
 * HaReserveFilter (ours): N+1 over failure domains. Placing the request on a host must leave the
 * cluster able to restart the guests of any one failed failure domain in the others' spare capacity.
 *
 * Precisely. The cluster is the active hosts (enabled in the HostTable, up and not in maintenance in
 * the HostState) plus the candidate itself. A host's failure domain is HostTable.failureDomain; a
 * host with none (−1) is a domain of its own. For each checked dimension d (default: all of the
 * table's; option `dimensions`):
 *   spare_d(h) = max(0, capacity_d(h) − used_d(h) − reserve_d(h))     (reserve: the HostState's HCI
 *                reserve for VCPU and MEMORY_MB, 0 for other dimensions)
 * after adding `need` to the candidate's used. The candidate passes when, for every failure domain F
 * and every checked dimension d,
 *   Σ_{h ∈ F} used_d(h)  ≤  Σ_{h ∉ F} spare_d(h)
 * i.e. F's used capacity, poured as a fluid into the spare capacity of the hosts outside F, fits
 * (a fluid fits exactly when the total does). Checking only the most loaded domain is not enough:
 * with T = Σ_h spare_d(h) and W(F) = Σ_{h∈F} (used_d(h) + spare_d(h)), the condition is T ≥ W(F), so
 * the binding domain is the one of greatest W (load plus the spare it takes away when it fails).
 *
 * Cost. filter() computes once per request, in O(hosts + domains), T and W(F) per domain and the
 * greatest W per dimension (and its domain). A candidate c in domain Fc changes only T and W(Fc):
 * T' = T − spare(c) + spare'(c), W'(Fc) = W(Fc) − (used+spare)(c) + (used'+spare')(c) (c's old terms
 * count only when c is active). Since spare' ≥ spare − need, W'(Fc) ≥ W(Fc), so the candidate passes
 * iff T' ≥ W'(Fc) and T' ≥ max_F W(F): O(dimensions) per candidate, no allocation (scratch arrays
 * are kept by the stage and grow as needed). The sums are floating-point: exact for integer amounts.
 */
import { planStage, type FilterContext, type HostFilterStage } from './stage.js';

export interface HaReserveOptions {
  /** Dimension names to keep N+1 for (names the table does not have are ignored). Default: all. */
  readonly dimensions?: readonly string[];
}

/** The filter's per-request aggregates; kept and reused by the stage. */
class HaPlan {
  R = 0;
  dims = new Int32Array(0);
  vcpuDim = -1;
  memDim = -1;
  /** Domain key of a host without a failure domain: keyBase + host. */
  keyBase = 0;
  total = new Float64Array(0);
  load = new Float64Array(0);
  spare = new Float64Array(0);
  top1 = new Float64Array(0);
  top1Key = new Int32Array(0);

  constructor(readonly options: HaReserveOptions) {}

  key(ctx: FilterContext, host: number): number {
    const f = ctx.table.failureDomain[host] as number;
    return f >= 0 ? f : this.keyBase + host;
  }

  reserve(ctx: FilterContext, host: number, dim: number): number {
    const s = ctx.hostState;
    if (s === undefined) return 0;
    if (dim === this.vcpuDim) return s.reserveVcpu[host] ?? 0;
    if (dim === this.memDim) return s.reserveMemoryMb[host] ?? 0;
    return 0;
  }

  prepare(ctx: FilterContext): this {
    const t = ctx.table;
    const names = this.options.dimensions ?? t.dimensions;
    const dims: number[] = [];
    for (const n of names) {
      const d = t.dimensionIndex(n);
      if (d >= 0 && !dims.includes(d)) dims.push(d);
    }
    const R = dims.length;
    this.R = R;
    if (this.dims.length < R) this.dims = new Int32Array(R);
    for (let i = 0; i < R; i++) this.dims[i] = dims[i] as number;
    this.vcpuDim = t.dimensionIndex('VCPU');
    this.memDim = t.dimensionIndex('MEMORY_MB');
    const n = t.count;
    let maxF = -1;
    for (let h = 0; h < n; h++) if ((t.failureDomain[h] as number) > maxF) maxF = t.failureDomain[h] as number;
    this.keyBase = maxF + 1;
    const keys = this.keyBase + n;
    if (this.load.length < keys * R) {
      this.load = new Float64Array(keys * R * 2);
      this.spare = new Float64Array(keys * R * 2);
    }
    if (this.total.length < R) {
      this.total = new Float64Array(R);
      this.top1 = new Float64Array(R);
      this.top1Key = new Int32Array(R);
    }
    this.load.fill(0, 0, keys * R);
    this.spare.fill(0, 0, keys * R);
    this.total.fill(0);
    const D = t.dims;
    for (let h = 0; h < n; h++) {
      if (!active(ctx, h)) continue;
      const k = this.key(ctx, h);
      for (let i = 0; i < R; i++) {
        const d = this.dims[i] as number;
        const u = t.used[h * D + d] as number;
        const s = Math.max(0, (t.capacity[h * D + d] as number) - u - this.reserve(ctx, h, d));
        this.load[k * R + i] = (this.load[k * R + i] as number) + u;
        this.spare[k * R + i] = (this.spare[k * R + i] as number) + s;
        this.total[i] = (this.total[i] as number) + s;
      }
    }
    for (let i = 0; i < R; i++) {
      let b1 = -Infinity;
      let k1 = -1;
      for (let k = 0; k < keys; k++) {
        const w = (this.load[k * R + i] as number) + (this.spare[k * R + i] as number);
        if (w > b1) {
          b1 = w;
          k1 = k;
        }
      }
      this.top1[i] = b1;
      this.top1Key[i] = k1;
    }
    return this;
  }

  /**
   * −1 when `host` passes; else i·2 + (0: its own domain fails the check, 1: the domain of greatest
   * W, then another one, does) for the first failing checked dimension i.
   */
  verdict(ctx: FilterContext, host: number): number {
    const t = ctx.table;
    const D = t.dims;
    const R = this.R;
    const need = ctx.request.need;
    const on = active(ctx, host);
    const k = this.key(ctx, host);
    for (let i = 0; i < R; i++) {
      const d = this.dims[i] as number;
      const q = Math.max(0, need === undefined ? 0 : (need[d] ?? 0));
      const c = t.capacity[host * D + d] as number;
      const u = t.used[host * D + d] as number;
      const r = this.reserve(ctx, host, d);
      const s0 = on ? Math.max(0, c - u - r) : 0;
      const w0 = on ? u + s0 : 0;
      const s1 = Math.max(0, c - u - q - r);
      const w1 = u + q + s1;
      const T = (this.total[i] as number) - s0 + s1;
      const own = (this.load[k * R + i] as number) + (this.spare[k * R + i] as number) - w0 + w1;
      if (T < own) return i * 2;
      // W'(own) ≥ W(own): when the greatest W is the own domain's, the check above already failed.
      if (T < (this.top1[i] as number)) return i * 2 + 1;
    }
    return -1;
  }

  reason(ctx: FilterContext, host: number, v: number): string {
    const t = ctx.table;
    const D = t.dims;
    const R = this.R;
    const i = v >> 1;
    const d = this.dims[i] as number;
    const dim = t.dimensions[d] as string;
    const need = ctx.request.need;
    const q = Math.max(0, need === undefined ? 0 : (need[d] ?? 0));
    const on = active(ctx, host);
    const c = t.capacity[host * D + d] as number;
    const u = t.used[host * D + d] as number;
    const r = this.reserve(ctx, host, d);
    const s0 = on ? Math.max(0, c - u - r) : 0;
    const s1 = Math.max(0, c - u - q - r);
    const T = (this.total[i] as number) - s0 + s1;
    const own = this.key(ctx, host);
    let F: number;
    let load: number;
    let spareIn: number;
    if ((v & 1) === 0) {
      F = own;
      load = (this.load[F * R + i] as number) - (on ? u : 0) + u + q;
      spareIn = (this.spare[F * R + i] as number) - s0 + s1;
    } else {
      F = this.top1Key[i] as number;
      load = this.load[F * R + i] as number;
      spareIn = this.spare[F * R + i] as number;
    }
    const label = F < this.keyBase ? `failure domain ${F}` : `host ${F - this.keyBase}`;
    return `N+1 HA reserve: after placing here, if ${label} failed its ${load} ${dim} in use could not restart elsewhere (only ${T - spareIn} ${dim} spare outside it)`;
  }
}

function active(ctx: FilterContext, host: number): boolean {
  const s = ctx.hostState;
  return ctx.table.enabled[host] === 1 && (s === undefined || ((s.down[host] ?? 0) === 0 && (s.maintenance[host] ?? 0) === 0));
}

export function haReserveFilter(options: HaReserveOptions = {}): HostFilterStage {
  const plan = new HaPlan(options);
  return planStage(
    'HaReserveFilter',
    (ctx) => plan.prepare(ctx),
    (host, p, ctx) => p.verdict(ctx, host) < 0,
    (host, p, ctx) => p.reason(ctx, host, p.verdict(ctx, host)),
  );
}
