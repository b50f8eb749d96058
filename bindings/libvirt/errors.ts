import { TstackError } from '../../common/errors.js';
import { LIBVIRT_ERROR_DOMAINS, LIBVIRT_ERROR_NAMES } from './error-names.js';

/**
 * Our codes. ERR_LIBVIRT is every error libvirt itself reported (its numeric code is in
 * `libvirtCode`); the others are ours.
 */
export type LibvirtErrorCode =
  | 'ERR_LIBVIRT'
  | 'ERR_LIBVIRT_NATIVE_UNAVAILABLE'
  | 'ERR_LIBVIRT_CLOSED'
  | 'ERR_LIBVIRT_INVALID_ARGUMENT'
  | 'ERR_LIBVIRT_XML'
  | 'ERR_LIBVIRT_TIMEOUT'
  | 'ERR_LIBVIRT_NATIVE';

export type LibvirtErrorLevel = 'none' | 'warning' | 'error';

/** Fields libvirt gives with an error (virErrorPtr), copied on the thread that saw it. */
export interface LibvirtErrorDetail {
  /** virErrorNumber, e.g. 42. */
  libvirtCode: number;
  /** Its name without the VIR_ERR_ prefix, e.g. 'NO_DOMAIN'. */
  libvirtName: string;
  /** virErrorDomain, e.g. 12. */
  domain: number;
  /** Its name without the VIR_FROM_ prefix, e.g. 'DOM'. */
  domainName: string;
  level: LibvirtErrorLevel;
}

export class LibvirtError extends TstackError {
  readonly libvirtCode: number | undefined;
  readonly libvirtName: string | undefined;
  readonly domain: number | undefined;
  readonly domainName: string | undefined;
  readonly level: LibvirtErrorLevel | undefined;

  constructor(code: LibvirtErrorCode, message: string, options?: { cause?: unknown; detail?: LibvirtErrorDetail }) {
    super(code, message, options);
    const d = options?.detail;
    this.libvirtCode = d?.libvirtCode;
    this.libvirtName = d?.libvirtName;
    this.domain = d?.domain;
    this.domainName = d?.domainName;
    this.level = d?.level;
  }

  /** True when libvirt reported the given VIR_ERR_ name (without prefix), e.g. 'NO_DOMAIN'. */
  is(name: string): boolean {
    return this.libvirtName === name;
  }
}

export function libvirtErrorName(code: number): string {
  return LIBVIRT_ERROR_NAMES[code] ?? `UNKNOWN_${code}`;
}

export function libvirtDomainName(domain: number): string {
  return LIBVIRT_ERROR_DOMAINS[domain] ?? `UNKNOWN_${domain}`;
}

const LEVELS: Record<number, LibvirtErrorLevel> = { 0: 'none', 1: 'warning', 2: 'error' };

interface NativeErrorShape {
  message?: unknown;
  libvirtCode?: unknown;
  libvirtDomain?: unknown;
  libvirtLevel?: unknown;
  tstackCode?: unknown;
}

/** Turns what the addon rejects with into a LibvirtError; `what` names the operation. */
export function fromNative(err: unknown, what: string): LibvirtError {
  if (err instanceof LibvirtError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as NativeErrorShape;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.libvirtCode === 'number') {
    const code = e.libvirtCode;
    const domain = typeof e.libvirtDomain === 'number' ? e.libvirtDomain : 0;
    const detail: LibvirtErrorDetail = {
      libvirtCode: code,
      libvirtName: libvirtErrorName(code),
      domain,
      domainName: libvirtDomainName(domain),
      level: LEVELS[typeof e.libvirtLevel === 'number' ? e.libvirtLevel : 2] ?? 'error',
    };
    return new LibvirtError('ERR_LIBVIRT', `${what}: ${message} (${detail.libvirtName})`, { cause: err, detail });
  }
  if (e.tstackCode === 'ERR_LIBVIRT_CLOSED') return new LibvirtError('ERR_LIBVIRT_CLOSED', `${what}: ${message}`, { cause: err });
  if (err instanceof TypeError || err instanceof RangeError) {
    return new LibvirtError('ERR_LIBVIRT_INVALID_ARGUMENT', `${what}: ${message}`, { cause: err });
  }
  return new LibvirtError('ERR_LIBVIRT_NATIVE', `${what}: ${message}`, { cause: err });
}

/** Passes a value through (invoke's map when there is nothing to reshape). */
export const same = <T>(v: T): T => v;

/**
 * Starts a native call and maps its outcome: `map` on success, LibvirtError on failure (also for
 * an argument the addon refuses synchronously). One promise reaction per call rather than an async
 * wrapper's several, and the operation's name `what.op` is only built when something fails: on
 * the hot path of thousands of calls per second both showed in profiles of the JS thread.
 */
export function invoke<N, T, U>(what: string, op: string, n: N, fn: (n: N) => Promise<T>, map: (v: T) => U): Promise<U> {
  let p: Promise<T>;
  try {
    p = fn(n);
  } catch (err) {
    return Promise.reject(fromNative(err, `${what}.${op}`));
  }
  return p.then(map, (err: unknown) => {
    throw fromNative(err, `${what}.${op}`);
  });
}

/** Awaits a native call, rethrowing as LibvirtError. */
export async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw fromNative(err, what);
  }
}
