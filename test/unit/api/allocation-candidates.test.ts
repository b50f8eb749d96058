import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CandidateJsonShape } from '../../../src/api/handlers/allocation-candidates-json.js';
import { candidatesJson, candidatesJsonBytes, candidatesObject } from '../../../src/api/handlers/allocation-candidates-json.js';
import { registerAllocationCandidates } from '../../../src/api/handlers/allocation-candidates.js';
import type { Reply, RequestContext } from '../../../src/api/context.js';
import { Microversion } from '../../../src/api/microversion.js';
import { Router } from '../../../src/api/router.js';
import type { PlacementEngine } from '../../../src/placement/engine.js';
import type { HttpAnswer, TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';
import { addProvider, agg, consumer, newEngine, uuid } from '../placement/fixtures.js';

const AVX2 = 'HW_CPU_X86_AVX2';
const SSE2 = 'HW_CPU_X86_SSE2';
const SSD = 'STORAGE_DISK_SSD';
const NUMA = 'HW_NUMA_ROOT';
const SHARES = 'MISC_SHARES_VIA_AGGREGATE';
const AGG1 = agg(1);
const AGG2 = agg(2);

interface Summary {
  resources: Record<string, { capacity: number; used: number }>;
  traits?: string[];
  parent_provider_uuid?: string | null;
  root_provider_uuid?: string;
}
interface DictRequest {
  allocations: Record<string, { resources: Record<string, number> }>;
  mappings?: Record<string, string[]>;
}
interface Answer<R = DictRequest> {
  allocation_requests: R[];
  provider_summaries: Record<string, Summary>;
}
interface ErrorBody {
  errors: { status: number; title: string; detail: string; code?: string; request_id: string }[];
}

async function candidates(p: TestPlacement, query: string, version: string): Promise<HttpAnswer> {
  return p.request('GET', `/allocation_candidates${query === '' ? '' : `?${query}`}`, { version });
}

async function ok<R = DictRequest>(p: TestPlacement, query: string, version = 'latest'): Promise<Answer<R>> {
  const r = await candidates(p, query, version);
  if (r.status !== 200) throw new Error(`GET ?${query} at ${version}: ${r.status} ${r.text}`);
  return r.body as Answer<R>;
}

/** Expects a 400 (or `status`) whose detail contains `detail`, with `code` shown from 1.23. */
async function refused(p: TestPlacement, query: string, version: string, detail: string, code?: string, status = 400): Promise<ErrorBody> {
  const r = await candidates(p, query, version);
  expect(r.status, `GET ?${query} at ${version}: ${r.text}`).toBe(status);
  const body = r.body as ErrorBody;
  expect(body.errors).toHaveLength(1);
  const e = body.errors[0] as ErrorBody['errors'][number];
  expect(e.status).toBe(status);
  expect(e.detail).toContain(detail);
  const [major, minor] = version === 'latest' ? [1, 39] : version.split('.').map(Number);
  if (new Microversion(major as number, minor as number).atLeast(1, 23)) expect(e.code).toBe(code ?? 'placement.undefined_code');
  else expect(e).not.toHaveProperty('code');
  return body;
}

/** Providers of each candidate, sorted, as "a+b"; candidates sorted. */
function providerSets(answer: Answer, names: Record<string, string>): string[] {
  return answer.allocation_requests
    .map((r) =>
      Object.keys(r.allocations)
        .map((u) => names[u] ?? u)
        .sort()
        .join('+'),
    )
    .sort();
}

function summaryNames(answer: Answer<unknown>, names: Record<string, string>): string[] {
  return Object.keys(answer.provider_summaries)
    .map((u) => names[u] ?? u)
    .sort();
}

function invert(ids: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
}

/**
 * A flat world:
 *   cn1  VCPU 8, MEMORY_MB 4096, DISK_GB 100   [AVX2]          agg1
 *   cn2  VCPU 4, MEMORY_MB 2048                [SSE2]          agg1, agg2
 *   cn3  VCPU 4, MEMORY_MB 2048                [AVX2, SSE2]    agg2
 */
function flatWorld(e: PlacementEngine): Record<string, string> {
  return {
    cn1: addProvider(e, 'cn1', {
      uuid: uuid(1),
      inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 }, DISK_GB: { total: 100 } },
      traits: [AVX2],
      aggregates: [AGG1],
    }),
    cn2: addProvider(e, 'cn2', { uuid: uuid(2), inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } }, traits: [SSE2], aggregates: [AGG1, AGG2] }),
    cn3: addProvider(e, 'cn3', { uuid: uuid(3), inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } }, traits: [AVX2, SSE2], aggregates: [AGG2] }),
  };
}

