import fs from 'node:fs';
import nodePath from 'node:path';
import zlib from 'node:zlib';

import {
  JournalClosedError,
  JournalCorruptError,
  JournalRecordError,
  JournalWriteError,
} from './journal-errors.js';

/*
 * Frame: u32le payload length, u32le CRC-32 of the payload, UTF-8 JSON payload.
 *
 * Single writer only: nothing here locks the file against a second process.
 */

const HEADER_BYTES = 8;
/** Anything longer is taken as a damaged length field rather than an allocation to attempt. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export interface JournalOptions {
  /** false skips every fsync: for tests and throwaway state only, appends are then not durable. */
  fsync?: boolean;
}

export interface OpenedJournal {
  journal: Journal;
  records: unknown[];
  /** Bytes of torn tail cut from the end of the file while opening. */
  truncatedBytes: number;
}

export class Journal {
  readonly path: string;
  readonly #fsync: boolean;
  #fd: number | undefined;
  #size: number;
  #recordCount: number;
  /** Set when a failed write could not be rolled back, or a sync failed: the file's tail is then unknown. */
  #broken: unknown;
  /** An fsync on the thread pool holds the descriptor: close() leaves closing it to that fsync. */
  #syncing = false;
  #closeAfterSync = false;
  /** Records appended by appendUnsynced since the last completed sync. */
  #unsynced = false;

  private constructor(path: string, fd: number, size: number, recordCount: number, fsync: boolean) {
    this.path = path;
    this.#fd = fd;
    this.#size = size;
    this.#recordCount = recordCount;
    this.#fsync = fsync;
  }

