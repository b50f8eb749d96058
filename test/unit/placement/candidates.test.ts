import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import type { CandidateQuery, RequestGroup } from '../../../src/placement/candidates.js';
import type { PlacementEngine } from '../../../src/placement/engine.js';
import { formatCandidateQuery, parseCandidateQuery } from '../../../src/placement/query-string.js';
import {
  PROJECT,
  USER,
  addProvider,
  agg,
  candidates,
  catchPlacementError,
  consumer,
  newEngine,
  render,
  summaryNames,
  uuid,
} from './fixtures.js';

const SHARES = 'MISC_SHARES_VIA_AGGREGATE';
const AVX2 = 'HW_CPU_X86_AVX2';
const SSE2 = 'HW_CPU_X86_SSE2';
const SSD = 'STORAGE_DISK_SSD';
const NUMA = 'HW_NUMA_ROOT';
const DISABLED = 'COMPUTE_STATUS_DISABLED';

type Ids = Record<string, string>;

const one = (resources: Record<string, number>, extra: Omit<RequestGroup, 'suffix' | 'resources'> = {}): CandidateQuery => ({
  groups: [{ suffix: '', resources, ...extra }],
});

const sorted = (xs: string[]): string[] => [...xs].sort();

/**
 * One compute node with two NUMA children:
 *   cn     DISK_GB 1000                   [STORAGE_DISK_SSD]
 *   numa0  VCPU 4, MEMORY_MB 4096         [HW_NUMA_ROOT, HW_CPU_X86_AVX2]
 *   numa1  VCPU 4, MEMORY_MB 4096         [HW_NUMA_ROOT]
 */
function nested(e: PlacementEngine = newEngine(), prefix = ''): { e: PlacementEngine; ids: Ids } {
  const ids: Ids = {};
  ids.cn = addProvider(e, `${prefix}cn`, { inventories: { DISK_GB: { total: 1000 } }, traits: [SSD] });
  ids.numa0 = addProvider(e, `${prefix}numa0`, {
    parent: ids.cn,
    inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } },
    traits: [NUMA, AVX2],
  });
  ids.numa1 = addProvider(e, `${prefix}numa1`, {
    parent: ids.cn,
    inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } },
    traits: [NUMA],
  });
  return { e, ids };
}

const CEPH_AGG = agg(1);

/**
 * A Ceph pool shared by four compute hosts through one aggregate, plus a fifth host outside it:
 *   host1..host4  VCPU 16, MEMORY_MB 32768, member of CEPH_AGG
 *   host5         VCPU 16, MEMORY_MB 32768, no aggregate
 *   pool          DISK_GB 10000, MISC_SHARES_VIA_AGGREGATE, member of CEPH_AGG
 */
function ceph(): { e: PlacementEngine; ids: Ids } {
  const e = newEngine();
  const ids: Ids = {};
  for (let i = 1; i <= 5; i++) {
    ids[`host${i}`] = addProvider(e, `host${i}`, {
      uuid: uuid(i),
      inventories: { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 } },
      aggregates: i <= 4 ? [CEPH_AGG] : undefined,
    });
  }
  ids.pool = addProvider(e, 'pool', { uuid: uuid(100), inventories: { DISK_GB: { total: 10000 } }, traits: [SHARES], aggregates: [CEPH_AGG] });
  return { e, ids };
}

const VM = { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 100 };

describe('request validation (rules 1-11)', () => {
  const { e } = nested();
  const bad = (query: CandidateQuery) => catchPlacementError(() => e.getAllocationCandidates(query));

  it('needs at least one group', () => {
    expect(bad({ groups: [] }).httpStatus).toBe(400);
  });

  it('accepts suffixes of [a-zA-Z0-9_-]{1,64} and refuses others (rule 1)', () => {
    const ok = 'a'.repeat(63) + '-';
    expect(
      e.getAllocationCandidates({ groups: [{ suffix: ok, resources: { VCPU: 1 } }, { suffix: '_X', resources: { DISK_GB: 1 } }], groupPolicy: 'none' })
        .allocationRequests.length,
    ).toBeGreaterThan(0);
    for (const suffix of ['a b', 'a'.repeat(65), 'é', 'a.b']) {
      expect(bad({ groups: [{ suffix, resources: { VCPU: 1 } }] })).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
    }
  });

  it('refuses an amount below 1 and an unknown resource class (rule 2)', () => {
    expect(bad(one({ VCPU: 0 })).httpStatus).toBe(400);
    expect(bad(one({ VCPU: 1.5 })).httpStatus).toBe(400);
    expect(bad(one({ CUSTOM_NOPE: 1 }))).toMatchObject({ httpStatus: 400, code: 'ERR_PLACEMENT_INVALID' });
  });

  it('refuses unknown traits in required, forbidden and root_required (rule 3)', () => {
    expect(bad(one({ VCPU: 1 }, { required: [['CUSTOM_NOPE']] })).httpStatus).toBe(400);
    expect(bad(one({ VCPU: 1 }, { required: [[AVX2, 'CUSTOM_NOPE']] })).httpStatus).toBe(400);
    expect(bad(one({ VCPU: 1 }, { forbidden: ['CUSTOM_NOPE'] })).httpStatus).toBe(400);
    expect(bad({ ...one({ VCPU: 1 }), rootRequired: ['CUSTOM_NOPE'] }).httpStatus).toBe(400);
    expect(bad({ ...one({ VCPU: 1 }), rootForbidden: ['CUSTOM_NOPE'] }).httpStatus).toBe(400);
  });

  it('refuses a group whose required set is entirely forbidden, but not a partly forbidden in: (rule 4)', () => {
    expect(bad(one({ VCPU: 1 }, { required: [[AVX2]], forbidden: [AVX2] }))).toMatchObject({ httpStatus: 400 });
    expect(bad(one({ VCPU: 1 }, { required: [[AVX2, SSE2]], forbidden: [AVX2, SSE2] }))).toMatchObject({ httpStatus: 400 });
    expect(candidates(e, one({ VCPU: 1 }, { required: [[AVX2, NUMA]], forbidden: [AVX2] }))).toHaveLength(1);
  });

  it('answers the same aggregate both required and forbidden with an empty result, not an error (rule 5)', () => {
    const { e: e2, ids } = nested();
    e2.setAggregates(ids.numa0 as string, null, [agg(1)]);
    const res = e2.getAllocationCandidates(one({ VCPU: 1 }, { memberOf: [[agg(1)]], forbiddenAggregates: [agg(1)] }));
    expect(res).toEqual({ allocationRequests: [], providerSummaries: {} });
  });

  it('treats unknown aggregates as matching nothing (positive) or excluding nothing (forbidden) (rule 5)', () => {
    expect(candidates(e, one({ VCPU: 1 }, { memberOf: [[agg(77)]] }))).toEqual([]);
    expect(candidates(e, one({ VCPU: 1 }, { forbiddenAggregates: [agg(77)] }))).toHaveLength(2);
  });

  it('answers an unknown in_tree provider with an empty result (rule 6)', () => {
    expect(e.getAllocationCandidates(one({ VCPU: 1 }, { inTree: uuid(999) }))).toEqual({ allocationRequests: [], providerSummaries: {} });
  });

  it('refuses a limit that is not a positive integer (rule 7)', () => {
    for (const limit of [0, -1, 1.5]) expect(bad({ ...one({ VCPU: 1 }), limit }).httpStatus).toBe(400);
  });

  it('requires group_policy with more than one suffixed group, resourceless ones included (rule 8)', () => {
    const two: CandidateQuery = { groups: [{ suffix: '1', resources: { VCPU: 1 } }, { suffix: '2', resources: { VCPU: 1 } }] };
    expect(bad(two)).toMatchObject({ httpStatus: 400 });
    const withResourceless: CandidateQuery = {
      groups: [{ suffix: '1', resources: { VCPU: 1 } }, { suffix: '2', required: [[NUMA]] }],
      sameSubtree: [['1', '2']],
    };
    expect(bad(withResourceless)).toMatchObject({ httpStatus: 400 });
    // One suffixed group (with or without the unsuffixed one) needs no policy.
    expect(candidates(e, { groups: [{ suffix: '', resources: { DISK_GB: 1 } }, { suffix: '1', resources: { VCPU: 1 } }] })).toHaveLength(2);
    expect(bad({ ...two, groupPolicy: 'sometimes' as 'none' })).toMatchObject({ httpStatus: 400 });
  });

  it('refuses a trait both required and forbidden in root_required with placement.query.bad_value (rule 9)', () => {
    expect(bad({ ...one({ VCPU: 1 }), rootRequired: [SSD], rootForbidden: [SSD] })).toMatchObject({
      httpStatus: 400,
      placementCode: 'placement.query.bad_value',
    });
  });

  it('refuses same_subtree naming the unsuffixed group or a missing suffix with placement.query.bad_value (rule 10)', () => {
    const groups: RequestGroup[] = [{ suffix: '', resources: { DISK_GB: 1 } }, { suffix: '_A', resources: { VCPU: 1 } }];
    expect(bad({ groups, sameSubtree: [['_A', '']] })).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
    expect(bad({ groups, sameSubtree: [['_A', '_B']] })).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
  });

  it('allows a resourceless suffixed group only inside same_subtree, never the unsuffixed one (rule 11)', () => {
    expect(
      bad({ groups: [{ suffix: '_A', resources: { VCPU: 1 } }, { suffix: '_B', required: [[NUMA]] }], groupPolicy: 'none' }),
    ).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
    expect(bad({ groups: [{ suffix: '', required: [[NUMA]] }, { suffix: '_A', resources: { VCPU: 1 } }] }).httpStatus).toBe(400);
    expect(bad({ groups: [{ suffix: '', memberOf: [[agg(1)]] }] }).httpStatus).toBe(400);
  });

  it('refuses a request whose groups are all resourceless with placement.query.missing_value (rule 11)', () => {
    const err = bad({ groups: [{ suffix: '_A', required: [[NUMA]] }], sameSubtree: [['_A']] });
    expect(err.httpStatus).toBe(400);
    expect(err.placementCode).toBe('placement.query.missing_value');
  });
});

