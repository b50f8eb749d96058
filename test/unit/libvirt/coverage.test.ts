import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { calledFunctions, coverage, coverageMarkdown, DEFAULT_API_XML } from '../../../bindings/libvirt/coverage/coverage.js';
import { itWithService } from '../../support/services.js';

const it = itWithService(fs.existsSync(DEFAULT_API_XML), `${DEFAULT_API_XML} (Debian libvirt-dev)`);
const SRC = path.resolve('native/libvirt/src');

describe('libvirt coverage report', () => {
  it('counts every public function of libvirt-api.xml and marks the ones the addon calls', () => {
    const r = coverage(SRC);
    expect(r.total).toBe(r.functions.length);
    expect(r.total).toBeGreaterThan(500);
    for (const f of ['virConnectOpenAuth', 'virDomainBlockResize', 'virConnectDomainEventRegisterAny', 'virSecretSetValue', 'virDomainMigrateToURI3', 'virEventRunDefaultImpl']) {
      expect(r.functions.find((x) => x.name === f)?.wrapped, f).toBe(true);
    }
    expect(r.functions.find((x) => x.name === 'virNetworkCreate')?.wrapped).toBe(false);
    expect(r.wrapped).toBe(r.functions.filter((f) => f.wrapped).length);
    expect(r.extra).toEqual(['virDomainQemuAgentCommand']);
    expect(coverageMarkdown(r)).toContain(`**${r.wrapped} of ${r.total} public functions wrapped`);
  });

  it('finds called functions and ignores comments', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cov-'));
    fs.writeFileSync(path.join(dir, 'a.cc'), '// virNetworkCreate(x)\nint r = virDomainSuspend(d); virConnectClose (c);\n');
    expect([...calledFunctions(dir)].sort()).toEqual(['virConnectClose', 'virDomainSuspend']);
    fs.rmSync(dir, { recursive: true });
  });
});
