import { EventEmitter } from 'node:events';
import { uint } from './args.js';
import { CephError } from './errors.js';
import type { NativeIoctx, NativeWatch } from './native.js';

export interface WatchOptions {
  /** The OSD drops a watch it has not heard from for this long (default 30 s; whole seconds). */
  timeoutMs?: number;
  /**
   * By default each notification is acknowledged (with the reply a `notify` listener set via
   * event.reply) once the listeners have returned. With manualAck the listener must call ack().
   */
  manualAck?: boolean;
}

export interface NotifyEvent {
  notifyId: bigint;
  /** The notifier's client instance id. */
  notifierId: bigint;
  data: Buffer;
  /** Reply sent with the automatic ack. */
  reply: Buffer | undefined;
  ack(reply?: Buffer): void;
}

interface WatchEvents {
  notify: [NotifyEvent];
  /** The watch broke (e.g. ERR_CEPH_TIMEOUT / ENOTCONN after losing the OSD): it must be re-established. */
  disconnect: [CephError];
}

/** A registered watch on one object. Events arrive on the JS thread. */
export class Watch extends EventEmitter<WatchEvents> implements AsyncDisposable {
  readonly oid: string;
  #native: NativeWatch | undefined;

  private constructor(oid: string) {
    super();
    this.oid = oid;
  }

  /** @internal */
  static async start(io: NativeIoctx, oid: string, options: WatchOptions): Promise<Watch> {
    const timeout = Math.max(1, Math.ceil(uint(options.timeoutMs ?? 30_000, 'timeoutMs') / 1000));
    const w = new Watch(oid);
    const manual = options.manualAck === true;
    // A notification can arrive before the registration's promise settles: hold its ack until then.
    const early: [bigint, Buffer | undefined][] = [];
    const sendAck = (notifyId: bigint, reply: Buffer | undefined): void => {
      if (w.#native === undefined) early.push([notifyId, reply]);
      else if (!w.#native.isClosed()) w.#native.ack(notifyId, reply);
    };
    w.#native = await io.watch(oid, timeout, (kind, notifyId, notifierId, payload) => {
      if (kind === 'error') {
        w.emit('disconnect', payload as CephError);
        return;
      }
      let acked = false;
      const event: NotifyEvent = {
        notifyId,
        notifierId,
        data: payload as Buffer,
        reply: undefined,
        ack: (reply?: Buffer) => {
          if (acked) return;
          acked = true;
          sendAck(notifyId, reply);
        },
      };
      try {
        w.emit('notify', event);
      } finally {
        if (!manual) event.ack(event.reply);
      }
    });
    for (const [id, reply] of early.splice(0)) w.#native.ack(id, reply);
    return w;
  }

  get closed(): boolean {
    return this.#native === undefined || this.#native.isClosed();
  }

  /** The watch's cookie (what watcher listings show). */
  get cookie(): bigint {
    return this.#native?.cookie() ?? 0n;
  }

  /** Milliseconds since the OSD last confirmed the watch; a broken watch throws its CephError. */
  check(): number {
    if (this.#native === undefined) return 0;
    return this.#native.check();
  }

  /** Unregisters; no event is delivered after this resolves. */
  async close(): Promise<void> {
    if (this.#native !== undefined) await this.#native.close();
    this.removeAllListeners();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