describe('GET /allocation_candidates: versions, schema and errors', () => {
  let p: TestPlacement;
  let ids: Record<string, string>;
  let names: Record<string, string>;
  beforeAll(async () => {
    p = await startTestPlacement({ engine: newEngine() });
    ids = flatWorld(p.engine);
    names = invert(ids);
  });
  afterAll(() => p.close());

  it('exists from 1.10 (404 below) and answers GET only', async () => {
    await refused(p, 'resources=VCPU:1', '1.9', 'The resource could not be found.', undefined, 404);
    expect((await candidates(p, 'resources=VCPU:1', '1.10')).status).toBe(200);
    const post = await p.request('POST', '/allocation_candidates', { version: 'latest', body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('needs the allocation_candidates:list policy, checked before the query', async () => {
    const r = await p.request('GET', '/allocation_candidates?bogus=1', { version: 'latest', token: 'someone' });
    expect(r.status).toBe(403);
    expect((r.body as ErrorBody).errors[0]?.detail).toContain('placement:allocation_candidates:list');
    const reader = await p.request('GET', '/allocation_candidates?resources=VCPU:1', {
      version: 'latest',
      token: 'someone',
      headers: { 'x-roles': 'reader', 'openstack-system-scope': 'all' },
    });
    expect(reader.status).toBe(200);
  });

  it('requires resources at 1.10–1.24 and refuses unknown keys', async () => {
    await refused(p, '', '1.10', "'resources' is a required property");
    await refused(p, 'required=HW_CPU_X86_AVX2', '1.17', "'resources' is a required property");
    await refused(p, 'resources=VCPU:1&colour=blue', '1.10', "Additional properties are not allowed ('colour' was unexpected)");
    await refused(p, 'resources=VCPU:1&colour=blue', '1.24', "('colour' was unexpected)", 'placement.undefined_code');
    await refused(p, 'resources=VCPU:1&colour=blue', '1.25', "'colour' does not match any of the regexes");
    await refused(p, 'resources=VCPU:1&colour=blue', 'latest', "'colour' does not match any of the regexes");
  });

  it('takes limit from 1.16, a positive integer', async () => {
    await refused(p, 'resources=VCPU:1&limit=1', '1.15', "('limit' was unexpected)");
    const limited = await ok(p, 'resources=VCPU:1&limit=1', '1.16');
    expect(limited.allocation_requests).toHaveLength(1);
    expect(Object.keys(limited.provider_summaries)).toHaveLength(1);
    await refused(p, 'resources=VCPU:1&limit=0', '1.16', "'0' does not match '^[1-9][0-9]*$'");
    await refused(p, 'resources=VCPU:1&limit=-1', 'latest', 'does not match');
    await refused(p, 'resources=VCPU:1&limit=two', 'latest', 'does not match');
    expect((await ok(p, 'resources=VCPU:1&limit=2&limit=1')).allocation_requests).toHaveLength(2);
  });

  it('takes required from 1.17, forbidden traits from 1.22', async () => {
    await refused(p, `resources=VCPU:1&required=${AVX2}`, '1.16', "('required' was unexpected)");
    expect(providerSets(await ok(p, `resources=VCPU:1&required=${AVX2}`, '1.17'), names)).toEqual(['cn1', 'cn3']);
    await refused(p, `resources=VCPU:1&required=!${AVX2}`, '1.21', "Expected 'required' parameter value of the form");
    expect(providerSets(await ok(p, `resources=VCPU:1&required=!${AVX2}`, '1.22'), names)).toEqual(['cn2']);
    await refused(p, `resources=VCPU:1&required=${AVX2},!${AVX2}`, '1.22', 'Conflicting required and forbidden traits');
  });

  it('takes member_of from 1.21, repeated from 1.24, forbidden from 1.32', async () => {
    await refused(p, `resources=VCPU:1&member_of=${AGG2}`, '1.20', "('member_of' was unexpected)");
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=${AGG2}`, '1.21'), names)).toEqual(['cn2', 'cn3']);
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=in:${AGG1},${AGG2}`, '1.21'), names)).toEqual(['cn1', 'cn2', 'cn3']);
    await refused(p, `resources=VCPU:1&member_of=${AGG1}&member_of=${AGG2}`, '1.23', 'Multiple member_of parameters are not supported');
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=${AGG1}&member_of=${AGG2}`, '1.24'), names)).toEqual(['cn2']);
    await refused(p, `resources=VCPU:1&member_of=!${AGG1}`, '1.31', 'Forbidden member_of parameters are not supported');
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=!${AGG1}`, '1.32'), names)).toEqual(['cn3']);
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=!in:${AGG1},${AGG2}`, '1.32'), names)).toEqual([]);
    await refused(p, `resources=VCPU:1&member_of=${AGG1},${AGG2}`, 'latest', 'in:');
    await refused(p, 'resources=VCPU:1&member_of=not-a-uuid', 'latest', 'UUID');
    // A uuid Placement calls uuid-like (no dashes, upper case) is taken.
    expect(providerSets(await ok(p, `resources=VCPU:1&member_of=${AGG2.replace(/-/g, '').toUpperCase()}`, 'latest'), names)).toEqual(['cn2', 'cn3']);
    // Unknown aggregates match nothing; they are no error.
    expect((await ok(p, `resources=VCPU:1&member_of=${agg(99)}`)).allocation_requests).toEqual([]);
  });

  it('takes numbered groups and group_policy from 1.25', async () => {
    await refused(p, 'resources1=VCPU:1', '1.24', "('resources1' was unexpected)");
    await refused(p, 'resources=VCPU:1&group_policy=none', '1.24', "('group_policy' was unexpected)");
    const one = await ok(p, 'resources1=VCPU:1', '1.25');
    expect(providerSets(one, names)).toEqual(['cn1', 'cn2', 'cn3']);
    // resources is no longer required by the schema, but some group is.
    await refused(p, '', '1.25', 'At least one request group (`resources` or `resources{$S}`) is required.');
    await refused(p, 'limit=1', '1.35', 'At least one request group');
    // Before 1.36 only required traits make a group an orphan; forbidden ones alone fall to the last check.
    await refused(p, `resources=VCPU:1&required1=${SSE2}`, '1.25', 'All traits parameters must be associated with resources.  Found the following orphaned traits keys: required1');
    await refused(p, `resources=VCPU:1&required1=!${SSE2}`, '1.25', 'All request groups must specify resources.');
    await refused(p, 'resources1=VCPU:1&resources2=MEMORY_MB:512', '1.25', 'The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.');
    await refused(p, 'resources1=VCPU:1&resources2=MEMORY_MB:512&group_policy=some', '1.25', "'some' is not one of ['none', 'isolate']");
    const isolated = await ok(p, 'resources1=VCPU:1&resources2=MEMORY_MB:512&group_policy=isolate', '1.25');
    expect(isolated.allocation_requests).toEqual([]); // one provider per tree: isolation leaves nothing
    const none = await ok(p, 'resources1=VCPU:1&resources2=MEMORY_MB:512&group_policy=none', '1.25');
    expect(providerSets(none, names)).toEqual(['cn1', 'cn2', 'cn3']);
    // Suffixes are numbers until 1.33.
    await refused(p, 'resources01=VCPU:1', '1.25', "'resources01' does not match any of the regexes");
    await refused(p, 'resources_A=VCPU:1', '1.32', "'resources_A' does not match any of the regexes");
    expect(providerSets(await ok(p, 'resources_A=VCPU:1', '1.33'), names)).toEqual(['cn1', 'cn2', 'cn3']);
    await refused(p, `resources_${'x'.repeat(65)}=VCPU:1`, 'latest', 'does not match any of the regexes');
  });

  it('refuses orphaned group parameters before 1.36', async () => {
    await refused(p, `resources=VCPU:1&required1=${AVX2}`, '1.25', 'Found the following orphaned traits keys: required1');
    await refused(p, `resources=VCPU:1&member_of1=${AGG1}`, '1.25', 'orphaned member_of keys: member_of1');
    await refused(p, `resources=VCPU:1&in_tree1=${ids.cn1}`, '1.31', 'All request groups must specify resources.');
  });

  it('takes in_tree[N] from 1.31', async () => {
    await refused(p, `resources=VCPU:1&in_tree=${ids.cn2}`, '1.30', "'in_tree' does not match any of the regexes");
    expect(providerSets(await ok(p, `resources=VCPU:1&in_tree=${ids.cn2}`, '1.31'), names)).toEqual(['cn2']);
    expect(providerSets(await ok(p, `resources1=VCPU:1&in_tree1=${ids.cn3}`, '1.31'), names)).toEqual(['cn3']);
    await refused(p, 'resources=VCPU:1&in_tree=nope', '1.31', "Expected 'in_tree' parameter to be a format of uuid");
    expect((await ok(p, `resources=VCPU:1&in_tree=${uuid(999)}`)).allocation_requests).toEqual([]);
  });

  it('takes root_required from 1.35, once', async () => {
    await refused(p, `resources=VCPU:1&root_required=${AVX2}`, '1.34', "'root_required' does not match any of the regexes");
    expect(providerSets(await ok(p, `resources=VCPU:1&root_required=${AVX2},!${SSE2}`, '1.35'), names)).toEqual(['cn1']);
    await refused(p, `resources=VCPU:1&root_required=${AVX2}&root_required=${SSE2}`, '1.35', "Query parameter 'root_required' may be specified only once.", 'placement.query.duplicate_key');
    await refused(p, `resources=VCPU:1&root_required=${AVX2},!${AVX2}`, '1.35', `Conflicting required and forbidden traits found in root_required: ${AVX2}`, 'placement.query.bad_value');
    // A malformed value is the shared traits parser's plain 400, not bad_value; no in: at the root.
    await refused(p, 'resources=VCPU:1&root_required=', '1.35', "Expected 'required' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got an empty trait in: ", 'placement.undefined_code');
    await refused(p, `resources=VCPU:1&root_required=in:${AVX2}`, '1.39', "The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39.", 'placement.undefined_code');
    await refused(p, 'resources=VCPU:1&root_required=CUSTOM_NOPE', '1.35', 'No such trait(s): CUSTOM_NOPE.');
  });

  it('takes same_subtree and resourceless groups from 1.36', async () => {
    await refused(p, 'resources1=VCPU:1&same_subtree=1', '1.35', "'same_subtree' does not match any of the regexes");
    const r = await ok(p, `resources1=VCPU:1&required2=${SSE2}&same_subtree=1,2&group_policy=none`, '1.36');
    expect(providerSets(r, names)).toEqual(['cn2', 'cn3']);
    await refused(p, `resources=VCPU:1&required2=${SSE2}`, '1.36', 'Resourceless suffixed group request should be specified in `same_subtree`', 'placement.query.bad_value');
    await refused(p, `required1=${SSE2}&same_subtree=1`, '1.36', 'There must be at least one resources or resources[$S] parameter.', 'placement.query.missing_value');
    await refused(p, '', '1.36', 'There must be at least one resources or resources[$S] parameter.', 'placement.query.missing_value');
    await refused(p, 'resources1=VCPU:1&same_subtree=1,', '1.36', 'Empty string (unsuffixed group) can not be specified in `same_subtree`', 'placement.query.bad_value');
    // Python lists in the messages, the groups in the order the query names them.
    await refused(p, 'resources1=VCPU:1&resources=VCPU:1&same_subtree=1,9', '1.36', "Real suffixes should be specified in `same_subtree`: ['9'] not found in ['1', ''].", 'placement.query.bad_value');
    await refused(p, `required=${SSE2}&resources1=VCPU:1&same_subtree=1`, '1.36', "Resourceless suffixed group request should be specified in `same_subtree` query param: bad group(s) - [''].", 'placement.query.bad_value');
    // Suffixes are trimmed.
    expect(providerSets(await ok(p, `resources1=VCPU:1&required2=${SSE2}&same_subtree=1,%202&group_policy=none`, '1.36'), names)).toEqual(['cn2', 'cn3']);
  });

  it('takes in: and repeated required from 1.39 (the last one wins before)', async () => {
    await refused(p, `resources=VCPU:1&required=in:${AVX2},${SSE2}`, '1.38', `Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: in:${AVX2},${SSE2}`);
    expect(providerSets(await ok(p, `resources=VCPU:1&required=in:${AVX2},${SSE2}`, '1.39'), names)).toEqual(['cn1', 'cn2', 'cn3']);
    expect(providerSets(await ok(p, `resources=VCPU:1&required=${AVX2}&required=${SSE2}`, '1.38'), names)).toEqual(['cn2', 'cn3']);
    expect(providerSets(await ok(p, `resources=VCPU:1&required=${AVX2}&required=${SSE2}`, '1.39'), names)).toEqual(['cn3']);
    // Before 1.39 only the last value is read at all.
    expect(providerSets(await ok(p, `resources=VCPU:1&required=in:${AVX2}&required=${SSE2}`, '1.38'), names)).toEqual(['cn2', 'cn3']);
    await refused(p, `resources=VCPU:1&required=in:${AVX2},!${SSE2}`, '1.39', 'in:');
    await refused(p, `resources=VCPU:1&required=${AVX2}&required=!${AVX2}`, '1.39', 'Conflicting required and forbidden traits found in the following traits keys: required: (HW_CPU_X86_AVX2)');
    await refused(p, `resources=VCPU:1&required=in:${AVX2},${SSE2}&required=!${AVX2},!${SSE2}`, '1.39', 'Conflicting');
  });

  it('answers unknown names and malformed values with 400, and codes from 1.23', async () => {
    await refused(p, 'resources=VCPU:1,NOT_A_CLASS:2', '1.22', 'Invalid resource class in resources parameter: No such resource class NOT_A_CLASS.');
    await refused(p, 'resources=VCPU:1,NOT_A_CLASS:2', '1.23', 'No such resource class NOT_A_CLASS.', 'placement.undefined_code');
    await refused(p, 'resources=VCPU:1&required=CUSTOM_NOPE,CUSTOM_NADA', 'latest', 'No such trait(s): CUSTOM_NOPE, CUSTOM_NADA.');
    await refused(p, 'resources1=VCPU:1&required1=CUSTOM_NOPE', 'latest', 'No such trait(s): CUSTOM_NOPE.');
    await refused(p, 'resources=', 'latest', 'resources');
    await refused(p, 'resources=VCPU', 'latest', 'resources');
    await refused(p, 'resources=VCPU:0', 'latest', 'Requested resource VCPU requires amount >= 1. Got: 0.');
    await refused(p, 'resources=VCPU:-1', 'latest', 'Requested resource VCPU requires amount >= 1. Got: -1.');
    await refused(p, 'resources=VCPU:x', '1.10', 'Requested resource VCPU expected positive integer amount. Got: x.');
    await refused(p, 'resources=VCPU', 'latest', 'Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: VCPU.');
    // Names are not pattern-checked: an unknown one is refused by name.
    await refused(p, 'resources=vcpu:1', 'latest', 'No such resource class vcpu.');
    await refused(p, 'resources=VCPU:1&required=custom_foo', 'latest', 'No such trait(s): custom_foo.');
    await refused(p, 'resources=VCPU:1&required=', 'latest', "Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got an empty trait in: ");
    await refused(p, 'resources=VCPU:1&required=,,', 'latest', 'Got an empty trait in: ,,');
    // Trait names are trimmed, as Placement strips them.
    expect(providerSets(await ok(p, `resources=VCPU:1&required=${AVX2},%20${SSE2}`, 'latest'), names)).toEqual(['cn3']);
  });

  it('shows last-modified and cache-control from 1.15', async () => {
    const old = await candidates(p, 'resources=VCPU:1', '1.14');
    expect(old.headers.get('last-modified')).toBeNull();
    expect(old.headers.get('cache-control')).toBeNull();
    const now = await candidates(p, 'resources=VCPU:1', '1.15');
    expect(now.headers.get('cache-control')).toBe('no-cache');
    expect(Number.isNaN(Date.parse(now.headers.get('last-modified') ?? ''))).toBe(false);
    expect(now.headers.get('content-type')).toBe('application/json');
    expect(now.headers.get('openstack-api-version')).toBe('placement 1.15');
  });

  it('answers an empty result with 200 and empty members', async () => {
    const r = await candidates(p, 'resources=VCPU:100', 'latest');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ allocation_requests: [], provider_summaries: {} });
    expect(await ok(p, 'resources=FPGA:1', '1.10')).toEqual({ allocation_requests: [], provider_summaries: {} });
  });
});

describe('GET /allocation_candidates: the answer at each microversion', () => {
  let p: TestPlacement;
  let ids: Record<string, string>;
  beforeAll(async () => {
    p = await startTestPlacement({ engine: newEngine() });
    ids = flatWorld(p.engine);
    // Some usage on cn1, to see `used`.
    p.engine.setAllocations({
      consumerUuid: consumer(1),
      projectId: 'p',
      userId: 'u',
      consumerGeneration: null,
      allocations: { [ids.cn1 as string]: { VCPU: 2, MEMORY_MB: 1024 } },
    });
  });
  afterAll(() => p.close());

  const Q = 'resources=VCPU:1,MEMORY_MB:512&member_of=' + AGG1;

  it('1.10–1.11: allocation requests as lists, summaries of requested classes without traits', async () => {
    for (const v of ['1.10', '1.11']) {
      const r = await ok<unknown>(p, 'resources=VCPU:1,MEMORY_MB:512', v);
      expect(r.allocation_requests).toHaveLength(3);
      expect(r.allocation_requests).toContainEqual({
        allocations: [{ resource_provider: { uuid: ids.cn1 }, resources: { VCPU: 1, MEMORY_MB: 512 } }],
      });
      expect(r.provider_summaries[ids.cn1 as string]).toEqual({
        resources: { VCPU: { capacity: 8, used: 2 }, MEMORY_MB: { capacity: 4096, used: 1024 } },
      });
    }
  });

  it('1.12: allocation requests keyed by provider', async () => {
    const r = await ok(p, 'resources=VCPU:1,MEMORY_MB:512', '1.12');
    expect(r.allocation_requests).toContainEqual({ allocations: { [ids.cn2 as string]: { resources: { VCPU: 1, MEMORY_MB: 512 } } } });
    expect(r.provider_summaries[ids.cn2 as string]).toEqual({
      resources: { VCPU: { capacity: 4, used: 0 }, MEMORY_MB: { capacity: 2048, used: 0 } },
    });
  });

  it('1.17: traits in summaries; 1.21: member_of', async () => {
    const r = await ok(p, Q, '1.21');
    expect(Object.keys(r.provider_summaries).sort()).toEqual([ids.cn1, ids.cn2].sort());
    expect(r.provider_summaries[ids.cn1 as string]).toEqual({
      resources: { VCPU: { capacity: 8, used: 2 }, MEMORY_MB: { capacity: 4096, used: 1024 } },
      traits: [AVX2],
    });
    const v16 = await ok(p, 'resources=VCPU:1', '1.16');
    expect(v16.provider_summaries[ids.cn1 as string]).not.toHaveProperty('traits');
    const v17 = await ok(p, 'resources=VCPU:1', '1.17');
    expect(v17.provider_summaries[ids.cn1 as string]?.traits).toEqual([AVX2]);
  });

  it('1.26 shows only requested classes; 1.27 all of them', async () => {
    const v26 = await ok(p, 'resources=VCPU:1', '1.26');
    expect(v26.provider_summaries[ids.cn1 as string]?.resources).toEqual({ VCPU: { capacity: 8, used: 2 } });
    const v27 = await ok(p, 'resources=VCPU:1', '1.27');
    expect(v27.provider_summaries[ids.cn1 as string]).toEqual({
      resources: { VCPU: { capacity: 8, used: 2 }, MEMORY_MB: { capacity: 4096, used: 1024 }, DISK_GB: { capacity: 100, used: 0 } },
      traits: [AVX2],
    });
    // Before 1.27 the classes of every group count as requested.
    const granular = await ok(p, 'resources1=VCPU:1&resources2=MEMORY_MB:512&group_policy=none', '1.26');
    expect(Object.keys(granular.provider_summaries[ids.cn1 as string]?.resources ?? {}).sort()).toEqual(['MEMORY_MB', 'VCPU']);
  });

  it('1.29: parent and root provider uuids in summaries', async () => {
    const v28 = await ok(p, 'resources=VCPU:1', '1.28');
    expect(v28.provider_summaries[ids.cn3 as string]).not.toHaveProperty('root_provider_uuid');
    const v29 = await ok(p, 'resources=VCPU:1', '1.29');
    expect(v29.provider_summaries[ids.cn3 as string]).toEqual({
      resources: { VCPU: { capacity: 4, used: 0 }, MEMORY_MB: { capacity: 2048, used: 0 } },
      traits: [AVX2, SSE2],
      parent_provider_uuid: null,
      root_provider_uuid: ids.cn3,
    });
  });

  it('1.34: mappings of each group', async () => {
    const v33 = await ok(p, 'resources=VCPU:1', '1.33');
    expect(v33.allocation_requests[0]).not.toHaveProperty('mappings');
    const v34 = await ok(p, `${Q}&resources_MEM=MEMORY_MB:256&group_policy=none&limit=1`, '1.34');
    expect(v34.allocation_requests).toEqual([
      {
        allocations: { [ids.cn1 as string]: { resources: { VCPU: 1, MEMORY_MB: 768 } } },
        mappings: { '': [ids.cn1], _MEM: [ids.cn1] },
      },
    ]);
    expect(Object.keys(v34.provider_summaries)).toEqual([ids.cn1]);
  });

  it('is valid JSON at every microversion', async () => {
    for (let minor = 10; minor <= 39; minor++) {
      const r = await candidates(p, 'resources=VCPU:1', `1.${minor}`);
      expect(r.status).toBe(200);
      expect(() => JSON.parse(r.text) as unknown).not.toThrow();
    }
  });
});

describe('GET /allocation_candidates: nested providers', () => {
  let p: TestPlacement;
  let ids: Record<string, string>;
  let names: Record<string, string>;
  beforeAll(async () => {
    p = await startTestPlacement({ engine: newEngine() });
    const e = p.engine;
    ids = {};
    // cn (DISK_GB, SSD) with numa0 (AVX2) and numa1, each VCPU + MEMORY_MB; then a flat host.
    ids.cn = addProvider(e, 'cn', { uuid: uuid(10), inventories: { DISK_GB: { total: 1000 } }, traits: [SSD] });
    ids.numa0 = addProvider(e, 'numa0', { uuid: uuid(11), parent: ids.cn, inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } }, traits: [NUMA, AVX2] });
    ids.numa1 = addProvider(e, 'numa1', { uuid: uuid(12), parent: ids.cn, inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } }, traits: [NUMA] });
    ids.flat = addProvider(e, 'flat', { uuid: uuid(20), inventories: { VCPU: { total: 8 }, DISK_GB: { total: 500 } } });
    names = invert(ids);
  });
  afterAll(() => p.close());

  it('from 1.29 spreads the unsuffixed group over a tree and summarises whole trees', async () => {
    const r = await ok(p, 'resources=VCPU:1,DISK_GB:10', '1.29');
    expect(providerSets(r, names)).toEqual(['cn+numa0', 'cn+numa1', 'flat']);
    expect(summaryNames(r, names)).toEqual(['cn', 'flat', 'numa0', 'numa1']);
    expect(r.provider_summaries[ids.numa1 as string]).toEqual({
      resources: { VCPU: { capacity: 4, used: 0 }, MEMORY_MB: { capacity: 4096, used: 0 } },
      traits: [NUMA],
      parent_provider_uuid: ids.cn,
      root_provider_uuid: ids.cn,
    });
    expect(r.provider_summaries[ids.cn as string]?.parent_provider_uuid).toBeNull();
    // A tree summarised whole, even its providers with nothing to give.
    const vcpu = await ok(p, 'resources=VCPU:1&limit=1', '1.29');
    expect(providerSets(vcpu, names)).toEqual(['numa0']);
    expect(summaryNames(vcpu, names)).toEqual(['cn', 'numa0', 'numa1']);
  });

  it('before 1.29 drops candidates using two providers of one tree and summarises used providers only', async () => {
    const r = await ok(p, 'resources=VCPU:1,DISK_GB:10', '1.28');
    expect(providerSets(r, names)).toEqual(['flat']);
    expect(summaryNames(r, names)).toEqual(['flat']);
    const vcpu = await ok(p, 'resources=VCPU:1', '1.28');
    expect(providerSets(vcpu, names)).toEqual(['flat', 'numa0', 'numa1']);
    expect(summaryNames(vcpu, names)).toEqual(['flat', 'numa0', 'numa1']);
    const old = await ok<unknown>(p, 'resources=VCPU:1,DISK_GB:10', '1.10');
    expect(old.allocation_requests).toEqual([{ allocations: [{ resource_provider: { uuid: ids.flat }, resources: { VCPU: 1, DISK_GB: 10 } }] }]);
  });

  it('before 1.29 applies limit after dropping nested candidates', async () => {
    // The nested candidates come first in the engine's order; limit=1 must still find the flat one.
    const r = await ok(p, 'resources=VCPU:1,DISK_GB:10&limit=1', '1.28');
    expect(providerSets(r, names)).toEqual(['flat']);
    expect(summaryNames(r, names)).toEqual(['flat']);
    const vcpu = await ok(p, 'resources=VCPU:1&limit=1', '1.28');
    expect(providerSets(vcpu, names)).toEqual(['numa0']);
    // Summaries: providers used by candidates, of the trees the kept ones use.
    expect(summaryNames(vcpu, names)).toEqual(['numa0', 'numa1']);
  });

  it('narrows to a tree with in_tree and to matching roots with root_required', async () => {
    expect(providerSets(await ok(p, `resources=VCPU:1,DISK_GB:10&in_tree=${ids.numa1}`, '1.31'), names)).toEqual(['cn+numa0', 'cn+numa1']);
    expect(providerSets(await ok(p, `resources=VCPU:1,DISK_GB:10&root_required=${SSD}`, '1.35'), names)).toEqual(['cn+numa0', 'cn+numa1']);
    expect(providerSets(await ok(p, `resources=VCPU:1,DISK_GB:10&root_required=!${SSD}`, '1.35'), names)).toEqual(['flat']);
  });

  it('keeps groups in one subtree with same_subtree, with resourceless groups in mappings', async () => {
    const r = await ok(p, `resources=DISK_GB:10&resources_C=VCPU:1&required_N=${AVX2}&same_subtree=_C,_N&group_policy=none`, '1.36');
    expect(providerSets(r, names)).toEqual(['cn+numa0']);
    expect(r.allocation_requests[0]?.mappings).toEqual({ '': [ids.cn], _C: [ids.numa0], _N: [ids.numa0] });
    expect(r.allocation_requests[0]?.allocations).toEqual({
      [ids.cn as string]: { resources: { DISK_GB: 10 } },
      [ids.numa0 as string]: { resources: { VCPU: 1 } },
    });
  });

  it('isolates numbered groups on distinct providers', async () => {
    const r = await ok(p, 'resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate', '1.29');
    expect(providerSets(r, names)).toEqual(['numa0+numa1', 'numa0+numa1']);
    // Not nested-aware, the same answer is two providers of one tree: dropped.
    expect((await ok(p, 'resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate', '1.28')).allocation_requests).toEqual([]);
  });
});

describe('GET /allocation_candidates: a sharing provider', () => {
  let p: TestPlacement;
  let ids: Record<string, string>;
  let names: Record<string, string>;
  beforeAll(async () => {
    p = await startTestPlacement({ engine: newEngine() });
    const e = p.engine;
    ids = {};
    ids.host1 = addProvider(e, 'host1', { uuid: uuid(1), inventories: { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 } }, aggregates: [AGG1] });
    ids.host2 = addProvider(e, 'host2', { uuid: uuid(2), inventories: { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 } } });
    ids.pool = addProvider(e, 'pool', { uuid: uuid(100), inventories: { DISK_GB: { total: 10000 } }, traits: [SHARES], aggregates: [AGG1] });
    names = invert(ids);
  });
  afterAll(() => p.close());

  it('serves disk from the pool to the hosts of its aggregate, at every version', async () => {
    for (const v of ['1.12', '1.28', 'latest']) {
      const r = await ok(p, 'resources=VCPU:2,DISK_GB:100', v);
      expect(providerSets(r, names)).toEqual(['host1+pool']);
      expect(summaryNames(r, names)).toEqual(['host1', 'pool']);
      expect(r.allocation_requests[0]?.allocations).toEqual({
        [ids.host1 as string]: { resources: { VCPU: 2 } },
        [ids.pool as string]: { resources: { DISK_GB: 100 } },
      });
    }
    const latest = await ok(p, 'resources=VCPU:2,DISK_GB:100', 'latest');
    expect(latest.allocation_requests[0]?.mappings).toEqual({ '': [ids.host1, ids.pool] });
    expect(latest.provider_summaries[ids.pool as string]).toEqual({
      resources: { DISK_GB: { capacity: 10000, used: 0 } },
      traits: [SHARES],
      parent_provider_uuid: null,
      root_provider_uuid: ids.pool,
    });
    const list = await ok<unknown>(p, 'resources=VCPU:2,DISK_GB:100', '1.10');
    expect(list.allocation_requests).toHaveLength(1);
    const entries = (list.allocation_requests[0] as { allocations: { resource_provider: { uuid: string }; resources: Record<string, number> }[] }).allocations;
    expect(entries.map((x) => x.resource_provider.uuid).sort()).toEqual([ids.host1, ids.pool].sort());
  });

  it('maps numbered groups to the pool', async () => {
    const r = await ok(p, 'resources1=VCPU:2&resources2=DISK_GB:100&group_policy=isolate', '1.34');
    expect(r.allocation_requests).toEqual([
      {
        allocations: { [ids.host1 as string]: { resources: { VCPU: 2 } }, [ids.pool as string]: { resources: { DISK_GB: 100 } } },
        mappings: { '1': [ids.host1], '2': [ids.pool] },
      },
    ]);
    // Alone, the pool's disk is one candidate, not one per tree it serves.
    const disk = await ok(p, 'resources=DISK_GB:100', 'latest');
    expect(providerSets(disk, names)).toEqual(['pool']);
    expect(summaryNames(disk, names)).toEqual(['pool']);
  });

  it('sees writes between identical requests', async () => {
    const before = await ok(p, 'resources=DISK_GB:100', 'latest');
    expect(before.provider_summaries[ids.pool as string]?.resources['DISK_GB']).toEqual({ capacity: 10000, used: 0 });
    p.engine.setAllocations({
      consumerUuid: consumer(7),
      projectId: 'p',
      userId: 'u',
      consumerGeneration: null,
      allocations: { [ids.pool as string]: { DISK_GB: 9950 } },
    });
    const after = await ok(p, 'resources=DISK_GB:100', 'latest');
    expect(after.allocation_requests).toEqual([]);
    const small = await ok(p, 'resources=DISK_GB:50', 'latest');
    expect(small.provider_summaries[ids.pool as string]?.resources['DISK_GB']).toEqual({ capacity: 10000, used: 9950 });
  });
});

// ------------------------------------------------------------------ the handler without HTTP

function context(engine: PlacementEngine, query: string, version = new Microversion(1, 39)): RequestContext {
  return {
    method: 'GET',
    path: '/allocation_candidates',
    params: {},
    query: new URLSearchParams(query),
    version,
    requestId: 'req-test',
    caller: { admin: true, projectId: 'admin', userId: 'admin', roles: ['admin'], systemScope: false },
    engine,
    json: () => undefined,
    url: (path) => `http://placement${path}`,
  };
}

