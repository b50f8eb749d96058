/**
 * An incremental HTTP/1.1 request parser (RFC 9112), strict where leniency lets two parsers
 * disagree about where a message ends (request smuggling): bare LF, obs-fold, Content-Length with
 * Transfer-Encoding, differing duplicate Content-Lengths, a Transfer-Encoding on HTTP/1.0, a second
 * Host, all refused.
 *
 * Bytes go in with feed(); events come out of next(), one at a time, only when the caller asks:
 * a connection that is still answering one request simply does not ask for the next, which is how
 * pipelined requests stay in order. Body chunks are views of the fed buffers (no copies).
 */
import { Http1ParseError } from './errors.js';
import { FIELD_VALUE, TOKEN } from './grammar.js';

export interface ParserLimits {
  /** Request line and header fields together (also the bound of a chunked body's trailer), bytes. */
  readonly maxHeadBytes: number;
  /** Body bytes accepted; a larger body ends the message with a 'too-large' event. */
  readonly maxBodyBytes: number;
}

export type BodyFraming = 'none' | 'length' | 'chunked';

export interface RequestHead {
  readonly method: string;
  /** As sent (origin, absolute or asterisk form), decoded as Latin-1. */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: 0 | 1;
  /**
   * Field names lower-cased, values without surrounding whitespace. A repeated field is joined with
   * ", " except the singletons node:http keeps the first of (content-type, user-agent, …).
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly framing: BodyFraming;
  /** The Content-Length when framing is 'length', else 0. */
  readonly contentLength: number;
  /** The connection persists after this exchange (the version's default and its Connection field). */
  readonly keepAlive: boolean;
  /** `Expect: 100-continue` on HTTP/1.1 (HTTP/1.0 expectations are ignored, RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** An expectation other than 100-continue: the answer is 417. */
  readonly expectationFailed: boolean;
  /** The declared Content-Length is over maxBodyBytes: the next event is 'too-large'. */
  readonly tooLarge: boolean;
}

export type ParseEvent =
  | { readonly kind: 'head'; readonly head: RequestHead }
  | { readonly kind: 'body'; readonly chunk: Buffer }
  | { readonly kind: 'end' }
  /** The body is over maxBodyBytes; the parser stops here (every later call gives this again). */
  | { readonly kind: 'too-large' };

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'too-large' | 'dead';

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const END: ParseEvent = { kind: 'end' };
const TOO_LARGE: ParseEvent = { kind: 'too-large' };

/** Request-target: visible characters (and obs-text, which node:http also lets through). */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const HTTP_VERSION = /^HTTP\/\d\.\d$/;
const HEX_SIZE = /^[0-9A-Fa-f]+/;
/** A chunk-size line: size, then optional whitespace and extensions (ignored, but no controls). */
const MAX_CHUNK_LINE = 4096;
/** More hex digits than this (after leading zeros) is more than any body limit can allow. */
const MAX_SIZE_DIGITS = 12;

/** Fields node:http keeps the first of when repeated; others are joined. */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

