import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCipherSuiteRecords, decodeChannelAuthCapabilities } from '../../../bindings/ipmi/channel-auth.js';
import { CIPHER_SUITES, IntegrityAlg, ConfAlg, AuthAlg } from '../../../bindings/ipmi/cipher-suites.js';
import { decryptPayload, encryptPayload, integrityCode } from '../../../bindings/ipmi/crypto.js';
import { IpmiDecodeError, IpmiIntegrityError } from '../../../bindings/ipmi/errors.js';
import { checksum, decodeMessage, decodeResponse, encodeRequest } from '../../../bindings/ipmi/message.js';
import { AuthType, decodeIpmi15, decodeLanplus, encodeIpmi15, encodeLanplus, ipmi15AuthCode, verifyIpmi15 } from '../../../bindings/ipmi/packet.js';
import { ReplayWindow } from '../../../bindings/ipmi/replay-window.js';
import { decodeAsf, decodePresencePong, encodeAsf, encodePresencePong } from '../../../bindings/ipmi/rmcp.js';

describe('IPMI message', () => {
  it('encodes Get Device ID with both checksums as the spec example', () => {
    const b = encodeRequest({ netFn: 0x06, command: 0x01, data: Buffer.alloc(0), rqSeq: 1 });
    expect(b.toString('hex')).toBe('2018c88104017a');
    expect(checksum(b, 0, 3)).toBe(0);
    expect(checksum(b, 3)).toBe(0);
  });

  it('rejects bad checksums and requests where a response is expected', () => {
    const b = encodeRequest({ netFn: 0x06, command: 0x01, data: Buffer.from([1, 2]), rqSeq: 5 });
    expect(() => decodeResponse(b)).toThrow(IpmiDecodeError);
    const bad = Buffer.from(b);
    bad[2] = (bad[2] as number) ^ 1;
    expect(() => decodeMessage(bad)).toThrow(/header checksum/);
    const bad2 = Buffer.from(b);
    bad2[bad2.length - 1] = (bad2[bad2.length - 1] as number) ^ 1;
    expect(() => decodeMessage(bad2)).toThrow(/data checksum/);
  });
});

describe('RMCP / ASF', () => {
  it('round-trips a presence pong', () => {
    const pong = { iana: 4542, oem: 7, ipmiSupported: true, asfVersion: 1 };
    const m = decodeAsf(encodePresencePong(pong, 9));
    expect(m.tag).toBe(9);
    expect(decodePresencePong(m)).toEqual(pong);
  });

  it('encodes a presence ping as ASF 2.0 says', () => {
    expect(encodeAsf({ type: 0x80, tag: 3, data: Buffer.alloc(0) }).toString('hex')).toBe('0600ff06000011be80030000');
  });
});

describe('IPMI 1.5 packets', () => {
  it('computes the MD5 AuthCode over password, session id, message, sequence, password', () => {
    const pw = Buffer.from('password');
    const payload = Buffer.from('2018c88104017a', 'hex');
    const pw16 = Buffer.alloc(16);
    pw.copy(pw16);
    const sid = Buffer.from([0x44, 0x33, 0x22, 0x11]);
    const seq = Buffer.from([0x02, 0, 0, 0]);
    const want = createHash('md5').update(pw16).update(sid).update(payload).update(seq).update(pw16).digest();
    expect(ipmi15AuthCode(AuthType.md5, pw, 0x11223344, 2, payload)).toEqual(want);
    const pkt = decodeIpmi15(encodeIpmi15({ authType: AuthType.md5, sequence: 2, sessionId: 0x11223344, payload }, pw));
    expect(pkt.authCode).toEqual(want);
    expect(() => verifyIpmi15(pkt, pw)).not.toThrow();
    expect(() => verifyIpmi15(pkt, Buffer.from('passwore'))).toThrow(IpmiIntegrityError);
  });

  it('straight password puts the padded password in the AuthCode field', () => {
    expect(ipmi15AuthCode(AuthType.straight, Buffer.from('abc'), 1, 1, Buffer.alloc(0)).toString('hex')).toBe('61626300000000000000000000000000');
  });
});