function handlerOf(options?: Parameters<typeof registerAllocationCandidates>[1]): (ctx: RequestContext) => Reply {
  const router = new Router();
  registerAllocationCandidates(router, options);
  return router.match('GET', '/allocation_candidates', new Microversion(1, 39)).handler;
}

function order(reply: Reply): string[] {
  const body = JSON.parse(reply.rawJson as string) as Answer;
  return body.allocation_requests.map((r) => Object.keys(r.allocations).join('+'));
}

describe('allocation candidates handler options', () => {
  const e = newEngine();
  for (let i = 1; i <= 30; i++) addProvider(e, `h${i}`, { uuid: uuid(i), inventories: { VCPU: { total: 4 } } });

  it('answers in a deterministic order by default, and limit keeps the first ones', () => {
    const h = handlerOf();
    const all = order(h(context(e, 'resources=VCPU:1')));
    expect(all).toHaveLength(30);
    expect(order(handlerOf()(context(e, 'resources=VCPU:1')))).toEqual(all);
    expect(order(h(context(e, 'resources=VCPU:1&limit=5')))).toEqual(all.slice(0, 5));
  });

  it('shuffles when randomized, reproducibly with a seed, and samples with limit', () => {
    const sorted = order(handlerOf()(context(e, 'resources=VCPU:1')));
    const a = handlerOf({ randomize: true, seed: 42 });
    const b = handlerOf({ randomize: true, seed: 42 });
    const a1 = order(a(context(e, 'resources=VCPU:1')));
    const a2 = order(a(context(e, 'resources=VCPU:1')));
    expect([...a1].sort()).toEqual([...sorted].sort());
    expect(a1).not.toEqual(sorted);
    expect(a2).not.toEqual(a1); // not served from a cache
    expect(order(b(context(e, 'resources=VCPU:1')))).toEqual(a1);
    expect(order(b(context(e, 'resources=VCPU:1')))).toEqual(a2);
    const sample = order(a(context(e, 'resources=VCPU:1&limit=5')));
    expect(sample).toHaveLength(5);
    expect(sample).not.toEqual(sorted.slice(0, 5));
    // Summaries follow the sample.
    const body = JSON.parse(a(context(e, 'resources=VCPU:1&limit=3')).rawJson as string) as Answer;
    expect(Object.keys(body.provider_summaries).sort()).toEqual(body.allocation_requests.map((r) => Object.keys(r.allocations)[0]).sort());
  });
});

