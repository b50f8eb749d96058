/**
 * tstack-host/openflow: OpenFlow 1.3 in pure TypeScript. A codec for every message a host agent
 * uses (OXM matches, instructions, actions, groups, meters, multipart statistics), a client for a
 * switch's passive listener with reconnect, and a controller server that switches connect to.
 */
export * from './errors.js';
export * from './constants.js';
export { errorTypeName, errorCodeName, allErrorCodes, errorCodeByName, OFPET_EXPERIMENTER } from './error-codes.js';
export { formatMac, parseMac, formatIpv4, parseIpv4, formatIpv6, parseIpv6 } from './addresses.js';
export { OXM_FIELDS, OFPXMC_OPENFLOW_BASIC, OFPXMC_EXPERIMENTER, type OxmBasic, type OxmOther, type OxmField, type OxmFieldName, type Match } from './oxm.js';
export { OFPAT, type Action, type ActionType } from './actions.js';
export { OFPIT, type Instruction } from './instructions.js';
export { readHeader, OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, type OfpHeader } from './header.js';
export type { Hello } from './messages/hello.js';
export { errorMessage, type ErrorMsg } from './messages/error.js';
export type * from './messages/simple.js';
export { flowMod, type FlowMod, type FlowModSpec } from './messages/flow-mod.js';
export type { FlowRemoved } from './messages/flow-removed.js';
export type { PacketIn, PacketOut } from './messages/packet.js';
export type { PortDesc, PortStatus, PortMod } from './messages/port.js';
export { bucket, type Bucket, type GroupMod } from './messages/group-mod.js';
export { OFPMBT, type MeterBand, type MeterMod } from './messages/meter-mod.js';
export { OFPQT, type PacketQueue, type QueueGetConfigReply, type QueueProperty } from './messages/queue-config.js';
export {
  flowStatsQuery,
  mergeMultipartBodies,
  multipartCode,
  type FlowStats,
  type FlowStatsQuery,
  type GroupDesc,
  type GroupFeatures,
  type GroupStats,
  type MeterConfig,
  type MeterFeatures,
  type MeterStats,
  type MultipartKind,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type PortStats,
  type QueueStats,
  type SwitchDesc,
  type TableStats,
} from './multipart.js';
export { decodeMessage, encodeMessage, encodeMessageInto, messageCode, type MessageOf, type MultipartReply, type MultipartRequest, type OfMessage, type OfMessageInput, type OfMessageType, type RawMessage } from './message.js';
export { Framer } from './framer.js';
export { Reader, Writer } from './wire.js';
export { OpenFlowChannel, type ChannelEvents, type SwitchEvent } from './channel.js';
export { OpenFlowSession, type SessionOptions } from './session.js';
export { OpenFlowClient, type ClientOptions } from './client.js';
export { OpenFlowController, type ControllerEvents, type ControllerOptions, type SwitchConnection } from './controller.js';
export type { EventIterator } from './event-queue.js';
