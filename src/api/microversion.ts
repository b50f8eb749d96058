import { HttpError } from './http-error.js';

/** A Placement microversion, `major.minor`. */
export class Microversion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  /** True when this version is `major.minor` or later. */
  atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN_VERSION = new Microversion(1, 0);
export const MAX_VERSION = new Microversion(1, 39);

const VERSION = /^\s*(-?\d+)\s*\.\s*(\d+)\s*$/;

/**
 * The version a request asks for, from `OpenStack-API-Version`. The header may list several
 * services; the last `placement` entry that has a version wins (an entry without one is skipped,
 * as microversion-parse skips it). Absent means 1.0;
 * `latest` (lower case only) the maximum; a malformed version is a 400 and one that is not served a
 * 406 carrying the range, as Placement answers. Both are answered without version headers.
 */
export function negotiate(headerValue: string | undefined): Microversion {
  if (headerValue === undefined) return MIN_VERSION;
  let wanted: string | undefined;
  const entries = headerValue.split(',');
  for (let i = entries.length - 1; i >= 0 && wanted === undefined; i--) {
    const entry = (entries[i] as string).trim();
    const space = entry.search(/\s/);
    const service = space < 0 ? entry : entry.slice(0, space);
    if (space >= 0 && service.toLowerCase() === 'placement') wanted = entry.slice(space + 1).trim();
  }
  if (wanted === undefined) return MIN_VERSION;
  if (wanted === 'latest') return MAX_VERSION;
  const m = VERSION.exec(wanted);
  if (m === null) {
    throw new HttpError(400, `Invalid microversion: invalid version string: ${wanted.slice(0, 40)}`, { versionless: true });
  }
  const v = new Microversion(Number(m[1]), Number(m[2]));
  if (!v.atLeast(MIN_VERSION.major, MIN_VERSION.minor) || !MAX_VERSION.atLeast(v.major, v.minor)) {
    throw new HttpError(406, `Invalid microversion: Unacceptable version header: ${v.toString()}`, {
      versionless: true,
      template: 'accept',
      accept: 'application/json',
      extra: { max_version: MAX_VERSION.toString(), min_version: MIN_VERSION.toString() },
    });
  }
  return v;
}
