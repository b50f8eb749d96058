/**
 * Every command against a real BMC simulator (ipmi_sim, started by scripts/services), each result
 * compared with what `ipmitool -I lanplus -C 3` reads from the same BMC, and power/boot changes
 * checked in the files the simulator's chassis handler writes.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { IpmiClient, IpmiCompletionError, openSession, presencePing, type BootDevice } from '../../../bindings/ipmi/index.js';
import { itWithService } from '../../support/services.js';
import { servicePort } from '../../support/ports.js';
import { SIM_PASSWORD, SIM_USER, ipmiSimAvailable, ipmitool, keyValues, startSim, type SimHandle } from '../../support/ipmi.js';

const it = itWithService(ipmiSimAvailable, 'ipmi_sim and ipmitool (Debian openipmi, ipmitool)');
const port = servicePort('ipmi', 0);
let sim: SimHandle | undefined;
let client: IpmiClient;

describe('IPMI commands against ipmi_sim, compared with ipmitool', () => {
  beforeAll(async () => {
    if (!ipmiSimAvailable) return;
    sim = await startSim(port);
    client = await IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [3] });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.destroy();
  });

  it('opens an RMCP+ session with suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128)', async () => {
    const s = client.session;
    expect(s.constructor.name).toBe('LanplusSession');
    expect(s.toJSON()).toMatchObject({ cipherSuite: 3, privilege: 4 });
  });

  it('answers the ASF presence ping', async () => {
    const pong = await presencePing('127.0.0.1', port, { timeoutMs: 500, retries: 2 });
    expect(pong.ipmiSupported).toBe(true);
    expect(pong.iana).toBe(4542);
  });

  it('Get Device ID equals ipmitool mc info', async () => {
    const d = await client.deviceId();
    const kv = keyValues(await ipmitool(port, ['mc', 'info']));
    expect(String(d.deviceId)).toBe(kv.get('Device ID'));
    expect(String(d.deviceRevision)).toBe(kv.get('Device Revision'));
    expect(d.firmwareRevision).toBe(kv.get('Firmware Revision'));
    expect(d.ipmiVersion).toBe(kv.get('IPMI Version'));
    expect(String(d.manufacturerId)).toBe(kv.get('Manufacturer ID'));
    expect(kv.get('Product ID')).toMatch(new RegExp(`^${d.productId} `));
    expect(d.providesDeviceSdrs ? 'yes' : 'no').toBe(kv.get('Provides Device SDRs'));
    expect(d.deviceAvailable ? 'yes' : 'no').toBe(kv.get('Device Available'));
  });

  it('Get Self Test Results and BMC cold/warm reset fail like ipmitool raw (the simulator lacks them)', async () => {
    await expect(client.selfTest()).rejects.toMatchObject({ code: 'ERR_IPMI_COMPLETION', completionCode: 0xc1 });
    await expect(ipmitool(port, ['raw', '0x06', '0x04'])).rejects.toThrow(/Invalid command/);
    for (const [kind, cmd] of [['warm', '0x03'], ['cold', '0x02']] as const) {
      await expect(client.resetBmc(kind)).rejects.toBeInstanceOf(IpmiCompletionError);
      await expect(ipmitool(port, ['raw', '0x06', cmd])).rejects.toThrow(/Invalid command/);
    }
    // The session survives the refused commands.
    expect((await client.deviceId()).manufacturerId).toBe(4753);
  });

  it('chassis status equals ipmitool chassis status', async () => {
    const st = await client.chassisStatus();
    const kv = keyValues(await ipmitool(port, ['chassis', 'status']));
    expect(st.powerOn ? 'on' : 'off').toBe(kv.get('System Power'));
    expect(String(st.powerOverload)).toBe(kv.get('Power Overload'));
    expect(String(st.mainPowerFault)).toBe(kv.get('Main Power Fault'));
    expect(String(st.powerControlFault)).toBe(kv.get('Power Control Fault'));
    expect(st.powerRestorePolicy).toBe(kv.get('Power Restore Policy'));
    expect(st.chassisIntrusion ? 'active' : 'inactive').toBe(kv.get('Chassis Intrusion'));
    expect(String(st.driveFault)).toBe(kv.get('Drive Fault'));
    expect(String(st.coolingFault)).toBe(kv.get('Cooling/Fan Fault'));
  });

  it('power on/off/cycle/reset/soft reach the chassis handler and read back like ipmitool', async () => {
    const h = sim as SimHandle;
    await client.power('on');
    expect(h.chassisFile('power')).toBe('1');
    expect(await client.powerStatus()).toBe('on');
    expect(await ipmitool(port, ['power', 'status'])).toMatch(/Chassis Power is on/);

    await client.power('off');
    expect(h.chassisFile('power')).toBe('0');
    expect(await client.powerStatus()).toBe('off');
    expect(await ipmitool(port, ['power', 'status'])).toMatch(/Chassis Power is off/);

    await client.power('on');
    const before = h.chassisLog().length;
    await client.power('reset');
    await client.power('soft');
    await client.power('on');
    await client.power('cycle');
    expect(h.chassisLog().slice(before)).toEqual(['reset 1', 'shutdown 1', 'power 1', 'power 0']);
    // The simulator refuses the diagnostic interrupt; so does it for ipmitool.
    await expect(client.power('diag')).rejects.toMatchObject({ completionCode: 0xcc });
    await expect(ipmitool(port, ['power', 'diag'])).rejects.toThrow(/Invalid data field/);
  });

  it('chassis identify reaches the handler', async () => {
    const h = sim as SimHandle;
    await client.identify(7);
    expect(h.chassisFile('identify')).toBe('7 0');
    await client.identify('force');
    expect(h.chassisFile('identify')).toBe('0 1');
    await ipmitool(port, ['chassis', 'identify', '5']);
    expect(h.chassisFile('identify')).toBe('5 0');
  });

  it('boot device: set, seen by the handler, read back, same bytes as ipmitool reads', async () => {
    const h = sim as SimHandle;
    const selector: Record<string, string> = {
      pxe: 'Force PXE',
      disk: 'Force Boot from default Hard-Drive',
      cdrom: 'Force Boot from CD/DVD',
      bios: 'Force Boot into BIOS Setup',
      none: 'No override',
    };
    const handlerName: Record<string, string> = { pxe: 'pxe', disk: 'default', cdrom: 'cdrom', bios: 'bios', none: 'none' };
    for (const device of ['pxe', 'disk', 'cdrom', 'bios', 'none'] as BootDevice[]) {
      await client.setBootDevice({ device });
      expect(h.chassisFile('boot')).toBe(handlerName[device]);
      const flags = await client.bootFlags();
      expect(flags.device).toBe(device);
      const out = await ipmitool(port, ['chassis', 'bootparam', 'get', '5']);
      expect(out).toContain(`Boot Device Selector : ${selector[device]}`);
      expect(out).toContain(`Boot parameter data: ${flags.raw.toString('hex')}`);
    }
  });

  it('persistent EFI boot: accepted like ipmitool options=persistent,efiboot (the simulator keeps only the device)', async () => {
    const h = sim as SimHandle;
    await client.setBootDevice({ device: 'pxe', persistent: true, efi: true });
    const ours = h.chassisFile('boot');
    await client.setBootDevice({ device: 'none' });
    await ipmitool(port, ['chassis', 'bootdev', 'pxe', 'options=persistent,efiboot']);
    expect(h.chassisFile('boot')).toBe(ours);
    expect((await client.bootFlags()).device).toBe('pxe');
    // Parameter 3 (valid bit clearing: the 60 s timeout): the simulator takes the write but
    // cannot read it back, for ipmitool either.
    await client.setBootFlagValidBitClearing({ noTimeout: true });
    await expect(ipmitool(port, ['chassis', 'bootparam', 'get', '3'])).rejects.toThrow(/Invalid data field/);
  });

  it('SDR repository and sensor readings equal ipmitool sensor', async () => {
    const sdrs = await client.sdrs(true);
    expect(sdrs.map((r) => r.kind)).toEqual(['full', 'full', 'full', 'compact']);
    const sensors = await client.sensors();
    const lines = (await ipmitool(port, ['sensor'])).trim().split('\n');
    expect(sensors.length).toBe(lines.length);
    const num = (v: number | undefined): string => (v === undefined ? 'na' : v.toFixed(3));
    for (const [i, s] of sensors.entries()) {
      const cols = (lines[i] as string).split('|').map((c) => c.trim());
      expect(cols[0]).toBe(s.name);
      if (s.unit === 'discrete') {
        expect(cols[2]).toBe('discrete');
        expect(cols[1]).toBe(`0x${(s.discreteState ?? 0).toString(16)}`);
        continue;
      }
      expect(cols[1]).toBe(num(s.value));
      expect(cols[2]).toBe(s.unit);
      expect(cols[3]).toBe(s.state);
      expect(cols.slice(4, 10)).toEqual([s.thresholds.lnr, s.thresholds.lcr, s.thresholds.lnc, s.thresholds.unc, s.thresholds.ucr, s.thresholds.unr].map(num));
    }
    expect(sensors.find((s) => s.name === 'CPU Temp')?.value).toBe(36);
  });

  it('SEL: add, list and clear, each seen by ipmitool', async () => {
    await client.selClear();
    expect((await client.selInfo()).entries).toBe(0);
    const id = await client.selAdd({ sensorType: 0x01, sensorNumber: 0x01, eventType: 0x01, eventData: [0x07, 0x50, 0xa0] });
    // ipmitool adds one too, through a raw Add SEL Entry.
    await ipmitool(port, ['raw', '0x0a', '0x44', '0x00', '0x00', '0x02', '0x00', '0x00', '0x00', '0x00', '0x41', '0x00', '0x04', '0x02', '0x03', '0x81', '0x02', '0x00', '0x00']);
    const entries = await client.selList();
    expect(entries).toHaveLength(2);
    const lines = (await ipmitool(port, ['sel', 'list'])).trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = entries;
    expect(a).toMatchObject({ kind: 'system', recordId: id, sensorType: 1, sensorNumber: 1, direction: 'assertion', description: 'Upper Non-critical going high' });
    expect(b).toMatchObject({ kind: 'system', sensorTypeName: 'Voltage', sensorNumber: 3, direction: 'deassertion', description: 'Lower Critical going low' });
    for (const [i, e] of entries.entries()) {
      const cols = (lines[i] as string).split('|').map((c) => c.trim());
      expect(parseInt(cols[0] as string, 16)).toBe(e.recordId);
      if (e.kind !== 'system') throw new Error('system event expected');
      expect(cols[3]).toBe(`${e.sensorTypeName} #0x${e.sensorNumber.toString(16).padStart(2, '0')}`);
      expect(cols[4]).toBe(e.description);
      expect(cols[5]).toBe(e.direction === 'assertion' ? 'Asserted' : 'Deasserted');
    }
    const info = await client.selInfo();
    const kv = keyValues(await ipmitool(port, ['sel', 'info']));
    expect(String(info.entries)).toBe(kv.get('Entries'));
    expect(`${info.freeBytes} bytes`).toBe(kv.get('Free Space'));
    await client.selClear();
    expect(keyValues(await ipmitool(port, ['sel', 'info'])).get('Entries')).toBe('0');
  });

  it('user list equals ipmitool user list 1', async () => {
    const users = await client.users(1);
    const lines = (await ipmitool(port, ['user', 'list', '1'])).trim().split('\n').slice(1);
    expect(users).toHaveLength(lines.length);
    const priv: Record<string, string> = { administrator: 'ADMINISTRATOR', operator: 'OPERATOR', user: 'USER', callback: 'CALLBACK', 'no-access': 'NO ACCESS' };
    for (const [i, u] of users.entries()) {
      const line = lines[i] as string;
      const fields = line.trim().split(/\s+/);
      expect(Number(fields[0])).toBe(u.id);
      const expected = [String(!u.access.callbackOnly), String(u.access.linkAuth), String(u.access.ipmiMessaging)];
      if (u.name.length > 0) {
        expect(fields[1]).toBe(u.name);
        expect(fields.slice(2, 5)).toEqual(expected);
      } else {
        expect(fields.slice(1, 4)).toEqual(expected);
      }
      expect(line).toContain(priv[u.access.privilege] ?? `Unknown (0x${u.access.privilegeCode.toString(16).padStart(2, '0')})`);
    }
    expect(users.find((u) => u.id === 2)).toMatchObject({ name: 'admin', access: { privilege: 'administrator' } });
  });

  it('LAN configuration equals ipmitool lan print 1', async () => {
    const lan = await client.lanConfig(1);
    const kv = keyValues(await ipmitool(port, ['lan', 'print', '1']));
    expect(lan.ipAddress).toBe(kv.get('IP Address'));
    expect(lan.subnetMask).toBe(kv.get('Subnet Mask'));
    expect(lan.macAddress).toBe(kv.get('MAC Address'));
    expect(lan.defaultGateway).toBe(kv.get('Default Gateway IP'));
    expect(lan.community).toBe(kv.get('SNMP Community String'));
    expect(lan.ipSource).toBe(kv.get('IP Address Source')?.toLowerCase());
    expect(lan.cipherSuites?.join(',')).toBe(kv.get('RMCP+ Cipher Suites'));
    expect(lan.cipherSuitePrivileges).toBe(kv.get('Cipher Suite Priv Max'));
    expect(lan.vlanEnabled ? String(lan.vlanId) : 'Disabled').toBe(kv.get('802.1q VLAN ID'));
  });

  it('every cipher suite the simulator has (1, 2, 3, 6, 7, 8, 11, 12) carries commands; 17 falls back to 3', async () => {
    const want = await client.deviceId();
    for (const suite of [1, 2, 3, 6, 7, 8, 11, 12]) {
      const s = await openSession({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [suite] });
      try {
        expect(s.toJSON()).toMatchObject({ cipherSuite: suite });
        expect(await s.request(0x06, 0x01)).toEqual(await client.request(0x06, 0x01));
      } finally {
        await s.close();
      }
    }
    const fb = await IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [17, 3] });
    try {
      expect(fb.session.toJSON()).toMatchObject({ cipherSuite: 3 });
      expect(await fb.deviceId()).toEqual(want);
    } finally {
      await fb.close();
    }
  });

  it('IPMI 1.5 sessions (MD5 and straight password) read what ipmitool -I lan reads, and close their slot', async () => {
    const kv = keyValues(await ipmitool(port, ['mc', 'info'], { iface: 'lan' }));
    const before = (await client.sessionInfo()).active;
    for (const auth of ['md5', 'straight'] as const) {
      const c = await IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, version: '1.5', ipmi15Auth: auth });
      try {
        expect((await c.sessionInfo()).sessionType).toBe(0);
        expect((await client.sessionInfo()).active).toBe(before + 1);
        expect(c.session.constructor.name).toBe('Ipmi15Session');
        const d = await c.deviceId();
        expect(d.firmwareRevision).toBe(kv.get('Firmware Revision'));
        expect(String(d.manufacturerId)).toBe(kv.get('Manufacturer ID'));
        // The earlier power-cycle test may still be turning the chassis back on: compare with the
        // 2.0 session's reads on both sides, and only when those agree.
        const around = async (): Promise<[boolean, boolean, boolean]> => [(await client.chassisStatus()).powerOn, (await c.chassisStatus()).powerOn, (await client.chassisStatus()).powerOn];
        let [x, got, y] = await around();
        for (let tries = 0; x !== y && tries < 20; tries++) [x, got, y] = await around();
        expect(x).toBe(y);
        expect(got).toBe(x);
      } finally {
        await c.close();
      }
      expect((await client.sessionInfo()).active).toBe(before);
    }
    await expect(IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: 'wrong', version: '1.5', retry: { timeoutMs: 300, retries: 0 } })).rejects.toMatchObject({
      code: 'ERR_IPMI_AUTH',
      step: 'activate-session',
    });
  });
});