export class RequestParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private state: State = 'head';
  /** Where the search for the end of the head resumes (bytes before it were searched already). */
  private scanFrom = 0;
  /** Body bytes left in the current Content-Length body or chunk. */
  private remaining = 0;
  private bodySeen = 0;
  private trailerBytes = 0;
  private failure: Http1ParseError | undefined;

  constructor(private readonly limits: ParserLimits) {}

  /** Adds received bytes. The buffer must not be changed afterwards (body chunks are views of it). */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.scanFrom -= this.pos;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.scanFrom -= this.pos;
      this.pos = 0;
    }
    if (this.scanFrom < 0) this.scanFrom = 0;
  }

  /** Bytes received and not yet parsed. */
  buffered(): number {
    return this.buf.length - this.pos;
  }

  /** True between messages with nothing of the next one received (leading empty lines aside). */
  atMessageStart(): boolean {
    return this.state === 'head' && this.buf.length - this.pos === 0;
  }

  /**
   * The next event, or undefined when more bytes are needed. Throws Http1ParseError (and keeps
   * throwing it) once the stream is not HTTP/1.1 it can frame.
   */
  next(): ParseEvent | undefined {
    try {
      switch (this.state) {
        case 'head':
          return this.head();
        case 'length':
          return this.lengthBody();
        case 'chunk-size':
          return this.chunkSize();
        case 'chunk-data':
          return this.chunkData();
        case 'chunk-crlf':
          return this.chunkCrlf();
        case 'trailer':
          return this.trailer();
        case 'too-large':
          return TOO_LARGE;
        case 'dead':
          throw this.failure as Http1ParseError;
      }
    } catch (error) {
      this.state = 'dead';
      this.failure = error instanceof Http1ParseError ? error : new Http1ParseError(400, `Unreadable request: ${String(error)}`);
      throw this.failure;
    }
  }

  // ------------------------------------------------------------------------------ the head

  private head(): ParseEvent | undefined {
    const buf = this.buf;
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    while (buf.length - this.pos >= 2 && buf[this.pos] === 13 && buf[this.pos + 1] === 10) this.pos += 2;
    if (this.scanFrom < this.pos) this.scanFrom = this.pos;
    const end = buf.indexOf(CRLFCRLF, this.scanFrom);
    const max = this.limits.maxHeadBytes;
    if (end < 0) {
      const pending = buf.length - this.pos;
      if (pending > max) this.tooLong(buf.indexOf(CRLF, this.pos));
      // A bare LF would never end the head: refuse it now rather than wait for the timeout.
      for (let i = buf.indexOf(10, this.scanFrom); i >= 0; i = buf.indexOf(10, i + 1)) {
        if (i === this.pos || buf[i - 1] !== 13) throw new Http1ParseError(400, 'A line ends with LF without CR.');
      }
      this.scanFrom = Math.max(this.pos, buf.length - 3);
      return undefined;
    }
    if (end + 4 - this.pos > max) this.tooLong(buf.indexOf(CRLF, this.pos));
    const text = buf.toString('latin1', this.pos, end);
    this.pos = end + 4;
    this.scanFrom = this.pos;
    const head = parseHead(text, this.limits);
    this.bodySeen = 0;
    if (head.tooLarge) this.state = 'too-large';
    else if (head.framing === 'length') {
      this.state = 'length';
      this.remaining = head.contentLength;
    } else if (head.framing === 'chunked') this.state = 'chunk-size';
    return { kind: 'head', head };
  }

  private tooLong(firstLineEnd: number): never {
    if (firstLineEnd < 0 || firstLineEnd - this.pos > this.limits.maxHeadBytes) {
      throw new Http1ParseError(414, `The request line is longer than ${this.limits.maxHeadBytes} bytes.`);
    }
    throw new Http1ParseError(431, `The request line and header fields are longer than ${this.limits.maxHeadBytes} bytes.`);
  }

  // ------------------------------------------------------------------------------ bodies

  private take(): Buffer | undefined {
    const available = this.buf.length - this.pos;
    if (available === 0) return undefined;
    const n = available < this.remaining ? available : this.remaining;
    const chunk = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.remaining -= n;
    return chunk;
  }

  private lengthBody(): ParseEvent | undefined {
    if (this.remaining === 0) {
      this.state = 'head';
      return END;
    }
    const chunk = this.take();
    return chunk === undefined ? undefined : { kind: 'body', chunk };
  }

  private chunkSize(): ParseEvent | undefined {
    const eol = this.buf.indexOf(CRLF, this.pos);
    if (eol < 0) {
      if (this.buf.length - this.pos > MAX_CHUNK_LINE) throw new Http1ParseError(400, 'A chunk-size line is too long.');
      return undefined;
    }
    if (eol - this.pos > MAX_CHUNK_LINE) throw new Http1ParseError(400, 'A chunk-size line is too long.');
    const line = this.buf.toString('latin1', this.pos, eol);
    this.pos = eol + 2;
    const hex = HEX_SIZE.exec(line)?.[0];
    if (hex === undefined) throw new Http1ParseError(400, 'A chunk has no size.');
    const rest = line.slice(hex.length);
    // Extensions are ignored (RFC 9112 §7.1.1), but they must be a ';'-list without control characters.
    if (rest !== '' && (!/^[ \t]*;/.test(rest) || !FIELD_VALUE.test(rest))) throw new Http1ParseError(400, 'A chunk-size line is malformed.');
    const digits = hex.replace(/^0+/, '');
    const size = digits.length > MAX_SIZE_DIGITS ? Infinity : digits === '' ? 0 : parseInt(digits, 16);
    if (size === 0) {
      this.state = 'trailer';
      this.trailerBytes = 0;
      return this.trailer();
    }
    if (this.bodySeen + size > this.limits.maxBodyBytes) {
      this.state = 'too-large';
      return TOO_LARGE;
    }
    this.bodySeen += size;
    this.remaining = size;
    this.state = 'chunk-data';
    return this.chunkData();
  }

  private chunkData(): ParseEvent | undefined {
    const chunk = this.take();
    if (chunk === undefined) return undefined;
    if (this.remaining === 0) this.state = 'chunk-crlf';
    return { kind: 'body', chunk };
  }

  private chunkCrlf(): ParseEvent | undefined {
    if (this.buf.length - this.pos < 2) {
      if (this.buf.length > this.pos && this.buf[this.pos] !== 13) throw new Http1ParseError(400, 'A chunk does not end with CRLF.');
      return undefined;
    }
    if (this.buf[this.pos] !== 13 || this.buf[this.pos + 1] !== 10) throw new Http1ParseError(400, 'A chunk does not end with CRLF.');
    this.pos += 2;
    this.state = 'chunk-size';
    return this.chunkSize();
  }

  /** The trailer section: read, checked as field lines, and dropped. */
  private trailer(): ParseEvent | undefined {
    for (;;) {
      const eol = this.buf.indexOf(CRLF, this.pos);
      const max = this.limits.maxHeadBytes;
      if (eol < 0) {
        if (this.trailerBytes + this.buf.length - this.pos > max) throw new Http1ParseError(431, `The trailer section is longer than ${max} bytes.`);
        return undefined;
      }
      this.trailerBytes += eol + 2 - this.pos;
      if (this.trailerBytes > max) throw new Http1ParseError(431, `The trailer section is longer than ${max} bytes.`);
      const line = this.buf.toString('latin1', this.pos, eol);
      this.pos = eol + 2;
      if (line === '') {
        this.state = 'head';
        return END;
      }
      fieldLine(line);
    }
  }
}

