import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { pathOf, splitTarget } from '../../../src/api/request-target.js';

/** The model: the path as sent up to `?` or `#`; the query between `?` and `#`, form-decoded. */
function model(target: string): { path: string; query: [string, string][] } {
  const noHash = target.split('#')[0] as string;
  const q = noHash.indexOf('?');
  return q < 0 ? { path: noHash, query: [] } : { path: noHash.slice(0, q), query: [...new URLSearchParams(noHash.slice(q + 1))] };
}

function split(target: string | undefined): { path: string; query: [string, string][] } {
  const { path, query } = splitTarget(target);
  return { path, query: [...query] };
}

const chars = 'abcXYZ019_-/?=&,:.!%+ #"<>\'\\`{}|^[]@;$()*~\u00e9\u4e2d';

describe('splitTarget', () => {
  it('takes the path as sent and never throws, for any origin-form target', () => {
    const target = fc.array(fc.constantFrom(...chars.split('')), { maxLength: 40 }).map((cs) => '/' + cs.join(''));
    fc.assert(
      fc.property(target, (t) => {
        expect(split(t)).toEqual(model(t));
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps dot segments and double slashes, as Placement's PATH_INFO does", () => {
    expect(split('//')).toEqual({ path: '//', query: [] });
    expect(split('//resource_providers')).toEqual({ path: '//resource_providers', query: [] });
    expect(split('/resource_providers/..')).toEqual({ path: '/resource_providers/..', query: [] });
    expect(split('/traits?x=1#frag')).toEqual({ path: '/traits', query: [['x', '1']] });
    expect(split('/resource_providers?a=1&a=2').query).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('routes an absolute-form target by its path and query', () => {
    expect(split('http://placement.example:8778/traits?name=in:A')).toEqual({ path: '/traits', query: [['name', 'in:A']] });
    expect(split('*')).toEqual({ path: '*', query: [] });
  });

  it('reads a missing target as /', () => {
    expect(split(undefined)).toEqual({ path: '/', query: [] });
  });
});

describe('pathOf', () => {
  it('is the raw text before the first ?', () => {
    expect(pathOf('/a/b?c=d?e')).toBe('/a/b');
    expect(pathOf('/a/../b')).toBe('/a/../b');
    expect(pathOf(undefined)).toBe('');
  });
});
