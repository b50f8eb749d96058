import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { DurablePlacement } from '../../../src/store/durable-placement.js';
import { Journal } from '../../../src/store/journal.js';
import { takeSnapshot } from '../../../src/placement/snapshot.js';

/**
 * Group commit: writes go to the journal file at once, one fsync covers every write made while
 * the previous fsync ran, and afterDurable() calls back only once the writes before it are on disk.
 */
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  file = path.join(dir, 'placement.journal');
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const waitFor = (d: DurablePlacement): Promise<Error | undefined> => new Promise((resolve) => d.afterDurable(resolve));

describe('DurablePlacement with groupCommit', () => {
  it('covers the writes made during one fsync with the next, and calls back only after it', async () => {
    const fsyncs: number[] = [];
    let completed = 0;
    const real = fs.fsync;
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      fsyncs.push(fd);
      real(fd, (err) => {
        completed++;
        cb(err);
      });
    }) as typeof fs.fsync);
    const d = DurablePlacement.open(file, { groupCommit: true });
    const seen: [number, number][] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      d.engine.createProvider({ name: `host-${i}` });
      // The write is in the file already, durable or not.
      expect(d.journalBytes).toBeGreaterThan(0);
      waits.push(new Promise((resolve) => d.afterDurable(() => (seen.push([i, completed]), resolve()))));
    }
    expect(seen).toEqual([]);
    await Promise.all(waits);
    // The first write's fsync, then one for the nine made while it ran.
    expect(fsyncs.length).toBe(2);
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen[0]?.[1]).toBe(1);
    for (const [, done] of seen.slice(1)) expect(done).toBe(2);
    // Nothing pending: called back at once.
    let now = false;
    d.afterDurable(() => (now = true));
    expect(now).toBe(true);
    const state = JSON.stringify(takeSnapshot(d.engine));
    d.close();
    const again = DurablePlacement.open(file);
    expect(JSON.stringify(takeSnapshot(again.engine))).toBe(state);
    again.close();
  });

  it('on a failed fsync, tells every waiter, refuses further writes and reopens to what is on disk', async () => {
    const d = DurablePlacement.open(file, { groupCommit: true });
    d.engine.createProvider({ name: 'kept' });
    expect(await waitFor(d)).toBeUndefined();
    vi.spyOn(fs, 'fsync').mockImplementation(((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      process.nextTick(cb, Object.assign(new Error('I/O error'), { code: 'EIO' }));
    }) as typeof fs.fsync);
    d.engine.createProvider({ name: 'maybe-lost' });
    const [a, b] = await Promise.all([waitFor(d), waitFor(d)]);
    expect(a).toMatchObject({ code: 'ERR_JOURNAL_WRITE' });
    expect(b).toBe(a);
    expect(await waitFor(d)).toBe(a);
    const before = d.engine.listProviders().length;
    expect(() => d.engine.createProvider({ name: 'refused' })).toThrow(expect.objectContaining({ code: 'ERR_JOURNAL_WRITE' }));
    expect(d.engine.listProviders().length).toBe(before);
    d.close();
    vi.restoreAllMocks();
    // The unsynced write did reach the file here (no crash), so it replays; "refused" never did.
    const again = DurablePlacement.open(file);
    expect(again.engine.listProviders().map((p) => p.name).sort()).toEqual(['kept', 'maybe-lost']);
    again.close();
  });

  it('compacts between fsyncs when compactEvery is due', async () => {
    const d = DurablePlacement.open(file, { groupCommit: true, compactEvery: 3 });
    for (let i = 0; i < 20; i++) {
      d.engine.createProvider({ name: `host-${i}` });
      expect(await waitFor(d)).toBeUndefined();
    }
    const state = JSON.stringify(takeSnapshot(d.engine));
    d.close();
    const { records } = Journal.open(file);
    expect(records[0]).toMatchObject({ t: 'snapshot' });
    expect(records.length).toBeLessThanOrEqual(4);
    const again = DurablePlacement.open(file);
    expect(JSON.stringify(takeSnapshot(again.engine))).toBe(state);
    again.close();
  });

  it('tells waiters the journal closed when it closes under them, and keeps what was written', async () => {
    const d = DurablePlacement.open(file, { groupCommit: true });
    d.engine.createProvider({ name: 'first' });
    const first = waitFor(d);
    d.engine.createProvider({ name: 'second' });
    const second = waitFor(d);
    d.close();
    expect(await second).toMatchObject({ code: 'ERR_JOURNAL_CLOSED' });
    await first;
    // The running fsync finished, and closed the file after syncing what followed it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = DurablePlacement.open(file);
    expect(again.engine.listProviders().map((p) => p.name).sort()).toEqual(['first', 'second']);
    again.close();
  });

  it('calls every waiter when one throws, and rethrows that on a later tick', async () => {
    const d = DurablePlacement.open(file, { groupCommit: true });
    d.engine.createProvider({ name: 'one' });
    const later: (() => void)[] = [];
    let second = false;
    d.afterDurable(() => {
      throw new Error('caller bug');
    });
    const reached = new Promise<void>((resolve) =>
      d.afterDurable(() => {
        second = true;
        resolve();
      }),
    );
    const tick = vi.spyOn(process, 'nextTick').mockImplementation(((fn: (...a: unknown[]) => void, ...args: unknown[]) => {
      later.push(() => fn(...args));
    }) as typeof process.nextTick);
    await reached;
    tick.mockRestore();
    expect(second).toBe(true);
    expect(later.length).toBe(1);
    expect(() => later[0]?.()).toThrow('caller bug');
    d.close();
  });

  it('reports a write the journal could not roll back as a failure, and refuses writes after it', async () => {
    const d = DurablePlacement.open(file, { groupCommit: true });
    d.engine.createProvider({ name: 'kept' });
    expect(await waitFor(d)).toBeUndefined();
    vi.spyOn(fs, 'writeSync').mockImplementation((() => {
      throw Object.assign(new Error('I/O error'), { code: 'EIO' });
    }) as typeof fs.writeSync);
    vi.spyOn(fs, 'ftruncateSync').mockImplementation(() => {
      throw Object.assign(new Error('I/O error'), { code: 'EIO' });
    });
    expect(() => d.engine.createProvider({ name: 'torn' })).toThrow(expect.objectContaining({ code: 'ERR_JOURNAL_WRITE' }));
    vi.restoreAllMocks();
    expect(await waitFor(d)).toMatchObject({ code: 'ERR_JOURNAL_WRITE' });
    expect(() => d.engine.createProvider({ name: 'after' })).toThrow(expect.objectContaining({ code: 'ERR_JOURNAL_WRITE' }));
    expect(d.engine.listProviders().map((p) => p.name)).toEqual(['kept']);
    d.close();
  });

  it('without groupCommit, every write is durable when it returns', () => {
    const d = DurablePlacement.open(file);
    const spy = vi.spyOn(fs, 'fsyncSync');
    d.engine.createProvider({ name: 'one' });
    expect(spy).toHaveBeenCalledTimes(1);
    let now = false;
    d.afterDurable(() => (now = true));
    expect(now).toBe(true);
    d.close();
  });
});

