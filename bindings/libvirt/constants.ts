/** libvirt's numeric enums and flags the binding exposes, with values from libvirt-api.xml (9.0). */

export const DomainState = {
  NOSTATE: 0, RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7,
} as const;
export type DomainStateName = Lowercase<keyof typeof DomainState>;

// Indexed by state number; built once (info() and state() map a state on every call).
const STATE_NAMES: readonly DomainStateName[] = (() => {
  const names: DomainStateName[] = [];
  for (const [k, v] of Object.entries(DomainState)) names[v] = k.toLowerCase() as DomainStateName;
  return names;
})();

export function domainStateName(state: number): DomainStateName {
  return STATE_NAMES[state] ?? 'nostate';
}

export const ListDomains = {
  ACTIVE: 1, INACTIVE: 2, PERSISTENT: 4, TRANSIENT: 8, RUNNING: 16, PAUSED: 32, SHUTOFF: 64, OTHER: 128,
  MANAGEDSAVE: 256, NO_MANAGEDSAVE: 512, AUTOSTART: 1024, NO_AUTOSTART: 2048, HAS_SNAPSHOT: 4096, NO_SNAPSHOT: 8192,
  HAS_CHECKPOINT: 16384, NO_CHECKPOINT: 32768,
} as const;

/** virDomainModificationImpact: where a change applies. */
export const Affect = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
export type AffectName = 'current' | 'live' | 'config' | 'both';
export function affectFlags(a: AffectName | undefined): number {
  switch (a ?? 'current') {
    case 'live': return Affect.LIVE;
    case 'config': return Affect.CONFIG;
    case 'both': return Affect.LIVE | Affect.CONFIG;
    default: return Affect.CURRENT;
  }
}

export const Undefine = { MANAGED_SAVE: 1, SNAPSHOTS_METADATA: 2, NVRAM: 4, KEEP_NVRAM: 8, CHECKPOINTS_METADATA: 16, TPM: 32, KEEP_TPM: 64 } as const;

export const Shutdown = { DEFAULT: 0, ACPI_POWER_BTN: 1, GUEST_AGENT: 2, INITCTL: 4, SIGNAL: 8, PARAVIRT: 16 } as const;

export const DomainXml = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;

export const Migrate = {
  LIVE: 1, PEER2PEER: 2, TUNNELLED: 4, PERSIST_DEST: 8, UNDEFINE_SOURCE: 16, PAUSED: 32, NON_SHARED_DISK: 64,
  NON_SHARED_INC: 128, CHANGE_PROTECTION: 256, UNSAFE: 512, OFFLINE: 1024, COMPRESSED: 2048, ABORT_ON_ERROR: 4096,
  AUTO_CONVERGE: 8192, POSTCOPY: 32768, TLS: 65536, PARALLEL: 131072,
} as const;

export const SnapshotCreate = { REDEFINE: 1, CURRENT: 2, NO_METADATA: 4, HALT: 8, DISK_ONLY: 16, REUSE_EXT: 32, QUIESCE: 64, ATOMIC: 128, LIVE: 256, VALIDATE: 512 } as const;
export const SnapshotRevert = { RUNNING: 1, PAUSED: 2, FORCE: 4 } as const;
export const SnapshotDelete = { CHILDREN: 1, METADATA_ONLY: 2, CHILDREN_ONLY: 4 } as const;

export const MetadataType = { DESCRIPTION: 0, TITLE: 1, ELEMENT: 2 } as const;

export const SecretUsage = { NONE: 0, VOLUME: 1, CEPH: 2, ISCSI: 3, TLS: 4, VTPM: 5 } as const;

export const DomainStats = {
  STATE: 1, CPU_TOTAL: 2, BALLOON: 4, VCPU: 8, INTERFACE: 16, BLOCK: 32, PERF: 64, IOTHREAD: 128, MEMORY: 256, DIRTYRATE: 512, VM: 1024,
} as const;

export const MemoryFlags = { MAXIMUM: 4 } as const;
export const VcpuFlags = { MAXIMUM: 4, GUEST: 8, HOTPLUGGABLE: 16 } as const;
export const BlockResize = { BYTES: 1 } as const;
export const ConnectFlags = { RO: 1, NO_ALIASES: 2 } as const;

/** virDomainEventID values the binding delivers. */
export const EventId = {
  LIFECYCLE: 0, REBOOT: 1, RTC_CHANGE: 2, WATCHDOG: 3, IO_ERROR: 4, IO_ERROR_REASON: 6, CONTROL_ERROR: 7, BLOCK_JOB: 8,
  BALLOON_CHANGE: 13, DEVICE_REMOVED: 15, BLOCK_JOB_2: 16, TUNABLE: 17, AGENT_LIFECYCLE: 18, DEVICE_ADDED: 19,
  JOB_COMPLETED: 21, DEVICE_REMOVAL_FAILED: 22, METADATA_CHANGE: 23,
} as const;

/** virDomainEventType: the `event` of a lifecycle event. */
export const LIFECYCLE_EVENTS = ['defined', 'undefined', 'started', 'suspended', 'resumed', 'stopped', 'shutdown', 'pmsuspended', 'crashed'] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

/** The `detail` of each lifecycle event type, by value. */
export const LIFECYCLE_DETAILS: Readonly<Record<LifecycleEventName, readonly string[]>> = {
  defined: ['added', 'updated', 'renamed', 'from_snapshot'],
  undefined: ['removed', 'renamed'],
  started: ['booted', 'migrated', 'restored', 'from_snapshot', 'wakeup'],
  suspended: ['paused', 'migrated', 'ioerror', 'watchdog', 'restored', 'from_snapshot', 'api_error', 'postcopy', 'postcopy_failed'],
  resumed: ['unpaused', 'migrated', 'from_snapshot', 'postcopy', 'postcopy_failed'],
  stopped: ['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from_snapshot'],
  shutdown: ['finished', 'guest', 'host'],
  pmsuspended: ['memory', 'disk'],
  crashed: ['panicked', 'crashloaded'],
};
