/** fast-check arbitraries for every OpenFlow 1.3 message the codec models, in canonical form. */
import fc from 'fast-check';
import { formatIpv4, formatIpv6, formatMac } from '../../../bindings/openflow/addresses.js';
import type { Action } from '../../../bindings/openflow/actions.js';
import { errorMessage } from '../../../bindings/openflow/messages/error.js';
import type { Bucket } from '../../../bindings/openflow/messages/group-mod.js';
import type { MeterBand } from '../../../bindings/openflow/messages/meter-mod.js';
import type { PortDesc } from '../../../bindings/openflow/messages/port.js';
import type { Instruction } from '../../../bindings/openflow/instructions.js';
import type { OfMessage } from '../../../bindings/openflow/message.js';
import type { MultipartReplyBody, MultipartRequestBody } from '../../../bindings/openflow/multipart.js';
import { OXM_FIELDS, type OxmBasic, type OxmField, type OxmFieldName } from '../../../bindings/openflow/oxm.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const xid = u32;
const bytes = (max = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
/** Data whose length is a multiple of 8 (experimenter actions/instructions/bands). */
const bytes8 = fc.integer({ min: 0, max: 4 }).chain((n) => fc.uint8Array({ minLength: n * 8, maxLength: n * 8 }));
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const ipv6 = fc
  .oneof(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    // Mostly-zero addresses exercise "::" compression.
    fc.array(fc.constantFrom(0, 0, 0, 1, 0xff), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)),
  )
  .map((b) => formatIpv6(b));
/** Strings that fit a NUL-terminated char[n] field. */
const fixedString = (n: number): fc.Arbitrary<string> => fc.string({ maxLength: n - 1, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_ .') });

const KIND_ARB = { u8, u16, u24, u32, u64, mac, ipv4, ipv6 } as const;
const FIELD_NAMES = Object.keys(OXM_FIELDS) as OxmFieldName[];

export const oxmBasic: fc.Arbitrary<OxmBasic> = fc.constantFrom(...FIELD_NAMES).chain((name) => {
  const def = OXM_FIELDS[name];
  const value = KIND_ARB[def.kind] as fc.Arbitrary<unknown>;
  if (!def.maskable) return value.map((v) => ({ field: name, value: v }) as OxmBasic);
  return fc.tuple(value, fc.option(value, { nil: undefined })).map(([v, m]) => (m === undefined ? { field: name, value: v } : { field: name, value: v, mask: m }) as OxmBasic);
});

export const oxmOther: fc.Arbitrary<OxmField> = fc.record({
  field: fc.constant('other' as const),
  oxmClass: fc.constantFrom(0x0000, 0x0001, 0xffff, 0x1234),
  fieldCode: fc.integer({ min: 0, max: 127 }),
  hasMask: fc.boolean(),
  payload: bytes(24),
});

export const oxm: fc.Arbitrary<OxmField> = fc.oneof({ arbitrary: oxmBasic, weight: 6 }, { arbitrary: oxmOther, weight: 1 });
export const match = fc.array(oxm, { maxLength: 6 });

const basicNoMask = oxmBasic.map((f) => ({ field: f.field, value: f.value }) as OxmBasic);

export const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant('output' as const), port: u32, maxLen: u16 }),
  fc.constantFrom<Action>({ type: 'copy_ttl_out' }, { type: 'copy_ttl_in' }, { type: 'dec_mpls_ttl' }, { type: 'pop_vlan' }, { type: 'dec_nw_ttl' }, { type: 'pop_pbb' }),
  fc.record({ type: fc.constantFrom('set_mpls_ttl' as const, 'set_nw_ttl' as const), ttl: u8 }),
  fc.record({ type: fc.constantFrom('push_vlan' as const, 'push_mpls' as const, 'pop_mpls' as const, 'push_pbb' as const), ethertype: u16 }),
  fc.record({ type: fc.constant('set_queue' as const), queueId: u32 }),
  fc.record({ type: fc.constant('group' as const), groupId: u32 }),
  fc.record({ type: fc.constant('set_field' as const), field: fc.oneof({ arbitrary: basicNoMask, weight: 5 }, { arbitrary: oxmOther, weight: 1 }) }),
  fc.record({ type: fc.constant('experimenter' as const), experimenter: u32, data: bytes8 }),
);
export const actions = fc.array(action, { maxLength: 5 });

