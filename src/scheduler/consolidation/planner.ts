/**
 * The consolidation planner: live migrations that empty the least-loaded hosts so that they can be
 * released (switched off, given back), the way OpenStack Watcher's server-consolidation strategy
 * proposes them, built on the scheduler's own hard constraints.
 *
 *   const plan = planConsolidation(world, { maxMoves: 32, maxHosts: 4, seed: 7 });
 *   for (const m of plan.moves) … // m.instance goes from host m.from to host m.to
 *
 * The walk:
 * 1. Sources: the hosts the world calls eligible (in use, enabled, up, not in maintenance), least
 *    loaded first — load = the largest used/capacity over the dimensions — ties in an order drawn
 *    from `seed` (so the plan is a pure function of the world and the seed).
 * 2. For each source, while the budget allows: mark it draining (never a destination from now on,
 *    and gone for the reserves), then re-place its instances, largest first, each by bestFit (the
 *    tightest host: pack) among the hosts in use and not draining, through the world's destination
 *    filter — the same hard constraints as a new placement — and simulate the move so that the next
 *    instance sees it. If one instance finds no host, the source's simulated moves are undone and the
 *    source stays as it is: a host is drained all or nothing. A host that received moves in this
 *    plan is not drained later in it (nothing moves twice).
 * 3. Every simulated move is undone before returning: the plan is a proposal, the world unchanged.
 *
 * Budget: at most maxMoves moves and maxHosts drained hosts per plan (a source whose instances would
 * exceed the moves left is skipped, not cut), and at most maxSourcesTried sources tried (the work
 * bound of one planning round). A cheap necessary test skips a source early when the other hosts in
 * use lack the free capacity, summed, for its instances.
 */
import { seededRng } from '../../../common/rng.js';
import type { HostFilter } from '../hosts/filter.js';
import { ConsolidationRequestError } from './errors.js';
import type { ConsolidationWorld } from './world.js';

export interface ConsolidationOptions {
  /** Moves per plan (default 64, integer ≥ 1). */
  readonly maxMoves?: number;
  /** Hosts drained per plan (default 8, integer ≥ 1). */
  readonly maxHosts?: number;
  /** Sources tried per plan (default: every eligible host; integer ≥ 1). */
  readonly maxSourcesTried?: number;
  /** Orders equally loaded sources (default 0): same world, same seed → same plan. */
  readonly seed?: number;
}

export interface PlannedMove<I> {
  readonly instance: I;
  readonly label: string;
  readonly from: number;
  readonly to: number;
  /** The instance's amounts per table dimension (a copy). */
  readonly need: Float64Array;
}

/** A source tried and left as it is, and why (a NoValidHost-style explanation, or the budget). */
export interface SkippedHost {
  readonly host: number;
  readonly reason: string;
}

export interface ConsolidationPlan<I> {
  /** Grouped by drained host, in the order they are to run. */
  readonly moves: readonly PlannedMove<I>[];
  /** Hosts the moves empty, in order. */
  readonly drained: readonly number[];
  readonly skipped: readonly SkippedHost[];
  /** Amounts moved per table dimension. */
  readonly moved: Float64Array;
  /** Hosts in use before the plan (after it: this − drained.length). */
  readonly hostsInUse: number;
  readonly sourcesTried: number;
}

