/**
 * Nova's weighers, with Nova's default multipliers ([filter_scheduler] *_weight_multiplier):
 *
 * | weigher            | raw weight of a host                               | default | positive multiplier prefers |
 * |--------------------|----------------------------------------------------|---------|-----------------------------|
 * | ram                | free MEMORY_MB (capacity − used)                   | 1.0     | more free RAM (spread)      |
 * | cpu                | free VCPU                                          | 1.0     | more free vCPUs (spread)    |
 * | disk               | free DISK_GB                                       | 1.0     | more free disk (spread)     |
 * | ioOps              | current IO ops (HostStats.ioOps)                   | −1.0    | busier hosts (default: idle)|
 * | buildFailure       | −(recent failed builds) (HostStats.failedBuilds)   | 1e6     | fewer failures              |
 * | numInstances       | instances on the host (HostStats.instances)        | 0.0     | more instances (pack)       |
 * | softAffinity       | group members on the host, policy soft-affinity    | 1.0     | more members                |
 * | softAntiAffinity   | −(group members on the host), soft-anti-affinity   | 1.0     | fewer members               |
 *
 * A negative multiplier reverses a weigher (ram −1.0 stacks). The resource weighers read the table's
 * dimension by name (MEMORY_MB, VCPU, DISK_GB unless told otherwise); a table without that
 * dimension gives every host raw weight 0 (the weigher then has no effect). The group weighers give
 * 0 everywhere unless the request's server group has their policy.
 */
import { checkMultiplier, type Weigher, type WeighRequest, type WeighView } from './weigher.js';

/** Nova's defaults. */
export const NOVA_DEFAULT_MULTIPLIERS = Object.freeze({
  ram: 1.0,
  cpu: 1.0,
  disk: 1.0,
  ioOps: -1.0,
  buildFailure: 1_000_000.0,
  numInstances: 0.0,
  softAffinity: 1.0,
  softAntiAffinity: 1.0,
});

export interface ResourceWeigherOptions {
  readonly multiplier?: number;
  /** Table dimension to weigh (default per weigher: MEMORY_MB, VCPU, DISK_GB). */
  readonly dimension?: string;
}

export interface StatWeigherOptions {
  readonly multiplier?: number;
}

/** Free capacity of one named dimension: capacity − used (negative when over-committed). */
export function freeResourceWeigher(name: string, dimension: string, multiplier: number): Weigher {
  checkMultiplier(name, multiplier);
  return {
    name,
    multiplier,
    weigh(hosts: Int32Array, view: WeighView, _request: WeighRequest, out: Float64Array): void {
      const table = view.table;
      const D = table.dims;
      const d = table.dimensions.indexOf(dimension);
      if (d < 0) {
        out.fill(0, 0, hosts.length);
        return;
      }
      const capacity = table.capacity;
      const used = table.used;
      for (let i = 0; i < hosts.length; i++) {
        const k = (hosts[i] as number) * D + d;
        out[i] = (capacity[k] as number) - (used[k] as number);
      }
    },
  };
}

export function ramWeigher(options: ResourceWeigherOptions = {}): Weigher {
  return freeResourceWeigher('ram', options.dimension ?? 'MEMORY_MB', options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.ram);
}

export function cpuWeigher(options: ResourceWeigherOptions = {}): Weigher {
  return freeResourceWeigher('cpu', options.dimension ?? 'VCPU', options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.cpu);
}

export function diskWeigher(options: ResourceWeigherOptions = {}): Weigher {
  return freeResourceWeigher('disk', options.dimension ?? 'DISK_GB', options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.disk);
}

type StatName = 'ioOps' | 'failedBuilds' | 'instances';

function statWeigher(name: string, stat: StatName, sign: 1 | -1, multiplier: number): Weigher {
  checkMultiplier(name, multiplier);
  return {
    name,
    multiplier,
    weigh(hosts: Int32Array, view: WeighView, _request: WeighRequest, out: Float64Array): void {
      const stats = view.stats;
      if (stats === undefined) {
        out.fill(0, 0, hosts.length);
        return;
      }
      const values = stats[stat];
      for (let i = 0; i < hosts.length; i++) out[i] = sign * (values[hosts[i] as number] ?? 0);
    },
  };
}

/** Nova's IoOpsWeigher: raw = current IO ops; default −1.0 prefers idle hosts. */
export function ioOpsWeigher(options: StatWeigherOptions = {}): Weigher {
  return statWeigher('ioOps', 'ioOps', 1, options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.ioOps);
}

/** Nova's BuildFailureWeigher: raw = −failed builds; default 1e6 all but excludes failing hosts. */
export function buildFailureWeigher(options: StatWeigherOptions = {}): Weigher {
  return statWeigher('buildFailure', 'failedBuilds', -1, options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.buildFailure);
}

/** Nova's NumInstancesWeigher: raw = instances; default 0 (off); positive packs, negative spreads. */
export function numInstancesWeigher(options: StatWeigherOptions = {}): Weigher {
  return statWeigher('numInstances', 'instances', 1, options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.numInstances);
}

function groupWeigher(name: string, policy: 'soft-affinity' | 'soft-anti-affinity', sign: 1 | -1, multiplier: number): Weigher {
  checkMultiplier(name, multiplier);
  return {
    name,
    multiplier,
    weigh(hosts: Int32Array, view: WeighView, request: WeighRequest, out: Float64Array): void {
      const group = request.serverGroup;
      const members = group !== undefined && group.policy === policy ? view.stats?.groupMembers(group.id) : undefined;
      if (members === undefined) {
        out.fill(0, 0, hosts.length);
        return;
      }
      for (let i = 0; i < hosts.length; i++) out[i] = sign * (members[hosts[i] as number] ?? 0);
    },
  };
}

/** Nova's ServerGroupSoftAffinityWeigher: raw = members of the request's soft-affinity group on the host. */
export function softAffinityWeigher(options: StatWeigherOptions = {}): Weigher {
  return groupWeigher('softAffinity', 'soft-affinity', 1, options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.softAffinity);
}

/** Nova's ServerGroupSoftAntiAffinityWeigher: raw = −members of the request's soft-anti-affinity group on the host. */
export function softAntiAffinityWeigher(options: StatWeigherOptions = {}): Weigher {
  return groupWeigher('softAntiAffinity', 'soft-anti-affinity', -1, options.multiplier ?? NOVA_DEFAULT_MULTIPLIERS.softAntiAffinity);
}
