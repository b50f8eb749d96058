import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenFlowDecodeError } from '../../../bindings/openflow/errors.js';
import { Framer } from '../../../bindings/openflow/framer.js';
import { decodeMessage, encodeMessage, type OfMessage } from '../../../bindings/openflow/message.js';
import { mergeMultipartBodies, type MultipartReplyBody } from '../../../bindings/openflow/multipart.js';
import { anyMessage, messageArbs, multipartReplyBody } from './arbitraries.js';

/** The decoder may only ever throw our typed error. */
function decodeOrTyped(bytes: Uint8Array): OfMessage | OpenFlowDecodeError {
  try {
    return decodeMessage(bytes);
  } catch (e) {
    if (e instanceof OpenFlowDecodeError && e.code === 'ERR_OPENFLOW_DECODE') return e;
    throw e;
  }
}

describe('OpenFlow 1.3 codec: round trips', () => {
  for (const [type, arb] of Object.entries(messageArbs)) {
    it(`${type}: decode(encode(m)) equals m, and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const bytes = encodeMessage(m);
          expect(bytes.length % 1).toBe(0);
          expect((bytes[2]! << 8) | bytes[3]!).toBe(bytes.length);
          const back = decodeMessage(bytes);
          expect(back).toEqual(m);
          expect(encodeMessage(back)).toEqual(bytes);
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('OpenFlow 1.3 codec: hostile input', () => {
  it('random bytes never throw anything but OpenFlowDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        decodeOrTyped(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bodies behind a valid header of every type never throw anything but OpenFlowDecodeError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 35 }), fc.uint8Array({ maxLength: 300 }), (type, body) => {
        const b = new Uint8Array(8 + body.length);
        b.set([4, type, (b.length >> 8) & 0xff, b.length & 0xff, 0, 0, 0, 1]);
        b.set(body, 8);
        decodeOrTyped(b);
      }),
      { numRuns: 5000 },
    );
  });

  it('every truncation and every single-byte corruption of a valid message yields a message or our typed error', () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(), fc.nat(255), (m, at, v) => {
        const bytes = encodeMessage(m);
        for (let n = 0; n < bytes.length; n++) {
          const cut = bytes.slice(0, n);
          const r = decodeOrTyped(cut);
          expect(r).toBeInstanceOf(OpenFlowDecodeError);
          // Truncated but with the header's length fixed up: the body itself is short.
          if (n >= 8) {
            cut[2] = n >> 8;
            cut[3] = n & 0xff;
            decodeOrTyped(cut);
          }
        }
        const bad = bytes.slice();
        bad[at % bad.length] = v;
        decodeOrTyped(bad);
      }),
      { numRuns: 300 },
    );
  });
});

describe('stream framing', () => {
  it('any split of a stream of messages yields the same messages in order', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (msgs, cuts) => {
        const encoded = msgs.map((m) => encodeMessage(m));
        const total = encoded.reduce((n, e) => n + e.length, 0);
        const stream = new Uint8Array(total);
        let at = 0;
        for (const e of encoded) {
          stream.set(e, at);
          at += e.length;
        }
        const points = [...new Set(cuts.map((c) => c % (total + 1)))].sort((a, b) => a - b);
        const framer = new Framer();
        const out: OfMessage[] = [];
        let prev = 0;
        for (const p of [...points, total]) {
          for (const frame of framer.push(stream.slice(prev, p))) out.push(decodeMessage(frame));
          prev = p;
        }
        expect(out).toEqual(msgs);
        expect(framer.pending).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('a frame shorter than its own header is a typed error', () => {
    const framer = new Framer();
    expect(() => framer.push(Uint8Array.of(4, 0, 0, 4, 0, 0, 0, 0))).toThrow(OpenFlowDecodeError);
  });
});

describe('multipart reassembly', () => {
  it('splitting a list reply into parts and merging them gives the whole reply back', () => {
    fc.assert(
      fc.property(multipartReplyBody, fc.integer({ min: 1, max: 4 }), (body, parts) => {
        const key = Object.keys(body).find((k) => Array.isArray((body as unknown as Record<string, unknown>)[k]));
        if (key === undefined || body.kind === 'group_features') return;
        const items = (body as unknown as Record<string, unknown[]>)[key]!;
        const chunks: MultipartReplyBody[] = [];
        for (let i = 0; i < parts; i++) {
          const size = Math.ceil(items.length / parts);
          chunks.push({ ...body, [key]: items.slice(i * size, (i + 1) * size) } as MultipartReplyBody);
        }
        expect(mergeMultipartBodies(chunks)).toEqual(body);
      }),
      { numRuns: 200 },
    );
  });
});
