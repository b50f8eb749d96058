/**
 * Property tests of the HTTP/1.1 request parser (src/api/http1/parser.ts):
 *   (a) round trip: requests written by a small encoder (random methods, targets, fields, bodies,
 *       Content-Length or chunked with random chunk splits, extensions and trailers), pipelined and
 *       cut at random points, parse back to the same requests in order;
 *   (b) random bytes, and valid requests with random bytes changed, never throw anything but
 *       Http1ParseError, and a parser that refused keeps refusing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Http1ParseError } from '../../src/api/http1/errors.js';
import { RequestParser } from '../../src/api/http1/parser.js';

const LIMITS = { maxHeadBytes: 16 * 1024, maxBodyBytes: 64 * 1024 };
const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Names the parser treats specially (framing, joining rules), left out of the random ones. */
const SPECIAL = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'content-type', 'user-agent', 'authorization', 'location', 'referer', 'server', 'from', 'etag', 'age', 'expires', 'last-modified', 'if-modified-since', 'if-unmodified-since', 'max-forwards', 'proxy-authorization', 'retry-after']);

interface Req {
  method: string;
  target: string;
  minor: 0 | 1;
  /** Lower-case name → value, as the parser should give it. */
  fields: [string, string][];
  body: Uint8Array;
  chunked: boolean;
  /** Chunk sizes (chunked only): sum = body length. */
  cuts: number[];
  ext: string;
  trailer: [string, string][];
}

const token = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 });
const targetChar = fc.constantFrom(...'abcXYZ019-._~/?=&%+!$\'()*,;:@'.split(''));
const target = fc.oneof(
  fc.string({ unit: targetChar, maxLength: 40 }).map((s) => `/${s}`),
  fc.constant('*'),
  fc.string({ unit: targetChar, maxLength: 20 }).map((s) => `http://example.test/${s}`),
);
/** A value without leading/trailing whitespace (the parser trims those). */
const value = fc
  .string({ unit: fc.constantFrom(...'abc XYZ\t09;,=/"()'.split(''), '\x80', '\xff', '\xe9'), maxLength: 30 })
  .map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''));
const fieldName = token.filter((n) => !SPECIAL.has(n.toLowerCase()));
const field = fc.tuple(fieldName, value);

const request: fc.Arbitrary<Req> = fc
  .record({
    method: token,
    target,
    minor: fc.constantFrom(0 as const, 1 as const),
    fields: fc.uniqueArray(field, { maxLength: 6, selector: ([n]) => n.toLowerCase() }),
    body: fc.uint8Array({ maxLength: 300 }),
    chunked: fc.boolean(),
    cutSeeds: fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 6 }),
    ext: fc.constantFrom('', ';a', ';a=b;c="d e"', ' ;x'),
    trailer: fc.array(field, { maxLength: 2 }),
  })
  .map(({ cutSeeds, ...r }) => {
    const chunked = r.chunked && r.minor === 1;
    const cuts: number[] = [];
    let left = r.body.length;
    for (const s of cutSeeds) {
      if (left === 0) break;
      const n = Math.min(s, left);
      cuts.push(n);
      left -= n;
    }
    if (left > 0) cuts.push(left);
    return { ...r, chunked, cuts };
  });

/** Random ASCII case, as clients send names any way they like. */
function encode(r: Req, upper: boolean): Buffer {
  let head = `${r.method} ${r.target} HTTP/1.${r.minor}\r\n`;
  if (r.minor === 1) head += 'Host: example.test\r\n';
  for (const [n, v] of r.fields) head += `${upper ? n.toUpperCase() : n}:${v === '' ? '' : ' '}${v}\r\n`;
  const parts: Buffer[] = [];
  if (r.chunked) {
    head += 'Transfer-Encoding: chunked\r\n\r\n';
    parts.push(Buffer.from(head, 'latin1'));
    let at = 0;
    for (const n of r.cuts) {
      parts.push(Buffer.from(`${n.toString(16)}${r.ext}\r\n`, 'latin1'), Buffer.from(r.body.subarray(at, at + n)), Buffer.from('\r\n'));
      at += n;
    }
    let trailer = '0\r\n';
    for (const [n, v] of r.trailer) trailer += `${n}: ${v}\r\n`;
    parts.push(Buffer.from(`${trailer}\r\n`, 'latin1'));
  } else {
    if (r.body.length > 0) head += `Content-Length: ${r.body.length}\r\n`;
    parts.push(Buffer.from(`${head}\r\n`, 'latin1'), Buffer.from(r.body));
  }
  return Buffer.concat(parts);
}

