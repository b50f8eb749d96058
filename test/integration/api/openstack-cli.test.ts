import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect } from 'vitest';
import type { Logger } from '../../../common/logger.js';
import type { TestPlacement } from '../../support/placement-http.js';
import { startTestPlacement } from '../../support/placement-http.js';
import { itWithService } from '../../support/services.js';

/**
 * Our Placement API driven only through the real `openstack` CLI (Debian python3-openstackclient
 * 6.0 + python3-osc-placement 4.0), without Keystone: admin_token auth against noauth2, as in
 * docs/osc-and-upstream.md, whose outputs from upstream Placement 8.0 are what the CLI must
 * print here too. Every CLI call costs ~0.7 s of Python start-up, so no command runs twice.
 */

const OPENSTACK = '/usr/bin/openstack';
const itWithCli = itWithService(existsSync(OPENSTACK), 'the openstack CLI (python3-openstackclient, python3-osc-placement)');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface ProviderRow {
  uuid: string;
  name: string;
  generation: number;
  root_provider_uuid: string;
  parent_provider_uuid: string | null;
}

interface InventoryRow {
  resource_class: string;
  allocation_ratio: number;
  min_unit: number;
  max_unit: number;
  reserved: number;
  step_size: number;
  total: number;
  used?: number;
}

interface AllocationRow {
  resource_provider: string;
  generation: number;
  resources: Record<string, number>;
  project_id: string;
  user_id: string;
  consumer_type: string;
}

interface UsageRow {
  resource_class: string;
  usage: number;
}

interface CandidateRow {
  '#': number;
  allocation: string;
  'resource provider': string;
  'inventory used/capacity': string;
  traits: string;
}

interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  version: string | undefined;
}

/** The `openstack` CLI pointed at one server, at one microversion (undefined: let osc negotiate). */
class Cli {
  constructor(
    private readonly endpoint: string,
    private readonly version: string | undefined,
  ) {}