describe('query string parsing (rules 1-11)', () => {
  const U1 = agg(1);
  const U2 = agg(2);
  const parseErr = (qs: string) => catchPlacementError(() => parseCandidateQuery(qs));

  it('parses every group kind, suffix and top-level key of microversion 1.39', () => {
    const q = parseCandidateQuery(
      `resources=VCPU:1,MEMORY_MB:256&required=${AVX2},!${SSD}&required=in:${NUMA},${SSE2}&member_of=${U1}&member_of=in:${U1},${U2}` +
        `&member_of=!${U2}&resources_NET=SRIOV_NET_VF:1&in_tree_NET=${uuid(5)}&required_NUMA=${NUMA}` +
        `&limit=5&group_policy=isolate&root_required=${SSD},!${DISABLED}&same_subtree=_NET,_NUMA`,
    );
    expect(q).toEqual({
      groups: [
        { suffix: '', resources: { VCPU: 1, MEMORY_MB: 256 }, required: [[AVX2], [NUMA, SSE2]], forbidden: [SSD], memberOf: [[U1], [U1, U2]], forbiddenAggregates: [U2] },
        { suffix: '_NET', resources: { SRIOV_NET_VF: 1 }, inTree: uuid(5) },
        { suffix: '_NUMA', required: [[NUMA]] },
      ],
      limit: 5,
      groupPolicy: 'isolate',
      rootRequired: [SSD],
      rootForbidden: [DISABLED],
      sameSubtree: [['_NET', '_NUMA']],
    });
  });

  it('refuses unknown keys and malformed suffixes (rule 1)', () => {
    expect(parseErr('resources=VCPU:1&foo=bar').httpStatus).toBe(400);
    expect(parseErr(`resources=VCPU:1&resources${'x'.repeat(65)}=VCPU:1`).httpStatus).toBe(400);
    expect(parseCandidateQuery(`resources${'x'.repeat(64)}=VCPU:1`).groups[0]?.suffix).toBe('x'.repeat(64));
  });

  it('refuses badly formed resources and keeps the last amount of a repeated class (rule 2)', () => {
    for (const v of ['', 'VCPU', 'VCPU:', 'VCPU:x', 'VCPU:1.5', 'VCPU:0', 'VCPU:-1', 'vcpu:1']) {
      expect(parseErr(`resources=${v}`).httpStatus).toBe(400);
    }
    expect(parseCandidateQuery('resources=VCPU:1,VCPU:3').groups[0]?.resources).toEqual({ VCPU: 3 });
  });

  it('parses forbidden (any number of !), in: lists and repeated required, and refuses ! inside in: (rule 3)', () => {
    expect(parseCandidateQuery(`resources=VCPU:1&required=!!!${AVX2}`).groups[0]?.forbidden).toEqual([AVX2]);
    expect(parseCandidateQuery(`resources=VCPU:1&required=${AVX2}&required=${SSE2}`).groups[0]?.required).toEqual([[AVX2], [SSE2]]);
    expect(parseErr(`resources=VCPU:1&required=in:${AVX2},!${SSE2}`).httpStatus).toBe(400);
    expect(parseErr(`resources=VCPU:1&required=in:${AVX2},`).httpStatus).toBe(400);
    expect(parseErr(`resources=VCPU:1&required=${AVX2},,${SSE2}`).httpStatus).toBe(400);
  });

  it('refuses a trait both required and forbidden in one group (rule 4)', () => {
    expect(parseErr(`resources=VCPU:1&required=${AVX2},!${AVX2}`).httpStatus).toBe(400);
    // Split over two values, the engine finds the conflict.
    const { e } = nested();
    const q = parseCandidateQuery(`resources=VCPU:1&required=${AVX2}&required=!${AVX2}`);
    expect(catchPlacementError(() => e.getAllocationCandidates(q)).httpStatus).toBe(400);
  });

  it('refuses member_of lists without in:, and non-uuid aggregates (rule 5)', () => {
    expect(parseErr(`resources=VCPU:1&member_of=${U1},${U2}`).httpStatus).toBe(400);
    expect(parseErr('resources=VCPU:1&member_of=not-a-uuid').httpStatus).toBe(400);
    expect(parseErr('resources=VCPU:1&member_of=in:').httpStatus).toBe(400);
    expect(parseCandidateQuery(`resources=VCPU:1&member_of=!in:${U1},${U2}&member_of=!${agg(3)}`).groups[0]?.forbiddenAggregates).toEqual([U1, U2, agg(3)]);
  });

  it('refuses an in_tree that is not a uuid (rule 6)', () => {
    expect(parseErr('resources=VCPU:1&in_tree=not-a-uuid').httpStatus).toBe(400);
  });

  it('accepts a positive limit, the first of repeated ones, and refuses others (rule 7)', () => {
    expect(parseCandidateQuery('resources=VCPU:1&limit=3&limit=9').limit).toBe(3);
    for (const v of ['0', '-1', '01', '1.5', 'x']) expect(parseErr(`resources=VCPU:1&limit=${v}`).httpStatus).toBe(400);
  });

  it('accepts group_policy none or isolate only (rule 8)', () => {
    expect(parseErr('resources=VCPU:1&group_policy=sometimes').httpStatus).toBe(400);
    expect(parseCandidateQuery('resources=VCPU:1&group_policy=none').groupPolicy).toBe('none');
  });

  it('refuses a repeated root_required (duplicate_key), in: and an overlap (bad_value) (rule 9)', () => {
    expect(parseErr(`resources=VCPU:1&root_required=${SSD}&root_required=${AVX2}`)).toMatchObject({
      httpStatus: 400,
      placementCode: 'placement.query.duplicate_key',
    });
    expect(parseErr(`resources=VCPU:1&root_required=in:${SSD},${AVX2}`).httpStatus).toBe(400);
    expect(parseErr(`resources=VCPU:1&root_required=${SSD},!${SSD}`)).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
  });

  it('refuses an empty same_subtree element with bad_value, and keeps repeats separate (rule 10)', () => {
    expect(parseErr('resources_A=VCPU:1&same_subtree=_A,')).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.bad_value' });
    expect(parseCandidateQuery('resources_A=VCPU:1&resources_B=VCPU:1&same_subtree=_A,_B&same_subtree=_B').sameSubtree).toEqual([['_A', '_B'], ['_B']]);
  });

  it('refuses a request in which no group asks for resources with missing_value (rule 11)', () => {
    expect(parseErr(`required_A=${NUMA}&same_subtree=_A`)).toMatchObject({ httpStatus: 400, placementCode: 'placement.query.missing_value' });
  });

  it('round-trips through formatCandidateQuery', () => {
    const q: CandidateQuery = {
      groups: [
        { suffix: '', resources: { VCPU: 1 }, required: [[AVX2], [NUMA, SSE2]], forbidden: [SSD], memberOf: [[U1, U2]], forbiddenAggregates: [agg(3)] },
        { suffix: '_X', resources: { DISK_GB: 5 }, inTree: uuid(3) },
      ],
      limit: 2,
      groupPolicy: 'none',
      rootRequired: [SSD],
      sameSubtree: [['_X']],
    };
    expect(parseCandidateQuery(formatCandidateQuery(q))).toEqual(q);
  });
});

