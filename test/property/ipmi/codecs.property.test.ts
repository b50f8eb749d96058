/**
 * Property tests of every IPMI codec: round trips, random and truncated bytes (only IpmiError may
 * come out), and the integrity check rejecting any single flipped bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChannelAuthCapabilities, decodeCipherSuiteRecords } from '../../../bindings/ipmi/channel-auth.js';
import { CIPHER_SUITES, authDigestLength, type CipherSuite } from '../../../bindings/ipmi/cipher-suites.js';
import { decodeBootFlags, decodeBootOptionResponse, encodeBootFlags, type BootDevice } from '../../../bindings/ipmi/commands/boot.js';
import { decodeChassisStatus } from '../../../bindings/ipmi/commands/chassis.js';
import { decodeDeviceId, decodeSelfTest } from '../../../bindings/ipmi/commands/device.js';
import { decodeSdr, decodeSdrRepositoryInfo } from '../../../bindings/ipmi/commands/sdr.js';
import { decodeSelInfo, decodeSelRecord, encodeSystemEvent } from '../../../bindings/ipmi/commands/sel.js';
import { decodeSensorReading, decodeThresholds } from '../../../bindings/ipmi/commands/sensor.js';
import { decodeUserAccess } from '../../../bindings/ipmi/commands/user.js';
import type { SessionKeys } from '../../../bindings/ipmi/crypto.js';
import { IpmiError } from '../../../bindings/ipmi/errors.js';
import { decodeMessage, decodeResponse, encodeMessage } from '../../../bindings/ipmi/message.js';
import { classifyDatagram, decodeIpmi15, decodeLanplus, encodeIpmi15, encodeLanplus, verifyIpmi15 } from '../../../bindings/ipmi/packet.js';
import {
  decodeOpenSessionResponse,
  decodeRakp1,
  decodeRakp2,
  decodeRakp3,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeOpenSessionResponse,
  encodeRakp1,
  encodeRakp2,
  encodeRakp3,
  encodeRakp4,
} from '../../../bindings/ipmi/rakp.js';
import { decodeAsf, encodeAsf } from '../../../bindings/ipmi/rmcp.js';
import { decodeSolPacket, encodeSolPacket } from '../../../bindings/ipmi/sol.js';

const u8 = fc.integer({ min: 0, max: 255 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (min: number, max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const suites = [...CIPHER_SUITES.values()];
const suiteArb = fc.constantFrom(...suites);
const protectedSuiteArb = fc.constantFrom(...suites.filter((s) => s.integrity !== 0));

function keysFor(s: CipherSuite, k1: Buffer, k2: Buffer): SessionKeys {
  return { integrity: s.integrity, confidentiality: s.confidentiality, integrityKey: k1, confidentialityKey: k2 };
}

/** Runs `f`; anything thrown must be an IpmiError. */
function onlyTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof IpmiError)) throw e;
  }
}

