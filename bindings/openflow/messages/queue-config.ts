/** OFPT_QUEUE_GET_CONFIG_REPLY: the queues of a port and their rate properties. */
import type { Reader, Writer } from '../wire.js';

export const OFPQT = { MIN_RATE: 1, MAX_RATE: 2, EXPERIMENTER: 0xffff } as const;

export type QueueProperty =
  /** Rates in 1/10 of a percent of the port's speed; > 1000 means disabled. */
  | { type: 'min_rate'; rate: number }
  | { type: 'max_rate'; rate: number }
  /** `data` follows the 16-byte property head; its length must be a multiple of 8. */
  | { type: 'experimenter'; experimenter: number; data: Uint8Array }
  /** A property this binding does not know, kept as received (body after the 8-byte head). */
  | { type: 'other'; property: number; body: Uint8Array };

export interface PacketQueue {
  queueId: number;
  port: number;
  properties: QueueProperty[];
}

export interface QueueGetConfigReply {
  type: 'queue_get_config_reply';
  xid: number;
  port: number;
  queues: PacketQueue[];
}

function encodeProperty(w: Writer, p: QueueProperty): void {
  const start = w.pos;
  w.u16(p.type === 'min_rate' ? OFPQT.MIN_RATE : p.type === 'max_rate' ? OFPQT.MAX_RATE : p.type === 'experimenter' ? OFPQT.EXPERIMENTER : p.property, 'queue property');
  w.u16(0);
  w.zeros(4);
  if (p.type === 'min_rate' || p.type === 'max_rate') {
    w.u16(p.rate, 'queue rate');
    w.zeros(6);
  } else if (p.type === 'experimenter') {
    w.u32(p.experimenter, 'experimenter');
    w.zeros(4);
    w.bytes(p.data);
  } else w.bytes(p.body);
  w.pad8(start);
  w.setU16At(start + 2, w.pos - start, 'queue property length');
}

function decodeProperty(r: Reader): QueueProperty {
  const property = r.u16('queue property');
  const len = r.u16('queue property length');
  if (len < 8) r.fail(`queue property length ${len} < 8`);
  const b = r.sub(len - 4, 'queue property');
  b.skip(4);
  if (property === OFPQT.MIN_RATE || property === OFPQT.MAX_RATE) {
    const rate = b.u16('queue rate');
    return { type: property === OFPQT.MIN_RATE ? 'min_rate' : 'max_rate', rate };
  }
  if (property === OFPQT.EXPERIMENTER) {
    const experimenter = b.u32('experimenter');
    b.skip(4);
    return { type: 'experimenter', experimenter, data: b.rest() };
  }
  return { type: 'other', property, body: b.rest() };
}

export function encodeQueueGetConfigReply(w: Writer, m: QueueGetConfigReply): void {
  w.u32(m.port, 'port');
  w.zeros(4);
  for (const q of m.queues) {
    const start = w.pos;
    w.u32(q.queueId, 'queue_id');
    w.u32(q.port, 'queue port');
    w.u16(0);
    w.zeros(6);
    for (const p of q.properties) encodeProperty(w, p);
    w.setU16At(start + 8, w.pos - start, 'queue length');
  }
}

export function decodeQueueGetConfigReply(r: Reader, xid: number): QueueGetConfigReply {
  const port = r.u32('port');
  r.skip(4);
  const queues: PacketQueue[] = [];
  while (r.remaining > 0) {
    const queueId = r.u32('queue_id');
    const qport = r.u32('queue port');
    const len = r.u16('queue length');
    if (len < 16) r.fail(`queue length ${len} < 16`);
    const q = r.sub(len - 10, 'queue');
    q.skip(6);
    const properties: QueueProperty[] = [];
    while (q.remaining > 0) properties.push(decodeProperty(q));
    queues.push({ queueId, port: qport, properties });
  }
  return { type: 'queue_get_config_reply', xid, port, queues };
}
