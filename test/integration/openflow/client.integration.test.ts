/**
 * The OpenFlow client against a real ovs-vswitchd (userspace, dummy datapath) started by
 * scripts/services/start-ovs.sh: flows, groups, meters, statistics, packet_out and error replies,
 * each checked with ovs-ofctl / ovs-appctl as well as through the binding.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  bucket,
  encodeMessage,
  flowMod,
  OFPCML_NO_BUFFER,
  OFPCR_ROLE,
  OFPFC,
  OFPFF,
  OFPGC,
  OFPGT,
  OFPMC,
  OFPMF,
  OFPP,
  OFPPR,
  OFPRR,
  OFPTT_ALL,
  OFPVID_PRESENT,
  OpenFlowClient,
  OpenFlowSwitchError,
  type FlowMod,
  type SwitchEvent,
} from '../../../bindings/openflow/index.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';
import { servicePort } from '../../support/ports.js';
import { itWithService } from '../../support/services.js';
import { addBridge, hex, udpPacket, until } from './helpers.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const OF = ['-O', 'OpenFlow13'];

let ovs: OvsInstance | undefined;
let client: OpenFlowClient | undefined;
const port = servicePort('ovs', 20);

function c(): OpenFlowClient {
  if (client === undefined) throw new Error('no client');
  return client;
}
function o(): OvsInstance {
  if (ovs === undefined) throw new Error('no ovs');
  return ovs;
}

beforeAll(async () => {
  if (!ovsAvailable()) return;
  ovs = await startOvs({ portIndex: 0 });
  await addBridge(ovs, 'br0', `ptcp:${port}:127.0.0.1`, 3);
  client = await OpenFlowClient.connect({ port, minBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 30_000 });
});

afterAll(async () => {
  await client?.close();
  await ovs?.stop();
});

const output = (p: number): FlowMod['instructions'][number] => ({ type: 'apply_actions', actions: [{ type: 'output', port: p, maxLen: 0 }] });

describe('OpenFlow client against ovs-vswitchd', () => {
  it('negotiates 1.3 and reads features, description, config, role and echo', async () => {
    const f = await c().features();
    const dpid = await o().vsctl('get', 'bridge', 'br0', 'datapath_id');
    expect(f.datapathId).toBe(BigInt(`0x${dpid.replace(/"/g, '')}`));
    expect(f.nTables).toBeGreaterThan(1);
    const d = await c().desc();
    expect(d.hwDesc).toBe('Open vSwitch');
    expect(d.swDesc).toMatch(/^\d+\.\d+/);
    await c().setConfig({ flags: 0, missSendLen: 256 });
    expect(await c().getConfig()).toEqual({ flags: 0, missSendLen: 256 });
    const role = await c().role(OFPCR_ROLE.NOCHANGE);
    expect(role.role).toBe(OFPCR_ROLE.EQUAL);
    expect(await c().echo(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    const ports = await c().portDesc();
    expect(ports.map((p) => p.name).sort()).toEqual(['br0', 'br0p1', 'br0p2', 'br0p3']);
    expect(ports.find((p) => p.name === 'br0p2')?.portNo).toBe(2);
  });

  it('queue config and queue stats decode (dummy ports have no QoS queues)', async () => {
    await o().vsctl('set', 'port', 'br0p1', 'qos=@q', '--', '--id=@q', 'create', 'qos', 'type=linux-htb', 'queues:1=@q1', '--', '--id=@q1', 'create', 'queue', 'other-config:max-rate=1000000');
    const queues = await c().queueConfig(1);
    const stats = await c().queueStats();
    // The dummy netdev implements no QoS: OVS reports each port's default queue 0, without rate
    // properties, and its counters as "unavailable" (all ones).
    expect(queues).toEqual([{ queueId: 0, port: 1, properties: [] }]);
    expect(await o().ofctl('-O', 'OpenFlow13', 'queue-get-config', 'br0', '1')).toMatch(/queue 0:/);
    expect(stats.map((q) => q.portNo).sort((a, b) => a - b)).toEqual([1, 2, 3, OFPP.LOCAL]);
    expect(stats.every((q) => q.queueId === 0 && q.txPackets === 0xffffffffffffffffn)).toBe(true);
    await o().vsctl('--', 'destroy', 'qos', 'br0p1', '--', 'clear', 'port', 'br0p1', 'qos');
  });

  it('installs flows with masked OXM matches and every instruction kind, confirmed by a barrier; ovs-ofctl and ofproto/trace agree', async () => {
    await c().deleteFlows();
    await c().meterMod({ command: OFPMC.ADD, flags: OFPMF.KBPS, meterId: 7, bands: [{ type: 'drop', rate: 100_000, burstSize: 0 }] });
    const mods = [
      flowMod({
        priority: 100,
        cookie: 0xabcn,
        match: [
          { field: 'in_port', value: 1 },
          { field: 'eth_type', value: 0x0800 },
          { field: 'ipv4_dst', value: '10.1.0.0', mask: '255.255.0.0' },
        ],
        instructions: [
          { type: 'meter', meterId: 7 },
          { type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }] },
          { type: 'write_metadata', metadata: 0x42n, mask: 0xffn },
          { type: 'goto_table', tableId: 1 },
        ],
      }),
      flowMod({
        tableId: 1,
        priority: 10,
        match: [{ field: 'metadata', value: 0x42n, mask: 0xffn }],
        instructions: [
          {
            type: 'apply_actions',
            actions: [
              { type: 'push_vlan', ethertype: 0x8100 },
              { type: 'set_field', field: { field: 'vlan_vid', value: OFPVID_PRESENT | 100 } },
              { type: 'set_field', field: { field: 'eth_src', value: '02:00:00:00:00:aa' } },
              { type: 'output', port: 2, maxLen: 0 },
            ],
          },
        ],
      }),
      flowMod({
        priority: 90,
        match: [
          { field: 'eth_type', value: 0x86dd },
          { field: 'ipv6_src', value: '2001:db8::', mask: 'ffff:ffff::' },
          { field: 'ip_proto', value: 6 },
          { field: 'tcp_dst', value: 443 },
        ],
        instructions: [{ type: 'write_actions', actions: [{ type: 'set_queue', queueId: 3 }, { type: 'output', port: 3, maxLen: 0 }] }],
      }),
      flowMod({
        priority: 80,
        match: [
          { field: 'eth_dst', value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' },
          { field: 'vlan_vid', value: OFPVID_PRESENT | 0x10, mask: 0x1ff0 },
        ],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'pop_vlan' }, { type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }] }, { type: 'clear_actions' }],
      }),
      flowMod({
        priority: 70,
        match: [
          { field: 'eth_type', value: 0x0806 },
          { field: 'arp_op', value: 1 },
          { field: 'arp_tpa', value: '192.168.0.1' },
        ],
        instructions: [output(OFPP.NORMAL)],
      }),
      flowMod({
        priority: 60,
        match: [
          { field: 'eth_type', value: 0x8847 },
          { field: 'mpls_label', value: 1000 },
        ],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'dec_mpls_ttl' }, { type: 'set_mpls_ttl', ttl: 9 }, { type: 'pop_mpls', ethertype: 0x0800 }, { type: 'output', port: 1, maxLen: 0 }] }],
      }),
      flowMod({ priority: 50, match: [{ field: 'tunnel_id', value: 5n, mask: 0xffn }], instructions: [] }),
    ];
    await c().installFlows(mods);

    const dump = await o().ofctl(...OF, 'dump-flows', 'br0');
    expect(dump).toContain('cookie=0xabc');
    expect(dump).toMatch(/priority=100,ip,in_port=1,nw_dst=10\.1\.0\.0\/16 actions=meter:7,dec_ttl,write_metadata:0x42\/0xff,goto_table:1/);
    expect(dump).toMatch(/table=1,.*priority=10,metadata=0x42\/0xff actions=push_vlan:0x8100,set_field:4196->vlan_vid,set_field:02:00:00:00:00:aa->eth_src,output:2/);
    expect(dump).toMatch(/priority=90,tcp6,ipv6_src=2001:db8::\/32,tp_dst=443 actions=write_actions\(set_queue:3,output:3\)/);
    expect(dump).toMatch(/priority=80,vlan_tci=0x1010\/0x1ff0,dl_dst=01:00:00:00:00:00\/01:00:00:00:00:00 actions=pop_vlan,CONTROLLER:65535,clear_actions/);
    expect(dump).toMatch(/priority=70,arp,arp_tpa=192\.168\.0\.1,arp_op=1 actions=NORMAL/);
    expect(dump).toMatch(/priority=60,mpls,mpls_label=1000 actions=dec_mpls_ttl,set_mpls_ttl\(9\),pop_mpls:0x0800,output:1/);
    expect(dump).toMatch(/priority=50,tun_id=0x5\/0xff actions=drop/);

    // The same flows read back through our own flow-stats decoder.
    const stats = await c().flowStats();
    expect(stats).toHaveLength(mods.length);
    const byPriority = new Map(stats.map((s) => [`${s.tableId}/${s.priority}`, s]));
    for (const m of mods) {
      const s = byPriority.get(`${m.tableId}/${m.priority}`);
      expect(s?.cookie).toBe(m.cookie);
      const key = (f: { field: string }): string => JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(s?.match.map(key).sort()).toEqual(m.match.map(key).sort());
      expect(s?.instructions).toEqual(m.instructions);
    }

    // What the pipeline does with a packet: the trace follows both tables.
    const trace = await o().appctl('ofproto/trace', 'br0', 'in_port=1,ip,nw_src=10.9.0.1,nw_dst=10.1.2.3,nw_ttl=64');
    expect(trace).toMatch(/goto_table:1/);
    expect(trace).toMatch(/Datapath actions: .*push_vlan\(vid=100/);
    const agg = await c().aggregateStats({ tableId: OFPTT_ALL });
    expect(agg.flowCount).toBe(mods.length);
    const tables = await c().tableStats();
    expect(tables.find((t) => t.tableId === 1)?.activeCount).toBe(1);
  });

  it('decodes the switch\'s error replies and names the offending xid of a batch', async () => {
    await c().deleteFlows();
    const good = (p: number): FlowMod => flowMod({ priority: p, match: [{ field: 'in_port', value: 1 }], instructions: [output(2)] });
    // tcp_dst without ip_proto: a missing prerequisite.
    const bad = flowMod({ priority: 5, match: [{ field: 'tcp_dst', value: 80 }], instructions: [output(2)] });
    const err = await c()
      .installFlows([good(1), good(2), bad, good(3)])
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenFlowSwitchError);
    const se = err as OpenFlowSwitchError;
    expect(se.code).toBe('ERR_OPENFLOW_SWITCH_ERROR');
    expect(se.typeName).toBe('OFPET_BAD_MATCH');
    expect(se.codeName).toBe('OFPBMC_BAD_PREREQ');
    // The switch echoes the start of the offending flow_mod: its header carries the xid.
    expect(new DataView(se.data.buffer, se.data.byteOffset).getUint32(4)).toBe(se.xid);
    expect(se.data[1]).toBe(14);
    // The good ones of the batch are in.
    expect((await c().flowStats()).map((f) => f.priority).sort()).toEqual([1, 2, 3]);

    // An output to a group that does not exist; a meter that does not exist; a goto backwards.
    const cases: [FlowMod, string][] = [
      [flowMod({ instructions: [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 999 }] }] }), 'OFPBAC_BAD_OUT_GROUP'],
      // OVS answers a meter instruction naming no meter with INVALID_METER.
      [flowMod({ instructions: [{ type: 'meter', meterId: 4242 }] }), 'OFPMMFC_INVALID_METER'],
      // OVS implements neither copy-TTL action (OpenFlow lists them as optional).
      [flowMod({ instructions: [{ type: 'apply_actions', actions: [{ type: 'copy_ttl_in' }] }] }), 'OFPBAC_BAD_TYPE'],
      [flowMod({ match: [{ field: 'vlan_pcp', value: 9 }, { field: 'vlan_vid', value: OFPVID_PRESENT | 1 }], instructions: [] }), 'OFPBMC_BAD_VALUE'],
      [flowMod({ tableId: 3, instructions: [{ type: 'goto_table', tableId: 1 }] }), 'OFPBIC_BAD_TABLE_ID'],
    ];
    for (const [mod, name] of cases) {
      const e = await c().installFlows([mod]).then(() => undefined, (x: unknown) => x);
      expect((e as OpenFlowSwitchError).codeName).toBe(name);
    }
    // A refused request with a reply of its own (role_request with an unknown role).
    const e2 = await c().role(9).then(() => undefined, (x: unknown) => x);
    expect((e2 as OpenFlowSwitchError).codeName).toBe('OFPRRFC_BAD_ROLE');
    // Several errors in one batch are all reported.
    const e3 = (await c()
      .installFlows([bad, good(4), bad])
      .then(() => undefined, (x: unknown) => x)) as OpenFlowSwitchError;
    expect(e3.others).toHaveLength(1);
    expect(e3.others[0]?.xid).toBe(e3.xid + 2);
  });

  it('groups: select and fast-failover groups installed, described, used by flows, counted', async () => {
    await c().deleteFlows();
    await c().groupMod({
      command: OFPGC.ADD,
      groupType: OFPGT.SELECT,
      groupId: 1,
      buckets: [bucket([{ type: 'output', port: 2, maxLen: 0 }], { weight: 60 }), bucket([{ type: 'output', port: 3, maxLen: 0 }], { weight: 40 })],
    });
    await c().groupMod({ command: OFPGC.ADD, groupType: OFPGT.FF, groupId: 2, buckets: [bucket([{ type: 'output', port: 2, maxLen: 0 }], { watchPort: 2 }), bucket([{ type: 'output', port: 3, maxLen: 0 }], { watchPort: 3 })] });
    await c().groupMod({ command: OFPGC.ADD, groupType: OFPGT.INDIRECT, groupId: 3, buckets: [bucket([{ type: 'group', groupId: 2 }])] });
    const groups = await o().ofctl(...OF, 'dump-groups', 'br0');
    expect(groups).toMatch(/group_id=1,type=select,bucket=weight:60,actions=output:2,bucket=weight:40,actions=output:3/);
    expect(groups).toMatch(/group_id=2,type=ff,bucket=watch_port:2,actions=output:2,bucket=watch_port:3,actions=output:3/);
    expect(groups).toMatch(/group_id=3,type=indirect,bucket=actions=group:2/);
    const desc = await c().groupDesc();
    expect(desc.map((g) => [g.groupId, g.groupType]).sort()).toEqual([
      [1, OFPGT.SELECT],
      [2, OFPGT.FF],
      [3, OFPGT.INDIRECT],
    ]);
    expect(desc.find((g) => g.groupId === 1)?.buckets.map((b) => b.weight)).toEqual([60, 40]);

    await c().installFlows([flowMod({ match: [{ field: 'in_port', value: 1 }], instructions: [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 3 }] }] })]);
    const trace = await o().appctl('ofproto/trace', 'br0', 'in_port=1,ip,nw_src=10.0.0.1,nw_dst=10.0.0.2');
    // Indirect group 3 → fast-failover group 2 → its first live bucket, port 2.
    expect(trace).toMatch(/group:3/);
    expect(trace).toMatch(/group:2/);
    expect(trace).toMatch(/using bucket 0\s+bucket 0\s+output:2/);
    // (the datapath's own port numbers differ from OpenFlow's)
    expect(trace).toMatch(/Datapath actions: \d+$/m);
    const stats = await c().groupStats();
    expect(stats.map((g) => g.groupId).sort()).toEqual([1, 2, 3]);
    expect(stats.find((g) => g.groupId === 3)?.refCount).toBe(1);
    expect(stats.find((g) => g.groupId === 1)?.buckets).toHaveLength(2);
    // A duplicate add is refused by name.
    const dup = await c().groupMod({ command: OFPGC.ADD, groupType: OFPGT.ALL, groupId: 1, buckets: [] }).then(() => undefined, (x: unknown) => x);
    expect((dup as OpenFlowSwitchError).codeName).toBe('OFPGMFC_GROUP_EXISTS');
    await c().deleteFlows();
    await c().groupMod({ command: OFPGC.DELETE, groupType: 0, groupId: 0xfffffffc, buckets: [] });
    expect(await c().groupDesc()).toEqual([]);
  });

  it('meters: added, read back as config and stats, checked with ovs-ofctl', async () => {
    await c().meterMod({ command: OFPMC.ADD, flags: OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS, meterId: 9, bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] });
    const dump = await o().ofctl(...OF, 'dump-meters', 'br0');
    expect(dump).toMatch(/meter=9 pktps burst stats bands=\s*type=drop rate=1000 burst_size=100/);
    const config = await c().meterConfig(9);
    expect(config).toEqual([{ flags: OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS, meterId: 9, bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] }]);
    await c().installFlows([flowMod({ priority: 3, match: [{ field: 'in_port', value: 3 }], instructions: [{ type: 'meter', meterId: 9 }, output(1)] })]);
    const stats = await c().meterStats(9);
    expect(stats).toHaveLength(1);
    expect(stats[0]?.flowCount).toBe(1);
    expect(stats[0]?.bands).toHaveLength(1);
    await c().meterMod({ command: OFPMC.MODIFY, flags: OFPMF.PKTPS | OFPMF.BURST, meterId: 9, bands: [{ type: 'drop', rate: 2000, burstSize: 50 }] });
    expect((await c().meterConfig(9))[0]?.bands).toEqual([{ type: 'drop', rate: 2000, burstSize: 50 }]);
    const bad = await c().meterMod({ command: OFPMC.MODIFY, flags: OFPMF.PKTPS, meterId: 99, bands: [{ type: 'drop', rate: 1, burstSize: 0 }] }).then(() => undefined, (x: unknown) => x);
    expect((bad as OpenFlowSwitchError).codeName).toBe('OFPMMFC_UNKNOWN_METER');
    await c().deleteFlows();
    await c().meterMod({ command: OFPMC.DELETE, flags: 0, meterId: 0xffffffff, bands: [] });
    expect(await c().meterConfig()).toEqual([]);
  });

  it('reassembles a flow-stats reply the switch splits over many messages (OFPMPF_REPLY_MORE)', async () => {
    await c().deleteFlows();
    const n = 3000;
    const mods = Array.from({ length: n }, (_, i) =>
      flowMod({ priority: 1000, cookie: BigInt(i), match: [{ field: 'eth_type', value: 0x0800 }, { field: 'ipv4_dst', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }], instructions: [output(2)] }),
    );
    await c().installFlows(mods);
    const partsBefore = c().session?.counters.replyMoreParts ?? 0;
    const flows = await c().flowStats();
    // ~300 KB of flow stats: the switch had to split the reply, and we joined the parts.
    expect((c().session?.counters.replyMoreParts ?? 0) - partsBefore).toBeGreaterThanOrEqual(3);
    expect(flows).toHaveLength(n);
    expect(new Set(flows.map((f) => f.cookie)).size).toBe(n);
    const agg = await c().aggregateStats();
    expect(agg.flowCount).toBe(n);
    const text = await o().ofctl(...OF, 'dump-aggregate', 'br0');
    expect(text).toContain(`flow_count=${n}`);
    await c().deleteFlows();
    expect((await c().aggregateStats()).flowCount).toBe(0);
  });

  it('packet_out sends a packet out of a port: port stats count it through our client and ovs-ofctl', async () => {
    const before = (await c().portStats(2))[0]?.txPackets ?? 0n;
    const pkt = udpPacket('10.0.0.1', '10.0.0.2', 1000, 2000);
    await c().packetOut(pkt, [{ type: 'output', port: 2, maxLen: 0 }]);
    await c().packetOut(pkt, [{ type: 'output', port: 2, maxLen: 0 }], 1);
    const after = await until(async () => {
      const tx = (await c().portStats(2))[0]?.txPackets ?? 0n;
      return tx >= before + 2n ? tx : undefined;
    }, 'tx_packets on port 2');
    expect(after - before).toBe(2n);
    const ports = await o().ofctl(...OF, 'dump-ports', 'br0', '2');
    expect(ports).toMatch(new RegExp(`tx pkts=${after}`));
    const all = await c().portStats();
    expect(all.map((p) => p.portNo).sort((a, b) => a - b)).toEqual([1, 2, 3, OFPP.LOCAL]);
  });

  it('port_status and flow_removed arrive as events and through the async iterator', async () => {
    const events = c().events();
    try {
      await o().vsctl('add-port', 'br0', 'br0p9', '--', 'set', 'interface', 'br0p9', 'type=dummy', 'ofport_request=9');
      await c().installFlows([flowMod({ priority: 7, cookie: 77n, flags: OFPFF.SEND_FLOW_REM, match: [{ field: 'in_port', value: 9 }], instructions: [output(1)] })]);
      await c().deleteFlows({ match: [{ field: 'in_port', value: 9 }] });
      const seen: SwitchEvent[] = [];
      for await (const ev of events) {
        seen.push(ev);
        if (ev.type === 'flow_removed') break;
      }
      const added = seen.find((e) => e.type === 'port_status' && e.reason === OFPPR.ADD);
      expect(added?.type === 'port_status' && added.port).toMatchObject({ name: 'br0p9', portNo: 9 });
      const removed = seen.find((e) => e.type === 'flow_removed');
      expect(removed).toMatchObject({ type: 'flow_removed', cookie: 77n, priority: 7, reason: OFPRR.DELETE, match: [{ field: 'in_port', value: 9 }] });
    } finally {
      await events.return?.();
    }
    await o().vsctl('del-port', 'br0', 'br0p9');
  });

  it('our encoder agrees with ovs-ofctl ofp-print on what the bytes mean', async () => {
    const text = async (m: Parameters<typeof encodeMessage>[0]): Promise<string> => o().ofctl('ofp-print', hex(encodeMessage(m)));
    expect(
      await text(
        flowMod({
          xid: 5,
          command: OFPFC.MODIFY_STRICT,
          tableId: 2,
          priority: 33,
          idleTimeout: 10,
          match: [
            { field: 'eth_type', value: 0x0800 },
            { field: 'ip_proto', value: 17 },
            { field: 'udp_dst', value: 53 },
          ],
          instructions: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_dst', value: '10.0.0.53' } }, { type: 'output', port: 4, maxLen: 0 }] }],
        }),
      ),
    ).toMatch(/OFPT_FLOW_MOD \(OF1\.3\) \(xid=0x5\): MOD_STRICT table:2 priority=33,udp,tp_dst=53 idle:10 actions=set_field:10\.0\.0\.53->ip_dst,output:4/);
    expect(await text({ type: 'meter_mod', xid: 1, command: OFPMC.ADD, flags: OFPMF.KBPS, meterId: 3, bands: [{ type: 'dscp_remark', rate: 500, burstSize: 0, precLevel: 1 }] })).toMatch(
      /OFPT_METER_MOD.*ADD meter=3 kbps bands=\s*type=dscp_remark rate=500 prec_level=1/,
    );
    expect(await text({ type: 'hello', xid: 1, version: 4, versions: [1, 4] })).toMatch(/version bitmap: 0x01, 0x04/);
    expect(await text({ type: 'packet_out', xid: 2, bufferId: 0xffffffff, inPort: OFPP.CONTROLLER, actions: [{ type: 'output', port: 1, maxLen: 0 }], data: udpPacket('1.1.1.1', '2.2.2.2', 1, 2) })).toMatch(
      /OFPT_PACKET_OUT.*in_port=CONTROLLER actions=output:1 data_len=48/,
    );
  });
});