describe('RMCP+ packets', () => {
  const keys = { integrity: IntegrityAlg.hmacSha1_96, confidentiality: ConfAlg.aesCbc128, integrityKey: Buffer.alloc(20, 1), confidentialityKey: Buffer.alloc(16, 2) } as const;

  it('pads the integrity range to a multiple of 4 and appends a 12-byte HMAC-SHA1-96', () => {
    for (let n = 0; n < 8; n++) {
      const b = encodeLanplus({ payloadType: 0, encrypted: false, authenticated: true, sessionId: 1, sequence: 2, payload: Buffer.alloc(n, 7) }, keys);
      const range = b.length - 4 - 12;
      expect(range % 4).toBe(0);
      expect(b[b.length - 13]).toBe(0x07);
      expect(b.subarray(b.length - 12)).toEqual(integrityCode(keys, b.subarray(4, b.length - 12)));
    }
  });

  it('AES-CBC-128 payloads carry an IV and the 1,2,3... pad', () => {
    const iv = Buffer.alloc(16, 9);
    const enc = encryptPayload(ConfAlg.aesCbc128, keys.confidentialityKey, Buffer.from('hello'), iv);
    expect(enc.length).toBe(32);
    expect(enc.subarray(0, 16)).toEqual(iv);
    expect(decryptPayload(ConfAlg.aesCbc128, keys.confidentialityKey, enc).toString()).toBe('hello');
  });

  it('rejects an unauthenticated packet in a session with integrity, and a foreign RMCP header', () => {
    const plain = encodeLanplus({ payloadType: 0, encrypted: false, authenticated: false, sessionId: 1, sequence: 2, payload: Buffer.from([1]) });
    expect(() => decodeLanplus(plain, keys)).toThrow(IpmiIntegrityError);
    const b = encodeLanplus({ payloadType: 0, encrypted: true, authenticated: true, sessionId: 1, sequence: 2, payload: Buffer.from([1]) }, keys);
    expect(decodeLanplus(b, keys).payload).toEqual(Buffer.from([1]));
    const other = Buffer.from(b);
    other[2] = 0x00;
    expect(() => decodeLanplus(other, keys)).toThrow(IpmiDecodeError);
  });

  it('MD5-128 is MD5(key, data, key); HMAC-SHA256-128 is 16 bytes', () => {
    const k = Buffer.alloc(16, 3);
    const range = Buffer.from('abcd');
    expect(integrityCode({ integrity: IntegrityAlg.md5_128, confidentiality: 0, integrityKey: k, confidentialityKey: Buffer.alloc(0) }, range)).toEqual(
      createHash('md5').update(k).update(range).update(k).digest(),
    );
    expect(integrityCode({ integrity: IntegrityAlg.hmacSha256_128, confidentiality: 0, integrityKey: k, confidentialityKey: Buffer.alloc(0) }, range)).toHaveLength(16);
  });
});

describe('cipher suites and channel capabilities', () => {
  it('knows the standard suites 3 and 17', () => {
    expect(CIPHER_SUITES.get(3)).toEqual({ id: 3, auth: AuthAlg.hmacSha1, integrity: IntegrityAlg.hmacSha1_96, confidentiality: ConfAlg.aesCbc128 });
    expect(CIPHER_SUITES.get(17)).toEqual({ id: 17, auth: AuthAlg.hmacSha256, integrity: IntegrityAlg.hmacSha256_128, confidentiality: ConfAlg.aesCbc128 });
  });

  it('decodes Get Channel Cipher Suites records as ipmi_sim sends them', () => {
    const data = Buffer.from('c0000000 4080c001 014080c0 02014180 c0030141 81'.replace(/ /g, ''), 'hex');
    expect(decodeCipherSuiteRecords(data)).toEqual([0, 1, 2, 3]);
  });

  it('decodes channel authentication capabilities', () => {
    const c = decodeChannelAuthCapabilities(Buffer.from([0x01, 0x97, 0x04, 0x03, 0, 0, 0, 0]));
    expect(c).toMatchObject({ channel: 1, authTypes: 0x17, ipmi20: true, ipmi15: true, nonNullUsers: true });
  });
});

describe('replay window', () => {
  it('accepts each sequence once, within the window, and never 0', () => {
    const w = new ReplayWindow();
    expect(w.accept(0)).toBe(false);
    expect(w.accept(5)).toBe(true);
    expect(w.accept(5)).toBe(false);
    expect(w.accept(3)).toBe(true);
    expect(w.accept(3)).toBe(false);
    expect(w.accept(100)).toBe(true);
    expect(w.accept(50)).toBe(false);
    expect(w.accept(99)).toBe(true);
    expect(w.accept(0xffffffff)).toBe(false);
  });

  it('keeps working across the 32-bit wrap', () => {
    const w = new ReplayWindow();
    expect(w.accept(0xfffffffe)).toBe(true);
    expect(w.accept(0xffffffff)).toBe(true);
    expect(w.accept(1)).toBe(true);
    expect(w.accept(0xfffffffe)).toBe(false);
  });
});