describe('the unsuffixed group (rules 12, 16)', () => {
  it('spreads its resource classes over the providers of one nested tree', () => {
    const { e } = nested();
    expect(candidates(e, one({ VCPU: 1, MEMORY_MB: 1024, DISK_GB: 10 }))).toEqual(
      sorted([
        "cn{DISK_GB:10} numa0{MEMORY_MB:1024,VCPU:1} | '':cn,numa0",
        "cn{DISK_GB:10} numa0{VCPU:1} numa1{MEMORY_MB:1024} | '':cn,numa0,numa1",
        "cn{DISK_GB:10} numa0{MEMORY_MB:1024} numa1{VCPU:1} | '':cn,numa0,numa1",
        "cn{DISK_GB:10} numa1{MEMORY_MB:1024,VCPU:1} | '':cn,numa1",
      ]),
    );
  });

  it('never splits one amount over two providers', () => {
    const { e } = nested();
    expect(candidates(e, one({ VCPU: 5 }))).toEqual([]);
    expect(candidates(e, one({ VCPU: 4 }))).toHaveLength(2);
  });

  it('never spans two unrelated trees', () => {
    const e = newEngine();
    addProvider(e, 'cpuOnly', { inventories: { VCPU: { total: 8 } } });
    addProvider(e, 'memOnly', { inventories: { MEMORY_MB: { total: 8192 } } });
    expect(candidates(e, one({ VCPU: 1, MEMORY_MB: 512 }))).toEqual([]);
    expect(candidates(e, one({ VCPU: 1 }))).toEqual(["cpuOnly{VCPU:1} | '':cpuOnly"]);
  });

  it('gives one candidate set per tree when several trees qualify', () => {
    const e = newEngine();
    nested(e, 'a-');
    nested(e, 'b-');
    const got = candidates(e, one({ VCPU: 1, DISK_GB: 10 }));
    expect(got).toEqual(
      sorted([
        "a-cn{DISK_GB:10} a-numa0{VCPU:1} | '':a-cn,a-numa0",
        "a-cn{DISK_GB:10} a-numa1{VCPU:1} | '':a-cn,a-numa1",
        "b-cn{DISK_GB:10} b-numa0{VCPU:1} | '':b-cn,b-numa0",
        "b-cn{DISK_GB:10} b-numa1{VCPU:1} | '':b-cn,b-numa1",
      ]),
    );
  });
});

describe('granular groups (rule 13)', () => {
  it('takes all resource classes of a group from one provider', () => {
    const { e } = nested();
    expect(candidates(e, { groups: [{ suffix: '1', resources: { VCPU: 1, MEMORY_MB: 1024 } }] })).toEqual(
      sorted(["numa0{MEMORY_MB:1024,VCPU:1} | 1:numa0", "numa1{MEMORY_MB:1024,VCPU:1} | 1:numa1"]),
    );
  });

  it('finds nothing when no single provider has every class, while the unsuffixed group spreads', () => {
    const e = newEngine();
    const root = addProvider(e, 'cn', {});
    addProvider(e, 'cpu', { parent: root, inventories: { VCPU: { total: 4 } } });
    addProvider(e, 'mem', { parent: root, inventories: { MEMORY_MB: { total: 4096 } } });
    expect(candidates(e, { groups: [{ suffix: '1', resources: { VCPU: 1, MEMORY_MB: 256 } }] })).toEqual([]);
    expect(candidates(e, one({ VCPU: 1, MEMORY_MB: 256 }))).toEqual(["cpu{VCPU:1} mem{MEMORY_MB:256} | '':cpu,mem"]);
  });

  it('keeps every group of a candidate in one tree', () => {
    const e = newEngine();
    addProvider(e, 'cpuHost', { inventories: { VCPU: { total: 4 } } });
    addProvider(e, 'gpuHost', { inventories: { VGPU: { total: 4 } } });
    expect(candidates(e, { groups: [{ suffix: '1', resources: { VCPU: 1 } }, { suffix: '2', resources: { VGPU: 1 } }], groupPolicy: 'none' })).toEqual([]);
  });
});

