import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { pathOf, splitTarget } from '../../../src/api/request-target.js';

type Outcome = { path: string; query: [string, string][] } | { error: unknown };

/** What the server did before the fast path: WHATWG URL on every target (which may refuse it). */
function viaUrl(target: string): Outcome {
  try {
    const url = new URL(target, 'http://placement');
    return { path: url.pathname, query: [...url.searchParams] };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code };
  }
}

function split(target: string): Outcome {
  try {
    const { path, query } = splitTarget(target);
    return { path, query: [...query] };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code };
  }
}

// Characters of the fast path, and the ones that must send a target through URL instead.
const plain = 'abcXYZ019_-/?=&,:.!%+';
const special = ' #"<>\'\\`{}|^[]@;$()*~\u00e9\u4e2d';

describe('splitTarget', () => {
  it('gives what WHATWG URL gives, for any target', () => {
    const chars = fc.constantFrom(...(plain + special).split(''));
    const target = fc.array(chars, { maxLength: 40 }).map((cs) => '/' + cs.join(''));
    fc.assert(
      fc.property(target, (t) => {
        expect(split(t)).toEqual(viaUrl(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives what URL gives for the targets of the Placement API and for the awkward ones', () => {
    for (const t of [
      '/',
      '/resource_providers',
      '/resource_providers/',
      '/allocation_candidates?resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=in:14a5c8a3-5a99-4e8f-88be-00d85fcb1c17&required=!HW_CPU_X86_AVX2',
      '/resource_providers?name=a+b&name=c%20d',
      '/traits?name=startswith:CUSTOM_',
      '//resource_providers',
      '/a/../traits',
      '/./traits',
      '/traits#frag',
      '/traits?x=1#frag',
      '/resource_providers/%7Babc%7D',
      '/resource_providers?%zz=1',
      '/usages?project_id=p&user_id=u&',
      '/\\',
    ]) {
      expect(split(t), t).toEqual(viaUrl(t));
    }
    expect(split('/resource_providers?a=1&a=2')).toHaveProperty('query', [
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('reads a missing target as /', () => {
    expect(split(undefined as unknown as string)).toEqual({ path: '/', query: [] });
  });
});

describe('pathOf', () => {
  it('is the raw text before the first ?', () => {
    expect(pathOf('/a/b?c=d?e')).toBe('/a/b');
    expect(pathOf('/a/../b')).toBe('/a/../b');
    expect(pathOf(undefined)).toBe('');
  });
});
