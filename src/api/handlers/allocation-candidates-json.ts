import type { AllocationRequest, CandidateList, ProviderSummary } from '../../placement/candidates.js';
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
 * flatten and encode (≈1 ms at 1,000 candidates) than it took to build. The parts are bytes kept
 * between answers and copied into the answer's buffer: each provider's summary (by summary
 * object, which the engine replaces when the provider changes) and each one-provider allocation
 * request (by provider uuid, for the resources asked for; see singleEntries); what is left (a
 * request spread over providers or groups) is concatenated into one short string per request.
 * The buffer itself is lent by an AnswerBuffers and reused once the server has written it out.
 * Measured on the 1,000-provider perfload world, writing one answer (in-process, best of 7, on a
 * shared machine, so roughly):
 * strings per request into a fresh buffer ≈ 0.6 ms; kept bytes ≈ 0.28 ms; kept bytes into a lent
 * buffer ≈ 0.18 ms (objects + JSON.stringify ≈ 3 ms, with what the server then does to send it).
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
 * Summaries as JSON bytes, `,"<uuid>":{…}` (the first of an answer is written without its comma),
 * by the summary object. The engine hands out one summary
 * object per provider until the provider changes (its inventory, usage, traits or place in a tree)
 * and a new object then, so the bytes of an object never go stale; the uuid is kept beside them
 * and checked, so an object shown under another key is written afresh. One cache per shape worth
 * caching (the ones from 1.27, which do not depend on the query).
 */
interface KeyedBytes {
  readonly key: string;
  readonly bytes: Buffer;
}
const summaryBytesFull = new WeakMap<ProviderSummary, KeyedBytes>(); // ≥1.29: all classes, traits, tree
const summaryBytesNoTree = new WeakMap<ProviderSummary, KeyedBytes>(); // 1.27–1.28: all classes, traits

/**
 * The usual allocation request puts everything on one provider: `,{"allocations":{"<uuid>":
 * {"resources":R}},"mappings":{"":["<uuid>"]}}` (kept with a leading comma, dropped for the first). Its bytes depend only on the provider's uuid, the
 * requested resources R and the microversion's form, never on the provider's state, so they are
 * kept per provider uuid with the key they were built for (form and R as text) and reused by the
 * next query that asks for the same resources; a query with other resources rebuilds them. The
 * map holds at most one entry per provider ever seen; it is emptied when it grows past a bound, so
 * providers deleted since do not pile up.
 */
const singleEntries = new Map<string, KeyedBytes>();
const SINGLE_ENTRIES_BOUND = 1 << 18;

function cacheable(shape: CandidateJsonShape): boolean {
  return shape.onlyClasses === undefined && shape.traits;
}

/**
 * Buffers for answers, reused once the server has handed an answer to the kernel. A fresh 0.5 MB
 * buffer per answer costs the page faults of filling new memory and, at hundreds of answers a
 * second, external memory for V8 to account and collect: about 0.1 ms of the 0.28 ms it takes to
 * write the perfload answer. A lent buffer is written by one answer at a time and comes back
 * through the lease's release(), called by the server once the answer is written; an answer whose
 * connection dies before that is never released and its buffer is left to the GC. At most `keep`
 * buffers of at most `largest` bytes wait here, so a rare huge answer is not kept.
 */
export class AnswerBuffers {
  private readonly free: Buffer[] = [];
  /** The size of the last answer: a new buffer is made that large, with room to grow. */
  private lastSize = 1 << 16;

  constructor(
    private readonly keep = 8,
    private readonly largest = 8 << 20,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.lastSize + (this.lastSize >>> 3));
  }

  give(buf: Buffer): void {
    if (this.free.length < this.keep && buf.length <= this.largest) this.free.push(buf);
  }

  noteSize(n: number): void {
    this.lastSize = n;
  }

  /** Buffers waiting to be lent (for tests). */
  get idle(): number {
    return this.free.length;
  }
}

/** An answer in a lent buffer: `bytes` stays valid until release() (call it once). */
export interface AnswerLease {
  readonly bytes: Buffer;
  release(): void;
}

/** Buffers nobody gives back: each answer gets a buffer of its own (candidatesJson…Bytes). */
const unpooled = new AnswerBuffers(0);

/**
 * Bytes, written into a buffer taken from an AnswerBuffers: grown (copied to a bigger one) when an
 * answer outgrows it, which the pool then keeps.
 */
