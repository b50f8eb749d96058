/** Growth for the struct-of-arrays tables: typed arrays indexed by a dense slot number. */

export function growInt32(a: Int32Array<ArrayBuffer>, size: number, fill = 0): Int32Array<ArrayBuffer> {
  if (a.length >= size) return a;
  const b = new Int32Array(Math.max(size, a.length * 2, 16));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function growFloat64(a: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> {
  if (a.length >= size) return a;
  const b = new Float64Array(Math.max(size, a.length * 2, 16));
  b.set(a);
  return b;
}

export function growUint8(a: Uint8Array<ArrayBuffer>, size: number): Uint8Array<ArrayBuffer> {
  if (a.length >= size) return a;
  const b = new Uint8Array(Math.max(size, a.length * 2, 16));
  b.set(a);
  return b;
}

/** A bit set over provider slots; grows with the table. */
export function growBits(a: Uint32Array<ArrayBuffer>, slots: number): Uint32Array<ArrayBuffer> {
  const words = (slots + 31) >>> 5;
  if (a.length >= words) return a;
  const b = new Uint32Array(Math.max(words, a.length * 2, 4));
  b.set(a);
  return b;
}

export function testBit(bits: Uint32Array | undefined, slot: number): boolean {
  if (bits === undefined) return false;
  const word = bits[slot >>> 5];
  return word !== undefined && (word & (1 << (slot & 31))) !== 0;
}

export function setBit(bits: Uint32Array<ArrayBuffer>, slot: number): void {
  bits[slot >>> 5] = (bits[slot >>> 5] as number) | (1 << (slot & 31));
}

export function clearBit(bits: Uint32Array<ArrayBuffer>, slot: number): void {
  const i = slot >>> 5;
  if (i < bits.length) bits[i] = (bits[i] as number) & ~(1 << (slot & 31));
}
