/**
 * The root of every error tstack-host throws. `code` is stable across releases and is what callers
 * branch on; the message is for people and may change. Structured details go in named fields of the
 * subclasses, never into the message when they could hold a secret.
 */
export class TstackError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

export function isTstackError(value: unknown, code?: string): value is TstackError {
  return value instanceof TstackError && (code === undefined || value.code === code);
}
