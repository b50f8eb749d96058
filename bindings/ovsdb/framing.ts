/**
 * OVSDB's wire framing (RFC 7047 §3.1 via JSON-RPC 1.0): a stream of concatenated JSON texts with
 * no delimiter. This parser finds where each top-level object ends by tracking nesting depth and
 * string state byte by byte (every structural character is ASCII, and UTF-8 continuation bytes are
 * >= 0x80, so a multi-byte character split between chunks cannot confuse it), then hands the
 * complete text to JSON.parse.
 *
 * Any malformed input raises OvsdbProtocolError and poisons the parser: after a framing error the
 * stream position is unknown, so the only safe recovery is dropping the connection.
 */
import { OvsdbProtocolError } from './errors.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export interface JsonStreamParserOptions {
  /** Largest single JSON text accepted, in bytes (default 256 MiB). */
  maxMessageBytes?: number;
}

export class JsonStreamParser {
  private readonly maxBytes: number;
  /** Bytes of the text being assembled, from earlier chunks. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failed: OvsdbProtocolError | undefined;

  constructor(options: JsonStreamParserOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? 256 * 1024 * 1024;
  }

  /** Bytes held for a text not yet complete. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds one chunk; returns every JSON value completed by it, in order. Throws OvsdbProtocolError
   * (now and on every later call) on bad input.
   */
  push(chunk: Uint8Array): unknown[] {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: unknown[] = [];
    let start = this.depth === 0 ? -1 : 0;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    const n = buf.length;
    for (let i = 0; i < n; i++) {
      const b = buf[i] as number;
      if (depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          return this.fail(`unexpected byte 0x${b.toString(16).padStart(2, '0')} between JSON texts`);
        }
        start = i;
        depth = 1;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        else if (b < 0x20) return this.fail('control character inside a JSON string');
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        depth++;
        if (depth > 1000) return this.fail('JSON nested more than 1000 levels');
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          const piece = buf.subarray(start, i + 1);
          let text: Buffer;
          if (this.partBytes > 0) {
            this.parts.push(piece);
            text = Buffer.concat(this.parts, this.partBytes + piece.length);
            this.parts = [];
            this.partBytes = 0;
          } else {
            text = piece;
          }
          if (text.length > this.maxBytes) return this.fail(`JSON text of ${text.length} bytes exceeds the limit`);
          try {
            out.push(JSON.parse(text.toString('utf8')));
          } catch (err) {
            return this.fail(`invalid JSON text: ${(err as Error).message}`, err);
          }
          start = -1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (depth > 0 && start >= 0) {
      // Copy: the caller may reuse the chunk's memory.
      const rest = Buffer.from(buf.subarray(start));
      this.parts.push(rest);
      this.partBytes += rest.length;
      if (this.partBytes > this.maxBytes) return this.fail(`JSON text exceeds ${this.maxBytes} bytes`);
    }
    return out;
  }

  private fail(message: string, cause?: unknown): never {
    this.failed = new OvsdbProtocolError(message, cause === undefined ? undefined : { cause });
    this.parts = [];
    this.partBytes = 0;
    throw this.failed;
  }
}
