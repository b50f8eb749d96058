import { describe, expect, it } from 'vitest';
import { decodeBootFlags, encodeBootFlags, encodeValidBitClearing } from '../../../bindings/ipmi/commands/boot.js';
import { decodeChassisStatus, encodeChassisControl, encodeIdentify } from '../../../bindings/ipmi/commands/chassis.js';
import { decodeDeviceId } from '../../../bindings/ipmi/commands/device.js';
import { decodeSdr, signed } from '../../../bindings/ipmi/commands/sdr.js';
import { decodeSelRecord, encodeSystemEvent } from '../../../bindings/ipmi/commands/sel.js';
import { convertReading, rawToSigned, thresholdState } from '../../../bindings/ipmi/commands/sensor.js';
import { decodeUserAccess } from '../../../bindings/ipmi/commands/user.js';
import { decodeCipherSuitePrivileges } from '../../../bindings/ipmi/commands/lan.js';
import { IpmiArgumentError } from '../../../bindings/ipmi/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('boot options', () => {
  it('encodes what ipmitool sends for bootdev pxe options=persistent,efiboot', () => {
    expect(encodeBootFlags({ device: 'pxe', persistent: true, efi: true }).toString('hex')).toBe('e004000000');
    expect(encodeBootFlags({ device: 'disk' }).toString('hex')).toBe('8008000000');
    expect(encodeBootFlags({ device: 'bios', clearCmos: true }).toString('hex')).toBe('8098000000');
  });

  it('decodes flags back, valid bit included', () => {
    expect(decodeBootFlags(hex('e014000000'))).toMatchObject({ valid: true, persistent: true, efi: true, device: 'cdrom' });
    expect(decodeBootFlags(hex('0004000000'))).toMatchObject({ valid: false, persistent: false, efi: false, device: 'pxe' });
  });

  it('bit 3 of parameter 3 stops the 60-second valid-bit timeout', () => {
    expect(encodeValidBitClearing({ noTimeout: true })).toEqual(Buffer.from([0x08]));
    expect(encodeValidBitClearing({ noTimeout: false, noClearOnPowerUp: true, noClearOnPefReset: true })).toEqual(Buffer.from([0x11]));
  });

  it('refuses an unknown device', () => {
    expect(() => encodeBootFlags({ device: 'tape' as never })).toThrow(IpmiArgumentError);
  });
});

describe('chassis', () => {
  it('decodes status bits', () => {
    const s = decodeChassisStatus(Buffer.from([0x41, 0x10, 0x61, 0x00]));
    expect(s).toMatchObject({ powerOn: true, powerRestorePolicy: 'always-on', chassisIntrusion: true, identify: 'indefinite', frontPanel: 0 });
    expect(s.lastPowerEvent.commandedOn).toBe(true);
  });

  it('encodes control and identify', () => {
    expect([...encodeChassisControl('soft')]).toEqual([5]);
    expect([...encodeChassisControl('cycle')]).toEqual([2]);
    expect([...encodeIdentify('force')]).toEqual([0, 1]);
    expect([...encodeIdentify(30)]).toEqual([30, 0]);
    expect(() => encodeIdentify(300)).toThrow(IpmiArgumentError);
  });
});

describe('device id', () => {
  it('decodes what ipmi_sim answers', () => {
    const d = decodeDeviceId(hex('00030908029f911200020f00000000'));
    expect(d).toMatchObject({ deviceId: 0, deviceRevision: 3, firmwareRevision: '9.08', ipmiVersion: '2.0', manufacturerId: 4753, productId: 0x0f02 });
    expect(d.support).toMatchObject({ sensor: true, sdrRepository: true, sel: true, chassis: true, bridge: false });
  });
});

