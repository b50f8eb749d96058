import type net from 'node:net';
import type { Wire, WireListener } from './wire.js';

/** A connection's wire over a node:net socket. */
export class NetWire implements Wire {
  constructor(private readonly socket: net.Socket) {}

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  attach(listener: WireListener): void {
    const s = this.socket;
    s.on('data', (chunk: Buffer) => listener.onData(chunk));
    s.on('end', () => listener.onEnd());
    s.on('drain', () => listener.onDrain());
    s.on('error', (err) => listener.onError(err));
    s.on('close', () => listener.onClose());
  }

  send(head: string, body: string | Buffer | undefined, sent?: () => void): boolean {
    const done = sent === undefined ? undefined : (err?: Error | null): void => {
      if (err == null) sent();
    };
    // As node:http does for a string body: one string, one write.
    if (body === undefined) return this.socket.write(head, 'latin1', done);
    if (typeof body === 'string') return this.socket.write(head + body, 'utf8', done);
    // Head and body leave in one writev.
    this.socket.cork();
    this.socket.write(head, 'latin1');
    const flushed = this.socket.write(body, done);
    this.socket.uncork();
    return flushed;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}
