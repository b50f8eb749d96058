/**
 * An index over the host table's free capacity: a segment tree whose node k holds, per dimension
 * d, the maximum of free[h·D + d] = capacity − used over the hosts under it. A query for `need`
 * descends only into subtrees where every requested dimension's maximum free is ≥ need, so hosts
 * in full regions of the id space are skipped a subtree at a time; the other filters (traits,
 * aggregates, enabled, excluded ids) are checked on the hosts reached.
 *
 * Layout: an implicit binary heap of 2·size nodes (size = power of two ≥ host room), stored as
 * tree[k·D + d] in one Float64Array; leaves are k = size + host; leaves with no host hold −∞.
 * Updates (claim, release, setCapacity) cost O(D·log n); the walk is stackless and allocates
 * nothing. The leaves copy the table's free values bit for bit, so the index and the reference scan
 * decide "fits" by the same comparison.
 */
import { SchedulerHostError } from './errors.js';
import type { HostFilter, HostFinder } from './filter.js';
import { passesFilter, placementScore } from './filter.js';
import type { HostTable, HostTableListener } from './host-table.js';

export class CapacityIndex implements HostFinder, HostTableListener {
  private size: number;
  private tree: Float64Array;
  private readonly D: number;
  /** Scratch: requested dimensions and their amounts for the current walk. */
  private readonly reqDims: Int32Array;
  private readonly reqNeed: Float64Array;
  private reqCount = 0;

  /** Builds the index over the table's current hosts and keeps it current from then on. */
  constructor(readonly table: HostTable) {
    this.D = table.dims;
    this.reqDims = new Int32Array(this.D);
    this.reqNeed = new Float64Array(this.D);
    this.size = 1;
    while (this.size < Math.max(1, table.count)) this.size *= 2;
    this.tree = new Float64Array(0);
    this.rebuild();
    table.attach(this);
  }

  /** Stops following the table. */
  detach(): void {
    this.table.detach(this);
  }

  /** Bytes of the tree (its typed array). */
  bytes(): number {
    return this.tree.byteLength;
  }

  hostAdded(host: number): void {
    if (host >= this.size) {
      while (this.size <= host) this.size *= 2;
      this.rebuild();
    } else this.hostChanged(host);
  }

  hostChanged(host: number): void {
    const D = this.D;
    const tree = this.tree;
    const cap = this.table.capacity;
    const used = this.table.used;
    let k = this.size + host;
    for (let d = 0; d < D; d++) tree[k * D + d] = (cap[host * D + d] as number) - (used[host * D + d] as number);
    k >>= 1;
    while (k >= 1) {
      const l = 2 * k * D;
      const r = l + D;
      let same = true;
      for (let d = 0; d < D; d++) {
        const a = tree[l + d] as number;
        const b = tree[r + d] as number;
        const m = a >= b ? a : b;
        if (tree[k * D + d] !== m) {
          tree[k * D + d] = m;
          same = false;
        }
      }
      if (same) break;
      k >>= 1;
    }
  }

  /** Max free of `dim` over all hosts (−∞ with no hosts). */
  maxFree(dim: number): number {
    return this.tree[this.D + dim] as number;
  }

  private rebuild(): void {
    const D = this.D;
    const size = this.size;
    const tree = new Float64Array(2 * size * D).fill(-Infinity);
    const cap = this.table.capacity;
    const used = this.table.used;
    const n = this.table.count;
    for (let h = 0; h < n; h++) {
      for (let d = 0; d < D; d++) tree[(size + h) * D + d] = (cap[h * D + d] as number) - (used[h * D + d] as number);
    }
    for (let k = size - 1; k >= 1; k--) {
      for (let d = 0; d < D; d++) {
        const a = tree[2 * k * D + d] as number;
        const b = tree[(2 * k + 1) * D + d] as number;
        tree[k * D + d] = a >= b ? a : b;
      }
    }
    this.tree = tree;
  }

  private prepare(need: ArrayLike<number>): void {
    let c = 0;
    for (let d = 0; d < this.D; d++) {
      const n = need[d] as number;
      if (n > 0) {
        this.reqDims[c] = d;
        this.reqNeed[c] = n;
        c++;
      }
    }
    this.reqCount = c;
  }

  private nodeFits(k: number): boolean {
    const base = k * this.D;
    const tree = this.tree;
    for (let i = 0; i < this.reqCount; i++) {
      if ((tree[base + (this.reqDims[i] as number)] as number) < (this.reqNeed[i] as number)) return false;
    }
    return true;
  }

  /**
   * The next host at or after the walk position `k` (a node id) that fits and passes the filter;
   * returns the leaf node id, or 0 when the walk is over. Call with k = 1 to start, and with
   * next(leaf) to continue.
   */
  private seek(k: number, filter: HostFilter): number {
    const size = this.size;
    const count = this.table.count;
    for (;;) {
      if (this.nodeFits(k)) {
        if (k < size) {
          k = 2 * k;
          continue;
        }
        const h = k - size;
        if (h < count && passesFilter(this.table, h, filter)) return k;
      }
      while ((k & 1) === 1) k >>= 1;
      if (k === 0) return 0;
      k++;
    }
  }

  /** The walk position after leaf `k`. */
  private static after(k: number): number {
    while ((k & 1) === 1) k >>= 1;
    return k === 0 ? 0 : k + 1;
  }

  forEachFit(need: ArrayLike<number>, filter: HostFilter, visit: (host: number) => boolean | void): number {
    this.prepare(need);
    const size = this.size;
    let visited = 0;
    let k = this.seek(1, filter);
    while (k !== 0) {
      visited++;
      if (visit(k - size) === false) break;
      // visit may claim or release (the walk state is only k, and the scratch request is set
      // again below, so a nested query is fine too), but not add hosts past the tree's room.
      if (this.size !== size) throw new SchedulerHostError('hosts were added during forEachFit');
      this.prepare(need);
      const next = CapacityIndex.after(k);
      k = next === 0 ? 0 : this.seek(next, filter);
    }
    return visited;
  }

  firstFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.prepare(need);
    const k = this.seek(1, filter);
    return k === 0 ? -1 : k - this.size;
  }

  bestFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.prepare(need);
    let best = -1;
    let bestScore = Infinity;
    let k = this.seek(1, filter);
    while (k !== 0) {
      const h = k - this.size;
      const s = placementScore(this.table, h, need);
      if (best < 0 || s < bestScore) {
        best = h;
        bestScore = s;
        // With some dimension requested, a fitting host's score is ≥ 0 and later hosts lose
        // ties: nothing can beat 0. (With none requested, hosts over capacity score < 0.)
        if (s <= 0 && this.reqCount > 0) break;
      }
      const next = CapacityIndex.after(k);
      k = next === 0 ? 0 : this.seek(next, filter);
    }
    return best;
  }

  worstFit(need: ArrayLike<number>, filter: HostFilter): number {
    this.prepare(need);
    let best = -1;
    let bestScore = -Infinity;
    let k = this.seek(1, filter);
    while (k !== 0) {
      const h = k - this.size;
      const s = placementScore(this.table, h, need);
      if (best < 0 || s > bestScore) {
        best = h;
        bestScore = s;
      }
      const next = CapacityIndex.after(k);
      k = next === 0 ? 0 : this.seek(next, filter);
    }
    return best;
  }
}
