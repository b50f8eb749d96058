/**
 * The plain answer to every host query: scan every host of the table. What the capacity index is
 * tested against (its answers must be identical), and the baseline of the bench.
 */
import type { HostFilter, HostFinder } from './filter.js';
import { passesFilter, placementScore } from './filter.js';
import type { HostTable } from './host-table.js';
import { TopK } from './top-k.js';

export class ReferenceScan implements HostFinder {
  private readonly top = new TopK();

  constructor(readonly table: HostTable) {}

  bestFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number {
    return this.many(need, filter, k, out, true);
  }

  worstFitMany(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array): number {
    return this.many(need, filter, k, out, false);
  }

  private many(need: ArrayLike<number>, filter: HostFilter, k: number, out: Int32Array, pack: boolean): number {
    const t = this.table;
    this.top.reset(k, pack);
    for (let h = 0; h < t.count; h++) {
      if (t.fits(h, need) && passesFilter(t, h, filter)) this.top.offer(h, placementScore(t, h, need));
    }
    return this.top.copyTo(out);
  }

  forEachFit(need: ArrayLike<number>, filter: HostFilter, visit: (host: number) => boolean | void): number {
    const t = this.table;
    let visited = 0;
    for (let h = 0; h < t.count; h++) {
      if (!t.fits(h, need) || !passesFilter(t, h, filter)) continue;
      visited++;
      if (visit(h) === false) break;
    }
    return visited;
  }

  firstFit(need: ArrayLike<number>, filter: HostFilter): number {
    const t = this.table;
    for (let h = 0; h < t.count; h++) if (t.fits(h, need) && passesFilter(t, h, filter)) return h;
    return -1;
  }

  bestFit(need: ArrayLike<number>, filter: HostFilter): number {
    const t = this.table;
    let best = -1;
    let bestScore = Infinity;
    for (let h = 0; h < t.count; h++) {
      if (!t.fits(h, need) || !passesFilter(t, h, filter)) continue;
      const s = placementScore(t, h, need);
      if (best < 0 || s < bestScore) {
        best = h;
        bestScore = s;
      }
    }
    return best;
  }

  worstFit(need: ArrayLike<number>, filter: HostFilter): number {
    const t = this.table;
    let best = -1;
    let bestScore = -Infinity;
    for (let h = 0; h < t.count; h++) {
      if (!t.fits(h, need) || !passesFilter(t, h, filter)) continue;
      const s = placementScore(t, h, need);
      if (best < 0 || s > bestScore) {
        best = h;
        bestScore = s;
      }
    }
    return best;
  }
}

/** A reference scan of `table` (the brief's `referenceScan`). */
export function referenceScan(table: HostTable): ReferenceScan {
  return new ReferenceScan(table);
}
