import { LibvirtError, call, invoke, same } from './errors.js';

/** Something whose liveness decides whether its children may still be used. */
export interface Liveness {
  readonly closed: boolean;
}

/**
 * The TypeScript side of a native handle: guards every call so that use after free()/close() (of
 * the object or of its connection) is a typed ERR_LIBVIRT_CLOSED, and maps native rejections to
 * LibvirtError. free() is idempotent; `await using` calls it.
 */
export abstract class HandleBase<N extends { free(): Promise<void> }> implements AsyncDisposable {
  #closed = false;

  protected constructor(
    protected readonly native: N,
    protected readonly owner: Liveness | undefined,
    private readonly what: string,
  ) {}

  get closed(): boolean {
    return this.#closed || (this.owner?.closed ?? false);
  }

  /** Runs a native call, refusing when closed. */
  protected run<T>(op: string, fn: (n: N) => Promise<T>): Promise<T> {
    return this.runMap(op, fn, same);
  }

  /** run, with the result reshaped by `map` in the same promise reaction. */
  protected runMap<T, U>(op: string, fn: (n: N) => Promise<T>, map: (v: T) => U): Promise<U> {
    if (this.closed) return Promise.reject(new LibvirtError('ERR_LIBVIRT_CLOSED', `${this.what}.${op}: ${this.what} is closed`));
    return invoke(this.what, op, this.native, fn, map);
  }

  /** Releases the libvirt reference (once; later calls do nothing). */
  async free(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await call(`${this.what}.free`, () => this.native.free());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.free();
  }
}
