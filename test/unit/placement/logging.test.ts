import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../common/logger.js';
import { PlacementEngine } from '../../../src/placement/engine.js';

function recordingLogger(): Logger & { warnings: { obj: object; msg?: string }[] } {
  const warnings: { obj: object; msg?: string }[] = [];
  const noop = (): void => {};
  return { warnings, debug: noop, info: noop, error: noop, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

describe('engine logging', () => {
  it('warns, as Placement logs, when an inventory write leaves capacity below usage', () => {
    const logger = recordingLogger();
    const e = new PlacementEngine({ logger });
    const p = e.createProvider({ name: 'host', uuid: '00000000-0000-4000-8000-000000000001' });
    e.setInventories(p.uuid, 0, { VCPU: { total: 8 } });
    e.setAllocations({ consumerUuid: '00000000-0000-4000-8000-0000000000c1', allocations: { [p.uuid]: { VCPU: 6 } }, projectId: 'p', userId: 'u', consumerGeneration: null });
    e.updateInventory(p.uuid, 2, 'VCPU', { total: 8, reserved: 1 });
    expect(logger.warnings).toEqual([]);
    e.updateInventory(p.uuid, 3, 'VCPU', { total: 8, reserved: 4 });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.obj).toMatchObject({ provider: p.uuid, resourceClass: 'VCPU', used: 6, capacity: 4 });
    e.setInventories(p.uuid, 4, { VCPU: { total: 5 } });
    expect(logger.warnings).toHaveLength(2);
  });

  it('prints nothing to the console without a logger', () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    try {
      const e = new PlacementEngine();
      const p = e.createProvider({ name: 'host' });
      e.setInventories(p.uuid, 0, { VCPU: { total: 4 } });
      e.setAllocations({ consumerUuid: '00000000-0000-4000-8000-0000000000c2', allocations: { [p.uuid]: { VCPU: 4 } }, projectId: 'p', userId: 'u', consumerGeneration: null });
      e.setInventories(p.uuid, 2, { VCPU: { total: 2 } });
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