describe('sharing providers (rules 14, 33, 38)', () => {
  it('serves a Ceph pool to the four hosts of its aggregate: VCPU/MEMORY from the host, DISK from the pool', () => {
    const { e } = ceph();
    const res = e.getAllocationCandidates(one(VM));
    expect(render(e, res)).toEqual(
      [1, 2, 3, 4].map((i) => `host${i}{MEMORY_MB:2048,VCPU:2} pool{DISK_GB:100} | '':host${i},pool`),
    );
    expect(summaryNames(e, res)).toEqual(['host1', 'host2', 'host3', 'host4', 'pool']);
    expect(res.providerSummaries[uuid(100)]).toEqual({
      resources: { DISK_GB: { capacity: 10000, used: 0 } },
      traits: [SHARES],
      parentProviderUuid: null,
      rootProviderUuid: uuid(100),
    });
  });

  it('keeps serving as the pool fills, and stops when it is full', () => {
    const { e, ids } = ceph();
    e.setAllocations({
      consumerUuid: consumer(1),
      allocations: { [ids.host1 as string]: { VCPU: 2, MEMORY_MB: 2048 }, [ids.pool as string]: { DISK_GB: 9900 } },
      projectId: PROJECT,
      userId: USER,
      consumerGeneration: null,
    });
    const res = e.getAllocationCandidates(one(VM));
    expect(res.allocationRequests).toHaveLength(4);
    expect(res.providerSummaries[uuid(100)]?.resources.DISK_GB).toEqual({ capacity: 10000, used: 9900 });
    expect(res.providerSummaries[uuid(1)]?.resources).toEqual({ VCPU: { capacity: 16, used: 2 }, MEMORY_MB: { capacity: 32768, used: 2048 } });
    expect(candidates(e, one({ ...VM, DISK_GB: 101 }))).toEqual([]);
  });

  it('collapses a sharing-only result reached from every anchor into one, and summarises only its tree', () => {
    const { e } = ceph();
    const res = e.getAllocationCandidates(one({ DISK_GB: 100 }));
    expect(render(e, res)).toEqual(["pool{DISK_GB:100} | '':pool"]);
    expect(summaryNames(e, res)).toEqual(['pool']);
  });

  it('offers both the local disk and the shared pool to a host that has both', () => {
    const { e, ids } = ceph();
    e.addInventory(ids.host1 as string, null, 'DISK_GB', { total: 500 });
    const got = candidates(e, one(VM)).filter((c) => c.includes('host1'));
    expect(got).toEqual(
      sorted(["host1{DISK_GB:100,MEMORY_MB:2048,VCPU:2} | '':host1", "host1{MEMORY_MB:2048,VCPU:2} pool{DISK_GB:100} | '':host1,pool"]),
    );
  });

  it('does not share a provider without MISC_SHARES_VIA_AGGREGATE, even in the same aggregate', () => {
    const { e, ids } = ceph();
    e.setProviderTraits(ids.pool as string, null, []);
    expect(candidates(e, one(VM))).toEqual([]);
    expect(candidates(e, one({ DISK_GB: 100 }))).toEqual(["pool{DISK_GB:100} | '':pool"]);
  });

  it('does not share a sharing provider that is in no aggregate beyond its own tree', () => {
    const { e, ids } = ceph();
    e.setAggregates(ids.pool as string, null, []);
    expect(candidates(e, one(VM))).toEqual([]);
    expect(candidates(e, one({ DISK_GB: 100 }))).toEqual(["pool{DISK_GB:100} | '':pool"]);
  });

  it('anchors to the root of a nested provider that shares the aggregate', () => {
    const e = newEngine();
    const cn = addProvider(e, 'cn', {});
    addProvider(e, 'numa0', { parent: cn, inventories: { VCPU: { total: 4 } }, aggregates: [CEPH_AGG] });
    addProvider(e, 'numa1', { parent: cn, inventories: { VCPU: { total: 4 } } });
    addProvider(e, 'pool', { inventories: { DISK_GB: { total: 1000 } }, traits: [SHARES], aggregates: [CEPH_AGG] });
    // The whole tree of cn is anchored, so numa1 (in no aggregate) can pair with the pool too.
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 10 }))).toEqual(
      sorted(["numa0{VCPU:1} pool{DISK_GB:10} | '':numa0,pool", "numa1{VCPU:1} pool{DISK_GB:10} | '':numa1,pool"]),
    );
  });

  it('does not chain sharing: a pool sharing only with another pool does not reach that pool’s hosts', () => {
    const e = newEngine();
    addProvider(e, 'host', { inventories: { VCPU: { total: 4 } }, aggregates: [agg(1)] });
    addProvider(e, 'poolA', { inventories: { DISK_GB: { total: 100 } }, traits: [SHARES], aggregates: [agg(1), agg(2)] });
    addProvider(e, 'poolB', { inventories: { IPV4_ADDRESS: { total: 10 } }, traits: [SHARES], aggregates: [agg(2)] });
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 1 }))).toEqual(["host{VCPU:1} poolA{DISK_GB:1} | '':host,poolA"]);
    expect(candidates(e, one({ VCPU: 1, IPV4_ADDRESS: 1 }))).toEqual([]);
    // poolA's own tree is anchored to poolB.
    expect(candidates(e, one({ DISK_GB: 1, IPV4_ADDRESS: 1 }))).toEqual(["poolA{DISK_GB:1} poolB{IPV4_ADDRESS:1} | '':poolA,poolB"]);
  });

  it('combines the host with several sharing providers anchored to it (rule 12)', () => {
    const { e } = ceph();
    addProvider(e, 'ips', { inventories: { IPV4_ADDRESS: { total: 64 } }, traits: [SHARES], aggregates: [CEPH_AGG] });
    expect(candidates(e, one({ ...VM, IPV4_ADDRESS: 1 }))).toEqual(
      [1, 2, 3, 4].map((i) => `host${i}{MEMORY_MB:2048,VCPU:2} ips{IPV4_ADDRESS:1} pool{DISK_GB:100} | '':host${i},ips,pool`),
    );
  });

  it('lets a granular group be served by a sharing provider, anchored to each host (rule 13)', () => {
    const { e } = ceph();
    const q: CandidateQuery = { groups: [{ suffix: '', resources: { VCPU: 2 } }, { suffix: '_DISK', resources: { DISK_GB: 100 } }] };
    expect(candidates(e, q)).toEqual([1, 2, 3, 4].map((i) => `host${i}{VCPU:2} pool{DISK_GB:100} | '':host${i} _DISK:pool`));
  });
});

describe('in_tree (rule 15)', () => {
  it('restricts the unsuffixed group to one tree, without sharing providers of other trees', () => {
    const { e, ids } = ceph();
    expect(candidates(e, one(VM, { inTree: ids.host2 }))).toEqual([]);
    expect(candidates(e, one({ VCPU: 2 }, { inTree: ids.host2 }))).toEqual(["host2{VCPU:2} | '':host2"]);
    expect(candidates(e, one({ DISK_GB: 1 }, { inTree: ids.pool }))).toEqual(["pool{DISK_GB:1} | '':pool"]);
  });

  it('selects the whole tree when given a non-root provider', () => {
    const { e, ids } = nested();
    expect(candidates(e, one({ DISK_GB: 10, VCPU: 1 }, { inTree: ids.numa1 }))).toHaveLength(2);
  });

  it('restricts a granular group to providers of that tree', () => {
    const { e, ids } = ceph();
    const q: CandidateQuery = { groups: [{ suffix: '', resources: { MEMORY_MB: 1024 } }, { suffix: '1', resources: { VCPU: 1 }, inTree: ids.host3 }] };
    expect(candidates(e, q)).toEqual(["host3{MEMORY_MB:1024,VCPU:1} | '':host3 1:host3"]);
    // A granular group pinned to a host's tree cannot use the pool of another tree.
    const disk: CandidateQuery = { groups: [{ suffix: '', resources: { VCPU: 1 } }, { suffix: '1', resources: { DISK_GB: 1 }, inTree: ids.host3 }] };
    expect(candidates(e, disk)).toEqual([]);
  });
});

describe('traits (rules 17-20)', () => {
  it('checks a granular group’s traits on its own provider only (rule 17)', () => {
    const { e } = nested();
    const g = (extra: Omit<RequestGroup, 'suffix' | 'resources'>): CandidateQuery => ({ groups: [{ suffix: '1', resources: { VCPU: 1 }, ...extra }] });
    expect(candidates(e, g({ required: [[AVX2]] }))).toEqual(['numa0{VCPU:1} | 1:numa0']);
    expect(candidates(e, g({ forbidden: [AVX2] }))).toEqual(['numa1{VCPU:1} | 1:numa1']);
    // The root's trait does not count for the granular provider.
    expect(candidates(e, g({ required: [[SSD]] }))).toEqual([]);
    // in: any-of, and AND between lists.
    expect(candidates(e, g({ required: [[AVX2, SSD]] }))).toEqual(['numa0{VCPU:1} | 1:numa0']);
    expect(candidates(e, g({ required: [[AVX2, NUMA]] }))).toHaveLength(2);
    expect(candidates(e, g({ required: [[NUMA], [AVX2, SSE2]] }))).toEqual(['numa0{VCPU:1} | 1:numa0']);
  });

  it('checks the unsuffixed group’s required traits collectively over its suppliers (rule 18)', () => {
    const { e } = nested();
    // AVX2 comes from numa0 (VCPU), SSD from cn (DISK): together they satisfy the group.
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 10 }, { required: [[AVX2], [SSD]] }))).toEqual([
      "cn{DISK_GB:10} numa0{VCPU:1} | '':cn,numa0",
    ]);
    // The root carries SSD but supplies nothing here, so it does not count.
    expect(candidates(e, one({ VCPU: 1 }, { required: [[SSD]] }))).toEqual([]);
    // in: on the unsuffixed group.
    expect(candidates(e, one({ VCPU: 1 }, { required: [[AVX2, SSE2]] }))).toEqual(["numa0{VCPU:1} | '':numa0"]);
    // Sharing providers count too.
    const { e: c, ids } = ceph();
    c.setProviderTraits(ids.pool as string, null, [SHARES, SSD]);
    expect(candidates(c, one(VM, { required: [[SSD]] }))).toHaveLength(4);
  });

  it('refuses a supplier of the unsuffixed group that has a forbidden trait, ignoring non-suppliers (rule 19)', () => {
    const { e } = nested();
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 10 }, { forbidden: [AVX2] }))).toEqual(["cn{DISK_GB:10} numa1{VCPU:1} | '':cn,numa1"]);
    // The root has SSD, but supplies nothing to this request.
    expect(candidates(e, one({ VCPU: 1 }, { forbidden: [SSD] }))).toHaveLength(2);
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 10 }, { forbidden: [SSD] }))).toEqual([]);
  });

  it('never lets a trait of one group satisfy another (rule 20)', () => {
    const { e } = nested();
    const q: CandidateQuery = {
      groups: [
        { suffix: '', resources: { DISK_GB: 10 }, required: [[AVX2]] },
        { suffix: '1', resources: { VCPU: 1 }, required: [[AVX2]] },
      ],
    };
    expect(candidates(e, q)).toEqual([]);
    const ok: CandidateQuery = { groups: [{ suffix: '', resources: { DISK_GB: 10 }, required: [[SSD]] }, { suffix: '1', resources: { VCPU: 1 }, required: [[AVX2]] }] };
    expect(candidates(e, ok)).toEqual(["cn{DISK_GB:10} numa0{VCPU:1} | '':cn 1:numa0"]);
  });
});

