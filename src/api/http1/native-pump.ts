/**
 * The native socket pump (native/http, pump.h says why it exists), loaded once. Its absence is not
 * an error: the server then runs on node:net.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../../../common/package-root.js';

/** Event kinds in a delivery's meta array, as native/http/src/pump.h numbers them. */
export const enum PumpEvent {
  Accept = 1,
  Data = 2,
  End = 3,
  Drain = 4,
  Close = 5,
  Error = 6,
  ListenError = 7,
  ListenClosed = 8,
  /** A lent Buffer is free again; a: 1 when it was sent whole, 0 when the socket died first. */
  Released = 9,
}

/** Flags of NativePump.write's result, as native/http/src/pump.cc sets them. */
export const enum WriteResult {
  /** Some of it is left for the I/O thread (it was not all sent at once). */
  Queued = 1,
  /** The queue is at or over its high-water mark: a Drain event follows. */
  OverHighWater = 2,
  /** The Buffer body is held, not copied, until its Released event. */
  Lent = 4,
  /** The socket is dead: nothing was or will be sent (its Close event follows). */
  Failed = 8,
}

export interface NativePump {
  /** Binds and listens (numeric address), starts the I/O thread; returns the bound port. Throws an Error with `errno`. */
  listen(address: string, port: number, ipv6: boolean, backlog: number): number;
  /**
   * Sends one answer: `head` as Latin-1, then `body` (a string as UTF-8). When nothing of the
   * connection is queued it is sent at once from this thread; the rest is queued (WriteResult).
   */
  write(id: number, head: string, body: string | Buffer | undefined): number;
  end(id: number): void;
  destroy(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  closeListener(): void;
  /** Hands queued commands to the I/O thread (done after every delivery by the addon itself). */
  flush(): void;
  /** Closes every socket and joins the I/O thread. */
  stop(): void;
  remoteAddress(id: number): string | undefined;
  /** Whether the pump keeps the process alive. */
  setRef(ref: boolean): void;
}

export interface NativePumpAddon {
  /** onEvents(meta, data): meta holds [kind, id, a, b] per event (PumpEvent); data events are data[a, a + b). */
  Pump: new (onEvents: (meta: Float64Array, data: Buffer) => void) => NativePump;
}

let loaded: NativePumpAddon | null | undefined;
let failure: unknown;

/** The addon, or undefined when it is not built (then failure() says why). */
export function loadPump(): NativePumpAddon | undefined {
  if (loaded === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const load = require('node-gyp-build') as (dir: string) => unknown;
      // TSTACK_HTTP_ADDON_DIR points elsewhere (tests of the missing-addon path, relocated installs).
      loaded = load(process.env['TSTACK_HTTP_ADDON_DIR'] ?? path.join(packageRoot(), 'native', 'http')) as NativePumpAddon;
    } catch (err) {
      failure = err;
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** Why loadPump() found no addon. */
export function pumpLoadFailure(): unknown {
  return failure;
}
