import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Journal, softwareCrc32 } from '../../../src/store/journal.js';
import {
  JournalClosedError,
  JournalCorruptError,
  JournalRecordError,
  JournalWriteError,
} from '../../../src/store/journal-errors.js';

/** Built independently of the implementation so the tests pin the on-disk format. */
function frame(payload: string | Buffer, lengthOverride?: number): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(8);
  header.writeUInt32LE(lengthOverride ?? body.length, 0);
  header.writeUInt32LE(zlib.crc32(body) >>> 0, 4);
  return Buffer.concat([header, body]);
}

const frameOf = (record: unknown): Buffer => frame(JSON.stringify(record));

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-test-'));
  file = path.join(dir, 'placement.journal');
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeJournal(records: unknown[]): void {
  const { journal } = Journal.open(file);
  for (const record of records) journal.append(record);
  journal.close();
}

describe('Journal', () => {
  it('creates a missing file and opens an empty one', () => {
    const first = Journal.open(file);
    expect(first.records).toEqual([]);
    expect(first.truncatedBytes).toBe(0);
    expect(first.journal.size).toBe(0);
    expect(first.journal.recordCount).toBe(0);
    expect(first.journal.path).toBe(file);
    expect(fs.statSync(file).size).toBe(0);
    first.journal.close();

    const second = Journal.open(file);
    expect(second.records).toEqual([]);
    second.journal.close();
  });

  it('round-trips appended records through reopen', () => {
    const records = [{ op: 'create', id: 'rp-1', inventory: { VCPU: 8 } }, 'text', 42, null, [1, [2]], 'ünï€😀'];
    const { journal } = Journal.open(file);
    for (const record of records) journal.append(record);
    expect(journal.recordCount).toBe(records.length);
    expect(journal.size).toBe(fs.statSync(file).size);
    expect(fs.readFileSync(file)).toEqual(Buffer.concat(records.map(frameOf)));
    journal.close();

    const reopened = Journal.open(file);
    expect(reopened.records).toEqual(records);
    expect(reopened.truncatedBytes).toBe(0);
    expect(reopened.journal.recordCount).toBe(records.length);
    reopened.journal.append({ after: true });
    reopened.journal.close();
    expect(Journal.open(file, { fsync: false }).records).toEqual([...records, { after: true }]);
  });

  it('appendMany writes a group in one call', () => {
    const { journal } = Journal.open(file);
    journal.append('first');
    const write = vi.spyOn(fs, 'writeSync');
    const fsync = vi.spyOn(fs, 'fsyncSync');
    journal.appendMany([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(fsync).toHaveBeenCalledTimes(1);
    journal.appendMany([]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(journal.recordCount).toBe(4);
    journal.close();
    expect(Journal.open(file).records).toEqual(['first', { a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('skips fsync when asked to', () => {
    const fsync = vi.spyOn(fs, 'fsyncSync');
    const { journal } = Journal.open(file, { fsync: false });
    journal.append(1);
    journal.appendMany([2, 3]);
    journal.rewrite([4]);
    journal.close();
    expect(fsync).not.toHaveBeenCalled();
  });

  it('rewrite replaces the contents and keeps appending to the new file', () => {
    const { journal } = Journal.open(file);
    for (let i = 0; i < 10; i++) journal.append({ i });
    journal.rewrite([{ snapshot: [1, 2, 3] }]);
    expect(journal.recordCount).toBe(1);
    expect(journal.size).toBe(frameOf({ snapshot: [1, 2, 3] }).length);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    journal.append({ i: 10 });
    expect(journal.size).toBe(fs.statSync(file).size);
    journal.close();

    const reopened = Journal.open(file);
    expect(reopened.records).toEqual([{ snapshot: [1, 2, 3] }, { i: 10 }]);
    reopened.journal.rewrite([]);
    expect(reopened.journal.size).toBe(0);
    reopened.journal.close();
    expect(Journal.open(file).records).toEqual([]);
  });

  it('rejects use after close, and close is idempotent', () => {
    const { journal } = Journal.open(file);
    journal.append(1);
    journal.close();
    journal.close();
    expect(() => journal.append(2)).toThrow(JournalClosedError);
    expect(() => journal.appendMany([2])).toThrow(JournalClosedError);
    expect(() => journal.rewrite([2])).toThrow(JournalClosedError);
    try {
      journal.append(2);
    } catch (error) {
      expect((error as JournalClosedError).code).toBe('ERR_JOURNAL_CLOSED');
    }
    expect(Journal.open(file).records).toEqual([1]);
  });

  it('Symbol.dispose closes', () => {
    const { journal } = Journal.open(file);
    journal[Symbol.dispose]();
    expect(() => journal.append(1)).toThrow(JournalClosedError);
    journal[Symbol.dispose]();
  });

  it('rejects records with no JSON form without touching the file', () => {
    const { journal } = Journal.open(file);
    journal.append('kept');
    const cyclic: Record<string, unknown> = { secret: 'hunter2' };
    cyclic.self = cyclic;
    for (const bad of [undefined, () => 1, 10n, cyclic]) {
      expect(() => journal.append(bad)).toThrow(JournalRecordError);
    }
    expect(() => journal.appendMany(['fine', undefined])).toThrow(JournalRecordError);
    try {
      journal.append(cyclic);
    } catch (error) {
      expect((error as JournalRecordError).code).toBe('ERR_JOURNAL_RECORD');
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(journal.recordCount).toBe(1);
    journal.close();
    expect(Journal.open(file).records).toEqual(['kept']);
  });

  it('cuts a torn tail (partial frame) and reports the bytes cut', () => {
    writeJournal([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const good = fs.statSync(file).size;
    const torn = frameOf({ d: 'the write that never finished' }).subarray(0, 13);
    fs.appendFileSync(file, torn);

    const { journal, records, truncatedBytes } = Journal.open(file);
    expect(records).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(truncatedBytes).toBe(torn.length);
    expect(journal.size).toBe(good);
    expect(fs.statSync(file).size).toBe(good);
    journal.append({ d: 4 });
    journal.close();
    expect(Journal.open(file).records).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }, { d: 4 }]);
  });

  it('cuts a partial header', () => {
    writeJournal(['x']);
    fs.appendFileSync(file, Buffer.from([5, 0, 0]));
    const opened = Journal.open(file);
    expect(opened.records).toEqual(['x']);
    expect(opened.truncatedBytes).toBe(3);
    opened.journal.close();
  });

  it('cuts a complete last frame whose checksum fails', () => {
    writeJournal([1, 2]);
    const last = frameOf({ z: 'zzzz' });
    last[last.length - 1]! ^= 0xff;
    fs.appendFileSync(file, last);
    const opened = Journal.open(file);
    expect(opened.records).toEqual([1, 2]);
    expect(opened.truncatedBytes).toBe(last.length);
    opened.journal.close();
  });

  it('cuts a zero-filled tail', () => {
    writeJournal([1, 2]);
    fs.appendFileSync(file, Buffer.alloc(4096));
    const opened = Journal.open(file);
    expect(opened.records).toEqual([1, 2]);
    expect(opened.truncatedBytes).toBe(4096);
    opened.journal.close();
  });

  it('refuses mid-file corruption and leaves the file byte-identical', () => {
    writeJournal([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const secondAt = frameOf({ a: 1 }).length;
    const bytes = fs.readFileSync(file);
    bytes[secondAt + 10]! ^= 0x01; // inside the payload of { b: 2 }
    fs.writeFileSync(file, bytes);

    let thrown: unknown;
    try {
      Journal.open(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JournalCorruptError);
    expect((thrown as JournalCorruptError).code).toBe('ERR_JOURNAL_CORRUPT');
    expect((thrown as JournalCorruptError).offset).toBe(secondAt);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('cuts an absurd length header at the tail', () => {
    writeJournal(['a', 'b']);
    const good = fs.statSync(file).size;
    const absurd = frame('{"x":1}', 0xffffffff);
    fs.appendFileSync(file, absurd);
    const opened = Journal.open(file);
    expect(opened.records).toEqual(['a', 'b']);
    expect(opened.truncatedBytes).toBe(absurd.length);
    expect(fs.statSync(file).size).toBe(good);
    opened.journal.close();
  });

  it('refuses an absurd length header mid-file', () => {
    writeJournal(['a', 'b', 'c']);
    const bytes = fs.readFileSync(file);
    const secondAt = frameOf('a').length;
    bytes.writeUInt32LE(64 * 1024 * 1024 + 1, secondAt);
    fs.writeFileSync(file, bytes);
    expect(() => Journal.open(file)).toThrow(JournalCorruptError);
    try {
      Journal.open(file);
    } catch (error) {
      expect((error as JournalCorruptError).offset).toBe(secondAt);
    }
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a frame whose checksum holds but whose payload is not JSON, even at the tail', () => {
    writeJournal([1]);
    fs.appendFileSync(file, frame('{not json'));
    const before = fs.readFileSync(file);
    expect(() => Journal.open(file)).toThrow(JournalCorruptError);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('rolls back a write that fails half-way and stays usable', () => {
    const { journal } = Journal.open(file);
    journal.append('before');
    const size = journal.size;
    const realWrite = fs.writeSync.bind(fs) as (fd: number, b: Buffer, o: number, l: number, p: number) => number;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      calls++;
      if (calls === 1) return realWrite(fd, buffer, offset, Math.ceil(length / 2), position);
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);

    let thrown: unknown;
    try {
      journal.append({ big: 'x'.repeat(100) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JournalWriteError);
    expect((thrown as JournalWriteError).code).toBe('ERR_JOURNAL_WRITE');
    expect(((thrown as JournalWriteError).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(calls).toBe(2);
    expect(journal.size).toBe(size);
    expect(journal.recordCount).toBe(1);
    expect(fs.statSync(file).size).toBe(size);

    vi.restoreAllMocks();
    journal.append('after');
    journal.close();
    expect(Journal.open(file).records).toEqual(['before', 'after']);
  });

  it('rolls back when fsync fails', () => {
    const { journal } = Journal.open(file);
    journal.append(1);
    vi.spyOn(fs, 'fsyncSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('I/O error'), { code: 'EIO' });
    });
    expect(() => journal.appendMany([2, 3])).toThrow(JournalWriteError);
    expect(fs.statSync(file).size).toBe(journal.size);
    journal.close();
    expect(Journal.open(file).records).toEqual([1]);
  });

  it('a failed rewrite leaves the old journal in place', () => {
    const { journal } = Journal.open(file);
    journal.append('old');
    vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('cross-device'), { code: 'EXDEV' });
    });
    expect(() => journal.rewrite(['new'])).toThrow(JournalWriteError);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    journal.append('still old file');
    journal.close();
    expect(Journal.open(file).records).toEqual(['old', 'still old file']);
  });

  it('software CRC-32 matches zlib', () => {
    const samples = [Buffer.alloc(0), Buffer.from('123456789'), Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff))];
    expect(softwareCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    for (const sample of samples) expect(softwareCrc32(sample)).toBe(zlib.crc32(sample) >>> 0);
  });
});
