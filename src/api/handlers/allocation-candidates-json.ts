import type { AllocationRequest, ProviderSummary } from '../../placement/candidates.js';
import type { Resources } from '../../placement/types.js';

/**
 * How a `GET /allocation_candidates` answer looks at one microversion (docs/placement-http.md
 * §9.8). Computed once per request from the version.
 */
export interface CandidateJsonShape {
  /** Before 1.12: `allocations` is a list of `{resource_provider: {uuid}, resources}`. */
  readonly listForm: boolean;
  /** From 1.34: each allocation request carries `mappings`. */
  readonly mappings: boolean;
  /** From 1.17: summaries carry `traits`. */
  readonly traits: boolean;
  /** From 1.29: summaries carry `parent_provider_uuid` and `root_provider_uuid`. */
  readonly tree: boolean;
  /** Before 1.27 summaries show only the requested classes (this set); from 1.27 all (undefined). */
  readonly onlyClasses: ReadonlySet<string> | undefined;
}

/*
 * The answer is written as JSON bytes rather than built as objects for JSON.stringify: at 1,000
 * candidates the objects cost some 4,000 short-lived allocations that JSON.stringify then walks
 * again. Nor is it concatenated into one string: a rope of ~2,000 pieces costs the server more to
 * flatten and encode (≈1 ms at 1,000 candidates) than it took to build. Each candidate is
 * concatenated into one short string and copied into a byte buffer, and the parts that repeat
 * (the resources every candidate asks for, each provider's summary) are encoded once.
 * Measured on the 1,000-provider perfload world (CPU per answer, including what the server does
 * to send it): objects + JSON.stringify ≈ 3 ms, one rope ≈ 1.7 ms, these bytes ≈ 0.9 ms, and
 * ≈ 1.4 ms as the flat string today's server takes (candidatesJson; candidatesJsonBytes once it
 * takes a Buffer).
 *
 * Every string written is a uuid (validated and normalised by the engine), a resource class or
 * trait name (`^[A-Z0-9_]+$`) or a group suffix (`^[a-zA-Z0-9_-]{1,64}$`): plain ASCII that needs
 * no escaping, so they are quoted as they are and written one byte per character.
 */

type Latin1Write = (this: Buffer, text: string, offset: number) => number;
/** Node's one-byte writer (what `buf.write(s, o, 'latin1')` calls, without its argument handling). */
const latin1Write: Latin1Write =
  (Buffer.prototype as unknown as { latin1Write?: Latin1Write }).latin1Write ??
  function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'latin1');
  };

/**
 * Summaries as JSON bytes, by the summary object. The engine hands out one summary object per
 * provider until the provider changes (its inventory, usage, traits or place in a tree) and a new
 * object then, so the bytes of an object never go stale. One cache per shape worth caching (the
 * ones from 1.27, which do not depend on the query).
 */
const summaryBytesFull = new WeakMap<ProviderSummary, Buffer>(); // ≥1.29: all classes, traits, tree
const summaryBytesNoTree = new WeakMap<ProviderSummary, Buffer>(); // 1.27–1.28: all classes, traits

function cacheable(shape: CandidateJsonShape): boolean {
  return shape.onlyClasses === undefined && shape.traits;
}

/**
 * Bytes, written into a buffer of its own per answer, sized from the previous answer: the answer
 * is handed to the socket as it is, so it must not be a reused scratch buffer, and sizing from the
 * last answer avoids both growing and a final copy in the usual case of similar answers.
 */
class ByteSink {
  private static lastSize = 1 << 16;
  private buf = Buffer.allocUnsafeSlow(ByteSink.lastSize + (ByteSink.lastSize >>> 3));
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  text(s: string): void {
    this.room(s.length);
    this.pos += latin1Write.call(this.buf, s, this.pos);
  }