class ByteSink {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly buffers: AnswerBuffers) {
    this.buf = buffers.take();
  }

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

  /** `bytes`, from its second byte on when `skip` (a leading comma not wanted). */
  raw(bytes: Buffer, skip: boolean): void {
    const from = skip ? 1 : 0;
    const n = bytes.length - from;
    this.room(n);
    if (skip) this.buf.set(bytes.subarray(1), this.pos);
    else this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  /** `"<uuid>":{summary}`, after a comma unless it is the first. */
  summary(uuid: string, summary: ProviderSummary, shape: CandidateJsonShape, first: boolean): void {
    if (!cacheable(shape)) {
      this.text((first ? '"' : ',"') + uuid + '":' + summaryText(summary, shape));
      return;
    }
    const cache = shape.tree ? summaryBytesFull : summaryBytesNoTree;
    let kept = cache.get(summary);
    if (kept === undefined || kept.key !== uuid) {
      kept = { key: uuid, bytes: Buffer.from(',"' + uuid + '":' + summaryText(summary, shape), 'latin1') };
      cache.set(summary, kept);
    }
    this.raw(kept.bytes, first);
  }

  /** What was written (a view of this sink's own buffer). */
  bytes(): Buffer {
    this.buffers.noteSize(this.pos);
    return this.buf.subarray(0, this.pos);
  }

  /** What was written, lent until release(). */
  lease(): AnswerLease {
    const bytes = this.bytes();
    const whole = this.buf;
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.buffers.give(whole);
      },
    };
  }

  /** What was written, as a string (ASCII: one byte is one character); the buffer goes back. */
  string(): string {
    this.buffers.noteSize(this.pos);
    const text = this.buf.toString('latin1', 0, this.pos);
    this.buffers.give(this.buf);
    return text;
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
  const w = new ByteSink(unpooled);
  write(w, asList(requests, summaries, summaryUuids), shape);
  return w.string();
}

/** The same as bytes in a buffer of their own, for a server that sends a Buffer as it is. */
export function candidatesJsonBytes(
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): Buffer {
  const w = new ByteSink(unpooled);
  write(w, asList(requests, summaries, summaryUuids), shape);
  return w.bytes();
}

/** The same as bytes in a buffer lent by `buffers`, to be released once written out. */
export function candidatesJsonLease(
  buffers: AnswerBuffers,
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
  shape: CandidateJsonShape,
): AnswerLease {
  return candidateListLease(buffers, asList(requests, summaries, summaryUuids), shape);
}

/** The engine's CandidateList as bytes in a buffer lent by `buffers` (the usual answer's path). */
export function candidateListLease(buffers: AnswerBuffers, list: CandidateList, shape: CandidateJsonShape): AnswerLease {
  const w = new ByteSink(buffers);
  write(w, list, shape);
  return w.lease();
}

/** Requests as objects and summaries by uuid (every one, or those of `summaryUuids`) as a list. */
function asList(
  requests: readonly AllocationRequest[],
  summaries: Readonly<Record<string, ProviderSummary>>,
  summaryUuids: readonly string[] | undefined,
): CandidateList {
  // Object.keys of the engine's dictionary-mode object costs less than for-in over it.
  const uuids = (summaryUuids ?? Object.keys(summaries)).filter((u) => summaries[u] !== undefined);
  return { requests, together: NOTHING_TOGETHER, summaryUuids: uuids, summaries: uuids.map((u) => summaries[u] as ProviderSummary) };
}

/** Requests given as objects need no shared resources. */
const NOTHING_TOGETHER: CandidateList['together'] = Object.freeze({ resources: Object.freeze({}) });

