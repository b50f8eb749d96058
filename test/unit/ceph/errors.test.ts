import { describe, expect, it } from 'vitest';
import { isTstackError } from '../../../common/errors.js';
import { CephClosedError, CephError, CephInvalidArgumentError, CephNativeUnavailableError } from '../../../bindings/ceph/index.js';
import { nativeError } from '../../../bindings/ceph/errors.js';

describe('ceph errors', () => {
  it('maps errno names to stable codes and keeps errno, name, op and detail', () => {
    const cases: [string, number, string][] = [
      ['ENOENT', 2, 'ERR_CEPH_NOT_FOUND'],
      ['EEXIST', 17, 'ERR_CEPH_EXISTS'],
      ['EBUSY', 16, 'ERR_CEPH_BUSY'],
      ['ETIMEDOUT', 110, 'ERR_CEPH_TIMEOUT'],
      ['EPERM', 1, 'ERR_CEPH_PERMISSION'],
      ['EACCES', 13, 'ERR_CEPH_PERMISSION'],
      ['ERANGE', 34, 'ERR_CEPH_RANGE'],
      ['ENOTCONN', 107, 'ERR_CEPH_NOT_CONNECTED'],
      ['EROFS', 30, 'ERR_CEPH_OPERATION'],
    ];
    for (const [name, errno, code] of cases) {
      const e = nativeError('errno', errno, name, 'write', 'obj', `write obj: ${name}`);
      expect(e).toBeInstanceOf(CephError);
      expect(isTstackError(e, code)).toBe(true);
      expect(e).toMatchObject({ errno, errnoName: name, op: 'write', detail: 'obj', message: `write obj: ${name}` });
    }
  });

  it('builds closed errors and names an unknown errno', () => {
    const closed = nativeError('closed', 0, null, 'read', 'I/O context', 'x');
    expect(closed).toBeInstanceOf(CephClosedError);
    expect((closed as CephClosedError).code).toBe('ERR_CEPH_CLOSED');
    expect(closed.message).toBe('read: the I/O context is closed');
    const odd = nativeError('errno', 4242, null, 'op', '', 'm');
    expect((odd as CephError).errnoName).toBe('E4242');
  });

  it('names the Debian packages when the addon is unavailable', () => {
    const e = new CephNativeUnavailableError(new Error('dlopen failed'));
    expect(e.code).toBe('ERR_CEPH_NATIVE_UNAVAILABLE');
    expect(e.message).toContain('librados-dev');
    expect(e.message).toContain('librbd-dev');
    expect(e.message).toContain('libradospp-dev');
    expect((e.cause as Error).message).toBe('dlopen failed');
    expect(new CephInvalidArgumentError('bad').code).toBe('ERR_CEPH_INVALID_ARGUMENT');
  });
});
