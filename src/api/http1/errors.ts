import { TstackError } from '../../../common/errors.js';

/**
 * A request the server cannot read (RFC 9112 framing, a limit, an unsupported version or coding).
 * `status` is the answer it gets (400, 413, 414, 431, 501 or 505) before the connection closes.
 */
export class Http1ParseError extends TstackError {
  readonly status: number;

  constructor(status: number, message: string) {
    super('ERR_HTTP1_BAD_REQUEST', message);
    this.status = status;
  }
}

/** A misuse of an exchange by the application: a second answer, or a header that cannot be sent. */
export class Http1AnswerError extends TstackError {
  constructor(code: 'ERR_HTTP1_ALREADY_ANSWERED' | 'ERR_HTTP1_INVALID_HEADER', message: string) {
    super(code, message);
  }
}

/** The listening side: a listen that failed, a server used after close(), a transport not built. */
export class Http1ServerError extends TstackError {
  constructor(code: 'ERR_HTTP1_LISTEN' | 'ERR_HTTP1_SERVER_CLOSED' | 'ERR_HTTP1_NATIVE_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
