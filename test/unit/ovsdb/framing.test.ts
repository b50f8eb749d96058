import { describe, expect, it } from 'vitest';
import { JsonStreamParser, OvsdbProtocolError } from '../../../bindings/ovsdb/index.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('JsonStreamParser', () => {
  it('splits concatenated JSON texts with and without whitespace', () => {
    const p = new JsonStreamParser();
    expect(p.push(enc('{"a":1}{"b":[2,{"c":3}]}  \n[1,2]'))).toEqual([{ a: 1 }, { b: [2, { c: 3 }] }, [1, 2]]);
    expect(p.pendingBytes).toBe(0);
  });

  it('ignores braces and quotes inside strings, including escaped quotes', () => {
    const p = new JsonStreamParser();
    const msg = { s: 'x}{"]\\"[', t: '\\' };
    expect(p.push(enc(JSON.stringify(msg) + JSON.stringify(msg)))).toEqual([msg, msg]);
  });

  it('gives the same messages however the stream is cut, multi-byte characters included', () => {
    const msgs = [{ id: 1, result: ['é', '€', '𝄞', 'a"b'] }, { method: 'update', params: [null, { T: {} }] }];
    const bytes = enc(msgs.map((m) => JSON.stringify(m)).join(''));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new JsonStreamParser();
      const out = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      expect(out).toEqual(msgs);
    }
    const p = new JsonStreamParser();
    const out: unknown[] = [];
    for (const b of bytes) out.push(...p.push(Uint8Array.of(b)));
    expect(out).toEqual(msgs);
  });

  it('keeps partial input across pushes without holding on to the caller buffer', () => {
    const p = new JsonStreamParser();
    const chunk = enc('{"a":"xyz');
    expect(p.push(chunk)).toEqual([]);
    chunk.fill(0x20);
    expect(p.push(enc('"}'))).toEqual([{ a: 'xyz' }]);
  });

  it('rejects junk between texts with a typed error and stays failed', () => {
    const p = new JsonStreamParser();
    expect(() => p.push(enc('{"a":1} x'))).toThrow(OvsdbProtocolError);
    expect(() => p.push(enc('{}'))).toThrow(OvsdbProtocolError);
  });

  it('rejects invalid JSON inside a balanced text, control characters in strings, deep nesting and oversize texts', () => {
    expect(() => new JsonStreamParser().push(enc('{"a":}'))).toThrow(/invalid JSON/);
    expect(() => new JsonStreamParser().push(enc('{"a":"\n"}'))).toThrow(/control character/);
    expect(() => new JsonStreamParser().push(enc('['.repeat(1001)))).toThrow(/nested/);
    const small = new JsonStreamParser({ maxMessageBytes: 16 });
    expect(() => small.push(enc('{"a":"0123456789abcdef"}'))).toThrow(/exceeds/);
    const partial = new JsonStreamParser({ maxMessageBytes: 16 });
    expect(() => partial.push(enc('{"a":"0123456789abcdef'))).toThrow(/exceeds/);
  });

  it('rejects a bare scalar at top level', () => {
    expect(() => new JsonStreamParser().push(enc('42'))).toThrow(OvsdbProtocolError);
  });
});
