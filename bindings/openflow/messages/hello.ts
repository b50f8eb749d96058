/** OFPT_HELLO with the version-bitmap element (OFPHET_VERSIONBITMAP) used for version negotiation. */
import { OpenFlowEncodeError } from '../errors.js';
import type { Reader, Writer } from '../wire.js';

const OFPHET_VERSIONBITMAP = 1;

export interface Hello {
  type: 'hello';
  xid: number;
  /** The header's version: the highest version the sender speaks. */
  version: number;
  /** Wire versions from the bitmap element, ascending; empty when the hello carried none. */
  versions: number[];
}

export function encodeHello(w: Writer, m: Hello): void {
  if (m.versions.length === 0) return;
  const max = Math.max(...m.versions);
  if (m.versions.some((v) => !Number.isInteger(v) || v < 0 || v > 0xfff)) throw new OpenFlowEncodeError('hello: versions must be integers 0..4095');
  const words = new Array<number>(Math.floor(max / 32) + 1).fill(0);
  for (const v of m.versions) words[v >> 5] = ((words[v >> 5] as number) | (1 << (v & 31))) >>> 0;
  const start = w.pos;
  w.u16(OFPHET_VERSIONBITMAP);
  w.u16(4 + 4 * words.length);
  for (const word of words) w.u32(word);
  w.pad8(start);
}

export function decodeHello(r: Reader, xid: number, version: number): Hello {
  const versions: number[] = [];
  while (r.remaining >= 4) {
    const start = r.pos;
    const type = r.u16('hello element type');
    const len = r.u16('hello element length');
    if (len < 4) r.fail(`hello element length ${len} < 4`);
    const body = r.sub(len - 4, 'hello element');
    if (type === OFPHET_VERSIONBITMAP) {
      for (let word = 0; body.remaining >= 4; word++) {
        const bits = body.u32();
        for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) versions.push(word * 32 + b);
      }
    }
    // Elements are padded to 8 bytes; the padding is not counted in their length.
    r.skip(Math.min(r.remaining, (8 - ((r.pos - start) % 8)) % 8));
  }
  return { type: 'hello', xid, version, versions };
}
