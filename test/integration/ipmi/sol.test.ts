/**
 * Serial-over-LAN against ipmi_sim: the simulator connects the BMC's serial port to a TCP listener
 * of this test; bytes written to the SOL stream arrive there, and bytes the "host" writes there
 * come out of the stream.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { IpmiClient, IpmiSolError, openSol } from '../../../bindings/ipmi/index.js';
import { itWithService } from '../../support/services.js';
import { servicePort } from '../../support/ports.js';
import { SIM_PASSWORD, SIM_USER, ipmiSimAvailable, startSim, type SimHandle } from '../../support/ipmi.js';

const it = itWithService(ipmiSimAvailable, 'ipmi_sim and ipmitool (Debian openipmi, ipmitool)');
const port = servicePort('ipmi', 20);
const serialPort = servicePort('ipmi', 21);
let sim: SimHandle | undefined;
let server: net.Server | undefined;
let serial: Promise<net.Socket>;

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Serial-over-LAN against ipmi_sim', () => {
  beforeAll(async () => {
    if (!ipmiSimAvailable) return;
    const srv = net.createServer();
    server = srv;
    serial = new Promise((resolve) => srv.once('connection', resolve));
    await new Promise<void>((resolve) => srv.listen(serialPort, '127.0.0.1', resolve));
    sim = await startSim(port, 1, { IPMI_SIM_SOL_PORT: String(serialPort) });
  });
  afterAll(async () => {
    await sim?.destroy();
    server?.close();
  });

  it('carries bytes both ways and deactivates on end', async () => {
    const c = await IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [3] });
    try {
      await c.power('on');
      const host = await serial;
      const atHost: Buffer[] = [];
      host.on('data', (d: Buffer) => atHost.push(d));
      const sol = await openSol(c);
      const atConsole: Buffer[] = [];
      sol.on('data', (d: Buffer) => atConsole.push(d));

      const big = Buffer.alloc(600, 'x');
      sol.write('login: root\n');
      sol.write(big);
      host.write('Debian GNU/Linux 12 console\r\n');
      await until('console bytes at the host', () => Buffer.concat(atHost).length >= 12 + big.length);
      await until('host bytes at the console', () => Buffer.concat(atConsole).toString().includes('console\r\n'));
      expect(Buffer.concat(atHost).toString()).toBe('login: root\n' + big.toString());
      expect(Buffer.concat(atConsole).toString()).toBe('Debian GNU/Linux 12 console\r\n');

      // A second activation while the first is active is refused with a typed error.
      await expect(openSol(c)).rejects.toBeInstanceOf(IpmiSolError);
      await new Promise<void>((resolve) => sol.end(resolve));
      // After deactivation SOL can be activated again.
      const again = await openSol(c);
      again.destroy();
      host.destroy();
    } finally {
      await c.close();
    }
  });
});
