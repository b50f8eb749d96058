import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

import { jsonLogger } from '../../../src/cli/json-logger.js';

function sink(): { stream: PassThrough; writes: string[]; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const writes: string[] = [];
  stream.on('data', (d: Buffer) => writes.push(d.toString()));
  const lines = (): Record<string, unknown>[] =>
    writes
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, writes, lines };
}

describe('jsonLogger', () => {
  it('writes one JSON line per entry: level, time, the fields, then msg', async () => {
    const s = sink();
    const log = jsonLogger(s.stream);
    log.info({ requestId: 'req-1', status: 200, ms: 1.5, version: undefined }, 'placement request');
    log.debug({ hidden: true }, 'below the level');
    log.warn({}, 'no fields');
    await tick();
    const [a, b] = s.lines();
    expect(s.lines()).toHaveLength(2);
    expect(Object.keys(a as object)).toEqual(['level', 'time', 'requestId', 'status', 'ms', 'msg']);
    expect(a).toMatchObject({ level: 30, requestId: 'req-1', status: 200, ms: 1.5, msg: 'placement request' });
    expect(typeof (a as Record<string, unknown>)['time']).toBe('number');
    expect(b).toMatchObject({ level: 40, msg: 'no fields' });
  });

  it('gives fields named like its own the same meaning as before (the field wins, msg last)', async () => {
    const s = sink();
    const log = jsonLogger(s.stream, 'debug');
    log.error({ err: new Error('boom'), time: 7, msg: 'theirs' }, 'ours');
    await tick();
    const [line] = s.lines();
    expect(line).toMatchObject({ level: 50, time: 7, msg: 'ours', err: { type: 'Error', message: 'boom' } });
  });

  it('buffered: gathers the lines of one turn into one write, and flushes errors and on demand', async () => {
    const s = sink();
    const log = jsonLogger(s.stream, { buffered: true });
    for (let i = 0; i < 5; i++) log.info({ i }, 'one');
    await new Promise((r) => process.nextTick(r));
    expect(s.writes).toHaveLength(0);
    await tick();
    await tick();
    expect(s.writes).toHaveLength(1);
    expect(s.lines().map((l) => l['i'])).toEqual([0, 1, 2, 3, 4]);

    log.info({ i: 5 }, 'two');
    log.error({ i: 6 }, 'at once');
    await new Promise((r) => process.nextTick(r));
    expect(s.lines().map((l) => l['i'])).toEqual([0, 1, 2, 3, 4, 5, 6]);

    log.info({ i: 7 }, 'three');
    log.flush();
    await new Promise((r) => process.nextTick(r));
    expect(s.lines().map((l) => l['i'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    log.flush();
    await tick();
    expect(s.lines()).toHaveLength(8);
  });

  it('buffered: writes once 64 KiB are gathered, without waiting for the turn to end', async () => {
    const s = sink();
    const log = jsonLogger(s.stream, { buffered: true });
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 80; i++) log.info({ i, big }, 'big');
    await new Promise((r) => process.nextTick(r));
    expect(s.writes.length).toBeGreaterThanOrEqual(1);
    await tick();
    await tick();
    expect(s.lines().map((l) => l['i'])).toEqual([...Array(80).keys()]);
  });
});
