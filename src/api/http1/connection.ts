/**
 * One client socket's sequence of HTTP/1.1 exchanges: parse a request, read its body, hand it to
 * the handler, write its answer in one write (or writev), then the next. Nothing here throws out of
 * a socket event: a request the parser refuses gets a plain error answer and the connection ends.
 */
import type { Logger } from '../../../common/logger.js';
import { Http1AnswerError, Http1ParseError } from './errors.js';
import type { AnswerSink } from './exchange.js';
import { Http1Exchange } from './exchange.js';
import type { ParserLimits, RequestHead } from './parser.js';
import { RequestParser } from './parser.js';
import { bodiless, dateLine, fieldLines, statusLine } from './response.js';
import type { Wire, WireListener } from './wire.js';

export type Http1Handler = (exchange: Http1Exchange) => void;

export interface ConnectionSettings {
  readonly limits: ParserLimits;
  /** From the first byte of a request (or from the connection's start) to the end of its head. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection (nothing of a next request received) is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** From the end of a head to the end of its body; also bounds an answer the client does not read. */
  readonly requestTimeoutMs: number;
  /** After the last answer, how long unread input is still drained before the socket is destroyed. */
  readonly lingerMs: number;
  readonly handler: Http1Handler;
  readonly logger: Logger;
  /** The server is stopping: every answer says `Connection: close`. */
  stopping(): boolean;
  closed(connection: Connection): void;
}

type State = 'head' | 'body' | 'app' | 'ending' | 'closed';
/** What happens when the deadline passes. */
type Expiry = 'none' | 'idle' | 'head' | 'request' | 'answer' | 'linger';

