/**
 * Our controller server with a real ovs-vswitchd connecting to it (set-controller
 * tcp:127.0.0.1:PORT): packets injected with netdev-dummy/receive reach us as packet_in, we answer
 * with packet_out, OVS's echo probes are answered, and the switch comes back after a controller restart.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { flowMod, OFPCML_NO_BUFFER, OFPP, OFPR, OpenFlowController, type PacketIn, type SwitchConnection } from '../../../bindings/openflow/index.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';
import { servicePort } from '../../support/ports.js';
import { itWithService } from '../../support/services.js';
import { addBridge, hex, udpPacket, until } from './helpers.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const port = servicePort('ovs', 21);

let ovs: OvsInstance | undefined;
let controller: OpenFlowController | undefined;
let dpid = 0n;

function o(): OvsInstance {
  if (ovs === undefined) throw new Error('no ovs');
  return ovs;
}
function ctl(): OpenFlowController {
  if (controller === undefined) throw new Error('no controller');
  return controller;
}

beforeAll(async () => {
  if (!ovsAvailable()) return;
  // Our own echo is off here, so that the link goes idle and OVS's inactivity probe fires.
  controller = await OpenFlowController.listen({ port, echoIntervalMs: 0 });
  ovs = await startOvs({ portIndex: 1 });
  await addBridge(ovs, 'br1', `tcp:127.0.0.1:${port}`, 2);
  // Fast reconnects, and the shortest inactivity probe (rconn rounds it up to 5 s).
  await ovs.vsctl('--', 'set', 'controller', 'br1', 'max_backoff=1000', 'inactivity_probe=1000');
  dpid = BigInt(`0x${(await ovs.vsctl('get', 'bridge', 'br1', 'datapath_id')).replace(/"/g, '')}`);
});

afterAll(async () => {
  await controller?.close();
  await ovs?.stop();
});

async function firstPacketIn(from: OpenFlowController, inject: () => Promise<unknown>): Promise<{ pi: PacketIn; sw: SwitchConnection }> {
  const events = from.events();
  try {
    await inject();
    for await (const { message, from: sw } of events) if (message.type === 'packet_in') return { pi: message, sw };
    throw new Error('event stream ended');
  } finally {
    await events.return?.();
  }
}

describe('OpenFlow controller with ovs-vswitchd connecting to it', () => {
  it('accepts the switch and learns its datapath id', async () => {
    const sw = await ctl().waitForSwitch(dpid);
    expect(sw.datapathId).toBe(dpid);
    expect(sw.features.nTables).toBeGreaterThan(1);
    expect(ctl().switches.has(dpid)).toBe(true);
    // ovs-vswitchd reports the connection in its database too (written a little later).
    await until(async () => ((await o().vsctl('--', 'get', 'controller', 'br1', 'is_connected')) === 'true' ? true : undefined), 'Controller.is_connected');
  });

  it('a packet injected with netdev-dummy/receive arrives as packet_in; packet_out sends it on', async () => {
    const sw = await ctl().waitForSwitch(dpid);
    await sw.session.deleteFlows();
    await sw.session.installFlows([flowMod({ priority: 0, cookie: 0x99n, instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }] }] })]);
    const pkt = udpPacket('10.0.0.1', '10.0.0.2', 4000, 5000, 'hello-controller');
    const { pi, sw: from } = await firstPacketIn(ctl(), () => o().appctl('netdev-dummy/receive', 'br1p1', hex(pkt)));
    expect(from.datapathId).toBe(dpid);
    expect(pi.data).toEqual(pkt);
    expect(pi.totalLen).toBe(pkt.length);
    expect(pi.cookie).toBe(0x99n);
    expect(pi.tableId).toBe(0);
    // A priority-0 match-all flow is the table-miss entry: OpenFlow 1.3 reports it as NO_MATCH.
    expect(pi.reason).toBe(OFPR.NO_MATCH);
    expect(pi.match).toContainEqual({ field: 'in_port', value: 1 });

    const before = (await sw.session.portStats(2))[0]?.txPackets ?? 0n;
    await sw.session.packetOut(pi.data, [{ type: 'output', port: 2, maxLen: 0 }], 1);
    await until(async () => (((await sw.session.portStats(2))[0]?.txPackets ?? 0n) > before ? true : undefined), 'packet_out on port 2');
  });

  it('answers the switch\'s echo probes: the connection survives idle periods', async () => {
    const sw = await ctl().waitForSwitch(dpid);
    await until(() => (sw.session.keepalive.peerEchoesAnswered >= 1 ? true : undefined), 'an echo request from ovs-vswitchd', 20_000);
    expect(sw.session.closed).toBe(false);
    expect(ctl().switches.get(dpid)).toBe(sw);
  });

  it('the switch reconnects after the controller restarts', async () => {
    await ctl().close();
    expect(ctl().switches.size).toBe(0);
    controller = await OpenFlowController.listen({ port, echoIntervalMs: 0 });
    const sw = await controller.waitForSwitch(dpid, 30_000);
    expect(sw.datapathId).toBe(dpid);
    // Flows live in the switch, not in the connection: the table-miss flow still sends packets up.
    const pkt = udpPacket('10.0.0.3', '10.0.0.4', 1, 2);
    const { pi } = await firstPacketIn(controller, () => o().appctl('netdev-dummy/receive', 'br1p2', hex(pkt)));
    expect(pi.data).toEqual(pkt);
    expect(pi.match).toContainEqual({ field: 'in_port', value: 2 });
  });
});