function write(w: ByteSink, list: CandidateList, shape: CandidateJsonShape): void {
  w.text('{"allocation_requests":[');
  // Candidates of one answer usually share their resources object (the engine builds the
  // all-on-one-provider case once per query): remember the last one written.
  let lastRes: Readonly<Resources> | undefined;
  let lastText = '';
  /** The cache key of a one-provider entry with `lastRes`: the form, then the resources. */
  let lastKey = '';
  const form = (shape.listForm ? 'L' : 'D') + (shape.mappings ? 'M' : '-');
  if (singleEntries.size > SINGLE_ENTRIES_BOUND) singleEntries.clear();
  const requests = list.requests;
  const n = requests.length;
  for (let i = 0; i < n; i++) {
    const ar = requests[i] as string | AllocationRequest;
    // One unsuffixed group on one provider: the cached form. (Enumerating `allocations`, a
    // dictionary-mode object, to count its keys would cost more than the rest of the entry.)
    let uuid: string | undefined;
    let res: Readonly<Resources> | undefined;
    if (typeof ar === 'string') {
      uuid = ar;
      res = list.together.resources;
    } else {
      uuid = singleProvider(ar);
      if (uuid !== undefined) res = (ar.allocations[uuid] as { readonly resources: Readonly<Resources> }).resources;
    }
    if (uuid !== undefined) {
      if (res !== lastRes) {
        lastRes = res as Readonly<Resources>;
        lastText = resourcesText(lastRes);
        lastKey = form + lastText;
      }
      let kept = singleEntries.get(uuid);
      if (kept === undefined || kept.key !== lastKey) {
        kept = { key: lastKey, bytes: Buffer.from(',' + singleEntryText(uuid, shape, lastText), 'latin1') };
        singleEntries.set(uuid, kept);
      }
      w.raw(kept.bytes, i === 0);
      continue;
    }
    const allocations = (ar as AllocationRequest).allocations;
    let s = (i === 0 ? '' : ',') + (shape.listForm ? '{"allocations":[' : '{"allocations":{');
    let first = true;
    for (const uuid in allocations) {
      const res = (allocations[uuid] as { readonly resources: Readonly<Resources> }).resources;
      if (res !== lastRes) {
        lastRes = res;
        lastText = resourcesText(res);
        lastKey = form + lastText;
      }
      if (shape.listForm) s += (first ? '{"resource_provider":{"uuid":"' : ',{"resource_provider":{"uuid":"') + uuid + '"},"resources":' + lastText + '}';
      else s += (first ? '"' : ',"') + uuid + '":{"resources":' + lastText + '}';
      first = false;
    }
    s += shape.listForm ? ']' : '}';
    if (shape.mappings) s += mappingsText((ar as AllocationRequest).mappings);
    w.text(s + '}');
  }
  w.text('],"provider_summaries":{');
  const uuids = list.summaryUuids;
  const summaries = list.summaries;
  for (let k = 0; k < uuids.length; k++) w.summary(uuids[k] as string, summaries[k] as ProviderSummary, shape, k === 0);
  w.text('}}');
}

/**
 * The provider of a request whose mappings are exactly `{"": [uuid]}` and whose allocations hold
 * that provider. Every
 * provider of an allocation request serves one of its groups, so appears in its mappings: with
 * one group mapped to one provider, the allocations are that provider's alone, and they are
 * known without enumerating them.
 */
function singleProvider(ar: AllocationRequest): string | undefined {
  const mappings = ar.mappings;
  const unsuffixed = mappings[''];
  if (unsuffixed === undefined || unsuffixed.length !== 1) return undefined;
  const uuid = unsuffixed[0] as string;
  if (ar.allocations[uuid] === undefined) return undefined;
  // No other group: counted with for-in, cheap on the engine's small literal (an inherited
  // enumerable key would only send the request down the general path, which is right anyway).
  let keys = 0;
  for (const suffix in mappings) if (suffix !== '' || ++keys > 1) return undefined;
  return uuid;
}

/** A one-provider entry (see singleProvider): mappings `{"": [uuid]}`, `resText` its resources as JSON. */
function singleEntryText(uuid: string, shape: CandidateJsonShape, resText: string): string {
  let s = shape.listForm
    ? '{"allocations":[{"resource_provider":{"uuid":"' + uuid + '"},"resources":' + resText + '}]'
    : '{"allocations":{"' + uuid + '":{"resources":' + resText + '}}';
  if (shape.mappings) s += ',"mappings":{"":["' + uuid + '"]}';
  return s + '}';
}

function mappingsText(mappings: AllocationRequest['mappings']): string {
  let s = ',"mappings":{';
  let firstGroup = true;
  // Own keys only: a suffix may be any of [a-zA-Z0-9_-]{1,64}, and mappings is a plain object.
  for (const suffix of Object.keys(mappings)) {
    const uuids = mappings[suffix] as readonly string[];
    s += (firstGroup ? '"' : ',"') + suffix + (uuids.length === 0 ? '":[]' : '":["' + uuids.join('","') + '"]');
    firstGroup = false;
  }
  return s + '}';
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
