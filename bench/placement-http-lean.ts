/**
 * A lean HTTP/1.1 client for the placement-http suite: one raw TCP socket per connection, requests
 * written as prebuilt bytes, answers framed (status line, Content-Length, chunked, or read to the
 * close) but never parsed beyond that. node:http costs ~0.2–0.5 ms of CPU per request (its parser,
 * IncomingMessage streams, the agent), on the same two cores as the server under test; this one
 * costs what reading the bytes costs. The same code drives both servers.
 *
 * A connection serves one request at a time. When the server says `Connection: close` (uwsgi does,
 * on every answer) or answers HTTP/1.0 without keep-alive, the next request opens a new socket.
 */
import net from 'node:net';

export interface LeanAnswer {
  /** HTTP status, or 0 when the request failed below HTTP (reset, refused, timeout, bad framing). */
  status: number;
  /** Bytes of the body (after de-chunking). */
  bytes: number;
  /** From just before the request is written to the last byte of the answer. */
  ms: number;
  error?: string;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** The headers every request of the suite carries (microversion latest, noauth2's admin). */
const BASE = 'x-auth-token: admin\r\nopenstack-api-version: placement latest\r\naccept: application/json\r\n';

/** One request as bytes: written as it is, so the loaders build each once. */
export function requestBytes(host: string, port: number, method: string, path: string, body?: unknown): Buffer {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\n${BASE}`;
  if (payload !== undefined) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

type Framing = 'length' | 'chunked' | 'close' | 'none';

/** One keep-alive connection (reopened after a `Connection: close`), one request at a time. */
export class LeanConnection {
  private socket: net.Socket | undefined;
  /** Sockets opened so far. */
  connections = 0;
  private closed = false;

  // The answer being read.
  private resolve: ((a: LeanAnswer) => void) | undefined;
  private t0 = 0;
  private head: Buffer | undefined;
  private status = 0;
  private framing: Framing = 'none';
  private remaining = 0;
  private bodyBytes = 0;
  private keepAlive = true;
  /** chunked: bytes of the current chunk line not yet ended by CRLF, or in the trailer. */
  private chunkLine: Buffer | undefined;
  private chunkState: 'size' | 'data' | 'crlf' | 'trailer' = 'size';

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = 120_000,
  ) {}

  send(request: Buffer): Promise<LeanAnswer> {
    if (this.closed) return Promise.resolve({ status: 0, bytes: 0, ms: 0, error: 'CLOSED' });
    if (this.resolve !== undefined) throw new Error('LeanConnection: one request at a time');
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.head = undefined;
      this.status = 0;
      this.framing = 'none';
      this.remaining = 0;
      this.bodyBytes = 0;
      this.keepAlive = true;
      this.chunkLine = undefined;
      this.chunkState = 'size';
      const s = this.socket ?? this.open();
      this.t0 = performance.now();
      s.write(request);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): net.Socket {
    const s = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.connections++;
    this.socket = s;
    s.setTimeout(this.timeoutMs, () => this.fail(s, 'TIMEOUT'));
    s.on('data', (chunk: Buffer) => this.onData(s, chunk));
    s.on('error', (e: NodeJS.ErrnoException) => this.fail(s, e.code ?? e.message));
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      // A body delimited by the end of the connection ends here; anything else is cut short.
      if (this.resolve !== undefined && this.framing === 'close') this.finish(s);
      else this.fail(s, 'ECONNRESET');
    });
    return s;
  }

  private fail(s: net.Socket, error: string): void {
    s.destroy();
    if (this.socket === s) this.socket = undefined;
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    resolve({ status: 0, bytes: this.bodyBytes, ms: performance.now() - this.t0, error });
  }

  private finish(s: net.Socket): void {
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    const a: LeanAnswer = { status: this.status, bytes: this.bodyBytes, ms: performance.now() - this.t0 };
    if (!this.keepAlive) {
      s.destroy();
      if (this.socket === s) this.socket = undefined;
    }
    resolve(a);
  }

  private onData(s: net.Socket, chunk: Buffer): void {
    if (this.resolve === undefined) {
      // Bytes nobody asked for (no pipelining here): the connection is out of step.
      this.fail(s, 'UNEXPECTED_DATA');
      return;
    }
    let rest = chunk;
    if (this.head === undefined || this.framing === 'none') {
      const buf = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > 65_536) this.fail(s, 'HEADERS_TOO_LARGE');
        else this.head = buf;
        return;
      }
      this.head = buf;
      if (!this.readHead(buf.toString('latin1', 0, end))) {
        this.fail(s, 'BAD_RESPONSE');
        return;
      }
      rest = buf.subarray(end + 4);
      if (this.framing === 'none') {
        if (rest.length > 0) this.fail(s, 'UNEXPECTED_DATA');
        else this.finish(s);
        return;
      }
    }
    this.body(s, rest);
  }

  /** Status and framing from the head; false when it is not an HTTP/1.x response. */
  private readHead(head: string): boolean {
    if (!head.startsWith('HTTP/1.')) return false;
    const http10 = head.charCodeAt(7) === 0x30;
    this.status = Number(head.slice(9, 12));
    if (!Number.isInteger(this.status) || this.status < 100) return false;
    let length = -1;
    let chunked = false;
    let connection = '';
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
      else if (name === 'transfer-encoding') chunked = line.slice(colon + 1).toLowerCase().includes('chunked');
      else if (name === 'connection') connection = line.slice(colon + 1).trim().toLowerCase();
    }
    this.keepAlive = http10 ? connection === 'keep-alive' : connection !== 'close';
    if (this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) this.framing = 'none';
    else if (chunked) this.framing = 'chunked';
    else if (length >= 0 && Number.isSafeInteger(length)) {
      this.framing = length === 0 ? 'none' : 'length';
      this.remaining = length;
    } else {
      this.framing = 'close';
      this.keepAlive = false;
    }
    return true;
  }

  private body(s: net.Socket, data: Buffer): void {
    if (data.length === 0) return;
    switch (this.framing) {
      case 'length':
        if (data.length > this.remaining) {
          this.fail(s, 'UNEXPECTED_DATA');
          return;
        }
        this.remaining -= data.length;
        this.bodyBytes += data.length;
        if (this.remaining === 0) this.finish(s);
        return;
      case 'close':
        this.bodyBytes += data.length;
        return;
      case 'chunked':
        this.chunks(s, data);
        return;
      default:
        this.fail(s, 'UNEXPECTED_DATA');
    }
  }

  /** De-chunks by counting: size lines are read, chunk bytes are only counted. */
  private chunks(s: net.Socket, data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, data.length - pos);
        this.remaining -= take;
        this.bodyBytes += take;
        pos += take;
        if (this.remaining === 0) this.chunkState = 'crlf';
        continue;
      }
      // 'size', 'crlf' and 'trailer' read up to a CRLF.
      const buf = this.chunkLine === undefined ? data.subarray(pos) : Buffer.concat([this.chunkLine, data.subarray(pos)]);
      const eol = buf.indexOf(CRLF);
      if (eol < 0) {
        if (buf.length > 4096) return this.fail(s, 'BAD_CHUNK');
        this.chunkLine = buf;
        return;
      }
      const consumed = eol + 2 - (this.chunkLine?.length ?? 0);
      const line = buf.toString('latin1', 0, eol);
      this.chunkLine = undefined;
      pos += consumed;
      if (this.chunkState === 'crlf') {
        if (line !== '') return this.fail(s, 'BAD_CHUNK');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const size = Number.parseInt(line.split(';')[0] ?? '', 16);
        if (!Number.isSafeInteger(size) || size < 0) return this.fail(s, 'BAD_CHUNK');
        if (size === 0) this.chunkState = 'trailer';
        else {
          this.remaining = size;
          this.chunkState = 'data';
        }
      } else if (line === '') {
        // The empty line after the (usually absent) trailer ends the answer.
        if (pos < data.length) return this.fail(s, 'UNEXPECTED_DATA');
        this.finish(s);
        return;
      }
    }
  }
}

/**
 * A pool of lean connections to one server, for loops that each wait for their answer before
 * sending again: at most one connection per request in flight, reused as it comes back.
 */
export class LeanEndpoint {
  private idle: LeanConnection[] = [];
  private all: LeanConnection[] = [];
  /** GETs without a body are built once per path. */
  private readonly cached = new Map<string, Buffer>();

  constructor(
    readonly label: string,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Sockets opened since the last reset. */
  get connections(): number {
    return this.all.reduce((n, c) => n + c.connections, 0);
  }

  async request(method: string, path: string, body?: unknown): Promise<LeanAnswer> {
    let bytes: Buffer;
    if (body === undefined) {
      const key = `${method} ${path}`;
      bytes = this.cached.get(key) ?? requestBytes(this.host, this.port, method, path);
      this.cached.set(key, bytes);
    } else bytes = requestBytes(this.host, this.port, method, path, body);
    let conn = this.idle.pop();
    if (conn === undefined) {
      conn = new LeanConnection(this.host, this.port);
      this.all.push(conn);
    }
    try {
      return await conn.send(bytes);
    } finally {
      this.idle.push(conn);
    }
  }

  /** Closes every connection and starts counting again. */
  reset(): void {
    for (const c of this.all) c.close();
    this.all = [];
    this.idle = [];
  }

  destroy(): void {
    this.reset();
  }
}