describe('member_of (rules 22-25)', () => {
  /** nested() with cn in ROOT_AGG and numa0 in N0_AGG. */
  const ROOT_AGG = agg(10);
  const N0_AGG = agg(11);
  function withAggs(): { e: PlacementEngine; ids: Ids } {
    const t = nested();
    t.e.setAggregates(t.ids.cn as string, null, [ROOT_AGG]);
    t.e.setAggregates(t.ids.numa0 as string, null, [N0_AGG]);
    return t;
  }

  it('requires a granular group’s provider itself to be in the aggregates (rule 22)', () => {
    const { e } = withAggs();
    const g = (extra: Omit<RequestGroup, 'suffix' | 'resources'>): CandidateQuery => ({ groups: [{ suffix: '1', resources: { VCPU: 1 }, ...extra }] });
    expect(candidates(e, g({ memberOf: [[N0_AGG]] }))).toEqual(['numa0{VCPU:1} | 1:numa0']);
    expect(candidates(e, g({ memberOf: [[ROOT_AGG]] }))).toEqual([]);
    expect(candidates(e, g({ memberOf: [[agg(99), N0_AGG]] }))).toEqual(['numa0{VCPU:1} | 1:numa0']);
    expect(candidates(e, g({ forbiddenAggregates: [N0_AGG] }))).toEqual(['numa1{VCPU:1} | 1:numa1']);
    // The root's forbidden aggregate does not exclude a granular provider.
    expect(candidates(e, g({ forbiddenAggregates: [ROOT_AGG] }))).toHaveLength(2);
  });

  it('accepts a supplier of the unsuffixed group when it or its root is in the aggregates (rule 23)', () => {
    const { e } = withAggs();
    expect(candidates(e, one({ VCPU: 1 }, { memberOf: [[ROOT_AGG]] }))).toHaveLength(2);
    expect(candidates(e, one({ VCPU: 1 }, { memberOf: [[N0_AGG]] }))).toEqual(["numa0{VCPU:1} | '':numa0"]);
    // A mix (provider in one, root in the other) does not pass.
    expect(candidates(e, one({ VCPU: 1 }, { memberOf: [[ROOT_AGG], [N0_AGG]] }))).toEqual([]);
  });

  it('drops a supplier of the unsuffixed group when it or its root is in a forbidden aggregate (rule 23)', () => {
    const { e } = withAggs();
    expect(candidates(e, one({ VCPU: 1 }, { forbiddenAggregates: [ROOT_AGG] }))).toEqual([]);
    expect(candidates(e, one({ VCPU: 1 }, { forbiddenAggregates: [N0_AGG] }))).toEqual(["numa1{VCPU:1} | '':numa1"]);
  });

  it('requires a sharing supplier itself to be in the aggregates (rule 24)', () => {
    const { e, ids } = ceph();
    const A2 = agg(2);
    e.setAggregates(ids.host1 as string, null, [CEPH_AGG, A2]);
    expect(candidates(e, one(VM, { memberOf: [[A2]] }))).toEqual([]);
    e.setAggregates(ids.pool as string, null, [CEPH_AGG, A2]);
    expect(candidates(e, one(VM, { memberOf: [[A2]] }))).toEqual(["host1{MEMORY_MB:2048,VCPU:2} pool{DISK_GB:100} | '':host1,pool"]);
    expect(candidates(e, one(VM, { memberOf: [[CEPH_AGG]] }))).toHaveLength(4);
  });

  it('drops a sharing supplier when the anchor root is in a forbidden aggregate (rule 24)', () => {
    const { e, ids } = ceph();
    e.setAggregates(ids.host2 as string, null, [CEPH_AGG, agg(3)]);
    const q: CandidateQuery = {
      groups: [
        { suffix: '', resources: { DISK_GB: 100 }, forbiddenAggregates: [agg(3)] },
        { suffix: '1', resources: { VCPU: 1 } },
      ],
    };
    expect(candidates(e, q)).toEqual([1, 3, 4].map((i) => `host${i}{VCPU:1} pool{DISK_GB:100} | '':pool 1:host${i}`));
    // And when the pool itself is in the forbidden aggregate, nobody gets it.
    e.setAggregates(ids.pool as string, null, [CEPH_AGG, agg(3)]);
    expect(candidates(e, q)).toEqual([]);
  });

  it('drops a nested sharing provider serving its own tree whose root is in a forbidden aggregate (rule 24)', () => {
    const e = newEngine();
    const root = addProvider(e, 'R', { aggregates: [agg(9)] });
    addProvider(e, 'S', { parent: root, inventories: { DISK_GB: { total: 100 } }, traits: [SHARES], aggregates: [agg(8)] });
    addProvider(e, 'P', { parent: root, inventories: { VGPU: { total: 8 } } });
    expect(candidates(e, one({ VGPU: 1 }, { forbiddenAggregates: [agg(9)] }))).toEqual([]);
    expect(candidates(e, one({ DISK_GB: 1 }, { forbiddenAggregates: [agg(9)] }))).toEqual([]);
  });

  it('answers empty when a positive member_of matches no provider at all (rule 25)', () => {
    const { e } = withAggs();
    expect(e.getAllocationCandidates(one({ VCPU: 1 }, { memberOf: [[agg(50)]] }))).toEqual({ allocationRequests: [], providerSummaries: {} });
    e.createProvider({ name: 'lonely', uuid: uuid(500) });
    e.setAggregates(uuid(500), null, [agg(50)]);
    expect(candidates(e, one({ VCPU: 1 }, { memberOf: [[agg(50)]] }))).toEqual([]);
  });
});