  summary(summary: ProviderSummary, shape: CandidateJsonShape): void {
    if (!cacheable(shape)) {
      this.text(summaryText(summary, shape));
      return;
    }
    const cache = shape.tree ? summaryBytesFull : summaryBytesNoTree;
    let bytes = cache.get(summary);
    if (bytes === undefined) {
      bytes = Buffer.from(summaryText(summary, shape), 'latin1');
      cache.set(summary, bytes);
    }
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** What was written (a view of this sink's own buffer). */
  bytes(): Buffer {
    ByteSink.lastSize = this.pos;
    return this.buf.subarray(0, this.pos);
  }

  /** What was written, as a string (ASCII: one byte is one character). */
  string(): string {
    ByteSink.lastSize = this.pos;
    return this.buf.toString('latin1', 0, this.pos);
  }
}

function resourcesText(r: Readonly<Resources>): string {
  let s = '{';
  let first = true;
  for (const rc in r) {
    s += (first ? '"' : ',"') + rc + '":' + String(r[rc]);
    first = false;
  }
  return s + '}';
}

function summaryText(summary: ProviderSummary, shape: CandidateJsonShape): string {
  const only = shape.onlyClasses;
  let s = '{"resources":{';
  let first = true;
  const res = summary.resources;
  for (const rc in res) {
    if (only !== undefined && !only.has(rc)) continue;
    const r = res[rc] as { readonly capacity: number; readonly used: number };
    s += (first ? '"' : ',"') + rc + '":{"capacity":' + String(r.capacity) + ',"used":' + String(r.used) + '}';
    first = false;
  }
  s += '}';
  if (shape.traits) {
    const traits = summary.traits;
    s += traits.length === 0 ? ',"traits":[]' : ',"traits":["' + traits.join('","') + '"]';
  }
  if (shape.tree) {
    const parent = summary.parentProviderUuid;
    s += ',"parent_provider_uuid":' + (parent === null ? 'null' : '"' + parent + '"') + ',"root_provider_uuid":"' + summary.rootProviderUuid + '"';
  }
  return s + '}';
}

/**
 * `{"allocation_requests": [...], "provider_summaries": {...}}` as JSON text (a flat one-byte
 * string). `summaryUuids` lists the summaries to show, in order; undefined shows every entry of
 * `summaries`.
 */
export function candidatesJson(
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): string {
  const w = new ByteSink();
  write(w, requests, summaries, summaryUuids, shape);
  return w.string();
}

/** The same as bytes, for a server that sends a Buffer as it is. */
export function candidatesJsonBytes(
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): Buffer {
  const w = new ByteSink();
  write(w, requests, summaries, summaryUuids, shape);
  return w.bytes();
}

function write(
  w: ByteSink,
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): void {
  w.text('{"allocation_requests":[');
  // Candidates of one answer usually share their resources object (the engine builds the
  // all-on-one-provider case once per query): remember the last one written.
  let lastRes: Readonly<Resources> | undefined;
  let lastText = '';
  const n = requests.length;
  for (let i = 0; i < n; i++) {
    const ar = requests[i] as AllocationRequest;
    const allocations = ar.allocations;
    let s = shape.listForm ? (i === 0 ? '{"allocations":[' : ',{"allocations":[') : i === 0 ? '{"allocations":{' : ',{"allocations":{';
    let first = true;
    for (const uuid in allocations) {
      const res = (allocations[uuid] as { readonly resources: Readonly<Resources> }).resources;
      if (res !== lastRes) {
        lastRes = res;
        lastText = resourcesText(res);
      }
      if (shape.listForm) s += (first ? '{"resource_provider":{"uuid":"' : ',{"resource_provider":{"uuid":"') + uuid + '"},"resources":' + lastText + '}';
      else s += (first ? '"' : ',"') + uuid + '":{"resources":' + lastText + '}';
      first = false;
    }
    s += shape.listForm ? ']' : '}';
    if (shape.mappings) {
      s += ',"mappings":{';
      let firstGroup = true;
      const mappings = ar.mappings;
      // Own keys only: a suffix may be any of [a-zA-Z0-9_-]{1,64}, and mappings is a plain object.
      for (const suffix of Object.keys(mappings)) {
        const uuids = mappings[suffix] as readonly string[];
        s += (firstGroup ? '"' : ',"') + suffix + (uuids.length === 0 ? '":[]' : '":["' + uuids.join('","') + '"]');
        firstGroup = false;
      }
      s += '}';
    }
    w.text(s + '}');
  }
  w.text('],"provider_summaries":{');
  let first = true;
  const writeOne = (uuid: string, summary: ProviderSummary): void => {
    w.text((first ? '"' : ',"') + uuid + '":');
    w.summary(summary, shape);
    first = false;
  };
  if (summaryUuids === undefined) {
    for (const uuid in summaries) writeOne(uuid, summaries[uuid] as ProviderSummary);
  } else {
    for (const uuid of summaryUuids) {
      const summary = summaries[uuid];
      if (summary !== undefined) writeOne(uuid, summary);
    }
  }
  w.text('}}');
}

/**
 * The same answer built as objects (JSON.stringify of it parses to what candidatesJson writes):
 * the reference the tests compare candidatesJson against.
 */
export function candidatesObject(
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): { allocation_requests: unknown[]; provider_summaries: Record<string, unknown> } {
  const allocationRequests = requests.map((ar) => {
    const entry: Record<string, unknown> = {};
    if (shape.listForm) {
      entry['allocations'] = Object.keys(ar.allocations).map((uuid) => ({
        resource_provider: { uuid },
        resources: { ...(ar.allocations[uuid] as { resources: Resources }).resources },
      }));
    } else {
      const allocations = Object.create(null) as Record<string, unknown>;
      for (const uuid of Object.keys(ar.allocations)) allocations[uuid] = { resources: { ...(ar.allocations[uuid] as { resources: Resources }).resources } };
      entry['allocations'] = allocations;
    }
    if (shape.mappings) {
      const mappings = Object.create(null) as Record<string, string[]>;
      for (const suffix of Object.keys(ar.mappings)) mappings[suffix] = [...(ar.mappings[suffix] as string[])];
      entry['mappings'] = mappings;
    }
    return entry;
  });
  const providerSummaries = Object.create(null) as Record<string, unknown>;
  for (const uuid of summaryUuids ?? Object.keys(summaries)) {
    const s = summaries[uuid];
    if (s === undefined) continue;
    const resources: Record<string, unknown> = {};
    for (const rc of Object.keys(s.resources)) {
      if (shape.onlyClasses !== undefined && !shape.onlyClasses.has(rc)) continue;
      const r = s.resources[rc] as { capacity: number; used: number };
      resources[rc] = { capacity: r.capacity, used: r.used };
    }
    const out: Record<string, unknown> = { resources };
    if (shape.traits) out['traits'] = [...s.traits];
    if (shape.tree) {
      out['parent_provider_uuid'] = s.parentProviderUuid;
      out['root_provider_uuid'] = s.rootProviderUuid;
    }
    providerSummaries[uuid] = out;
  }
  return { allocation_requests: allocationRequests, provider_summaries: providerSummaries };
}
