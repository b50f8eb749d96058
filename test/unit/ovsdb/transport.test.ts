import { describe, expect, it } from 'vitest';
import { Backoff, RowIndex, formatEndpoint, parseEndpoint } from '../../../bindings/ovsdb/index.js';

describe('endpoints', () => {
  it('parses OVS remote syntax', () => {
    expect(parseEndpoint('unix:/run/db.sock')).toEqual({ kind: 'unix', path: '/run/db.sock' });
    expect(parseEndpoint('tcp:127.0.0.1:6640')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 6640 });
    expect(parseEndpoint('tcp:[::1]:6640')).toEqual({ kind: 'tcp', host: '::1', port: 6640 });
    expect(formatEndpoint(parseEndpoint('tcp:[::1]:6640'))).toBe('tcp:[::1]:6640');
    for (const bad of ['ssl:1.2.3.4:6640', 'tcp:host', 'tcp:h:0', 'tcp:h:70000', 'unix:']) {
      expect(() => parseEndpoint(bad)).toThrow(expect.objectContaining({ code: 'ERR_OVSDB_ARGUMENT' }));
    }
  });
});

describe('Backoff', () => {
  it('grows exponentially to the ceiling and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });
  it('keeps jittered delays inside [base*(1-j), base]', () => {
    const b = new Backoff({ initialMs: 100, jitter: 0.5 }, () => 0);
    expect(b.next()).toBe(50);
    const c = new Backoff({ initialMs: 100, jitter: 0.5 }, () => 0.999999);
    expect(c.next()).toBe(100);
  });
});

describe('RowIndex', () => {
  it('finds rows by canonical keys of sets and maps', () => {
    const ix = new RowIndex('ids', ['s', 'm'], false);
    const row = { _uuid: 'u1', s: ['b', 'a'], m: new Map([['y', '2'], ['x', '1']]) };
    ix.add(row);
    expect([...ix.find([['a', 'b'], new Map([['x', '1'], ['y', '2']])])]).toEqual(['u1']);
    ix.remove(row);
    expect(ix.find([['a', 'b'], new Map([['x', '1'], ['y', '2']])]).size).toBe(0);
    expect(() => ix.find(['a'])).toThrow(/expected 2/);
    // A string and a number never share a key.
    const one = new RowIndex('v', ['v'], false);
    one.add({ _uuid: 'a', v: '1' });
    expect(one.find([1]).size).toBe(0);
  });
});