export const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ type: fc.constant('goto_table' as const), tableId: u8 }),
  fc.record({ type: fc.constant('write_metadata' as const), metadata: u64, mask: u64 }),
  fc.record({ type: fc.constantFrom('write_actions' as const, 'apply_actions' as const), actions }),
  fc.constant<Instruction>({ type: 'clear_actions' }),
  fc.record({ type: fc.constant('meter' as const), meterId: u32 }),
  fc.record({ type: fc.constant('experimenter' as const), experimenter: u32, data: bytes8 }),
);
export const instructions = fc.array(instruction, { maxLength: 4 });

export const bucketArb: fc.Arbitrary<Bucket> = fc.record({ weight: u16, watchPort: u32, watchGroup: u32, actions });
export const band: fc.Arbitrary<MeterBand> = fc.oneof(
  fc.record({ type: fc.constant('drop' as const), rate: u32, burstSize: u32 }),
  fc.record({ type: fc.constant('dscp_remark' as const), rate: u32, burstSize: u32, precLevel: u8 }),
  fc.record({ type: fc.constant('experimenter' as const), rate: u32, burstSize: u32, experimenter: u32, data: bytes8 }),
);
export const portDesc: fc.Arbitrary<PortDesc> = fc.record({
  portNo: u32,
  hwAddr: mac,
  name: fixedString(16),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
  currSpeed: u32,
  maxSpeed: u32,
});

const flowQuery = { tableId: u8, outPort: u32, outGroup: u32, cookie: u64, cookieMask: u64, match };
export const multipartRequestBody: fc.Arbitrary<MultipartRequestBody> = fc.oneof(
  fc.constantFrom<MultipartRequestBody>({ kind: 'desc' }, { kind: 'table' }, { kind: 'group_desc' }, { kind: 'group_features' }, { kind: 'meter_features' }, { kind: 'port_desc' }),
  fc.record({ kind: fc.constantFrom('flow' as const, 'aggregate' as const), ...flowQuery }),
  fc.record({ kind: fc.constant('port_stats' as const), portNo: u32 }),
  fc.record({ kind: fc.constant('queue' as const), portNo: u32, queueId: u32 }),
  fc.record({ kind: fc.constant('group' as const), groupId: u32 }),
  fc.record({ kind: fc.constantFrom('meter' as const, 'meter_config' as const), meterId: u32 }),
  fc.record({ kind: fc.constant('table_features' as const), data: bytes(32) }),
  fc.record({ kind: fc.constant('experimenter' as const), experimenter: u32, expType: u32, data: bytes(32) }),
);