interface Got {
  method: string;
  target: string;
  minor: number;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

/** Feeds `stream` cut at `cuts` (offsets), pulling every event after each piece. */
function parsePieces(stream: Buffer, cuts: number[]): Got[] {
  const p = new RequestParser(LIMITS);
  const got: Got[] = [];
  let bodies: Buffer[] = [];
  const offsets = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...offsets, stream.length]) {
    p.feed(stream.subarray(from, to));
    from = to;
    for (let e = p.next(); e !== undefined; e = p.next()) {
      if (e.kind === 'head') {
        bodies = [];
        got.push({ method: e.head.method, target: e.head.target, minor: e.head.minor, headers: e.head.headers, body: Buffer.alloc(0) });
        if (e.head.framing !== 'none') continue;
      } else if (e.kind === 'body') {
        bodies.push(e.chunk);
        continue;
      } else if (e.kind === 'too-large') throw new Error('too large');
      (got[got.length - 1] as Got).body = Buffer.concat(bodies);
    }
  }
  return got;
}

describe('HTTP/1.1 request parser (property)', () => {
  it('parses pipelined encoded requests back, wherever the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (reqs, upper, cuts) => {
        const stream = Buffer.concat(reqs.map((r) => encode(r, upper)));
        const got = parsePieces(stream, cuts);
        expect(got).toHaveLength(reqs.length);
        reqs.forEach((r, i) => {
          const g = got[i] as Got;
          expect(g.method).toBe(r.method);
          expect(g.target).toBe(r.target);
          expect(g.minor).toBe(r.minor);
          for (const [n, v] of r.fields) expect(g.headers[n.toLowerCase()]).toBe(v);
          for (const [n] of r.trailer) if (!r.fields.some(([f]) => f.toLowerCase() === n.toLowerCase())) expect(g.headers[n.toLowerCase()]).toBeUndefined();
          expect(g.body.equals(Buffer.from(r.body))).toBe(true);
        });
      }),
      { numRuns: 400 },
    );
  });

  it('refuses random bytes only with Http1ParseError, and keeps refusing', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      // Mostly HTTP-looking text, so the property reaches past the request line.
      fc.array(fc.constantFrom('GET ', 'POST ', '/x ', 'HTTP/1.1', 'HTTP/1.0', '\r\n', '\n', '\r', ': ', 'Host: h', 'Content-Length: 3', 'Transfer-Encoding: chunked', '0', '5', ';e', 'abc', ' ', '\t', '\x00'), { maxLength: 40 }).map((a) => Buffer.from(a.join(''), 'latin1')),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (input, cuts) => {
        try {
          parsePieces(input, cuts);
        } catch (error) {
          if ((error as Error).message === 'too large') return;
          expect(error).toBeInstanceOf(Http1ParseError);
          expect([400, 413, 414, 431, 501, 505]).toContain((error as Http1ParseError).status);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses valid requests with random bytes changed only with Http1ParseError', () => {
    fc.assert(
      fc.property(request, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (r, edits) => {
        const stream = encode(r, false);
        for (const [at, byte] of edits) stream[at % stream.length] = byte;
        const p = new RequestParser(LIMITS);
        p.feed(stream);
        try {
          while (p.next() !== undefined);
        } catch (error) {
          expect(error).toBeInstanceOf(Http1ParseError);
          expect(() => p.next()).toThrow(Http1ParseError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
