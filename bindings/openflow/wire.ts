/**
 * Bounds-checked big-endian reader and growable writer. Every OpenFlow struct is read through
 * Reader so that short or lying input surfaces as OpenFlowDecodeError, never as a RangeError
 * from DataView.
 */
import { OpenFlowDecodeError, OpenFlowEncodeError } from './errors.js';

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class Reader {
  private readonly view: DataView;
  /** Absolute offset of the next byte in `bytes`. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    /** Absolute end (exclusive) of what this reader may read. */
    readonly end = bytes.length,
    /** A sub-reader shares its parent's view: a DataView per nested struct would dominate decoding. */
    view?: DataView,
  ) {
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new OpenFlowDecodeError(message, this.pos);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`${what}: needs ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u24(what = 'u24'): number {
    this.need(3, what);
    const v = (this.view.getUint8(this.pos) << 16) | this.view.getUint16(this.pos + 1);
    this.pos += 3;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  skip(n: number, what = 'padding'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A copy, so that decoded messages never alias the receive buffer. */
  bytesCopy(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(n);
    out.set(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytesCopy(this.remaining, 'rest');
  }

  /** A fixed-width NUL-padded string field. */
  fixedString(n: number, what = 'string'): string {
    this.need(n, what);
    const slice = this.bytes.subarray(this.pos, this.pos + n);
    const nul = slice.indexOf(0);
    this.pos += n;
    return utf8.decode(nul < 0 ? slice : slice.subarray(0, nul));
  }

  /** A reader over the next `n` bytes; this reader moves past them. */
  sub(n: number, what: string): Reader {
    this.need(n, what);
    const r = new Reader(this.bytes, this.pos, this.pos + n, this.view);
    this.pos += n;
    return r;
  }
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number, what = 'u8'): void {
    if ((v & 0xff) !== v) badUint(v, 8, what);
    this.grow(1);
    this.view.setUint8(this.pos++, v);
  }

  u16(v: number, what = 'u16'): void {
    if ((v & 0xffff) !== v) badUint(v, 16, what);
    this.grow(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u24(v: number, what = 'u24'): void {
    if ((v & 0xffffff) !== v) badUint(v, 24, what);
    this.grow(3);
    this.view.setUint8(this.pos, v >>> 16);
    this.view.setUint16(this.pos + 1, v & 0xffff);
    this.pos += 3;
  }

  u32(v: number, what = 'u32'): void {
    if (v >>> 0 !== v) badUint(v, 32, what);
    this.grow(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  u64(v: bigint, what = 'u64'): void {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new OpenFlowEncodeError(`${what}: ${String(v)} is not a u64 bigint`);
    this.grow(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  zeros(n: number): void {
    this.grow(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  bytes(b: Uint8Array, what = 'bytes'): void {
    if (!(b instanceof Uint8Array)) throw new OpenFlowEncodeError(`${what}: expected a Uint8Array`);
    this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  fixedString(s: string, n: number, what = 'string'): void {
    const b = utf8Encoder.encode(s);
    // One byte stays NUL so that the field is terminated, as the spec's char[N] fields are.
    if (b.length >= n) throw new OpenFlowEncodeError(`${what}: ${b.length} bytes does not fit in ${n - 1}`);
    this.bytes(b);
    this.zeros(n - b.length);
  }

  /** Pads with zeros up to the next multiple of 8 counted from `from`. */
  pad8(from = 0): void {
    const len = this.pos - from;
    this.zeros((8 - (len % 8)) % 8);
  }

  setU16At(at: number, v: number, what = 'length'): void {
    if ((v & 0xffff) !== v) badUint(v, 16, what);
    this.view.setUint16(at, v);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * A copy of what was written, and the writer emptied for reuse. The copy comes from Node's
   * Buffer pool: a small message then costs no ArrayBuffer of its own.
   */
  take(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    out.set(new Uint8Array(this.buf.buffer, 0, this.pos));
    this.pos = 0;
    return out;
  }
}

/**
 * Range checks are written inline as `(v & mask) !== v` (or `v >>> 0 !== v`), which also refuses
 * fractions, NaN and non-numbers; this builds the error off the hot path.
 */
function badUint(v: unknown, bits: number, what: string): never {
  throw new OpenFlowEncodeError(`${what}: ${String(v)} is not a u${bits}`);
}

export function padLen8(n: number): number {
  return (8 - (n % 8)) % 8;
}
