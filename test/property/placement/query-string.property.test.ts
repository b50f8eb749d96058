import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CandidateQuery, RequestGroup } from '../../../src/placement/candidates.js';
import { PlacementError } from '../../../src/placement/errors.js';
import { formatCandidateQuery, parseCandidateQuery } from '../../../src/placement/query-string.js';

const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/);
const uuid = fc.uuid().map((u) => u.toLowerCase());
const suffix = fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/);

function group(s: string): fc.Arbitrary<RequestGroup> {
  return fc
    .record(
      {
        resources: fc.dictionary(name, fc.integer({ min: 1, max: 100000 }), { minKeys: 1, maxKeys: 3 }),
        required: fc.array(fc.uniqueArray(name, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
        forbidden: fc.uniqueArray(name, { maxLength: 2 }),
        memberOf: fc.array(fc.uniqueArray(uuid, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
        forbiddenAggregates: fc.uniqueArray(uuid, { maxLength: 2 }),
        inTree: fc.option(uuid, { nil: undefined }),
      },
      { requiredKeys: ['resources'] },
    )
    .filter((g) => !(g.required ?? []).some((anyOf) => anyOf.some((t) => (g.forbidden ?? []).includes(t))))
    .map((g) => {
      const out: { -readonly [K in keyof RequestGroup]: RequestGroup[K] } = { suffix: s, resources: g.resources };
      // Singles first, then any-of lists: the order the formatter writes them in.
      const req = [...(g.required ?? []).filter((a) => a.length === 1), ...(g.required ?? []).filter((a) => a.length > 1)];
      if (req.length > 0) out.required = req;
      if ((g.forbidden ?? []).length > 0) out.forbidden = g.forbidden;
      if ((g.memberOf ?? []).length > 0) out.memberOf = g.memberOf;
      if ((g.forbiddenAggregates ?? []).length > 0) out.forbiddenAggregates = g.forbiddenAggregates;
      if (g.inTree !== undefined) out.inTree = g.inTree;
      return out;
    });
}

const query: fc.Arbitrary<CandidateQuery> = fc
  .tuple(group(''), fc.uniqueArray(suffix, { maxLength: 3 }).chain((ss) => fc.tuple(...ss.map(group))))
  .chain(([g0, rest]) =>
    fc.record(
      {
        groups: fc.constant([g0, ...rest]),
        limit: fc.integer({ min: 1, max: 1000 }),
        groupPolicy: fc.constantFrom('none' as const, 'isolate' as const),
        rootRequired: fc.uniqueArray(name, { minLength: 1, maxLength: 2 }),
        rootForbidden: fc.uniqueArray(fc.stringMatching(/^[0-9][A-Z0-9_]{0,5}$/), { minLength: 1, maxLength: 2 }),
        sameSubtree: rest.length === 0 ? fc.constant([]) : fc.array(fc.subarray(rest.map((g) => g.suffix), { minLength: 1 }), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['groups'] },
    ),
  )
  .map((q) => {
    const out: { -readonly [K in keyof CandidateQuery]: CandidateQuery[K] } = { ...q };
    if (q.sameSubtree !== undefined && q.sameSubtree.length === 0) delete out.sameSubtree;
    return out;
  });

describe('candidate query strings', () => {
  it('round-trip: format then parse gives the query back', () => {
    fc.assert(
      fc.property(query, (q) => {
        expect(parseCandidateQuery(formatCandidateQuery(q))).toEqual(q);
      }),
      { numRuns: 300 },
    );
  });

  it('random input never throws anything but a PlacementError', () => {
    const key = fc.constantFrom('resources', 'resources1', 'required', 'required_X', 'member_of', 'in_tree', 'limit', 'group_policy', 'root_required', 'same_subtree', 'bogus');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string({ maxLength: 40 })), { maxLength: 6 }), fc.string({ maxLength: 80 }), (pairs, raw) => {
        for (const input of [new URLSearchParams(pairs).toString(), raw]) {
          try {
            parseCandidateQuery(input);
          } catch (error) {
            expect(error).toBeInstanceOf(PlacementError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('candidate query string rules', () => {
  const bad = (q: string, code: string): void => {
    expect(() => parseCandidateQuery(q)).toThrow(expect.objectContaining({ code }));
  };
  it('parses the perfload query', () => {
    expect(parseCandidateQuery('resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=14a5c8a3-5a99-4e8f-88be-00d85fcb1c17&required=HW_CPU_X86_AVX2')).toEqual({
      groups: [
        {
          suffix: '',
          resources: { VCPU: 1, DISK_GB: 10, MEMORY_MB: 256 },
          required: [['HW_CPU_X86_AVX2']],
          memberOf: [['14a5c8a3-5a99-4e8f-88be-00d85fcb1c17']],
        },
      ],
    });
  });
  it('takes forbidden traits, any-of traits, repeated required and forbidden aggregates', () => {
    const q = parseCandidateQuery(
      'resources1=VF:1&required1=A,!!B&required1=in:C,D&member_of1=!in:00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002&group_policy=isolate&resources=VCPU:1',
    );
    expect(q.groups[0]?.suffix).toBe('');
    expect(q.groups[1]).toEqual({
      suffix: '1',
      resources: { VF: 1 },
      required: [['A'], ['C', 'D']],
      forbidden: ['B'],
      forbiddenAggregates: ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'],
    });
  });
  it('refuses what Placement refuses', () => {
    bad('resources=VCPU', 'ERR_PLACEMENT_BAD_QUERY');
    bad('resources=VCPU:0', 'ERR_PLACEMENT_BAD_QUERY');
    bad('resources=VCPU:1&required=in:A,!B', 'ERR_PLACEMENT_BAD_QUERY');
    bad('resources=VCPU:1&required=A,!A', 'ERR_PLACEMENT_BAD_QUERY');
    bad('resources=VCPU:1&member_of=a,b', 'ERR_PLACEMENT_BAD_QUERY');
    bad('resources=VCPU:1&limit=0', 'ERR_PLACEMENT_INVALID');
    bad('resources=VCPU:1&nope=1', 'ERR_PLACEMENT_INVALID');
    bad('resources=VCPU:1&root_required=A&root_required=B', 'ERR_PLACEMENT_DUPLICATE_QUERY_KEY');
    bad('resources=VCPU:1&same_subtree=,_A', 'ERR_PLACEMENT_BAD_QUERY');
    bad('required=A', 'ERR_PLACEMENT_MISSING_QUERY_VALUE');
  });
});
