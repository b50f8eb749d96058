import { beforeAll, describe, it } from 'vitest';
import { expectError, placementForFile } from '../../support/placement-http.js';

/**
 * The details of the errors clients read (osc-placement prints them; Nova's report client
 * matches "in use" with a regex), worded as openstack/placement's handlers and exceptions word
 * them.
 */
const p = placementForFile();
const MISSING = '00000000-0000-4000-8000-0000000000ff';
const CONSUMER = '00000000-0000-4000-8000-0000000000c1';
let rp = '';
let child = '';

beforeAll(() => {
  rp = p.engine.createProvider({ name: 'host' }).uuid;
  child = p.engine.createProvider({ name: 'child', parentUuid: rp }).uuid;
  p.engine.setInventories(rp, 0, { VCPU: { total: 4 }, DISK_GB: { total: 100, minUnit: 10, stepSize: 10 } });
  p.engine.setAllocations({ consumerUuid: CONSUMER, allocations: { [rp]: { VCPU: 1, DISK_GB: 10 } }, projectId: 'p', userId: 'u' });
});

const put = (path: string, body: unknown) => p.request('PUT', path, { version: 'latest', body });
const allocation = (resources: Record<string, number>) => ({
  allocations: { [rp]: { resources } },
  project_id: 'p',
  user_id: 'u',
  consumer_generation: null,
  consumer_type: 'INSTANCE',
});

describe('error details in Placement wording', () => {
  it('names an unknown provider as Placement does', async () => {
    expectError(await p.request('GET', `/resource_providers/${MISSING}`, { version: 'latest' }), 404, `No resource provider with uuid ${MISSING} found`);
    expectError(await p.request('DELETE', `/resource_providers/${MISSING}`, { version: 'latest' }), 404, `No resource provider with uuid ${MISSING} found for delete`);
  });

  it('quotes the classes and the provider of inventory in use', async () => {
    const gen = p.engine.requireProvider(rp).generation;
    const all = await put(`/resource_providers/${rp}/inventories`, { resource_provider_generation: gen, inventories: {} });
    expectError(all, 409, `update conflict: Inventory for 'VCPU, DISK_GB' on resource provider '${rp}' in use.`, 'placement.inventory.inuse');
    const none = await p.request('DELETE', `/resource_providers/${rp}/inventories`, { version: 'latest' });
    expectError(none, 409, `Inventory for 'VCPU, DISK_GB' on resource provider '${rp}' in use.`, 'placement.inventory.inuse');
  });

  it('wraps an impossible capacity in the verb of the request', async () => {
    const gen = p.engine.requireProvider(child).generation;
    const create = await p.request('POST', `/resource_providers/${child}/inventories`, { version: '1.25', body: { resource_class: 'VCPU', total: 4, reserved: 4 } });
    expectError(create, 400, `Unable to create inventory for resource provider ${child}: Invalid inventory for 'VCPU' on resource provider '${child}'. The reserved value is greater than or equal to total.`);
    const update = await put(`/resource_providers/${child}/inventories`, { resource_provider_generation: gen, inventories: { VCPU: { total: 4, reserved: 5 } } });
    expectError(update, 400, `Unable to update inventory for resource provider ${child}: Invalid inventory for 'VCPU' on resource provider '${child}'. The reserved value is greater than total.`);
  });

  it('gives allocations that do not fit the exceptions of Placement', async () => {
    const path = '/allocations/00000000-0000-4000-8000-0000000000c2';
    const base = `Unable to allocate inventory: Unable to create allocation for`;
    expectError(await put(path, allocation({ VCPU: 64 })), 409, `${base} 'VCPU' on resource provider '${rp}'. The requested amount would exceed the capacity.`);
    expectError(await put(path, allocation({ DISK_GB: 15 })), 409, `${base} 'DISK_GB' on resource provider '${rp}'. The requested amount would violate inventory constraints.`);
    expectError(await put(path, allocation({ MEMORY_MB: 1 })), 409, `Unable to allocate inventory: Inventory for 'MEMORY_MB' on resource provider '${rp}' invalid.`);
  });

  it('says which change of parent is not allowed before 1.37', async () => {
    const r = await p.request('PUT', `/resource_providers/${child}`, { version: '1.36', body: { name: 'child', parent_provider_uuid: null } });
    expectError(r, 400, `Unable to save resource provider ${child}: Object action update failed because: un-parenting a provider is not currently allowed.`);
  });

  it('says a resource class in use cannot be deleted', async () => {
    await p.request('PUT', '/resource_classes/CUSTOM_BUSY', { version: 'latest' });
    const gen = p.engine.requireProvider(child).generation;
    await put(`/resource_providers/${child}/inventories`, { resource_provider_generation: gen, inventories: { CUSTOM_BUSY: { total: 1 } } });
    const r = await p.request('DELETE', '/resource_classes/CUSTOM_BUSY', { version: 'latest' });
    expectError(r, 409, 'Error in delete resource class: Cannot delete resource class CUSTOM_BUSY. Class is in use in inventory.');
  });
});