describe('root_required (rule 26)', () => {
  it('keeps only candidates whose anchor root has every required and no forbidden trait', () => {
    const e = newEngine();
    nested(e, 'a-');
    const { ids } = nested(e, 'b-');
    e.setProviderTraits(ids.cn as string, null, [DISABLED]);
    const q = one({ VCPU: 1 });
    expect(candidates(e, { ...q, rootForbidden: [DISABLED] })).toEqual(["a-numa0{VCPU:1} | '':a-numa0", "a-numa1{VCPU:1} | '':a-numa1"]);
    expect(candidates(e, { ...q, rootRequired: [SSD] })).toEqual(["a-numa0{VCPU:1} | '':a-numa0", "a-numa1{VCPU:1} | '':a-numa1"]);
    expect(candidates(e, { ...q, rootRequired: [DISABLED] })).toEqual(["b-numa0{VCPU:1} | '':b-numa0", "b-numa1{VCPU:1} | '':b-numa1"]);
    // Only children have HW_NUMA_ROOT: no root matches.
    expect(e.getAllocationCandidates({ ...q, rootRequired: [NUMA] })).toEqual({ allocationRequests: [], providerSummaries: {} });
  });

  it('checks the anchor tree’s root, not the sharing provider’s root', () => {
    const { e, ids } = ceph();
    e.setProviderTraits(ids.host1 as string, null, [AVX2]);
    e.setProviderTraits(ids.host2 as string, null, [DISABLED]);
    expect(candidates(e, { ...one(VM), rootRequired: [AVX2] })).toEqual(["host1{MEMORY_MB:2048,VCPU:2} pool{DISK_GB:100} | '':host1,pool"]);
    expect(candidates(e, { ...one(VM), rootForbidden: [DISABLED] })).toHaveLength(3);
    // The pool's own root lacks AVX2, yet a pool-only result anchored at host1 stays.
    expect(candidates(e, { ...one({ DISK_GB: 1 }), rootRequired: [AVX2] })).toEqual(["pool{DISK_GB:1} | '':pool"]);
  });
});

describe('same_subtree and resourceless groups (rules 21, 27, 28)', () => {
  /**
   *   cn
   *   ├── numa0  VCPU 4        [HW_NUMA_ROOT]
   *   │   └── nic0  SRIOV_NET_VF 8
   *   └── numa1  VCPU 4        [HW_NUMA_ROOT]
   *       └── nic1  SRIOV_NET_VF 8
   */
  function numaNics(): PlacementEngine {
    const e = newEngine();
    const cn = addProvider(e, 'cn', {});
    for (const i of [0, 1]) {
      const numa = addProvider(e, `numa${i}`, { parent: cn, inventories: { VCPU: { total: 4 } }, traits: [NUMA] });
      addProvider(e, `nic${i}`, { parent: numa, inventories: { SRIOV_NET_VF: { total: 8 } } });
    }
    return e;
  }
  const NET: RequestGroup = { suffix: '_NET', resources: { SRIOV_NET_VF: 1 } };
  const CPU: RequestGroup = { suffix: '_CPU', resources: { VCPU: 1 } };
  const NUMA_GROUP: RequestGroup = { suffix: '_NUMA', required: [[NUMA]] };

  it('keeps only combinations where one provider is an ancestor-or-self of the others', () => {
    const e = numaNics();
    expect(candidates(e, { groups: [NET, CPU], groupPolicy: 'none' })).toHaveLength(4);
    expect(candidates(e, { groups: [NET, CPU], groupPolicy: 'none', sameSubtree: [['_NET', '_CPU']] })).toEqual(
      sorted(['nic0{SRIOV_NET_VF:1} numa0{VCPU:1} | _CPU:numa0 _NET:nic0', 'nic1{SRIOV_NET_VF:1} numa1{VCPU:1} | _CPU:numa1 _NET:nic1']),
    );
  });

  it('maps a resourceless group without allocating anything for it', () => {
    const e = numaNics();
    const q: CandidateQuery = { groups: [{ suffix: '', resources: { VCPU: 1 } }, NET, NUMA_GROUP], groupPolicy: 'none', sameSubtree: [['_NET', '_NUMA']] };
    expect(candidates(e, q)).toEqual(
      sorted([
        "nic0{SRIOV_NET_VF:1} numa0{VCPU:1} | '':numa0 _NET:nic0 _NUMA:numa0",
        "nic0{SRIOV_NET_VF:1} numa1{VCPU:1} | '':numa1 _NET:nic0 _NUMA:numa0",
        "nic1{SRIOV_NET_VF:1} numa0{VCPU:1} | '':numa0 _NET:nic1 _NUMA:numa1",
        "nic1{SRIOV_NET_VF:1} numa1{VCPU:1} | '':numa1 _NET:nic1 _NUMA:numa1",
      ]),
    );
  });

  it('lets a resourceless group without filters match any provider of the subtree', () => {
    const e = numaNics();
    const q: CandidateQuery = { groups: [NET, { suffix: '_ANY' }], groupPolicy: 'none', sameSubtree: [['_NET', '_ANY']] };
    // nic_i pairs with itself, its NUMA node and the root, never with the other branch.
    expect(candidates(e, q)).toEqual(
      sorted(
        [0, 1].flatMap((i) =>
          [`cn`, `numa${i}`, `nic${i}`].map((any) => `nic${i}{SRIOV_NET_VF:1} | _ANY:${any} _NET:nic${i}`),
        ),
      ),
    );
  });

  it('checks each same_subtree list independently, and counts resourceless groups under isolate', () => {
    const e = numaNics();
    const groups = [NET, CPU, NUMA_GROUP];
    const sameSubtree = [['_NET', '_NUMA'], ['_CPU', '_NUMA']];
    expect(candidates(e, { groups, groupPolicy: 'none', sameSubtree })).toEqual(
      sorted([
        'nic0{SRIOV_NET_VF:1} numa0{VCPU:1} | _CPU:numa0 _NET:nic0 _NUMA:numa0',
        'nic1{SRIOV_NET_VF:1} numa1{VCPU:1} | _CPU:numa1 _NET:nic1 _NUMA:numa1',
      ]),
    );
    // isolate: _CPU and _NUMA would have to be different providers, which same_subtree forbids.
    expect(candidates(e, { groups, groupPolicy: 'isolate', sameSubtree })).toEqual([]);
  });

  it('matches resourceless groups by member_of on the provider itself', () => {
    const e = numaNics();
    const numa1 = e.listProviders({ name: 'numa1' })[0]?.uuid as string;
    e.setAggregates(numa1, null, [agg(5)]);
    const q: CandidateQuery = {
      groups: [NET, { suffix: '_NUMA', memberOf: [[agg(5)]] }],
      groupPolicy: 'none',
      sameSubtree: [['_NET', '_NUMA']],
    };
    expect(candidates(e, q)).toEqual(['nic1{SRIOV_NET_VF:1} | _NET:nic1 _NUMA:numa1']);
  });
});