describe('round trips', () => {
  it('IPMI messages', () => {
    fc.assert(
      fc.property(u8, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 3 }), u8, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 3 }), u8, bytes(0, 40), (rsAddr, netFn, rsLun, rqAddr, rqSeq, rqLun, command, data) => {
        const m = { rsAddr, netFn, rsLun, rqAddr, rqSeq, rqLun, command, data };
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('ASF messages', () => {
    fc.assert(
      fc.property(u8, u8, bytes(0, 32), (type, tag, data) => {
        expect(decodeAsf(encodeAsf({ type, tag, data }))).toEqual({ type, tag, data });
      }),
    );
  });

  it('IPMI 1.5 packets, with their AuthCode checked', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 2, 4), u32, u32, bytes(0, 60), bytes(0, 16), (authType, sequence, sessionId, payload, password) => {
        const p = decodeIpmi15(encodeIpmi15({ authType, sequence, sessionId, payload }, password));
        expect(p).toMatchObject({ authType, sequence, sessionId, payload });
        verifyIpmi15(p, password);
        expect(classifyDatagram(encodeIpmi15({ authType, sequence, sessionId, payload }, password))).toBe('ipmi15');
      }),
    );
  });

  it('RMCP+ packets under every suite, authenticated and encrypted as the suite says', () => {
    fc.assert(
      fc.property(suiteArb, fc.integer({ min: 0, max: 0x3f }).filter((t) => t !== 2), u32, u32, bytes(0, 100), bytes(20, 32), bytes(16, 16), (suite, payloadType, sessionId, sequence, payload, k1, k2) => {
        const keys = keysFor(suite, k1, k2);
        const p = { payloadType, encrypted: suite.confidentiality !== 0, authenticated: suite.integrity !== 0, sessionId, sequence, payload };
        expect(decodeLanplus(encodeLanplus(p, keys), keys)).toEqual(p);
      }),
    );
  });

  it('Open Session, RAKP 1-4', () => {
    fc.assert(
      fc.property(suiteArb, u8, u32, u32, bytes(16, 16), bytes(16, 16), bytes(0, 16), u8, (suite, tag, a, b, r1, r2, name, role) => {
        const req = encodeOpenSessionRequest({ tag, maxPrivilege: 4, consoleSessionId: a, suite });
        expect(req[0]).toBe(tag);
        const resp = { tag, status: 0, maxPrivilege: 4, consoleSessionId: a, bmcSessionId: b, auth: suite.auth, integrity: suite.integrity, confidentiality: suite.confidentiality };
        expect(decodeOpenSessionResponse(encodeOpenSessionResponse(resp))).toEqual(resp);
        const m1 = { tag, bmcSessionId: b, consoleRandom: r1, role, username: name };
        expect(decodeRakp1(encodeRakp1(m1))).toEqual(m1);
        const code = Buffer.alloc(authDigestLength(suite.auth), 5);
        const m2 = { tag, status: 0, consoleSessionId: a, bmcRandom: r2, bmcGuid: r1, keyExchangeCode: code };
        expect(decodeRakp2(encodeRakp2(m2), suite.auth)).toEqual(m2);
        const m3 = { tag, status: 0, bmcSessionId: b, keyExchangeCode: code };
        expect(decodeRakp3(encodeRakp3(m3))).toEqual(m3);
        const icv = Buffer.alloc(suite.auth === 1 ? 12 : suite.auth === 0 ? 0 : 16, 6);
        const m4 = { tag, status: 0, consoleSessionId: a, integrityCheck: icv };
        expect(decodeRakp4(encodeRakp4(m4), suite.auth)).toEqual(m4);
      }),
    );
  });

  it('SOL payloads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), u8, u8, bytes(0, 200), (sequence, ackSequence, acceptedCount, status, data) => {
        const p = { sequence, ackSequence, acceptedCount, status, data };
        expect(decodeSolPacket(encodeSolPacket(p))).toEqual(p);
      }),
    );
  });

  it('SEL system events', () => {
    fc.assert(
      fc.property(u32, u8, u8, fc.integer({ min: 0, max: 0x7f }), fc.boolean(), fc.tuple(u8, u8, u8), fc.integer({ min: 0, max: 0xffff }), (ts, sensorType, sensorNumber, eventType, deassert, eventData, generatorId) => {
        const e = decodeSelRecord(encodeSystemEvent({ timestamp: new Date(ts * 1000), sensorType, sensorNumber, eventType, direction: deassert ? 'deassertion' : 'assertion', eventData, generatorId }));
        expect(e).toMatchObject({ kind: 'system', rawTimestamp: ts, sensorType, sensorNumber, eventType, direction: deassert ? 'deassertion' : 'assertion', eventData, generatorId });
      }),
    );
  });

  it('boot flags', () => {
    const devices: BootDevice[] = ['none', 'pxe', 'disk', 'disk-safe', 'diag', 'cdrom', 'bios', 'remote-floppy', 'remote-cdrom', 'remote-media', 'remote-disk', 'floppy'];
    fc.assert(
      fc.property(fc.constantFrom(...devices), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (device, persistent, efi, clearCmos, lockKeyboard, screenBlank, lockResetButton) => {
        const f = { device, persistent, efi, clearCmos, lockKeyboard, screenBlank, lockResetButton };
        expect(decodeBootFlags(encodeBootFlags(f))).toMatchObject({ ...f, valid: true });
      }),
    );
  });
});