const list = <T>(a: fc.Arbitrary<T>, max = 3): fc.Arbitrary<T[]> => fc.array(a, { maxLength: max });
const quad = fc.tuple(u32, u32, u32, u32);
export const multipartReplyBody: fc.Arbitrary<MultipartReplyBody> = fc.oneof(
  fc.record({ kind: fc.constant('desc' as const), mfrDesc: fixedString(256), hwDesc: fixedString(256), swDesc: fixedString(256), serialNum: fixedString(32), dpDesc: fixedString(256) }),
  fc.record({
    kind: fc.constant('flow' as const),
    flows: list(
      fc.record({ tableId: u8, durationSec: u32, durationNsec: u32, priority: u16, idleTimeout: u16, hardTimeout: u16, flags: u16, cookie: u64, packetCount: u64, byteCount: u64, match, instructions }),
    ),
  }),
  fc.record({ kind: fc.constant('aggregate' as const), packetCount: u64, byteCount: u64, flowCount: u32 }),
  fc.record({ kind: fc.constant('table' as const), tables: list(fc.record({ tableId: u8, activeCount: u32, lookupCount: u64, matchedCount: u64 })) }),
  fc.record({
    kind: fc.constant('port_stats' as const),
    ports: list(
      fc.record({
        portNo: u32,
        rxPackets: u64,
        txPackets: u64,
        rxBytes: u64,
        txBytes: u64,
        rxDropped: u64,
        txDropped: u64,
        rxErrors: u64,
        txErrors: u64,
        rxFrameErr: u64,
        rxOverErr: u64,
        rxCrcErr: u64,
        collisions: u64,
        durationSec: u32,
        durationNsec: u32,
      }),
    ),
  }),
  fc.record({ kind: fc.constant('queue' as const), queues: list(fc.record({ portNo: u32, queueId: u32, txBytes: u64, txPackets: u64, txErrors: u64, durationSec: u32, durationNsec: u32 })) }),
  fc.record({
    kind: fc.constant('group' as const),
    groups: list(fc.record({ groupId: u32, refCount: u32, packetCount: u64, byteCount: u64, durationSec: u32, durationNsec: u32, buckets: list(fc.record({ packetCount: u64, byteCount: u64 })) })),
  }),
  fc.record({ kind: fc.constant('group_desc' as const), groups: list(fc.record({ groupType: u8, groupId: u32, buckets: list(bucketArb) })) }),
  fc.record({ kind: fc.constant('group_features' as const), types: u32, capabilities: u32, maxGroups: quad, actions: quad }),
  fc.record({
    kind: fc.constant('meter' as const),
    meters: list(fc.record({ meterId: u32, flowCount: u32, packetInCount: u64, byteInCount: u64, durationSec: u32, durationNsec: u32, bands: list(fc.record({ packetBandCount: u64, byteBandCount: u64 })) })),
  }),
  fc.record({ kind: fc.constant('meter_config' as const), meters: list(fc.record({ flags: u16, meterId: u32, bands: list(band) })) }),
  fc.record({ kind: fc.constant('meter_features' as const), maxMeter: u32, bandTypes: u32, capabilities: u32, maxBands: u8, maxColor: u8 }),
  fc.record({ kind: fc.constant('table_features' as const), data: bytes(32) }),
  fc.record({ kind: fc.constant('port_desc' as const), ports: list(portDesc) }),
  fc.record({ kind: fc.constant('experimenter' as const), experimenter: u32, expType: u32, data: bytes(32) }),
);

const pair = fc.tuple(u32, u32);
const asyncCfg = { packetInMask: pair, portStatusMask: pair, flowRemovedMask: pair };