/** Splits one field line into its lower-cased name and trimmed value, or refuses it. */
function fieldLine(line: string): [string, string] {
  const first = line.charCodeAt(0);
  if (first === 32 || first === 9) throw new Http1ParseError(400, 'Obsolete line folding (a field line starting with whitespace) is not accepted.');
  const colon = line.indexOf(':');
  if (colon <= 0) throw new Http1ParseError(400, 'A header field line has no name or no colon.');
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) throw new Http1ParseError(400, 'A header field name is not a token (no whitespace before the colon).');
  let from = colon + 1;
  let to = line.length;
  while (from < to && (line.charCodeAt(from) === 32 || line.charCodeAt(from) === 9)) from++;
  while (to > from && (line.charCodeAt(to - 1) === 32 || line.charCodeAt(to - 1) === 9)) to--;
  const value = line.slice(from, to);
  if (!FIELD_VALUE.test(value)) throw new Http1ParseError(400, 'A header field value holds a control character.');
  return [name.toLowerCase(), value];
}

function parseHead(text: string, limits: ParserLimits): RequestHead {
  let eol = text.indexOf('\r\n');
  const line = eol < 0 ? text : text.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) throw new Http1ParseError(400, 'The request line is not "method target version".');
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!TOKEN.test(method)) throw new Http1ParseError(400, 'The request method is not a token.');
  if (!TARGET.test(target)) throw new Http1ParseError(400, 'The request target is empty or holds whitespace or control characters.');
  let minor: 0 | 1;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (HTTP_VERSION.test(version)) throw new Http1ParseError(505, `${version} is not served; use HTTP/1.1.`);
  else throw new Http1ParseError(400, 'The request line does not end with an HTTP version.');

  // A prototype-less record: a field named __proto__ or constructor is only a field.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  while (eol >= 0) {
    const start = eol + 2;
    eol = text.indexOf('\r\n', start);
    const [name, value] = fieldLine(eol < 0 ? text.slice(start) : text.slice(start, eol));
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (name === 'content-length') {
      if (previous !== value) throw new Http1ParseError(400, 'Content-Length is given twice with different values.');
    } else if (name === 'host') throw new Http1ParseError(400, 'Host is given more than once.');
    else if (!FIRST_WINS.has(name)) headers[name] = `${previous}, ${value}`;
  }

  if (minor === 1 && headers['host'] === undefined) throw new Http1ParseError(400, 'An HTTP/1.1 request needs a Host header field.');

  let framing: BodyFraming = 'none';
  let contentLength = 0;
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) throw new Http1ParseError(400, 'Content-Length and Transfer-Encoding together are refused.');
    if (minor === 0) throw new Http1ParseError(400, 'Transfer-Encoding is not defined for HTTP/1.0.');
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    if (codings.length === 1 && codings[0] === 'chunked') framing = 'chunked';
    else if (codings.every((c) => c === 'chunked')) throw new Http1ParseError(400, 'Transfer-Encoding names chunked more than once.');
    else if (codings.includes('')) throw new Http1ParseError(400, 'Transfer-Encoding has an empty coding.');
    else throw new Http1ParseError(501, `Transfer-Encoding "${te}" is not implemented; only chunked is.`);
  } else if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new Http1ParseError(400, 'Content-Length is not a number of bytes.');
    contentLength = cl.length > 15 ? Infinity : Number(cl);
    if (contentLength > 0) framing = 'length';
  }

  let keepAlive = minor === 1;
  const connection = headers['connection'];
  if (connection !== undefined) {
    const options = connection.toLowerCase().split(',').map((o) => o.trim());
    if (options.includes('close')) keepAlive = false;
    else if (minor === 0 && options.includes('keep-alive')) keepAlive = true;
  }

  let expectContinue = false;
  let expectationFailed = false;
  const expect = headers['expect'];
  if (expect !== undefined && minor === 1) {
    if (expect.toLowerCase() === '100-continue') expectContinue = true;
    else expectationFailed = true;
  }

  return {
    method,
    target,
    minor,
    headers,
    framing,
    contentLength: framing === 'length' ? contentLength : 0,
    keepAlive,
    expectContinue,
    expectationFailed,
    tooLarge: framing === 'length' && contentLength > limits.maxBodyBytes,
  };
}
