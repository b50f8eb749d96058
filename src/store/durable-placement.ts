import { PlacementEngine } from '../placement/engine.js';
import type { PlacementEngineOptions } from '../placement/engine.js';
import { Journal } from './journal.js';
import { JournalClosedError, JournalReplayError } from './journal-errors.js';
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
  /**
   * Group commit: a write returns once it is in the journal file, and afterDurable() calls back
   * once it is on disk, one fsync covering every write made while the previous fsync ran. The
   * caller must hold back whatever shows a write's effect (an answer, a read) until then. Default
   * false: every write is fsynced before it returns.
   */
  groupCommit?: boolean;
}

/**
 * The embedded default store: the engine in memory, every committed write appended to a journal
 * and fsynced before the write returns (or, with groupCommit, before afterDurable calls back).
 * Opening replays the journal; a torn tail left by a crash is cut, so the state holds every
 * acknowledged write.
 */
export class DurablePlacement {
  readonly engine: PlacementEngine;
  /** Bytes cut from a torn tail when the journal was opened. */
  readonly recoveredTruncatedBytes: number;
  private readonly journal: Journal;
  private readonly compactEvery: number;
  private sinceCompact: number;
  private readonly groupCommit: boolean;
  /** Writes appended, and how many of them are known to be on disk (group commit). */
  private appended = 0;
  private durable = 0;
  private syncing = false;
  private failed: Error | undefined;
  private waiters: { upTo: number; callback: (error?: Error) => void }[] = [];

  private constructor(engine: PlacementEngine, journal: Journal, truncated: number, records: number, options: DurableOptions) {
    this.engine = engine;
    this.journal = journal;
    this.recoveredTruncatedBytes = truncated;
    this.compactEvery = options.compactEvery ?? 0;
    this.groupCommit = options.groupCommit ?? false;
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
      return new DurablePlacement(engine, journal, truncatedBytes, records.length, options);
    } catch (error) {
      journal.close();
      throw error;
    }
  }

  /** Rewrites the journal as a single snapshot (atomically: write, fsync, rename). */
  compact(): void {
    this.journal.rewrite([{ t: 'snapshot', state: takeSnapshot(this.engine) } satisfies JournalEntry]);
    this.sinceCompact = 1;
    // The snapshot was fsynced with every write in it.
    this.settle(this.appended);
  }

  /**
   * Calls back once every write made so far is on disk: at once without group commit or when
   * nothing is pending, else after the fsync that covers them. With an error once the journal is
   * broken (an fsync failed, or a write could not be rolled back): the writes since the last good
   * fsync may be lost, the engine's state may be ahead of the disk, and the journal refuses
   * further writes (reopen it to get the durable state).
   */
  afterDurable(callback: (error?: Error) => void): void {
    if (this.failed !== undefined) {
      callback(this.failed);
      return;
    }
    if (this.durable >= this.appended) {
      callback();
      return;
    }
    this.waiters.push({ upTo: this.appended, callback });
    this.startSync();
  }

  get journalBytes(): number {
    return this.journal.size;
  }

  /** Closes the journal. The engine stays readable; its writes are refused from now on (the
   * journal's closed error), since they could no longer be made durable. */
  close(): void {
    this.journal.close();
    // Writes still waiting were never acknowledged; whoever waits learns they may not be durable.
    const waiting = this.waiters;
    this.waiters = [];
    callAll(waiting, new JournalClosedError());
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private append(entry: ChangeEntry): void {
    const record = { t: 'op', seq: entry.seq, op: entry.op } satisfies JournalEntry;
    try {
      if (this.groupCommit) this.journal.appendUnsynced(record);
      else this.journal.append(record);
    } catch (error) {
      // A write the journal rolled back is just refused; one it could not roll back leaves the
      // file's tail unknown, and every later write would be refused too: report it as a failure.
      if (this.journal.broken) this.failed ??= error as Error;
      throw error;
    }
    this.appended++;
    if (!this.groupCommit) this.durable = this.appended;
    this.sinceCompact++;
    // Compaction happens before the write is applied, so the snapshot must not include it: the
    // op just appended is then replayed on top. Defer to the next write instead.
    if (this.compactEvery > 0 && this.sinceCompact > this.compactEvery) queueMicrotask(() => this.maybeCompact());
  }

  /** One fsync at a time; writes made while it runs wait for the next one. */
  private startSync(): void {
    if (this.syncing) return;
    this.syncing = true;
    const upTo = this.appended;
    this.journal.sync((error) => {
      this.syncing = false;
      if (error !== undefined) {
        this.failed = error;
        const waiting = this.waiters;
        this.waiters = [];
        callAll(waiting, error);
        return;
      }
      this.settle(upTo);
      // Compaction waits for a moment without a running fsync; this is one (it fsyncs all it holds).
      this.maybeCompact();
      if (this.waiters.length > 0) this.startSync();
    });
  }

  private settle(upTo: number): void {
    this.durable = Math.max(this.durable, upTo);
    const ready = this.waiters.filter((w) => w.upTo <= this.durable);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.upTo > this.durable);
    callAll(ready);
  }

  private maybeCompact(): void {
    // A rewrite swaps the file under a running fsync: the sync's end calls this again.
    if (this.syncing) return;
    if (this.compactEvery > 0 && this.sinceCompact > this.compactEvery) {
      try {
        this.compact();
      } catch {
        // Compaction is an optimisation: the journal stays valid and is compacted next time.
      }
    }
  }
}

/**
 * Calls every waiter even when one throws (a waiter left uncalled would wait forever), then
 * rethrows the first throw on its own tick: a throwing callback is a bug of its caller.
 */
function callAll(waiters: readonly { callback: (error?: Error) => void }[], error?: Error): void {
  let thrown: { value: unknown } | undefined;
  for (const w of waiters) {
    try {
      w.callback(error);
    } catch (value) {
      thrown ??= { value };
    }
  }
  if (thrown !== undefined) {
    const { value } = thrown;
    process.nextTick(() => {
      throw value;
    });
  }
}
