/**
 * ipmi_sim has no SHA-256 suites, so cipher suite 17 (RAKP-HMAC-SHA256, HMAC-SHA256-128,
 * AES-CBC-128) is checked against an independent implementation instead: pyghmi (Debian
 * python3-pyghmi) logs in to the fake BMC of test/support/ipmi.ts — which answers with this
 * binding's RAKP codes, SIK, K1/K2, integrity and AES code — and reads the power state through the
 * protected session. The binding's client then does the same against that fake BMC.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect } from 'vitest';
import { IpmiClient } from '../../../bindings/ipmi/index.js';
import { itWithService } from '../../support/services.js';
import { servicePort } from '../../support/ports.js';
import { FakeBmc, SIM_PASSWORD, SIM_USER } from '../../support/ipmi.js';

const python = '/usr/bin/python3';
const pyghmiAvailable =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ['-c', 'import pyghmi.ipmi.command'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
const it = itWithService(pyghmiAvailable, "Debian's python3-pyghmi");
const port = servicePort('ipmi', 25);

const script = `
import sys
from pyghmi.ipmi import command
c = command.Command(bmc='127.0.0.1', userid=sys.argv[2], password=sys.argv[3], port=int(sys.argv[1]), keepalive=False)
print(c.ipmi_session.currhashlib.__name__, c.get_power()['powerstate'])
c.ipmi_session.logout()
`;

describe('cipher suite 17 interoperability (pyghmi ⇄ the binding\'s RMCP+ code)', () => {
  it('pyghmi logs in with SHA-256 and reads power through the protected session; so does our client', async () => {
    const bmc = await FakeBmc.open({ port, listedSuites: [17] });
    try {
      const { stdout } = await promisify(execFile)(python, ['-c', script, String(port), SIM_USER, SIM_PASSWORD], { timeout: 30_000 });
      expect(stdout.trim()).toBe('openssl_sha256 on');
      expect(bmc.openSessions).toContain(17);
      expect(bmc.requests).toContainEqual({ netFn: 0x00, command: 0x01 });
      const c = await IpmiClient.connect({ host: '127.0.0.1', port, username: SIM_USER, password: SIM_PASSWORD, cipherSuites: [17] });
      try {
        expect(c.session.toJSON()).toMatchObject({ cipherSuite: 17 });
        expect(await c.powerStatus()).toBe('on');
      } finally {
        await c.close();
      }
    } finally {
      bmc.close();
    }
  });
});
