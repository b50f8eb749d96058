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

const HEADER_VALUE = /^(\d+)\.(\d+)$/;

/**
 * The version a request asks for, from `OpenStack-API-Version: placement X.Y` (other services'
 * entries in the same header are ignored). Absent means the minimum; `latest` the maximum; a
 * malformed value is a 400 and one outside [min, max] a 406, as Placement answers.
 */
export function negotiate(headerValue: string | undefined): Microversion {
  if (headerValue === undefined) return MIN_VERSION;
  let wanted: string | undefined;
  for (const part of headerValue.split(',')) {
    const [service, version, extra] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === 'placement' && extra === undefined) wanted = version;
  }
  if (wanted === undefined) return MIN_VERSION;
  if (wanted.toLowerCase() === 'latest') return MAX_VERSION;
  const m = HEADER_VALUE.exec(wanted);
  if (m === null) {
    throw new HttpError(400, `invalid version string: ${wanted.slice(0, 40)}`, { versionlessError: true });
  }
  const v = new Microversion(Number(m[1]), Number(m[2]));
  if (!v.atLeast(MIN_VERSION.major, MIN_VERSION.minor) || !MAX_VERSION.atLeast(v.major, v.minor)) {
    throw new HttpError(406, `Unacceptable version header: ${v.toString()}`, { versionlessError: true });
  }
  return v;
}
