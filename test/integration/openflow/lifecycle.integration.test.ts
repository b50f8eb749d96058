/**
 * Connection lifecycle against a real ovs-vswitchd: our echo keepalive, reconnect with backoff
 * when the switch drops the listener, version negotiation failure, and use after close.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { flowMod, OFPCML_NO_BUFFER, OFPP, OFPR, OpenFlowClient, OpenFlowError } from '../../../bindings/openflow/index.js';
import { ovsAvailable, startOvs, type OvsInstance } from '../../support/ovs.js';
import { servicePort } from '../../support/ports.js';
import { itWithService } from '../../support/services.js';
import { addBridge, hex, udpPacket, until } from './helpers.js';

const it = itWithService(ovsAvailable(), 'Open vSwitch (openvswitch-switch)');
const port = servicePort('ovs', 22);
const port10 = servicePort('ovs', 23);

let ovs: OvsInstance | undefined;
function o(): OvsInstance {
  if (ovs === undefined) throw new Error('no ovs');
  return ovs;
}

beforeAll(async () => {
  if (!ovsAvailable()) return;
  ovs = await startOvs({ portIndex: 2 });
  await addBridge(ovs, 'br2', `ptcp:${port}:127.0.0.1`, 1);
});

afterAll(async () => {
  await ovs?.stop();
});

describe('OpenFlow connection lifecycle against ovs-vswitchd', () => {
  it('sends echo keepalives when idle and ovs-vswitchd answers them', async () => {
    await using client = await OpenFlowClient.connect({ port, echoIntervalMs: 100, echoTimeoutMs: 10_000 });
    const s = client.session;
    await until(() => ((s?.keepalive.answered ?? 0) >= 2 ? true : undefined), 'two answered keepalives');
    expect(s?.closed).toBe(false);
  });

  it('reconnects with backoff after the switch drops the connection; calls made meanwhile complete', async () => {
    await using client = await OpenFlowClient.connect({ port, minBackoffMs: 20, maxBackoffMs: 300 });
    const disconnected = new Promise<Error>((resolve) => client.once('disconnected', resolve));
    const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    // Removing the listener closes its connections; putting it back lets the client in again.
    await o().vsctl('del-controller', 'br2');
    const reason = await disconnected;
    expect((reason as OpenFlowError).code).toBe('ERR_OPENFLOW_CLOSED');
    expect(client.connected).toBe(false);
    // Issued while disconnected: waits for the new session.
    const pending = client.installFlows([flowMod({ priority: 5, match: [{ field: 'in_port', value: 1 }], instructions: [] })]);
    await o().vsctl('set-controller', 'br2', `ptcp:${port}:127.0.0.1`);
    await reconnected;
    await pending;
    expect(client.connects).toBe(2);
    expect(await o().ofctl('-O', 'OpenFlow13', 'dump-flows', 'br2')).toMatch(/priority=5,in_port=1 actions=drop/);
  });

  it('refuses a switch that speaks only OpenFlow 1.0, with a typed version error', async () => {
    await o().vsctl('add-br', 'br10', '--', 'set', 'bridge', 'br10', 'datapath_type=dummy', 'protocols=OpenFlow10', '--', 'set-controller', 'br10', `ptcp:${port10}:127.0.0.1`);
    const err = await OpenFlowClient.connect({ port: port10, connectTimeoutMs: 15_000 }).then(
      (c) => c.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect((err as OpenFlowError).code).toBe('ERR_OPENFLOW_VERSION');
    await o().vsctl('del-br', 'br10');
  });

  it('connects over the bridge\'s unix management socket, and receives packet_in there once set_async asks for it', async () => {
    await using client = await OpenFlowClient.connect({ path: `${o().env['OVS_RUNDIR'] as string}/br2.mgmt` });
    await client.deleteFlows();
    await client.installFlows([
      flowMod({ priority: 0, instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }] }] }),
    ]);
    expect(await o().ofctl('-O', 'OpenFlow13', 'dump-flows', 'br2')).toMatch(/priority=0 actions=CONTROLLER:65535/);
    // OVS sends service connections no asynchronous messages until they ask.
    await client.setAsync({ packetInMask: [1 << OFPR.NO_MATCH | 1 << OFPR.ACTION, 0], portStatusMask: [7, 0], flowRemovedMask: [15, 0] });
    expect((await client.getAsync()).packetInMask[0]).toBe(3);
    const events = client.events();
    const pkt = udpPacket('10.2.0.1', '10.2.0.2', 7, 8);
    await o().appctl('netdev-dummy/receive', 'br2p1', hex(pkt));
    const ev = await Promise.race([events.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no packet_in within 20 s')), 20_000))]);
    await events.return?.();
    expect(ev.value).toMatchObject({ type: 'packet_in', data: pkt, match: [{ field: 'in_port', value: 1 }] });
    await client.deleteFlows();
  });

  it('use after close fails with ERR_OPENFLOW_CLOSED; close is idempotent', async () => {
    const client = await OpenFlowClient.connect({ port });
    await client.close();
    await client.close();
    await expect(client.features()).rejects.toMatchObject({ code: 'ERR_OPENFLOW_CLOSED' });
    expect(() => client.send({ type: 'barrier_request' })).toThrow(OpenFlowError);
  });
});