function budget(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ConsolidationRequestError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

export function planConsolidation<I>(world: ConsolidationWorld<I>, options: ConsolidationOptions = {}): ConsolidationPlan<I> {
  const maxMoves = budget('maxMoves', options.maxMoves, 64);
  const maxHosts = budget('maxHosts', options.maxHosts, 8);
  const maxTried = budget('maxSourcesTried', options.maxSourcesTried, Number.MAX_SAFE_INTEGER);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConsolidationRequestError(`seed must be an integer, got ${seed}`);
  const t = world.table;
  const n = t.count;
  const D = t.dims;

  // 1. Sources, least loaded first; the tie key is drawn for every host in id order.
  const rng = seededRng(seed);
  const load = new Float64Array(n);
  const tie = new Float64Array(n);
  const sources: number[] = [];
  const inUse = new Uint8Array(n);
  let hostsInUse = 0;
  const poolFree = new Float64Array(D);
  for (let h = 0; h < n; h++) {
    tie[h] = rng.next();
    if (!world.inUse(h)) continue;
    inUse[h] = 1;
    hostsInUse++;
    let l = 0;
    for (let d = 0; d < D; d++) {
      const c = t.capacity[h * D + d] as number;
      if (c > 0) l = Math.max(l, (t.used[h * D + d] as number) / c);
      poolFree[d] = (poolFree[d] as number) + Math.max(0, t.free(h, d));
    }
    load[h] = l;
    if (world.sourceEligible(h)) sources.push(h);
  }
  sources.sort((a, b) => (load[a] as number) - (load[b] as number) || (tie[a] as number) - (tie[b] as number) || a - b);

  const draining = new Uint8Array(n);
  const received = new Uint8Array(n);
  const moves: PlannedMove<I>[] = [];
  const drained: number[] = [];
  const skipped: SkippedHost[] = [];
  const undos: (() => void)[] = [];
  const moved = new Float64Array(D);
  const total = new Float64Array(D);
  let tried = 0;
  try {
    for (const s of sources) {
      if (drained.length >= maxHosts || moves.length >= maxMoves || tried >= maxTried) break;
      if (received[s] === 1) continue;
      tried++;
      const listed = world.instances(s);
      if (typeof listed === 'string') {
        skipped.push({ host: s, reason: listed });
        continue;
      }
      if (listed.length === 0) continue;
      if (moves.length + listed.length > maxMoves) {
        skipped.push({ host: s, reason: `${listed.length} instances to move, ${maxMoves - moves.length} moves left in the budget` });
        continue;
      }
      // Necessary: the other hosts in use have, summed, the free capacity for what leaves.
      total.fill(0);
      for (const i of listed) {
        const need = world.need(i);
        for (let d = 0; d < D; d++) total[d] = (total[d] as number) + Math.max(0, need[d] as number);
      }
      let short = -1;
      for (let d = 0; d < D && short < 0; d++) if ((total[d] as number) > (poolFree[d] as number) - Math.max(0, t.free(s, d)) + 1e-9) short = d;
      if (short >= 0) {
        skipped.push({ host: s, reason: `the other hosts in use have ${(poolFree[short] as number) - Math.max(0, t.free(s, short))} ${t.dimensions[short]} free in all, its instances use ${total[short]}` });
        continue;
      }
      const order = listed.map((inst, k) => ({ inst, k, share: share(world.need(inst), t, s), label: world.label(inst) }));
      order.sort((a, b) => b.share - a.share || (a.label < b.label ? -1 : a.label > b.label ? 1 : a.k - b.k));
      const freeBefore = new Float64Array(D);
      for (let d = 0; d < D; d++) freeBefore[d] = Math.max(0, t.free(s, d));
      world.setDraining(s, true);
      draining[s] = 1;
      const local: { move: PlannedMove<I>; undo: () => void }[] = [];
      let refusal: string | undefined;
      for (const { inst, label } of order) {
        const bound = world.destinationFilter(inst, s);
        if (typeof bound === 'string') {
          refusal = `${label} cannot move: ${bound}`;
          break;
        }
        const need = world.need(inst);
        const filter = onlyTargets(bound, draining, inUse);
        const to = world.finder.bestFit(need, filter);
        if (to < 0) {
          refusal = `no host for ${label}: ${world.explainNoDestination(inst, s, targets(inUse, draining))}`;
          break;
        }
        const undo = world.apply(inst, s, to);
        local.push({ move: { instance: inst, label, from: s, to, need: Float64Array.from(need) }, undo });
      }
      if (refusal !== undefined) {
        for (let i = local.length - 1; i >= 0; i--) (local[i] as { undo: () => void }).undo();
        world.setDraining(s, false);
        draining[s] = 0;
        skipped.push({ host: s, reason: refusal });
        continue;
      }
      for (const { move, undo } of local) {
        moves.push(move);
        undos.push(undo);
        received[move.to] = 1;
        for (let d = 0; d < D; d++) moved[d] = (moved[d] as number) + Math.max(0, move.need[d] as number);
      }
      drained.push(s);
      // The pool loses the source's free capacity and the room its instances took elsewhere.
      for (let d = 0; d < D; d++) poolFree[d] = (poolFree[d] as number) - (freeBefore[d] as number) - (total[d] as number);
    }
  } finally {
    for (let i = undos.length - 1; i >= 0; i--) (undos[i] as () => void)();
    for (let h = 0; h < n; h++) if (draining[h] === 1) world.setDraining(h, false);
  }
  return { moves, drained, skipped, moved, hostsInUse, sourcesTried: tried };
}

/** The instance's largest share of the source host (larger ones are placed first). */
function share(need: ArrayLike<number>, t: { dims: number; capacity: Float64Array }, host: number): number {
  let s = 0;
  for (let d = 0; d < t.dims; d++) {
    const c = t.capacity[host * t.dims + d] as number;
    const a = need[d] as number;
    if (c > 0 && a > 0) s = Math.max(s, a / c);
  }
  return s;
}

/** The world's filter, narrowed to hosts in use at the start and not draining. */
function onlyTargets(filter: HostFilter, draining: Uint8Array, inUse: Uint8Array): HostFilter {
  const accept = filter.accept;
  return {
    ...filter,
    accept: (h) => draining[h] === 0 && inUse[h] === 1 && (accept === undefined || accept(h)),
  };
}

function targets(inUse: Uint8Array, draining: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let h = 0; h < inUse.length; h++) if (inUse[h] === 1 && draining[h] === 0) out.push(h);
  return Int32Array.from(out);
}