describe('group_policy and summed amounts (rules 28-30)', () => {
  const G1: RequestGroup = { suffix: '1', resources: { VCPU: 1 } };
  const G2: RequestGroup = { suffix: '2', resources: { VCPU: 1 } };

  it('lets suffixed groups share a provider with none, and sums their amounts', () => {
    const { e } = nested();
    expect(candidates(e, { groups: [G1, G2], groupPolicy: 'none' })).toEqual(
      sorted([
        'numa0{VCPU:2} | 1:numa0 2:numa0',
        'numa0{VCPU:1} numa1{VCPU:1} | 1:numa0 2:numa1',
        'numa0{VCPU:1} numa1{VCPU:1} | 1:numa1 2:numa0',
        'numa1{VCPU:2} | 1:numa1 2:numa1',
      ]),
    );
  });

  it('keeps suffixed groups on distinct providers with isolate', () => {
    const { e } = nested();
    expect(candidates(e, { groups: [G1, G2], groupPolicy: 'isolate' })).toEqual(
      sorted(['numa0{VCPU:1} numa1{VCPU:1} | 1:numa0 2:numa1', 'numa0{VCPU:1} numa1{VCPU:1} | 1:numa1 2:numa0']),
    );
  });

  it('lets the unsuffixed group overlap a suffixed one under isolate', () => {
    const { e } = nested();
    const got = candidates(e, { groups: [{ suffix: '', resources: { VCPU: 1 } }, G1], groupPolicy: 'isolate' });
    expect(got).toContain("numa0{VCPU:2} | '':numa0 1:numa0");
    expect(got).toHaveLength(4);
  });

  it('re-checks summed amounts against capacity', () => {
    const { e } = nested();
    const big = (s: string): RequestGroup => ({ suffix: s, resources: { VCPU: 3 } });
    expect(candidates(e, { groups: [big('1'), big('2')], groupPolicy: 'none' })).toEqual(
      sorted(['numa0{VCPU:3} numa1{VCPU:3} | 1:numa0 2:numa1', 'numa0{VCPU:3} numa1{VCPU:3} | 1:numa1 2:numa0']),
    );
  });

  it('re-checks summed amounts against max_unit and current usage', () => {
    const e = newEngine();
    const cn = addProvider(e, 'cn', { inventories: { VCPU: { total: 8, maxUnit: 3 } } });
    const two = (s: string): RequestGroup => ({ suffix: s, resources: { VCPU: 2 } });
    expect(candidates(e, { groups: [two('1')] })).toEqual(['cn{VCPU:2} | 1:cn']);
    // 2 + 2 = 4 > max_unit 3.
    expect(candidates(e, { groups: [two('1'), two('2')], groupPolicy: 'none' })).toEqual([]);
    expect(candidates(e, { groups: [{ suffix: '', resources: { VCPU: 1 } }, two('1')], groupPolicy: 'none' })).toEqual(["cn{VCPU:3} | '':cn 1:cn"]);
    // Usage: 5 used + 1 + 2 = 8 fits, 6 used does not.
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [cn]: { VCPU: 3 } }, projectId: PROJECT, userId: USER });
    e.setAllocations({ consumerUuid: consumer(2), allocations: { [cn]: { VCPU: 2 } }, projectId: PROJECT, userId: USER });
    expect(candidates(e, { groups: [{ suffix: '', resources: { VCPU: 1 } }, two('1')], groupPolicy: 'none' })).toHaveLength(1);
    e.setAllocations({ consumerUuid: consumer(3), allocations: { [cn]: { VCPU: 1 } }, projectId: PROJECT, userId: USER });
    expect(candidates(e, { groups: [{ suffix: '', resources: { VCPU: 1 } }, two('1')], groupPolicy: 'none' })).toEqual([]);
    expect(candidates(e, { groups: [two('1')] })).toEqual(['cn{VCPU:2} | 1:cn']);
  });
});

describe('fit per provider (rule 0.3)', () => {
  it('applies capacity, min_unit, max_unit and step_size to each candidate provider', () => {
    const e = newEngine();
    addProvider(e, 'full', { inventories: { MEMORY_MB: { total: 4096 } } });
    addProvider(e, 'reserved', { inventories: { MEMORY_MB: { total: 4096, reserved: 3584 } } });
    addProvider(e, 'bigMin', { inventories: { MEMORY_MB: { total: 4096, minUnit: 1024 } } });
    addProvider(e, 'smallMax', { inventories: { MEMORY_MB: { total: 4096, maxUnit: 256 } } });
    addProvider(e, 'step', { inventories: { MEMORY_MB: { total: 4096, stepSize: 384 } } });
    addProvider(e, 'ratio', { inventories: { MEMORY_MB: { total: 256, allocationRatio: 3 } } });
    const full = e.listProviders({ name: 'full' })[0]?.uuid as string;
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [full]: { MEMORY_MB: 3700 } }, projectId: PROJECT, userId: USER });
    expect(candidates(e, one({ MEMORY_MB: 512 }))).toEqual(["ratio{MEMORY_MB:512} | '':ratio", "reserved{MEMORY_MB:512} | '':reserved"]);
    expect(candidates(e, one({ MEMORY_MB: 768 }))).toEqual(["ratio{MEMORY_MB:768} | '':ratio", "step{MEMORY_MB:768} | '':step"]);
    expect(candidates(e, one({ MEMORY_MB: 1024 }))).toEqual(["bigMin{MEMORY_MB:1024} | '':bigMin"]);
  });

  it('finds nothing for a class no provider stocks', () => {
    const { e } = nested();
    expect(e.getAllocationCandidates(one({ VGPU: 1 }))).toEqual({ allocationRequests: [], providerSummaries: {} });
    expect(candidates(e, one({ VCPU: 1, VGPU: 1 }))).toEqual([]);
  });
});

describe('limit and order (rules 34, 35)', () => {
  function flat(n: number): PlacementEngine {
    const e = newEngine();
    for (let i = 0; i < n; i++) addProvider(e, `h${String(i).padStart(2, '0')}`, { uuid: uuid(i + 1), inventories: { VCPU: { total: 8 } } });
    return e;
  }

  it('answers in a deterministic order without a seed', () => {
    const e = flat(20);
    const a = e.getAllocationCandidates(one({ VCPU: 1 }));
    const b = e.getAllocationCandidates(one({ VCPU: 1 }));
    expect(a.allocationRequests).toHaveLength(20);
    expect(b).toEqual(a);
  });

  it('takes the first N with limit and summarises only the trees they use', () => {
    const e = flat(20);
    const all = e.getAllocationCandidates(one({ VCPU: 1 }));
    const five = e.getAllocationCandidates({ ...one({ VCPU: 1 }), limit: 5 });
    expect(five.allocationRequests).toEqual(all.allocationRequests.slice(0, 5));
    expect(Object.keys(five.providerSummaries).sort()).toEqual(five.allocationRequests.map((r) => Object.keys(r.allocations)[0]).sort());
    expect(e.getAllocationCandidates({ ...one({ VCPU: 1 }), limit: 100 }).allocationRequests).toHaveLength(20);
  });

  it('gives the same random order for the same seed, and another one for another seed', () => {
    const e = flat(20);
    const order = (seed: number, limit?: number): string[] =>
      e.getAllocationCandidates({ ...one({ VCPU: 1 }), rng: seededRng(seed), limit }).allocationRequests.map((r) => Object.keys(r.allocations)[0] as string);
    const deterministic = e.getAllocationCandidates(one({ VCPU: 1 })).allocationRequests.map((r) => Object.keys(r.allocations)[0] as string);
    expect(order(42)).toEqual(order(42));
    expect(sorted(order(42))).toEqual(sorted(deterministic));
    expect([1, 2, 3].some((s) => order(s).join() !== order(42).join())).toBe(true);
    expect(order(42).join()).not.toBe(deterministic.join());
    const sample = order(7, 5);
    expect(sample).toEqual(order(7, 5));
    expect(sample).toHaveLength(5);
    expect(new Set(sample).size).toBe(5);
    const res = e.getAllocationCandidates({ ...one({ VCPU: 1 }), rng: seededRng(7), limit: 5 });
    expect(Object.keys(res.providerSummaries).sort()).toEqual(sorted(sample));
  });
});