describe('candidatesJson', () => {
  const e = newEngine();
  const cn = addProvider(e, 'cn', { uuid: uuid(10), inventories: { DISK_GB: { total: 1000 } }, traits: [SSD], aggregates: [AGG1] });
  addProvider(e, 'numa0', { uuid: uuid(11), parent: cn, inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } }, traits: [NUMA, AVX2] });
  addProvider(e, 'numa1', { uuid: uuid(12), parent: cn, inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } } });
  addProvider(e, 'pool', { uuid: uuid(100), inventories: { DISK_GB: { total: 10000 } }, traits: [SHARES], aggregates: [AGG1] });
  addProvider(e, 'empty', { uuid: uuid(200), parent: cn });
  const result = e.getAllocationCandidates({
    groups: [
      { suffix: '', resources: { VCPU: 1, DISK_GB: 10 } },
      { suffix: 'X', resources: { MEMORY_MB: 128 } },
    ],
    groupPolicy: 'none',
  });

  it('writes what JSON.stringify writes of the object form, for every shape', () => {
    expect(result.allocationRequests.length).toBeGreaterThan(2);
    for (const listForm of [true, false]) {
      for (const mappings of [true, false]) {
        for (const traits of [true, false]) {
          for (const tree of [true, false]) {
            for (const onlyClasses of [undefined, new Set(['VCPU', 'DISK_GB'])]) {
              const shape: CandidateJsonShape = { listForm, mappings, traits, tree, onlyClasses };
              const expected = JSON.stringify(candidatesObject(result.allocationRequests, result.providerSummaries, undefined, shape));
              // Twice: the second time from the summary caches.
              for (let k = 0; k < 2; k++) {
                expect(candidatesJson(result.allocationRequests, result.providerSummaries, undefined, shape)).toBe(expected);
                expect(candidatesJsonBytes(result.allocationRequests, result.providerSummaries, undefined, shape).toString('latin1')).toBe(expected);
              }
            }
          }
        }
      }
    }
  });

  it('shows the listed summaries only, and empty answers', () => {
    const shape: CandidateJsonShape = { listForm: false, mappings: true, traits: true, tree: true, onlyClasses: undefined };
    const text = candidatesJson([], result.providerSummaries, [uuid(100), uuid(999)], shape);
    expect(JSON.parse(text)).toEqual({
      allocation_requests: [],
      provider_summaries: {
        [uuid(100)]: { resources: { DISK_GB: { capacity: 10000, used: 0 } }, traits: [SHARES], parent_provider_uuid: null, root_provider_uuid: uuid(100) },
      },
    });
    expect(candidatesJson([], {}, undefined, shape)).toBe('{"allocation_requests":[],"provider_summaries":{}}');
    const empty = JSON.parse(candidatesJson([], result.providerSummaries, [uuid(200)], shape)) as Answer;
    expect(empty.provider_summaries[uuid(200)]).toEqual({ resources: {}, traits: [], parent_provider_uuid: uuid(10), root_provider_uuid: uuid(10) });
  });

  it('writes answers larger than its first buffer', () => {
    const big = newEngine();
    for (let i = 1; i <= 600; i++) addProvider(big, `h${i}`, { uuid: uuid(i), inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 1024 } }, traits: [AVX2] });
    const r = big.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1 } }] });
    const shape: CandidateJsonShape = { listForm: false, mappings: true, traits: true, tree: true, onlyClasses: undefined };
    const expected = JSON.stringify(candidatesObject(r.allocationRequests, r.providerSummaries, undefined, shape));
    expect(expected.length).toBeGreaterThan(1 << 16);
    expect(candidatesJson(r.allocationRequests, r.providerSummaries, undefined, shape)).toBe(expected);
    const bytes = candidatesJsonBytes(r.allocationRequests, r.providerSummaries, undefined, shape);
    expect(bytes.toString('latin1')).toBe(expected);
    // The scratch buffer is reused: an earlier answer is not overwritten by a later one.
    candidatesJsonBytes(r.allocationRequests.slice(0, 3), r.providerSummaries, undefined, shape);
    expect(bytes.toString('latin1')).toBe(expected);
  });
});
