import { silentLogger, type Logger } from '../../common/logger.js';
import { name, uint } from './args.js';
import { CephError, CephInvalidArgumentError } from './errors.js';
import { IoCtx } from './ioctx.js';
import { addon, type NativeCluster } from './native.js';

export interface CephTimeouts {
  /** Connecting: client_mount_timeout (default 30 s). An unreachable monitor fails with ERR_CEPH_TIMEOUT. */
  connectMs?: number;
  /** Monitor commands, pool operations: rados_mon_op_timeout (default 30 s; 0 = none). */
  monOpMs?: number;
  /** Object operations: rados_osd_op_timeout (default 0 = wait for the OSD as long as it takes). */
  osdOpMs?: number;
}

export interface ConnectOptions {
  /** ceph.conf path; mon_host and the like come from it. */
  conf?: string;
  /** Keyring path for the client's key. */
  keyring?: string;
  /** Client id without the `client.` prefix (default `admin`). */
  clientId?: string;
  /** Any other config option, applied after the file (values are never logged or put in errors). */
  options?: Readonly<Record<string, string | number | boolean>>;
  timeouts?: CephTimeouts;
  logger?: Logger;
}

export interface ClusterStats {
  kb: number;
  kbUsed: number;
  kbAvail: number;
  numObjects: number;
}

export interface MonCommandResult {
  /** The command's output (JSON when the command was given `format: 'json'`). */
  data: Buffer;
  /** The monitor's status line. */
  status: string;
}

function seconds(ms: number | undefined, fallback: number, what: string): string {
  if (ms === undefined) return String(fallback);
  uint(ms, what);
  // Ceph's timeouts are in whole seconds; round up so a small timeout never becomes "none".
  return String(ms === 0 ? 0 : Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * A connection to a Ceph cluster (librados `rados_t`). Opens I/O contexts on pools; manages pools;
 * sends monitor commands. close() closes every I/O context, image and watch opened through it.
 */
export class Cluster implements AsyncDisposable {
  readonly #native: NativeCluster;
  readonly #logger: Logger;

  private constructor(native: NativeCluster, logger: Logger) {
    this.#native = native;
    this.#logger = logger;
  }

  static async connect(options: ConnectOptions = {}): Promise<Cluster> {
    const id = options.clientId === undefined ? 'admin' : name(options.clientId, 'clientId');
    const pairs: [string, string][] = [];
    const t = options.timeouts ?? {};
    pairs.push(['client_mount_timeout', seconds(t.connectMs, 30, 'timeouts.connectMs')]);
    pairs.push(['rados_mon_op_timeout', seconds(t.monOpMs, 30, 'timeouts.monOpMs')]);
    pairs.push(['rados_osd_op_timeout', seconds(t.osdOpMs, 0, 'timeouts.osdOpMs')]);
    // The binding keeps every Buffer it hands to librbd referenced until the write completes.
    pairs.push(['rbd_disable_zero_copy_writes', 'false']);
    if (options.keyring !== undefined) pairs.push(['keyring', name(options.keyring, 'keyring')]);
    for (const [k, v] of Object.entries(options.options ?? {})) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new CephInvalidArgumentError(`option ${k} must be a string, number or boolean`);
      }
      pairs.push([name(k, 'option name'), String(v)]);
    }
    const logger = options.logger ?? silentLogger;
    const native = new (addon().Cluster)();
    const conf = options.conf === undefined ? undefined : name(options.conf, 'conf');
    await native.connect(conf === undefined ? { id, options: pairs } : { id, conf, options: pairs });
    const cluster = new Cluster(native, logger);
    logger.debug({ client: `client.${id}`, fsid: native.fsid() }, 'ceph: connected');
    return cluster;
  }

  get closed(): boolean {
    return this.#native.isClosed();
  }

  fsid(): string {
    return this.#native.fsid();
  }

  /** This client's global id (the N of `client.N` in lock and watcher listings). */
  instanceId(): bigint {
    return this.#native.instanceId();
  }

  /** A configuration value as this client sees it (secrets are refused). */
  config(option: string): string {
    return this.#native.confGet(name(option, 'option'));
  }

  stats(): Promise<ClusterStats> {
    return this.#native.stats();
  }

  listPools(): Promise<string[]> {
    return this.#native.poolList();
  }

  async createPool(pool: string): Promise<void> {
    await this.#native.poolCreate(name(pool, 'pool'));
    this.#logger.info({ pool }, 'ceph: pool created');
  }

  async deletePool(pool: string): Promise<void> {
    await this.#native.poolDelete(name(pool, 'pool'));
    this.#logger.info({ pool }, 'ceph: pool deleted');
  }

  /** The pool's id; ERR_CEPH_NOT_FOUND when there is none. */
  async poolId(pool: string): Promise<number> {
    return this.#native.poolLookup(name(pool, 'pool'));
  }

  /**
   * A monitor command for what has no C call (e.g. `{ prefix: 'osd pool set', pool, var, val }`).
   * A non-zero return is a CephError whose message carries the monitor's status line.
   */
  async monCommand(command: Record<string, unknown>, input?: Buffer): Promise<MonCommandResult> {
    if (typeof command !== 'object' || command === null || typeof command['prefix'] !== 'string') {
      throw new CephInvalidArgumentError('a monitor command needs a string prefix');
    }
    const r = await this.#native.monCommand(JSON.stringify(command), input);
    return { data: r.outbuf, status: r.outs };
  }

  /** monCommand with `format: 'json'`, parsed. */
  async monCommandJson<T = unknown>(command: Record<string, unknown>): Promise<T> {
    const r = await this.monCommand({ ...command, format: 'json' });
    try {
      return JSON.parse(r.data.toString('utf8')) as T;
    } catch (err) {
      throw new CephError(74, 'EBADMSG', 'monCommand', String(command['prefix']), undefined, { cause: err });
    }
  }

  /** An I/O context on `pool`, optionally in a namespace and with an object locator key. */
  async openIoctx(pool: string, options: { namespace?: string; locator?: string } = {}): Promise<IoCtx> {
    const native = await this.#native.openIoctx(name(pool, 'pool'));
    return IoCtx.fromNative(native, pool, options.namespace ?? '', options.locator ?? '', this);
  }

  async close(): Promise<void> {
    await this.#native.close();
    this.#logger.debug({}, 'ceph: disconnected');
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
