/**
 * Vswitch: the Open vSwitch operations a host agent needs, over an OvsdbClient. Every change is one
 * OVSDB transaction whose leading checks make a missing or duplicate object a typed error
 * (OvsdbNotFoundError / OvsdbExistsError) with nothing changed. Pass `waitApplied: true` to wait
 * until ovs-vswitchd has applied a change (like ovs-vsctl without --no-wait).
 */
import type { OvsdbClient } from '../client.js';
import type { AddBridgeOptions, BridgeSettings } from './bridges.js';
import { addBridge, deleteBridge, setControllers, updateBridge } from './bridges.js';
import type { CommitOptions } from './context.js';
import { VswitchContext } from './context.js';
import type { MirrorSpec } from './mirrors.js';
import { addMirror, deleteMirror } from './mirrors.js';
import type { AddPortOptions, TunnelOptions, VlanSettings } from './ports.js';
import { addPatchPair, addPort, addTunnelPort, deletePort, setPortVlan, updateInterface, waitForOfport } from './ports.js';
import type { QosSpec } from './qos.js';
import { clearPortQos, setIngressPolicing, setPortQos } from './qos.js';
import type { InterfaceStatus } from './stats.js';
import { allInterfaceStatus, interfaceStatus, listBridges, listPorts } from './stats.js';
import type { StringMap } from './context.js';

export class Vswitch {
  private readonly ctx: VswitchContext;

  constructor(readonly client: OvsdbClient) {
    this.ctx = new VswitchContext(client);
  }

  addBridge(name: string, o?: AddBridgeOptions): Promise<string> {
    return addBridge(this.ctx, name, o);
  }
  deleteBridge(name: string, o?: CommitOptions & { ifExists?: boolean }): Promise<boolean> {
    return deleteBridge(this.ctx, name, o);
  }
  updateBridge(name: string, s: BridgeSettings, o?: CommitOptions): Promise<void> {
    return updateBridge(this.ctx, name, s, o);
  }
  setControllers(bridge: string, targets: string[], o?: CommitOptions): Promise<void> {
    return setControllers(this.ctx, bridge, targets, o);
  }
  addPort(bridge: string, name: string, o?: AddPortOptions): Promise<string> {
    return addPort(this.ctx, bridge, name, o);
  }
  addInternalPort(bridge: string, name: string, o: Omit<AddPortOptions, 'type'> = {}): Promise<string> {
    return addPort(this.ctx, bridge, name, { ...o, type: 'internal' });
  }
  addTapPort(bridge: string, name: string, o: Omit<AddPortOptions, 'type'> = {}): Promise<string> {
    return addPort(this.ctx, bridge, name, { ...o, type: 'tap' });
  }
  addTunnelPort(bridge: string, name: string, o: TunnelOptions): Promise<string> {
    return addTunnelPort(this.ctx, bridge, name, o);
  }
  addPatchPair(bridgeA: string, portA: string, bridgeB: string, portB: string, o?: CommitOptions): Promise<[string, string]> {
    return addPatchPair(this.ctx, bridgeA, portA, bridgeB, portB, o);
  }
  deletePort(bridge: string, name: string, o?: CommitOptions & { ifExists?: boolean }): Promise<boolean> {
    return deletePort(this.ctx, bridge, name, o);
  }
  setPortVlan(port: string, v: VlanSettings, o?: CommitOptions): Promise<void> {
    return setPortVlan(this.ctx, port, v, o);
  }
  updateInterface(iface: string, s: { options?: StringMap; externalIds?: StringMap; type?: string; mtuRequest?: number | null }, o?: CommitOptions): Promise<void> {
    return updateInterface(this.ctx, iface, s, o);
  }
  waitForOfport(iface: string, timeoutMs?: number): Promise<number> {
    return waitForOfport(this.ctx, iface, timeoutMs);
  }
  setPortQos(port: string, spec: QosSpec, o?: CommitOptions): Promise<string> {
    return setPortQos(this.ctx, port, spec, o);
  }
  clearPortQos(port: string, o?: CommitOptions): Promise<void> {
    return clearPortQos(this.ctx, port, o);
  }
  setIngressPolicing(iface: string, rateKbps: number, burstKb?: number, o?: CommitOptions): Promise<void> {
    return setIngressPolicing(this.ctx, iface, rateKbps, burstKb, o);
  }
  addMirror(bridge: string, name: string, s: MirrorSpec): Promise<string> {
    return addMirror(this.ctx, bridge, name, s);
  }
  deleteMirror(bridge: string, name: string, o?: CommitOptions): Promise<void> {
    return deleteMirror(this.ctx, bridge, name, o);
  }
  interfaceStatus(name: string): Promise<InterfaceStatus> {
    return interfaceStatus(this.ctx, name);
  }
  allInterfaceStatus(): Promise<InterfaceStatus[]> {
    return allInterfaceStatus(this.ctx);
  }
  listBridges(): Promise<string[]> {
    return listBridges(this.ctx);
  }
  listPorts(bridge: string): Promise<string[]> {
    return listPorts(this.ctx, bridge);
  }
  /** Waits until ovs-vswitchd has applied everything committed so far. */
  async waitApplied(timeoutMs = 30_000): Promise<void> {
    const t = await this.ctx.txn();
    await this.ctx.commit(t, { waitApplied: true, timeoutMs });
  }
}

export type { AddBridgeOptions, BridgeSettings, OpenFlowProtocol } from './bridges.js';
export type { CommitOptions, StringMap } from './context.js';
export type { MirrorSpec } from './mirrors.js';
export type { AddPortOptions, InterfaceSpec, TunnelOptions, VlanMode, VlanSettings } from './ports.js';
export type { QosSpec, QueueSpec } from './qos.js';
export type { InterfaceStatus } from './stats.js';
