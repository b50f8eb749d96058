import { PlacementEngine } from '../placement/engine.js';
import type { PlacementEngineOptions } from '../placement/engine.js';
import { Journal } from './journal.js';
import { JournalReplayError } from './journal-errors.js';
import type { ChangeEntry, WriteOp } from '../placement/ops.js';
import type { PlacementSnapshot } from '../placement/snapshot.js';
import { restoreSnapshot, takeSnapshot } from '../placement/snapshot.js';

/** What the journal holds: an optional snapshot first, then committed writes in order. */
type JournalEntry = { t: 'snapshot'; state: PlacementSnapshot } | { t: 'op'; seq: number; op: WriteOp };

export interface DurableOptions extends Omit<PlacementEngineOptions, 'sink'> {
  /** false skips fsync: faster, and a machine crash may lose acknowledged writes. Default true. */
  fsync?: boolean;
  /** Rewrite the journal as one snapshot after this many writes since the last one. 0 = never. */
  compactEvery?: number;
}

/**
 * The embedded default store: the engine in memory, every committed write appended to a journal
 * and fsynced before the write returns. Opening replays the journal; a torn tail left by a crash
 * is cut, so the state is exactly the last acknowledged write.
 */
export class DurablePlacement {
  readonly engine: PlacementEngine;
  /** Bytes cut from a torn tail when the journal was opened. */
  readonly recoveredTruncatedBytes: number;
  private readonly journal: Journal;
  private readonly compactEvery: number;
  private sinceCompact: number;

  private constructor(engine: PlacementEngine, journal: Journal, truncated: number, records: number, compactEvery: number) {
    this.engine = engine;
    this.journal = journal;
    this.recoveredTruncatedBytes = truncated;
    this.compactEvery = compactEvery;
    this.sinceCompact = records;
    engine.setSink({ append: (entry) => this.append(entry) });
  }

  static open(path: string, options: DurableOptions = {}): DurablePlacement {
    const { journal, records, truncatedBytes } = Journal.open(path, { fsync: options.fsync ?? true });
    try {
      const engineOptions: PlacementEngineOptions = options.now === undefined ? {} : { now: options.now };
      let engine = new PlacementEngine(engineOptions);
      records.forEach((raw, index) => {
        const record = raw as JournalEntry;
        if (record?.t === 'snapshot' && index === 0) {
          engine = restoreSnapshot(record.state, engineOptions);
        } else if (record?.t === 'op' && record.seq === engine.seq + 1) {
          try {
            engine.apply(record.op);
          } catch (cause) {
            throw new JournalReplayError(index, `Journal record ${index} did not replay.`, { cause });
          }
        } else {
          throw new JournalReplayError(index, `Journal record ${index} is out of order or not a placement record.`);
        }
      });
      return new DurablePlacement(engine, journal, truncatedBytes, records.length, options.compactEvery ?? 0);
    } catch (error) {
      journal.close();
      throw error;
    }
  }

  /** Rewrites the journal as a single snapshot (atomically: write, fsync, rename). */
  compact(): void {
    this.journal.rewrite([{ t: 'snapshot', state: takeSnapshot(this.engine) } satisfies JournalEntry]);
    this.sinceCompact = 1;
  }

  get journalBytes(): number {
    return this.journal.size;
  }

  /** Closes the journal. The engine stays readable; its writes are refused from now on (the
   * journal's closed error), since they could no longer be made durable. */
  close(): void {
    this.journal.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private append(entry: ChangeEntry): void {
    this.journal.append({ t: 'op', seq: entry.seq, op: entry.op } satisfies JournalEntry);
    this.sinceCompact++;
    // Compaction happens before the write is applied, so the snapshot must not include it: the
    // op just appended is then replayed on top. Defer to the next write instead.
    if (this.compactEvery > 0 && this.sinceCompact > this.compactEvery) queueMicrotask(() => this.maybeCompact());
  }

  private maybeCompact(): void {
    if (this.sinceCompact > this.compactEvery) {
      try {
        this.compact();
      } catch {
        // Compaction is an optimisation: the journal stays valid and is compacted next time.
      }
    }
  }
}
