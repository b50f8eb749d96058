/**
 * Domain events per connection, as an EventEmitter and as async iterators. libvirt's event loop
 * runs on its own native thread; events reach JS through thread-safe functions that do not keep
 * Node alive.
 */
import { EventEmitter } from 'node:events';
import { EventId, LIFECYCLE_DETAILS, LIFECYCLE_EVENTS, type LifecycleEventName } from './constants.js';
import { LibvirtError, call } from './errors.js';
import type { NativeConnection, NativeDomain, NativeEvent } from './native.js';

interface EventBase {
  /** Domain name and UUID. */
  domain: string;
  uuid: string;
}

export type DomainEvent =
  | (EventBase & { kind: 'lifecycle'; event: LifecycleEventName; detail: string; eventCode: number; detailCode: number })
  | (EventBase & { kind: 'reboot' })
  | (EventBase & { kind: 'rtc-change'; utcOffset: number })
  | (EventBase & { kind: 'watchdog'; action: number })
  | (EventBase & { kind: 'io-error'; srcPath: string | null; devAlias: string | null; action: number; reason?: string | null })
  | (EventBase & { kind: 'control-error' })
  | (EventBase & { kind: 'block-job'; disk: string | null; type: number; status: number })
  | (EventBase & { kind: 'balloon-change'; actualKiB: number })
  | (EventBase & { kind: 'device-added' | 'device-removed' | 'device-removal-failed'; devAlias: string | null })
  | (EventBase & { kind: 'job-completed' | 'tunable'; params: Record<string, number | string | boolean> })
  | (EventBase & { kind: 'agent-lifecycle'; state: number; reason: number })
  | (EventBase & { kind: 'metadata-change'; type: number; nsuri: string | null });

export type DomainEventKind = DomainEvent['kind'];

const KIND_IDS: Record<DomainEventKind, number> = {
  lifecycle: EventId.LIFECYCLE,
  reboot: EventId.REBOOT,
  'rtc-change': EventId.RTC_CHANGE,
  watchdog: EventId.WATCHDOG,
  'io-error': EventId.IO_ERROR_REASON,
  'control-error': EventId.CONTROL_ERROR,
  'block-job': EventId.BLOCK_JOB_2,
  'balloon-change': EventId.BALLOON_CHANGE,
  'device-added': EventId.DEVICE_ADDED,
  'device-removed': EventId.DEVICE_REMOVED,
  'device-removal-failed': EventId.DEVICE_REMOVAL_FAILED,
  'job-completed': EventId.JOB_COMPLETED,
  tunable: EventId.TUNABLE,
  'agent-lifecycle': EventId.AGENT_LIFECYCLE,
  'metadata-change': EventId.METADATA_CHANGE,
};

export const ALL_EVENT_KINDS = Object.keys(KIND_IDS) as DomainEventKind[];

/** The typed event for what the addon delivered for `kind`. */
export function toDomainEvent(kind: DomainEventKind, ev: NativeEvent): DomainEvent {
  const base = { domain: ev.domain, uuid: ev.uuid };
  const num = (k: string): number => (typeof ev[k] === 'number' ? (ev[k] as number) : 0);
  const str = (k: string): string | null => (typeof ev[k] === 'string' ? (ev[k] as string) : null);
  switch (kind) {
    case 'lifecycle': {
      const eventCode = num('event');
      const detailCode = num('detail');
      const event = LIFECYCLE_EVENTS[eventCode] ?? 'defined';
      return { ...base, kind, event, detail: LIFECYCLE_DETAILS[event][detailCode] ?? `detail_${detailCode}`, eventCode, detailCode };
    }
    case 'reboot':
    case 'control-error':
      return { ...base, kind };
    case 'rtc-change':
      return { ...base, kind, utcOffset: num('utcOffset') };
    case 'watchdog':
      return { ...base, kind, action: num('action') };
    case 'io-error':
      return { ...base, kind, srcPath: str('srcPath'), devAlias: str('devAlias'), action: num('action'), reason: str('reason') };
    case 'block-job':
      return { ...base, kind, disk: str('disk'), type: num('type'), status: num('status') };
    case 'balloon-change':
      return { ...base, kind, actualKiB: num('actualKiB') };
    case 'device-added':
    case 'device-removed':
    case 'device-removal-failed':
      return { ...base, kind, devAlias: str('devAlias') };
    case 'job-completed':
    case 'tunable':
      return { ...base, kind, params: (ev['params'] ?? {}) as Record<string, number | string | boolean> };
    case 'agent-lifecycle':
      return { ...base, kind, state: num('state'), reason: num('reason') };
    case 'metadata-change':
      return { ...base, kind, type: num('type'), nsuri: str('nsuri') };
  }
}

