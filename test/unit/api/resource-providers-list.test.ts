import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, placementForFile } from '../../support/placement-http.js';

/**
 * GET /resource_providers's filters as Placement's list handler reads them (handlers and util.py
 * of openstack/placement): every filter applies, a repeated key counts with its last value, names
 * are trimmed and not pattern-checked, and a malformed value is a plain 400.
 */
const p = placementForFile();
const AVX2 = 'HW_CPU_X86_AVX2';
const SSE2 = 'HW_CPU_X86_SSE2';
let rp1 = '';
let rp2 = '';

const names = async (query: string, version = 'latest'): Promise<string[]> => {
  const r = await p.request('GET', `/resource_providers?${query}`, { version });
  expect(r.status).toBe(200);
  return (r.body as { resource_providers: { name: string }[] }).resource_providers.map((x) => x.name).sort();
};

beforeAll(() => {
  rp1 = p.engine.createProvider({ name: 'rp1' }).uuid;
  rp2 = p.engine.createProvider({ name: 'rp2' }).uuid;
  p.engine.setProviderTraits(rp1, 0, [AVX2]);
  p.engine.setProviderTraits(rp2, 0, [AVX2, SSE2]);
  p.engine.setInventories(rp1, 1, { VCPU: { total: 4 } });
});

describe('GET /resource_providers filters', () => {
  it('applies uuid and name together', async () => {
    expect(await names(`uuid=${rp1}&name=rp1`)).toEqual(['rp1']);
    expect(await names(`uuid=${rp1}&name=rp2`)).toEqual([]);
  });

  it('reads the last value of a repeated key', async () => {
    expect(await names('name=rp1&name=rp2')).toEqual(['rp2']);
    expect(await names(`uuid=bad&uuid=${rp2}`)).toEqual(['rp2']);
  });

  it('filters nothing on an empty name', async () => {
    expect(await names('name=')).toEqual(['rp1', 'rp2']);
  });

  it('takes uuids in any form Placement calls uuid-like', async () => {
    expect(await names(`uuid=${rp1.toUpperCase()}`)).toEqual(['rp1']);
    expect(await names(`in_tree={${rp2}}`)).toEqual(['rp2']);
    const r = await p.request('GET', '/resource_providers?uuid=not-a-uuid', { version: 'latest' });
    expectError(r, 400, "Invalid query string parameters: 'not-a-uuid' is not a 'uuid'", 'placement.undefined_code');
  });

  it('answers a trait both required and forbidden with no providers, not a 400', async () => {
    expect(await names(`required=${AVX2},!${AVX2}`)).toEqual([]);
  });

  it('trims trait names and refuses unknown ones by name', async () => {
    expect(await names(`required=${AVX2},%20${SSE2}`)).toEqual(['rp2']);
    const r = await p.request('GET', '/resource_providers?required=hw_cpu', { version: 'latest' });
    expectError(r, 400, 'Invalid trait(s) in "required" parameter: No such trait(s): hw_cpu.', 'placement.undefined_code');
  });

  it('gives malformed values a plain 400 with the wording of Placement', async () => {
    const cases: [string, string][] = [
      ['resources=VCPU', 'Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: VCPU.'],
      ['resources=vcpu:1', 'Invalid resource class in resources parameter: No such resource class vcpu.'],
      ['member_of=abc', "Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: abc"],
      ['required=', "Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got an empty trait in: "],
      ['colour=blue&flavour=x', "Invalid query string parameters: Additional properties are not allowed ('colour', 'flavour' were unexpected)"],
    ];
    for (const [query, detail] of cases) expectError(await p.request('GET', `/resource_providers?${query}`, { version: 'latest' }), 400, detail, 'placement.undefined_code');
    const early = await p.request('GET', `/resource_providers?required=!${AVX2}`, { version: '1.21' });
    expectError(early, 400, `Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: !${AVX2}`);
  });
});