/** Unparsed input kept while a request is being answered, before reading pauses. */
const HIGH_WATER = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class Connection implements AnswerSink, WireListener {
  /** When the current phase times out (ms since the epoch; Infinity: never). */
  deadline = Infinity;
  private expiry: Expiry = 'none';
  private state: State = 'head';
  private readonly parser: RequestParser;
  private head: RequestHead | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private processing = false;
  private drainWait = false;
  private paused = false;
  /** No request after the current one: its answer says `Connection: close`. */
  private last = false;
  /** The client has half-closed: no more input will come. */
  private peerEnded = false;
  private readonly keepAliveLines: string;

  constructor(
    private readonly wire: Wire,
    private readonly settings: ConnectionSettings,
  ) {
    this.parser = new RequestParser(settings.limits);
    this.keepAliveLines = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(settings.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
    // A fresh connection has the head timeout to send its first request.
    this.setDeadline('idle', settings.headersTimeoutMs);
    wire.attach(this);
  }

  /** Server shutdown: an idle connection ends now, a busy one after its current answer. */
  stop(): void {
    if (this.state === 'ending' || this.state === 'closed') return;
    this.last = true;
    if (this.state !== 'head' || this.drainWait) return;
    if (this.parser.atMessageStart()) this.end();
    // A head still arriving gets the keep-alive timeout at most: a stalled client cannot hold the
    // shutdown for the whole head timeout.
    else this.deadline = Math.min(this.deadline, Date.now() + this.settings.keepAliveTimeoutMs);
  }

  /** Called by the server's sweep once `deadline` has passed. */
  expire(): void {
    switch (this.expiry) {
      case 'idle':
        this.end();
        break;
      case 'head':
      case 'request':
        this.refuse(408, 'request timeout');
        break;
      case 'answer':
      case 'linger':
        this.wire.destroy();
        break;
      case 'none':
        break;
    }
  }

  // ------------------------------------------------------------------------------ input

  onData(chunk: Buffer): void {
    // While ending, input is read only to be dropped (see end()).
    if (this.state === 'ending' || this.state === 'closed') return;
    if (this.expiry === 'idle') this.setDeadline('head', this.settings.headersTimeoutMs);
    this.parser.feed(chunk);
    this.process();
  }

  onEnd(): void {
    if (this.state === 'ending' || this.state === 'closed') {
      this.wire.destroy();
      return;
    }
    // The client sends nothing more: answer what it has sent (pipelined requests included), then
    // end our side too (process() does, once the parser needs bytes that will not come).
    this.peerEnded = true;
    this.process();
  }

  onDrain(): void {
    if (!this.drainWait) return;
    // 'drain' comes just before the write's callbacks: let the answer's `sent` run first, so it
    // precedes the next request's handler as it does when the write completes at once.
    process.nextTick(() => {
      if (!this.drainWait || this.state !== 'head') return;
      this.drainWait = false;
      this.afterAnswer();
    });
  }

  onError(err: Error): void {
    this.settings.logger.debug({ err, remote: this.wire.remoteAddress }, 'http connection error');
  }

  onClose(): void {
    this.state = 'closed';
    this.deadline = Infinity;
    this.settings.closed(this);
  }

  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while ((this.state === 'head' || this.state === 'body') && !this.drainWait) {
        let event;
        try {
          event = this.parser.next();
        } catch (error) {
          const e = error as Http1ParseError;
          this.refuse(e.status, e.message);
          break;
        }
        if (event === undefined) {
          if (this.peerEnded) this.end();
          break;
        }
        switch (event.kind) {
          case 'head':
            this.onHead(event.head);
            break;
          case 'body':
            this.chunks.push(event.chunk);
            this.size += event.chunk.length;
            break;
          case 'end':
            this.dispatch(false);
            break;
          case 'too-large':
            this.dispatch(true);
            break;
        }
      }
    } finally {
      this.processing = false;
    }
    this.flow();
  }

  private onHead(head: RequestHead): void {
    this.head = head;
    this.chunks = [];
    this.size = 0;
    this.setDeadline('request', this.settings.requestTimeoutMs);
    if (head.expectationFailed) {
      this.refuse(417, 'expectation failed');
      return;
    }
    if (head.framing === 'none') {
      this.dispatch(false);
      return;
    }
    if (head.expectContinue && !head.tooLarge) this.wire.send(CONTINUE, undefined);
    this.state = 'body';
  }

  private dispatch(tooLarge: boolean): void {
    const head = this.head as RequestHead;
    const chunks = this.chunks;
    const body = tooLarge || chunks.length === 0 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
    this.chunks = [];
    if (tooLarge || !head.keepAlive) this.last = true;
    this.state = 'app';
    this.setDeadline('none', 0);
    const exchange = new Http1Exchange(this, head, body, tooLarge);
    try {
      this.settings.handler(exchange);
    } catch (error) {
      this.settings.logger.error({ err: error, method: head.method }, 'http handler threw');
      if (!exchange.answered) {
        this.last = true;
        this.answer(exchange, 500, [], undefined, undefined);
      }
    }
  }

  // ------------------------------------------------------------------------------ output

  answer(exchange: Http1Exchange, status: number, fields: readonly string[], body: string | Buffer | undefined, sent: (() => void) | undefined): void {
    if (exchange.answered) throw new Http1AnswerError('ERR_HTTP1_ALREADY_ANSWERED', 'This request has been answered already.');
    let head = statusLine(status) + fieldLines(fields);
    exchange.answered = true;
    // The connection died while the answer was being made: there is no one to send it to.
    if (this.state !== 'app' || this.wire.destroyed) return;
    const close = this.last || this.settings.stopping();
    const none = bodiless(status);
    if (!none) head += `content-length: ${body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
    head += dateLine(Date.now());
    head += close ? 'Connection: close\r\n\r\n' : this.keepAliveLines;
    const payload = none || exchange.head.method === 'HEAD' || body === undefined || body.length === 0 ? undefined : body;
    const flushed = this.wire.send(head, payload, sent === undefined ? undefined : () => this.sent(sent));
    if (close) {
      this.end();
      return;
    }
    this.state = 'head';
    if (!flushed) {
      // Backpressure: read nothing more, answer nothing more, until this answer has drained.
      this.drainWait = true;
      this.setDeadline('answer', this.settings.requestTimeoutMs);
      this.flow();
      return;
    }
    this.afterAnswer();
  }

  /** Runs an answer's `sent` from the write callback, where nothing may be thrown. */
  private sent(sent: () => void): void {
    try {
      sent();
    } catch (error) {
      this.settings.logger.error({ err: error }, 'http answer callback threw');
    }
  }

  /** Ready for the next request: the next head may already be waiting (pipelining). */
  private afterAnswer(): void {
    if (this.last) {
      this.end();
      return;
    }
    if (this.parser.buffered() > 0) this.setDeadline('head', this.settings.headersTimeoutMs);
    else this.setDeadline('idle', this.settings.keepAliveTimeoutMs);
    // Answered later than the handler returned: go on with what has arrived meanwhile.
    if (!this.processing) this.process();
  }

  /**
   * A request the connection answers itself (parse errors, 408, 417): a plain answer, then end. The
   * rest of the input is not framed any more, so nothing after it is answered.
   */
  private refuse(status: number, reason: string): void {
    if (this.state === 'ending' || this.state === 'closed') return;
    this.settings.logger.debug({ status, reason, remote: this.wire.remoteAddress }, 'http request refused');
    if (!this.wire.destroyed) {
      this.wire.send(`${statusLine(status)}content-length: 0\r\n${dateLine(Date.now())}Connection: close\r\n\r\n`, undefined);
    }
    this.end();
  }

  /**
   * Ends our side after the last answer and keeps reading (and dropping) what the client still
   * sends for a while: closing with unread input would reset the connection, and the client could
   * lose the answer (a 413 sent while it still uploads).
   */
  private end(): void {
    if (this.state === 'ending' || this.state === 'closed') return;
    this.state = 'ending';
    this.drainWait = false;
    this.wire.end();
    this.setDeadline('linger', this.settings.lingerMs);
    this.flow();
  }

  private flow(): void {
    const read = this.state === 'ending' || (!this.drainWait && this.parser.buffered() <= HIGH_WATER);
    if (read === this.paused) {
      this.paused = !read;
      if (read) this.wire.resume();
      else this.wire.pause();
    }
  }

  private setDeadline(expiry: Expiry, ms: number): void {
    this.expiry = expiry;
    this.deadline = expiry === 'none' ? Infinity : Date.now() + ms;
  }
}
