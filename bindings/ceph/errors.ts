import { TstackError } from '../../common/errors.js';

/**
 * Errors of the Ceph binding. Every failure of a librados/librbd call is a CephError carrying the
 * errno (positive), its name (ENOENT…) and the operation; `detail` names the object, pool or image.
 * Messages never hold keys or keyring contents: connection options are named, never echoed.
 */
export type CephErrorCode =
  | 'ERR_CEPH_NOT_FOUND'
  | 'ERR_CEPH_EXISTS'
  | 'ERR_CEPH_BUSY'
  | 'ERR_CEPH_TIMEOUT'
  | 'ERR_CEPH_PERMISSION'
  | 'ERR_CEPH_RANGE'
  | 'ERR_CEPH_NOT_CONNECTED'
  | 'ERR_CEPH_OPERATION';

const CODE_BY_ERRNO: Readonly<Record<string, CephErrorCode>> = {
  ENOENT: 'ERR_CEPH_NOT_FOUND',
  EEXIST: 'ERR_CEPH_EXISTS',
  EBUSY: 'ERR_CEPH_BUSY',
  ETIMEDOUT: 'ERR_CEPH_TIMEOUT',
  EPERM: 'ERR_CEPH_PERMISSION',
  EACCES: 'ERR_CEPH_PERMISSION',
  ERANGE: 'ERR_CEPH_RANGE',
  ENOTCONN: 'ERR_CEPH_NOT_CONNECTED',
  ESHUTDOWN: 'ERR_CEPH_NOT_CONNECTED',
};

export class CephError extends TstackError {
  /** Positive errno as librados/librbd returned it (negated). */
  readonly errno: number;
  readonly errnoName: string;
  /** The binding operation that failed: write, rbdCreate, snapProtect… */
  readonly op: string;
  /** What it acted on: object name, pool, image (never a secret). */
  readonly detail: string;

  constructor(errno: number, errnoName: string, op: string, detail: string, message?: string, options?: { cause?: unknown }) {
    super(CODE_BY_ERRNO[errnoName] ?? 'ERR_CEPH_OPERATION', message ?? `${op}${detail ? ` ${detail}` : ''}: ${errnoName}`, options);
    this.errno = errno;
    this.errnoName = errnoName;
    this.op = op;
    this.detail = detail;
  }
}

/** A call on a cluster, I/O context, image or watch after its close() began. */
export class CephClosedError extends TstackError {
  readonly op: string;
  constructor(op: string, what: string) {
    super('ERR_CEPH_CLOSED', `${op}: the ${what} is closed`);
    this.op = op;
  }
}

/** The addon (librados/librbd) is not built or cannot load on this machine. */
export class CephNativeUnavailableError extends TstackError {
  constructor(cause?: unknown) {
    super(
      'ERR_CEPH_NATIVE_UNAVAILABLE',
      'the Ceph native addon is not available: install the Debian packages librados-dev libradospp-dev librbd-dev and run `npm run build:native`',
      { cause },
    );
  }
}

/** Bad input, refused before anything reaches the cluster. */
export class CephInvalidArgumentError extends TstackError {
  constructor(message: string) {
    super('ERR_CEPH_INVALID_ARGUMENT', message);
  }
}

/** Builds the typed error for a native failure (registered with the addon). */
export function nativeError(kind: string, errno: number, errnoName: string | null, op: string, detail: string, message: string): Error {
  if (kind === 'closed') return new CephClosedError(op, detail || 'handle');
  return new CephError(errno, errnoName ?? `E${errno}`, op, detail, message);
}
