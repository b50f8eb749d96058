/** Bounds-checked reading of little-endian IPMI fields: a short buffer is an IpmiDecodeError. */
import { IpmiDecodeError } from './errors.js';

export class Reader {
  private pos: number;

  constructor(
    readonly buf: Buffer,
    readonly what: string,
    start = 0,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new IpmiDecodeError(`${this.what}: truncated (need ${n} byte(s) at offset ${this.pos}, have ${this.buf.length - this.pos})`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }
}

export function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

export function u16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff, 0);
  return b;
}

/** A fixed-size field padded with zeros (user names and passwords on the wire). */
export function padded(value: Buffer, size: number): Buffer {
  const b = Buffer.alloc(size);
  value.copy(b, 0, 0, Math.min(size, value.length));
  return b;
}