/** One registration set: iterate it, or just let it feed the connection's emitter; unsubscribe ends it. */
export class EventSubscription implements AsyncIterable<DomainEvent>, AsyncDisposable {
  private readonly queue: DomainEvent[] = [];
  private readonly waiters: ((r: IteratorResult<DomainEvent>) => void)[] = [];
  private ended = false;

  /** @internal */
  constructor(
    private readonly events: DomainEvents,
    readonly kinds: readonly DomainEventKind[],
    /** @internal libvirt callback ids */
    readonly callbackIds: number[],
  ) {}

  /** @internal */
  push(ev: DomainEvent): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w !== undefined) w({ value: ev, done: false });
    else this.queue.push(ev);
  }

  /** @internal */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  get active(): boolean {
    return !this.ended;
  }

  /** The next event (undefined once unsubscribed). */
  async next(): Promise<DomainEvent | undefined> {
    const q = this.queue.shift();
    if (q !== undefined) return q;
    if (this.ended) return undefined;
    const r = await new Promise<IteratorResult<DomainEvent>>((resolve) => this.waiters.push(resolve));
    return r.done === true ? undefined : r.value;
  }

  /**
   * Waits for the first event matching `pred` (earlier ones are consumed), rejecting with
   * ERR_LIBVIRT_TIMEOUT after `timeoutMs`.
   */
  async waitFor(pred: (ev: DomainEvent) => boolean, timeoutMs = 30_000): Promise<DomainEvent> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LibvirtError('ERR_LIBVIRT_TIMEOUT', `no matching domain event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      for (;;) {
        const ev = await Promise.race([this.next(), timeout]);
        if (ev === undefined) throw new LibvirtError('ERR_LIBVIRT_CLOSED', 'subscription ended while waiting for an event');
        if (pred(ev)) return ev;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Events already received and not yet read. */
  pending(): readonly DomainEvent[] {
    return this.queue;
  }

  unsubscribe(): Promise<void> {
    return this.events.unsubscribe(this);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.unsubscribe();
  }

  [Symbol.asyncIterator](): AsyncIterator<DomainEvent> {
    return {
      next: async () => {
        const ev = await this.next();
        return ev === undefined ? { value: undefined, done: true } : { value: ev, done: false };
      },
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }
}

interface DomainEventMap {
  event: [DomainEvent];
  lifecycle: [DomainEvent];
  [kind: string]: [DomainEvent];
}

/**
 * A connection's events. Emits 'event' for every event and the event's kind ('lifecycle',
 * 'device-added'...) for subscribed kinds; subscribe() chooses the kinds and, optionally, a domain.
 */
export class DomainEvents extends EventEmitter<DomainEventMap> {
  private readonly subs = new Set<EventSubscription>();

  /** @internal */
  constructor(
    private readonly native: () => NativeConnection,
    private readonly isClosed: () => boolean,
  ) {
    super();
  }

  async subscribe(kinds: DomainEventKind | readonly DomainEventKind[] = ALL_EVENT_KINDS, options: { domain?: { nativeHandle(): NativeDomain } } = {}): Promise<EventSubscription> {
    if (this.isClosed()) throw new LibvirtError('ERR_LIBVIRT_CLOSED', 'events.subscribe: connection is closed');
    const list = typeof kinds === 'string' ? [kinds] : [...kinds];
    for (const k of list) if (KIND_IDS[k] === undefined) throw new LibvirtError('ERR_LIBVIRT_INVALID_ARGUMENT', `unknown event kind ${String(k)}`);
    const dom = options.domain?.nativeHandle() ?? null;
    const ids: number[] = [];
    const sub = new EventSubscription(this, list, ids);
    const conn = this.native();
    try {
      for (const kind of list) {
        const id = await call('events.subscribe', () =>
          conn.domainEventRegister(KIND_IDS[kind], dom, (raw) => {
            const ev = toDomainEvent(kind, raw);
            sub.push(ev);
            this.emit(kind, ev);
            this.emit('event', ev);
          }),
        );
        ids.push(id);
      }
    } catch (err) {
      await this.unsubscribe(sub).catch(() => undefined);
      throw err;
    }
    this.subs.add(sub);
    return sub;
  }

  /** Deregisters the subscription's callbacks and ends its iterator. Idempotent. */
  async unsubscribe(sub: EventSubscription): Promise<void> {
    if (!sub.active && !this.subs.has(sub)) return;
    sub.end();
    this.subs.delete(sub);
    if (this.isClosed()) return;
    const conn = this.native();
    const ids = sub.callbackIds.splice(0);
    let first: unknown;
    for (const id of ids) {
      try {
        await call('events.unsubscribe', () => conn.domainEventDeregister(id));
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Kinds of the live subscriptions (the reconnect helper re-creates them). */
  subscriptions(): EventSubscription[] {
    return [...this.subs];
  }

  /** @internal ends everything (connection closing). */
  async closeAll(): Promise<void> {
    for (const s of [...this.subs]) await this.unsubscribe(s).catch(() => undefined);
  }
}