  /** Runs a command and reports how it ended; never throws. */
  exec(args: readonly string[]): Promise<CliRun> {
    const env: NodeJS.ProcessEnv = {};
    // Nothing from the caller's cloud config may leak in (OS_CLOUD, OS_AUTH_URL, …).
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
    env['OS_AUTH_TYPE'] = 'admin_token';
    env['OS_ENDPOINT'] = this.endpoint;
    env['OS_TOKEN'] = 'admin';
    if (this.version !== undefined) env['OS_PLACEMENT_API_VERSION'] = this.version;
    return new Promise((resolve) => {
      execFile(OPENSTACK, [...args], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else resolve({ code: typeof error.code === 'number' ? error.code : -1, stdout, stderr: stderr || error.message });
      });
    });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async run(...args: string[]): Promise<string> {
    const r = await this.exec(args);
    expect(r.code, `openstack ${args.join(' ')} (OS_PLACEMENT_API_VERSION=${this.version ?? 'unset'})\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  /** Runs a command with `-f json`; returns the parsed output and its text. */
  async json<T>(...args: string[]): Promise<{ value: T; text: string }> {
    const text = await this.run(...args, '-f', 'json');
    return { value: JSON.parse(text) as T, text };
  }
}

/** A server whose request log (method, path, status, microversion) the test can read. */
async function startLogged(): Promise<{ placement: TestPlacement; requests: LoggedRequest[] }> {
  const requests: LoggedRequest[] = [];
  const noop = (): void => {};
  const logger: Logger = {
    debug: noop,
    warn: noop,
    error: noop,
    info: (obj, msg) => {
      if (msg === 'placement request') requests.push(obj as LoggedRequest);
    },
  };
  return { placement: await startTestPlacement({ logger }), requests };
}

function byClass<T extends { resource_class: string }>(rows: readonly T[]): Record<string, T> {
  return Object.fromEntries(rows.map((r) => [r.resource_class, r]));
}

/** `VCPU=1,MEMORY_MB=512` → { VCPU: 1, MEMORY_MB: 512 }. */
function parseAmounts(s: string): Record<string, number> {
  return Object.fromEntries(s.split(',').map((part) => {
    const [rc, n] = part.split('=') as [string, string];
    return [rc, Number(n)];
  }));
}

/** `VCPU=2/24,DISK_GB=0/100` → { VCPU: { used: 2, capacity: 24 }, … }. */
function parseUsedCapacity(s: string): Record<string, { used: number; capacity: number }> {
  return Object.fromEntries(s.split(',').map((part) => {
    const [rc, pair] = part.split('=') as [string, string];
    const [used, capacity] = pair.split('/').map(Number) as [number, number];
    return [rc, { used, capacity }];
  }));
}

function expectProvider(placement: TestPlacement, row: ProviderRow, name: string, parent: string | null): void {
  expect(row.name).toBe(name);
  expect(row.parent_provider_uuid).toBe(parent);
  const view = placement.engine.getProvider(row.uuid);
  expect(view, `provider ${row.uuid} in the engine`).toBeDefined();
  expect(row).toEqual({
    uuid: view?.uuid,
    name: view?.name,
    generation: view?.generation,
    root_provider_uuid: view?.rootUuid,
    parent_provider_uuid: view?.parentUuid,
  });
}

describe('the openstack CLI (osc-placement) against our Placement API', () => {
  itWithCli('runs the provider, inventory, trait, aggregate, allocation, usage and candidate commands at 1.39', async () => {
    const { placement, requests } = await startLogged();
    try {
      const { engine } = placement;
      const osc = new Cli(placement.base, '1.39');
      const rc = 'CUSTOM_OSC_GPU';
      const trait = 'CUSTOM_OSC_FAST';
      const aggregate = randomUUID();
      const consumer = randomUUID();
      const project = `project-${randomUUID().slice(0, 8)}`;

      // ---------------------------------------------------------------- providers
      const node1 = (await osc.json<ProviderRow>('resource', 'provider', 'create', 'osc-node-1')).value;
      expectProvider(placement, node1, 'osc-node-1', null);
      expect(node1.root_provider_uuid).toBe(node1.uuid);
      expect(node1.generation).toBe(0);
      const node2 = (await osc.json<ProviderRow>('resource', 'provider', 'create', 'osc-node-2')).value;
      expectProvider(placement, node2, 'osc-node-2', null);
      const child = (await osc.json<ProviderRow>('resource', 'provider', 'create', 'osc-node-1-nic', '--parent-provider', node1.uuid)).value;
      expectProvider(placement, child, 'osc-node-1-nic', node1.uuid);
      expect(child.root_provider_uuid).toBe(node1.uuid);

      const listed = (await osc.json<ProviderRow[]>('resource', 'provider', 'list')).value;
      expect(listed.map((r) => r.uuid).sort()).toEqual([node1.uuid, node2.uuid, child.uuid].sort());
      expect(engine.listProviders()).toHaveLength(3);
      for (const row of listed) expectProvider(placement, row, row.name, row.uuid === child.uuid ? node1.uuid : null);
      // `resource provider show` runs below, on node-1, for the generation that `aggregate set` needs.

      // ---------------------------------------------------------------- resource class and inventories
      expect(await osc.run('resource', 'class', 'create', rc)).toBe('');
      expect(engine.hasResourceClass(rc)).toBe(true);

      const set = await osc.json<InventoryRow[]>(
        'resource', 'provider', 'inventory', 'set', node1.uuid,
        '--resource', 'VCPU=8', '--resource', 'VCPU:allocation_ratio=4', '--resource', 'VCPU:reserved=2',
        '--resource', 'MEMORY_MB=4096', '--resource', 'DISK_GB=100', '--resource', `${rc}=2`,
      );
      expect(Object.keys(byClass(set.value)).sort()).toEqual(['DISK_GB', 'MEMORY_MB', 'VCPU', rc].sort());
      // Placement answers allocation_ratio as a float, and osc prints it as it came: 4.0, not 4.
      expect(set.text).toContain('"allocation_ratio": 4.0');
      expect(set.text).toContain('"allocation_ratio": 1.0');
      await osc.run('resource', 'provider', 'inventory', 'set', node2.uuid, '--resource', 'VCPU=16', '--resource', 'MEMORY_MB=8192');

      const inventories = await osc.json<InventoryRow[]>('resource', 'provider', 'inventory', 'list', node1.uuid);
      expect(inventories.text).toContain('"allocation_ratio": 4.0');
      const invRows = byClass(inventories.value);
      expect(invRows['VCPU']).toMatchObject({ total: 8, reserved: 2, allocation_ratio: 4, min_unit: 1, max_unit: 2147483647, step_size: 1, used: 0 });
      expect(invRows['MEMORY_MB']).toMatchObject({ total: 4096, reserved: 0, allocation_ratio: 1, used: 0 });
      expect(invRows['DISK_GB']).toMatchObject({ total: 100, reserved: 0, allocation_ratio: 1, used: 0 });
      expect(invRows[rc]).toMatchObject({ total: 2, reserved: 0, allocation_ratio: 1, used: 0 });
      const engineInv = engine.getInventories(node1.uuid).inventories;
      expect(Object.keys(engineInv).sort()).toEqual(Object.keys(invRows).sort());
      for (const [cls, inv] of Object.entries(engineInv)) {
        expect(invRows[cls], cls).toEqual({
          resource_class: cls,
          total: inv.total,
          reserved: inv.reserved,
          min_unit: inv.minUnit,
          max_unit: inv.maxUnit,
          step_size: inv.stepSize,
          allocation_ratio: inv.allocationRatio,
          used: 0,
        });
      }
      expect(engine.getInventories(node2.uuid).inventories['VCPU']?.total).toBe(16);

      // ---------------------------------------------------------------- traits
      expect(await osc.run('trait', 'create', trait)).toBe('');
      expect(engine.hasTrait(trait)).toBe(true);
      const traitSet = (await osc.json<{ name: string }[]>('resource', 'provider', 'trait', 'set', node1.uuid, '--trait', trait, '--trait', 'HW_CPU_X86_AVX2')).value;
      expect(traitSet.map((t) => t.name).sort()).toEqual([trait, 'HW_CPU_X86_AVX2'].sort());
      const traitList = (await osc.json<{ name: string }[]>('resource', 'provider', 'trait', 'list', node1.uuid)).value;
      expect(traitList.map((t) => t.name).sort()).toEqual(engine.getProviderTraits(node1.uuid).traits.sort());
      expect(engine.getProviderTraits(node1.uuid).traits.sort()).toEqual([trait, 'HW_CPU_X86_AVX2'].sort());

      // ---------------------------------------------------------------- aggregates
      const shownNode1 = (await osc.json<ProviderRow>('resource', 'provider', 'show', node1.uuid)).value;
      expectProvider(placement, shownNode1, 'osc-node-1', null);
      expect(shownNode1.generation).toBe(2); // one inventory write and one trait write
      const aggSet = (await osc.json<{ uuid: string }[]>(
        'resource', 'provider', 'aggregate', 'set', node1.uuid, '--aggregate', aggregate, '--generation', String(shownNode1.generation),
      )).value;
      expect(aggSet).toEqual([{ uuid: aggregate }]);
      const aggList = (await osc.json<{ uuid: string }[]>('resource', 'provider', 'aggregate', 'list', node1.uuid)).value;
      expect(aggList).toEqual([{ uuid: aggregate }]);
      expect(engine.getAggregates(node1.uuid)).toEqual({ generation: 3, aggregates: [aggregate] });

      // ---------------------------------------------------------------- allocations and usages
      const allocated = (await osc.json<AllocationRow[]>(
        'resource', 'provider', 'allocation', 'set', consumer,
        '--allocation', `rp=${node1.uuid},VCPU=2`, '--allocation', `rp=${node1.uuid},MEMORY_MB=1024`, '--allocation', `rp=${node1.uuid},${rc}=1`,
        '--project-id', project, '--user-id', 'alice', '--consumer-type', 'INSTANCE',
      )).value;
      const expectedAllocation: AllocationRow = {
        resource_provider: node1.uuid,
        generation: engine.requireProvider(node1.uuid).generation,
        resources: { VCPU: 2, MEMORY_MB: 1024, [rc]: 1 },
        project_id: project,
        user_id: 'alice',
        consumer_type: 'INSTANCE',
      };
      expect(allocated).toEqual([expectedAllocation]);
      const held = engine.getConsumerAllocations(consumer);
      expect(held).toMatchObject({ projectId: project, userId: 'alice', consumerType: 'INSTANCE', consumerGeneration: 1 });
      expect(held?.allocations).toEqual({ [node1.uuid]: { generation: expectedAllocation.generation, resources: expectedAllocation.resources } });

      const shownAllocation = (await osc.json<AllocationRow[]>('resource', 'provider', 'allocation', 'show', consumer)).value;
      expect(shownAllocation).toEqual([expectedAllocation]);

      const rpUsage = (await osc.json<UsageRow[]>('resource', 'provider', 'usage', 'show', node1.uuid)).value;
      expect(Object.fromEntries(rpUsage.map((u) => [u.resource_class, u.usage]))).toEqual({ VCPU: 2, MEMORY_MB: 1024, DISK_GB: 0, [rc]: 1 });
      expect(Object.fromEntries(rpUsage.map((u) => [u.resource_class, u.usage]))).toEqual(engine.getProviderUsages(node1.uuid).usages);

      // osc expects GET /usages in its flat (< 1.38) shape: 1.37 is the newest version it takes that gives it.
      const projectUsage = (await new Cli(placement.base, '1.37').json<UsageRow[]>('resource', 'usage', 'show', project)).value;
      expect(Object.fromEntries(projectUsage.map((u) => [u.resource_class, u.usage]))).toEqual({ VCPU: 2, MEMORY_MB: 1024, [rc]: 1 });
      expect(Object.fromEntries(projectUsage.map((u) => [u.resource_class, u.usage]))).toEqual(engine.getUsages({ projectId: project }));

      // ---------------------------------------------------------------- allocation candidates
      // Without filters both compute nodes fit; the trait (node-1 only) and the aggregate must narrow it.
      const unfiltered = engine.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1, MEMORY_MB: 512 } }] });
      expect(unfiltered.allocationRequests.flatMap((a) => Object.keys(a.allocations)).sort()).toEqual([node1.uuid, node2.uuid].sort());

      const candidates = (await osc.json<CandidateRow[]>(
        'allocation', 'candidate', 'list', '--resource', 'VCPU=1', '--resource', 'MEMORY_MB=512', '--required', trait,
      )).value;
      const fromEngine = engine.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1, MEMORY_MB: 512 }, required: [[trait]] }] });
      expect(fromEngine.allocationRequests).toHaveLength(1);
      expect(candidates).toHaveLength(1);
      const row = candidates[0] as CandidateRow;
      expect(row['#']).toBe(1);
      expect(row['resource provider']).toBe(node1.uuid);
      expect(parseAmounts(row.allocation)).toEqual({ VCPU: 1, MEMORY_MB: 512 });
      expect(parseAmounts(row.allocation)).toEqual(fromEngine.allocationRequests[0]?.allocations[node1.uuid]?.resources);
      const usedCapacity = parseUsedCapacity(row['inventory used/capacity']);
      // (8 - 2) * 4 VCPU; 4096 MB; 100 GB; 2 GPUs.
      expect(usedCapacity).toEqual({
        VCPU: { used: 2, capacity: 24 },
        MEMORY_MB: { used: 1024, capacity: 4096 },
        DISK_GB: { used: 0, capacity: 100 },
        [rc]: { used: 1, capacity: 2 },
      });
      expect(usedCapacity).toEqual(fromEngine.providerSummaries[node1.uuid]?.resources);
      expect(row.traits.split(',').sort()).toEqual([...(fromEngine.providerSummaries[node1.uuid]?.traits ?? [])].sort());

      const inAggregate = (await osc.json<CandidateRow[]>('allocation', 'candidate', 'list', '--resource', 'VCPU=1', '--member-of', aggregate)).value;
      const aggFromEngine = engine.getAllocationCandidates({ groups: [{ suffix: '', resources: { VCPU: 1 }, memberOf: [[aggregate]] }] });
      expect(inAggregate.map((r) => r['resource provider'])).toEqual([node1.uuid]);
      expect(aggFromEngine.allocationRequests.flatMap((a) => Object.keys(a.allocations))).toEqual([node1.uuid]);
      expect(parseAmounts((inAggregate[0] as CandidateRow).allocation)).toEqual({ VCPU: 1 });
      expect(parseUsedCapacity((inAggregate[0] as CandidateRow)['inventory used/capacity'])).toEqual(aggFromEngine.providerSummaries[node1.uuid]?.resources);

      // ---------------------------------------------------------------- teardown through the CLI
      expect(await osc.run('resource', 'provider', 'allocation', 'delete', consumer)).toBe('');
      expect(engine.getConsumerAllocations(consumer)).toBeUndefined();
      expect(engine.getProviderUsages(node1.uuid).usages).toEqual({ VCPU: 0, MEMORY_MB: 0, DISK_GB: 0, [rc]: 0 });

      expect(await osc.run('resource', 'provider', 'inventory', 'delete', node1.uuid, '--resource-class', rc)).toBe('');
      expect(Object.keys(engine.getInventories(node1.uuid).inventories).sort()).toEqual(['DISK_GB', 'MEMORY_MB', 'VCPU']);
      expect(await osc.run('resource', 'provider', 'inventory', 'delete', node1.uuid)).toBe('');
      expect(engine.getInventories(node1.uuid).inventories).toEqual({});

      // A parent goes only after its children: a 409 that osc reports and exits non-zero on.
      const refused = await osc.exec(['resource', 'provider', 'delete', node1.uuid]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`Unable to delete parent resource provider ${node1.uuid}: It has child resource providers. (HTTP 409)`);
      expect(engine.getProvider(node1.uuid)).toBeDefined();
      expect(engine.getProvider(child.uuid)).toBeDefined();

      expect(await osc.run('resource', 'provider', 'delete', child.uuid)).toBe('');
      expect(engine.getProvider(child.uuid)).toBeUndefined();
      expect(await osc.run('resource', 'provider', 'delete', node1.uuid)).toBe('');
      expect(engine.listProviders().map((p) => p.uuid)).toEqual([node2.uuid]);

      // Every request but GET / ran at the version asked for, and nothing failed on our side.
      expect(requests.filter((r) => r.status >= 500)).toEqual([]);
      const versions = new Set(requests.filter((r) => r.path !== '/').map((r) => r.version));
      expect([...versions].sort()).toEqual(['1.37', '1.39']);
      expect(requests.filter((r) => r.version === '1.37').map((r) => `${r.method} ${r.path}`)).toEqual(['GET /usages']);
    } finally {
      await placement.close();
    }
  }, 120_000);

  itWithCli('creates, lists, shows and deletes providers at the version osc negotiates by default (1.29)', async () => {
    const { placement, requests } = await startLogged();
    try {
      const { engine } = placement;
      const osc = new Cli(placement.base, undefined);
      const root = (await osc.json<ProviderRow>('resource', 'provider', 'create', 'osc-default-node')).value;
      expectProvider(placement, root, 'osc-default-node', null);
      expect(root.root_provider_uuid).toBe(root.uuid);
      const child = (await osc.json<ProviderRow>('resource', 'provider', 'create', 'osc-default-child', '--parent-provider', root.uuid)).value;
      expectProvider(placement, child, 'osc-default-child', root.uuid);
      expect(child.root_provider_uuid).toBe(root.uuid);

      const listed = (await osc.json<ProviderRow[]>('resource', 'provider', 'list')).value;
      expect(listed.map((r) => r.uuid).sort()).toEqual([root.uuid, child.uuid].sort());
      for (const row of listed) expectProvider(placement, row, row.name, row.uuid === child.uuid ? root.uuid : null);
      const shown = (await osc.json<ProviderRow>('resource', 'provider', 'show', child.uuid)).value;
      expect(shown).toEqual(child);

      expect(await osc.run('resource', 'provider', 'delete', child.uuid)).toBe('');
      expect(await osc.run('resource', 'provider', 'delete', root.uuid)).toBe('');
      expect(engine.listProviders()).toEqual([]);

      // osc probed GET / at 1.29, got no 406, and so sent 1.29 on everything else.
      expect(requests.filter((r) => r.status >= 500)).toEqual([]);
      expect(requests.filter((r) => r.path === '/').length).toBeGreaterThan(0);
      expect(new Set(requests.filter((r) => r.path !== '/').map((r) => r.version))).toEqual(new Set(['1.29']));
    } finally {
      await placement.close();
    }
  }, 60_000);
});
