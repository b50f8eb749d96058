/**
 * The candidates JSON writer's caches and buffers: the per-provider bytes of one-provider entries
 * (kept across answers, keyed by the requested resources and the microversion's form), the
 * per-summary bytes (kept by summary object, checked against the uuid shown), and the answer
 * buffers lent to the server and given back once written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AllocationRequest, CandidateQuery, ProviderSummary } from '../../../src/placement/candidates.js';
import { candidateResult, listAllocationCandidates } from '../../../src/placement/candidates.js';
import type { CandidateJsonShape } from '../../../src/api/handlers/allocation-candidates-json.js';
import {
  AnswerBuffers,
  candidateListLease,
  candidatesJson,
  candidatesJsonBytes,
  candidatesJsonLease,
  candidatesObject,
} from '../../../src/api/handlers/allocation-candidates-json.js';
import type { TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';
import { addProvider, newEngine, uuid } from '../placement/fixtures.js';

const CLASSES = ['VCPU', 'MEMORY_MB', 'DISK_GB'] as const;
const SHAPES: CandidateJsonShape[] = [];
for (const listForm of [true, false]) {
  for (const mappings of [true, false]) {
    for (const tree of [true, false]) {
      for (const onlyClasses of [undefined, new Set(['VCPU'])]) SHAPES.push({ listForm, mappings, traits: true, tree, onlyClasses });
    }
  }
}

function reference(requests: readonly AllocationRequest[], summaries: Readonly<Record<string, ProviderSummary>>, uuids: readonly string[] | undefined, shape: CandidateJsonShape): string {
  return JSON.stringify(candidatesObject(requests, summaries, uuids, shape));
}

describe('one-provider entries kept across answers', () => {
  const e = newEngine();
  for (let i = 1; i <= 6; i++) {
    addProvider(e, `h${i}`, { uuid: uuid(i), inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 }, DISK_GB: { total: 100 } } });
  }

  it('are rebuilt when the resources asked for or the form change, and reused when not', () => {
    const queries: Record<string, number>[] = [{ VCPU: 1 }, { VCPU: 2 }, { VCPU: 1, MEMORY_MB: 512 }, { MEMORY_MB: 512, VCPU: 1 }, { VCPU: 1 }];
    // Every order of forms and resources, twice over: each answer must be the reference's.
    for (let round = 0; round < 2; round++) {
      for (const shape of SHAPES) {
        for (const resources of queries) {
          const r = e.getAllocationCandidates({ groups: [{ suffix: '', resources }] });
          expect(r.allocationRequests).toHaveLength(6);
          const expected = reference(r.allocationRequests, r.providerSummaries, undefined, shape);
          expect(candidatesJson(r.allocationRequests, r.providerSummaries, undefined, shape)).toBe(expected);
          expect(candidatesJsonBytes(r.allocationRequests, r.providerSummaries, undefined, shape).toString('latin1')).toBe(expected);
        }
      }
    }
  });

  it('are the same bytes from the engine\'s CandidateList as from the answer as objects', () => {
    const buffers = new AnswerBuffers();
    const queries: CandidateQuery[] = [
      { groups: [{ suffix: '', resources: { VCPU: 1 } }] },
      { groups: [{ suffix: '', resources: { VCPU: 2, MEMORY_MB: 512 } }], limit: 3 },
      { groups: [{ suffix: '', resources: { VCPU: 1 } }, { suffix: 'M', resources: { MEMORY_MB: 256 } }], groupPolicy: 'none' },
      { groups: [{ suffix: 'A', resources: { DISK_GB: 10 } }] },
      { groups: [{ suffix: '', resources: { VCPU: 99 } }] },
    ];
    for (const shape of SHAPES) {
      for (const q of queries) {
        const list = listAllocationCandidates(e, q);
        const r = candidateResult(list);
        expect(r).toEqual(e.getAllocationCandidates(q));
        const lease = candidateListLease(buffers, list, shape);
        expect(lease.bytes.toString('latin1')).toBe(reference(r.allocationRequests, r.providerSummaries, undefined, shape));
        lease.release();
      }
    }
    // The one-group answers come as uuids, the others as objects.
    expect(listAllocationCandidates(e, queries[0] as CandidateQuery).requests.every((x) => typeof x === 'string')).toBe(true);
    expect(listAllocationCandidates(e, queries[2] as CandidateQuery).requests.every((x) => typeof x !== 'string')).toBe(true);
  });

  it('are not used for entries with more than one group, even on one provider', () => {
    const shape = SHAPES[2] as CandidateJsonShape;
    const one = e.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1, MEMORY_MB: 256 } }] });
    candidatesJson(one.allocationRequests, one.providerSummaries, undefined, shape);
    const two = e.getAllocationCandidates({
      groups: [
        { suffix: '', resources: { VCPU: 1 } },
        { suffix: 'M', resources: { MEMORY_MB: 256 } },
      ],
      groupPolicy: 'none',
    });
    for (const s of SHAPES) {
      expect(candidatesJson(two.allocationRequests, two.providerSummaries, undefined, s)).toBe(reference(two.allocationRequests, two.providerSummaries, undefined, s));
    }
  });

  it('match the reference for hand-made requests of any shape (property)', () => {
    const u = fc.integer({ min: 1, max: 5 }).map((n) => uuid(n));
    const resources = fc.dictionary(fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 9 }), { minKeys: 1 });
    const request = fc
      .record({
        providers: fc.uniqueArray(u, { minLength: 1, maxLength: 3 }),
        resources,
        suffixes: fc.uniqueArray(fc.constantFrom('', 'A', '1', '_x'), { minLength: 1, maxLength: 3 }),
        shared: fc.boolean(),
      })
      .map(({ providers, resources: res, suffixes, shared }): AllocationRequest => {
        const allocations = Object.create(null) as Record<string, { resources: Record<string, number> }>;
        for (const p of providers) allocations[p] = { resources: shared ? res : { ...res } };
        // Every provider of the allocations serves a group, so is named in the mappings, as in
        // every real answer; a group may name a provider another group names too.
        const mappings = Object.create(null) as Record<string, string[]>;
        suffixes.forEach((s, i) => (mappings[s] = [providers[i % providers.length] as string]));
        providers.forEach((p, i) => {
          const list = mappings[suffixes[i % suffixes.length] as string] as string[];
          if (!list.includes(p)) list.push(p);
        });
        return { allocations, mappings };
      });
    const summary = (n: number): ProviderSummary => ({ resources: { VCPU: { capacity: n, used: 0 } }, traits: n % 2 === 0 ? ['HW_CPU_X86_AVX2'] : [], parentProviderUuid: null, rootProviderUuid: uuid(n) });
    const summaries: Record<string, ProviderSummary> = {};
    for (let n = 1; n <= 5; n++) summaries[uuid(n)] = summary(n);
    fc.assert(
      fc.property(fc.array(fc.array(request, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(...SHAPES), (answers, shape) => {
        for (const requests of answers) {
          expect(candidatesJson(requests, summaries, undefined, shape)).toBe(reference(requests, summaries, undefined, shape));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('summary bytes kept by summary object', () => {
  it('write an object shown under another uuid under that uuid', () => {
    const s: ProviderSummary = { resources: { VCPU: { capacity: 4, used: 1 } }, traits: [], parentProviderUuid: null, rootProviderUuid: uuid(1) };
    const shape = SHAPES[6] as CandidateJsonShape;
    expect(shape.onlyClasses).toBeUndefined();
    const first = { [uuid(1)]: s };
    const second = { [uuid(2)]: s, [uuid(1)]: s };
    for (const summaries of [first, second, first]) {
      expect(candidatesJson([], summaries, undefined, shape)).toBe(reference([], summaries, undefined, shape));
    }
  });
});

describe('answer buffers', () => {
  const e = newEngine();
  for (let i = 1; i <= 400; i++) addProvider(e, `h${i}`, { uuid: uuid(i), inventories: { VCPU: { total: 8 } } });
  const shape = SHAPES[6] as CandidateJsonShape;

  it('lend a buffer per unreleased answer and take it back on release', () => {
    const buffers = new AnswerBuffers(4);
    const a = e.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1 } }] });
    const b = e.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 2 } }], limit: 7 });
    const expectedA = reference(a.allocationRequests, a.providerSummaries, undefined, shape);
    const expectedB = reference(b.allocationRequests, b.providerSummaries, undefined, shape);
    expect(expectedA.length).toBeGreaterThan(1 << 16);
    const leaseA = candidatesJsonLease(buffers, a.allocationRequests, a.providerSummaries, undefined, shape);
    // A second answer while the first is still lent must not touch the first's bytes.
    const leaseB = candidatesJsonLease(buffers, b.allocationRequests, b.providerSummaries, undefined, shape);
    expect(leaseA.bytes.toString('latin1')).toBe(expectedA);
    expect(leaseB.bytes.toString('latin1')).toBe(expectedB);
    expect(leaseA.bytes.buffer).not.toBe(leaseB.bytes.buffer);
    expect(buffers.idle).toBe(0);
    leaseA.release();
    leaseA.release();
    expect(buffers.idle).toBe(1);
    // The next answer reuses the released buffer, and is right.
    const leaseC = candidatesJsonLease(buffers, b.allocationRequests, b.providerSummaries, undefined, shape);
    expect(leaseC.bytes.buffer).toBe(leaseA.bytes.buffer);
    expect(leaseC.bytes.toString('latin1')).toBe(expectedB);
    leaseB.release();
    leaseC.release();
    expect(buffers.idle).toBe(2);
  });

  it('keep at most their bound, and no buffer larger than theirs', () => {
    const buffers = new AnswerBuffers(2);
    const r = e.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1 } }], limit: 3 });
    const leases = [1, 2, 3].map(() => candidatesJsonLease(buffers, r.allocationRequests, r.providerSummaries, undefined, shape));
    for (const l of leases) l.release();
    expect(buffers.idle).toBe(2);
    const small = new AnswerBuffers(4, 1024);
    const all = e.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1 } }] });
    const big = candidatesJsonLease(small, all.allocationRequests, all.providerSummaries, undefined, shape);
    expect(big.bytes.toString('latin1')).toBe(reference(all.allocationRequests, all.providerSummaries, undefined, shape));
    big.release();
    expect(small.idle).toBe(0);
  });
});

describe('answers written from lent buffers over HTTP', () => {
  let p: TestPlacement;
  beforeAll(async () => {
    p = await startTestPlacement();
    for (let i = 1; i <= 300; i++) addProvider(p.engine, `h${i}`, { uuid: uuid(i), inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } } });
  });
  afterAll(() => p.close());

  it('are each whole and their own under concurrent requests', async () => {
    const queries = [1, 2, 3, 4, 5, 6].map((n) => `/allocation_candidates?resources=VCPU:${n},MEMORY_MB:${n * 128}&limit=${50 * n}`);
    const alone = new Map<string, string>();
    for (const q of queries) alone.set(q, (await p.request('GET', q, { version: 'latest' })).text);
    for (let round = 0; round < 3; round++) {
      const all = await Promise.all([...queries, ...queries, ...queries].map(async (q) => [q, (await p.request('GET', q, { version: 'latest' })).text] as const));
      for (const [q, text] of all) expect(text).toBe(alone.get(q));
    }
    expect(JSON.parse(alone.get(queries[5] as string) as string).allocation_requests).toHaveLength(300);
  });
});