describe('random and truncated bytes give typed errors only', () => {
  const decoders: [string, (b: Buffer) => unknown][] = [
    ['message', decodeMessage],
    ['response', decodeResponse],
    ['asf', decodeAsf],
    ['classify', classifyDatagram],
    ['ipmi15', decodeIpmi15],
    ['lanplus', (b) => decodeLanplus(b)],
    ['lanplus+keys', (b) => decodeLanplus(b, keysFor(CIPHER_SUITES.get(3) as CipherSuite, Buffer.alloc(20, 1), Buffer.alloc(16, 2)))],
    ['open session response', decodeOpenSessionResponse],
    ['rakp1', decodeRakp1],
    ['rakp2', (b) => decodeRakp2(b, 1)],
    ['rakp3', decodeRakp3],
    ['rakp4', (b) => decodeRakp4(b, 3)],
    ['sol', decodeSolPacket],
    ['sdr', decodeSdr],
    ['sdr info', decodeSdrRepositoryInfo],
    ['sel record', decodeSelRecord],
    ['sel info', decodeSelInfo],
    ['sensor reading', decodeSensorReading],
    ['thresholds', decodeThresholds],
    ['chassis status', decodeChassisStatus],
    ['device id', decodeDeviceId],
    ['self test', decodeSelfTest],
    ['user access', decodeUserAccess],
    ['boot flags', decodeBootFlags],
    ['boot option', decodeBootOptionResponse],
    ['channel auth', decodeChannelAuthCapabilities],
    ['cipher records', decodeCipherSuiteRecords],
  ];

  it('random bytes', () => {
    fc.assert(
      fc.property(bytes(0, 120), (b) => {
        for (const [, d] of decoders) onlyTyped(() => d(b));
      }),
      { numRuns: 500 },
    );
  });

  it('valid packets cut anywhere', () => {
    fc.assert(
      fc.property(suiteArb, bytes(0, 60), bytes(20, 20), fc.nat(), (suite, payload, k, cut) => {
        const keys = keysFor(suite, k, k.subarray(0, 16));
        const full = encodeLanplus({ payloadType: 0, encrypted: suite.confidentiality !== 0, authenticated: suite.integrity !== 0, sessionId: 1, sequence: 1, payload }, keys);
        const short = full.subarray(0, cut % full.length);
        for (const [, d] of decoders) onlyTyped(() => d(short));
        onlyTyped(() => decodeLanplus(short, keys));
        const msg = encodeMessage({ rsAddr: 0x81, netFn: 7, rsLun: 0, rqAddr: 0x20, rqSeq: 1, rqLun: 0, command: 1, data: payload });
        onlyTyped(() => decodeResponse(msg.subarray(0, cut % msg.length)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('integrity', () => {
  it('rejects any single flipped bit of an authenticated packet', () => {
    fc.assert(
      fc.property(protectedSuiteArb, bytes(0, 48), bytes(20, 32), bytes(16, 16), u32, fc.nat(), (suite, payload, k1, k2, seq, at) => {
        const keys = keysFor(suite, k1, k2);
        const pkt = encodeLanplus({ payloadType: 0, encrypted: suite.confidentiality !== 0, authenticated: true, sessionId: 7, sequence: seq, payload }, keys);
        const bit = at % (pkt.length * 8);
        const bad = Buffer.from(pkt);
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        let threw: unknown;
        try {
          decodeLanplus(bad, keys);
        } catch (e) {
          threw = e;
        }
        expect(threw).toBeInstanceOf(IpmiError);
      }),
      { numRuns: 1000 },
    );
  });
});
