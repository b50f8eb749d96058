/**
 * Turns emitter events into an async iterator. Items are buffered until read (at most
 * `maxBuffered`; beyond that the oldest are dropped and counted), and iteration ends when the
 * source ends or the consumer breaks out of its loop.
 */
import type { EventEmitter } from 'node:events';

export interface EventIterator<T> extends AsyncIterableIterator<T> {
  /** Items dropped because the consumer fell more than maxBuffered behind. */
  readonly dropped: number;
}

export function iterateEvents<T>(source: EventEmitter, events: readonly string[], endEvent: string, map: (event: string, args: unknown[]) => T, maxBuffered = 10_000): EventIterator<T> {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let done = false;
  let dropped = 0;
  const listeners = events.map((ev) => {
    const fn = (...args: unknown[]): void => {
      const item = map(ev, args);
      if (waiting !== undefined) {
        const w = waiting;
        waiting = undefined;
        w({ value: item, done: false });
        return;
      }
      buffer.push(item);
      if (buffer.length > maxBuffered) {
        buffer.shift();
        dropped++;
      }
    };
    source.on(ev, fn);
    return [ev, fn] as const;
  });
  const finish = (): void => {
    if (done) return;
    done = true;
    for (const [ev, fn] of listeners) source.off(ev, fn);
    source.off(endEvent, finish);
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      w({ value: undefined, done: true });
    }
  };
  source.on(endEvent, finish);
  const it: EventIterator<T> = {
    get dropped() {
      return dropped;
    },
    next(): Promise<IteratorResult<T>> {
      const item = buffer.shift();
      if (item !== undefined) return Promise.resolve({ value: item, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return(): Promise<IteratorResult<T>> {
      finish();
      buffer.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
