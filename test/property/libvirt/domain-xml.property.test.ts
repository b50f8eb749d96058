/**
 * DomainSpec → XML → DomainSpec round-trips; arbitrary strings never produce invalid XML (they are
 * escaped, or refused with ERR_LIBVIRT_XML when XML cannot carry them); random and truncated input
 * to the parser only ever throws LibvirtError; libvirt's test driver defines every generated domain.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it as plainIt } from 'vitest';
import { Connection, LibvirtError, domainXml, parseDomainXml, parseXml } from '../../../bindings/libvirt/index.js';
import { itWithService } from '../../support/services.js';
import { libvirtNative } from '../../support/libvirt.js';
import { domainSpecArb } from './domain-spec.arbitrary.js';

const typedOnly = (fn: () => unknown): void => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof LibvirtError) || err.code !== 'ERR_LIBVIRT_XML') throw err;
  }
};

describe('DomainSpec XML', () => {
  plainIt('round-trips DomainSpec → XML → DomainSpec', () => {
    fc.assert(
      fc.property(domainSpecArb(false), (spec) => {
        expect(parseDomainXml(domainXml(spec))).toEqual(spec);
      }),
      { numRuns: 200 },
    );
  });

  plainIt('never produces invalid XML from arbitrary strings: escaped exactly, or refused with ERR_LIBVIRT_XML', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (name, text) => {
        const spec = { type: 'kvm' as const, name, description: text, memoryKiB: 1024, vcpus: 1, os: { cmdline: text }, devices: { interfaces: [{ type: 'network' as const, network: text }] } };
        let xml: string;
        try {
          xml = domainXml(spec);
        } catch (err) {
          expect(err).toBeInstanceOf(LibvirtError);
          expect((err as LibvirtError).code).toBe('ERR_LIBVIRT_XML');
          return;
        }
        const root = parseXml(xml);
        expect(root.name).toBe('domain');
        // Exactly one <name> child and nothing the strings could have injected.
        expect(root.children.filter((c) => typeof c !== 'string' && c.name === 'name')).toHaveLength(1);
        const back = parseDomainXml(xml);
        expect(back.name).toBe(name);
        expect(back.description).toBe(text);
        expect(back.os.cmdline).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  plainIt('random and truncated input to the parser throws only LibvirtError(ERR_LIBVIRT_XML)', () => {
    fc.assert(
      fc.property(domainSpecArb(false), fc.nat(), (spec, cut) => {
        const xml = domainXml(spec);
        typedOnly(() => parseDomainXml(xml.slice(0, cut % (xml.length + 1))));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '/', '=', '"', "'", '&', ';', '#', 'x', 'a', 'domain', 'name', '!--', '?', ' ', '<![CDATA[', ']]>'), maxLength: 60 }), (s) => {
        typedOnly(() => parseDomainXml(s));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => typedOnly(() => parseXml(s))),
      { numRuns: 500 },
    );
  });
});

describe('libvirt accepts every generated domain (test:///default through the binding)', () => {
  const it = itWithService(libvirtNative, 'the libvirt addon (npm run build:native; Debian libvirt-dev)');
  let conn: Connection;
  beforeAll(async () => {
    if (libvirtNative) conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('defines and undefines each generated DomainSpec, reading back its name and memory', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(domainSpecArb(true), async (spec) => {
        n++;
        const s = { ...spec, name: `${spec.name}-${n}` };
        const dom = await conn.defineDomain(s);
        try {
          const back = await dom.spec({ inactive: true });
          expect(back.name).toBe(s.name);
          if (s.uuid !== undefined) expect(back.uuid).toBe(s.uuid);
          // libvirt drops an empty description.
          expect(back.description ?? '').toBe(s.description ?? '');
          expect(back.memoryKiB).toBe(s.memoryKiB);
          expect(back.devices.disks?.length).toBe(s.devices.disks?.length);
        } finally {
          await dom.undefine();
          await dom.free();
        }
      }),
      { numRuns: 150 },
    );
  });
});
