import { describe, expect, it } from 'vitest';

import { seededRng } from '../../../common/rng.js';
import type { PlacementEngine } from '../../../src/placement/engine.js';
import { AggregateMetadata } from '../../../src/scheduler/filters/aggregate-metadata.js';
import { NoValidHostError, Scheduler, SchedulerRequestError, type ScheduleRequest, type SchedulerOptions } from '../../../src/scheduler/pipeline/index.js';
import { PROJECT, USER, addProvider, agg, newEngine, uuid } from '../placement/fixtures.js';

const HOSTS = [uuid(1), uuid(2), uuid(3), uuid(4)];
const INV = { VCPU: { total: 8 }, MEMORY_MB: { total: 16384 }, DISK_GB: { total: 100 } };

/** h1, h2 in aggregate 1 (zone az1); h3, h4 in aggregate 2 (zone az2); h3 runs raw images on x86_64. */
function world(): PlacementEngine {
  const engine = newEngine();
  engine.ensureTrait('CUSTOM_FAST');
  HOSTS.forEach((u, i) =>
    addProvider(engine, `h${i + 1}`, {
      uuid: u,
      inventories: INV,
      traits: i === 2 ? ['COMPUTE_IMAGE_TYPE_RAW', 'HW_ARCH_X86_64', 'CUSTOM_FAST'] : i === 3 ? ['COMPUTE_IMAGE_TYPE_QCOW2'] : [],
      aggregates: [agg(i < 2 ? 1 : 2)],
    }),
  );
  return engine;
}

function req(extra: Partial<ScheduleRequest> = {}): ScheduleRequest {
  return { instances: 1, resources: { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 }, projectId: PROJECT, userId: USER, ...extra };
}

function hostsOf(s: Scheduler, request: ScheduleRequest, times: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < times; i++) for (const sel of s.schedule(request).selections) out.add(sel.hostUuid);
  return out;
}

function both(extra: Partial<SchedulerOptions>, f: (s: Scheduler, engine: PlacementEngine) => void): void {
  for (const candidates of ['index', 'placement'] as const) {
    const engine = world();
    const s = new Scheduler({ engine, rng: seededRng(3), mode: 'spread', candidates, ...extra });
    f(s, engine);
    s.close();
  }
}

describe('Scheduler pre-filters (on both the indexed and the placement path)', () => {
  it('maps an availability zone to member_of its aggregates, and refuses an unknown zone', () => {
    both({ availabilityZones: { az1: [agg(1)], az2: [agg(2)] } }, (s) => {
      expect(s.queryOf(req({ availabilityZone: 'az2' })).groups[0]?.memberOf).toEqual([[agg(2)]]);
      expect(hostsOf(s, req({ availabilityZone: 'az2' }), 4)).toEqual(new Set([uuid(3), uuid(4)]));
      expect(() => s.schedule(req({ availabilityZone: 'nowhere' }))).toThrow(SchedulerRequestError);
    });
  });

  it('limits a project named in filter_tenant_id metadata to those aggregates (tenantIsolation)', () => {
    both({ tenantIsolation: true }, (s) => {
      const md = new AggregateMetadata();
      md.set(s.aggregateId(agg(1)), 'filter_tenant_id', `${PROJECT},other`);
      const s2 = new Scheduler({ engine: s.engine, rng: seededRng(3), mode: 'spread', tenantIsolation: true, aggregates: md });
      expect(hostsOf(s2, req(), 4)).toEqual(new Set([uuid(1), uuid(2)]));
      // A project named nowhere goes anywhere, unless an aggregate is required.
      expect(hostsOf(s2, req({ projectId: 'someone-else' }), 4).size).toBeGreaterThan(0);
      const s3 = new Scheduler({ engine: s.engine, rng: seededRng(3), tenantIsolation: true, tenantAggregateRequired: true, aggregates: md });
      expect(() => s3.schedule(req({ projectId: 'someone-else' }))).toThrow(SchedulerRequestError);
      s2.close();
      s3.close();
    });
  });

  it('turns image needs into required traits (imagePrefilter)', () => {
    both({ imagePrefilter: true }, (s) => {
      const raw = req({ image: { disk_format: 'raw', hw_architecture: 'x86_64', requiredTraits: ['CUSTOM_FAST'] } });
      expect(s.queryOf(raw).groups[0]?.required).toEqual([['COMPUTE_IMAGE_TYPE_RAW'], ['HW_ARCH_X86_64'], ['CUSTOM_FAST']]);
      // (hw_architecture is also checked by ImagePropertiesFilter on the HostState, empty here.)
      expect(hostsOf(s, req({ image: { disk_format: 'raw', requiredTraits: ['CUSTOM_FAST'] } }), 3)).toEqual(new Set([uuid(3)]));
      expect(hostsOf(s, req({ image: { disk_format: 'qcow2' } }), 2)).toEqual(new Set([uuid(4)]));
      expect(() => s.schedule(req({ image: { disk_format: 'vmdk' } }))).toThrow(NoValidHostError);
    });
  });

  it('sends a forced host to in_tree, and still runs the filters there', () => {
    both({}, (s, engine) => {
      expect(hostsOf(s, req({ forceHost: uuid(2) }), 3)).toEqual(new Set([uuid(2)]));
      engine.setProviderTraits(uuid(2), null, ['COMPUTE_STATUS_DISABLED']);
      const e = (() => {
        try {
          s.schedule(req({ forceHost: uuid(2) }));
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(NoValidHostError);
      expect((e as Error).message).toContain('in_tree');
    });
  });

  it('never returns a host to avoid (a retry), as alternate either', () => {
    both({}, (s) => {
      const r = s.schedule(req({ instances: 3, avoidHosts: [uuid(1), uuid(4)] }));
      for (const sel of r.selections) expect([uuid(2), uuid(3)]).toContain(sel.hostUuid);
      for (const alt of r.alternates) for (const a of alt) expect([uuid(2), uuid(3)]).toContain(a);
    });
  });
});
