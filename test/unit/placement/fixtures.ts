/**
 * Shared helpers for the placement unit tests: deterministic uuids, a fresh engine with a fixed
 * clock, a provider builder, error capture, and a compact, order-free rendering of allocation
 * candidates so that tests can compare them as sets of readable strings.
 */
import { expect } from 'vitest';

import type { CandidateQuery, CandidateResult } from '../../../src/placement/candidates.js';
import { PlacementEngine } from '../../../src/placement/engine.js';
import { PlacementError } from '../../../src/placement/errors.js';
import type { InventoryInput } from '../../../src/placement/types.js';

/** A valid, deterministic, lower-case dashed uuid for small integers. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Aggregate uuids (a different range from providers and consumers, for readability). */
export function agg(n: number): string {
  return `aaaaaaaa-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Consumer uuids. */
export function consumer(n: number): string {
  return `cccccccc-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const PROJECT = 'project-a';
export const USER = 'user-a';

export function newEngine(): PlacementEngine {
  return new PlacementEngine({ now: () => 1_000 });
}

export interface ProviderSpec {
  uuid?: string;
  parent?: string;
  inventories?: Record<string, InventoryInput>;
  traits?: string[];
  aggregates?: string[];
}

/**
 * Creates a provider and sets its inventories, traits and aggregates (each write named with the
 * current generation). Returns the provider's uuid.
 */
export function addProvider(engine: PlacementEngine, name: string, spec: ProviderSpec = {}): string {
  const created = engine.createProvider({ name, uuid: spec.uuid, parentUuid: spec.parent ?? null });
  const u = created.uuid;
  if (spec.inventories !== undefined) {
    engine.setInventories(u, engine.requireProvider(u).generation, spec.inventories);
  }
  if (spec.traits !== undefined) {
    for (const t of spec.traits) if (t.startsWith('CUSTOM_')) engine.ensureTrait(t);
    engine.setProviderTraits(u, engine.requireProvider(u).generation, spec.traits);
  }
  if (spec.aggregates !== undefined) {
    engine.setAggregates(u, engine.requireProvider(u).generation, spec.aggregates);
  }
  return u;
}

/** Runs `fn`, expects it to throw a PlacementError and returns it. */
export function catchPlacementError(fn: () => unknown): PlacementError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PlacementError);
  return caught as PlacementError;
}

export interface ExpectedError {
  code: string;
  placementCode?: string;
  httpStatus?: number;
}

/** Expects `fn` to throw a PlacementError with the given code (and placement code / status). */
export function expectPlacementError(fn: () => unknown, expected: ExpectedError): PlacementError {
  const err = catchPlacementError(fn);
  expect(err.code).toBe(expected.code);
  if (expected.placementCode !== undefined) expect(err.placementCode).toBe(expected.placementCode);
  if (expected.httpStatus !== undefined) expect(err.httpStatus).toBe(expected.httpStatus);
  return err;
}

/** A name lookup for rendering: uuid → provider name. */
export function nameOf(engine: PlacementEngine, u: string): string {
  return engine.getProvider(u)?.name ?? `?${u}`;
}

/**
 * Renders one allocation request as `a{RC:n,...} b{...} | '':a,b S:c`, providers and classes
 * sorted, so two requests render equal iff they are the same candidate.
 */
export function renderRequest(engine: PlacementEngine, req: CandidateResult['allocationRequests'][number]): string {
  const allocs = Object.entries(req.allocations)
    .map(([u, { resources }]) => {
      const rcs = Object.keys(resources)
        .sort()
        .map((rc) => `${rc}:${resources[rc] as number}`)
        .join(',');
      return `${nameOf(engine, u)}{${rcs}}`;
    })
    .sort()
    .join(' ');
  const maps = Object.keys(req.mappings)
    .sort()
    .map((s) => `${s === '' ? "''" : s}:${(req.mappings[s] as string[]).map((u) => nameOf(engine, u)).sort().join(',')}`)
    .join(' ');
  return `${allocs} | ${maps}`;
}

/** All candidates of a query, rendered and sorted. */
export function candidates(engine: PlacementEngine, query: CandidateQuery): string[] {
  return render(engine, engine.getAllocationCandidates(query));
}

export function render(engine: PlacementEngine, result: CandidateResult): string[] {
  return result.allocationRequests.map((r) => renderRequest(engine, r)).sort();
}

/** Provider names present in a result's provider summaries, sorted. */
export function summaryNames(engine: PlacementEngine, result: CandidateResult): string[] {
  return Object.keys(result.providerSummaries)
    .map((u) => nameOf(engine, u))
    .sort();
}
