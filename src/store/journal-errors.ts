import { TstackError } from '../../common/errors.js';

/**
 * The journal holds damage that a crash cannot explain: a bad frame with acknowledged records
 * after it, or a frame whose checksum holds but whose payload is not JSON. Opening refuses rather
 * than cutting, because cutting would silently drop writes that callers were told were durable.
 */
export class JournalCorruptError extends TstackError {
  /** Byte offset of the first frame that could not be read. */
  readonly offset: number;

  constructor(offset: number, reason: string, options?: { cause?: unknown }) {
    super('ERR_JOURNAL_CORRUPT', `journal is corrupt at byte ${offset}: ${reason}`, options);
    this.offset = offset;
  }
}

/** A write or fsync failed; the records passed to that call are not in the journal. */
export class JournalWriteError extends TstackError {
  constructor(message: string, options: { cause: unknown }) {
    super('ERR_JOURNAL_WRITE', message, options);
  }
}

export class JournalClosedError extends TstackError {
  constructor() {
    super('ERR_JOURNAL_CLOSED', 'journal is closed');
  }
}

/**
 * A record cannot be journaled (no JSON form, or too large to read back). Raised before anything
 * is written, so the journal is unchanged.
 */
export class JournalRecordError extends TstackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_JOURNAL_RECORD', message, options);
  }
}

/** A journal whose records do not replay: it was written by something else, or edited. */
export class JournalReplayError extends TstackError {
  readonly recordIndex: number;

  constructor(recordIndex: number, message: string, options?: { cause?: unknown }) {
    super('ERR_JOURNAL_REPLAY', message, options);
    this.recordIndex = recordIndex;
  }
}
