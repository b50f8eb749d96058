/**
 * The vswitch operations against a real ovsdb-server + ovs-vswitchd (userspace, dummy datapath),
 * each result checked with ovs-vsctl (and ovs-ofctl/ovs-appctl where the datapath matters).
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { isTstackError } from '../../../common/errors.js';
import { OvsdbClient, Vswitch } from '../../../bindings/ovsdb/index.js';
import { itWithService } from '../../support/services.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');

describe('vswitch operations on real OVS', () => {
  let ovs: OvsInstance | undefined;
  let client: OvsdbClient | undefined;
  let vs: Vswitch;

  beforeAll(async () => {
    if (!ovsAvailable()) return;
    ovs = await startOvs({ portIndex: 0 });
    client = await OvsdbClient.connect({ remote: `unix:${ovs.dbSocket}` });
    vs = new Vswitch(client);
  });
  afterAll(async () => {
    await client?.close();
    await ovs?.stop();
  });

  const vsctl = (...a: string[]): Promise<string> => (ovs as OvsInstance).vsctl(...a);

  it('adds a bridge with datapath type, protocols, fail mode, controller and external_ids', async () => {
    const uuid = await vs.addBridge('br-int', {
      datapathType: 'dummy',
      protocols: ['OpenFlow13', 'OpenFlow10'],
      failMode: 'secure',
      controllers: ['tcp:127.0.0.1:6653'],
      externalIds: { owner: 'tstack', 'bridge-id': 'br-int' },
      waitApplied: true,
    });
    expect(await vsctl('get', 'bridge', 'br-int', '_uuid')).toBe(uuid);
    expect(await vsctl('list-br')).toBe('br-int');
    expect(await vsctl('get', 'bridge', 'br-int', 'datapath_type')).toBe('dummy');
    expect(await vsctl('get', 'bridge', 'br-int', 'protocols')).toBe('[OpenFlow10, OpenFlow13]');
    expect(await vsctl('get-fail-mode', 'br-int')).toBe('secure');
    expect(await vsctl('get-controller', 'br-int')).toBe('tcp:127.0.0.1:6653');
    expect(await vsctl('br-get-external-id', 'br-int', 'owner')).toBe('tstack');
    // The bridge's own internal port exists and got an OpenFlow port number (LOCAL = 65534).
    expect(await vs.waitForOfport('br-int')).toBe(65534);
    await expect(vs.addBridge('br-int')).rejects.toMatchObject({ code: 'ERR_OVSDB_EXISTS' });
    expect(await vs.addBridge('br-int', { mayExist: true })).toBe(uuid);
  });

  it('changes controllers and bridge settings', async () => {
    await vs.setControllers('br-int', ['tcp:127.0.0.1:6654', 'ptcp:6655:127.0.0.1']);
    expect((await vsctl('get-controller', 'br-int')).split('\n').sort()).toEqual(['ptcp:6655:127.0.0.1', 'tcp:127.0.0.1:6654']);
    await vs.updateBridge('br-int', { failMode: 'standalone', protocols: ['OpenFlow13'] });
    expect(await vsctl('get-fail-mode', 'br-int')).toBe('standalone');
    expect(await vsctl('get', 'bridge', 'br-int', 'protocols')).toBe('[OpenFlow13]');
    await vs.setControllers('br-int', []);
    expect(await vsctl('get-controller', 'br-int')).toBe('');
    await expect(vs.setControllers('nope', [])).rejects.toMatchObject({ code: 'ERR_OVSDB_NOT_FOUND', table: 'Bridge' });
  });

  it('adds internal and dummy ports with VLAN access tag and trunks; ofport is assigned', async () => {
    await vs.addInternalPort('br-int', 'vm1', { tag: 10, externalIds: { 'iface-id': 'vm1' } });
    await vs.addPort('br-int', 'trunk0', { type: 'dummy', trunks: [10, 20, 30], vlanMode: 'trunk', ofportRequest: 7 });
    expect(await vsctl('list-ports', 'br-int')).toBe('trunk0\nvm1');
    expect(await vs.listPorts('br-int')).toEqual(['trunk0', 'vm1']);
    expect(await vsctl('get', 'port', 'vm1', 'tag')).toBe('10');
    expect(await vsctl('get', 'port', 'trunk0', 'trunks')).toBe('[10, 20, 30]');
    expect(await vsctl('get', 'port', 'trunk0', 'vlan_mode')).toBe('trunk');
    expect(await vsctl('get', 'interface', 'vm1', 'type')).toBe('internal');
    expect(await vs.waitForOfport('trunk0')).toBe(7);
    const vm1 = await vs.waitForOfport('vm1');
    expect(Number(await vsctl('get', 'interface', 'vm1', 'ofport'))).toBe(vm1);
    // The port is really on the datapath: ovs-ofctl sees it with that number.
    expect(await ovs!.ofctl('-O', 'OpenFlow13', 'show', 'br-int')).toMatch(new RegExp(`\\b${vm1}\\(vm1\\)`));

    await vs.setPortVlan('vm1', { tag: 20 });
    expect(await vsctl('get', 'port', 'vm1', 'tag')).toBe('20');
    await vs.setPortVlan('vm1', { tag: null });
    expect(await vsctl('get', 'port', 'vm1', 'tag')).toBe('[]');
    await expect(vs.setPortVlan('vm1', { tag: 5000 })).rejects.toMatchObject({ code: 'ERR_OVSDB_DATUM' });
    await expect(vs.addPort('br-int', 'vm1')).rejects.toMatchObject({ code: 'ERR_OVSDB_EXISTS', table: 'Port' });
    await expect(vs.addPort('no-such-br', 'x1')).rejects.toMatchObject({ code: 'ERR_OVSDB_NOT_FOUND', table: 'Bridge' });
    expect(await vsctl('--columns=name', 'find', 'port', 'name=x1')).toBe('');
  });

  it('adds a tap port (the interface row exists even where tap devices cannot be made)', async () => {
    await vs.addTapPort('br-int', 'tap1');
    expect(await vsctl('get', 'interface', 'tap1', 'type')).toBe('tap');
    expect(await vsctl('port-to-br', 'tap1')).toBe('br-int');
  });

  it('adds a patch pair between two bridges in one transaction', async () => {
    await vs.addBridge('br-ex', { datapathType: 'dummy' });
    await vs.addPatchPair('br-int', 'patch-ex', 'br-ex', 'patch-int', { waitApplied: true });
    expect(await vsctl('get', 'interface', 'patch-ex', 'options:peer')).toBe('patch-int');
    expect(await vsctl('get', 'interface', 'patch-int', 'options:peer')).toBe('patch-ex');
    expect(await vsctl('port-to-br', 'patch-int')).toBe('br-ex');
    expect(await vs.waitForOfport('patch-ex')).toBeGreaterThan(0);
    // Half a pair is never left behind: a clash on the second port rolls back the first.
    await expect(vs.addPatchPair('br-int', 'patch-b', 'br-ex', 'patch-int')).rejects.toMatchObject({ code: 'ERR_OVSDB_EXISTS' });
    expect(await vsctl('--columns=name', 'find', 'port', 'name=patch-b')).toBe('');
  });

  it('adds vxlan and geneve tunnels with remote_ip and key', async () => {
    await vs.addTunnelPort('br-int', 'vx1', { kind: 'vxlan', remoteIp: '192.0.2.10', key: 5001, dstPort: 4789 });
    await vs.addTunnelPort('br-int', 'gnv1', { kind: 'geneve', remoteIp: '192.0.2.11', key: 'flow', localIp: '192.0.2.1' });
    expect(await vsctl('get', 'interface', 'vx1', 'type')).toBe('vxlan');
    expect(await vsctl('get', 'interface', 'vx1', 'options')).toBe('{dst_port="4789", key="5001", remote_ip="192.0.2.10"}');
    expect(await vsctl('get', 'interface', 'gnv1', 'type')).toBe('geneve');
    expect(await vsctl('get', 'interface', 'gnv1', 'options:key')).toBe('flow');
    expect(await vsctl('get', 'interface', 'gnv1', 'options:local_ip')).toBe('"192.0.2.1"');
    expect(await vs.waitForOfport('vx1')).toBeGreaterThan(0);
  });

  it('sets linux-htb QoS with queues, replaces it with an egress policer, and clears it', async () => {
    await vs.setPortQos('vm1', { type: 'linux-htb', maxRate: 10_000_000, queues: { 0: { minRate: 1_000_000, maxRate: 5_000_000 }, 1: { maxRate: 2_000_000, priority: 1 } } });
    expect(await vsctl('get', 'qos', await vsctl('get', 'port', 'vm1', 'qos'), 'type')).toBe('linux-htb');
    const qos = await vsctl('get', 'port', 'vm1', 'qos');
    expect(await vsctl('get', 'qos', qos, 'other_config:max-rate')).toBe('"10000000"');
    const queues = await vsctl('get', 'qos', qos, 'queues');
    expect(queues).toMatch(/^\{0=[0-9a-f-]{36}, 1=[0-9a-f-]{36}\}$/);
    const q1 = /1=([0-9a-f-]{36})/.exec(queues)![1]!;
    expect(await vsctl('get', 'queue', q1, 'other_config')).toBe('{max-rate="2000000", priority="1"}');
    expect((await vsctl('--columns=_uuid', '--bare', 'list', 'queue')).split('\n').filter(Boolean)).toHaveLength(2);

    await vs.setPortQos('vm1', { type: 'egress-policer', cir: 125_000, cbs: 12_500 });
    const qos2 = await vsctl('get', 'port', 'vm1', 'qos');
    expect(qos2).not.toBe(qos);
    expect(await vsctl('get', 'qos', qos2, 'type')).toBe('egress-policer');
    expect(await vsctl('get', 'qos', qos2, 'other_config')).toBe('{cbs="12500", cir="125000"}');
    // The old QoS and its queues went with the replacement.
    expect(await vsctl('--columns=_uuid', '--bare', 'list', 'qos')).toBe(qos2);
    expect(await vsctl('--columns=_uuid', '--bare', 'list', 'queue')).toBe('');

    await vs.clearPortQos('vm1');
    expect(await vsctl('get', 'port', 'vm1', 'qos')).toBe('[]');
    expect(await vsctl('--columns=_uuid', '--bare', 'list', 'qos')).toBe('');

    await vs.setIngressPolicing('vm1', 10_000, 1_000);
    expect(await vsctl('get', 'interface', 'vm1', 'ingress_policing_rate')).toBe('10000');
    expect(await vsctl('get', 'interface', 'vm1', 'ingress_policing_burst')).toBe('1000');
  });

  it('adds and deletes a mirror', async () => {
    const uuid = await vs.addMirror('br-int', 'm0', { selectSrcPorts: ['vm1'], selectDstPorts: ['vm1'], outputPort: 'trunk0' });
    expect(await vsctl('get', 'bridge', 'br-int', 'mirrors')).toBe(`[${uuid}]`);
    expect(await vsctl('get', 'mirror', 'm0', 'output_port')).toBe(await vsctl('get', 'port', 'trunk0', '_uuid'));
    expect(await vsctl('get', 'mirror', 'm0', 'select_src_port')).toBe(`[${await vsctl('get', 'port', 'vm1', '_uuid')}]`);
    await expect(vs.addMirror('br-int', 'm0', { selectAll: true, outputVlan: 100 })).rejects.toMatchObject({ code: 'ERR_OVSDB_EXISTS' });
    await expect(vs.addMirror('br-int', 'm1', { selectAll: true, outputPort: 'no-such-port' })).rejects.toMatchObject({ code: 'ERR_OVSDB_NOT_FOUND' });
    await vs.deleteMirror('br-int', 'm0');
    expect(await vsctl('get', 'bridge', 'br-int', 'mirrors')).toBe('[]');
    expect(await vsctl('--columns=_uuid', '--bare', 'list', 'mirror')).toBe('');
  });

  it('reads interface statistics and link state', async () => {
    const ofport = await vs.waitForOfport('trunk0');
    // Packets injected on the dummy port show up in its counters once vswitchd refreshes them.
    const pkt = 'ffffffffffff0000000000010800450000140000000040007ba5c0000201c0000202';
    for (let i = 0; i < 3; i++) await ovs!.appctl('netdev-dummy/receive', 'trunk0', pkt);
    await vsctl('set', 'open_vswitch', '.', 'other_config:stats-update-interval=5000');
    const deadline = Date.now() + 30_000;
    let st = await vs.interfaceStatus('trunk0');
    while ((st.statistics['rx_packets'] ?? 0) < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      st = await vs.interfaceStatus('trunk0');
    }
    expect(st.ofport).toBe(ofport);
    expect(st.statistics['rx_packets']).toBeGreaterThanOrEqual(3);
    expect(st.adminState).toBe('up');
    expect(st.linkState).toBe('up');
    expect(await vsctl('get', 'interface', 'trunk0', 'statistics:rx_packets')).toBe(String(st.statistics['rx_packets']));
    const all = await vs.allInterfaceStatus();
    expect(all.map((s) => s.name)).toContain('vm1');
    await expect(vs.interfaceStatus('nope')).rejects.toMatchObject({ code: 'ERR_OVSDB_NOT_FOUND' });
  });

  it('deletes ports and bridges (ports, interfaces, controllers go with them)', async () => {
    expect(await vs.deletePort('br-int', 'vx1')).toBe(true);
    expect(await vsctl('list-ports', 'br-int')).not.toContain('vx1');
    expect(await vs.deletePort('br-int', 'vx1', { ifExists: true })).toBe(false);
    await expect(vs.deletePort('br-ex', 'vm1')).rejects.toMatchObject({ code: 'ERR_OVSDB_NOT_FOUND', table: 'Bridge' });
    expect(await vs.deleteBridge('br-ex', { waitApplied: true })).toBe(true);
    expect(await vsctl('list-br')).toBe('br-int');
    // patch-int went with br-ex; its peer remains on br-int.
    expect(await vsctl('--columns=name', 'find', 'interface', 'name=patch-int')).toBe('');
    expect(await vs.deleteBridge('br-ex', { ifExists: true })).toBe(false);
    const err = await vs.deleteBridge('br-ex').catch((e: unknown) => e);
    expect(isTstackError(err, 'ERR_OVSDB_NOT_FOUND')).toBe(true);
    await vs.deleteBridge('br-int');
    expect(await vsctl('list-br')).toBe('');
    expect(await vsctl('--columns=_uuid', '--bare', 'list', 'interface')).toBe('');
    expect(await vs.listBridges()).toEqual([]);
  });
});