describe('SDR and sensor conversion', () => {
  // The full sensor record of "CPU Temp" in scripts/services/ipmi-sim/sim.emu.
  const cpu = hex('010051013320000103017f48010195 7a957a3f000001000005002800 00f00140ff00ff00c8b4a000050a0202000000c8435055205465 6d70');

  it('decodes a full sensor record with its conversion factors', () => {
    const r = decodeSdr(cpu);
    expect(r.kind).toBe('full');
    if (r.kind !== 'full') return;
    expect(r).toMatchObject({ recordId: 1, sensorNumber: 1, name: 'CPU Temp', baseUnit: 1, sensorType: 1 });
    expect(r.conversion).toMatchObject({ m: 5, b: 40, rExp: -1, bExp: 0, analogFormat: 0, linearization: 0 });
    expect(convertReading(0x40, r.conversion)).toBe(36);
    expect(convertReading(r.sdrThresholds.ucr, r.conversion)).toBe(94);
  });

  it('applies signs, exponents, formats and linearisation', () => {
    expect(signed(0x3ff, 10)).toBe(-1);
    expect(rawToSigned(0xff, 2)).toBe(-1);
    expect(rawToSigned(0xfe, 1)).toBe(-1);
    expect(rawToSigned(0xff, 0)).toBe(255);
    const base = { analogFormat: 0, linearization: 0, m: 1, b: 0, bExp: 0, rExp: 0, tolerance: 0, accuracy: 0 };
    expect(convertReading(10, { ...base, m: 3, b: -5, bExp: 1, rExp: -2 })).toBe(-0.2);
    expect(convertReading(2, { ...base, linearization: 8 })).toBe(4);
    expect(convertReading(4, { ...base, linearization: 7 })).toBe(0.25);
    expect(convertReading(0x80, { ...base, analogFormat: 2 })).toBe(-128);
  });

  it('names the most severe threshold crossed', () => {
    expect(thresholdState(0)).toBe('ok');
    expect(thresholdState(0x01)).toBe('lnc');
    expect(thresholdState(0x03)).toBe('lcr');
    expect(thresholdState(0x18)).toBe('ucr');
    expect(thresholdState(0x38)).toBe('unr');
  });

  it('decodes a compact record and leaves unknown types raw', () => {
    const c = decodeSdr(hex('04005102242000041701634005 6f010001000100c000000100000000000000c9496e74727573696f6e'));
    expect(c).toMatchObject({ kind: 'compact', name: 'Intrusion', sensorType: 5, eventReadingType: 0x6f });
    expect(decodeSdr(hex('0900511103aabbcc'))).toMatchObject({ kind: 'other', recordType: 0x11 });
  });
});

describe('SEL records', () => {
  it('round-trips a system event and names threshold offsets', () => {
    const b = encodeSystemEvent({ timestamp: new Date(1_700_000_000_000), sensorType: 1, sensorNumber: 1, eventType: 1, eventData: [0x09, 0xb4, 0xb4] });
    const e = decodeSelRecord(b);
    expect(e).toMatchObject({ kind: 'system', rawTimestamp: 1_700_000_000, sensorTypeName: 'Temperature', direction: 'assertion', offset: 9, description: 'Upper Critical going high' });
  });

  it('decodes OEM records', () => {
    expect(decodeSelRecord(hex('0500c0' + '01000000' + '574f00' + '010203040506'))).toMatchObject({ kind: 'oem-timestamped', manufacturerId: 0x4f57 });
    expect(decodeSelRecord(hex('0600f0' + '00'.repeat(13)))).toMatchObject({ kind: 'oem', recordType: 0xf0 });
  });
});

describe('users and LAN', () => {
  it('decodes user access', () => {
    expect(decodeUserAccess(Buffer.from([0x3f, 0x02, 0x00, 0x14]))).toMatchObject({ maxUsers: 63, enabledUsers: 2, ipmiMessaging: true, linkAuth: false, privilege: 'administrator' });
    expect(decodeUserAccess(Buffer.from([0x0a, 0x00, 0x00, 0x0f])).privilege).toBe('no-access');
  });

  it('spells cipher suite privileges the way ipmitool prints them', () => {
    expect(decodeCipherSuitePrivileges(Buffer.from([0x00, 0x44, 0x43, 0x32]))).toBe('aaoauo');
  });
});
