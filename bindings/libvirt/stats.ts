/**
 * virConnectGetAllDomainStats as typed records. libvirt returns flat typed parameters
 * ("state.state", "balloon.current", "block.0.name", "vcpu.1.time"...); these are grouped here into
 * per-domain objects with typed sections, keeping every raw field as well.
 */
import { DomainStats, domainStateName, type DomainStateName } from './constants.js';

export type StatsGroup = Lowercase<keyof typeof DomainStats>;

export interface BlockStatsRecord {
  name: string;
  path?: string;
  rdReqs?: number;
  rdBytes?: number;
  wrReqs?: number;
  wrBytes?: number;
  capacity?: number;
  allocation?: number;
  physical?: number;
}

export interface InterfaceStatsRecord {
  name: string;
  rxBytes?: number;
  rxPkts?: number;
  txBytes?: number;
  txPkts?: number;
}

export interface DomainStatsRecord {
  name: string;
  uuid: string;
  state?: { state: DomainStateName; reason: number };
  cpu?: { timeNs?: number; userNs?: number; systemNs?: number };
  balloon?: { currentKiB?: number; maximumKiB?: number; rssKiB?: number; availableKiB?: number; unusedKiB?: number };
  vcpu?: { current?: number; maximum?: number; perVcpu: { state?: number; timeNs?: number }[] };
  block: BlockStatsRecord[];
  interfaces: InterfaceStatsRecord[];
  raw: Record<string, number | string | boolean>;
}

export function statsFlags(groups: readonly StatsGroup[] | undefined): number {
  if (groups === undefined) return 0; // libvirt: all supported groups
  let f = 0;
  for (const g of groups) f |= DomainStats[g.toUpperCase() as keyof typeof DomainStats];
  return f;
}

function n(raw: Record<string, unknown>, k: string): number | undefined {
  const v = raw[k];
  return typeof v === 'number' ? v : undefined;
}

function s(raw: Record<string, unknown>, k: string): string | undefined {
  const v = raw[k];
  return typeof v === 'string' ? v : undefined;
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function toStatsRecord(r: { name: string; uuid: string; params: Record<string, number | string | boolean> }): DomainStatsRecord {
  const raw = r.params;
  const rec: DomainStatsRecord = { name: r.name, uuid: r.uuid, block: [], interfaces: [], raw };
  if (raw['state.state'] !== undefined) rec.state = { state: domainStateName(n(raw, 'state.state') ?? 0), reason: n(raw, 'state.reason') ?? 0 };
  if (raw['cpu.time'] !== undefined) rec.cpu = defined({ timeNs: n(raw, 'cpu.time'), userNs: n(raw, 'cpu.user'), systemNs: n(raw, 'cpu.system') });
  if (Object.keys(raw).some((k) => k.startsWith('balloon.'))) {
    rec.balloon = defined({
      currentKiB: n(raw, 'balloon.current'),
      maximumKiB: n(raw, 'balloon.maximum'),
      rssKiB: n(raw, 'balloon.rss'),
      availableKiB: n(raw, 'balloon.available'),
      unusedKiB: n(raw, 'balloon.unused'),
    });
  }
  if (raw['vcpu.current'] !== undefined) {
    const max = n(raw, 'vcpu.maximum') ?? 0;
    const per: { state?: number; timeNs?: number }[] = [];
    for (let i = 0; i < max; i++) if (raw[`vcpu.${i}.state`] !== undefined) per.push(defined({ state: n(raw, `vcpu.${i}.state`), timeNs: n(raw, `vcpu.${i}.time`) }));
    rec.vcpu = defined({ current: n(raw, 'vcpu.current'), maximum: n(raw, 'vcpu.maximum'), perVcpu: per });
  }
  for (let i = 0; i < (n(raw, 'block.count') ?? 0); i++) {
    const p = `block.${i}.`;
    rec.block.push(
      defined({
        name: s(raw, `${p}name`) ?? '',
        path: s(raw, `${p}path`),
        rdReqs: n(raw, `${p}rd.reqs`),
        rdBytes: n(raw, `${p}rd.bytes`),
        wrReqs: n(raw, `${p}wr.reqs`),
        wrBytes: n(raw, `${p}wr.bytes`),
        capacity: n(raw, `${p}capacity`),
        allocation: n(raw, `${p}allocation`),
        physical: n(raw, `${p}physical`),
      }),
    );
  }
  for (let i = 0; i < (n(raw, 'net.count') ?? 0); i++) {
    const p = `net.${i}.`;
    rec.interfaces.push(defined({ name: s(raw, `${p}name`) ?? '', rxBytes: n(raw, `${p}rx.bytes`), rxPkts: n(raw, `${p}rx.pkts`), txBytes: n(raw, `${p}tx.bytes`), txPkts: n(raw, `${p}tx.pkts`) }));
  }
  return rec;
}
