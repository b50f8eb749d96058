/**
 * The operations a controller performs on one switch, written once over three primitives
 * (send, request, sendBatch) that a live session implements and the reconnecting client
 * delegates. Typed helpers for each multipart statistic return the reassembled body.
 */
import { EventEmitter } from 'node:events';
import type { Action } from './actions.js';
import { OFP_NO_BUFFER, OFPCR_ROLE, OFPFC, OFPG, OFPP, OFPTT_ALL } from './constants.js';
import { OpenFlowProtocolError } from './errors.js';
import { iterateEvents, type EventIterator } from './event-queue.js';
import type { MessageOf, OfMessage, OfMessageInput } from './message.js';
import type { ErrorMsg } from './messages/error.js';
import { flowMod, type FlowMod, type FlowModSpec } from './messages/flow-mod.js';
import type { FlowRemoved } from './messages/flow-removed.js';
import type { GroupMod } from './messages/group-mod.js';
import type { MeterMod } from './messages/meter-mod.js';
import type { PacketIn } from './messages/packet.js';
import type { PortDesc, PortStatus } from './messages/port.js';
import type { PacketQueue } from './messages/queue-config.js';
import type { AsyncConfig, FeaturesReply, RoleReply, SwitchConfig } from './messages/simple.js';
import { flowStatsQuery, type FlowStats, type FlowStatsQuery, type GroupDesc, type GroupStats, type MeterConfig, type MeterStats, type MultipartReplyBody, type MultipartRequestBody, type PortStats, type QueueStats, type SwitchDesc, type TableStats } from './multipart.js';

/** What arrives from the switch unasked. */
export type SwitchEvent = PacketIn | PortStatus | FlowRemoved | (ErrorMsg & { unsolicited: true });

/** Typed events of a channel (EventEmitter names and listener arguments). */
export interface ChannelEvents {
  packet_in: [PacketIn];
  port_status: [PortStatus];
  flow_removed: [FlowRemoved];
  /** An error reply whose xid matches no request in flight (e.g. for a plain send()). */
  error_message: [ErrorMsg];
  /** Any message not consumed as a reply, after the typed event. */
  message: [OfMessage];
  /** Session: the connection is gone (the reason). */
  close: [Error];
  /** Client: a session is up (first connect and every reconnect). */
  connected: [OpenFlowSessionLike];
  /** Client: the session dropped; a reconnect follows unless reconnect is off. */
  disconnected: [Error];
  /** No more events: the session or client is closed for good. */
  end: [];
}

/** What 'connected' hands out (the session class itself would make an import cycle). */
export interface OpenFlowSessionLike {
  readonly closed: boolean;
  readonly remoteAddress: string;
}

type ReplyOf<K extends MultipartRequestBody['kind']> = Extract<MultipartReplyBody, { kind: K }>;

export abstract class OpenFlowChannel extends EventEmitter<ChannelEvents> {
  /** Sends without waiting; returns the xid used. Errors for it surface as 'error_message'. */
  abstract send(msg: OfMessageInput): number;
  /**
   * Sends and resolves with the reply of the same xid (multipart replies reassembled); rejects with
   * OpenFlowSwitchError when the switch answers with an error.
   */
  abstract request(msg: OfMessageInput): Promise<OfMessage>;
  /**
   * Sends every message then a barrier; resolves when the barrier reply confirms them all,
   * rejects with OpenFlowSwitchError naming the first refused message's xid (others in `.others`).
   */
  abstract sendBatch(msgs: readonly OfMessageInput[]): Promise<void>;

  protected async expect<T extends OfMessage['type']>(msg: OfMessageInput, type: T): Promise<MessageOf<T>> {
    const reply = await this.request(msg);
    if (reply.type !== type) throw new OpenFlowProtocolError(`expected ${type} in reply to ${msg.type}, got ${reply.type}`);
    return reply as MessageOf<T>;
  }

  /** A multipart request; resolves with the whole reply body, all parts joined. */
  async multipart<K extends MultipartRequestBody['kind']>(body: Extract<MultipartRequestBody, { kind: K }>): Promise<ReplyOf<K>> {
    const reply = await this.expect({ type: 'multipart_request', flags: 0, body }, 'multipart_reply');
    if (reply.body.kind !== body.kind) throw new OpenFlowProtocolError(`multipart ${body.kind} answered with ${reply.body.kind}`);
    return reply.body as ReplyOf<K>;
  }

  /** Resolves when the switch has processed everything sent before it. */
  async barrier(): Promise<void> {
    await this.expect({ type: 'barrier_request' }, 'barrier_reply');
  }

  /** Round trip with payload; resolves with the echoed data. */
  async echo(data: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    return (await this.expect({ type: 'echo_request', data }, 'echo_reply')).data;
  }

  async features(): Promise<FeaturesReply> {
    return this.expect({ type: 'features_request' }, 'features_reply');
  }

  async getConfig(): Promise<SwitchConfig> {
    const { flags, missSendLen } = await this.expect({ type: 'get_config_request' }, 'get_config_reply');
    return { flags, missSendLen };
  }

  /** set_config has no reply: confirmed with a barrier. */
  async setConfig(config: SwitchConfig): Promise<void> {
    await this.sendBatch([{ type: 'set_config', ...config }]);
  }

