import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allErrorCodes,
  decodeMessage,
  encodeMessage,
  errorCodeByName,
  errorCodeName,
  errorTypeName,
  flowMod,
  formatIpv4,
  formatIpv6,
  formatMac,
  OFPP,
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  parseIpv4,
  parseIpv6,
  parseMac,
  type OfMessage,
} from '../../../bindings/openflow/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('wire layout of known messages', () => {
  it('hello with a version bitmap is the spec\'s 16 bytes', () => {
    expect(hex(encodeMessage({ type: 'hello', xid: 7, version: 4, versions: [4] }))).toBe('0400001000000007' + '00010008' + '00000010');
    // Versions 1 and 4: bits 1 and 4.
    expect(hex(encodeMessage({ type: 'hello', xid: 1, version: 4, versions: [1, 4] })).slice(-8)).toBe('00000012');
  });

  it('a hello without elements (as OpenFlow 1.0 switches send) decodes with its header version', () => {
    expect(decodeMessage(bytes('0100000800000005'))).toEqual({ type: 'hello', xid: 5, version: 1, versions: [] });
  });

  it('flow_mod: header, fixed part, OXM match padded to 8, instructions', () => {
    const b = encodeMessage(
      flowMod({
        xid: 0x11,
        priority: 0x64,
        match: [{ field: 'in_port', value: 1 }],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: 0xffff }] }],
      }),
    );
    expect(hex(b)).toBe(
      [
        '040e0058' + '00000011', // header: v1.3, FLOW_MOD, 88 bytes
        '0000000000000000' + '0000000000000000', // cookie, cookie_mask
        '00' + '00' + '0000' + '0000' + '0064', // table, ADD, idle, hard, priority
        'ffffffff' + 'ffffffff' + 'ffffffff' + '0000' + '0000', // buffer, out_port, out_group, flags, pad
        '0001000c' + '80000004' + '00000001' + '00000000', // match: OXM, len 12, in_port=1, pad 4
        '00040018' + '00000000', // apply_actions, len 24
        '00000010' + 'fffffffd' + 'ffff' + '000000000000', // output CONTROLLER max_len 0xffff
      ].join(''),
    );
  });

  it('set_field is padded to 8 bytes and masks are encoded after values', () => {
    const b = encodeMessage(
      flowMod({
        match: [{ field: 'ipv4_src', value: '10.0.0.0', mask: '255.0.0.0' }],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'vlan_vid', value: 0x1005 } }] }],
      }),
    );
    expect(hex(b)).toContain('80001708' + '0a000000' + 'ff000000'); // ipv4_src with mask: field 11, HM bit
    expect(hex(b)).toContain('00190010' + '80000c02' + '1005' + '000000000000'); // set_field vlan_vid, padded
  });
});

describe('error names', () => {
  it('every OpenFlow 1.3 error type and code has its spec name', () => {
    const all = allErrorCodes();
    // 2+14+16+9+12+8+15+5+3+3+3+3+12+6 codes over 14 types.
    expect(all).toHaveLength(111);
    expect(new Set(all.map((e) => e.codeName)).size).toBe(111);
    expect(errorTypeName(4)).toBe('OFPET_BAD_MATCH');
    expect(errorCodeName(4, 9)).toBe('OFPBMC_BAD_PREREQ');
    expect(errorCodeName(1, 13)).toBe('OFPBRC_MULTIPART_BUFFER_OVERFLOW');
    expect(errorCodeName(2, 15)).toBe('OFPBAC_BAD_SET_ARGUMENT');
    expect(errorCodeName(12, 11)).toBe('OFPMMFC_OUT_OF_BANDS');
    expect(errorCodeName(13, 5)).toBe('OFPTFFC_EPERM');
    expect(errorTypeName(0xffff)).toBe('OFPET_EXPERIMENTER');
    expect(errorCodeByName('OFPET_GROUP_MOD_FAILED', 'OFPGMFC_BAD_WATCH')).toEqual({ type: 6, code: 13 });
  });

  it('unknown numbers decode to readable placeholders, not failures', () => {
    const m = decodeMessage(bytes('0401000c00000003' + '00630001')) as Extract<OfMessage, { type: 'error' }>;
    expect(m.typeName).toBe('OFPET_UNKNOWN_99');
    expect(m.codeName).toBe('UNKNOWN_1');
    expect(errorCodeName(4, 200)).toBe('OFPBMC_UNKNOWN_200');
  });

  it('an experimenter error carries its experimenter id', () => {
    const m = decodeMessage(bytes('0401001000000003' + 'ffff0007' + '00002320')) as Extract<OfMessage, { type: 'error' }>;
    expect(m).toMatchObject({ errorType: 0xffff, code: 7, experimenter: 0x2320, codeName: 'OFPET_EXPERIMENTER_TYPE_7' });
  });
});

