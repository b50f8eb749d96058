import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Journal } from '../../../src/store/journal.js';
import { JournalCorruptError } from '../../../src/store/journal-errors.js';

// fsync is off throughout: these properties are about what the bytes on disk decode to, and
// thousands of reopens with real fsyncs would blow the time budget.
const FAST = { fsync: false };

let dir: string;
let seq = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-prop-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const freshPath = (): string => path.join(dir, `j${seq++}.journal`);

/** The on-disk frame, built independently of the implementation. */
function frame(payload: Buffer, length = payload.length): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(length, 0);
  header.writeUInt32LE(zlib.crc32(payload) >>> 0, 4);
  return Buffer.concat([header, payload]);
}

const frameOf = (record: unknown): Buffer => frame(Buffer.from(JSON.stringify(record), 'utf8'));

/** What a record reads back as (JSON turns -0 into 0, drops undefined members, ...). */
const roundTrip = (record: unknown): unknown => JSON.parse(JSON.stringify(record));

/** Decodes `bytes` as an exact sequence of frames, or undefined if it is not one. */
function referenceDecode(bytes: Buffer): unknown[] | undefined {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 8) return undefined;
    const length = bytes.readUInt32LE(offset);
    const end = offset + 8 + length;
    if (end > bytes.length) return undefined;
    const payload = bytes.subarray(offset + 8, end);
    if ((zlib.crc32(payload) >>> 0) !== bytes.readUInt32LE(offset + 4)) return undefined;
    records.push(JSON.parse(payload.toString('utf8')));
    offset = end;
  }
  return records;
}

/** Writes `groups` through the journal; returns the byte offset at which each record's frame ends. */
function writeGroups(file: string, groups: unknown[][]): { records: unknown[]; ends: number[] } {
  const { journal } = Journal.open(file, FAST);
  const records: unknown[] = [];
  const ends: number[] = [];
  let end = 0;
  for (const group of groups) {
    if (group.length === 1) journal.append(group[0]);
    else journal.appendMany(group);
    for (const record of group) {
      records.push(roundTrip(record));
      end += frameOf(record).length;
      ends.push(end);
    }
    expect(journal.size).toBe(end);
  }
  journal.close();
  expect(fs.statSync(file).size).toBe(end);
  return { records, ends };
}

/** Kill at byte `cut`, restart: the state must be every record whose frame was fully on disk. */
function checkCut(bytes: Buffer, records: unknown[], ends: number[], cut: number): void {
  const file = freshPath();
  fs.writeFileSync(file, bytes.subarray(0, cut));
  const kept = ends.filter((end) => end <= cut).length;
  const goodEnd = kept === 0 ? 0 : ends[kept - 1]!;
  const opened = Journal.open(file, FAST);
  try {
    expect(opened.records).toEqual(records.slice(0, kept));
    expect(opened.truncatedBytes).toBe(cut - goodEnd);
    expect(opened.journal.size).toBe(goodEnd);
    expect(opened.journal.recordCount).toBe(kept);
    expect(fs.statSync(file).size).toBe(goodEnd);
  } finally {
    opened.journal.close();
    fs.rmSync(file);
  }
}

const groupsArb = (maxRecords: number, value: fc.Arbitrary<unknown>) =>
  fc.array(fc.array(value, { minLength: 1, maxLength: 3 }), { minLength: 0, maxLength: maxRecords });

/** Opens a copy of `bytes`; anything other than success or JournalCorruptError fails the property. */
function openOrCorrupt(bytes: Buffer): { records: unknown[]; size: number } | JournalCorruptError {
  const file = freshPath();
  fs.writeFileSync(file, bytes);
  try {
    const opened = Journal.open(file, FAST);
    const size = opened.journal.size;
    opened.journal.close();
    const onDisk = fs.readFileSync(file);
    // Only a tail may go, and what remains must decode, frame by frame, to exactly the records.
    expect(onDisk.equals(bytes.subarray(0, size))).toBe(true);
    expect(opened.truncatedBytes).toBe(bytes.length - size);
    expect(referenceDecode(onDisk)).toEqual(opened.records);
    return { records: opened.records, size };
  } catch (error) {
    if (!(error instanceof JournalCorruptError)) throw error;
    expect(error.code).toBe('ERR_JOURNAL_CORRUPT');
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    return error;
  } finally {
    fs.rmSync(file);
  }
}