  /** Installs flow_mods (adds by default) and resolves once a barrier confirms them. */
  async installFlows(mods: readonly (FlowMod | FlowModSpec)[]): Promise<void> {
    await this.sendBatch(mods.map((m) => ('type' in m && m.type === 'flow_mod' ? m : flowMod(m))));
  }

  /** Deletes the flows matching (non-strict) in a table (all tables by default), confirmed by a barrier. */
  async deleteFlows(spec: FlowModSpec = {}): Promise<void> {
    await this.sendBatch([flowMod({ tableId: OFPTT_ALL, ...spec, command: spec.command ?? OFPFC.DELETE })]);
  }

  async groupMod(mod: Omit<GroupMod, 'type' | 'xid'>): Promise<void> {
    await this.sendBatch([{ type: 'group_mod', ...mod }]);
  }

  async meterMod(mod: Omit<MeterMod, 'type' | 'xid'>): Promise<void> {
    await this.sendBatch([{ type: 'meter_mod', ...mod }]);
  }

  /** Sends a packet through `actions` (as if it arrived on inPort, OFPP_CONTROLLER by default). */
  async packetOut(data: Uint8Array, actions: Action[], inPort: number = OFPP.CONTROLLER): Promise<void> {
    await this.sendBatch([{ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort, actions, data }]);
  }

  /** Which asynchronous messages this connection receives (bit sets of reasons, [master/equal, slave]). */
  async getAsync(): Promise<AsyncConfig> {
    const { packetInMask, portStatusMask, flowRemovedMask } = await this.expect({ type: 'get_async_request' }, 'get_async_reply');
    return { packetInMask, portStatusMask, flowRemovedMask };
  }

  /** set_async has no reply: confirmed with a barrier. */
  async setAsync(config: AsyncConfig): Promise<void> {
    await this.sendBatch([{ type: 'set_async', ...config }]);
  }

  async role(role: number = OFPCR_ROLE.NOCHANGE, generationId = 0n): Promise<RoleReply> {
    return this.expect({ type: 'role_request', role, generationId }, 'role_reply');
  }

  /** The queues configured on a port (OFPP_ANY: every port). */
  async queueConfig(port: number = OFPP.ANY): Promise<PacketQueue[]> {
    return (await this.expect({ type: 'queue_get_config_request', port }, 'queue_get_config_reply')).queues;
  }

  async queueStats(portNo: number = OFPP.ANY, queueId = 0xffffffff): Promise<QueueStats[]> {
    return (await this.multipart({ kind: 'queue', portNo, queueId })).queues;
  }

  async desc(): Promise<SwitchDesc> {
    const { kind: _kind, ...d } = await this.multipart({ kind: 'desc' });
    return d;
  }

  async flowStats(q: Partial<FlowStatsQuery> = {}): Promise<FlowStats[]> {
    return (await this.multipart({ kind: 'flow', ...flowStatsQuery(q) })).flows;
  }

  async aggregateStats(q: Partial<FlowStatsQuery> = {}): Promise<{ packetCount: bigint; byteCount: bigint; flowCount: number }> {
    const { kind: _kind, ...a } = await this.multipart({ kind: 'aggregate', ...flowStatsQuery(q) });
    return a;
  }

  async tableStats(): Promise<TableStats[]> {
    return (await this.multipart({ kind: 'table' })).tables;
  }

  async portStats(portNo: number = OFPP.ANY): Promise<PortStats[]> {
    return (await this.multipart({ kind: 'port_stats', portNo })).ports;
  }

  async portDesc(): Promise<PortDesc[]> {
    return (await this.multipart({ kind: 'port_desc' })).ports;
  }

  async groupStats(groupId: number = OFPG.ALL): Promise<GroupStats[]> {
    return (await this.multipart({ kind: 'group', groupId })).groups;
  }

  async groupDesc(): Promise<GroupDesc[]> {
    return (await this.multipart({ kind: 'group_desc' })).groups;
  }

  async meterStats(meterId = 0xffffffff): Promise<MeterStats[]> {
    return (await this.multipart({ kind: 'meter', meterId })).meters;
  }

  async meterConfig(meterId = 0xffffffff): Promise<MeterConfig[]> {
    return (await this.multipart({ kind: 'meter_config', meterId })).meters;
  }

  /**
   * Asynchronous messages as an async iterator (packet_in, port_status, flow_removed, and error
   * replies that match no request). Ends when the channel closes.
   */
  events(opts: { maxBuffered?: number } = {}): EventIterator<SwitchEvent> {
    return iterateEvents<SwitchEvent>(
      this,
      ['packet_in', 'port_status', 'flow_removed', 'error_message'],
      'end',
      (ev, args) => (ev === 'error_message' ? { ...(args[0] as ErrorMsg), unsolicited: true as const } : (args[0] as SwitchEvent)),
      opts.maxBuffered,
    );
  }

  /** Emits the typed event for an asynchronous message, then 'message'. */
  protected dispatchAsync(m: OfMessage): void {
    switch (m.type) {
      case 'packet_in':
        this.emit('packet_in', m);
        break;
      case 'port_status':
        this.emit('port_status', m);
        break;
      case 'flow_removed':
        this.emit('flow_removed', m);
        break;
      case 'error':
        this.emit('error_message', m);
        break;
    }
    this.emit('message', m);
  }
}