describe('bad input gets typed errors', () => {
  it('encoder refuses out-of-range values, bad addresses, masks on unmaskable fields, oversize messages', () => {
    expect(() => encodeMessage(flowMod({ priority: 70000 }))).toThrow(OpenFlowEncodeError);
    expect(() => encodeMessage(flowMod({ match: [{ field: 'eth_dst', value: 'not-a-mac' }] }))).toThrow(/MAC/);
    expect(() => encodeMessage(flowMod({ match: [{ field: 'ipv4_dst', value: '300.1.1.1' }] }))).toThrow(OpenFlowEncodeError);
    expect(() => encodeMessage(flowMod({ match: [{ field: 'ipv6_dst', value: '1::2::3' }] }))).toThrow(OpenFlowEncodeError);
    expect(() => encodeMessage(flowMod({ match: [{ field: 'in_port', value: 1, mask: 0xff } as never] }))).toThrow(/takes no mask/);
    expect(() => encodeMessage(flowMod({ cookie: -1n }))).toThrow(OpenFlowEncodeError);
    expect(() => encodeMessage({ type: 'echo_request', xid: 1, data: new Uint8Array(70_000) })).toThrow(/65,535/);
    expect(() => encodeMessage({ type: 'nope', xid: 1 } as never)).toThrow(OpenFlowEncodeError);
    try {
      encodeMessage(flowMod({ tableId: 256 }));
    } catch (e) {
      expect((e as OpenFlowEncodeError).code).toBe('ERR_OPENFLOW_ENCODE');
    }
  });

  it('decoder refuses short input, lying lengths, other versions and trailing bytes', () => {
    const cases = ['', '0400', '04000007000000', '0402000900000001', '0114000800000001', '0414000c0000000100000000', '04000010000000010001000c00000010'];
    for (const c of cases) {
      const b = bytes(c);
      let err: unknown;
      try {
        decodeMessage(b);
      } catch (e) {
        err = e;
      }
      if (c === '04000010000000010001000c00000010') {
        // A hello element longer than the message.
        expect(err).toBeInstanceOf(OpenFlowDecodeError);
        continue;
      }
      expect(err, c).toBeInstanceOf(OpenFlowDecodeError);
      expect((err as OpenFlowDecodeError).code).toBe('ERR_OPENFLOW_DECODE');
    }
  });
});

describe('IPv6 text form', () => {
  it('formats canonically (RFC 5952) and parses the usual spellings', () => {
    expect(formatIpv6(parseIpv6('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    expect(formatIpv6(parseIpv6('fe80::1:0:0:1'))).toBe('fe80::1:0:0:1');
    expect(formatIpv6(parseIpv6('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIpv6(parseIpv6('::ffff:10.1.2.3'))).toBe('::ffff:a01:203');
    expect(formatIpv6(parseIpv6('1:2:3:4:5:6:7:8'))).toBe('1:2:3:4:5:6:7:8');
    expect(formatIpv6(parseIpv6('1:0:2:3:4:5:6:7'))).toBe('1:0:2:3:4:5:6:7');
  });
});

describe('MAC and IPv4 text form', () => {
  it('parses the usual spellings and refuses the rest with a typed error', () => {
    expect([...parseMac('02:AB:cd:0:1:ff')]).toEqual([2, 0xab, 0xcd, 0, 1, 0xff]);
    expect([...parseMac('02-00-00-00-00-01')]).toEqual([2, 0, 0, 0, 0, 1]);
    for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:00:00', '02:00:00:00:00:0g', '02:00:00:00:00:000', '02::00:00:00:00', ' 02:00:00:00:00:01']) {
      expect(() => parseMac(bad), bad).toThrow(OpenFlowEncodeError);
    }
    expect([...parseIpv4('10.0.255.1')]).toEqual([10, 0, 255, 1]);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.1000', 'a.b.c.d']) {
      expect(() => parseIpv4(bad), bad).toThrow(OpenFlowEncodeError);
    }
  });

  it('format then parse gives the same bytes, for any address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect([...parseMac(formatMac(b))]).toEqual([...b.subarray(0, 6)]);
        expect([...parseIpv4(formatIpv4(b))]).toEqual([...b.subarray(0, 4)]);
        expect([...parseIpv6(formatIpv6(b))]).toEqual([...b]);
      }),
    );
  });
});