describe('provider summaries and mappings (rules 37, 38)', () => {
  it('summarises whole trees: every provider, every stocked class, traits, parent and root', () => {
    const { e, ids } = nested();
    const bmc = addProvider(e, 'bmc', { parent: ids.cn });
    e.updateInventory(ids.cn as string, e.requireProvider(ids.cn as string).generation, 'DISK_GB', { total: 10, reserved: 1, allocationRatio: 1.5 });
    e.setAllocations({ consumerUuid: consumer(1), allocations: { [ids.numa1 as string]: { MEMORY_MB: 512 } }, projectId: PROJECT, userId: USER });
    nested(e, 'other-'); // a tree no candidate uses
    const res = e.getAllocationCandidates(one({ VCPU: 1 }, { inTree: ids.cn }));
    expect(res.allocationRequests).toHaveLength(2);
    expect(summaryNames(e, res)).toEqual(['bmc', 'cn', 'numa0', 'numa1']);
    const s = res.providerSummaries;
    // capacity = trunc((10 - 1) * 1.5) = 13.
    expect(s[ids.cn as string]).toEqual({ resources: { DISK_GB: { capacity: 13, used: 0 } }, traits: [SSD], parentProviderUuid: null, rootProviderUuid: ids.cn });
    expect(s[bmc]).toEqual({ resources: {}, traits: [], parentProviderUuid: ids.cn, rootProviderUuid: ids.cn });
    expect(s[ids.numa0 as string]?.traits.slice().sort()).toEqual(sorted([AVX2, NUMA]));
    expect(s[ids.numa1 as string]).toEqual({
      resources: { VCPU: { capacity: 4, used: 0 }, MEMORY_MB: { capacity: 4096, used: 512 } },
      traits: [NUMA],
      parentProviderUuid: ids.cn,
      rootProviderUuid: ids.cn,
    });
  });

  it('lists in allocations only providers that supply something, and every supplier in the group mapping', () => {
    const { e, ids } = nested();
    const res = e.getAllocationCandidates({
      groups: [{ suffix: '', resources: { DISK_GB: 1, VCPU: 1 }, required: [[AVX2]] }, { suffix: '_M', resources: { MEMORY_MB: 256 }, inTree: ids.cn }],
      groupPolicy: 'none',
    });
    const req = res.allocationRequests.find((r) => r.mappings._M?.[0] === ids.numa1);
    expect(req).toEqual({
      allocations: {
        [ids.cn as string]: { resources: { DISK_GB: 1 } },
        [ids.numa0 as string]: { resources: { VCPU: 1 } },
        [ids.numa1 as string]: { resources: { MEMORY_MB: 256 } },
      },
      mappings: { '': expect.arrayContaining([ids.cn, ids.numa0]), _M: [ids.numa1] },
    });
    expect(req?.mappings['']).toHaveLength(2);
  });

  it('answers an empty result with empty summaries', () => {
    const { e } = nested();
    expect(e.getAllocationCandidates(one({ VCPU: 100 }))).toEqual({ allocationRequests: [], providerSummaries: {} });
  });
});

describe('perfload scenarios (rules 100-104)', () => {
  /** The nested-perfload tree of rule 102. */
  function perfloadTree(e: PlacementEngine, i: number): Ids {
    const ids: Ids = {};
    ids.cn1 = addProvider(e, `cn1-${i}`, { inventories: { DISK_GB: { total: 20480 } }, traits: ['COMPUTE_VOLUME_MULTI_ATTACH'] });
    ids.numa0 = addProvider(e, `numa0-${i}`, {
      parent: ids.cn1,
      inventories: { VCPU: { total: 4, reserved: 2 }, MEMORY_MB: { total: 2048, minUnit: 512, stepSize: 256 } },
      traits: [NUMA],
    });
    ids.fpga0 = addProvider(e, `fpga0-${i}`, { parent: ids.numa0, inventories: { FPGA: { total: 1 } } });
    ids.pgpu0 = addProvider(e, `pgpu0-${i}`, { parent: ids.numa0, inventories: { VGPU: { total: 8 } } });
    ids.numa1 = addProvider(e, `numa1-${i}`, {
      parent: ids.cn1,
      inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 2048, minUnit: 256, maxUnit: 1024 } },
      traits: [NUMA, 'CUSTOM_FOO'],
    });
    ids.fpga1_0 = addProvider(e, `fpga1_0-${i}`, { parent: ids.numa1, inventories: { FPGA: { total: 1 } } });
    ids.fpga1_1 = addProvider(e, `fpga1_1-${i}`, { parent: ids.numa1, inventories: { FPGA: { total: 1 } } });
    return ids;
  }
  const NESTED_QUERY: CandidateQuery = {
    groups: [
      { suffix: '', resources: { DISK_GB: 10 }, required: [['COMPUTE_VOLUME_MULTI_ATTACH']] },
      { suffix: '_COMPUTE', resources: { VCPU: 1, MEMORY_MB: 256 }, required: [['CUSTOM_FOO']] },
      { suffix: '_FPGA', resources: { FPGA: 1 } },
    ],
    groupPolicy: 'none',
    sameSubtree: [['_COMPUTE', '_FPGA']],
  };

  it('gives 2 candidates per tree for the nested perfload query, one fewer per allocation written', () => {
    const e = newEngine();
    const TREES = 5;
    for (let i = 0; i < TREES; i++) perfloadTree(e, i);
    const res = e.getAllocationCandidates(NESTED_QUERY);
    expect(render(e, res).filter((c) => c.includes('cn1-0{'))).toEqual(
      sorted([0, 1].map((f) => `cn1-0{DISK_GB:10} fpga1_${f}-0{FPGA:1} numa1-0{MEMORY_MB:256,VCPU:1} | '':cn1-0 _COMPUTE:numa1-0 _FPGA:fpga1_${f}-0`)),
    );
    expect(res.allocationRequests).toHaveLength(2 * TREES);
    expect(Object.keys(res.providerSummaries)).toHaveLength(7 * TREES);
    // numa0 is out for two reasons: no CUSTOM_FOO, and its min_unit 512 refuses 256 MB.
    e.setProviderTraits(e.listProviders({ name: 'numa0-0' })[0]?.uuid as string, null, [NUMA, 'CUSTOM_FOO']);
    expect(e.getAllocationCandidates(NESTED_QUERY).allocationRequests).toHaveLength(2 * TREES);

    for (let w = 1; w <= 3; w++) {
      const first = e.getAllocationCandidates({ ...NESTED_QUERY, limit: 5, rng: seededRng(w) }).allocationRequests[0];
      expect(first).toBeDefined();
      const allocations = Object.fromEntries(Object.entries(first?.allocations ?? {}).map(([u, { resources }]) => [u, resources]));
      e.setAllocations({ consumerUuid: consumer(w), allocations, projectId: PROJECT, userId: USER, consumerGeneration: null, consumerType: 'TEST' });
      expect(e.getAllocationCandidates(NESTED_QUERY).allocationRequests).toHaveLength(2 * TREES - w);
    }
  });

  it('gives every provider for the flat perfload query', () => {
    const e = newEngine();
    const A = '14a5c8a3-5a99-4e8f-88be-00d85fcb1c17';
    const B = '66d98e7c-3c25-485d-a0dc-1cea651884de';
    const C = 'a59dbb28-fd98-4c6e-9ec5-ae5f3d04b0aa';
    const aggCycle = [[A], [A, B], [A, B, C]];
    const traitCycle = [[AVX2], [AVX2, SSE2], [AVX2, SSE2, SSD]];
    const N = 30;
    for (let i = 0; i < N; i++) {
      addProvider(e, `rp${i}`, {
        inventories: {
          VCPU: { total: 32, maxUnit: 16 },
          MEMORY_MB: { total: 8192, minUnit: 128, maxUnit: 8192 },
          DISK_GB: { total: 8192, minUnit: 5, maxUnit: 8192 },
        },
        aggregates: aggCycle[i % 3],
        traits: traitCycle[(i + 1) % 3],
      });
    }
    const q = one({ VCPU: 1, DISK_GB: 10, MEMORY_MB: 256 }, { memberOf: [[A]], required: [[AVX2]] });
    const res = e.getAllocationCandidates(q);
    expect(res.allocationRequests).toHaveLength(N);
    expect(Object.keys(res.providerSummaries)).toHaveLength(N);
    // Aggregate B is on i % 3 in {1, 2}; SSE2 on i % 3 in {0, 1}: both on i % 3 == 1.
    expect(candidates(e, one({ VCPU: 1, DISK_GB: 10, MEMORY_MB: 256 }, { memberOf: [[B]], required: [[SSE2]] }))).toHaveLength(N / 3);
    expect(candidates(e, one({ VCPU: 17 }, { memberOf: [[C]] }))).toEqual([]); // above max_unit 16
  });
});
