import type { RequestHead } from './parser.js';

/** The part of a connection an exchange answers through. */
export interface AnswerSink {
  answer(exchange: Http1Exchange, status: number, fields: readonly string[], body: string | Buffer | undefined, sent: (() => void) | undefined): void;
}

/**
 * One request with its whole body, and the one answer it gets. The connection reads the body
 * before the handler sees the request (bodies are bounded by maxBodyBytes), so handlers stay
 * synchronous; an answer may still be given later, and pipelined requests wait for it.
 */
export class Http1Exchange {
  /** Set once respond() has been called. */
  answered = false;

  constructor(
    private readonly sink: AnswerSink,
    readonly head: RequestHead,
    /** The whole body (empty when there is none, or when it was too large). */
    readonly body: Buffer,
    /** The body was over maxBodyBytes and was not read: answer 413; the connection then closes. */
    readonly bodyTooLarge: boolean,
  ) {}

  get method(): string {
    return this.head.method;
  }

  get target(): string {
    return this.head.target;
  }

  /** Field names lower-case; see RequestHead.headers. */
  get headers(): Readonly<Record<string, string>> {
    return this.head.headers;
  }

  /**
   * Sends the answer: `fields` is a flat [name, value, name, value…] list; Content-Length, Date
   * and Connection are the connection's. A HEAD request gets the fields without the body. `sent`
   * runs once the answer has been handed to the kernel (a lent body buffer may then be reused); not
   * when the connection died first. Throws Http1AnswerError on a second answer or a bad field.
   */
  respond(status: number, fields: readonly string[], body?: string | Buffer, sent?: () => void): void {
    this.sink.answer(this, status, fields, body, sent);
  }
}
