import util from 'node:util';

/** An Error shaped as node:net's system errors are (`code`, `errno`, `syscall`), from an errno number. */
export function errnoException(errno: number, syscall: string, address?: string): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(-errno);
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}${address === undefined ? '' : ` ${address}`}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  return err;
}
