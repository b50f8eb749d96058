/**
 * Runs a consolidation plan through a Scheduler, one drained host at a time, all or nothing per host:
 * 1. every move of the host is started (Scheduler.startMove: re-checked against the instance's hard
 *    constraints now, destination claimed, source held by a migration consumer); if one cannot
 *    start, the started ones are aborted and the host is left as it was;
 * 2. `migrate` does each live migration, one at a time (Nova's default of one live migration per
 *    host at once; default: nothing to do, it succeeds); if one fails (false, a throw or a rejected
 *    promise), every move of the host is aborted — the sources are still held, so the instances get
 *    their source allocations back — and `revert` is told of the ones that had migrated;
 * 3. otherwise every move is completed (the sources released) and the host is empty.
 * Hosts of the plan are passed as `draining` to every start, so no move lands on one and the
 * reserves are checked as if they were gone.
 */
import { isTstackError } from '../../../common/errors.js';
import type { Scheduler } from '../pipeline/scheduler.js';
import type { Move } from './move.js';
import type { ConsolidationPlan } from './planner.js';

export interface ExecuteOptions {
  /** The live migration of one move, between its start and its completion; false or a throw fails it. */
  readonly migrate?: (move: Move) => boolean | void | Promise<boolean | void>;
  /** Told of a move that had migrated but is aborted because another move of its host failed. */
  readonly revert?: (move: Move) => void | Promise<void>;
}

export interface HostOutcome {
  readonly hostUuid: string;
  readonly drained: boolean;
  /** Why not (the first failure), when not drained. */
  readonly reason?: string;
  /** The moves completed (drained) or aborted (not drained). */
  readonly moves: readonly Move[];
}

export interface ExecutionReport {
  readonly hosts: readonly HostOutcome[];
  /** Root provider uuids emptied. */
  readonly drained: readonly string[];
  readonly completed: number;
  readonly aborted: number;
}

function why(e: unknown): string {
  if (isTstackError(e)) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export async function executeConsolidation(scheduler: Scheduler, plan: ConsolidationPlan<string>, options: ExecuteOptions = {}): Promise<ExecutionReport> {
  const draining = plan.drained.map((h) => scheduler.hostUuid(h));
  const hosts: HostOutcome[] = [];
  let completed = 0;
  let aborted = 0;
  for (const source of plan.drained) {
    const hostUuid = scheduler.hostUuid(source);
    const planned = plan.moves.filter((m) => m.from === source);
    const started: Move[] = [];
    let reason: string | undefined;
    for (const m of planned) {
      try {
        started.push(scheduler.startMove(m.instance, scheduler.hostUuid(m.to), { draining }));
      } catch (e) {
        if (!isTstackError(e)) throw e;
        reason = `move of ${m.label} could not start: ${why(e)}`;
        break;
      }
    }
    const migrated: Move[] = [];
    if (reason === undefined) {
      for (const m of started) {
        let ok: boolean;
        try {
          ok = (await options.migrate?.(m)) !== false;
        } catch (e) {
          ok = false;
          reason = `migration of ${m.consumerUuid} failed: ${why(e)}`;
        }
        if (!ok) {
          reason ??= `migration of ${m.consumerUuid} to ${m.toUuid} failed`;
          break;
        }
        migrated.push(m);
      }
    }
    if (reason !== undefined) {
      for (let i = started.length - 1; i >= 0; i--) {
        try {
          scheduler.abortMove(started[i] as Move);
        } catch (e) {
          // Someone changed the instance or its migration consumer meanwhile: say so, abort the rest.
          if (!isTstackError(e)) throw e;
          reason += `; abort of ${(started[i] as Move).consumerUuid} failed: ${why(e)}`;
        }
      }
      for (const m of migrated) await options.revert?.(m);
      aborted += started.length;
      hosts.push({ hostUuid, drained: false, reason, moves: started });
      continue;
    }
    // The migrations ran while other writers went on: a move whose instance was deleted meanwhile
    // cannot complete, and the host is then not reported drained, but the others still complete.
    const failures: string[] = [];
    for (const m of started) {
      try {
        scheduler.completeMove(m);
        completed++;
      } catch (e) {
        if (!isTstackError(e)) throw e;
        failures.push(`completion of ${m.consumerUuid} failed: ${why(e)}`);
      }
    }
    if (failures.length > 0) hosts.push({ hostUuid, drained: false, reason: failures.join('; '), moves: started });
    else hosts.push({ hostUuid, drained: true, moves: started });
  }
  return { hosts, drained: hosts.filter((h) => h.drained).map((h) => h.hostUuid), completed, aborted };
}
