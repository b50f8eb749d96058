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
  /** A held answer (WriteResult.Held) has gone (a: 1) or was dropped (a: 0); a lent Buffer is free. */
  Released = 9,
}

/** Flags of NativePump.write's result, as native/http/src/pump.cc sets them. */
export const enum WriteResult {
  /** Some of it is left for the I/O thread (it was not all sent at once). */
  Queued = 1,
  /** The queue is at or over its high-water mark: a Drain event follows. */
  OverHighWater = 2,
  /**
   * One Released event will say when the answer has gone or was dropped: a Buffer body is lent, not
   * copied, until then; with `track`, a copied answer is followed the same way.
   */
  Held = 4,
  /** The socket is dead: nothing was or will be sent (its Close event follows). */
  Failed = 8,
}

export interface NativePump {
  /**
   * Binds and listens (numeric address), starts the I/O thread; returns the bound port. Throws an
   * Error with `errno`. onEvents(meta, data) gets every batch: meta holds [kind, id, a, b] per
   * event (PumpEvent); data events are data[a, a + b).
   */
  listen(address: string, port: number, ipv6: boolean, backlog: number, onEvents: (meta: Float64Array, data: Buffer) => void): number;
  /**
   * Sends one answer: `head` as Latin-1, then `body` (a string as UTF-8). When nothing of the
   * connection is queued it is sent at once from this thread; the rest is queued (WriteResult).
   */
  write(id: number, head: string, body: string | Buffer | undefined, track: boolean): number;
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
  Pump: new () => NativePump;
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