/** Byte soup that often contains whole, torn, damaged and zeroed frames, not just noise. */
const chunkArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 2 }).map(frameOf),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat(), fc.nat()).map(([record, at, cut]) => {
    const whole = frameOf(record);
    const damaged = Buffer.from(whole);
    damaged[at % damaged.length]! ^= 0x5a;
    return at % 2 === 0 ? damaged : whole.subarray(0, cut % whole.length);
  }),
  fc.integer({ min: 1, max: 64 }).map((n) => Buffer.alloc(n)),
  fc.constantFrom(frame(Buffer.from('{oops')), frame(Buffer.from('1'), 0xffffffff), frame(Buffer.from('1'), 0)),
);

describe('Journal properties', () => {
  it('kill at a random byte, restart: state equals the last fully written record', () => {
    fc.assert(
      fc.property(groupsArb(12, fc.jsonValue()), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), (groups, fractions) => {
        const file = freshPath();
        const { records, ends } = writeGroups(file, groups);
        const bytes = fs.readFileSync(file);
        fs.rmSync(file);
        const cuts = [0, bytes.length, ...fractions.map((f) => Math.floor(f * bytes.length))];
        for (const cut of cuts) checkCut(bytes, records, ends, cut);
      }),
      { numRuns: 100 },
    );
  });

  it('kill at EVERY byte of a small journal, restart: state equals the last fully written record', () => {
    fc.assert(
      fc.property(groupsArb(4, fc.jsonValue({ maxDepth: 2 })), (groups) => {
        const file = freshPath();
        const { records, ends } = writeGroups(file, groups);
        const bytes = fs.readFileSync(file);
        fs.rmSync(file);
        for (let cut = 0; cut <= bytes.length; cut++) checkCut(bytes, records, ends, cut);
      }),
      { numRuns: 25 },
    );
  });

  it('bytes appended after valid records: JournalCorruptError or the valid prefix intact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 6 }),
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.array(chunkArb, { minLength: 1, maxLength: 5 }).map((chunks) => Buffer.concat(chunks)),
        ),
        (records, tail) => {
          const prefix = Buffer.concat(records.map(frameOf));
          const result = openOrCorrupt(Buffer.concat([prefix, tail]));
          if (result instanceof JournalCorruptError) {
            expect(result.offset).toBeGreaterThanOrEqual(prefix.length);
            return;
          }
          expect(result.size).toBeGreaterThanOrEqual(prefix.length);
          expect(result.records.slice(0, records.length)).toEqual(records.map(roundTrip));
        },
      ),
      { numRuns: 250 },
    );
  });

  it('a file of random bytes: parsed from valid frames, or JournalCorruptError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
          fc.array(chunkArb, { maxLength: 8 }).map((chunks) => Buffer.concat(chunks)),
        ),
        (bytes) => {
          openOrCorrupt(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('damage inside any acknowledged record other than the last is refused, never cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 2, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (records, which, at, flip) => {
          const frames = records.map(frameOf);
          const victim = which % (frames.length - 1);
          const start = frames.slice(0, victim).reduce((sum, f) => sum + f.length, 0);
          const bytes = Buffer.concat(frames);
          bytes[start + (at % frames[victim]!.length)]! ^= flip;
          const result = openOrCorrupt(bytes);
          expect(result).toBeInstanceOf(JournalCorruptError);
          expect((result as JournalCorruptError).offset).toBe(start);
        },
      ),
      { numRuns: 250 },
    );
  });
});
