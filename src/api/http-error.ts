import { STATUS_CODES } from 'node:http';
import { PlacementError } from '../placement/errors.js';

/** WebOb's explanation of each status, which Placement puts before the message in `detail`. */
const EXPLANATION: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
  413: 'The request is larger than the server is willing or able to process.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
};

export interface HttpErrorOptions {
  /** Placement's error code (shown from microversion 1.23). */
  code?: string;
  headers?: Record<string, string>;
  /** Raised before a microversion applies (a bad version header, no token): no version headers. */
  versionless?: boolean;
  /**
   * False for errors Placement raises past its handlers (no route, a body without content-type, a
   * policy refusal): its microversion middleware adds the version header to those but not `Vary`,
   * which it adds only to answers that come back as responses (a 405 is one).
   */
  vary?: boolean;
  /** The detail wording WebOb uses for 405, 406 and 415. */
  template?: 'method' | 'accept' | 'media';
  method?: string;
  accept?: string;
  mediaType?: string;
  /** More members of the error entry (the version range on a 406 for an unserved version). */
  extra?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error answer in Placement's shape. `message` is the specific part; `detail` renders it the
 * way Placement (through WebOb) does, since clients such as osc-placement show the text after its
 * last line break.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly versionless: boolean;
  readonly vary: boolean;
  readonly extra: Record<string, string>;
  private readonly options: HttpErrorOptions;

  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = options.code ?? 'placement.undefined_code';
    this.headers = options.headers ?? {};
    this.versionless = options.versionless ?? false;
    this.vary = options.vary ?? true;
    this.extra = options.extra ?? {};
    this.options = options;
  }

  get title(): string {
    return STATUS_CODES[this.status] ?? 'Error';
  }

  get detail(): string {
    const o = this.options;
    switch (o.template) {
      case 'method':
        return `The method ${o.method ?? ''} is not allowed for this resource. \n\n ${this.message}`;
      case 'accept':
        return `The resource could not be generated that was acceptable to your browser (content of type ${o.accept ?? ''}. \n\n ${this.message}`;
      case 'media':
        return `The request media type ${o.mediaType ?? 'None'} is not supported by this server. \n\n ${this.message}`;
      default:
        return `${EXPLANATION[this.status] ?? this.title}\n\n ${this.message}  `;
    }
  }
}

/** Maps an engine error to its HTTP answer; anything else becomes a 500 that reveals nothing. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof PlacementError) return new HttpError(error.httpStatus, error.message, { code: error.placementCode, cause: error });
  return new HttpError(500, 'An unexpected error occurred; see the server log.', { cause: error });
}

/** `{"errors":[{status,title,detail,code?,request_id}]}`; `code` from microversion 1.23 on. */
export function errorBody(error: HttpError, requestId: string, withCode: boolean): string {
  const entry: Record<string, unknown> = { status: error.status, title: error.title, detail: error.detail };
  if (withCode) entry['code'] = error.code;
  entry['request_id'] = requestId;
  Object.assign(entry, error.extra);
  return JSON.stringify({ errors: [entry] });
}

/** The 401 of Placement's noauth2 middleware, which answers before Placement's own formatter. */
export function unauthorizedBody(): string {
  return JSON.stringify({
    message:
      'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.<br /><br />\n\n\n',
    code: '401 Unauthorized',
    title: 'Unauthorized',
  });
}
