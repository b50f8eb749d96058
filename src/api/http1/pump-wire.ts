/**
 * The native transport: a listening socket whose connections are read and written by the socket
 * pump's thread (native/http). Every event of one epoll round arrives in one call; the commands a
 * delivery makes (answers, ends, pauses) go back with one wake-up when it returns.
 */
import dns from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { errnoException } from './errno.js';
import type { NativePump, NativePumpAddon } from './native-pump.js';
import { PumpEvent, WriteResult } from './native-pump.js';
import type { Wire, WireListener } from './wire.js';

const BACKLOG = 511;

export class PumpListener {
  private readonly pump: NativePump;
  private readonly wires = new Map<number, PumpWire>();
  private bound: AddressInfo | undefined;
  private listening = false;
  private stopped = false;
  private delivering = false;
  private flushQueued = false;
  private whenClosed: (() => void) | undefined;

  constructor(
    addon: NativePumpAddon,
    private readonly accepted: (wire: Wire) => void,
    private readonly failed: (err: Error, wire: Wire | undefined) => void,
  ) {
    this.pump = new addon.Pump();
  }

  /** Resolves to the bound address; rejects with the errno error node:net would give. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    const family = isIP(host);
    const address = family !== 0 ? host : (await dns.lookup(host)).address;
    const ipv6 = isIP(address) === 6;
    let boundPort: number;
    try {
      boundPort = this.pump.listen(address, port, ipv6, BACKLOG, (meta, data) => this.deliver(meta, data));
    } catch (error) {
      const errno = (error as { errno?: number }).errno;
      throw typeof errno === 'number' ? errnoException(errno, 'listen', `${address}:${port}`) : error;
    }
    this.listening = true;
    this.bound = { address, family: ipv6 ? 'IPv6' : 'IPv4', port: boundPort };
    this.pump.setRef(true);
    return this.bound;
  }

  address(): AddressInfo | undefined {
    return this.listening ? this.bound : undefined;
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** Stops accepting; `done` runs once the listening socket is closed. */
  close(done: () => void): void {
    if (!this.listening) {
      done();
      return;
    }
    this.whenClosed = done;
    this.pump.closeListener();
  }

  /** Ends the pump's thread once nothing is left (no listener, no connection). Idempotent. */
  stopIfIdle(): void {
    if (this.stopped || this.listening || this.wires.size > 0) return;
    this.stopped = true;
    this.pump.stop();
  }

  /** A command was queued outside a delivery (a late answer, a timer): send it after this turn. */
  queueFlush(): void {
    if (this.delivering || this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.stopped) this.pump.flush();
    });
  }

  get native(): NativePump {
    return this.pump;
  }

  private deliver(meta: Float64Array, data: Buffer): void {
    this.delivering = true;
    try {
      for (let i = 0; i < meta.length; i += 4) {
        const id = meta[i + 1] as number;
        try {
          this.event(meta[i] as PumpEvent, id, meta[i + 2] as number, meta[i + 3] as number, data);
        } catch (error) {
          // As a throwing socket listener would, but without losing the rest of the round.
          this.failed(error as Error, this.wires.get(id));
        }
      }
    } finally {
      this.delivering = false;
    }
    this.pump.setRef(this.listening || this.wires.size > 0);
    this.stopIfIdle();
  }

  private event(kind: PumpEvent, id: number, a: number, b: number, data: Buffer): void {
    switch (kind) {
      case PumpEvent.Accept: {
        const wire = new PumpWire(this, id);
        this.wires.set(id, wire);
        this.accepted(wire);
        return;
      }
      case PumpEvent.Data:
        this.wires.get(id)?.listener?.onData(data.subarray(a, a + b));
        return;
      case PumpEvent.End:
        this.wires.get(id)?.listener?.onEnd();
        return;
      case PumpEvent.Drain:
        this.wires.get(id)?.listener?.onDrain();
        return;
      case PumpEvent.Error:
        this.wires.get(id)?.listener?.onError(errnoException(a, 'read'));
        return;
      case PumpEvent.Close: {
        const wire = this.wires.get(id);
        if (wire === undefined) return;
        this.wires.delete(id);
        wire.closed();
        return;
      }
      case PumpEvent.Released:
        this.wires.get(id)?.released(a === 1);
        return;
      case PumpEvent.ListenError:
        this.failed(errnoException(a, 'accept'), undefined);
        return;
      case PumpEvent.ListenClosed: {
        this.listening = false;
        const done = this.whenClosed;
        this.whenClosed = undefined;
        done?.();
        return;
      }
    }
  }
}

/** One accepted connection of a PumpListener. */
export class PumpWire implements Wire {
  listener: WireListener | undefined;
  private gone = false;
  private ended = false;
  private peer: string | undefined;
  /** One entry per held answer in flight (WriteResult.Held), in order: its `sent`, if any. */
  private readonly held: ((() => void) | undefined)[] = [];

  constructor(
    private readonly owner: PumpListener,
    private readonly id: number,
  ) {}

  get remoteAddress(): string | undefined {
    this.peer ??= this.owner.native.remoteAddress(this.id);
    return this.peer;
  }

  get destroyed(): boolean {
    return this.gone;
  }

  attach(listener: WireListener): void {
    this.listener = listener;
  }

  send(head: string, body: string | Buffer | undefined, sent?: () => void): boolean {
    // Nothing may follow end(): it would be dropped out of turn with the answers still queued.
    if (this.gone || this.ended) return false;
    const state = this.owner.native.write(this.id, head, body, sent !== undefined);
    if ((state & WriteResult.Queued) !== 0) this.owner.queueFlush();
    // Held: the pump reports when the answer has gone (a lent Buffer is free then). Otherwise it was
    // all sent at once, still after this call returns as a socket's write callback runs.
    if ((state & WriteResult.Held) !== 0) this.held.push(sent);
    else if (sent !== undefined && (state & WriteResult.Failed) === 0) queueMicrotask(sent);
    return (state & WriteResult.OverHighWater) === 0;
  }

  /** The oldest held answer has gone (`whole`) or was dropped. */
  released(whole: boolean): void {
    const sent = this.held.shift();
    if (whole && !this.gone) sent?.();
  }

  end(): void {
    this.command('end');
    this.ended = true;
  }

  destroy(): void {
    this.command('destroy');
    this.gone = true;
  }

  pause(): void {
    this.command('pause');
  }

  resume(): void {
    this.command('resume');
  }

  private command(name: 'end' | 'destroy' | 'pause' | 'resume'): void {
    if (this.gone) return;
    this.owner.native[name](this.id);
    this.owner.queueFlush();
  }

  /** The pump closed the socket (every held answer has been released before). */
  closed(): void {
    this.gone = true;
    this.held.length = 0;
    this.listener?.onClose();
  }
}