/** One arbitrary per message type, keyed by type, so that every type is covered by name. */
export const messageArbs: Record<OfMessage['type'], fc.Arbitrary<OfMessage>> = {
  hello: fc
    .uniqueArray(fc.integer({ min: 1, max: 80 }), { maxLength: 5 })
    .chain((vs) => {
      const versions = [...vs].sort((a, b) => a - b);
      return fc.record({ type: fc.constant('hello' as const), xid, version: fc.constant(versions.length > 0 ? Math.max(...versions) : 4), versions: fc.constant(versions) });
    }),
  error: fc
    .tuple(xid, fc.oneof(fc.integer({ min: 0, max: 13 }), fc.constant(0xffff), u16), u16, bytes(), u32)
    .map(([x, t, c, d, e]) => errorMessage(x, t, c, d, e)),
  echo_request: fc.record({ type: fc.constant('echo_request' as const), xid, data: bytes() }),
  echo_reply: fc.record({ type: fc.constant('echo_reply' as const), xid, data: bytes() }),
  experimenter: fc.record({ type: fc.constant('experimenter' as const), xid, experimenter: u32, expType: u32, data: bytes() }),
  features_request: fc.record({ type: fc.constant('features_request' as const), xid }),
  features_reply: fc.record({ type: fc.constant('features_reply' as const), xid, datapathId: u64, nBuffers: u32, nTables: u8, auxiliaryId: u8, capabilities: u32, reserved: u32 }),
  get_config_request: fc.record({ type: fc.constant('get_config_request' as const), xid }),
  get_config_reply: fc.record({ type: fc.constant('get_config_reply' as const), xid, flags: u16, missSendLen: u16 }),
  set_config: fc.record({ type: fc.constant('set_config' as const), xid, flags: u16, missSendLen: u16 }),
  packet_in: fc.record({ type: fc.constant('packet_in' as const), xid, bufferId: u32, totalLen: u16, reason: u8, tableId: u8, cookie: u64, match, data: bytes(128) }),
  flow_removed: fc.record({
    type: fc.constant('flow_removed' as const),
    xid,
    cookie: u64,
    priority: u16,
    reason: u8,
    tableId: u8,
    durationSec: u32,
    durationNsec: u32,
    idleTimeout: u16,
    hardTimeout: u16,
    packetCount: u64,
    byteCount: u64,
    match,
  }),
  port_status: fc.record({ type: fc.constant('port_status' as const), xid, reason: u8, port: portDesc }),
  packet_out: fc.record({ type: fc.constant('packet_out' as const), xid, bufferId: u32, inPort: u32, actions, data: bytes(128) }),
  flow_mod: fc.record({
    type: fc.constant('flow_mod' as const),
    xid,
    cookie: u64,
    cookieMask: u64,
    tableId: u8,
    command: u8,
    idleTimeout: u16,
    hardTimeout: u16,
    priority: u16,
    bufferId: u32,
    outPort: u32,
    outGroup: u32,
    flags: u16,
    match,
    instructions,
  }),
  group_mod: fc.record({ type: fc.constant('group_mod' as const), xid, command: u16, groupType: u8, groupId: u32, buckets: list(bucketArb) }),
  port_mod: fc.record({ type: fc.constant('port_mod' as const), xid, portNo: u32, hwAddr: mac, config: u32, mask: u32, advertise: u32 }),
  table_mod: fc.record({ type: fc.constant('table_mod' as const), xid, tableId: u8, config: u32 }),
  multipart_request: fc.record({ type: fc.constant('multipart_request' as const), xid, flags: u16, body: multipartRequestBody }),
  multipart_reply: fc.record({ type: fc.constant('multipart_reply' as const), xid, flags: u16, body: multipartReplyBody }),
  barrier_request: fc.record({ type: fc.constant('barrier_request' as const), xid }),
  barrier_reply: fc.record({ type: fc.constant('barrier_reply' as const), xid }),
  queue_get_config_request: fc.record({ type: fc.constant('queue_get_config_request' as const), xid, port: u32 }),
  queue_get_config_reply: fc.record({
    type: fc.constant('queue_get_config_reply' as const),
    xid,
    port: u32,
    queues: list(
      fc.record({
        queueId: u32,
        port: u32,
        properties: list(
          fc.oneof(
            fc.record({ type: fc.constantFrom('min_rate' as const, 'max_rate' as const), rate: u16 }),
            fc.record({ type: fc.constant('experimenter' as const), experimenter: u32, data: bytes8 }),
            fc.record({ type: fc.constant('other' as const), property: fc.integer({ min: 3, max: 0xfffe }), body: bytes8 }),
          ),
        ),
      }),
    ),
  }),
  role_request: fc.record({ type: fc.constant('role_request' as const), xid, role: u32, generationId: u64 }),
  role_reply: fc.record({ type: fc.constant('role_reply' as const), xid, role: u32, generationId: u64 }),
  get_async_request: fc.record({ type: fc.constant('get_async_request' as const), xid }),
  get_async_reply: fc.record({ type: fc.constant('get_async_reply' as const), xid, ...asyncCfg }),
  set_async: fc.record({ type: fc.constant('set_async' as const), xid, ...asyncCfg }),
  meter_mod: fc.record({ type: fc.constant('meter_mod' as const), xid, command: u16, flags: u16, meterId: u32, bands: list(band) }),
  raw: fc.record({ type: fc.constant('raw' as const), xid, msgType: fc.integer({ min: 30, max: 255 }), body: bytes() }),
};

export const anyMessage: fc.Arbitrary<OfMessage> = fc.oneof(...Object.values(messageArbs));
