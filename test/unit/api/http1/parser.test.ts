import { describe, expect, it } from 'vitest';
import { Http1ParseError } from '../../../../src/api/http1/errors.js';
import type { ParseEvent, RequestHead } from '../../../../src/api/http1/parser.js';
import { RequestParser } from '../../../../src/api/http1/parser.js';

const LIMITS = { maxHeadBytes: 1024, maxBodyBytes: 100 };

interface Parsed {
  head: RequestHead;
  body: string;
  /** 'end', 'too-large', or 'open' when more bytes are needed. */
  ending: 'end' | 'too-large' | 'open';
}

/** Every message in `input` (pulled until the parser needs more bytes). */
function parseAll(input: string | Buffer, limits = LIMITS): Parsed[] {
  const p = new RequestParser(limits);
  p.feed(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  const out: Parsed[] = [];
  let current: Parsed | undefined;
  for (let e: ParseEvent | undefined = p.next(); e !== undefined; e = p.next()) {
    if (e.kind === 'head') {
      current = { head: e.head, body: '', ending: 'open' };
      out.push(current);
      if (e.head.framing === 'none') current.ending = 'end';
    } else if (e.kind === 'body') (current as Parsed).body += e.chunk.toString('latin1');
    else if (e.kind === 'end') (current as Parsed).ending = 'end';
    else {
      (current as Parsed).ending = 'too-large';
      break;
    }
  }
  return out;
}

function one(input: string, limits = LIMITS): Parsed {
  const all = parseAll(input, limits);
  expect(all).toHaveLength(1);
  return all[0] as Parsed;
}

function refused(input: string, limits = LIMITS): Http1ParseError {
  try {
    parseAll(input, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(Http1ParseError);
    expect((error as Http1ParseError).code).toBe('ERR_HTTP1_BAD_REQUEST');
    return error as Http1ParseError;
  }
  throw new Error(`not refused: ${JSON.stringify(input)}`);
}

const GET = (extra = ''): string => `GET /x HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

describe('request line', () => {
  it('reads method, target and version', () => {
    const { head } = one('DELETE /resource_providers/a?b=c HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(head).toMatchObject({ method: 'DELETE', target: '/resource_providers/a?b=c', minor: 1, framing: 'none', keepAlive: true });
    expect(one('GET http://h:1/x HTTP/1.0\r\n\r\n').head).toMatchObject({ target: 'http://h:1/x', minor: 0, keepAlive: false });
    expect(one('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n').head.target).toBe('*');
    // Any token is a method; the application decides what it serves.
    expect(one("M-SEARCH! /x HTTP/1.1\r\nHost: h\r\n\r\n").head.method).toBe('M-SEARCH!');
  });

  it('ignores empty lines before a request line', () => {
    expect(one(`\r\n\r\n${GET()}`).head.target).toBe('/x');
  });

  it('answers other HTTP versions 505 and a malformed line 400', () => {
    for (const v of ['HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9']) expect(refused(`GET / ${v}\r\nHost: h\r\n\r\n`).status).toBe(505);
    for (const line of ['GET /', 'GET  / HTTP/1.1', 'GET / HTTP/1.1 ', 'GET / http/1.1', 'G(T / HTTP/1.1', ' GET / HTTP/1.1', 'GET /a b HTTP/1.1', 'GET /\x01 HTTP/1.1', 'HELLO']) {
      expect(refused(`${line}\r\nHost: h\r\n\r\n`).status, line).toBe(400);
    }
  });

  it('refuses a bare LF as soon as it is seen, complete head or not', () => {
    expect(refused('GET / HTTP/1.1\nHost: h\n\n').status).toBe(400);
    expect(refused('GET / HTTP/1.1\nHost: h').status).toBe(400);
    expect(refused('GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n').status).toBe(400);
  });
});

describe('header fields', () => {
  it('lower-cases names, trims whitespace around values, keeps inner whitespace', () => {
    const { head } = one(GET('X-Auth-Token: \t admin  \r\nAccept:application/json\r\nX-Empty:\r\nX-Inner: a  b\r\n'));
    expect(head.headers['x-auth-token']).toBe('admin');
    expect(head.headers['accept']).toBe('application/json');
    expect(head.headers['x-empty']).toBe('');
    expect(head.headers['x-inner']).toBe('a  b');
    expect(head.headers['host']).toBe('h');
  });

  it('joins repeated fields with ", " and keeps the first of node:http singletons', () => {
    const { head } = one(GET('OpenStack-API-Version: compute 2.1\r\nopenstack-api-version: placement 1.5\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n'));
    expect(head.headers['openstack-api-version']).toBe('compute 2.1, placement 1.5');
    expect(head.headers['content-type']).toBe('application/json');
  });

  it('keeps a field named __proto__ as a field', () => {
    const { head } = one(GET('__proto__: x\r\nconstructor: y\r\n'));
    expect(head.headers['__proto__']).toBe('x');
    expect(head.headers['constructor']).toBe('y');
    expect(Object.getPrototypeOf(head.headers)).toBeNull();
  });

  it('refuses obs-fold, whitespace before the colon, names that are not tokens and control characters', () => {
    for (const f of ['X-A: 1\r\n  2\r\n', 'X-A: 1\r\n\t2\r\n', 'X-A : 1\r\n', 'X A: 1\r\n', ': 1\r\n', 'NoColon\r\n', 'X-A: a\x00b\r\n', 'X-A: a\rb\r\n', 'X-(: 1\r\n']) {
      expect(refused(GET(f)).status, JSON.stringify(f)).toBe(400);
    }
  });

  it('needs exactly one Host on HTTP/1.1 and none on HTTP/1.0', () => {
    expect(refused('GET / HTTP/1.1\r\n\r\n').status).toBe(400);
    expect(refused(GET('Host: other\r\n')).status).toBe(400);
    expect(one('GET / HTTP/1.0\r\n\r\n').head.headers['host']).toBeUndefined();
  });

  it('limits the head: 414 for a long request line, 431 for long fields', () => {
    const small = { maxHeadBytes: 64, maxBodyBytes: 100 };
    expect(refused(`GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: h\r\n\r\n`, small).status).toBe(414);
    // Still incomplete, already too long.
    expect(refused(`GET /${'a'.repeat(100)}`, small).status).toBe(414);
    expect(refused(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'b'.repeat(100)}\r\n\r\n`, small).status).toBe(431);
    expect(refused(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'b'.repeat(100)}`, small).status).toBe(431);
    // Exactly at the limit is fine: 64 bytes with the blank line.
    const exact = `GET / HTTP/1.1\r\nHost: h\r\nX: ${'c'.repeat(64 - 32)}\r\n\r\n`;
    expect(Buffer.byteLength(exact)).toBe(64);
    expect(one(exact, small).head.headers['x']).toHaveLength(32);
  });
});

describe('bodies', () => {
  it('reads a Content-Length body and then the next request', () => {
    const all = parseAll(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello${GET()}`);
    expect(all.map((m) => [m.head.method, m.body, m.ending])).toEqual([
      ['POST', 'hello', 'end'],
      ['GET', '', 'end'],
    ]);
    expect(all[0]?.head).toMatchObject({ framing: 'length', contentLength: 5 });
    expect(one('POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n').head.framing).toBe('none');
  });

  it('reads a chunked body: extensions ignored, trailers read and dropped', () => {
    const all = parseAll(`POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value;x\r\nhello\r\n0A\r\n, world!!!\r\n0\r\nX-Trailer: t\r\nY: u\r\n\r\n${GET()}`);
    expect(all.map((m) => [m.body, m.ending])).toEqual([
      ['hello, world!!!', 'end'],
      ['', 'end'],
    ]);
    expect(all[0]?.head.framing).toBe('chunked');
    expect(all[0]?.head.headers['x-trailer']).toBeUndefined();
  });

  it('refuses malformed chunks', () => {
    const te = 'POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const body of ['x\r\n', '5\r\nhelloX\r\n', '5 x\r\nhello\r\n', '-1\r\n', '5\r\nhello\r\n0\r\nbad trailer\r\n\r\n', '1;a\x01\r\nz\r\n']) {
      expect(refused(te + body).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('refuses request smuggling: Content-Length with Transfer-Encoding, differing Content-Lengths', () => {
    expect(refused(GET('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n')).status).toBe(400);
    expect(refused(GET('Content-Length: 3\r\nContent-Length: 4\r\n')).status).toBe(400);
    expect(refused(GET('Content-Length: 3, 3\r\n')).status).toBe(400);
    for (const v of ['-1', '+3', '0x10', '1.0', '']) expect(refused(GET(`Content-Length: ${v}\r\n`)).status, v).toBe(400);
    expect(refused('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n').status).toBe(400);
    expect(refused(GET('Transfer-Encoding: chunked, chunked\r\n')).status).toBe(400);
    // The same length twice is one length.
    expect(one(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab`).body).toBe('ab');
  });

  it('answers 501 for a transfer coding other than chunked', () => {
    for (const te of ['gzip', 'gzip, chunked', 'identity', 'chunked, gzip']) expect(refused(GET(`Transfer-Encoding: ${te}\r\n`)).status, te).toBe(501);
  });

  it('stops at a body over the limit without reading it', () => {
    const big = one(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n${'x'.repeat(101)}`);
    expect(big.head.tooLarge).toBe(true);
    expect(big.ending).toBe('too-large');
    expect(big.body).toBe('');
    expect(one(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n`).ending).toBe('too-large');
    const chunked = one(`POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n${'y'.repeat(64)}\r\n40\r\n${'y'.repeat(64)}\r\n0\r\n\r\n`);
    expect(chunked.head.tooLarge).toBe(false);
    expect(chunked.ending).toBe('too-large');
    expect(one(`POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(30)}fffffffffffffffff\r\n`).ending).toBe('too-large');
    // Exactly the limit is accepted.
    expect(one(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n${'z'.repeat(100)}`).body).toHaveLength(100);
  });

  it('bounds the trailer section by the head limit', () => {
    const small = { maxHeadBytes: 64, maxBodyBytes: 100 };
    expect(refused(`POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ${'t'.repeat(80)}\r\n\r\n`, small).status).toBe(431);
  });
});

describe('connection options and expectations', () => {
  it('keeps HTTP/1.1 alive unless Connection: close, and HTTP/1.0 only with keep-alive', () => {
    expect(one(GET('Connection: close\r\n')).head.keepAlive).toBe(false);
    expect(one(GET('Connection: Keep-Alive, Close\r\n')).head.keepAlive).toBe(false);
    expect(one(GET('Connection: upgrade\r\n')).head.keepAlive).toBe(true);
    expect(one('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').head.keepAlive).toBe(true);
    expect(one('GET / HTTP/1.0\r\n\r\n').head.keepAlive).toBe(false);
  });

  it('reads Expect: 100-continue on HTTP/1.1 only, and flags other expectations', () => {
    expect(one(GET('Expect: 100-Continue\r\n')).head).toMatchObject({ expectContinue: true, expectationFailed: false });
    expect(one(GET('Expect: something\r\n')).head).toMatchObject({ expectContinue: false, expectationFailed: true });
    expect(one('GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n').head).toMatchObject({ expectContinue: false, expectationFailed: false });
  });
});

describe('the stream', () => {
  it('gives the same messages whatever the chunking, byte by byte included', () => {
    const text = `POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n0\r\nT: 1\r\n\r\n\r\nPUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy${GET()}`;
    const p = new RequestParser(LIMITS);
    const seen: string[] = [];
    for (const byte of Buffer.from(text, 'latin1')) {
      p.feed(Buffer.from([byte]));
      for (let e = p.next(); e !== undefined; e = p.next()) seen.push(e.kind === 'head' ? `head ${e.head.method}` : e.kind === 'body' ? e.chunk.toString() : e.kind);
    }
    expect(seen.filter((s) => s.startsWith('head') || s === 'end')).toEqual(['head POST', 'end', 'head PUT', 'end', 'head GET']);
    expect(seen.filter((s) => !s.startsWith('head') && s !== 'end').join('')).toBe('abcxy');
    expect(p.atMessageStart()).toBe(true);
  });

  it('keeps throwing the same error once refused, and hands out views of the fed bytes', () => {
    const p = new RequestParser(LIMITS);
    p.feed(Buffer.from('BAD\r\n\r\n'));
    let first: unknown;
    try {
      p.next();
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(Http1ParseError);
    expect(() => p.next()).toThrow(first as Error);
    const q = new RequestParser(LIMITS);
    const bytes = Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    q.feed(bytes);
    q.next();
    const body = q.next();
    expect(body?.kind).toBe('body');
    expect(body?.kind === 'body' && body.chunk.buffer === bytes.buffer).toBe(true);
  });
});