describe('Journal.sync', () => {
  it('closes the file only once a running sync is done, and fsyncs unsynced records on close', async () => {
    const { journal } = Journal.open(file);
    journal.appendUnsynced('a');
    const done = new Promise<Error | undefined>((resolve) => journal.sync(resolve));
    journal.close();
    expect(await done).toBeUndefined();
    const again = Journal.open(file);
    expect(again.records).toEqual(['a']);
    const spy = vi.spyOn(fs, 'fsyncSync');
    again.journal.appendUnsynced('b');
    again.journal.close();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(Journal.open(file).records).toEqual(['a', 'b']);
  });

  it('refuses a second sync while one runs, and a rewrite during one', async () => {
    const { journal } = Journal.open(file);
    journal.appendUnsynced(1);
    const first = new Promise<Error | undefined>((resolve) => journal.sync(resolve));
    const second = new Promise<Error | undefined>((resolve) => journal.sync(resolve));
    expect(() => journal.rewrite([2])).toThrow(expect.objectContaining({ code: 'ERR_JOURNAL_WRITE' }));
    expect(await second).toMatchObject({ code: 'ERR_JOURNAL_WRITE' });
    expect(await first).toBeUndefined();
    journal.close();
    expect(Journal.open(file).records).toEqual([1]);
  });
});
