import { STATUS_CODES } from 'node:http';
import { PlacementError } from '../placement/errors.js';

/**
 * An error answer. `code` is Placement's error code (shown from microversion 1.23); `title` is
 * the status text, as webob renders it.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** Raised before a microversion was settled: answered without version headers. */
  readonly versionlessError: boolean;

  constructor(
    status: number,
    detail: string,
    options: { code?: string; headers?: Record<string, string>; versionlessError?: boolean; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = options.code ?? 'placement.undefined_code';
    this.headers = options.headers ?? {};
    this.versionlessError = options.versionlessError ?? false;
  }

  get title(): string {
    return STATUS_CODES[this.status] ?? 'Error';
  }
}

/** Maps an engine error to its HTTP answer; anything else becomes a 500 without details. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof PlacementError) return new HttpError(error.httpStatus, error.message, { code: error.placementCode, cause: error });
  return new HttpError(500, 'The server has either erred or is incapable of performing the requested operation.', { cause: error });
}

export function errorBody(error: HttpError, requestId: string, withCode: boolean): string {
  const entry: Record<string, unknown> = { status: error.status, title: error.title, detail: error.message };
  if (withCode) entry['code'] = error.code;
  entry['request_id'] = requestId;
  return JSON.stringify({ errors: [entry] });
}
