/**
 * tstack-host/libvirt: libvirt/KVM through a Node-API addon (native/libvirt). Every libvirt call
 * runs off the JS thread and returns a Promise; errors are LibvirtError with libvirt's code.
 */
export { Connection, openConnection, versionString, type ListDomainsFilter, type NodeInfo, type OpenOptions } from './connection.js';
export { Domain, migrateFlags, migrateParams, type DomainInfo, type MigrateOptions, type MigrateParams, type UndefineOptions, type XmlOptions } from './domain.js';
export { Snapshot, type RevertOptions } from './snapshot.js';
export { DomainEvents, EventSubscription, ALL_EVENT_KINDS, toDomainEvent, type DomainEvent, type DomainEventKind } from './events.js';
export { StoragePool, StorageVolume, rbdPoolXml, type StoragePoolState } from './storage.js';
export { Secret, cephSecretXml, registerCephKey } from './secret.js';
export { toStatsRecord, statsFlags, type DomainStatsRecord, type StatsGroup, type BlockStatsRecord, type InterfaceStatsRecord } from './stats.js';
export { ReconnectingConnection, type ReconnectOptions } from './reconnect.js';
export { LibvirtError, fromNative, libvirtErrorName, type LibvirtErrorCode, type LibvirtErrorLevel } from './errors.js';
export { loadNative, nativeAvailable, DEBIAN_PACKAGE } from './native.js';
export * from './constants.js';
export * from './domain-xml/index.js';