  static open(path: string, options: JournalOptions = {}): OpenedJournal {
    const fsync = options.fsync ?? true;
    let fd: number;
    let created = false;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      fd = fs.openSync(path, fs.constants.O_RDWR);
    }
    try {
      // A new directory entry is not durable until the directory itself is synced.
      if (created && fsync) fsyncDirectory(path);
      const bytes = readAll(fd);
      const { records, end } = scan(bytes);
      const truncatedBytes = bytes.length - end;
      if (truncatedBytes > 0) {
        fs.ftruncateSync(fd, end);
        if (fsync) fs.fsyncSync(fd);
      }
      return { journal: new Journal(path, fd, end, records.length, fsync), records, truncatedBytes };
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** True once a write could not be rolled back or a sync failed: every later append is refused. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  get recordCount(): number {
    return this.#recordCount;
  }

  /** Returns only once the record is durable (unless opened with fsync: false). */
  append(record: unknown): void {
    this.#commit(encodeFrame(record), 1, true);
  }

  /**
   * Writes the record and returns without waiting for the disk: a crash before the next sync()
   * may lose it (never a record before it; a torn tail is cut on open). For group commit: many
   * appends, one sync(), and nothing acknowledged before that sync has completed.
   */
  appendUnsynced(record: unknown): void {
    this.#commit(encodeFrame(record), 1, false);
    this.#unsynced = true;
  }

  /**
   * Makes every record appended so far durable with one fsync on libuv's thread pool, and calls
   * back once it has. A failed sync leaves the journal unusable (which of the records since the
   * last sync reached the disk is unknown); so does a call while one is already running.
   */
  sync(callback: (error?: Error) => void): void {
    let fd: number;
    try {
      fd = this.#usableFd();
      if (this.#syncing) throw new JournalWriteError('a journal sync is already running', { cause: undefined });
    } catch (error) {
      process.nextTick(callback, error as Error);
      return;
    }
    if (!this.#fsync) {
      process.nextTick(callback);
      return;
    }
    this.#syncing = true;
    // Records appended from here on wait for the next sync.
    this.#unsynced = false;
    fs.fsync(fd, (cause) => {
      this.#syncing = false;
      if (this.#closeAfterSync) {
        // Closed while this ran: what was appended since it began gets the sync close() would do.
        if (cause === null && this.#unsynced) {
          try {
            fs.fsyncSync(fd);
          } catch {
            // Those records were never acknowledged as durable.
          }
        }
        closeQuietly(fd);
      }
      if (cause !== null) {
        this.#broken = cause;
        callback(new JournalWriteError('journal sync failed; records appended since the last sync may be lost', { cause }));
        return;
      }
      callback();
    });
  }

  /**
   * Group commit: one write and one fsync for all of `records`. A failed call appends none of
   * them, but a crash mid-write can leave a prefix of the group behind, as if appended one by one.
   */
  appendMany(records: readonly unknown[]): void {
    if (records.length === 0) return;
    this.#commit(Buffer.concat(records.map(encodeFrame)), records.length, true);
  }

  /**
   * Replaces the whole journal with `records` (compaction). A crash at any point leaves either the
   * old journal or the new one, never a mix, because the swap is a rename.
   */
  rewrite(records: readonly unknown[]): void {
    const oldFd = this.#usableFd();
    if (this.#syncing) throw new JournalWriteError('journal rewrite refused while a sync is running; nothing changed', { cause: undefined });
    const bytes = Buffer.concat(records.map(encodeFrame));
    const tmpPath = `${this.path}.tmp`;
    let tmpFd: number | undefined;
    try {
      tmpFd = fs.openSync(tmpPath, 'w+', 0o600);
      writeAll(tmpFd, bytes, 0);
      if (this.#fsync) fs.fsyncSync(tmpFd);
      fs.renameSync(tmpPath, this.path);
    } catch (cause) {
      if (tmpFd !== undefined) closeQuietly(tmpFd);
      try {
        fs.rmSync(tmpPath, { force: true });
      } catch {
        // A leftover .tmp is harmless: the next rewrite truncates it.
      }
      throw new JournalWriteError('journal rewrite failed; the previous journal is unchanged', { cause });
    }
    // From here the path names the new file, so appends must go to it whatever happens next.
    this.#fd = tmpFd;
    this.#size = bytes.length;
    this.#recordCount = records.length;
    closeQuietly(oldFd);
    try {
      if (this.#fsync) fsyncDirectory(this.path);
    } catch (cause) {
      // The rename may not survive a crash, and appends made after it would vanish with it.
      this.#broken = cause;
      throw new JournalWriteError('journal rewrite may not be durable; the journal must be reopened', { cause });
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    if (this.#syncing) {
      this.#closeAfterSync = true;
      return;
    }
    // A graceful close leaves what appendUnsynced wrote on disk too.
    if (this.#unsynced && this.#fsync && this.#broken === undefined) {
      try {
        fs.fsyncSync(fd);
      } catch {
        // Closing anyway: those records were never acknowledged as durable.
      }
    }
    fs.closeSync(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #usableFd(): number {
    if (this.#fd === undefined) throw new JournalClosedError();
    if (this.#broken !== undefined) {
      throw new JournalWriteError('journal is unusable after an earlier failed write', { cause: this.#broken });
    }
    return this.#fd;
  }

  #commit(frames: Buffer, count: number, sync: boolean): void {
    const fd = this.#usableFd();
    const before = this.#size;
    try {
      writeAll(fd, frames, before);
      if (sync && this.#fsync) fs.fsyncSync(fd);
    } catch (cause) {
      this.#rollback(fd, before, cause);
      throw new JournalWriteError('journal append failed; nothing was appended', { cause });
    }
    this.#size = before + frames.length;
    this.#recordCount += count;
  }

  /** Cuts a half-written frame off so the next append does not land after garbage. */
  #rollback(fd: number, size: number, cause: unknown): void {
    try {
      fs.ftruncateSync(fd, size);
      if (this.#fsync) fs.fsyncSync(fd);
    } catch {
      this.#broken = cause;
    }
  }
}

function encodeFrame(record: unknown): Buffer {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (cause) {
    throw new JournalRecordError('journal record cannot be encoded as JSON', { cause });
  }
  // undefined, functions and symbols have no JSON form and would not read back.
  if (json === undefined) throw new JournalRecordError('journal record has no JSON representation');
  const payloadLength = Buffer.byteLength(json, 'utf8');
  if (payloadLength > MAX_PAYLOAD_BYTES) {
    throw new JournalRecordError(`journal record is ${payloadLength} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadLength);
  frame.write(json, HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(payloadLength, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER_BYTES)), 4);
  return frame;
}

/**
 * Reads frames from the start. At the first unreadable frame, decides whether it is a torn tail
 * (nothing valid after it: safe to cut) or damage in the middle (something valid after it: refuse).
 */
function scan(bytes: Buffer): { records: unknown[]; end: number } {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = validFrameLength(bytes, offset);
    if (length === undefined) {
      if (hasValidFrameFrom(bytes, offset + 1)) {
        throw new JournalCorruptError(offset, 'unreadable frame followed by valid frames');
      }
      break;
    }
    const payload = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    try {
      records.push(JSON.parse(payload.toString('utf8')));
    } catch {
      // The checksum says the writer produced these bytes, so this is not a crash artifact.
      throw new JournalCorruptError(offset, 'frame checksum is valid but its payload is not JSON');
    }
    offset += HEADER_BYTES + length;
  }
  return { records, end: offset };
}

/** Payload length of a complete, checksum-valid frame at `offset`, else undefined. */
function validFrameLength(bytes: Buffer, offset: number): number | undefined {
  if (bytes.length - offset < HEADER_BYTES) return undefined;
  const length = bytes.readUInt32LE(offset);
  // Zero is never written (the shortest JSON is one byte); rejecting it lets zero-filled
  // tails, which some filesystems leave after a crash, count as torn rather than as data.
  if (length === 0 || length > MAX_PAYLOAD_BYTES) return undefined;
  const start = offset + HEADER_BYTES;
  if (start + length > bytes.length) return undefined;
  return crc32(bytes.subarray(start, start + length)) === bytes.readUInt32LE(offset + 4) ? length : undefined;
}

function hasValidFrameFrom(bytes: Buffer, from: number): boolean {
  for (let offset = from; offset + HEADER_BYTES < bytes.length; offset++) {
    if (validFrameLength(bytes, offset) !== undefined) return true;
  }
  return false;
}

function readAll(fd: number): Buffer {
  const bytes = Buffer.allocUnsafe(fs.fstatSync(fd).size);
  let filled = 0;
  while (filled < bytes.length) {
    const n = fs.readSync(fd, bytes, filled, bytes.length - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return bytes.subarray(0, filled);
}

/** writeSync may write less than asked (e.g. near ENOSPC or on signals), so loop. */
function writeAll(fd: number, bytes: Buffer, position: number): void {
  let written = 0;
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
  }
}

function fsyncDirectory(filePath: string): void {
  const fd = fs.openSync(nodePath.dirname(filePath), fs.constants.O_RDONLY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already failing or already swapped; a close error adds nothing the caller can act on.
  }
}

// zlib.crc32 arrived in Node 20.15; engines allows any Node 20.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

let crcTable: Uint32Array | undefined;

/** @internal Table-driven CRC-32 (IEEE 802.3, as zlib), exported for testing against zlib. */
export function softwareCrc32(data: Uint8Array): number {
  crcTable ??= makeCrcTable();
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function crc32(data: Uint8Array): number {
  return typeof nativeCrc32 === 'function' ? nativeCrc32(data) >>> 0 : softwareCrc32(data);
}
