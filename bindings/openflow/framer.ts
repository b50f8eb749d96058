/**
 * Splits a TCP byte stream into whole OpenFlow messages. Chunks are kept as a list and joined only
 * when a message spans them, so that a burst of small replies costs no copying.
 */
import { OpenFlowDecodeError } from './errors.js';
import { OFP_HEADER_LEN } from './header.js';

export class Framer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns every complete message now available (each its own view). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Uint8Array[] = [];
    while (this.buffered >= OFP_HEADER_LEN) {
      let head = this.chunks[0] as Uint8Array;
      if (head.length < OFP_HEADER_LEN) head = this.coalesce(OFP_HEADER_LEN);
      const len = ((head[2] as number) << 8) | (head[3] as number);
      if (len < OFP_HEADER_LEN) throw new OpenFlowDecodeError(`frame length ${len} < 8`, 2);
      if (this.buffered < len) break;
      if (head.length < len) head = this.coalesce(len);
      out.push(head.subarray(0, len));
      if (head.length === len) this.chunks.shift();
      else this.chunks[0] = head.subarray(len);
      this.buffered -= len;
    }
    return out;
  }

  /** Joins leading chunks so that the first holds at least `n` bytes. */
  private coalesce(n: number): Uint8Array {
    let size = 0;
    let k = 0;
    while (size < n) size += (this.chunks[k++] as Uint8Array).length;
    const joined = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < k; i++) {
      const c = this.chunks[i] as Uint8Array;
      joined.set(c, at);
      at += c.length;
    }
    this.chunks.splice(0, k, joined);
    return joined;
  }
}
