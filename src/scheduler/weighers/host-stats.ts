/**
 * Per-host inputs of the weighers that the HostTable does not hold, as struct-of-arrays over the
 * same dense host ids:
 * - ioOps[h]         the host's current IO-heavy operations (Nova's num_io_ops: builds, resizes,
 *                    snapshots, migrations … in progress);
 * - failedBuilds[h]  recent failed builds on the host (Nova's failed_builds; reset on a success);
 * - instances[h]     instances on the host (Nova's num_instances);
 * - per server group (dense group id): an Int32Array over host ids of the group's members on each
 *   host (what the soft-affinity / soft-anti-affinity weighers count).
 *
 * Hosts past the arrays' length read as 0, so the stats may lag behind the table; the arrays grow by
 * doubling when a larger host id is written. Callers read the arrays directly (hot path) and write
 * through the setters.
 */
import { SchedulerWeigherError } from './errors.js';

function grow(a: Int32Array, room: number): Int32Array {
  const b = new Int32Array(room);
  b.set(a);
  return b;
}

function checkCount(what: string, host: number, n: number): void {
  if (!Number.isInteger(host) || host < 0) throw new SchedulerWeigherError(`${what}: host id ${host} is not a dense id`);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new SchedulerWeigherError(`${what} of host ${host} must be an integer ≥ 0, got ${n}`);
}

export class HostStats {
  ioOps: Int32Array;
  failedBuilds: Int32Array;
  instances: Int32Array;
  private room: number;
  private readonly groups = new Map<number, Int32Array>();

  constructor(initialHosts = 16) {
    this.room = Math.max(16, initialHosts);
    this.ioOps = new Int32Array(this.room);
    this.failedBuilds = new Int32Array(this.room);
    this.instances = new Int32Array(this.room);
  }

  setIoOps(host: number, n: number): void {
    checkCount('ioOps', host, n);
    this.ensure(host);
    this.ioOps[host] = n;
  }

  setFailedBuilds(host: number, n: number): void {
    checkCount('failedBuilds', host, n);
    this.ensure(host);
    this.failedBuilds[host] = n;
  }

  /** One more failed build on `host`. */
  recordBuildFailure(host: number): void {
    this.setFailedBuilds(host, (this.failedBuilds[host] ?? 0) + 1);
  }

  /** A successful build clears the host's failure count (as Nova's compute manager does). */
  resetBuildFailures(host: number): void {
    this.setFailedBuilds(host, 0);
  }

  setInstances(host: number, n: number): void {
    checkCount('instances', host, n);
    this.ensure(host);
    this.instances[host] = n;
  }

  /** Sets how many members of server group `group` are on `host`. */
  setGroupMembers(group: number, host: number, n: number): void {
    checkCount(`members of group ${group}`, host, n);
    if (!Number.isInteger(group) || group < 0) throw new SchedulerWeigherError(`group id ${group} is not a dense id`);
    this.ensure(host);
    let members = this.groups.get(group);
    if (members === undefined || members.length < this.room) {
      members = members === undefined ? new Int32Array(this.room) : grow(members, this.room);
      this.groups.set(group, members);
    }
    members[host] = n;
  }

  /** Adds `delta` (may be negative) members of `group` on `host`; the count never goes below 0. */
  addGroupMember(group: number, host: number, delta = 1): void {
    this.setGroupMembers(group, host, Math.max(0, this.groupMembersOn(group, host) + delta));
  }

  /** The group's members per host id, or undefined when the group has none recorded (read as 0). */
  groupMembers(group: number): Int32Array | undefined {
    return this.groups.get(group);
  }

  groupMembersOn(group: number, host: number): number {
    return this.groups.get(group)?.[host] ?? 0;
  }

  /** Forgets a server group (deleted). */
  deleteGroup(group: number): void {
    this.groups.delete(group);
  }

  private ensure(host: number): void {
    if (host < this.room) return;
    let room = this.room;
    while (room <= host) room *= 2;
    this.ioOps = grow(this.ioOps, room);
    this.failedBuilds = grow(this.failedBuilds, room);
    this.instances = grow(this.instances, room);
    for (const [g, members] of this.groups) this.groups.set(g, grow(members, room));
    this.room = room;
  }
}
